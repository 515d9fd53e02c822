"""One dossier of Démarches Simplifiées into intake, through intake's own acts: a new dossier is submitted
(on the day it was filed on DS), a changed one corrected, one classed without follow-up, refused or
deleted on DS withdrawn or closed. Idempotent by dossier number and revision: a revision already read
changes nothing. A dossier that does not map is kept as a named rejection, never skipped silently."""

from __future__ import annotations

import logging

from ess_core.refusals import Refused
from ess_core.service.unit_of_work import retried
from ess_intake.adapters import ds_imports, projects
from ess_intake.adapters.ds_imports import DossierRow
from ess_intake.domain.commands import Actor, Close, Correct, Submit, Withdraw
from ess_intake.domain.ds_convert import NotMapped, to_submission
from ess_intake.domain.ds_dossier import DeletedDossier, Dossier
from ess_intake.domain.ds_mapping import DemarcheMapping
from ess_intake.domain.errors import Duplicate
from ess_intake.domain.requests import ClosureInput, WithdrawalInput
from ess_intake.domain.submission import Correction, Submission
from ess_intake.service_layer.context import Intake
from ess_intake.service_layer.corrections import correct
from ess_intake.service_layer.lifecycle import close, withdraw
from ess_intake.service_layer.submit import fingerprint, open_project

log = logging.getLogger(__name__)


def importer(demarche: int) -> Actor:
    """Whom intake records as the submitter of a démarche's dossiers: the connector, as staff."""
    return Actor(subject=f"ds:{demarche}", roles=frozenset({"admin"}))


async def apply_dossier(intake: Intake, mapping: DemarcheMapping, dossier: Dossier) -> str:
    """What became of the dossier: imported, corrected, withdrawn, closed, rejected or unchanged."""
    async with intake.runtime.engine.connect() as conn:
        row = await ds_imports.find(conn, mapping.demarche, dossier.number)
    if row is not None and row.revision == dossier.revision:
        return "unchanged"
    try:
        submission: Submission | None = to_submission(dossier, mapping)
        reason = None
    except NotMapped as error:
        submission, reason = None, f"Dossier n° {dossier.number} : " + " ".join(error.reasons)
    if row is None or row.project_id is None:
        return await _first(intake, mapping.demarche, dossier, submission, reason)
    return await _follow(intake, row, dossier, submission, reason)


def _row(demarche: int, d: Dossier, project_id: str | None, outcome: str, **kw: str | None) -> DossierRow:
    return DossierRow(demarche, d.number, d.revision, d.state, project_id, outcome=outcome, **kw)


async def _reject(intake: Intake, row: DossierRow) -> str:
    async with intake.act() as conn:
        await ds_imports.save(conn, row)
    log.info("DS dossier %s of démarche %s rejected: %s", row.number, row.demarche, row.reason)
    return "rejected"


async def _first(
    intake: Intake, demarche: int, d: Dossier, submission: Submission | None, reason: str | None
) -> str:
    if submission is None:
        return await _reject(intake, _row(demarche, d, None, "rejected", reason=reason, fingerprint=None))
    digest = fingerprint(submission)

    async def once() -> str:
        async with intake.act() as conn:  # the project and the row that says so commit together
            cmd = Submit(submission, importer(demarche), submitted_on=d.filed_on)
            answer = await open_project(conn, cmd, intake)
            await ds_imports.save(conn, _row(demarche, d, answer.project_id, "imported", fingerprint=digest))
        return answer.project_id

    try:
        project_id = await retried(once)
    except Duplicate as error:
        existing = error.details.get("existing_project_id")
        why = f"Dossier n° {d.number} : un projet ouvert du même SIRET porte déjà cet intitulé ({existing})."
        return await _reject(intake, _row(demarche, d, None, "rejected", reason=why, fingerprint=None))
    except Refused as error:
        why = f"Dossier n° {d.number} : intake refuse le dépôt ({error.reason})."
        return await _reject(intake, _row(demarche, d, None, "rejected", reason=why, fingerprint=None))
    if d.ended:
        await _end(intake, project_id, d.state, demarche)
    return "imported"


async def _follow(
    intake: Intake, row: DossierRow, d: Dossier, submission: Submission | None, reason: str | None
) -> str:
    """A dossier already in intake, read again at a new revision."""
    async with intake.runtime.engine.connect() as conn:
        state = await projects.load(conn, row.project_id or "")
    outcome, digest = "unchanged", row.fingerprint
    if submission is None:
        outcome = "rejected"
    elif fingerprint(submission) != row.fingerprint and not state.ended:
        digest = fingerprint(submission)
        body = Correction(
            organisation=submission.organisation, contact=submission.contact, project=submission.project
        )
        try:
            await correct(Correct(state.project_id, body, importer(row.demarche)), intake)
            outcome = "corrected"
        except Refused as error:
            outcome, reason = (
                "rejected",
                f"Dossier n° {d.number} : intake refuse la correction ({error.reason}).",
            )
            digest = row.fingerprint
    if d.ended and not state.ended:
        outcome = await _end(intake, state.project_id, d.state, row.demarche)
    async with intake.act() as conn:
        await ds_imports.save(
            conn, _row(row.demarche, d, state.project_id, outcome, fingerprint=digest, reason=reason)
        )
    return outcome


async def _end(intake: Intake, project_id: str, ds_state: str, demarche: int) -> str:
    """Classed without follow-up on DS: withdrawn; refused on DS: closed as ineligible."""
    if ds_state == "refuse":
        await close(Close(project_id, ClosureInput(reason="ineligible"), importer(demarche)), intake)
        return "closed"
    await withdraw(Withdraw(project_id, WithdrawalInput(reason="other"), importer(demarche)), intake)
    return "withdrawn"


async def apply_deleted(intake: Intake, demarche: int, deleted: DeletedDossier) -> str:
    """A dossier deleted on DS: its project withdrawn (at the holder's request when they deleted it)."""
    async with intake.runtime.engine.connect() as conn:
        row = await ds_imports.find(conn, demarche, deleted.number)
        state = await projects.load(conn, row.project_id) if row and row.project_id else None
    if row is None or row.outcome == "deleted":
        return "unchanged"  # never imported, or already seen deleted
    if state is not None and not state.ended:
        reason = "holder_request" if deleted.reason == "user_request" else "other"
        await withdraw(Withdraw(state.project_id, WithdrawalInput(reason=reason), importer(demarche)), intake)
    gone = DossierRow(
        demarche, deleted.number, deleted.deleted_at, "deleted", row.project_id, row.fingerprint, "deleted"
    )
    async with intake.act() as conn:
        await ds_imports.save(conn, gone)
    return "withdrawn" if state is not None and not state.ended else "unchanged"
