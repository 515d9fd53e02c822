"""The intake service in process, as `ess up` runs it (migrations, runtime, FastAPI app), driven over
httpx's ASGI transport with tokens of a local issuer. With `start`, the relay publishes to a real
nats-server and the projection folds the stream back; without, acts still commit to the database."""

from __future__ import annotations

import asyncio
import io
import os
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from nats.js import JetStreamContext
from sqlalchemy import func, select

from ess_contracts.signing import Signer, TrustFile, generate_seed
from ess_contracts.types import PILOTS
from ess_core.auth import LocalIssuer, LocalVerifier
from ess_core.messaging.reader import read_stream
from ess_core.messaging.schema import outbox
from ess_core.notify.smtp import SmtpSettings
from ess_core.service.http import build_app
from ess_core.service.migrate import upgrade
from ess_core.service.runtime import ServiceRuntime
from ess_core.service.settings import ServiceSettings
from ess_intake.bootstrap import build_service
from ess_intake.config import DsConfig, IntakeConfig


@dataclass
class Clock:
    """The service's idea of today, moved by tests."""

    today: date = date(2026, 3, 2)

    def __call__(self) -> date:
        return self.today


@dataclass
class IntakeService:
    app: FastAPI
    runtime: ServiceRuntime
    issuer: LocalIssuer
    clock: Clock
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def token(
        self, roles: Iterable[str] = ("admin",), pilot: str = "region", subject: str = "staff-1"
    ) -> str:
        return self.issuer.mint(subject, pilot, roles)

    def client(
        self,
        roles: Iterable[str] = ("admin",),
        pilot: str = "region",
        subject: str = "staff-1",
        *,
        token: bool = True,
    ) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.token(roles, pilot, subject)}"} if token else {}
        transport = httpx.ASGITransport(app=self.app)
        client = httpx.AsyncClient(
            transport=transport, base_url="http://intake", headers=headers, timeout=120
        )
        self.clients.append(client)
        return client

    async def backlog(self) -> int:
        async with self.runtime.engine.connect() as conn:
            query = select(func.count()).select_from(outbox).where(outbox.c.stream_seq.is_(None))
            return (await conn.scalar(query)) or 0

    async def published(self, limit: float = 30.0) -> None:
        """Wait (bounded) until the relay has published every outbox row."""
        deadline = time.monotonic() + limit
        while await self.backlog():
            assert time.monotonic() < deadline, "the relay did not publish the outbox in time"
            await asyncio.sleep(0.05)


def write_keys(directory: Path) -> tuple[Path, Path]:
    """Signing seeds for every pilot and their trust file; returns (region's seed file, trust file)."""
    directory.mkdir(parents=True, exist_ok=True)
    trust = TrustFile(pilots={})
    for pilot in PILOTS:
        seed = generate_seed()
        (directory / f"{pilot}.seed").write_text(seed)
        trust = trust.add_key(pilot, Signer(seed).public_key, date(2026, 1, 1))
    trust.save(directory / "trust.json")
    return directory / "region.seed", directory / "trust.json"


@asynccontextmanager
async def intake_service(
    database_url: str,
    tmp_path: Path,
    nats_url: str = "nats://127.0.0.1:1",
    *,
    start: bool = False,
    clock: Clock | None = None,
    delay_days: int = 30,
    retention_days: int = 365,
    link_keys: tuple[bytes, ...] = (b"test link key",),
    smtp: SmtpSettings | None = None,
    public_url: str | None = None,
    webhooks_file: Path | None = None,
    templates_dir: Path | None = None,
    ds: DsConfig | None = None,
) -> AsyncIterator[IntakeService]:
    seed_file, trust_file = write_keys(tmp_path / "keys")
    settings = ServiceSettings(
        pilot="region",
        service="intake",
        database_url=database_url,
        nats_url=nats_url,
        signing_seed_file=seed_file,
        trust_file=trust_file,
        checkpoint_seconds=3600,  # checkpoints are the harness's business, not these tests'
        smtp=smtp,
        webhooks_file=webhooks_file,
        notice_templates_dir=templates_dir,
    )
    clock = clock or Clock()
    config = IntakeConfig(
        link_keys,
        orientation_delay_days=delay_days,
        contact_retention_days=retention_days,
        public_url=public_url,
        ds=ds,
    )
    spec = build_service(config, clock)
    await upgrade(database_url, spec)
    runtime = spec.runtime(settings)
    issuer = LocalIssuer.generate()
    app = _app(spec, runtime, issuer, tmp_path)
    service = IntakeService(app, runtime, issuer, clock)
    before = set(asyncio.all_tasks())  # the test's own: those the service leaves are its to end
    if start:
        await runtime.start()
    try:
        yield service
    finally:
        for client in service.clients:
            await client.aclose()
        if start:
            await stop(runtime, before=before)
        else:
            await runtime.engine.dispose()


