"""Recording what the ledger counts besides the plans: control links between undertakings and aid
granted outside the system. Each is this pilot's own aggregate (`<pilot>-<uuid7>`): it records, corrects,
ends and withdraws its own, never another pilot's. Outside aid is a fact: it is recorded even when it
takes the undertaking beyond a ceiling, and the answer carries the ledger's verdicts then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts import undertaking as u
from ess_contracts.authority import owned_id
from ess_contracts.base import Payload
from ess_contracts.event import Event, new_event
from ess_contracts.types import format_timestamp
from ess_core.auth.alias import staff_alias
from ess_core.refusals import NotFound
from ess_core.service.runtime import ServiceRuntime
from ess_core.service.unit_of_work import retried
from ess_funding.adapters.tables import act as act_table
from ess_funding.domain.acts import validated
from ess_funding.domain.refusals import Invalid
from ess_views.funding_plan.verdict import Verdict
from ess_views.undertaking.ledger import judge_ledger
from ess_views.undertaking.store import load_ledger


@dataclass(frozen=True)
class Kind:
    aggregate: str  # control_link | outside_aid
    path: str  # in the address: /control-links, /outside-aids
    label: str
    recorded: type[u.ControlLinkRecorded] | type[u.OutsideAidRecorded]
    withdrawn: type[u.ControlLinkWithdrawn] | type[u.OutsideAidWithdrawn]


LINKS = Kind("control_link", "control-links", "control link", u.ControlLinkRecorded, u.ControlLinkWithdrawn)
OUTSIDE_AID = Kind("outside_aid", "outside-aids", "outside aid", u.OutsideAidRecorded, u.OutsideAidWithdrawn)


@dataclass(frozen=True)
class Recorded:
    event: Event
    verdicts: tuple[Verdict, ...]  # the ledger's verdicts on the SIRENs the act names, once folded here


def sirens_of(payload: Payload) -> set[str]:
    if isinstance(payload, u.ControlLinkRecorded):
        return {payload.controlling_siren, payload.controlled_siren}
    if isinstance(payload, u.OutsideAidRecorded):
        return {payload.recipient_siren}
    return set()


class UndertakingRecorder:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime

    async def record(
        self, kind: Kind, body: Any, recorded_by: str, aggregate_id: str | None = None
    ) -> Recorded:
        """A new link or aid (`aggregate_id` None), or a correction of one this pilot recorded."""
        box = self.runtime.outbox
        payload = validated(
            kind.recorded, kind.label, _fields(body, recorded_by=staff_alias(box.signer, recorded_by))
        )
        return await self._issue(
            kind, aggregate_id or owned_id(box.pilot), payload, recorded_by, aggregate_id is None
        )

    async def withdraw(self, kind: Kind, aggregate_id: str, body: Any, recorded_by: str) -> Recorded:
        """Take back one this pilot recorded in error (`withdrawn_on` defaults to today)."""
        fields = {"withdrawn_on": datetime.now(UTC).date().isoformat(), **_fields(body)}
        payload = validated(kind.withdrawn, f"{kind.label} withdrawal", fields)
        return await self._issue(kind, aggregate_id, payload, recorded_by, False)

    async def _issue(
        self, kind: Kind, aggregate_id: str, payload: Payload, recorded_by: str, new: bool
    ) -> Recorded:
        async def attempt() -> Recorded:
            async with self.runtime.transaction() as conn:
                return await self._store(conn, kind, aggregate_id, payload, recorded_by, new)

        return await retried(attempt)

    async def _store(
        self,
        conn: AsyncConnection,
        kind: Kind,
        aggregate_id: str,
        payload: Payload,
        recorded_by: str,
        new: bool,
    ) -> Recorded:
        box = self.runtime.outbox
        last = await box.last_sequence(conn, kind.aggregate, aggregate_id)
        if not new and last == 0:
            raise NotFound(
                f"{box.pilot} has recorded no {kind.label} {aggregate_id}: it corrects its own only"
            )
        event = new_event(
            payload, pilot=box.pilot, service=box.service, aggregate_id=aggregate_id, sequence=last + 1
        )
        await box.store(conn, [event])
        await conn.execute(
            insert(act_table).values(
                event_id=event.id,
                project_id="",  # about no project: `kind` and `act_id` name the link or the aid
                kind=kind.path,
                act_id=aggregate_id,
                recorded_by=recorded_by,
                acknowledged="",
                recorded_at=format_timestamp(datetime.now(UTC)),
            )
        )
        return Recorded(event, await self._verdicts_after(conn, event))

    async def _verdicts_after(self, conn: AsyncConnection, event: Event) -> tuple[Verdict, ...]:
        """The ledger's verdicts once this event is folded here (in a savepoint rolled back)."""
        sirens = sirens_of(event.payload)
        if not sirens:
            return ()
        scratch = await conn.begin_nested()
        try:
            for view in self.runtime.views:
                if view.handles(event.type):
                    await view.apply(conn, event)
            return judge_ledger(await load_ledger(conn, sirens))
        finally:
            await scratch.rollback()


def _fields(body: Any, **extra: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object of the act's fields")
    return {**{k: v for k, v in body.items() if k != "type"}, **extra}
