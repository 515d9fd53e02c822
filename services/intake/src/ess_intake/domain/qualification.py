"""Qualification against the strategy: the objectives a project serves, and whether its holder is an
ESS structure. An ineligible project is qualified too, with its reasons, never dropped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ess_contracts import intake
from ess_contracts.reference import objectives_for

ESS_LEGAL_FORMS: frozenset[str] = frozenset({"association", "scop", "scic", "cae", "mutual", "foundation"})
"""Forms that belong to the ESS by law (loi du 31 juillet 2014); a commercial company needs ESUS."""


@dataclass(frozen=True)
class Qualification:
    objectives: tuple[intake.ObjectiveCode, ...]
    reasons: tuple[intake.IneligibilityReason, ...]

    @property
    def eligible(self) -> bool:
        return not self.reasons


def ess_status_reasons(org: intake.Organisation) -> tuple[intake.IneligibilityReason, ...]:
    if org.legal_form in ESS_LEGAL_FORMS:
        return ()
    if org.legal_form == "commercial_company":
        return () if org.esus_agreement else ("commercial_company_without_esus",)
    return ("legal_form_outside_ess",)


def qualify(org: intake.Organisation, details: intake.ProjectDetails) -> Qualification:
    """Stage gives O1-O5, a third place O14, a partner EPCI O13 (`objectives_for`, the strategy's own
    table); the department is in the region by validation, so the ESS status is what can fail."""
    objectives = objectives_for(details.stage, details.third_place, org.epci_siren is not None)
    return Qualification(objectives=objectives, reasons=ess_status_reasons(org))


def qualified_event(q: Qualification, org: intake.Organisation, on: date) -> intake.ProjectQualified:
    return intake.ProjectQualified(
        qualified_on=on,
        objectives=q.objectives,
        department=org.department,
        epci_siren=org.epci_siren,
        eligible=q.eligible,
        ineligibility_reasons=q.reasons,
    )
