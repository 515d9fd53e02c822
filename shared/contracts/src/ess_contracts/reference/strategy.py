"""The regional ESS strategy (Stratégie régionale de l'ESS des Pays de la Loire 2022-2028) as reference data.

Everything here is copied from the published strategy as summarised in DESIGN.md, section 1: the two axes
and their French titles, the 14 objectives with their published French titles, the three pilots, the
region's departments, how a project's stage maps to an objective, and the dated de minimis ceilings.
The 20 actions are deliberately absent: their titles are not public in our sources, and the action
catalogue (with indicators and targets) is data that the governance defines, never text in code.

The literal types (`ObjectiveCode`, `ProjectStage`, `Pilot`, `Department`) live in the contracts; they are
imported for type checking only, because the contracts themselves import `ess_contracts.reference`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ess_contracts.intake import ObjectiveCode, ProjectStage
    from ess_contracts.types import Department, Pilot

AxisCode = Literal["1", "2"]
SubAxisCode = Literal["1.1", "1.2", "2.1", "2.2"]
DeMinimisScope = Literal["general", "sgei"]
"""`general` is aid to any undertaking; `sgei` is aid to an undertaking providing a service of general
economic interest. They match the state-aid bases `de_minimis_general` and `de_minimis_sgei`."""

STRATEGY_TITLE = "Stratégie régionale de l'ESS des Pays de la Loire 2022-2028"
STRATEGY_PERIOD: tuple[int, int] = (2022, 2028)


# --- axes and objectives ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubAxis:
    """A sub-axis. The strategy's own titles for them are not in our sources: `summary_en` is DESIGN.md's
    English summary, not a published title."""

    code: SubAxisCode
    axis: AxisCode
    summary_en: str


@dataclass(frozen=True, slots=True)
class Axis:
    code: AxisCode
    title: str
    """The published French title."""
    sub_axes: tuple[SubAxis, ...]


@dataclass(frozen=True, slots=True)
class Objective:
    code: ObjectiveCode
    axis: AxisCode
    sub_axis: SubAxisCode
    title: str
    """The published French title, character for character."""

    @property
    def number(self) -> int:
        return int(self.code[1:])


AXES: tuple[Axis, ...] = (
    Axis(
        code="1",
        title="Accompagner l'émergence et la pérennité des projets économiques de l'ESS",
        sub_axes=(
            SubAxis(code="1.1", axis="1", summary_en="quality support along the project"),
            SubAxis(code="1.2", axis="1", summary_en="professionalise the environment"),
        ),
    ),
    Axis(
        code="2",
        title="Créer un réseau d'accompagnement maillé élargi en soutien des projets",
        sub_axes=(
            SubAxis(code="2.1", axis="2", summary_en="a common vision"),
            SubAxis(code="2.2", axis="2", summary_en="territorialise"),
        ),
    ),
)

SUB_AXES: tuple[SubAxis, ...] = tuple(sub for axis in AXES for sub in axis.sub_axes)


def _objective(code: ObjectiveCode, sub_axis: SubAxisCode, title: str) -> Objective:
    axis: AxisCode = "1" if sub_axis.startswith("1.") else "2"
    return Objective(code=code, axis=axis, sub_axis=sub_axis, title=title)


OBJECTIVES: tuple[Objective, ...] = (
    _objective(
        "O1",
        "1.1",
        "Accompagner l'entrepreneuriat (création/reprise) dans l'ESS vers des modèles pérennes",
    ),
    _objective(
        "O2",
        "1.1",
        "Accompagner les entreprises dans leur développement ou leur changement d'échelle",
    ),
    _objective(
        "O3",
        "1.1",
        "Consolider le modèle économique et les emplois des structures de l'ESS en cas de fragilités",
    ),
    _objective("O4", "1.1", "Promouvoir l'innovation sociale dans toutes les entreprises"),
    _objective("O5", "1.1", "Faciliter l'émergence et la structuration de projets économiques collectifs"),
    _objective(
        "O6", "1.2", "Améliorer la connaissance des compétences disponibles dans les réseaux de l'ESS"
    ),
    _objective(
        "O7",
        "1.2",
        "Renforcer la spécialisation des réseaux sur leur plus-value par rapport au parcours "
        "« classique » de la création d'entreprise",
    ),
    _objective(
        "O8",
        "1.2",
        "Accompagner la professionnalisation du modèle associatif au service du modèle économique",
    ),
    _objective("O9", "1.2", "S'appuyer sur les réussites pour valoriser l'entrepreneuriat dans l'ESS"),
    _objective("O10", "2.1", 'Garantir l\'articulation des financements et une vision "projet"'),
    _objective(
        "O11", "2.1", "Assurer une gouvernance partenariale afin d'évaluer les actions mises en œuvre"
    ),
    _objective("O12", "2.1", "Continuer l'organisation de temps collectifs ouverts entre acteurs de l'ESS"),
    _objective("O13", "2.2", "Renforcer le partenariat avec les EPCI pour une action de proximité"),
    _objective("O14", "2.2", "Faire monter en compétence les acteurs des tiers-lieux"),
)

_BY_CODE: Mapping[str, Objective] = MappingProxyType({o.code: o for o in OBJECTIVES})


def objective(code: str) -> Objective:
    """The objective with this published code (`O1` to `O14`); KeyError for any other code."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(f"no objective {code!r} in the strategy (O1 to O14)") from None


