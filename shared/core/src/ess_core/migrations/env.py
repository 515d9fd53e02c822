"""Alembic environment shared by every service: it migrates the connection it is handed (see
`ess_core.service.migrate`), against the shared tables plus the service's own."""

from __future__ import annotations

from alembic import context

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=config.attributes["target_metadata"],
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
    compare_type=True,
    include_object=config.attributes.get("include_object"),
)
with context.begin_transaction():
    context.run_migrations()
