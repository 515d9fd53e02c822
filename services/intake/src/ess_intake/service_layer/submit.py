"""Submitting a project: validate, refuse a duplicate, qualify, orient, and issue the events, in one
transaction; a retried request with the same Idempotency-Key gets the first answer."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from ess_contracts import intake as events
from ess_contracts.authority import owned_id
from ess_contracts.base import Payload
from ess_contracts.intake import SubmissionChannel
from ess_core.service.unit_of_work import retried
from ess_intake.adapters import follow_links, idempotency, networks, orientations, projects
from ess_intake.domain.commands import Actor, Submit
from ess_intake.domain.errors import Duplicate, Forbidden, IdempotencyKeyReused
from ess_intake.domain.lifecycle import status_after
from ess_intake.domain.orientation import matching_networks
from ess_intake.domain.qualification import qualified_event, qualify
from ess_intake.domain.records import (
    PublicRecord,
    budget_labels,
    public_attachment,
    public_details,
    public_organisation,
)
from ess_intake.domain.submission import Submission
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.notices import tell_networks
from ess_intake.service_layer.results import Submitted


async def submit(cmd: Submit, intake: Intake) -> tuple[Submitted, bool]:
    """The answer and whether it is a replay of an earlier one. A unique key another act took meanwhile
    (same idempotency key, same open project) makes it try again: it then answers from the winner's row."""
    answer, replayed = await retried(lambda: _submit_once(cmd, intake))
    if not replayed:  # the act answers with the link it just created
        return answer, replayed
    async with intake.runtime.engine.connect() as conn:  # a replay answers with the link as it is now
        link = await follow_links.current(conn, answer.project_id, intake.config.link_ttl_days)
    assert link is not None  # the project was found
    return with_link(answer, link, intake), replayed


def with_link(answer: Submitted, link: follow_links.LinkState, intake: Intake) -> Submitted:
    update = {
        "follow_link": intake.links.path(answer.project_id, link.generation),
        "follow_link_expires_on": link.expires_on,
    }
    return answer.model_copy(update=update)


def fingerprint(submission: Submission) -> str:
    body = json.dumps(submission.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


async def _submit_once(cmd: Submit, intake: Intake) -> tuple[Submitted, bool]:
    digest = fingerprint(cmd.submission)
    key = cmd.idempotency_key
    async with intake.act() as conn:
        if key is not None:
            stored = await idempotency.find(conn, cmd.actor.subject, key)
            if stored is not None:
                if stored.fingerprint != digest:
                    raise IdempotencyKeyReused("this Idempotency-Key was used with another request body")
                return Submitted.model_validate(stored.body), True
        answer = await open_project(conn, cmd, intake)
        if key is not None:
            body = answer.model_dump(mode="json", exclude={"follow_link", "follow_link_expires_on"})
            await idempotency.store(conn, cmd.actor.subject, key, digest, 201, body)
    return answer, False


async def open_project(conn: AsyncConnection, cmd: Submit, intake: Intake) -> Submitted:
    """The project opened inside the caller's transaction (the DS import keeps its own row in it)."""
    s, today = cmd.submission, intake.today()
    filed_on = cmd.submitted_on or today
    existing = await projects.find_open_duplicate(conn, s.organisation.siret, s.project.title)
    if existing is not None:
        raise Duplicate(existing)
    project_id = owned_id(intake.runtime.outbox.pilot)  # the id names its owner: this pilot's intake
    title = await intake.seal_title(conn, project_id, s.project.title, new=True)
    record = PublicRecord(
        organisation=public_organisation(s.organisation),
        project=public_details(s.project, title),
        attachments=tuple(public_attachment(a) for a in s.attachments),
    )
    channel, via = await _channel(conn, cmd.actor)
    q = qualify(record.organisation, record.project)
    fitting = await networks.profiles(conn) if q.eligible else []
    oriented = matching_networks(record.project, record.organisation.department, fitting, ())
    values = {
        "project_id": project_id,
        "status": status_after(q),
        "channel": channel,
        "via_network": via,
        "submitted_by": cmd.actor.subject,
        "submitted_on": filed_on.isoformat(),
        "eligible": q.eligible,
        "qualified_on": today.isoformat(),
        "objectives": ",".join(q.objectives),
        "ineligibility_reasons": ",".join(q.reasons),
        "oriented_since": today.isoformat() if oriented else None,
    }
    await projects.insert_project(conn, values, record, s.project.title)
    private = projects.Private(s.organisation.name, s.project.description, budget_labels(s.project))
    await projects.save_private(conn, project_id, private, s.contact, new=True)
    await projects.add_files(conn, project_id, s.attachments)
    await orientations.add(conn, project_id, oriented, today.isoformat())
    department = record.organisation.department
    await tell_networks(conn, intake, project_id, oriented, fitting, s.project.title, department)
    link = follow_links.LinkState(0, today, today + timedelta(days=intake.config.link_ttl_days))
    await follow_links.create(conn, project_id, link)
    submitted = events.ProjectSubmitted(
        submitted_on=filed_on,
        channel=channel,
        via_network=via,
        organisation=record.organisation,
        project=record.project,
        attachments=record.attachments,
    )
    payloads: list[Payload] = [submitted, qualified_event(q, record.organisation, today)]
    if oriented:
        payloads.append(events.ProjectOriented(oriented_on=today, network_ids=oriented))
    await intake.record(conn, project_id, payloads, new=True)
    answer = Submitted(
        project_id=project_id,
        status=status_after(q),
        eligible=q.eligible,
        objectives=list(q.objectives),
        ineligibility_reasons=list(q.reasons),
        oriented_to=list(oriented),
    )
    return with_link(answer, link, intake)


async def _channel(conn: AsyncConnection, actor: Actor) -> tuple[SubmissionChannel, str | None]:
    """A network submits on a holder's behalf under its directory entry; everyone else as a holder."""
    if "network" not in actor.roles:
        return "holder", None
    ids = await networks.ids_for_account(conn, actor.subject)
    if not ids:
        raise Forbidden(f"token subject {actor.subject!r} answers for no network of the directory")
    return "network", ids[0]