# --- project qualification ----------------------------------------------------------------------------------

STAGE_OBJECTIVES: Mapping[ProjectStage, ObjectiveCode] = MappingProxyType(
    {
        "creation_or_takeover": "O1",
        "development_or_scale_up": "O2",
        "consolidation": "O3",
        "social_innovation": "O4",
        "collective_project": "O5",  # including PTCE
    }
)
"""The objective a project's stage serves."""

THIRD_PLACE_OBJECTIVE: ObjectiveCode = "O14"
"""A third place (tiers-lieu) touches O14."""

EPCI_PARTNERSHIP_OBJECTIVE: ObjectiveCode = "O13"
"""A project in partnership with an EPCI touches O13."""


def objectives_for(stage: ProjectStage, third_place: bool, epci: bool) -> tuple[ObjectiveCode, ...]:
    """The objectives a project touches, in the strategy's order (O1 first): its stage's objective, O13
    when an EPCI is a partner, O14 when it is a third place."""
    codes: set[ObjectiveCode] = {STAGE_OBJECTIVES[stage]}
    if epci:
        codes.add(EPCI_PARTNERSHIP_OBJECTIVE)
    if third_place:
        codes.add(THIRD_PLACE_OBJECTIVE)
    return tuple(o.code for o in OBJECTIVES if o.code in codes)


# --- pilots and territory -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PilotInfo:
    code: Pilot
    name: str


PILOT_INFO: tuple[PilotInfo, ...] = (
    PilotInfo(code="region", name="Région des Pays de la Loire"),
    PilotInfo(code="state", name="État (DREETS, DRAJES)"),
    PilotInfo(code="bdt", name="Banque des Territoires (Caisse des Dépôts)"),
)


@dataclass(frozen=True, slots=True)
class DepartmentInfo:
    code: Department
    name: str


DEPARTMENTS: tuple[DepartmentInfo, ...] = (
    DepartmentInfo(code="44", name="Loire-Atlantique"),
    DepartmentInfo(code="49", name="Maine-et-Loire"),
    DepartmentInfo(code="53", name="Mayenne"),
    DepartmentInfo(code="72", name="Sarthe"),
    DepartmentInfo(code="85", name="Vendée"),
)


# --- de minimis ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeMinimisCeiling:
    """One de minimis regulation: its ceiling per single undertaking and the window it is counted over.

    `in_force_from` and `in_force_until` are inclusive; None means the table gives no bound on that side.
    An aid falls under the regulation in force on the date it was granted (its `legal_right_on`).
    """

    regulation: str
    scope: DeMinimisScope
    in_force_from: date | None
    in_force_until: date | None
    ceiling_cents: int
    window: str
    note: str = ""

    def in_force_on(self, day: date) -> bool:
        after_start = self.in_force_from is None or self.in_force_from <= day
        before_end = self.in_force_until is None or day <= self.in_force_until
        return after_start and before_end


DE_MINIMIS_CEILINGS: tuple[DeMinimisCeiling, ...] = (
    DeMinimisCeiling(
        regulation="(EU) 1407/2013",
        scope="general",
        in_force_from=None,
        in_force_until=date(2023, 12, 31),
        ceiling_cents=200_000_00,
        window="current and two previous fiscal years",
    ),
    DeMinimisCeiling(
        regulation="(EU) 2023/2831",
        scope="general",
        in_force_from=date(2024, 1, 1),
        in_force_until=None,
        ceiling_cents=300_000_00,
        window="any period of three years",
    ),
    DeMinimisCeiling(
        regulation="(EU) 360/2012",
        scope="sgei",
        in_force_from=None,
        in_force_until=date(2023, 12, 31),
        ceiling_cents=500_000_00,
        window="three fiscal years",
    ),
    DeMinimisCeiling(
        regulation="(EU) 2023/2832",
        scope="sgei",
        in_force_from=date(2024, 1, 1),
        in_force_until=None,
        ceiling_cents=750_000_00,
        window="any period of three years",
        note="general de minimis counted in",
    ),
)


def de_minimis_ceiling(scope: DeMinimisScope, granted_on: date) -> DeMinimisCeiling:
    """The regulation of this scope in force on the date an aid was granted."""
    for ceiling in DE_MINIMIS_CEILINGS:
        if ceiling.scope == scope and ceiling.in_force_on(granted_on):
            return ceiling
    raise LookupError(f"no {scope} de minimis regulation in force on {granted_on.isoformat()}")
