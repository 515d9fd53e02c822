"""The evaluation acts: define the strategy, record a measure, a review or a session, publish a report.

Each act checks its rule against this service's view (the same domain code the reports run), then writes
its events through the outbox in one transaction. A refusal is a `Refused` with the HTTP status it maps
to and a sentence naming what was refused and why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts import evaluation as ev
from ess_contracts.catalogue import CATALOGUE_VERSION
from ess_contracts.event import Event, new_event_id
from ess_core.messaging.digests import view_digest
from ess_core.messaging.view_idiom import View
from ess_core.refusals import Forbidden, NotFound, Refused
from ess_core.service.unit_of_work import ActHarness, retried
from ess_evaluation.adapters import queries
from ess_evaluation.domain.derivations import UnknownDerivation, check_derivation
from ess_evaluation.domain.sessions import Session, SessionItem, SessionRefused, check_session
from ess_evaluation.domain.strategy import NotLeadPilot, check_lead
from ess_evaluation.service_layer import reporting


@dataclass(frozen=True)
class ReviewDraft:
    """A follow-up review as staff wrote it: the remark is sealed inside the act's transaction."""

    milestone_months: int
    reviewed_on: date
    still_operating: bool
    jobs_created: int
    jobs_kept: int
    remark: str = ""


@dataclass(frozen=True)
class MeasureDraft:
    period_start: date
    period_end: date
    value: int
    source: ev.MeasureSource
    scale: int = 0
    remark: str = ""
    measure_id: str | None = None
    recorded_on: date | None = None


@dataclass(frozen=True)
class Published:
    event: Event
    payload: ev.ReportPublished


T = TypeVar("T")


class Acts:
    def __init__(self, runtime: ActHarness, pilot: str, today: Callable[[], date] = date.today) -> None:
        self.runtime = runtime
        self.pilot = pilot
        self.today = today

    async def define_strategy(
        self, actions: Sequence[ev.ActionDefined], indicators: Sequence[ev.IndicatorDefined]
    ) -> list[Event]:
        async def act(conn: AsyncConnection) -> list[Event]:
            known = set(await queries.actions(conn)) | {a.code for a in actions}
            for indicator in indicators:
                _check_indicator(indicator, known)
            events: list[Event] = []
            for code, payload in [*((a.code, a) for a in actions), *((i.code, i) for i in indicators)]:
                events += await self.runtime.outbox.record(conn, code, [payload])
            return events

        return await self._in_transaction(act)

    async def record_measure(self, indicator_code: str, draft: MeasureDraft) -> Event:
        async def act(conn: AsyncConnection) -> Event:
            indicator = (await queries.indicators(conn)).get(indicator_code)
            if indicator is None:
                raise NotFound(f"no indicator {indicator_code} is defined")
            if indicator.source != "measured" or indicator.action_code is None:
                raise Refused(f"indicator {indicator_code} is derived from the stream; nobody records it")
            action = (await queries.actions(conn)).get(indicator.action_code)
            if action is None:
                raise Refused(
                    f"indicator {indicator_code} belongs to action {indicator.action_code}, not defined"
                )
            try:
                check_lead(action, self.pilot)
            except NotLeadPilot as e:
                raise Forbidden(str(e), action_code=e.action_code, lead_pilots=list(e.lead_pilots)) from e
            payload = ev.IndicatorMeasureRecorded(
                measure_id=draft.measure_id or new_event_id(),
                indicator_code=indicator_code,
                action_code=action.code,
                recorded_on=draft.recorded_on or self.today(),
                period_start=draft.period_start,
                period_end=draft.period_end,
                value=draft.value,
                scale=draft.scale,
                source=draft.source,
                remark=draft.remark,
            )
            return (await self.runtime.outbox.record(conn, indicator_code, [payload]))[0]

        return await self._in_transaction(act)

    async def record_review(self, project_id: str, review: ReviewDraft) -> Event:
        async def act(conn: AsyncConnection) -> Event:
            due = [d for d in await queries.dues(conn) if d.project_id == project_id]
            if not any(d.milestone_months == review.milestone_months for d in due):
                raise Refused(
                    f"project {project_id} has no follow-up review due: it is not funded (no live commitment "
                    "is known here yet)",
                )
            text, field = review.remark, ev.REVIEW_REMARK_FIELD
            remark = await self.runtime.sealer.seal(conn, project_id, field, text) if text else None
            facts = {k: v for k, v in asdict(review).items() if k != "remark"}
            payload = ev.ProjectReviewRecorded(**facts, remark=remark)
            return (await self.runtime.outbox.record(conn, project_id, [payload]))[0]

        return await self._in_transaction(act)

    async def record_session(self, session_id: str | None, payload: ev.SessionRecorded) -> Event:
        session = Session(
            session_id=session_id or new_event_id(),
            pilot=self.pilot,
            held_on=payload.held_on,
            kind=payload.kind,
            pilots_present=payload.pilots_present,
            items=tuple(SessionItem(i.action_code, i.kind, i.text, i.progress) for i in payload.items),
        )

        async def act(conn: AsyncConnection) -> Event:
            try:
                check_session(self.pilot, session, await queries.actions(conn))
            except SessionRefused as e:
                raise Refused(str(e)) from e
            return (await self.runtime.outbox.record(conn, session.session_id, [payload]))[0]

        return await self._in_transaction(act)

    async def publish_report(self, year: int, as_of: date | None, views: Sequence[View]) -> Published:
        """Build the year's report from the view as it stands and publish its digests as an event."""

        async def act(conn: AsyncConnection) -> Published:
            files = await reporting.render_from(conn, year, as_of, views)
            payload = ev.ReportPublished(
                year=year,
                published_on=self.today(),
                report_sha256=reporting.sha256(files[reporting.INDEX]),
                tables_sha256=reporting.tables_sha256(files),
                view_digest=await view_digest(conn, views),
                catalogue_version=CATALOGUE_VERSION,
            )
            event = (await self.runtime.outbox.record(conn, f"report-{year}", [payload]))[0]
            return Published(event, payload)

        return await self._in_transaction(act)

    async def _in_transaction(self, act: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """One transaction per attempt; a concurrent act on the same aggregate (the outbox's unique issuer
        sequence) makes it try again with the next sequence."""

        async def attempt() -> T:
            async with self.runtime.transaction() as conn:
                return await act(conn)

        return await retried(attempt)


def _check_indicator(indicator: ev.IndicatorDefined, actions: set[str]) -> None:
    if indicator.action_code is not None and indicator.action_code not in actions:
        raise Refused(f"indicator {indicator.code}: action {indicator.action_code} is not defined")
    if indicator.derivation is not None:
        try:
            check_derivation(indicator.derivation, indicator.unit)
        except UnknownDerivation as e:
            raise Refused(f"indicator {indicator.code}: {e}") from e
