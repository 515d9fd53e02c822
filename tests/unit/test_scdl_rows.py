"""One SCDL row from one grant: which dates, conditions and object, and what is withheld and why."""

from __future__ import annotations

from datetime import date

import pytest

from ess_funding.domain.scdl import OBJECT_MAX, Award, Grantor, Holder, Withheld, subsidy_object, subsidy_row

GRANTOR = Grantor(name="Région des Pays de la Loire", siret="23440000000001")
ASSOCIATION = Holder(
    legal_form="association",
    name="Les Jardins de la Loire",
    siret=None,
    rna="W442000123",
    stage="development_or_scale_up",
    objectives=("O2", "O14"),
)


def award(**changes: object) -> Award:
    fields: dict[str, object] = {
        "project_id": "prj-1",
        "decision_id": "d1",
        "decided_on": date(2026, 3, 10),
        "amount": 12_500_50,
        "state_aid_basis": "de_minimis_general",
    }
    return Award(**(fields | changes))  # type: ignore[arg-type]


def test_a_decision_without_commitment_is_dated_by_itself_and_paid_once() -> None:
    row = subsidy_row(GRANTOR, ASSOCIATION, award(), {"region": 12_500_50})
    assert not isinstance(row, Withheld)
    assert row["dateConvention"] == "2026-03-10"
    assert row["referenceDecision"] == "d1"
    assert row["montant"] == "12500.50"
    assert (row["conditionsVersement"], row["datesPeriodeVersement"]) == ("unique", "2026-03-10")
    assert (row["idBeneficiaire"], row["rnaBeneficiaire"]) == ("", "W442000123")
    assert row["notificationUE"] == "oui"


def test_a_committed_grant_in_tranches_gives_the_convention_and_the_payment_period() -> None:
    committed = award(
        commitments=((date(2026, 4, 2), "CP-2026-014"),),
        tranche_days=(date(2026, 4, 15), date(2027, 1, 15)),
        state_aid_basis="not_state_aid",
    )
    row = subsidy_row(GRANTOR, ASSOCIATION, committed, {"region": 1})
    assert not isinstance(row, Withheld)
    assert (row["dateConvention"], row["referenceDecision"]) == ("2026-04-02", "CP-2026-014")
    assert (row["conditionsVersement"], row["datesPeriodeVersement"]) == (
        "échelonné",
        "2026-04-15/2027-01-15",
    )
    assert row["notificationUE"] == "non"
    paid = subsidy_row(GRANTOR, ASSOCIATION, award(paid_days=(date(2026, 5, 2),)), {"region": 1})
    assert not isinstance(paid, Withheld)
    assert paid["datesPeriodeVersement"] == "2026-05-02"


def test_the_object_names_stage_objective_and_every_funder_share() -> None:
    text = subsidy_object(ASSOCIATION, {"region": 40_000_00, "state": 35_000_00, "bdt": 25_000_00})
    assert text.startswith("Projet de développement ou changement d'échelle – O2 Accompagner")
    assert text.endswith("financement partagé : Région 40 %, État 35 %, Banque des Territoires 25 %")
    alone = subsidy_object(ASSOCIATION, {"region": 5})
    assert alone.endswith("financeur unique : Région 100 %")
    assert len(text) <= OBJECT_MAX


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"legal_form": "other", "name": None}, "personne physique"),
        ({"name": None}, "nom du porteur"),
        ({"siret": None, "rna": None}, "ni SIRET ni numéro RNA"),
    ],
)
def test_a_row_that_could_name_a_person_or_lacks_an_identifier_is_withheld_with_its_reason(
    changes: dict[str, object], why: str
) -> None:
    holder = Holder(**(ASSOCIATION.__dict__ | changes))  # type: ignore[arg-type]
    row = subsidy_row(GRANTOR, holder, award(), {"region": 1})
    assert isinstance(row, Withheld)
    assert why in row.reason
