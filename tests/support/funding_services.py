"""The three pilots' funding services in this process, each with its own database, signing key and HTTP
client, on a real nats-server: the same runtime, app and routes as `python -m ess_funding`, without the
process boundary (the system tests have that). Every wait is bounded."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from nats.js import JetStreamContext

from ess_contracts import intake
from ess_contracts.codec import encode
from ess_contracts.event import new_event
from ess_contracts.signing import Signer, TrustFile, generate_seed
from ess_contracts.types import PILOTS, Pilot
from ess_core.auth import LocalIssuer
from ess_core.notify.smtp import SmtpSettings
from ess_core.service.http import build_app
from ess_core.service.migrate import upgrade
from ess_core.service.runtime import ServiceRuntime
from ess_core.service.settings import ServiceSettings
from ess_funding.bootstrap import service
from tests.support.databases import database_url
from tests.support.events import sealed_title

ROLES = ("instructor", "decider", "operator")
SIRET = "73282932000074"  # Luhn-valid; its SIREN is 732829320


@dataclass
class Funder:
    pilot: Pilot
    runtime: ServiceRuntime
    http: httpx.AsyncClient
    tokens: Mapping[str, str]

    async def act(
        self, project_id: str, kind: str, body: dict[str, Any], *, as_pilot: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[as_pilot or self.pilot]}"}
        return await self.http.post(f"/projects/{project_id}/{kind}", json=body, headers=headers)

    async def ok(self, project_id: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = await self.act(project_id, kind, body)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    async def approve(self, pending_id: str, *, by_second: bool = True) -> httpx.Response:
        """The held act approved by the pilot's second decider (or, to be refused, by the first)."""
        token = self.tokens[f"{self.pilot}-second" if by_second else self.pilot]
        headers = {"Authorization": f"Bearer {token}"}
        return await self.http.post(f"/pending-acts/{pending_id}/approval", headers=headers)

    async def plan(self, project_id: str) -> dict[str, Any] | None:
        answer = await self.http.get(f"/projects/{project_id}/plan")
        return None if answer.status_code == 404 else dict(answer.json())


@dataclass
class Funders:
    by_pilot: dict[Pilot, Funder]
    signers: dict[Pilot, Signer]
    js: JetStreamContext

    def __getitem__(self, pilot: Pilot) -> Funder:
        return self.by_pilot[pilot]

    async def submit(self, project_id: str, lines: Mapping[str, int]) -> None:
        """Intake's submission of the project (region's key), straight onto the stream."""
        event = new_event(
            submission(lines), pilot="region", service="intake", aggregate_id=project_id, sequence=1
        )
        wire = encode(event, self.signers["region"])
        await self.js.publish(wire.subject, wire.data, stream="ESS", headers=wire.headers)

    async def request_erasure(self, project_id: str) -> str:
        """Intake's erasure request for the project (region's key, after its submission): its id."""
        request_id = f"erasure-{uuid.uuid4().hex[:12]}"
        payload = intake.ProjectErasureRequested(request_id=request_id, requested_on=date.today())
        event = new_event(payload, pilot="region", service="intake", aggregate_id=project_id, sequence=2)
        wire = encode(event, self.signers["region"])
        await self.js.publish(wire.subject, wire.data, stream="ESS", headers=wire.headers)
        return request_id

    async def plans(
        self, project_id: str, until: Callable[[dict[str, Any]], bool] = lambda _: True, limit: float = 15.0
    ) -> dict[Pilot, dict[str, Any]]:
        """Each pilot's plan once all three are identical and satisfy `until`."""
        deadline = time.monotonic() + limit
        while True:
            found = {pilot: await f.plan(project_id) for pilot, f in self.by_pilot.items()}
            ready = [p for p in found.values() if p is not None and until(p)]
            if len(ready) == len(found) and len({p["digest"] for p in ready}) == 1:
                return {pilot: p for pilot, p in found.items() if p is not None}
            assert time.monotonic() < deadline, f"plans of {project_id} did not converge: {found}"
            await asyncio.sleep(0.05)


def submission(lines: Mapping[str, int]) -> intake.ProjectSubmitted:
    total = sum(lines.values())
    return intake.ProjectSubmitted(
        submitted_on=date(2024, 1, 2),  # before every act of the funding tests: no act precedes it
        channel="holder",
        organisation=intake.Organisation(siret=SIRET, legal_form="scic", department="44"),
        project=intake.ProjectDetails(
            title=sealed_title("Tiers-lieu de la Loire"),
            stage="creation_or_takeover",
            third_place=True,
            needs=("funding",),
            budget=intake.Budget(
                total=total,
                lines=tuple(intake.BudgetLine(code=c, category="staff", amount=a) for c, a in lines.items()),
            ),
            planned_jobs=3,
            start_on=date(2026, 9, 1),
        ),
    )


@asynccontextmanager
async def funding_services(
    tmp_path: Path,
    nats_url: str,
    js: JetStreamContext,
    backend: str,
    legal_holds: Mapping[Pilot, dict[str, str]] | None = None,
    smtp: SmtpSettings | None = None,
) -> AsyncIterator[Funders]:
    keys = tmp_path / "keys"
    keys.mkdir()
    seeds = {pilot: generate_seed() for pilot in PILOTS}
    trust = TrustFile(pilots={})
    for pilot, seed in seeds.items():
        (keys / f"{pilot}.seed").write_text(seed)
        trust = trust.add_key(pilot, Signer(seed).public_key, date(2026, 1, 1))
    trust.save(keys / "trust.json")
    issuer = LocalIssuer.generate()
    public_key = issuer.save(tmp_path / "auth")
    tokens = {pilot: issuer.mint(f"{pilot}-staff", pilot, ROLES) for pilot in PILOTS}
    # each pilot's second decider, another person: an acknowledged breach needs both
    tokens |= {f"{pilot}-second": issuer.mint(f"{pilot}-decider-2", pilot, ("decider",)) for pilot in PILOTS}
    funders: dict[Pilot, Funder] = {}
    async with AsyncExitStack() as stack:
        for pilot in PILOTS:
            url = await stack.enter_async_context(database_url(backend, tmp_path))
            await upgrade(url, service)
            settings = ServiceSettings(
                pilot=pilot,
                service="funding",
                database_url=url,
                nats_url=nats_url,
                signing_seed_file=keys / f"{pilot}.seed",
                trust_file=keys / "trust.json",
                checkpoint_seconds=3600,
                legal_holds=(legal_holds or {}).get(pilot, {}),
                smtp=smtp,
                public_url=f"https://{pilot}-funding.example",
            )
            runtime = service.runtime(settings)
            with pytest.MonkeyPatch.context() as env:  # the app reads its token verifier's key at build
                env.setenv("ESS_AUTH_PUBLIC_KEY_FILE", str(public_key))
                app = build_app(service, runtime)
            await runtime.start()
            stack.push_async_callback(runtime.stop)
            http = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url=f"http://{pilot}-funding",
                headers={"Authorization": f"Bearer {tokens[pilot]}"},
            )
            stack.push_async_callback(http.aclose)
            funders[pilot] = Funder(pilot, runtime, http, tokens)
        yield Funders(funders, {p: Signer(s) for p, s in seeds.items()}, js)
