"""Reads of one project's file across intake's tables, for the read side of the service layer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_intake.adapters.tables import attachment, contact, private, project
from ess_intake.domain.errors import NotFound


@dataclass(frozen=True)
class FileRows:
    project: RowMapping
    private: RowMapping
    contact: RowMapping
    attachments: list[RowMapping]

    @property
    def labels(self) -> dict[str, str]:
        labels: dict[str, str] = json.loads(self.private["budget_labels"])
        return labels


async def project_row(conn: AsyncConnection, project_id: str) -> RowMapping:
    row = (await conn.execute(select(project).where(project.c.project_id == project_id))).mappings().first()
    if row is None:
        raise NotFound(f"no project {project_id}")
    return row


async def file_rows(conn: AsyncConnection, project_id: str) -> FileRows:
    main = await project_row(conn, project_id)
    query_private = select(private).where(private.c.project_id == project_id)
    query_contact = select(contact).where(contact.c.project_id == project_id)
    files = select(*[c for c in attachment.columns if c.name != "content"]).where(
        attachment.c.project_id == project_id
    )
    return FileRows(
        project=main,
        private=(await conn.execute(query_private)).mappings().one(),
        contact=(await conn.execute(query_contact)).mappings().one(),
        attachments=list((await conn.execute(files.order_by(attachment.c.file_name))).mappings()),
    )


async def file_content(conn: AsyncConnection, project_id: str, sha256: str) -> Any:
    key = (attachment.c.project_id == project_id) & (attachment.c.sha256 == sha256)
    query = select(attachment.c.content, attachment.c.media_type, attachment.c.file_name).where(key)
    row = (await conn.execute(query)).first()
    if row is None:
        raise NotFound(f"project {project_id} has no attachment {sha256}")
    return row
