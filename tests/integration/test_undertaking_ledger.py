"""The beneficiary ledger through the three pilots' funding services (real nats-server, real databases,
their HTTP API): de minimis per single undertaking across projects and funders, control links with dates,
outside aid, the same crossing act named by every pilot, and the certificate."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from ess_contracts.codec import encode
from ess_contracts.event import new_event
from ess_contracts.types import Pilot
from ess_core.messaging.digests import view_digest
from tests.support.funding_services import Funders
from tests.support.funding_story import decision, request
from tests.support.sirens import fresh_siren

pytestmark = pytest.mark.asyncio(loop_scope="module")

K = 1_000_00
LINES = {"staff": 600_000_00, "equipment": 400_000_00}
Doc = dict[str, Any]


async def project(funders: Funders) -> str:
    pid = f"region-{uuid.uuid4().hex[:10]}"
    await funders.submit(pid, LINES)
    await funders.plans(pid)
    return pid


def act_body(payload: Any) -> Doc:
    return {k: v for k, v in payload.model_dump(mode="json").items() if k != "type"}


async def grant(funders: Funders, pilot: Pilot, pid: str, siren: str, cents: int, on: str) -> Any:
    """`pilot` requests and decides de minimis aid of `cents` to `siren` on `pid`; the decision's answer."""
    day = date.fromisoformat(on)
    await funders[pilot].ok(pid, "requests", act_body(request("r-d1", cents)))
    body = act_body(decision("d1", cents, day, beneficiary_siren=siren))
    return await funders[pilot].act(pid, "decisions", body)


async def ledgers(
    funders: Funders, siren: str, until: Callable[[Doc], bool] = lambda _: True, as_of: str | None = None
) -> dict[Pilot, Doc]:
    """Each pilot's ledger of `siren` once all three are equal and satisfy `until`."""
    deadline = time.monotonic() + 15
    params = {"as_of": as_of} if as_of else {}
    while True:
        found = {}
        for pilot, funder in funders.by_pilot.items():
            answer = await funder.http.get(f"/undertakings/{siren}", params=params)
            assert answer.status_code == 200, answer.text
            found[pilot] = answer.json()
        if len({json.dumps(d, sort_keys=True) for d in found.values()}) == 1 and all(
            map(until, found.values())
        ):
            return found
        assert time.monotonic() < deadline, f"ledgers of {siren} did not converge: {found}"
        await asyncio.sleep(0.05)


def aids(n: int) -> Callable[[Doc], bool]:
    return lambda doc: len(doc["aids"]) == n


async def test_aid_on_three_projects_by_three_pilots_is_refused_at_the_act_that_crosses(
    funders: Funders,
) -> None:
    siren = fresh_siren()
    p1, p2, p3 = [await project(funders) for _ in range(3)]
    assert (await grant(funders, "region", p1, siren, 100 * K, "2025-06-01")).status_code == 201
    assert (await grant(funders, "state", p2, siren, 100 * K, "2025-09-01")).status_code == 201
    await ledgers(funders, siren, aids(2))

    above = await grant(funders, "bdt", p3, siren, 100 * K + 1, "2026-02-01")
    assert above.status_code == 409, above.text
    detail = above.json()["detail"]
    assert detail["rules"] == ["de_minimis"] and detail["acknowledgeable"] is False
    [verdict] = detail["verdicts"]
    assert verdict["act"] == f"{p3}:bdt/decision/d1" and verdict["subject"] == f"single undertaking {siren}"
    assert verdict["regulation"] == "(EU) 2023/2831, general"
    assert verdict["window"] == "any period of three years: 2023-02-02 to 2026-02-01"
    assert [c["act"] for c in verdict["counted"]] == [
        f"{p1}:region/decision/d1",
        f"{p2}:state/decision/d1",
        f"{p3}:bdt/decision/d1",
    ]
    assert f"aid counted: {p1}:region/decision/d1 EUR 100,000.00, {p2}:state/decision/d1" in detail["reason"]

    at = act_body(decision("d1", 100 * K, date(2026, 2, 1), beneficiary_siren=siren))
    assert (await funders["bdt"].act(p3, "decisions", at)).status_code == 201
    [doc] = {json.dumps(d) for d in (await ledgers(funders, siren, aids(3), as_of="2026-02-01")).values()}
    standing = json.loads(doc)
    assert standing["verdicts"] == [] and standing["headroom_cents"] == 0
    assert standing["ceilings"][0]["total_cents"] == 300_000_00


