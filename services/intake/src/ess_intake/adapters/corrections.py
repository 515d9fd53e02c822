"""Correction requests: the fields and reasons travel; the instructor's remark stays here."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_intake.adapters.tables import correction_request
from ess_intake.domain.requests import CorrectionRequestInput


async def add(
    conn: AsyncConnection, request_id: str, project_id: str, body: CorrectionRequestInput, by: str, on: str
) -> None:
    row = {
        "request_id": request_id,
        "project_id": project_id,
        "requested_on": on,
        "requested_by": by,
        "fields": ",".join(body.fields),
        "reasons": ",".join(body.reasons),
        "remark": body.remark,
        "answer_by": body.answer_by.isoformat() if body.answer_by else None,
    }
    await conn.execute(insert(correction_request).values(row))


async def mark_answered(conn: AsyncConnection, request_id: str, on: str) -> None:
    stmt = update(correction_request).where(correction_request.c.request_id == request_id)
    await conn.execute(stmt.values(answered_on=on))


async def of_project(conn: AsyncConnection, project_id: str) -> list[dict[str, object]]:
    query = (
        select(correction_request)
        .where(correction_request.c.project_id == project_id)
        .order_by(correction_request.c.requested_on, correction_request.c.request_id)
    )
    rows = (await conn.execute(query)).mappings()
    return [{**r, "fields": r["fields"].split(","), "reasons": r["reasons"].split(",")} for r in rows]
