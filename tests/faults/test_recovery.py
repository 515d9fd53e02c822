"""Losing what the services rely on: the nats-server killed during a load, the stream deleted by the
operator (rebuilt by `ess republish` from every service), a service database restored from an older
backup (it takes its own newer events back from the stream and never repeats a sequence)."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import select

from ess_core.messaging.db import make_engine
from ess_core.messaging.schema import outbox
from ess_ops.nats.provision import provision
from tests.support.deployment import Deployment, deployment, stream_config
from tests.support.faults_checks import FUNDERS, check, commit_acts, settle
from tests.support.faults_identities import connected

pytestmark = [pytest.mark.system, pytest.mark.timeout(240)]

REPO = Path(__file__).resolve().parents[2]


def load(system: Deployment, rounds: int, pause: float, errors: list[BaseException]) -> None:
    """Each funder commits acts, round after round (its relay publishes them when it can)."""
    try:
        for n in range(rounds):
            for pilot, service in FUNDERS:
                asyncio.run(commit_acts(system, pilot, service, f"region-load-{pilot}", 2, first=2 * n))
            time.sleep(pause)
    except BaseException as error:  # reported by the test, not lost in the thread
        errors.append(error)


async def stream_messages(system: Deployment) -> int:
    """The acts on the stream: checkpoints are left out, they come at each service's own cadence."""
    async with connected(system.nats.url, system.identities, "operator") as op:
        info = await op.js.stream_info("ESS", subjects_filter="ess.>")
        return sum(n for subject, n in (info.state.subjects or {}).items() if ".checkpoint." not in subject)


def test_nats_server_sigkill_during_a_load_then_restart(tmp_path: Path) -> None:
    with deployment(tmp_path / "ess", secure=True) as system:
        system.start_all(FUNDERS)
        started = time.monotonic()
        errors: list[BaseException] = []
        loader = threading.Thread(target=load, args=(system, 20, 0.1, errors))
        loader.start()
        time.sleep(1.0)
        system.nats.kill()
        time.sleep(1.5)  # acts keep being committed while the broker is gone
        system.nats.start()
        loader.join(60)
        assert not loader.is_alive() and not errors, errors
        verdict = settle(
            system,
            FUNDERS,
            "nats-server SIGKILL during a load of 120 acts, restarted 1.5 s later",
            "relays kept the rows and published them after the restart; consumers went on",
            started=started,
        )
        check(verdict)


def test_stream_deleted_then_rebuilt_by_republishing_every_journal(tmp_path: Path) -> None:
    with deployment(tmp_path / "ess", secure=True) as system:
        system.start_all(FUNDERS)
        started = time.monotonic()
        for pilot, service in FUNDERS:
            asyncio.run(commit_acts(system, pilot, service, f"region-p-{pilot}", 5))
        before = settle(system, FUNDERS, "(before the stream is deleted)", "", started=started)
        check(before)
        from tests.support.faults_checks import RESULTS

        RESULTS.remove(before)
        digests = {system.digest(*name)["view_digest"] for name in FUNDERS}

        async def delete_and_provision() -> None:
            async with connected(system.nats.url, system.identities, "operator") as op:
                await op.js.delete_stream("ESS")
                await provision(op.nc.jetstream(), stream_config())

        asyncio.run(delete_and_provision())
        for pilot, service in FUNDERS:
            done = system.ess(pilot, service, "republish")
            assert done.returncode == 0 and "published again" in done.stdout, done.stdout + done.stderr
        verdict = settle(
            system,
            FUNDERS,
            "the stream deleted by the operator, rebuilt by `ess republish` from every service",
            "every journal published again into a new stream; the views skipped what they had",
            started=started,
        )
        check(verdict)
        assert {system.digest(*name)["view_digest"] for name in FUNDERS} == digests  # as they were
        count = asyncio.run(stream_messages(system))
        assert count >= 15  # the acts of the three funders, republished once
        again = system.ess("bdt", "funding", "republish")
        assert again.returncode == 0, again.stderr
        time.sleep(0.5)
        assert asyncio.run(stream_messages(system)) == count  # inside the window: all duplicates
        assert {system.digest(*name)["view_digest"] for name in FUNDERS} == digests


def test_a_database_restored_from_an_older_backup(tmp_path: Path) -> None:
    with deployment(tmp_path / "ess", secure=True) as system:
        system.start_all(FUNDERS)
        started = time.monotonic()
        asyncio.run(commit_acts(system, "bdt", "funding", "region-p1", 3))
        check(settle(system, FUNDERS, "(before the backup)", ""))
        from tests.support.faults_checks import RESULTS

        RESULTS.pop()
        database = system.state.database("bdt", "funding")
        backup = tmp_path / "bdt-funding.backup.db"
        with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(backup)) as copy:
            source.backup(copy)  # an online backup, as a nightly job takes it
        newer = asyncio.run(commit_acts(system, "bdt", "funding", "region-p1", 2, first=3))  # sequences 4, 5
        check(settle(system, FUNDERS, "(after the backup)", ""))
        RESULTS.pop()

        system.stop("bdt", "funding")
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(backup, database)
        system.start("bdt", "funding")
        [decided] = asyncio.run(commit_acts(system, "bdt", "funding", "region-p1", 1, first=5))
        assert decided.sequence == 6  # after the recovered 4 and 5: no sequence issued twice
        verdict = settle(
            system,
            FUNDERS,
            "a service database restored from an older backup",
            "at start it took its 2 newer events back from the stream into its journal and replayed "
            "its views; its next act got sequence 6",
            started=started,
        )
        check(verdict)
        recovered = asyncio.run(journal(system))
        assert {e.id for e in newer} <= recovered
        for pilot, service in FUNDERS:
            assert system.digest(pilot, service)["dead_letters"] == 0


async def journal(system: Deployment) -> set[str]:
    engine = make_engine(system.database_url("bdt", "funding"), writer=False)
    try:
        async with engine.connect() as conn:
            query = select(outbox.c.event_id).where(outbox.c.stream_seq.is_not(None))
            return set((await conn.scalars(query)).all())
    finally:
        await engine.dispose()