async def test_a_control_link_joins_two_sirens_until_it_ends(funders: Funders) -> None:
    a, b = fresh_siren(), fresh_siren()
    p1, p2 = await project(funders), await project(funders)
    assert (await grant(funders, "region", p1, a, 200 * K, "2025-06-01")).status_code == 201
    recorded = await funders["state"].http.post(
        "/control-links",
        json={
            "controlling_siren": a,
            "controlled_siren": b,
            "relation": "majority_voting_rights",
            "starts_on": "2020-01-01",
            "source": "statuts-2020",
        },
    )
    assert recorded.status_code == 201, recorded.text
    link_id = recorded.json()["id"]
    assert link_id.startswith("state-") and recorded.json()["act"]["recorded_by"].startswith("staff-")
    await ledgers(funders, b, lambda d: len(d["links"]) == 1 and len(d["aids"]) == 1)

    joined = await grant(funders, "bdt", p2, b, 100 * K + 1, "2026-02-01")
    assert joined.status_code == 409, joined.text
    [verdict] = joined.json()["detail"]["verdicts"]
    assert verdict["subject"] == f"single undertaking {' + '.join(sorted((a, b)))}"

    ended = recorded.json()["act"] | {"ends_on": "2022-12-31"}
    ended.pop("type"), ended.pop("recorded_by")
    not_theirs = await funders["region"].http.put(f"/control-links/{link_id}", json=ended)
    assert not_theirs.status_code == 404 and "region has recorded no control link" in not_theirs.text
    assert (await funders["state"].http.put(f"/control-links/{link_id}", json=ended)).status_code == 200
    await ledgers(funders, b, lambda d: d["links"][0]["ends_on"] == "2022-12-31")
    at = act_body(decision("d1", 100 * K + 1, date(2026, 2, 1), beneficiary_siren=b))
    assert (await funders["bdt"].act(p2, "decisions", at)).status_code == 201  # ended before the window


async def test_bad_links_are_refused_naming_the_field(funders: Funders) -> None:
    a = fresh_siren()
    base = {
        "controlling_siren": a,
        "controlled_siren": a,
        "relation": "board_majority",
        "starts_on": "2024-01-01",
    }
    itself = await funders["region"].http.post("/control-links", json=base | {"source": "x"})
    assert itself.status_code == 422 and "does not control itself" in itself.json()["detail"]["reason"]
    bad_siren = await funders["region"].http.post(
        "/control-links", json=base | {"source": "x", "controlled_siren": "123456789"}
    )
    assert bad_siren.status_code == 422
    assert bad_siren.json()["detail"]["reason"].startswith("control link: controlled_siren: ")
    no_source = await funders["region"].http.post(
        "/control-links", json=base | {"controlled_siren": fresh_siren()}
    )
    assert no_source.status_code == 422 and "source" in no_source.json()["detail"]["reason"]
    no_token = await funders["region"].http.post("/control-links", json=base, headers={"Authorization": ""})
    assert no_token.status_code == 401