async def stop(
    runtime: ServiceRuntime, limit: float = 30.0, before: set[asyncio.Task[Any]] | None = None
) -> None:
    """`runtime.stop()`, after making sure its tasks did end, within `limit` seconds or a TimeoutError
    naming what still runs. On Python 3.11, `asyncio.wait_for` swallows a cancellation that arrives as
    the awaited event fires (a relay nudged by the last act): the relay and checkpoint loops then never
    stop and `runtime.stop()` would wait forever. So cancel until they are done."""
    tasks = list(runtime._tasks.values())  # the harness's own tasks: nothing public lists them
    for _ in range(100):
        pending = [t for t in tasks if not t.done()]
        if not pending:
            break
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=0.05)
    stopping = asyncio.ensure_future(runtime.stop())
    done, _ = await asyncio.wait([stopping], timeout=limit)
    if not done:
        raise TimeoutError(f"runtime.stop() still running after {limit} s:\n{_stacks()}")
    stopping.result()
    if before is not None:
        await no_task_left_behind(before)


async def no_task_left_behind(before: set[asyncio.Task[Any]], limit: float = 10.0) -> None:
    """Tasks the service started and did not end would hang the event loop's close (it cancels them and
    waits without a limit): cancel them here, within `limit`, or fail naming them with their stacks."""
    left = [t for t in asyncio.all_tasks() - before if t is not asyncio.current_task() and not t.done()]
    for task in left:
        task.cancel()
    if left:
        _, pending = await asyncio.wait(left, timeout=limit)
        if pending:
            raise TimeoutError(f"tasks still running {limit} s after the stop:\n{_stacks()}")


def _stacks() -> str:
    out = io.StringIO()
    for task in asyncio.all_tasks():
        print(f"--- {task.get_name()}", file=out)
        task.print_stack(limit=12, file=out)
    return out.getvalue()


def _app(spec: object, runtime: ServiceRuntime, issuer: LocalIssuer, tmp_path: Path) -> FastAPI:
    """`build_app` reads the verifier from the environment: give it a key file, then set ours."""
    key_file = tmp_path / "issuer.pub.pem"
    key_file.write_bytes(issuer.public_key_pem)
    before = os.environ.get("ESS_AUTH_PUBLIC_KEY_FILE")
    os.environ["ESS_AUTH_PUBLIC_KEY_FILE"] = str(key_file)
    try:
        app = build_app(spec, runtime)  # type: ignore[arg-type]
    finally:
        if before is None:
            os.environ.pop("ESS_AUTH_PUBLIC_KEY_FILE", None)
        else:
            os.environ["ESS_AUTH_PUBLIC_KEY_FILE"] = before
    app.state.verifier = LocalVerifier(issuer.public_key_pem)
    return app


async def stream_messages(
    js: JetStreamContext, subject: str = "ess.>"
) -> list[tuple[str, bytes, dict[str, str]]]:
    """Every message on the ESS stream under `subject`, read by direct get."""
    return [(m.subject, m.data, m.headers) async for m in read_stream(js, subject)]


async def subject_counts(js: JetStreamContext, subject: str) -> dict[str, int]:
    info = await js.stream_info("ESS", subjects_filter=subject)
    return dict(info.state.subjects or {})
