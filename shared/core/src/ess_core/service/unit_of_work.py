"""An act's unit of work, the same in every service: one transaction per attempt (the state change and
its outbox rows commit together, or neither does), tried again when a concurrent act won a race.

A race shows as a unique key another transaction took meanwhile (the outbox's issuer sequence, an
idempotency key, an open project's SIRET and title) or, on PostgreSQL, a serialization failure or a
deadlock (an act tried out against the view while the projection writes the same rows). The next
attempt reads the winner's rows and decides again. After the last attempt the act is refused (409)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Protocol, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ess_core.messaging.outbox import Outbox
from ess_core.privacy.data_keys import Sealer
from ess_core.privacy.keyring import Keyring
from ess_core.refusals import Concurrent

T = TypeVar("T")

ATTEMPTS = 3
RETRIED_SQLSTATES = frozenset({"40001", "40P01"})  # PostgreSQL: serialization failure, deadlock


class ActHarness(Protocol):
    """What a service's acts use of the harness (`ServiceRuntime` is one): its database, its outbox, and
    the transaction an act's state change and events commit in."""

    engine: AsyncEngine
    outbox: Outbox
    sealer: Sealer
    keyring: Keyring

    @property
    def legal_holds(self) -> Mapping[str, str]:
        """Sealed fields kept by law on an erasure request (art. 17(3)(b)), each with its reason."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[AsyncConnection]: ...


def lost_a_race(error: DBAPIError) -> bool:
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return isinstance(error, IntegrityError) or code in RETRIED_SQLSTATES


async def retried(attempt: Callable[[], Awaitable[T]], attempts: int = ATTEMPTS) -> T:
    """`attempt` opens its own transaction; it runs again after a lost race, at most `attempts` times."""
    for number in range(1, attempts + 1):
        try:
            return await attempt()
        except DBAPIError as error:
            if not lost_a_race(error):
                raise
            if number == attempts:
                raise Concurrent() from error
    raise AssertionError("unreachable")
