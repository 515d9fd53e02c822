"""An evaluation service run as a pilot runs it: `python -m ess_evaluation` in its own process, with keys,
a trust file and a token issuer made at test time (never committed). Tests talk to it over HTTP only, so
they need none of the service's code. Every wait is bounded."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from nats.js import JetStreamContext

from ess_contracts.signing import Signer, TrustFile, generate_seed
from ess_contracts.types import PILOTS, Pilot
from ess_core.auth import LocalIssuer
from ess_ops.cli.services import Child, spawn, stop_all, wait_healthy

STAFF = ("instructor", "decider", "operator", "admin")


@dataclass
class Keys:
    """Each pilot's signing seed, the trust file of their public keys, and a local token issuer."""

    root: Path
    signers: dict[Pilot, Signer]
    trust_file: Path
    issuer: LocalIssuer
    auth_key: Path

    @classmethod
    def generate(cls, root: Path) -> Keys:
        root.mkdir(parents=True, exist_ok=True)
        signers: dict[Pilot, Signer] = {}
        trust = TrustFile(pilots={})
        for pilot in PILOTS:
            seed = generate_seed()
            (root / f"{pilot}.seed").write_text(seed)
            signers[pilot] = Signer(seed)
            trust = trust.add_key(pilot, signers[pilot].public_key, date(2026, 1, 1))
        trust.save(root / "trust.json")
        issuer = LocalIssuer.generate()
        return cls(root, signers, root / "trust.json", issuer, issuer.save(root / "auth"))

    def token(self, pilot: str, roles: tuple[str, ...] = STAFF) -> str:
        return self.issuer.mint(f"tester-{pilot}", pilot, roles)


@dataclass
class EvaluationProcess:
    pilot: Pilot
    child: Child
    keys: Keys

    @property
    def url(self) -> str:
        return self.child.http_url

    def client(self, token_pilot: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.keys.token(token_pilot or self.pilot)}"}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30)

    async def status(self) -> dict[str, Any]:
        async with self.client() as client:
            response = await client.get("/status")
            response.raise_for_status()
            return dict(response.json())

    async def settle(self, js: JetStreamContext) -> dict[str, Any]:
        """Until the outbox is empty and everything now on the stream is applied (bounded)."""
        for _ in range(100):
            status = await self.status()
            last = (await js.stream_info("ESS")).state.last_seq
            if status["outbox_backlog"] == 0 and status["applied_position"] >= last:
                return status
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.pilot}-evaluation did not settle: {status}, stream at {last}")


@contextmanager
def evaluation_service(
    keys: Keys, pilot: Pilot, nats_url: str, database_url: str, work: Path
) -> Iterator[EvaluationProcess]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESS_")} | {
        "PYTHONUNBUFFERED": "1",
        "ESS_PILOT": pilot,
        "ESS_DATABASE_URL": database_url,
        "ESS_NATS_URL": nats_url,
        "ESS_SIGNING_SEED_FILE": str(keys.root / f"{pilot}.seed"),
        "ESS_TRUST_FILE": str(keys.trust_file),
        "ESS_AUTH_PUBLIC_KEY_FILE": str(keys.auth_key),
    }
    child = spawn(pilot, "evaluation", database_url, work / f"{pilot}-evaluation.log", env)
    try:
        exited, pending = wait_healthy([child], timeout=60, stopping=lambda: False)
        if exited or pending:
            raise RuntimeError(f"{pilot}-evaluation did not start: {child.describe_exit('at start')}")
        yield EvaluationProcess(pilot, child, keys)
    finally:
        stop_all([child])
