"""The migrations and the tables in code describe the same schema, for every service, on both backends:
a table added without its migration (or the reverse) fails here, not at a pilot's start-up."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ess_core.messaging.db import make_engine
from ess_core.messaging.schema import metadata as shared_metadata
from ess_core.service.migrate import upgrade
from tests.support.databases import BACKENDS, database_url


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("service", ["intake", "funding", "evaluation"])
async def test_migrated_schema_equals_the_tables_in_code(service: str, backend: str, tmp_path: Path) -> None:
    spec = importlib.import_module(f"ess_{service}.bootstrap").service
    async with database_url(backend, tmp_path) as url:
        await upgrade(url, spec)
        await upgrade(url, spec)  # a second start changes nothing
        engine = make_engine(url)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), [shared_metadata, spec.metadata])
            )
        await engine.dispose()
    assert diff == []
