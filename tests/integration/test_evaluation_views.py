"""The evaluation views are a fold of the set of events: the same story published in different orders,
applied in batches of different sizes, gives byte-identical views (the digest), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import nats
import pytest

from ess_contracts import evaluation as ev
from ess_contracts.codec import WireMessage, encode
from ess_contracts.event import new_event
from ess_core.messaging.db import make_engine
from ess_core.messaging.digests import view_digest
from ess_core.messaging.projection import ProjectionRunner
from ess_core.service.migrate import upgrade
from ess_evaluation.adapters.views import service_views
from ess_evaluation.bootstrap import service
from ess_ops.nats.natsserver import NatsServer
from ess_ops.nats.provision import default_stream_config_path, load_stream_config, provision
from tests.support.databases import database_url
from tests.support.evaluation_scenario import story
from tests.support.harness import publish
from tests.support.pilots import Pilots


def _evaluation_events(pilots: Pilots) -> list[WireMessage]:
    """Definitions by two pilots for the same codes, measures and reviews by several pilots."""
    d = ev.ActionDefined
    items = [
        (
            "region",
            "A1",
            d(code="A1", defined_on="2023-01-01", title="One", lead_pilots=("region",), objectives=("O1",)),
        ),
        (
            "state",
            "A1",
            d(
                code="A1",
                defined_on="2023-06-01",
                title="One bis",
                lead_pilots=("state",),
                objectives=("O2",),
            ),
        ),
        (
            "bdt",
            "A1",
            d(code="A1", defined_on="2023-06-01", title="One ter", lead_pilots=("bdt",), objectives=("O3",)),
        ),
        (
            "region",
            "I1",
            ev.IndicatorDefined(
                code="I1",
                defined_on="2023-01-01",
                title="Trained",
                action_code="A1",
                kind="output",
                direction="increase",
                unit="count",
                source="measured",
                targets=(ev.YearTarget(year=2025, value=5),),
            ),
        ),
        (
            "state",
            "I1",
            ev.IndicatorMeasureRecorded(
                measure_id="m1",
                indicator_code="I1",
                action_code="A1",
                recorded_on="2025-07-01",
                period_start="2025-01-01",
                period_end="2025-06-30",
                value=3,
                source="survey",
            ),
        ),
        (
            "bdt",
            "I1",
            ev.IndicatorMeasureRecorded(
                measure_id="m1",
                indicator_code="I1",
                action_code="A1",
                recorded_on="2025-07-02",
                period_start="2025-01-01",
                period_end="2025-06-30",
                value=4,
                source="survey",
            ),
        ),
        (
            "region",
            "region-pa",
            ev.ProjectReviewRecorded(
                milestone_months=12,
                reviewed_on="2025-05-01",
                still_operating=True,
                jobs_created=1,
                jobs_kept=2,
            ),
        ),
        (
            "state",
            "region-pa",
            ev.ProjectReviewRecorded(
                milestone_months=12,
                reviewed_on="2025-05-03",
                still_operating=True,
                jobs_created=1,
                jobs_kept=3,
            ),
        ),
        (
            "state",
            "s1",
            ev.SessionRecorded(
                held_on="2025-06-05",
                pilots_present=("region", "state"),
                items=(ev.SessionItem(action_code="A1", kind="decision", text="Go"),),
            ),
        ),
    ]
    sequences: dict[tuple[str, str], int] = {}
    wires = []
    for pilot, aggregate_id, payload in items:
        key = (pilot, aggregate_id)
        sequences[key] = sequences.get(key, 0) + 1
        event = new_event(
            payload, pilot=pilot, service="evaluation", aggregate_id=aggregate_id, sequence=sequences[key]
        )  # type: ignore[arg-type]
        wires.append(encode(event, pilots.signers[pilot]))  # type: ignore[index]
    return wires


async def _digest(order: list[WireMessage], work: Path, url: str, pilots: Pilots, batch_size: int) -> str:
    await upgrade(url, service)
    with NatsServer(work) as server:
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        await provision(js, load_stream_config(default_stream_config_path()))
        last = await publish(js, order)
        engine = make_engine(url)
        runner = ProjectionRunner(
            engine, js, pilots.trust, service_views(), durable="region-evaluation", batch_size=batch_size
        )
        await runner.start()
        for _ in range(100):
            if runner.last_seq >= last:
                break
            try:
                await runner.handle(await runner._sub.fetch(batch_size, timeout=0.5))
            except TimeoutError:
                continue
        assert runner.last_seq >= last
        async with engine.connect() as conn:
            digest = await view_digest(conn, service_views())
            parked = (await conn.exec_driver_sql("select count(*) from ess_parked")).scalar()
            dead = (await conn.exec_driver_sql("select reason from ess_dead_letters")).scalars().all()
        assert parked == 0
        assert dead == [], dead  # every event applied: a digest over dead letters would prove nothing
        await runner.stop()
        await engine.dispose()
        await nc.close()
    return digest


async def test_any_order_and_any_batch_size_give_the_same_evaluation_views(tmp_path: Path) -> None:
    pilots = Pilots.generate()
    wires = [encode(e, pilots.signers[p]) for p, e in story().events] + _evaluation_events(pilots)
    orders = {
        "as issued": (wires, 500),
        "reversed": (list(reversed(wires)), 7),  # each issuer's later events first: gaps wait, then fill
        "evaluation and funders first": (sorted(wires, key=lambda w: ".intake." in w.subject), 3),
    }
    digests = {}
    for name, (order, batch) in orders.items():
        async with database_url("sqlite", tmp_path) as url:
            digests[name] = await _digest(order, tmp_path / name.replace(" ", "-"), url, pilots, batch)
    assert len(set(digests.values())) == 1, digests


@pytest.mark.postgres
async def test_postgresql_holds_the_same_evaluation_views_as_sqlite(tmp_path: Path) -> None:
    pilots = Pilots.generate()
    wires = [encode(e, pilots.signers[p]) for p, e in story().events] + _evaluation_events(pilots)
    digests = {}
    for backend in ("sqlite", "postgres"):
        async with database_url(backend, tmp_path) as url:
            digests[backend] = await _digest(wires, tmp_path / backend, url, pilots, 50)
    assert digests["sqlite"] == digests["postgres"]
