"""Between the plan's rows and its facts: load a project's plan, store and read its judgement, digest it."""

from __future__ import annotations

import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

from ess_contracts.canonical import canonical_bytes
from ess_views.funding_plan import tables as t
from ess_views.funding_plan.facts import (
    Acknowledgement,
    BudgetLine,
    Cofunder,
    Commitment,
    Decision,
    Declaration,
    Disbursement,
    Opinion,
    Plan,
    PriorAid,
    Recovery,
    Request,
    Tranche,
)
from ess_views.funding_plan.verdict import Judgement, Verdict

Row = Mapping[str, Any]
Judge = Callable[[Plan], Judgement]


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dates(row: Row, drop: Sequence[str] = ("project_id",)) -> dict[str, Any]:
    return {
        k: (date.fromisoformat(v) if k.endswith("_on") and v is not None else v)
        for k, v in row.items()
        if k not in drop
    }


async def read_rows(conn: AsyncConnection, tables: Sequence[Table], project_id: str) -> dict[str, list[Row]]:
    """The project's rows in each table, in one round trip (`read_many`)."""
    return (await read_many(conn, tables, [project_id]))[project_id]


async def read_many(
    conn: AsyncConnection, tables: Sequence[Table], project_ids: Sequence[str]
) -> dict[str, dict[str, list[Row]]]:
    """Each project's rows in each table, a few hundred projects per round trip, ordered by primary key in
    Python (code point order: the same on SQLite and PostgreSQL whatever the database's collation)."""
    query = _union(conn.dialect.name, tuple(tables))
    found: dict[str, dict[str, list[Row]]] = {
        pid: {table.name: [] for table in tables} for pid in project_ids
    }
    for start in range(0, len(project_ids), READ_CHUNK):
        chunk = list(project_ids[start : start + READ_CHUNK])
        for result in await conn.execute(query, {"project_ids": chunk}):
            row = json.loads(result[1])
            found[row["project_id"]][result[0]].append(row)
    for table in tables:
        keys = [c.name for c in table.primary_key.columns]
        for rows in found.values():
            rows[table.name].sort(key=lambda row: [row[k] for k in keys])
    return found


READ_CHUNK = 500  # projects per query: a batch's worth, well within every driver's parameter limit


@functools.cache
def _union(dialect: str, tables: tuple[Table, ...]) -> Executable:
    """Each row as a JSON object (json_object on SQLite, json_build_object on PostgreSQL; the names are
    ours, inlined as literals), all tables in one UNION ALL; built once per dialect and table set."""
    build = func.json_build_object if dialect == "postgresql" else func.json_object
    project_ids: BindParameter[str] = bindparam("project_ids", expanding=True)
    parts: list[Any] = []  # Select's type parameters differ between SQLAlchemy releases
    for table in tables:
        pairs: list[ColumnElement[Any]] = []
        for column in table.columns:
            pairs += [literal_column(f"'{column.name}'"), column]
        name: ColumnElement[str] = literal_column(f"'{table.name}'")
        parts.append(select(name, cast(build(*pairs), Text)).where(table.c.project_id.in_(project_ids)))
    return union_all(*parts)


async def load_plan(conn: AsyncConnection, project_id: str) -> Plan:
    """The project's plan from its rows."""
    return plan_of(project_id, await read_rows(conn, t.FACT_TABLES, project_id))


def plan_of(project_id: str, found: Mapping[str, list[Row]]) -> Plan:
    rows: dict[str, list[Row]] = {table.name: list(found.get(table.name, [])) for table in t.FACT_TABLES}
    submitter = min((r["pilot"] for r in rows[t.budget_line.name]), default=None)  # one, in practice
    budget = tuple(
        BudgetLine(r["code"], r["category"], r["amount"])
        for r in rows[t.budget_line.name]
        if r["pilot"] == submitter
    )
    eligible: dict[tuple[str, str], list[BudgetLine]] = defaultdict(list)
    for r in rows[t.eligible_line.name]:
        eligible[(r["pilot"], r["opinion_id"])].append(BudgetLine(r["code"], r["category"], r["amount"]))
    covered: dict[tuple[str, str, str], list[tuple[str, int]]] = defaultdict(list)
    for r in rows[t.cover.name]:
        covered[(r["act"], r["pilot"], r["act_id"])].append((r["code"], r["amount"]))
    priors: dict[str, list[PriorAid]] = defaultdict(list)
    for r in rows[t.prior_aid.name]:
        priors[r["event_id"]].append(PriorAid(**_dates(r, ("project_id", "event_id"))))

    def facts(table: Table) -> list[dict[str, Any]]:
        return [_dates(r) for r in rows[table.name]]

    return Plan(
        project_id=project_id,
        budget=budget,
        opinions=tuple(
            Opinion(**r, lines=tuple(eligible[(r["pilot"], r["opinion_id"])])) for r in facts(t.opinion)
        ),
        requests=tuple(
            Request(**{**r, "budget_lines": tuple(filter(None, r["budget_lines"].split(",")))})
            for r in facts(t.request)
        ),
        decisions=tuple(
            Decision(**r, lines=tuple(covered[("decision", r["pilot"], r["decision_id"])]))
            for r in facts(t.decision)
        ),
        cofunders=tuple(
            Cofunder(**r, lines=tuple(covered[("cofunder", r["pilot"], r["cofunder_line_id"])]))
            for r in facts(t.cofunder)
        ),
        commitments=tuple(Commitment(**r) for r in facts(t.commitment)),
        tranches=tuple(Tranche(**r) for r in facts(t.tranche)),
        disbursements=tuple(Disbursement(**r) for r in facts(t.disbursement)),
        recoveries=tuple(Recovery(**r) for r in facts(t.recovery)),
        acknowledgements=tuple(Acknowledgement(**r) for r in facts(t.acknowledgement)),
        declarations=tuple(
            Declaration(
                **{**r, "linked_undertakings": tuple(filter(None, r["linked_undertakings"].split(",")))},
                prior_aids=tuple(priors[r["event_id"]]),
            )
            for r in facts(t.declaration)
        ),
    )


