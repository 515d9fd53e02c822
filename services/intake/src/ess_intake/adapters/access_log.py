"""Who read a project's personal data, in intake's own database (never on the stream): every read of a
file or an attachment, by any pilot's staff, the submitter or a network, with the fields it served."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.types import format_timestamp
from ess_intake.adapters.tables import access_log


async def record(
    conn: AsyncConnection, project_id: str, reader_pilot: str, reader: str, fields: Sequence[str]
) -> None:
    await conn.execute(
        access_log.insert().values(
            read_at=format_timestamp(datetime.now(UTC)),
            reader_pilot=reader_pilot,
            reader=reader,
            project_id=project_id,
            fields=",".join(fields),
        )
    )


async def of_project(conn: AsyncConnection, project_id: str) -> list[dict[str, Any]]:
    query = select(access_log).where(access_log.c.project_id == project_id).order_by(access_log.c.entry)
    return [{**row, "fields": row["fields"].split(",")} for row in (await conn.execute(query)).mappings()]
