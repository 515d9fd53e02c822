"""Alembic revisions of the funding service's own tables (branch `ess_funding`)."""
