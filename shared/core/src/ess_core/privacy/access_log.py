"""Who read personal data, in the serving service's own database (`ess_access_log`, never on the stream):
every read that served personal data or opened a sealed text, by whom (the reader's pilot and the token's
subject, an opaque id from the pilot's identity provider), about which project, which fields, when."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts.types import format_timestamp
from ess_core.messaging.schema import access_log


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
