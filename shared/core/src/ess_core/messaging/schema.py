"""Tables every service database holds besides its own: the outbox (its journal) and the projection's
bookkeeping (applied ids, issuer positions, parked events, dead letters). Only integers, text and bytes,
so SQLite and PostgreSQL hold byte-identical rows."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants a BIGINT identity.
Position = BigInteger().with_variant(Integer(), "sqlite")

outbox = Table(
    "ess_outbox",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("subject", String(255), nullable=False),
    Column("aggregate", String(32), nullable=False),
    Column("aggregate_id", String(64), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column(
        "journal",
        BigInteger,
        nullable=True,
        unique=True,
        comment="the service's counter in the signed envelope, without gaps; NULL before it existed",
    ),
    Column("data", LargeBinary, nullable=False),
    Column("headers", Text, nullable=False),
    Column("stream_seq", BigInteger, nullable=True, comment="from the PubAck; NULL until published"),
    Column(
        "trace_context",
        Text,
        nullable=True,
        comment="W3C trace context of the act (JSON: traceparent, tracestate) for the relay's message "
        "headers, never the signed body; NULL when tracing is off",
    ),
    UniqueConstraint("aggregate", "aggregate_id", "sequence", name="uq_ess_outbox_issuer_sequence"),
)
Index(
    "ix_ess_outbox_unpublished",
    outbox.c.position,
    sqlite_where=outbox.c.stream_seq.is_(None),
    postgresql_where=outbox.c.stream_seq.is_(None),
)

applied = Table(
    "ess_applied",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("stream_seq", BigInteger, nullable=False),
)

issuer_position = Table(
    "ess_issuer_position",
    metadata,
    Column("pilot", String(16), nullable=False),
    Column("service", String(16), nullable=False),
    Column("aggregate", String(32), nullable=False),
    Column("aggregate_id", String(64), nullable=False),
    Column("sequence", Integer, nullable=False),
    PrimaryKeyConstraint("pilot", "service", "aggregate", "aggregate_id"),
)

parked = Table(
    "ess_parked",
    metadata,
    Column("stream_seq", BigInteger, primary_key=True, autoincrement=False),
    Column("subject", String(255), nullable=False),
    Column("reason", Text, nullable=False),
    Column("kind", String(16), nullable=False, comment="gap | unknown"),
    Column("issuer", String(160), nullable=True, comment="pilot.service.aggregate.id, for gaps"),
    Column("sequence", Integer, nullable=True),
    Column("data", LargeBinary, nullable=False),
    Column("headers", Text, nullable=False),
    # A second copy of a parked event (republished stream) must not wait forever beside the first.
    UniqueConstraint("issuer", "sequence", name="uq_ess_parked_issuer_sequence"),
)

dead_letters = Table(
    "ess_dead_letters",
    metadata,
    Column("stream_seq", BigInteger, primary_key=True, autoincrement=False),
    Column("subject", String(255), nullable=False),
    Column("reason", Text, nullable=False),
    Column("deliveries", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("headers", Text, nullable=False),
)

consumer_position = Table(
    "ess_consumer_position",
    metadata,
    Column("consumer", String(64), primary_key=True),
    Column("stream_seq", BigInteger, nullable=False),
    Column("applied_count", BigInteger, nullable=False),
)

data_key = Table(
    "ess_data_key",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("aggregate_id", String(64), nullable=False),
    Column("field", String(64), nullable=False),
    Column("secret", LargeBinary, nullable=False),
    Column("created_at", String(27), nullable=False),
    # Kept on an erasure request for a legal obligation (art. 17(3)(b)): why, since when, which request.
    Column("held_reason", String(400), nullable=True),
    Column("held_since", String(10), nullable=True),
    Column("held_for", String(64), nullable=True),
    # One live key per (project, field) of this pilot (ess_core.privacy): every text of that field shares
    # it, so erasing the field destroys one key, and with its row deleted no copy opens the text again.
    UniqueConstraint("aggregate_id", "field", name="uq_ess_data_key_field"),
)

access_log = Table(
    "ess_access_log",
    metadata,
    Column("entry", Position, primary_key=True, autoincrement=True),
    Column("read_at", String(27), nullable=False, comment="UTC, microseconds"),
    Column("reader_pilot", String(16), nullable=False),
    Column(
        "reader", String(200), nullable=False, comment="the token's subject: the reader's IdP's opaque id"
    ),
    Column("project_id", String(64), nullable=False, index=True),
    Column("fields", String(400), nullable=False, comment="comma-separated: what personal data was served"),
)
"""Who read personal data through a service's routes, never on the stream (ess_core.privacy.access_log)."""

