"""The reader's side: open a sealed text for someone allowed to read it. The author's own texts open
with its own data keys; another pilot's with the copy the key store holds for this pilot, opened with
this pilot's private X25519 key. Opened keys are kept in memory only, so a destroyed key leaves no
copy in this service's database."""

from __future__ import annotations

import nacl.public
from sqlalchemy.ext.asyncio import AsyncEngine

from ess_contracts.sealing import CannotOpen, Sealed, context_of, open_data_key, opened
from ess_core.privacy.data_keys import own_secret
from ess_core.privacy.key_store import KeyStore

UNREADABLE = "[texte indisponible]"
"""Shown for a text whose key this service does not hold (destroyed, or not received yet)."""
ERASED = "[texte effacé]"
"""Shown for a text whose author destroyed its key."""


class Keyring:
    def __init__(
        self,
        pilot: str,
        engine: AsyncEngine,
        store: KeyStore | None,
        private: nacl.public.PrivateKey | None,
    ) -> None:
        self.pilot, self.engine, self.store, self.private = pilot, engine, store, private
        self._secrets: dict[str, bytes] = {}
        self.erased: frozenset[str] = frozenset()
        """Keys the view says their authors destroyed (ErasureReactor keeps it): never opened again, even
        from a copy this process still holds."""

    def learn_erased(self, key_ids: frozenset[str]) -> None:
        self.erased = key_ids
        for key_id in key_ids & self._secrets.keys():
            del self._secrets[key_id]

    async def open(self, sealed: Sealed, aggregate_id: str, field: str) -> str | None:
        """The text, or None when this service cannot open it."""
        if sealed.key in self.erased:
            return None
        secret = await self._secret(sealed.key) if sealed.erasable else None
        return opened(sealed, secret, context_of(aggregate_id, field))

    async def text(self, sealed: Sealed, aggregate_id: str, field: str) -> str:
        """The text, or the French placeholder a reader sees when it cannot be opened."""
        opened = await self.open(sealed, aggregate_id, field)
        if opened is None:
            return ERASED if sealed.key in self.erased else UNREADABLE
        return opened

    def forget(self, key_id: str) -> None:
        self._secrets.pop(key_id, None)

    async def _secret(self, key_id: str) -> bytes | None:
        if key_id in self._secrets:
            return self._secrets[key_id]
        secret = await self._fetch(key_id)
        if secret is not None:
            self._secrets[key_id] = secret
        return secret

    async def _fetch(self, key_id: str) -> bytes | None:
        if key_id.startswith(f"{self.pilot}-"):
            async with self.engine.connect() as conn:
                own = await own_secret(conn, key_id)
            if own is not None:
                return own
        if self.store is None or self.private is None:
            return None
        copy = await self.store.fetch(key_id)
        if copy is None:
            return None
        try:
            return open_data_key(copy, self.private)
        except CannotOpen:
            return None
