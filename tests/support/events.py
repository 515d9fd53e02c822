"""Realistic events for tests, built through the same contracts and outbox code the services use."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ess_contracts import funding, intake
from ess_contracts.catalogue import CATALOGUE_VERSION
from ess_contracts.codec import WireMessage, encode
from ess_contracts.event import Event, new_event
from ess_contracts.intake import TITLE_FIELD
from ess_contracts.ops import CheckpointRecorded, ProbeSent
from ess_contracts.sealing import Sealed, context_of, new_data_key, new_key_id, seal
from ess_contracts.signing import Signer
from ess_contracts.types import Pilot

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
VALID_SIRET = "73282932000074"  # Luhn-valid


def sealed_title(text: str, pilot: Pilot = "region") -> Sealed:
    """A title sealed as an intake would, under a throwaway key: these tests fold it, never open it."""
    return seal(new_key_id(pilot), new_data_key(), text, context_of("test", TITLE_FIELD))


def submitted(title: str = "Tiers-lieu de la Loire", total: int = 120_000_00) -> intake.ProjectSubmitted:
    return intake.ProjectSubmitted(
        submitted_on=date(2026, 3, 1),
        channel="holder",
        organisation=intake.Organisation(siret=VALID_SIRET, legal_form="scic", department="44"),
        project=intake.ProjectDetails(
            title=sealed_title(title),
            stage="creation_or_takeover",
            third_place=True,
            needs=("funding", "support"),
            budget=intake.Budget(
                total=total,
                lines=(intake.BudgetLine(code="staff", category="staff", amount=total),),
            ),
            planned_jobs=3,
            start_on=date(2026, 9, 1),
        ),
    )


def qualified() -> intake.ProjectQualified:
    return intake.ProjectQualified(
        qualified_on=date(2026, 3, 10), objectives=("O1", "O14"), department="44", eligible=True
    )


def decided(decision_id: str, amount: int, on: date = date(2026, 4, 1)) -> funding.ProjectDecisionRecorded:
    return funding.ProjectDecisionRecorded(
        decision_id=decision_id,
        request_id=f"req-{decision_id}",
        decided_on=on,
        outcome="granted",
        instrument="grant",
        nominal_amount=amount,
        gross_grant_equivalent=amount,
        state_aid_basis="de_minimis_general",
        legal_right_on=on,
        beneficiary_siren=VALID_SIRET[:9],
    )


def event(
    payload: object, pilot: Pilot, service: str, aggregate_id: str, sequence: int, minutes: int = 0
) -> Event:
    return new_event(
        payload,
        pilot=pilot,
        service=service,  # type: ignore[arg-type]
        aggregate_id=aggregate_id,
        sequence=sequence,
        occurred_at=T0 + timedelta(minutes=minutes),
    )


def project_story(project_id: str) -> list[tuple[Pilot, Event]]:
    """One project through intake (region) and decisions by two funders: three issuers."""
    return [
        ("region", event(submitted(), "region", "intake", project_id, 1)),
        ("region", event(qualified(), "region", "intake", project_id, 2, 5)),
        ("state", event(decided("d1", 30_000_00), "state", "funding", project_id, 1, 10)),
        ("bdt", event(decided("d1", 20_000_00), "bdt", "funding", project_id, 1, 11)),
        ("state", event(decided("d2", 5_000_00, date(2026, 5, 1)), "state", "funding", project_id, 2, 12)),
    ]


def probe(probe_id: str) -> Event:
    return event(ProbeSent(), "region", "ops", probe_id, 1)


def wire(signers: dict[Pilot, Signer], pilot: Pilot, ev: Event) -> WireMessage:
    return encode(ev, signers[pilot])


def followup_story(project_id: str) -> list[tuple[Pilot, Event]]:
    """After project_story: orientation by intake (its sequences 3, 4) and reviews by two pilots."""
    from ess_contracts import evaluation

    def review(months: int, jobs: int) -> evaluation.ProjectReviewRecorded:
        return evaluation.ProjectReviewRecorded(
            milestone_months=months,  # type: ignore[arg-type]
            reviewed_on=date(2027, 4, 1),
            still_operating=True,
            jobs_created=jobs,
            jobs_kept=1,
        )

    oriented = intake.ProjectOriented(oriented_on=date(2026, 3, 12), network_ids=("urscop", "cress"))
    accepted = intake.ProjectOrientationAccepted(network_id="cress", accepted_on=date(2026, 3, 20))
    return [
        ("region", event(oriented, "region", "intake", project_id, 3, 20)),
        ("region", event(accepted, "region", "intake", project_id, 4, 21)),
        ("state", event(review(12, 2), "state", "evaluation", project_id, 1, 30)),
        ("bdt", event(review(12, 3), "bdt", "evaluation", project_id, 1, 31)),
    ]


def withdrawn() -> intake.ProjectWithdrawn:
    return intake.ProjectWithdrawn(withdrawn_on=date(2026, 5, 1), reason="other")


def checkpoint_for(reporting_service: str) -> CheckpointRecorded:
    """A checkpoint's figures claiming to report for `reporting_service` (forgeries name another's)."""
    return CheckpointRecorded(
        reporting_service=reporting_service,
        stream_sequence=1,
        applied_events=1,
        view_digest="0" * 64,
        parked=0,
        dead_letters=0,
        catalogue_version=CATALOGUE_VERSION,
        trust_hash="0" * 64,
    )
