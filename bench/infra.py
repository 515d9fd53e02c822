"""What every benchmark stands on: a real nats-server with the ESS stream, and a fresh database per run
(a SQLite file, or a PostgreSQL database created and dropped around the run), migrated like a service's."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.events import Wire
from ess_contracts.subjects import STREAM
from ess_core.service.migrate import upgrade
from ess_ops.nats.natsserver import NatsServer
from ess_ops.nats.provision import default_stream_config_path, load_stream_config, provision

POSTGRES_ENV = "ESS_BENCH_POSTGRES_URL"
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PUBLISH_WINDOW = 2000


def postgres_base() -> str | None:
    """The admin URL to create bench databases from; an empty ESS_BENCH_POSTGRES_URL turns PostgreSQL off."""
    return os.environ.get(POSTGRES_ENV, DEFAULT_POSTGRES) or None


async def postgres_available() -> str | None:
    base = postgres_base()
    if base is None:
        return None
    engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return None
    except Exception as error:  # unreachable server, refused login: say so in the report
        return f"{type(error).__name__}: {error}"
    finally:
        await engine.dispose()


@asynccontextmanager
async def database(backend: str, work: Path, *, migrate: bool = True) -> AsyncIterator[str]:
    """A fresh database for one run, migrated unless a service will (`migrate=False`); dropped
    (PostgreSQL) or deleted with `work` afterwards."""
    if backend == "sqlite":
        path = work / f"bench-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite+aiosqlite:///{path}"
        if migrate:
            await upgrade(url)
        try:
            yield url
        finally:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{path}{suffix}")
        return
    base = postgres_base()
    assert base is not None
    name = f"ess_bench_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.rsplit("/", 1)[0] + f"/{name}"
        if migrate:
            await upgrade(url)
        yield url
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


class _LoadingServer(NatsServer):
    """The same server without `sync_interval: always`, only to load a corpus fast before a replay: the
    stream's bytes are the same, and the replay itself runs on a server with the deployed config."""

    def config_text(self) -> str:
        return super().config_text().replace("  sync_interval: always\n", "")


class Broker:
    """A nats-server on free loopback ports with a temp store, and the ESS stream from deploy/stream.json."""

    def __init__(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="ess-bench-nats-"))
        self.server = NatsServer(self.work / "serve", store_dir=self.work / "store")

    @property
    def url(self) -> str:
        return self.server.url

    async def __aenter__(self) -> Broker:
        self.server.start()
        nc, js = await connect(self.url)
        try:
            await provision(js, load_stream_config(default_stream_config_path()))
        finally:
            await nc.close()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        shutil.rmtree(self.work, ignore_errors=True)

    async def load(self, messages: Sequence[Wire]) -> int:
        """Put `messages` on the stream through a loading server on the same store, then serve them with the
        deployed config again. Returns the last stream sequence."""
        self.server.stop()
        loader = _LoadingServer(self.work / "load", store_dir=self.work / "store")
        loader.start()
        try:
            last = await publish_corpus(loader.url, messages)
        finally:
            loader.stop()
        self.server.start()
        return last


async def connect(url: str) -> tuple[Client, JetStreamContext]:
    nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=0)
    return nc, nc.jetstream()


async def publish_corpus(url: str, messages: Sequence[Wire]) -> int:
    """Load the stream, pipelined; returns the last stream sequence."""
    nc, js = await connect(url)
    last = 0
    try:
        for start in range(0, len(messages), PUBLISH_WINDOW):
            futures = [
                await js.publish_async(subject, data, stream=STREAM, headers=dict(headers))
                for subject, data, headers in messages[start : start + PUBLISH_WINDOW]
            ]
            acks = await asyncio.wait_for(asyncio.gather(*futures), 30)
            last = max(last, *(a.seq for a in acks))
    finally:
        await nc.close()
    return last


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


async def timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = await work()
    return time.perf_counter() - start, result
