"""`ess up --demo`: the demo loaded through the services' own HTTP APIs, as the run's local people, once
every service is healthy. Fast (a few seconds on two cores) and idempotent: a second run on the same
state dir finds what the first recorded and adds nothing."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from ess_ops.demo import catchup, evaluation, funding, intake
from ess_ops.demo.client import Api, DemoError, bounded
from ess_ops.demo.intake import Submitted
from ess_ops.demo.projects import check

DEMO_FILE = "demo.json"  # in the state dir: what was loaded, with the project ids


@dataclass(frozen=True)
class Run:
    urls: Mapping[tuple[str, str], str]
    tokens: Mapping[str, Path]  # `<pilot>-<who>` -> its token file
    nats_url: str
    observer_seed: Path
    stream: str
    state_dir: Path


@dataclass(frozen=True)
class Summary:
    seconds: float
    networks_new: int
    submitted: list[Submitted]
    orientations: tuple[int, int]
    funding: funding.Outcome
    evaluation: evaluation.Done

    def as_dict(self) -> dict[str, Any]:
        return {
            "loaded_on": utc_today().isoformat(),
            "seconds": round(self.seconds, 1),
            "projects": {s.project.key: s.project_id for s in self.submitted},
            "projects_new": sum(s.new for s in self.submitted),
            "networks_new": self.networks_new,
            "orientations_answered": list(self.orientations),
            "funding_acts": self.funding.acts,
            "over_funding": self.funding.over_funding,
            "de_minimis": self.funding.de_minimis,
            "strategy_loaded": self.evaluation.strategy_loaded,
            "reviews": self.evaluation.reviews,
            "session": self.evaluation.session,
        }


class DemoStopped(Exception):
    """Ctrl-C (or SIGTERM) came during the load: it stopped between two calls."""


def utc_today() -> date:
    """The services' day (intake dates a submission by UTC): no act dated before its submission."""
    return datetime.now(UTC).date()


def load(run: Run, say: Callable[[str], None], stopped: Callable[[], bool]) -> Summary:
    """Load the demo; raises DemoError naming the call that failed, DemoStopped once `stopped()`."""
    check()
    started = time.monotonic()
    tokens = {stem: path.read_text(encoding="utf-8").strip() for stem, path in run.tokens.items()}
    summary = asyncio.run(_stoppable(_load(run, tokens, say, started), stopped))
    (run.state_dir / DEMO_FILE).write_text(json.dumps(summary.as_dict(), indent=1, ensure_ascii=False) + "\n")
    return summary


async def _stoppable(work: Coroutine[Any, Any, Summary], stopped: Callable[[], bool]) -> Summary:
    """`work`, cancelled within a tenth of a second of `stopped()` (signals only set a flag in `ess up`)."""
    task = asyncio.create_task(work)
    while not task.done():
        if stopped():
            task.cancel()
            await asyncio.wait({task})  # its calls end and the client closes before `ess up` stops
            raise DemoStopped()
        await asyncio.wait({task}, timeout=0.1)
    return task.result()


async def _load(run: Run, tokens: dict[str, str], say: Callable[[str], None], started: float) -> Summary:
    today = utc_today()
    async with httpx.AsyncClient(timeout=30.0) as client:
        api = Api(client, run.urls, tokens)
        await catchup.published(api, run.urls)
        seq = await catchup.last_event_seq(run.nats_url, run.observer_seed, run.stream)
        await catchup.caught_up(api, run.urls, seq)
        loaded, networks_new = await asyncio.gather(evaluation.strategy(api), intake.networks(api))
        submitted = await intake.projects(api, today)
        say(f"demo         {len(submitted)} projects at region-intake ({sum(s.new for s in submitted)} new)")
        orientations = await intake.answer_orientations(api, submitted)
        outcome = await _fund(api, submitted, today)
        say(f"demo         {outcome.acts} funding acts recorded by the three pilots")
        reviews = await evaluation.reviews(api, submitted, today)
        session = await evaluation.session(api, today)
    done = evaluation.Done(loaded, reviews, session)
    return Summary(time.monotonic() - started, networks_new, submitted, orientations, outcome, done)


async def _fund(api: Api, submitted: list[Submitted], today: date) -> funding.Outcome:
    outcome = funding.Outcome()
    special = {s.project.special: s for s in submitted if s.project.special}
    ordinary = [s for s in submitted if s.project.grants and not s.project.special]
    if set(special) != {"over_funding", "de_minimis"}:
        raise DemoError(f"the demo's special projects are missing: {sorted(special)}")
    counts, *_ = await asyncio.gather(
        bounded(4, [funding.fund(api, s, today) for s in ordinary]),
        funding.over_fund(api, special["over_funding"], today, outcome),
        funding.refuse_de_minimis(api, special["de_minimis"], today, outcome),
    )
    outcome.acts += sum(counts)
    return outcome
