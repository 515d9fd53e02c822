"""The ledger's own tables (shared metadata, migration 0005): the control links and the outside aid each
pilot recorded, one row per (pilot, id), replaced by that aggregate's later events. The aid granted in
funding plans is read where the plan view keeps it (ess_views.funding_plan.tables)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Index, PrimaryKeyConstraint, String, Table

from ess_core.messaging.schema import metadata


def _siren(name: str, nullable: bool = False) -> Column[str]:
    return Column(name, String(9), nullable=nullable)


def _day(name: str, nullable: bool = False) -> Column[str]:
    return Column(name, String(10), nullable=nullable)


def _owned(name: str, id_column: str, *columns: Column[Any]) -> Table:
    return Table(
        name,
        metadata,
        Column("pilot", String(16), nullable=False),
        Column(id_column, String(64), nullable=False),
        Column("event_id", String(36), nullable=False),
        *columns,
        Column("source", String(64), nullable=False),
        Column("recorded_by", String(64), nullable=False, comment="opaque id the pilot gives its staff"),
        _day("withdrawn_on", nullable=True),
        Column("withdrawal_reason", String(32), nullable=True),
        PrimaryKeyConstraint("pilot", id_column),
    )


link = _owned(
    "view_undertaking_link",
    "link_id",
    _siren("controlling_siren"),
    _siren("controlled_siren"),
    Column("relation", String(32), nullable=False),
    _day("starts_on"),
    _day("ends_on", nullable=True),
)
Index("ix_view_undertaking_link_controlling", link.c.controlling_siren)
Index("ix_view_undertaking_link_controlled", link.c.controlled_siren)

outside_aid = _owned(
    "view_undertaking_outside_aid",
    "aid_id",
    _siren("recipient_siren"),
    Column("grantor", String(32), nullable=False),
    _siren("grantor_siren", nullable=True),
    Column("basis", String(32), nullable=False),
    Column("nominal_amount", BigInteger, nullable=False),
    Column("gross_grant_equivalent", BigInteger, nullable=False),
    _day("granted_on"),
    _day("legal_right_on"),
)
Index("ix_view_undertaking_outside_aid_recipient", outside_aid.c.recipient_siren)

LEDGER_TABLES = (link, outside_aid)
