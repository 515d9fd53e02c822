"""Intake's pure rules: duplicate titles, qualification, orientation, money, private links."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ess_contracts import intake
from ess_intake.domain.money import to_cents, to_euros
from ess_intake.domain.orientation import NetworkProfile, OrientationClock, matching_networks, unaccepted
from ess_intake.domain.qualification import qualify
from ess_intake.domain.titles import duplicate_key, normalise_title
from ess_intake.service_layer.links import FollowLinks
from tests.support import events as ev

BASE = "tiers lieu de la loire"


@pytest.mark.parametrize(
    "variant",
    [
        "Tiers-lieu de la Loire",
        "TIERS LIEU DE LA LOIRE",
        "Tiers-Lieu  de   la Loire !",
        "tiers‑lieu, de la loire...",  # non-breaking hyphen
        "Tiérs-liéu de la Lòire",
        "  Tiers\u00a0lieu de la Loire  ",
        "Tiers-lieu de la Loire",  # decomposed accents are gone anyway
    ],
)
def test_title_variants_normalise_to_one_key(variant: str) -> None:
    assert normalise_title(variant) == BASE


def test_ligatures_and_distinct_titles() -> None:
    assert normalise_title("Cœur de bourg") == normalise_title("COEUR DE BOURG") == "coeur de bourg"
    assert normalise_title("Tiers-lieu de la Sarthe") != BASE
    assert normalise_title("!!! ???") == ""


def test_duplicate_key_needs_a_siret() -> None:
    assert duplicate_key(None, "Tiers-lieu") is None
    assert duplicate_key("73282932000074", "Tiers-Lieu") == duplicate_key("73282932000074", "tiers lieu")
    assert duplicate_key("73282932000074", "Tiers-Lieu") != duplicate_key("35600000000048", "tiers lieu")


def organisation(**changes: object) -> intake.Organisation:
    return ev.submitted().organisation.model_copy(update=changes)


def details(**changes: object) -> intake.ProjectDetails:
    return ev.submitted().project.model_copy(update=changes)


@pytest.mark.parametrize(
    ("stage", "third_place", "epci", "objectives"),
    [
        ("creation_or_takeover", False, None, ("O1",)),
        ("development_or_scale_up", False, None, ("O2",)),
        ("consolidation", True, None, ("O3", "O14")),
        ("social_innovation", False, "200067106", ("O4", "O13")),
        ("collective_project", True, "200067106", ("O5", "O13", "O14")),
    ],
)
def test_objectives_follow_stage_third_place_and_epci(
    stage: str, third_place: bool, epci: str | None, objectives: tuple[str, ...]
) -> None:
    q = qualify(organisation(epci_siren=epci), details(stage=stage, third_place=third_place))
    assert q.objectives == objectives
    assert q.eligible


@pytest.mark.parametrize(
    ("legal_form", "esus", "reasons"),
    [
        ("association", False, ()),
        ("scop", False, ()),
        ("foundation", False, ()),
        ("commercial_company", True, ()),
        ("commercial_company", False, ("commercial_company_without_esus",)),
        ("other", False, ("legal_form_outside_ess",)),
    ],
)
def test_ess_status(legal_form: str, esus: bool, reasons: tuple[str, ...]) -> None:
    q = qualify(organisation(legal_form=legal_form, esus_agreement=esus), details())
    assert q.reasons == reasons
    assert q.eligible is (not reasons)
    assert q.objectives  # an ineligible project is still tagged


def network(network_id: str, **changes: object) -> NetworkProfile:
    values: dict[str, object] = {
        "network_id": network_id,
        "stages": frozenset({"creation_or_takeover"}),
        "needs": frozenset({"support"}),
        "departments": frozenset({"44"}),
    }
    values.update(changes)
    return NetworkProfile(**values)  # type: ignore[arg-type]


def test_matching_needs_department_stage_and_one_need() -> None:
    project = details(stage="creation_or_takeover", needs=("funding", "support"))
    networks = [
        network("b-fits"),
        network("a-fits-too", needs=frozenset({"funding", "premises"})),
        network("other-department", departments=frozenset({"85"})),
        network("other-stage", stages=frozenset({"consolidation"})),
        network("other-needs", needs=frozenset({"training"})),
        network("inactive", active=False),
    ]
    assert matching_networks(project, "44", networks, ()) == ("a-fits-too", "b-fits")
    assert matching_networks(project, "44", networks, ("b-fits",)) == ("a-fits-too",)


def test_unaccepted_is_a_question_as_of_a_date() -> None:
    delay = timedelta(days=30)
    start = date(2026, 3, 1)
    waiting = OrientationClock("p", start, None, ())
    assert not unaccepted(waiting, start + timedelta(days=30), delay)  # within the delay
    assert unaccepted(waiting, start + timedelta(days=31), delay)
    assert not unaccepted(waiting, start - timedelta(days=1), delay)  # did not exist yet
    accepted_late = OrientationClock("p", start, None, (start + timedelta(days=40),))
    assert unaccepted(accepted_late, start + timedelta(days=35), delay)  # as of then, nobody had accepted
    assert not unaccepted(accepted_late, start + timedelta(days=41), delay)
    ended = OrientationClock("p", start, start + timedelta(days=10), ())
    assert not unaccepted(ended, start + timedelta(days=60), delay)


def test_money_is_exact() -> None:
    assert to_cents(Decimal("1250.5")) == 125050
    assert to_cents(Decimal("0.1")) + to_cents(Decimal("0.2")) == 30
    assert to_euros(125050) == Decimal("1250.50")


def test_follow_links_are_stable_and_unforgeable() -> None:
    links = FollowLinks((b"key",))
    token = links.token("p1")
    assert links.token("p1") == token and len(token) == 43
    assert links.generation_of("p1", token, current=0) == 0
    assert links.generation_of("p2", token, current=0) is None
    assert FollowLinks((b"other key",)).generation_of("p1", token, current=3) is None
    assert links.path("p1") == f"/follow/p1/{token}"
    reissued = links.token("p1", 2)
    assert reissued != token and links.generation_of("p1", reissued, current=2) == 2
    assert links.generation_of("p1", reissued, current=1) is None  # a generation not issued yet
    rotated = FollowLinks((b"new key", b"key"))  # newest first: old links still recognised
    assert rotated.generation_of("p1", token, current=0) == 0 and rotated.token("p1") != token
