from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from tests.support.natsfixtures import NatsEndpoint, provisioned_stream, running_nats

pytest_plugins = ["tests.support.timing"]  # time per suite at the end of the run; ESS_TEST_BUDGET_S fails it


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsEndpoint]:
    """A fresh NATS with JetStream: a local nats-server, or a container (ESS_TEST_NATS_BACKEND)."""
    with running_nats(tmp_path / "nats") as server:
        yield server


@pytest.fixture
def nats_url(nats_server: NatsEndpoint) -> str:
    return nats_server.url


@pytest.fixture
async def js_stream(nats_url: str) -> AsyncIterator[tuple[Client, JetStreamContext]]:
    """``(nc, js)`` with the ESS stream provisioned from deploy/stream.json."""
    async with provisioned_stream(nats_url) as pair:
        yield pair


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say plainly which backends this run used and which it could not, and why."""
    from tests.support.environment import backend_report

    terminalreporter.section("backends")
    for line in backend_report():
        terminalreporter.write_line(line)