async def test_decisions_at_the_same_moment_name_the_same_crossing_act_on_every_pilot(
    funders: Funders,
) -> None:
    siren = fresh_siren()
    p1, p2, p3 = [await project(funders) for _ in range(3)]
    assert (await grant(funders, "region", p1, siren, 200 * K, "2025-06-01")).status_code == 201
    await ledgers(funders, siren, aids(1))
    # state and bdt decide at once, each on its own project: neither service has the other's aid yet, so
    # both pass their own check; their signed events then reach every pilot in whatever order.
    at_once = {
        "state": (p2, decision("d1", 60 * K, date(2026, 3, 1), beneficiary_siren=siren)),
        "bdt": (p3, decision("d1", 60 * K, date(2026, 2, 1), beneficiary_siren=siren)),
    }
    for pilot, (pid, payload) in at_once.items():
        event = new_event(payload, pilot=pilot, service="funding", aggregate_id=pid, sequence=1)  # type: ignore[arg-type]
        wire = encode(event, funders.signers[pilot])  # type: ignore[index]
        await funders.js.publish(wire.subject, wire.data, stream="ESS", headers=wire.headers)

    found = await ledgers(funders, siren, lambda d: len(d["verdicts"]) == 1)
    [verdict] = found["region"]["verdicts"]  # 200,000 + 60,000 (bdt, 02-01) + 60,000 (state, 03-01)
    assert verdict["act"] == f"{p2}:state/decision/d1" and verdict["total_cents"] == 320_000_00
    for pid, holds in ((p2, [verdict["act"]]), (p3, [])):
        plans = await funders.plans(pid, lambda p: len(p["facts"]["decisions"]) == 1)
        assert {pilot: [v["act"] for v in p["undertaking_verdicts"]] for pilot, p in plans.items()} == {
            pilot: holds for pilot in funders.by_pilot
        }
    digests = set()
    for funder in funders.by_pilot.values():
        async with funder.runtime.engine.connect() as conn:
            digests.add(await view_digest(conn, funder.runtime.compared_views))
    assert len(digests) == 1


async def test_outside_aid_counts_until_withdrawn_and_the_certificate_says_so(funders: Funders) -> None:
    siren = fresh_siren()
    outside = {
        "recipient_siren": siren,
        "grantor": "departement",
        "basis": "de_minimis_general",
        "nominal_amount": 250 * K,
        "gross_grant_equivalent": 250 * K,
        "granted_on": "2024-03-01",
        "legal_right_on": "2024-03-01",
        "source": "arrete-2024-118",
    }
    recorded = await funders["region"].http.post("/outside-aids", json=outside)
    assert recorded.status_code == 201 and recorded.json()["verdicts"] == [], recorded.text
    found = await ledgers(funders, siren, aids(1), as_of="2026-01-31")
    assert found["bdt"]["headroom_cents"] == 50 * K
    assert found["bdt"]["aids"][0]["origin"] == "outside"

    certificate = await funders["state"].http.get(
        f"/undertakings/{siren}/certificate", params={"as_of": "2026-01-31"}
    )
    assert certificate.status_code == 200 and certificate.headers["content-type"].startswith("text/plain")
    text = certificate.text
    assert text.startswith("ATTESTATION RELATIVE AUX AIDES DE MINIMIS")
    assert "Émise par : État (DREETS, DRAJES)" in text and f"SIREN {siren}" in text
    assert "règlement (UE) 2023/2831" in text and "du 01/02/2023 au 31/01/2026" in text
    assert "01/03/2024 : 250\u202f000,00 €, aide antérieure enregistrée (departement)" in text
    assert "Montant encore disponible sous le plafond : 50\u202f000,00 €" in text

    pid = await project(funders)
    refused = await grant(funders, "bdt", pid, siren, 50 * K + 1, "2026-02-01")
    assert refused.status_code == 409 and recorded.json()["id"] in refused.text
    withdrawn = await funders["region"].http.post(
        f"/outside-aids/{recorded.json()['id']}/withdrawal", json={"reason": "recorded_in_error"}
    )
    assert withdrawn.status_code == 201, withdrawn.text
    await ledgers(funders, siren, aids(0))
    again = act_body(decision("d1", 50 * K + 1, date(2026, 2, 1), beneficiary_siren=siren))
    assert (await funders["bdt"].act(pid, "decisions", again)).status_code == 201
