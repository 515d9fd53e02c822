"""The plan view's tables, on the shared metadata (migration 0002). Fact tables are keyed by the issuing
pilot and the act's own id, so events of different issuers write different rows and commute; the status
and verdict tables are recomputed from all the facts of the project after each event.

Only integers and text: money is integer cents, dates `YYYY-MM-DD`, so both databases hold the same bytes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from ess_core.messaging.schema import metadata


def _id(name: str) -> Column[str]:
    return Column(name, String(64), nullable=False)


def _day(name: str, nullable: bool = False) -> Column[str]:
    return Column(name, String(10), nullable=nullable)


def _cents(name: str, nullable: bool = False) -> Column[int]:
    return Column(name, BigInteger, nullable=nullable)


def _text(name: str, length: int, nullable: bool = True) -> Column[str]:
    return Column(name, String(length), nullable=nullable)


def _fact(name: str, act_id: str, *columns: Column[Any]) -> Table:
    """A table of one kind of act: one row per (project, pilot, act id), with the event that set it."""
    return Table(
        name,
        metadata,
        _id("project_id"),
        Column("pilot", String(16), nullable=False),
        _id(act_id),
        Column("event_id", String(36), nullable=False),
        *columns,
        PrimaryKeyConstraint("project_id", "pilot", act_id),
    )


budget_line = Table(
    "view_plan_budget_line",
    metadata,
    _id("project_id"),
    Column("pilot", String(16), nullable=False, comment="the intake pilot that submitted the budget"),
    _id("code"),
    _text("category", 32, nullable=False),
    _cents("amount"),
    PrimaryKeyConstraint("project_id", "pilot", "code"),
)

opinion = _fact(
    "view_plan_opinion",
    "opinion_id",
    _day("given_on"),
    _text("outcome", 32, nullable=False),
    _cents("eligible_total"),
    _cents("self_financing"),
    _cents("in_kind"),
)

eligible_line = Table(
    "view_plan_eligible_line",
    metadata,
    _id("project_id"),
    Column("pilot", String(16), nullable=False),
    _id("opinion_id"),
    _id("code"),
    _text("category", 32, nullable=False),
    _cents("amount"),
    PrimaryKeyConstraint("project_id", "pilot", "opinion_id", "code"),
)

request = _fact(
    "view_plan_request",
    "request_id",
    _day("requested_on"),
    _text("instrument", 32, nullable=False),
    _cents("amount"),
    _text("budget_lines", 2000, nullable=False),
    _text("programme", 64),
)


def _aid() -> tuple[Column[Any], ...]:
    """What the de minimis rule reads from an act that grants aid, and the rules it was checked under."""
    return (
        _text("state_aid_basis", 32),
        _text("scheme_reference", 64),
        _day("legal_right_on", nullable=True),
        _text("beneficiary_siren", 9),
        Column("rules_version", Integer, nullable=False, server_default="1"),
    )


decision = _fact(
    "view_plan_decision",
    "decision_id",
    _id("request_id"),
    _day("decided_on"),
    _text("outcome", 16, nullable=False),
    _text("instrument", 32, nullable=False),
    _cents("nominal_amount"),
    _cents("gross_grant_equivalent"),
    *_aid(),
    Column("conditions", Text, nullable=False),
    _day("cancelled_on", nullable=True),
    _text("cancel_reason", 32),
)

cofunder = _fact(
    "view_plan_cofunder",
    "cofunder_line_id",
    _day("declared_on"),
    _text("kind", 16, nullable=False),
    _text("cofunder_siren", 9),
    _text("programme", 64),
    _text("instrument", 32, nullable=False),
    _cents("amount"),
    _text("status", 16, nullable=False),
    _cents("gross_grant_equivalent", nullable=True),
    *_aid(),
)

cover = Table(
    "view_plan_cover",
    metadata,
    _id("project_id"),
    Column("pilot", String(16), nullable=False),
    Column("act", String(16), nullable=False, comment="decision | cofunder"),
    _id("act_id"),
    _id("code"),
    _cents("amount"),
    PrimaryKeyConstraint("project_id", "pilot", "act", "act_id", "code"),
)

commitment = _fact(
    "view_plan_commitment",
    "commitment_id",
    _id("decision_id"),
    _day("committed_on"),
    _text("reference", 64, nullable=False),
    _cents("amount"),
)

tranche = _fact(
    "view_plan_tranche",
    "tranche_id",
    _id("commitment_id"),
    _day("due_on"),
    _cents("amount"),
    _text("trigger", 32, nullable=False),
)

disbursement = _fact(
    "view_plan_disbursement",
    "disbursement_id",
    _id("commitment_id"),
    _text("tranche_id", 64),
    _day("paid_on"),
    _cents("amount"),
    _text("payment_reference", 64),
)

recovery = _fact(
    "view_plan_recovery",
    "recovery_id",
    _id("decision_id"),
    _day("ordered_on"),
    _cents("amount"),
    _text("reason", 32, nullable=False),
    _text("reference", 64),
)

declaration = Table(
    "view_plan_declaration",
    metadata,
    _id("project_id"),
    Column("event_id", String(36), nullable=False),
    Column("pilot", String(16), nullable=False),
    _day("declared_on"),
    _text("beneficiary_siren", 9, nullable=False),
    _text("linked_undertakings", 2000, nullable=False),
    Column("fiscal_year_end_month", Integer, nullable=False),
    PrimaryKeyConstraint("project_id", "event_id"),
)

prior_aid = Table(
    "view_plan_prior_aid",
    metadata,
    _id("project_id"),
    Column("event_id", String(36), nullable=False, comment="the declaration that lists it"),
    _id("aid_ref"),
    _text("recipient_siren", 9, nullable=False),
    _text("grantor", 32, nullable=False),
    _text("basis", 32, nullable=False),
    _cents("gross_grant_equivalent"),
    _day("legal_right_on"),
    PrimaryKeyConstraint("project_id", "event_id", "aid_ref"),
)

acknowledgement = Table(
    "view_plan_acknowledgement",
    metadata,
    _id("project_id"),
    Column("pilot", String(16), nullable=False),
    Column("act_event_id", String(64), nullable=False, comment="the act whose breach was acknowledged"),
    Column("event_id", String(36), nullable=False),
    _text("act", 64, nullable=False),
    _text("rules", 64, nullable=False),  # comma-separated
    _day("acknowledged_on"),
    _id("requested_by"),
    _id("approved_by"),
    PrimaryKeyConstraint("project_id", "pilot", "act_event_id"),
)

status = Table(
    "view_plan_status",
    metadata,
    _id("project_id"),
    _text("status", 16, nullable=False),
    _text("opinion", 160),
    _cents("eligible_total", nullable=True),
    _cents("self_financing"),
    _cents("in_kind"),
    _cents("committed"),
    _cents("cofunded"),
    _cents("funded"),
    PrimaryKeyConstraint("project_id"),
)

verdict = Table(
    "view_plan_verdict",
    metadata,
    _id("project_id"),
    _text("rule", 16, nullable=False),
    _text("subject", 160, nullable=False),
    _text("act", 160, nullable=False),
    Column("act_event_id", String(36), nullable=False),
    _day("act_on"),
    _text("regulation", 64),
    Column("window_text", Text, nullable=False),
    _day("window_from", nullable=True),
    _day("window_to", nullable=True),
    _cents("limit_cents"),
    _cents("total_cents"),
    Column("counted", Text, nullable=False, comment="canonical JSON: [[act, cents], ...]"),
    PrimaryKeyConstraint("project_id", "rule", "subject", "act"),
)

FACT_TABLES = (
    budget_line,
    opinion,
    eligible_line,
    request,
    decision,
    cofunder,
    cover,
    commitment,
    tranche,
    disbursement,
    recovery,
    declaration,
    prior_aid,
    acknowledgement,
)
PLAN_TABLES = (*FACT_TABLES, status, verdict)
UNJUDGED = frozenset({request, tranche, disbursement, recovery, acknowledgement})
"""Facts no rule across funders reads: the fold does not judge the plan again after them."""
JUDGED_TABLES = tuple(table for table in FACT_TABLES if table not in UNJUDGED)

# The ledger (ess_views.undertaking) finds an undertaking's aid across projects by SIREN.
Index("ix_view_plan_decision_beneficiary", decision.c.beneficiary_siren)
Index("ix_view_plan_cofunder_beneficiary", cofunder.c.beneficiary_siren)
Index("ix_view_plan_prior_aid_recipient", prior_aid.c.recipient_siren)
Index("ix_view_plan_declaration_beneficiary", declaration.c.beneficiary_siren)
