"""The strategy view: actions, indicators and their targets, measures, sessions and published reports, one
row per definition or record and issuing pilot (the rule choosing among pilots runs at query time)."""

from __future__ import annotations

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts import evaluation as ev
from ess_contracts.event import Event
from ess_core.messaging.db import upsert_columns as upsert
from ess_core.messaging.view_idiom import Handler, HandlerView
from ess_evaluation.adapters import tables as t


async def _action(conn: AsyncConnection, event: Event, p: ev.ActionDefined) -> None:
    row = {
        "code": event.aggregate_id,
        "pilot": event.pilot,
        "event_id": event.id,
        "defined_on": p.defined_on.isoformat(),
        "title": p.title,
        "lead_pilots": ",".join(p.lead_pilots),
        "objectives": ",".join(p.objectives),
        "example": int(p.example),
    }
    await upsert(conn, t.action, row)


async def _indicator(conn: AsyncConnection, event: Event, p: ev.IndicatorDefined) -> None:
    code, pilot = event.aggregate_id, event.pilot
    row = {
        "code": code,
        "pilot": pilot,
        "event_id": event.id,
        "defined_on": p.defined_on.isoformat(),
        "title": p.title,
        "action_code": p.action_code,
        "kind": p.kind,
        "direction": p.direction,
        "unit": p.unit,
        "scale": p.scale,
        "source": p.source,
        "derivation": p.derivation,
        "example": int(p.example),
    }
    await upsert(conn, t.indicator, row)
    target = t.indicator_target
    await conn.execute(delete(target).where(target.c.code == code, target.c.pilot == pilot))
    if p.targets:
        rows = [{"code": code, "pilot": pilot, "year": y.year, "value": y.value} for y in p.targets]
        await conn.execute(insert(target), rows)


async def _measure(conn: AsyncConnection, event: Event, p: ev.IndicatorMeasureRecorded) -> None:
    row = {
        "indicator_code": event.aggregate_id,
        "pilot": event.pilot,
        "measure_id": p.measure_id,
        "event_id": event.id,
        "action_code": p.action_code,
        "recorded_on": p.recorded_on.isoformat(),
        "period_start": p.period_start.isoformat(),
        "period_end": p.period_end.isoformat(),
        "value": p.value,
        "scale": p.scale,
        "source": p.source,
        "remark": p.remark,
    }
    await upsert(conn, t.measure, row)


async def _session(conn: AsyncConnection, event: Event, p: ev.SessionRecorded) -> None:
    key = {"session_id": event.aggregate_id, "pilot": event.pilot}
    row = {
        **key,
        "event_id": event.id,
        "held_on": p.held_on.isoformat(),
        "kind": p.kind,
        "pilots_present": ",".join(p.pilots_present),
    }
    await upsert(conn, t.session, row)
    item = t.session_item
    await conn.execute(
        delete(item).where(item.c.session_id == key["session_id"], item.c.pilot == event.pilot)
    )
    if p.items:
        rows = [
            {
                **key,
                "position": n,
                "action_code": i.action_code,
                "kind": i.kind,
                "text": i.text,
                "progress": i.progress,
            }
            for n, i in enumerate(p.items, 1)
        ]
        await conn.execute(insert(item), rows)


async def _report(conn: AsyncConnection, event: Event, p: ev.ReportPublished) -> None:
    row = {
        "report_id": event.aggregate_id,
        "pilot": event.pilot,
        "event_id": event.id,
        "year": p.year,
        "published_on": p.published_on.isoformat(),
        "report_sha256": p.report_sha256,
        "tables_sha256": p.tables_sha256,
        "view_digest": p.view_digest,
        "catalogue_version": p.catalogue_version,
    }
    await upsert(conn, t.report, row)


HANDLERS: dict[str, Handler] = {
    "action_defined": _action,
    "indicator_defined": _indicator,
    "indicator_measure_recorded": _measure,
    "session_recorded": _session,
    "report_published": _report,
}


class StrategyView(HandlerView):
    name = "evaluation_strategy"
    tables = (t.action, t.indicator, t.indicator_target, t.measure, t.session, t.session_item, t.report)
    handlers = HANDLERS
