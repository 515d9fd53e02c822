"""The funding service's own tables: its journal of acts (the outbox, shared) and who recorded each act.

The plan itself is a view (ess_views.funding_plan) every pilot folds from the stream; what stays here is what
must not travel: the person who recorded the act, and the rules they knowingly acknowledged.
"""

from sqlalchemy import Column, MetaData, String, Table

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
