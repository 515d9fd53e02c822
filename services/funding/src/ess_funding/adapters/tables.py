"""The funding service's own tables: its journal of acts (the outbox, shared), who recorded each act, and
the acts waiting for a second decider.

The plan itself is a view (ess_views.funding_plan) every pilot folds from the stream; what stays here is what
must not travel: the person who recorded the act, and the rules they knowingly acknowledged.
"""

from sqlalchemy import Column, MetaData, String, Table, Text

from ess_core.messaging.schema import NAMING

metadata = MetaData(naming_convention=NAMING)

act = Table(
    "funding_act",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("project_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("act_id", String(64), nullable=False),
    Column("recorded_by", String(255), nullable=False, comment="the token's subject; stays in this database"),
    Column("acknowledged", String(64), nullable=False, comment="rules acknowledged, comma-separated"),
    Column("recorded_at", String(27), nullable=False, comment="UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ"),
)

pending_act = Table(
    "funding_pending_act",
    metadata,
    Column("pending_id", String(64), primary_key=True),
    Column("project_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("body", Text, nullable=False, comment="the act's fields as the service parsed them (JSON)"),
    Column("acknowledge", String(64), nullable=False, comment="rules to acknowledge, comma-separated"),
    Column("requested_by", String(255), nullable=False, comment="the first decider's token subject"),
    Column("requested_at", String(27), nullable=False),
    Column("status", String(16), nullable=False, comment="pending | approved | withdrawn"),
    Column("approved_by", String(255), nullable=True),
    Column("event_id", String(36), nullable=True, comment="the act's event, once approved"),
)
"""Acts that go through an acknowledgeable breach wait here for a second decider of the pilot (four eyes):
nothing is signed until then."""
