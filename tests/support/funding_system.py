"""The three pilots' funding services as separate processes (`python -m ess_funding`, as `ess up` starts
them) on one nats-server that a test may stop and start again: a partition in which every pilot acts
without seeing the others. bdt's service keeps its database in PostgreSQL when ESS_TEST_POSTGRES_URL is
set, the others in SQLite files, so the byte-identical plans are compared across both databases.

Built on tests/support/deployment.py (keys, trust file, tokens, child launcher). Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from ess_contracts.codec import encode
from ess_contracts.event import new_event
from ess_contracts.types import PILOTS
from ess_ops.cli.services import spawn, stop_all
from tests.support.databases import POSTGRES_ENV
from tests.support.deployment import Deployment, deployment
from tests.support.funding_services import submission


@dataclass
class FundingSystem:
    system: Deployment
    databases: dict[str, str]

    def start(self, *pilots: str, wait: float = 60.0) -> None:
        """Start pilots' funding services at once, as Deployment.start does, each on its database."""
        children = []
        for pilot in pilots:
            port = self.system.port((pilot, "funding"))
            state = self.system.state
            env = state.service_env(pilot, "funding", self.system.nats.url, self.system.auth_key)
            env["ESS_DATABASE_URL"] = self.databases[pilot]
            log = state.log(pilot, "funding")
            child = spawn(pilot, "funding", env["ESS_DATABASE_URL"], log, env, port=port)
            self.system.children[(pilot, "funding")] = child
            children.append(child)
        deadline = time.monotonic() + wait
        while waiting := [child for child in children if not child.healthy()]:
            for child in waiting:
                assert child.exited() is None, child.describe_exit("at start")
            assert time.monotonic() < deadline, f"{waiting[0].name} not healthy after {wait} s"
            time.sleep(0.05)

    def client(self, pilot: str, token_pilot: str | None = None) -> httpx.Client:
        token = self.system.state.token(token_pilot or pilot).read_text().strip()
        url = self.system.children[(pilot, "funding")].http_url
        return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def act(
        self, pilot: str, pid: str, kind: str, body: Mapping[str, Any], token_pilot: str | None = None
    ) -> httpx.Response:
        with self.client(pilot, token_pilot) as client:
            return client.post(f"/projects/{pid}/{kind}", json=dict(body))

    def approve(self, pilot: str, pending_id: str) -> dict[str, Any]:
        """The held act approved by the pilot's second decider (`ess up` mints that person's token)."""
        with self.client(pilot, f"{pilot}-second-decider") as client:
            answer = client.post(f"/pending-acts/{pending_id}/approval")
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def ok(self, pilot: str, pid: str, kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
        answer = self.act(pilot, pid, kind, body)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def submit(self, pid: str, lines: Mapping[str, int]) -> None:
        """Intake's submission (region's key), published as region's intake service would."""

        async def publish() -> None:
            event = new_event(
                submission(lines), pilot="region", service="intake", aggregate_id=pid, sequence=1
            )
            wire = encode(event, self.system.signers["region"])
            nc = await nats.connect(self.system.nats.url)
            try:
                await nc.jetstream().publish(wire.subject, wire.data, stream="ESS", headers=wire.headers)
            finally:
                await nc.close()

        asyncio.run(publish())

    def plans(
        self, pid: str, until: Callable[[dict[str, Any]], bool] = lambda _: True, limit: float = 30.0
    ) -> dict[str, bytes]:
        """Each pilot's plan, as the bytes its service answers, once all three are the same bytes and
        satisfy `until`."""
        deadline = time.monotonic() + limit
        found: dict[str, bytes] = {}
        while True:
            for pilot in PILOTS:
                with self.client(pilot) as client:
                    answer = client.get(f"/projects/{pid}/plan")
                found[pilot] = answer.content if answer.status_code == 200 else b""
            if all(found.values()) and len(set(found.values())) == 1 and until(json.loads(found["region"])):
                return found
            assert time.monotonic() < deadline, f"plans of {pid} did not converge: {found}"
            time.sleep(0.1)


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database for one service process, or None when ESS_TEST_POSTGRES_URL is unset."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        yield None
        return
    name = f"ess_funding_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def funding_system(root: Path) -> Iterator[FundingSystem]:
    with deployment(root) as system, postgres_database() as bdt_database:
        databases = {pilot: system.database_url(pilot, "funding") for pilot in PILOTS}
        if bdt_database is not None:
            databases["bdt"] = bdt_database
        running = FundingSystem(system, databases)
        try:
            running.start(*PILOTS)
            yield running
        finally:
            stop_all(list(system.children.values()))
            system.children.clear()