erased_text = Table(
    "view_project_erased_text",
    metadata,
    Column("project_id", String(64), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("pilot", String(16), nullable=False),
    Column("field", String(64), nullable=False),
    Column("destroyed_on", String(10), nullable=False),
    Column("reason", String(24), nullable=False),
    PrimaryKeyConstraint("project_id", "key_id"),
)
"""Keys their authors destroyed, a table of the project view: texts under them count as erased, whatever
arrived first (a set). Here, like the next, for the core's readers: its keyring never opens them."""

erasure_request = Table(
    "view_project_erasure_request",
    metadata,
    Column("project_id", String(64), nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("requested_on", String(10), nullable=False),
    PrimaryKeyConstraint("project_id", "request_id"),
)
"""Erasure requests, a table of the project view (ess_views.project folds it); here so that every
service's erasure reactor (ess_core.privacy.erasure) can read it: the core sits below the views."""

notice = Table(
    "ess_notice",
    metadata,
    Column("notice_key", String(200), primary_key=True, comment="what it tells: one notice per key, ever"),
    Column("kind", String(40), nullable=False, comment="its template"),
    Column("recipient", String(254), nullable=False, comment="an e-mail address: never on the stream"),
    Column("project_id", String(64), nullable=True, index=True),
    Column("context", Text, nullable=False, comment="JSON: what the template shows"),
    Column("created_at", String(27), nullable=False),
    Column("state", String(12), nullable=False, comment="pending | sent | failed | held | digested"),
    Column("attempts", Integer, nullable=False),
    Column("retry_at", String(27), nullable=True),
    Column("sent_at", String(27), nullable=True),
    Column("last_error", String(400), nullable=True),
)
"""The notices outbox (ess_core.notify): written in the act's transaction, sent after it commits."""

webhook_delivery = Table(
    "ess_webhook_delivery",
    metadata,
    Column("delivery_id", String(200), primary_key=True, comment="<webhook>:<generation>:<event id>"),
    Column("webhook", String(40), nullable=False),
    Column("generation", Integer, nullable=False, comment="a replay starts a new one"),
    Column("event_id", String(64), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("stream_seq", BigInteger, nullable=False),
    Column("body", Text, nullable=False, comment="what is posted: the verified event, as JSON"),
    Column("state", String(12), nullable=False, comment="pending | delivered | dead"),
    Column("attempts", Integer, nullable=False),
    Column("next_try_at", String(27), nullable=False),
    Column("created_at", String(27), nullable=False),
    Column("delivered_at", String(27), nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("last_error", String(400), nullable=True),
    Index("ix_ess_webhook_delivery_due", "state", "next_try_at"),
)
"""Each event a webhook chose, delivered or still to deliver (ess_core.webhooks): the delivery log."""

webhook_cursor = Table(
    "ess_webhook_cursor",
    metadata,
    Column("name", String(16), primary_key=True),
    Column("generation", Integer, nullable=False),
    Column("replayed_from", String(40), nullable=True, comment="a stream sequence or an instant"),
    Column("replayed_at", String(27), nullable=True),
)
"""The webhooks consumer's generation: a replay from a point starts the next one."""

notice_subscription = Table(
    "ess_notice_subscription",
    metadata,
    Column("subscriber", String(200), nullable=False, comment="the staff token's subject"),
    Column("kind", String(40), nullable=False),
    Column("email", String(254), nullable=False),
    Column("mode", String(8), nullable=False, comment="each | daily | off"),
    Column("updated_at", String(27), nullable=False),
    PrimaryKeyConstraint("subscriber", "kind"),
)
"""Which notices a person of this pilot's staff wants, and how (ess_core.notify.subscriptions)."""

digest_state = Table(
    "ess_digest_state",
    metadata,
    Column("table_name", String(64), primary_key=True),
    Column("lthash", LargeBinary, nullable=False, comment="the table's LtHash16 state, 2 KiB"),
)
"""Each view table's multiset hash, kept as its rows change (ess_core.messaging.digest_ledger)."""

digest_row = Table(
    "ess_digest_row",
    metadata,
    Column("table_name", String(64), nullable=False),
    Column("row_key", Text, nullable=False, comment="the row's primary key as a JSON array"),
    Column("digest", LargeBinary, nullable=False, comment="SHA-256 of the row's canonical bytes"),
    PrimaryKeyConstraint("table_name", "row_key"),
)
"""What each view row added to its table's hash: what to take away when the row changes or goes."""

digest_dirty = Table(
    "ess_digest_dirty",
    metadata,
    Column("table_name", String(64), nullable=False),
    Column("row_key", Text, nullable=False, comment="as the database's trigger wrote it (JSON array)"),
    PrimaryKeyConstraint("table_name", "row_key"),
)
"""View rows written since the hashes were last brought up to date: the triggers on every view table add
their keys, the fold settles them before its batch commits."""
