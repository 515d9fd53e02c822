"""Fixtures of the integration tests that several modules share (each module gets its own instances)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from ess_core.service.migrate import upgrade
from tests.support.databases import BACKENDS, database_url
from tests.support.funding_services import Funders, funding_services
from tests.support.natsfixtures import NatsEndpoint, provisioned_stream, running_nats
from tests.support.pilots import Pilots


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated database of each backend, for one test."""
    async with database_url(request.param, tmp_path) as url:
        await upgrade(url)
        yield url


@pytest.fixture
def pilots() -> Pilots:
    """Three pilots' fresh signing keys and the trust store that lists them."""
    return Pilots.generate()


@pytest.fixture(scope="module", params=BACKENDS)
def backend_nats(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, NatsEndpoint]]:
    if request.param == "postgres":
        from tests.support.databases import skip_unless_postgres

        skip_unless_postgres()
    with running_nats(tmp_path_factory.mktemp(f"nats-{request.param}")) as server:
        yield request.param, server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def funders(
    backend_nats: tuple[str, NatsEndpoint], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Funders]:
    backend, server = backend_nats
    async with provisioned_stream(server.url) as (_, js):
        folder = tmp_path_factory.mktemp(f"funding-{backend}")
        async with funding_services(folder, server.url, js, backend) as trio:
            yield trio
