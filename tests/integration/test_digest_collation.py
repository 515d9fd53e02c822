"""A pilot whose PostgreSQL was created with a language collation (en_US, ICU) computes the same table
digest as a pilot on SQLite: rows are ordered by the bytes of their keys, not by the database's rules."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, MetaData, String, Table

from ess_core.messaging.db import make_engine
from ess_core.messaging.digests import table_digest
from tests.support.databases import database_url

KEYS = ["a", "B", "é", "Z", "_x", "ab", "A b"]  # an English collation orders these unlike their bytes


def keyed_table(collation: str | None) -> Table:
    return Table("keyed", MetaData(), Column("k", String(40, collation=collation), primary_key=True))


async def digest_on(backend: str, tmp_path: Path) -> str:
    async with database_url(backend, tmp_path / backend) as url:
        table = keyed_table("en-x-icu" if backend == "postgres" else None)
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(table.metadata.create_all)
                await conn.execute(table.insert(), [{"k": key} for key in KEYS])
                return await table_digest(conn, table)
        finally:
            await engine.dispose()


async def test_a_language_collation_does_not_change_the_digest(tmp_path: Path) -> None:
    assert await digest_on("postgres", tmp_path) == await digest_on("sqlite", tmp_path)
