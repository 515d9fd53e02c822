"""The version 1 catalogue of intake, funding and evaluation payloads: its shape (types as subject tokens,
no floats, no personal data), a few validation rules, and the round trip of every payload in an envelope."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any, get_args

import pytest
from pydantic import BaseModel, ValidationError

from ess_contracts import evaluation, funding, intake, undertaking
from ess_contracts.base import Payload
from ess_contracts.canonical import canonical_bytes
from ess_contracts.catalogue import PAYLOAD_TYPES, AnyPayload
from ess_contracts.event import Event, new_event
from ess_contracts.schema_export import json_schema
from ess_contracts.types import AggregateKind
from ess_intake.domain.submission import Submission
from tests.support.events import sealed_title
from tests.support.intake_data import submission

SIRET = "73282932000074"
SIREN = "732829320"
EPCI = "244400404"  # a valid SIREN (Luhn key)
SHA = "ab" * 32

MODULES = {
    "intake": intake.IntakePayload,
    "funding": funding.FundingPayload | undertaking.UndertakingPayload,
    "evaluation": evaluation.EvaluationPayload,
}
MEMBERS: list[type[Payload]] = list(get_args(get_args(AnyPayload)[0]))
OURS = [cls for cls in MEMBERS if cls.SERVICE in MODULES]


def organisation(**changes: Any) -> intake.Organisation:
    data: dict[str, Any] = {
        "siret": SIRET,
        "legal_form": "scic",
        "department": "44",
        "epci_siren": EPCI,
    }
    return intake.Organisation(**(data | changes))


def project_details(**changes: Any) -> intake.ProjectDetails:
    data: dict[str, Any] = {
        "title": sealed_title("Tiers-lieu de l'Erdre"),
        "stage": "creation_or_takeover",
        "third_place": True,
        "needs": ("funding", "support"),
        "budget": intake.Budget(
            total=12_000_000,
            lines=(
                intake.BudgetLine(code="L1", category="staff", amount=8_000_000),
                intake.BudgetLine(code="L2", category="equipment", amount=4_000_000),
            ),
        ),
        "planned_jobs": 3,
        "start_on": date(2025, 9, 1),
    }
    return intake.ProjectDetails(**(data | changes))


def decision(**changes: Any) -> funding.ProjectDecisionRecorded:
    data: dict[str, Any] = {
        "decision_id": "d-1",
        "request_id": "r-1",
        "decided_on": date(2025, 3, 4),
        "outcome": "granted",
        "instrument": "grant",
        "nominal_amount": 5_000_000,
        "gross_grant_equivalent": 5_000_000,
        "state_aid_basis": "de_minimis_general",
        "legal_right_on": date(2025, 3, 4),
        "beneficiary_siren": SIREN,
        "budget_lines": (funding.LineAmount(code="L1", amount=5_000_000),),
    }
    return funding.ProjectDecisionRecorded(**(data | changes))


EXAMPLES: list[Payload] = [
    # intake
    intake.ProjectSubmitted(
        submitted_on=date(2025, 1, 10),
        channel="holder",
        organisation=organisation(),
        project=project_details(),
        attachments=(
            intake.Attachment(sha256=SHA, kind="statutes", media_type="application/pdf", size_bytes=48_213),
        ),
    ),
    intake.ProjectCorrectionRequested(
        request_id="c-1",
        requested_on=date(2025, 1, 12),
        fields=("budget", "attachments"),
        reasons=("budget_inconsistent",),
    ),
    intake.ProjectCorrected(
        corrected_on=date(2025, 1, 15),
        answers_request="c-1",
        organisation=organisation(siret=None, being_created=True),
        project=project_details(planned_jobs=4),
    ),
    intake.ProjectQualified(
        qualified_on=date(2025, 1, 16),
        objectives=("O1", "O13", "O14"),
        department="44",
        epci_siren=EPCI,
        eligible=True,
    ),
    intake.ProjectOriented(oriented_on=date(2025, 1, 17), network_ids=("n-urscop", "n-cress")),
    intake.ProjectOrientationAccepted(network_id="n-urscop", accepted_on=date(2025, 1, 20)),
    intake.ProjectOrientationDeclined(
        network_id="n-cress", declined_on=date(2025, 1, 21), reason="no_capacity"
    ),
    intake.ProjectWithdrawn(withdrawn_on=date(2025, 6, 1), reason="holder_request"),
    intake.ProjectErasureRequested(request_id="erasure-1", requested_on=date(2025, 6, 2)),
    intake.ProjectClosed(closed_on=date(2025, 6, 2), reason="duplicate", duplicate_of="p-0007"),
    intake.NetworkRegistered(
        registered_on=date(2024, 12, 1),
        name="Union régionale des Scop",
        stages=("creation_or_takeover", "development_or_scale_up"),
        needs=("support", "training"),
        departments=("44", "49", "53", "72", "85"),
    ),
    intake.NetworkUpdated(
        updated_on=date(2025, 2, 1),
        name="Union régionale des Scop",
        stages=("creation_or_takeover",),
        needs=("support",),
        departments=("44",),
        active=False,
    ),
    # funding
    funding.ProjectFundingRequested(
        request_id="r-1",
        requested_on=date(2025, 2, 1),
        instrument="grant",
        amount=5_000_000,
        budget_lines=("L1",),
    ),
    funding.ProjectOpinionGiven(
        opinion_id="o-1",
        given_on=date(2025, 2, 20),
        outcome="favourable",
        eligible_total=11_000_000,
        eligible_lines=(
            funding.EligibleLine(code="L1", category="staff", eligible_amount=8_000_000),
            funding.EligibleLine(code="L2", category="equipment", eligible_amount=3_000_000),
        ),
        self_financing=1_000_000,
        in_kind=500_000,
        remark=sealed_title("Équipement plafonné au devis le plus bas."),
    ),
    funding.ProjectCofunderDeclared(
        cofunder_line_id="cf-1",
        declared_on=date(2025, 2, 21),
        kind="departement",
        cofunder_siren="224400028",
        instrument="grant",
        amount=2_000_000,
        status="granted",
        budget_lines=(funding.LineAmount(code="L2", amount=2_000_000),),
        state_aid_basis="de_minimis_general",
        gross_grant_equivalent=2_000_000,
        legal_right_on=date(2025, 2, 10),
        beneficiary_siren=SIREN,
    ),
    decision(),
    funding.ProjectCommitmentRecorded(
        commitment_id="e-1",
        decision_id="d-1",
        committed_on=date(2025, 3, 10),
        reference="EJ-2025/00042",
        amount=5_000_000,
    ),
    funding.ProjectTrancheScheduled(
        tranche_id="t-1",
        commitment_id="e-1",
        due_on=date(2025, 4, 1),
        amount=2_500_000,
        trigger="on_signature",
    ),
    funding.ProjectDisbursementRecorded(
        disbursement_id="v-1",
        commitment_id="e-1",
        tranche_id="t-1",
        paid_on=date(2025, 4, 3),
        amount=2_500_000,
    ),
    funding.ProjectDecisionCancelled(
        decision_id="d-1", cancelled_on=date(2025, 9, 1), reason="project_abandoned"
    ),
    funding.ProjectRecoveryRecorded(
        recovery_id="rc-1",
        decision_id="d-1",
        ordered_on=date(2025, 9, 15),
        amount=2_500_000,
        reason="project_abandoned",
    ),
    funding.ProjectDeMinimisDeclared(
        declared_on=date(2025, 2, 1),
        beneficiary_siren=SIREN,
        linked_undertakings=(EPCI,),
        prior_aids=(
            funding.PriorAid(
                aid_ref="a-1",
                recipient_siren=SIREN,
                grantor="commune",
                basis="de_minimis_general",
                gross_grant_equivalent=1_500_000,
                legal_right_on=date(2023, 5, 2),
            ),
        ),
    ),
    funding.ProjectBreachAcknowledged(
        act="state/commitment/c2",
        act_event_id="01a23ade-d304-71ae-9f21-be8e4479dbd3",
        rules=("over_funding",),
        acknowledged_on=date(2026, 4, 2),
        requested_by="staff-1f2e",
        approved_by="staff-9a0b",
    ),
    # the single undertaking (funding service)
    undertaking.ControlLinkRecorded(
        controlling_siren=EPCI,
        controlled_siren=SIREN,
        relation="majority_voting_rights",
        starts_on=date(2024, 6, 1),
        source="statuts-2024",
        recorded_by="staff-1f2e",
    ),
    undertaking.ControlLinkWithdrawn(withdrawn_on=date(2025, 1, 3), reason="recorded_in_error"),
    undertaking.OutsideAidRecorded(
        recipient_siren=SIREN,
        grantor="commune",
        basis="de_minimis_general",
        nominal_amount=2_000_000,
        gross_grant_equivalent=2_000_000,
        granted_on=date(2023, 3, 1),
        legal_right_on=date(2023, 3, 1),
        source="deliberation-2023-14",
        recorded_by="staff-1f2e",
    ),
    undertaking.OutsideAidWithdrawn(withdrawn_on=date(2025, 1, 3), reason="duplicate"),
    # evaluation
    evaluation.ActionDefined(
        code="A01",
        defined_on=date(2025, 1, 1),
        title="Action d'exemple",
        lead_pilots=("region", "state"),
        objectives=("O1", "O2"),
        example=True,
    ),
    evaluation.IndicatorDefined(
        code="I01",
        defined_on=date(2025, 1, 1),
        title="Projets accompagnés",
        action_code="A01",
        kind="output",
        direction="increase",
        unit="count",
        source="measured",
        targets=(evaluation.YearTarget(year=2025, value=40), evaluation.YearTarget(year=2026, value=50)),
    ),
    evaluation.IndicatorMeasureRecorded(
        measure_id="m-1",
        indicator_code="I01",
        action_code="A01",
        recorded_on=date(2026, 1, 15),
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        value=4275,
        scale=2,
        source="network_report",
    ),
    evaluation.ProjectReviewRecorded(
        milestone_months=12, reviewed_on=date(2026, 3, 10), still_operating=True, jobs_created=2, jobs_kept=1
    ),
    evaluation.ProjectReviewDue(
        milestone_months=24, due_on=date(2027, 3, 1), stage="overdue", as_of=date(2027, 3, 31)
    ),
    evaluation.SessionRecorded(
        held_on=date(2025, 11, 20),
        pilots_present=("region", "state", "bdt"),
        items=(
            evaluation.SessionItem(
                action_code="A01", kind="recommendation", text="Élargir aux EPCI ruraux.", progress="delayed"
            ),
        ),
    ),
    evaluation.ReportPublished(
        year=2025, published_on=date(2026, 4, 1), report_sha256=SHA, catalogue_version="v1"
    ),
]

AGGREGATE_IDS = {
    "project": "p-0001",
    "network": "n-urscop",
    "action": "A01",
    "indicator": "I01",
    "session": "s-2025-11",
    "report": "report-2025",
    "control_link": "region-0193b2c4-link",
    "outside_aid": "region-0193b2c4-aid",
}


def _type(payload: Payload | type[Payload]) -> str:
    cls = payload if isinstance(payload, type) else type(payload)
    return str(cls.model_fields["type"].default)


def _event(payload: Payload) -> Event:
    return new_event(
        payload,
        pilot="region",
        service=payload.SERVICE,
        aggregate_id=AGGREGATE_IDS[payload.AGGREGATE],
        sequence=1,
    )


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _field_names(model: type[BaseModel], seen: set[type[BaseModel]]) -> Iterator[str]:
    if model in seen:
        return
    seen.add(model)
    for name, info in model.model_fields.items():
        yield name
        for inner in _types_in(info.annotation):
            yield from _field_names(inner, seen)


def _types_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from _types_in(arg)


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[tuple[int | str, ...], str]]:
    return [(error["loc"], error["msg"]) for error in exc.value.errors()]


# --- shape of the catalogue ---------------------------------------------------------------------------------


def test_every_type_is_a_subject_token_prefixed_by_its_aggregate() -> None:
    aggregates = set(get_args(AggregateKind))
    for cls in MEMBERS:
        event_type = cls.model_fields["type"].default
        assert re.fullmatch(r"[a-z][a-z0-9_]*", event_type), event_type
        assert cls.AGGREGATE in aggregates
        assert event_type.startswith(f"{cls.AGGREGATE}_"), (event_type, cls.AGGREGATE)


def test_types_are_unique_across_the_catalogue() -> None:
    types = [cls.model_fields["type"].default for cls in MEMBERS]
    assert len(types) == len(set(types)) == len(PAYLOAD_TYPES)


def test_each_module_issues_only_its_own_service() -> None:
    for service, union in MODULES.items():
        members = get_args(union)
        assert members, service
        assert {cls.SERVICE for cls in members} == {service}


def test_coverage_of_version_1() -> None:
    expected = {
        "project_submitted",
        "project_correction_requested",
        "project_corrected",
        "project_qualified",
        "project_oriented",
        "project_orientation_accepted",
        "project_orientation_declined",
        "project_withdrawn",
        "project_closed",
        "network_registered",
        "network_updated",
        "project_funding_requested",
        "project_opinion_given",
        "project_cofunder_declared",
        "project_decision_recorded",
        "project_commitment_recorded",
        "project_tranche_scheduled",
        "project_disbursement_recorded",
        "project_decision_cancelled",
        "project_recovery_recorded",
        "project_de_minimis_declared",
        "action_defined",
        "indicator_defined",
        "indicator_measure_recorded",
        "project_review_recorded",
        "project_review_due",
        "session_recorded",
        "report_published",
    }
    assert expected <= set(PAYLOAD_TYPES)
    assert {_type(payload) for payload in EXAMPLES} == {_type(cls) for cls in OURS}


def test_no_number_type_in_any_schema() -> None:
    schemas: list[Any] = [json_schema()]
    for cls in MEMBERS:
        schemas += [cls.model_json_schema(mode="validation"), cls.model_json_schema(mode="serialization")]
    for schema in schemas:
        for node in _walk(schema):
            kind = node.get("type")
            assert kind != "number" and not (isinstance(kind, list) and "number" in kind), node


def test_no_personal_data_fields() -> None:
    forbidden = (
        "email",
        "mail",
        "phone",
        "contact_",
        "person",
        "first_name",
        "last_name",
        "surname",
        "birth",
        "address",
        "description",
        "content",
        "filename",
        "file_name",
    )
    for cls in OURS:
        for name in _field_names(cls, set()):
            assert not any(word in name for word in forbidden), (cls.__name__, name)


def test_nested_models_are_frozen_and_closed() -> None:
    for cls in OURS:
        seen: set[type[BaseModel]] = set()
        list(_field_names(cls, seen))
        for model in seen:
            assert model.model_config.get("frozen") is True, model
            assert model.model_config.get("extra") == "forbid", model


# --- validation ---------------------------------------------------------------------------------------------


def test_bad_siret_luhn_key_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as exc:
        organisation(siret="73282932000075")
    assert any(loc == ("siret",) and "Luhn" in msg for loc, msg in _errors(exc)), _errors(exc)


def test_bad_siren_inside_a_submission_names_its_path() -> None:
    data = EXAMPLES[0].model_dump(mode="json")
    data["organisation"]["epci_siren"] = "244400405"
    with pytest.raises(ValidationError) as exc:
        intake.ProjectSubmitted.model_validate(data)
    assert any(loc == ("organisation", "epci_siren") for loc, _ in _errors(exc)), _errors(exc)


def test_siret_or_being_created() -> None:
    with pytest.raises(ValidationError):
        organisation(siret=None)
    with pytest.raises(ValidationError):
        organisation(being_created=True)
    assert organisation(siret=None, being_created=True).siret is None


def test_negative_cents_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        intake.BudgetLine(code="L1", category="staff", amount=-1)
    assert [loc for loc, _ in _errors(exc)] == [("amount",)]
    with pytest.raises(ValidationError):
        funding.ProjectDisbursementRecorded(
            disbursement_id="v", commitment_id="e", paid_on=date(2025, 1, 1), amount=-100
        )


def test_float_and_string_money_refused() -> None:
    for amount in (1.5, 100.0, "100"):
        with pytest.raises(ValidationError):
            intake.BudgetLine(code="L1", category="staff", amount=amount)


def test_budget_lines_must_sum_to_total() -> None:
    with pytest.raises(ValidationError, match="sum to the total"):
        intake.Budget(total=100, lines=(intake.BudgetLine(code="L1", category="staff", amount=99),))


def test_unknown_enum_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        organisation(department="75")
    assert [loc for loc, _ in _errors(exc)] == [("department",)]
    with pytest.raises(ValidationError):
        decision(instrument="crypto")
    with pytest.raises(ValidationError):
        intake.ProjectQualified(
            qualified_on=date(2025, 1, 1), objectives=("O15",), department="44", eligible=True
        )


def test_extra_field_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        intake.ProjectWithdrawn(withdrawn_on=date(2025, 1, 1), reason="other", contact_email="a@b.fr")  # type: ignore[call-arg]
    assert [(loc, msg) for loc, msg in _errors(exc)] == [
        (("contact_email",), "Extra inputs are not permitted")
    ]
    data = EXAMPLES[0].model_dump(mode="json")
    data["project"]["description"] = "free text"
    with pytest.raises(ValidationError):
        intake.ProjectSubmitted.model_validate(data)


def test_duplicates_refused() -> None:
    with pytest.raises(ValidationError, match="distinct"):
        intake.ProjectOriented(oriented_on=date(2025, 1, 1), network_ids=("n1", "n1"))


def test_decision_rules() -> None:
    with pytest.raises(ValidationError, match="scheme_reference"):
        decision(state_aid_basis="block_exemption")
    assert decision(state_aid_basis="block_exemption", scheme_reference="SA.111726").scheme_reference
    with pytest.raises(ValidationError, match="beneficiary_siren"):
        decision(beneficiary_siren=None)
    with pytest.raises(ValidationError, match="gross grant equivalent"):
        decision(instrument="loan", gross_grant_equivalent=6_000_000)
    assert decision(instrument="loan", gross_grant_equivalent=300_000).gross_grant_equivalent == 300_000
    with pytest.raises(ValidationError, match="conditional"):
        decision(outcome="conditional")
    with pytest.raises(ValidationError, match="refusal"):
        decision(outcome="refused")
    refused = decision(
        outcome="refused",
        nominal_amount=0,
        gross_grant_equivalent=0,
        budget_lines=(),
        state_aid_basis=None,
        legal_right_on=None,
    )
    assert refused.outcome == "refused"


def test_de_minimis_declaration_keeps_aid_inside_the_single_undertaking() -> None:
    aid = funding.PriorAid(
        aid_ref="a",
        recipient_siren=EPCI,
        grantor="state",
        basis="de_minimis_sgei",
        gross_grant_equivalent=1,
        legal_right_on=date(2024, 1, 1),
    )
    with pytest.raises(ValidationError, match="outside the undertaking"):
        funding.ProjectDeMinimisDeclared(
            declared_on=date(2025, 1, 1), beneficiary_siren=SIREN, prior_aids=(aid,)
        )
    ok = funding.ProjectDeMinimisDeclared(
        declared_on=date(2025, 1, 1), beneficiary_siren=SIREN, linked_undertakings=(EPCI,), prior_aids=(aid,)
    )
    assert ok.prior_aids == (aid,)


def test_text_is_nfc_before_it_is_sealed() -> None:
    """Free text is sealed, so intake normalises the title as the holder sends it, before sealing."""
    decomposed = "Tiers-lieu d’Érdre".replace("É", "E\u0301")
    assert Submission.model_validate(submission(title=decomposed)).project.title == "Tiers-lieu d’Érdre"


# --- envelope round trip ------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", EXAMPLES, ids=_type)
def test_round_trip_through_the_envelope(payload: Payload) -> None:
    event = _event(payload)
    again = Event.model_validate_json(event.model_dump_json())
    assert again == event
    assert canonical_bytes(again) == canonical_bytes(event)
    assert event.subject.endswith(f".{payload.AGGREGATE}.{AGGREGATE_IDS[payload.AGGREGATE]}.{_type(payload)}")


def test_envelope_refuses_a_payload_under_the_wrong_service() -> None:
    with pytest.raises(ValidationError, match="issued by service"):
        new_event(EXAMPLES[0], pilot="region", service="funding", aggregate_id="p-1", sequence=1)


def test_a_control_link_joins_two_undertakings_in_date_order() -> None:
    fields: dict[str, Any] = {
        "controlling_siren": EPCI,
        "controlled_siren": SIREN,
        "relation": "board_majority",
        "starts_on": date(2024, 6, 1),
        "source": "statuts",
        "recorded_by": "staff-1",
    }
    with pytest.raises(ValidationError, match="does not control itself"):
        undertaking.ControlLinkRecorded(**(fields | {"controlled_siren": EPCI}))
    with pytest.raises(ValidationError, match="ends_on is before starts_on"):
        undertaking.ControlLinkRecorded(**(fields | {"ends_on": date(2024, 5, 31)}))
    assert undertaking.ControlLinkRecorded(**(fields | {"ends_on": date(2024, 6, 1)})).ends_on


def test_outside_aid_counts_no_more_than_its_amount() -> None:
    with pytest.raises(ValidationError, match="cannot exceed the nominal amount"):
        undertaking.OutsideAidRecorded(
            recipient_siren=SIREN,
            grantor="epci",
            basis="de_minimis_sgei",
            nominal_amount=100,
            gross_grant_equivalent=101,
            granted_on=date(2023, 3, 1),
            legal_right_on=date(2023, 3, 1),
            source="ref",
            recorded_by="staff-1",
        )


def test_a_breach_is_acknowledged_by_two_people() -> None:
    with pytest.raises(ValidationError, match="two different deciders"):
        funding.ProjectBreachAcknowledged(
            act="state/commitment/c2",
            act_event_id="e1",
            rules=("over_funding",),
            acknowledged_on=date(2026, 4, 2),
            requested_by="staff-1f2e",
            approved_by="staff-1f2e",
        )


def test_a_review_is_not_due_before_its_day() -> None:
    with pytest.raises(ValueError, match="as_of is before due_on"):
        evaluation.ProjectReviewDue(
            milestone_months=12, due_on=date(2027, 3, 1), stage="due", as_of=date(2027, 2, 28)
        )
