"""Two test runs on one machine share no state: each test's PostgreSQL database is its own (never the base
database ESS_TEST_POSTGRES_URL names, which other runs use too), its SQLite files are under its tmp_path,
and the ports of its servers stay its own even while a server is stopped."""

from __future__ import annotations

import errno
import socket
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from ess_ops.nats.natsserver import NatsServer
from tests.support.databases import PREFIX, database_url, skip_unless_postgres, url_of_database
from tests.support.natsfixtures import nats_backend, running_nats


async def scalars(url: str, sql: str) -> set[str]:
    """The first column of what `sql` answers, or nothing for a statement without rows."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            result = await conn.execute(text(sql))
            return {str(row[0]) for row in result} if result.returns_rows else set()
    finally:
        await engine.dispose()


TABLES = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
DATABASES = "SELECT datname FROM pg_database"


@pytest.mark.postgres
async def test_two_postgres_databases_at_once_are_apart_from_each_other_and_the_base_and_then_dropped(
    tmp_path: Path,
) -> None:
    base = skip_unless_postgres()
    marker = f"marker_{uuid.uuid4().hex[:8]}"
    async with database_url("postgres", tmp_path) as first, database_url("postgres", tmp_path) as second:
        names = {make_url(first).database, make_url(second).database}
        assert len(names) == 2 and make_url(base).database not in names
        assert all(str(name).startswith(PREFIX) for name in names)
        await scalars(first, f"CREATE TABLE {marker} (x int)")
        assert marker in await scalars(first, TABLES)
        assert marker not in await scalars(second, TABLES) | await scalars(base, TABLES)
    assert not names & await scalars(base, DATABASES)


def test_a_fresh_database_keeps_the_server_user_and_options_of_the_base_url() -> None:
    base = "postgresql+asyncpg://ess:p%40ss@db.local:5433/test?ssl=disable"
    assert (
        url_of_database(base, "ess_test_1")
        == "postgresql+asyncpg://ess:p%40ss@db.local:5433/ess_test_1?ssl=disable"
    )


async def test_sqlite_databases_are_distinct_files_under_the_tests_own_tmp_path(tmp_path: Path) -> None:
    async with database_url("sqlite", tmp_path) as first, database_url("sqlite", tmp_path) as second:
        files = {Path(make_url(url).database or "") for url in (first, second)}
    assert len(files) == 2 and all(tmp_path in file.parents for file in files)


def test_the_ports_of_a_stopped_nats_stay_held_from_other_runs_and_serve_it_again(tmp_path: Path) -> None:
    if nats_backend() != "local":
        pytest.skip("the local nats-server only: a container's ports are the engine's")
    with running_nats(tmp_path / "nats") as endpoint:
        assert isinstance(endpoint, NatsServer)
        server = endpoint
        server.stop()  # an outage: another run's free_port() must not be given these ports meanwhile
        for port in (server.port, server.monitor_port):
            with socket.socket() as other, pytest.raises(OSError) as refused:
                other.bind(("127.0.0.1", port))
            assert refused.value.errno == errno.EADDRINUSE
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
        server.start()  # back on the same ports, which clients already know
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
