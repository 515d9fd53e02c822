"""Messages that are not what a fold expects: the same event twice (inside and outside the broker's
duplicate window), events out of their issuer's order, poison (malformed, unknown type, bad or forged
signature), a key the trust file did not have yet (dead letter, then `ess dlq retry` after the fix),
and a newer version of an event type than a service knows (parked, applied once the service runs the
next release)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ess_contracts.canonical import canonical_bytes
from ess_contracts.codec import KEY, MSG_ID, SIGNATURE, VERSION, WireMessage, encode
from ess_contracts.event import new_event_id
from ess_contracts.signing import Signer, generate_seed
from ess_ops import keys
from tests.support import events as ev
from tests.support.deployment import Deployment, deployment
from tests.support.faults_checks import FUNDERS, check, settle

pytestmark = [pytest.mark.system, pytest.mark.timeout(240)]

ESS = Path(sys.executable).parent / "ess"
REPO = Path(__file__).resolve().parents[2]


def signed(signer: Signer, subject: str, data: bytes, version: str = "1") -> WireMessage:
    headers = {MSG_ID: new_event_id(), KEY: signer.public_key, SIGNATURE: signer.sign(data), VERSION: version}
    return WireMessage(subject, data, headers)


def ess(system: Deployment, pilot: str, service: str, *args: str) -> subprocess.CompletedProcess[str]:
    """An `ess` command against one service of the deployment (its URL and its pilot's token)."""
    url = system.children[(pilot, service)].http_url
    token = str(system.state.token(pilot))
    return subprocess.run(
        [str(ESS), *args, "--url", url, "--token", token],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def dlq(system: Deployment, pilot: str, service: str) -> list[dict[str, Any]]:
    done = ess(system, pilot, service, "dlq", "list", "--json")
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout)[0]["items"])


def test_duplicates_inside_and_outside_the_window_and_out_of_order(tmp_path: Path) -> None:
    window = 2.0
    with deployment(tmp_path / "ess", duplicate_window=window, secure=True) as system:
        system.start_all(FUNDERS)
        started = time.monotonic()
        story = ev.project_story("region-p1")
        wires = [(p, ev.wire(system.signers, p, e)) for p, e in story]
        asyncio.run(system.publish(wires))
        asyncio.run(system.publish(wires))  # inside the window: the broker drops them
        time.sleep(window + 0.5)
        asyncio.run(system.publish(wires[2:]))  # outside: stored again, the views skip them by id
        later = ev.project_story("region-p2") + ev.followup_story("region-p2")
        shuffled = [later[i] for i in (6, 1, 8, 3, 0, 7, 2, 5, 4)]  # each issuer's sequence out of order
        asyncio.run(system.publish([(p, ev.wire(system.signers, p, e)) for p, e in shuffled]))
        ids = {e.id for _, e in story + later}
        verdict = settle(
            system,
            FUNDERS,
            "the same events twice inside the window, again outside it, others out of order",
            "inside: broker duplicate; outside: 3 stored twice, skipped by id; gaps parked then filled",
            extra_ids=ids,
            started=started,
        )
        check(verdict)
        for pilot, service in FUNDERS:
            assert system.digest(pilot, service)["parked"] == 0


def test_poison_dead_letters_retry_after_a_fix_and_version_skew(tmp_path: Path) -> None:
    with deployment(tmp_path / "ess", secure=True, fault_hooks=True) as system:
        system.start_all(FUNDERS)
        started = time.monotonic()
        region, bdt = system.signers["region"], system.signers["bdt"]
        decided = ev.event(ev.decided("x1", 9_000_00), "region", "funding", "region-p9", 1)
        good = encode(decided, region)
        forged = encode(ev.event(ev.decided("x2", 1_00), "region", "funding", "region-p8", 1), bdt)
        tampered = WireMessage(good.subject, good.data.replace(b"900000", b"999999"), good.headers)
        teleported = json.loads(good.data) | {"payload": {"type": "project_teleported"}}
        rotated = Signer(generate_seed())  # state's new key, not yet in the trust file
        unknown_key = encode(
            ev.event(ev.decided("s1", 5_000_00), "state", "funding", "region-p7", 1), rotated
        )
        newer = ev.probe("probe-v2").wire_dict() | {"version": 2}
        poison = [
            (
                "region",
                signed(region, "ess.region.funding.project.region-p6.project_decision_recorded", b"{oops"),
            ),
            ("region", forged),
            ("region", tampered),
            (
                "region",
                signed(
                    region,
                    "ess.region.funding.project.region-p9.project_teleported",
                    canonical_bytes(teleported),
                ),
            ),
            ("state", unknown_key),
            (
                "region",
                signed(region, "ess.region.ops.probe.probe-v2.probe_sent", canonical_bytes(newer), "2"),
            ),
        ]
        asyncio.run(system.publish(poison))
        after = ev.project_story("region-p1")  # the events behind the poison still apply
        asyncio.run(system.publish([(p, ev.wire(system.signers, p, e)) for p, e in after]))
        time.sleep(1.0)
        for pilot, service in FUNDERS:
            listed = dlq(system, pilot, service)
            kinds = sorted(item["kind"] for item in listed)
            assert kinds == ["dead", "dead", "dead", "dead", "unknown", "unknown"], listed
            reasons = " ".join(item["reason"] for item in listed)
            assert "malformed" in reasons and "belongs to 'bdt'" in reasons and "does not match" in reasons
            assert all(item["consumer"] == f"{pilot}-{service}" for item in listed)
        held = next(i for i in dlq(system, "bdt", "funding") if "not in the trust file" in i["reason"])

        still = ess(system, "bdt", "funding", "dlq", "retry", str(held["stream_seq"]))
        assert still.returncode == 1 and "now dead" in still.stdout, still.stdout + still.stderr

        # The fix: state's new key reaches the trust file; every service restarts on the next release,
        # whose catalogue knows probe_sent version 2. Parked newer versions apply at start by themselves.
        keys.ensure_trust(system.state.trust_file, {"state": rotated.public_key})
        for name in FUNDERS:
            system.stop(*name)
            system.extra_env.setdefault(name, {})["ESS_FAULT_UPGRADE"] = "probe_sent:2"
        system.start_all(FUNDERS)
        for pilot, service in FUNDERS:
            done = ess(system, pilot, service, "dlq", "retry", str(held["stream_seq"]))
            assert done.returncode == 0 and "was dead, now applied" in done.stdout, done.stdout + done.stderr
            left = dlq(system, pilot, service)
            assert sorted(i["kind"] for i in left) == ["dead", "dead", "dead", "unknown"], left  # teleported
        verdict = settle(
            system,
            FUNDERS,
            "poison: malformed, forged, tampered, unknown type, unknown key, newer version",
            "4 dead letters, 2 parked, later events applied; after the fix `ess dlq retry` applied the "
            "unknown-key event and the upgraded services applied the newer version at start",
            extra_ids={e.id for _, e in after} | {unknown_key.headers[MSG_ID], newer["id"]},
            started=started,
            upgrade="probe_sent:2",
        )
        check(verdict)