async def refresh_judgements(conn: AsyncConnection, project_ids: Sequence[str], judge: Judge) -> None:
    """Judge each plan from all its facts and store the status and verdicts of those that changed, in a
    few statements whatever the number of projects. The facts no rule reads (requests, tranches,
    payments, recoveries) are not loaded."""
    if not project_ids:
        return
    found = await read_many(conn, [*t.JUDGED_TABLES, t.status, t.verdict], project_ids)
    changed: list[str] = []
    statuses: list[dict[str, Any]] = []
    verdicts: list[dict[str, Any]] = []
    for project_id in project_ids:
        rows = found[project_id]
        judgement = judge(plan_of(project_id, rows))
        status = _status_row(project_id, judgement)
        judged = sorted((_verdict_row(project_id, v) for v in judgement.verdicts), key=_verdict_key)
        if rows[t.status.name] == [status] and rows[t.verdict.name] == judged:
            continue
        changed.append(project_id)
        statuses.append(status)
        verdicts += judged
    for table in (t.status, t.verdict):  # only where there is something to delete: none for a new project
        held = [pid for pid in changed if found[pid][table.name]]
        for start in range(0, len(held), READ_CHUNK):
            chunk = held[start : start + READ_CHUNK]
            await conn.execute(delete(table).where(table.c.project_id.in_(chunk)))
    if statuses:
        await conn.execute(insert(t.status), statuses)
    if verdicts:
        await conn.execute(insert(t.verdict), verdicts)


def _status_row(project_id: str, judgement: Judgement) -> dict[str, Any]:
    s = judgement.summary
    return {
        "project_id": project_id,
        "status": s.status,
        "opinion": s.opinion,
        "eligible_total": s.eligible_total,
        "self_financing": s.self_financing,
        "in_kind": s.in_kind,
        "committed": s.committed,
        "cofunded": s.cofunded,
        "funded": s.funded,
    }


def _verdict_key(row: Row) -> list[Any]:
    return [row[c.name] for c in t.verdict.primary_key.columns]


def _verdict_row(project_id: str, v: Verdict) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "rule": v.rule,
        "subject": v.subject,
        "act": v.act,
        "act_event_id": v.act_event_id,
        "act_on": day(v.act_on),
        "regulation": v.regulation,
        "window_text": v.window,
        "window_from": day(v.window_from),
        "window_to": day(v.window_to),
        "limit_cents": v.limit,
        "total_cents": v.total,
        "counted": canonical_bytes([list(pair) for pair in v.counted]).decode(),
    }


async def read_verdicts(conn: AsyncConnection, project_id: str) -> tuple[Verdict, ...]:
    return tuple(
        Verdict(
            rule=r["rule"],
            subject=r["subject"],
            act=r["act"],
            act_event_id=r["act_event_id"],
            act_on=date.fromisoformat(r["act_on"]),
            window=r["window_text"],
            window_from=date.fromisoformat(r["window_from"]) if r["window_from"] else None,
            window_to=date.fromisoformat(r["window_to"]) if r["window_to"] else None,
            regulation=r["regulation"],
            limit=r["limit_cents"],
            total=r["total_cents"],
            counted=tuple((act, cents) for act, cents in json.loads(r["counted"])),
        )
        for r in (await read_rows(conn, [t.verdict], project_id))[t.verdict.name]
    )


async def read_status(conn: AsyncConnection, project_id: str) -> dict[str, Any] | None:
    rows = (await read_rows(conn, [t.status], project_id))[t.status.name]
    return {k: v for k, v in rows[0].items() if k != "project_id"} if rows else None


async def plan_digest(conn: AsyncConnection, project_id: str) -> str:
    """SHA-256 over the project's rows in every plan table, as docs/digest.md does for whole views, with
    rows ordered by primary key in Python (code point order, whatever the database's collation)."""
    found = await read_rows(conn, t.PLAN_TABLES, project_id)
    digest = hashlib.sha256()
    for name in sorted(found):
        rows = hashlib.sha256()
        for row in found[name]:
            rows.update(canonical_bytes(row) + b"\n")
        digest.update(f"{name}:{rows.hexdigest()}\n".encode())
    return digest.hexdigest()
