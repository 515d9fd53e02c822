"""Projects in intake's tables: the current dossier, its private part, its files and its status."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_intake.adapters.tables import attachment, contact, orientation, private, project
from ess_intake.domain.errors import NotFound
from ess_intake.domain.files import AttachmentUpload
from ess_intake.domain.records import ProjectState, PublicRecord
from ess_intake.domain.submission import ContactInput
from ess_intake.domain.titles import duplicate_key


def hashed_duplicate_key(siret: str | None, title: str) -> str | None:
    key = duplicate_key(siret, title)
    return hashlib.sha256(key.encode()).hexdigest() if key is not None else None


@dataclass(frozen=True)
class Private:
    """What stays in intake besides the contact: the organisation's name, the description, labels."""

    organisation_name: str
    description: str
    budget_labels: Mapping[str, str]

    def row(self) -> dict[str, object]:
        labels = json.dumps(dict(self.budget_labels), ensure_ascii=False, sort_keys=True)
        return {
            "organisation_name": self.organisation_name,
            "description": self.description,
            "budget_labels": labels,
        }


# Built once: building a statement (and its cache key) cost about as much as running it on the submit path.
_DUPLICATE = select(project.c.project_id).where(project.c.duplicate_key == bindparam("key"))
_INSERT_PROJECT, _INSERT_PRIVATE, _INSERT_CONTACT = insert(project), insert(private), insert(contact)


async def find_open_duplicate(
    conn: AsyncConnection, siret: str | None, title: str, exclude: str | None = None
) -> str | None:
    key = hashed_duplicate_key(siret, title)
    if key is None:
        return None
    if exclude is None:
        return await conn.scalar(_DUPLICATE, {"key": key})
    query = select(project.c.project_id).where(project.c.duplicate_key == key)
    return await conn.scalar(query.where(project.c.project_id != exclude))


async def insert_project(
    conn: AsyncConnection, values: Mapping[str, object], record: PublicRecord, title: str
) -> None:
    await conn.execute(_INSERT_PROJECT, {**values, **_record_columns(record, title)})


async def replace_dossier(
    conn: AsyncConnection, project_id: str, record: PublicRecord, title: str, **values: object
) -> None:
    await update_project(conn, project_id, **_record_columns(record, title), **values)


def _record_columns(record: PublicRecord, title: str) -> dict[str, object]:
    """The record as the bus knows it (its title sealed) and the duplicate key from the title in clear."""
    return {
        "record": record.model_dump_json(),
        "siret": record.organisation.siret,
        "department": record.organisation.department,
        "duplicate_key": hashed_duplicate_key(record.organisation.siret, title),
    }


async def update_project(conn: AsyncConnection, project_id: str, **values: object) -> None:
    await conn.execute(update(project).where(project.c.project_id == project_id).values(**values))


async def save_private(
    conn: AsyncConnection, project_id: str, data: Private, person: ContactInput, *, new: bool = False
) -> None:
    """Insert, or replace, the private part and the contact (a correction rewrites both whole)."""
    for table in () if new else (private, contact):
        await conn.execute(delete(table).where(table.c.project_id == project_id))
    await conn.execute(_INSERT_PRIVATE, {"project_id": project_id, **data.row()})
    person_row = {"name": person.name, "email": person.email, "phone": person.phone, "erased_on": None}
    await conn.execute(_INSERT_CONTACT, {"project_id": project_id, **person_row})


async def add_files(conn: AsyncConnection, project_id: str, files: tuple[AttachmentUpload, ...]) -> None:
    if not files:
        return
    rows = [
        {
            "project_id": project_id,
            "sha256": f.sha256,
            "file_name": f.file_name,
            "kind": f.kind,
            "media_type": f.media_type,
            "size_bytes": len(f.content),
            "content": f.content,
        }
        for f in files
    ]
    await conn.execute(insert(attachment), rows)


async def remove_files(conn: AsyncConnection, project_id: str, hashes: tuple[str, ...]) -> None:
    if hashes:
        key = (attachment.c.project_id == project_id) & attachment.c.sha256.in_(hashes)
        await conn.execute(delete(attachment).where(key))


async def load(conn: AsyncConnection, project_id: str, *, for_update: bool = False) -> ProjectState:
    """The project's state; `for_update` locks its row (PostgreSQL) so acts on one project queue up
    and each allocates the next event sequence in turn. SQLite's writer lock already serialises them."""
    query = select(project).where(project.c.project_id == project_id)
    row = (await conn.execute(query.with_for_update() if for_update else query)).first()
    if row is None:
        raise NotFound(f"no project {project_id}")
    oriented = await conn.scalars(
        select(orientation.c.network_id).where(orientation.c.project_id == project_id)
    )
    return ProjectState(
        project_id=row.project_id,
        status=row.status,
        submitted_by=row.submitted_by,
        record=PublicRecord.model_validate_json(row.record),
        eligible=row.eligible,
        pending_request=row.pending_request,
        oriented_to=frozenset(oriented),
    )


def day(value: date) -> str:
    return value.isoformat()
