"""Alembic revisions of the evaluation service's own tables (branch `ess_evaluation`)."""
