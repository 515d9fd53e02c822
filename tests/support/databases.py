"""Service databases for tests: a SQLite file always, and PostgreSQL when ESS_TEST_POSTGRES_URL is set
(a fresh database per test, dropped afterwards).

The database that URL names is only the door: tests connect to it to create and drop their own
`ess_test_<random>` databases and keep nothing in it, so two test runs on one server share no tables."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

POSTGRES_ENV = "ESS_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgres"]
PREFIX = "ess_test_"


def fresh_name(prefix: str = PREFIX) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def url_of_database(base: str, name: str) -> str:
    """`base` with its database replaced by `name`: the same server, user and query options."""
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def skip_unless_postgres() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL backend: set {POSTGRES_ENV} (CI sets it) to run")
    return url


@asynccontextmanager
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        await asyncio.to_thread(tmp_path.mkdir, parents=True, exist_ok=True)
        yield f"sqlite+aiosqlite:///{tmp_path / f'{uuid.uuid4().hex[:8]}.db'}"
        return
    base = skip_unless_postgres()
    name = fresh_name()
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url_of_database(base, name)
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()
