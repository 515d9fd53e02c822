"""The acts, as data: who asks, on what, with which body. The service layer has one function per act."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ess_intake.domain.requests import (
    ClosureInput,
    CorrectionRequestInput,
    DeclineInput,
    NetworkUpdateInput,
    NewNetworkInput,
    WithdrawalInput,
)
from ess_intake.domain.submission import Correction, Submission

STAFF_ROLES: frozenset[str] = frozenset({"instructor", "admin"})


@dataclass(frozen=True)
class Actor:
    """Who acts: a token's subject and roles, or the holder through the project's private link."""

    subject: str
    roles: frozenset[str]
    via_link: bool = False
    pilot: str = ""  # the token's pilot: another pilot's instructor may read a file (access-logged)

    @property
    def staff(self) -> bool:
        return not self.roles.isdisjoint(STAFF_ROLES)

    @classmethod
    def holder_link(cls, project_id: str) -> Actor:
        return cls(subject=f"link:{project_id}", roles=frozenset({"holder"}), via_link=True)


@dataclass(frozen=True)
class Submit:
    submission: Submission
    actor: Actor
    idempotency_key: str | None = None
    submitted_on: date | None = None
    """Only for a dossier imported from elsewhere (Démarches Simplifiées): the day it was filed there;
    otherwise the day intake receives it."""


@dataclass(frozen=True)
class RequestCorrection:
    project_id: str
    request: CorrectionRequestInput
    actor: Actor


@dataclass(frozen=True)
class Correct:
    project_id: str
    correction: Correction
    actor: Actor


@dataclass(frozen=True)
class Withdraw:
    project_id: str
    withdrawal: WithdrawalInput
    actor: Actor


@dataclass(frozen=True)
class Close:
    project_id: str
    closure: ClosureInput
    actor: Actor


@dataclass(frozen=True)
class Orient:
    project_id: str
    actor: Actor


@dataclass(frozen=True)
class AnswerOrientation:
    """A network accepts (`decline` None) or declines a project it was oriented to."""

    project_id: str
    network_id: str
    decline: DeclineInput | None
    actor: Actor


@dataclass(frozen=True)
class RegisterNetwork:
    network: NewNetworkInput
    actor: Actor


@dataclass(frozen=True)
class UpdateNetwork:
    network_id: str
    network: NetworkUpdateInput
    actor: Actor
