"""The single undertaking (EU de minimis rules): which SIRENs count as one, and the aid they received
outside this system. Both are aggregates of the pilot whose funding service records them (its own
`control_link`s and `outside_aid`s, ids `<pilot>-<uuid7>`): that pilot corrects, ends or withdraws them;
every pilot's ledger counts them (ess_views.undertaking).

A later event of one aggregate replaces the earlier (the issuer's sequence): to correct a link or end it,
record it again with the same id; to take back one recorded in error, withdraw it.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal, Self

from pydantic import model_validator

from ess_contracts.base import Payload
from ess_contracts.funding import GrantorKind, PositiveCents, Reference
from ess_contracts.types import AggregateKind, ServiceName, Siren, Token

ControlRelation = Literal[
    "majority_voting_rights",  # (EU) 2023/2831 art. 2(2)(a)
    "board_majority",  # art. 2(2)(b): appoints or removes most of the board
    "dominant_influence",  # art. 2(2)(c): by contract or by the articles of association
    "voting_agreement",  # art. 2(2)(d): controls a majority of votes under an agreement
]
"""The relations that make two undertakings one single undertaking (the same in (EU) 1407/2013)."""

DeMinimisBasis = Literal["de_minimis_general", "de_minimis_sgei"]

WithdrawalReason = Literal["recorded_in_error", "duplicate", "other"]


class _UndertakingEvent(Payload):
    SERVICE: ClassVar[ServiceName] = "funding"


class ControlLinkRecorded(_UndertakingEvent):
    """`controlling_siren` controls `controlled_siren` from `starts_on` to `ends_on` (inclusive; open
    when None): on those dates both belong to one single undertaking. `source` is the reference of the
    document that shows it (articles, a shareholders' register extract); `recorded_by` the opaque id the
    recording pilot gives its instructor (the pilot alone can tell who it is)."""

    AGGREGATE: ClassVar[AggregateKind] = "control_link"
    type: Literal["control_link_recorded"] = "control_link_recorded"
    controlling_siren: Siren
    controlled_siren: Siren
    relation: ControlRelation
    starts_on: date
    ends_on: date | None = None
    source: Reference
    recorded_by: Token

    @model_validator(mode="after")
    def _two_undertakings_in_order(self) -> Self:
        if self.controlling_siren == self.controlled_siren:
            raise ValueError("an undertaking does not control itself")
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class ControlLinkWithdrawn(_UndertakingEvent):
    """The link was recorded in error: it joins no undertakings, at any date."""

    AGGREGATE: ClassVar[AggregateKind] = "control_link"
    type: Literal["control_link_withdrawn"] = "control_link_withdrawn"
    withdrawn_on: date
    reason: WithdrawalReason


class OutsideAidRecorded(_UndertakingEvent):
    """De minimis aid granted outside this system's funding plans (before it existed, or by a body that
    is not a pilot), recorded by a pilot's instructor from its source document, so that every pilot's
    ledger counts it without back-dated acts."""

    AGGREGATE: ClassVar[AggregateKind] = "outside_aid"
    type: Literal["outside_aid_recorded"] = "outside_aid_recorded"
    recipient_siren: Siren
    grantor: GrantorKind
    grantor_siren: Siren | None = None
    basis: DeMinimisBasis
    nominal_amount: PositiveCents
    gross_grant_equivalent: PositiveCents
    granted_on: date
    legal_right_on: date
    source: Reference
    recorded_by: Token

    @model_validator(mode="after")
    def _equivalent_within_amount(self) -> Self:
        if self.gross_grant_equivalent > self.nominal_amount:
            raise ValueError("the gross grant equivalent cannot exceed the nominal amount")
        return self


class OutsideAidWithdrawn(_UndertakingEvent):
    """The aid was recorded in error (or twice): the ledger no longer counts it."""

    AGGREGATE: ClassVar[AggregateKind] = "outside_aid"
    type: Literal["outside_aid_withdrawn"] = "outside_aid_withdrawn"
    withdrawn_on: date
    reason: WithdrawalReason


UndertakingPayload = ControlLinkRecorded | ControlLinkWithdrawn | OutsideAidRecorded | OutsideAidWithdrawn
