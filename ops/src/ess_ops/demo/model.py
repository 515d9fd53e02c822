"""The demo's data as plain values: holders, their projects, and how far each pilot's funding went.

Money is in whole euros here (people's figures); the bodies sent to the services turn it into what each
API takes (euros for intake, integer cents for funding)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ess_contracts.types import Pilot

Step = Literal["requested", "opinion", "decided", "committed", "scheduled", "paid"]
"""How far one pilot's funding went, each step including those before it. `opinion`: the lead funder
gave the shared opinion, the pilot's request waits for its decision."""

STEPS: tuple[Step, ...] = ("requested", "opinion", "decided", "committed", "scheduled", "paid")
Special = Literal["over_funding", "de_minimis"]


@dataclass(frozen=True)
class Holder:
    name: str
    legal_form: str
    department: str
    seed: int  # gives the SIREN and SIRET (identifiers.py)
    association_number: bool = False  # an RNA number (associations only)
    esus: bool = False
    epci_siren: str | None = None
    contact: str | None = None  # default: one of the demo's names, by seed
    being_created: bool = False  # no SIRET yet


@dataclass(frozen=True)
class Line:
    label: str
    category: str
    euros: int


@dataclass(frozen=True)
class Grant:
    pilot: Pilot
    euros: int
    step: Step
    instrument: str = "grant"
    outcome: Literal["granted", "conditional", "refused"] = "granted"


@dataclass(frozen=True)
class Project:
    key: str  # the demo's own name for it: idempotency keys, demo.json
    holder: Holder
    title: str
    description: str
    stage: str
    needs: tuple[str, ...]
    lines: tuple[Line, ...]
    planned_jobs: int
    third_place: bool = False
    grants: tuple[Grant, ...] = ()
    special: Special | None = None
    by_network: bool = False  # submitted by the network person on the holder's behalf
    eligible_euros: int | None = (
        None  # the eligible total the opinion fixes (its first line cut); default all
    )

    @property
    def total(self) -> int:
        return sum(line.euros for line in self.lines)

    def reached(self, step: Step) -> tuple[Grant, ...]:
        """The grants that went at least as far as `step`."""
        return tuple(g for g in self.grants if STEPS.index(g.step) >= STEPS.index(step))


@dataclass(frozen=True)
class Network:
    network_id: str
    name: str
    stages: tuple[str, ...]
    needs: tuple[str, ...]
    departments: tuple[str, ...]
    account: str | None = None  # the token subject of a network person who answers for it
