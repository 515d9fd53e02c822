"""The funding service's own tables (its acts). Empty until the funding issue lands; the shared tables
(outbox journal, projection bookkeeping, shared views) come from ess_shared."""

from sqlalchemy import MetaData

from ess_shared.messaging.schema import NAMING

metadata = MetaData(naming_convention=NAMING)
