"""Service databases for tests: a SQLite file always, and PostgreSQL when ESS_TEST_POSTGRES_URL is set
(a fresh database per test, dropped afterwards)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

POSTGRES_ENV = "ESS_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgres"]


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
    name = f"ess_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
