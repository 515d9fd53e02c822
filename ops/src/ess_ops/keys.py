"""Pilots' signing seeds and NATS user seeds, the shared files of their public keys (the trust file,
`nats-users.json`), and local people's tokens.

Seeds are generated once on the machine that uses them and written owner-only (0600); only public keys
go into the trust file. `ess up` keeps them across runs in its state dir, which git ignores.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from ess_contracts.sealing import generate_private_key, private_key, public_key_text
from ess_contracts.signing import Signer, TrustFile, TrustStore, generate_seed
from ess_contracts.types import PILOTS, Pilot
from ess_core.auth.tokens import PRIVATE_KEY_FILE, LocalIssuer
from ess_core.security.identities import OBSERVER, OPERATOR, NatsUsers, generate_user_seed, user_public_key
from ess_ops.topology import OUTSIDE_PEOPLE


class KeysError(ValueError):
    """A key or trust file cannot be used as asked (bad key, unknown pilot, file exists)."""


def write_secret(path: Path, text: str) -> None:
    """Create the file 0600 from the start, so a secret is never readable by others, even briefly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o600)


def check_pilot(pilot: str) -> Pilot:
    for known in PILOTS:
        if pilot == known:
            return known
    raise KeysError(f"unknown pilot {pilot!r}; pilots are {', '.join(PILOTS)}")


def new_seed(path: Path) -> Signer:
    """Generate a seed into a new file; refuses to overwrite one (a lost seed cannot be recovered)."""
    if path.exists():
        raise KeysError(f"{path} already exists; a pilot keeps its seed (rotate by writing a new file)")
    seed = generate_seed()
    write_secret(path, seed + "\n")
    return Signer(seed)


def ensure_seed(path: Path) -> Signer:
    """The seed in ``path``, generated the first time."""
    if path.exists():
        return Signer(path.read_text(encoding="utf-8").strip())
    return new_seed(path)


def new_nats_seed(path: Path) -> str:
    """Generate a NATS user seed into a new file (0600); returns its public key ("U…")."""
    if path.exists():
        raise KeysError(f"{path} already exists; rotate by writing a new file and adding its key")
    seed = generate_user_seed()
    write_secret(path, seed + "\n")
    return user_public_key(seed)


def ensure_nats_seed(path: Path) -> str:
    """The public key of the NATS user seed in ``path``, generated the first time."""
    if path.exists():
        return user_public_key(path.read_text(encoding="utf-8").strip())
    return new_nats_seed(path)


def ensure_encryption_key(path: Path) -> str:
    """The public X25519 key of the pilot's encryption key in ``path``, generated the first time. Losing
    the file loses every text other pilots sealed: back it up (docs/privacy/keys.md)."""
    if not path.exists():
        write_secret(path, generate_private_key() + "\n")
    return public_key_text(private_key(path.read_text(encoding="utf-8")))


def check_identity(identity: str) -> str:
    return identity if identity in (OPERATOR, OBSERVER) else check_pilot(identity)


def nats_users_with(users: NatsUsers, identity: str, key: str, on: date | None = None) -> NatsUsers:
    """``users`` with ``key`` as the identity's current NATS key (earlier ones kept, retired)."""
    try:
        return users.with_key(check_identity(identity), key, on)
    except ValueError as exc:
        raise KeysError(_reason(exc)) from exc


def ensure_nats_users(path: Path, keys: Mapping[str, str]) -> NatsUsers:
    """The settings file at ``path`` holding each identity's current NATS key; written when it changes."""
    users = NatsUsers.load_or_empty(path)
    updated = users
    for identity, key in keys.items():
        updated = nats_users_with(updated, identity, key)
    if updated != users or not path.exists():
        updated.save(path)
    return updated


def trust_with(trust: TrustFile, pilot: Pilot, key: str, on: date | None = None) -> TrustFile:
    """``trust`` with ``key`` as the pilot's current key (earlier keys kept, retired); checks the key."""
    current = trust.pilots.get(pilot, ())
    if current and current[-1].key == key and current[-1].retired is None:
        return trust
    try:
        updated = trust.add_key(pilot, key, on or date.today())
        TrustStore(updated)  # decodes every key: a typo or a wrong checksum fails here
    except ValueError as exc:
        raise KeysError(f"not a pilot's signing public key ({key[:12]}…): {_reason(exc)}") from exc
    return updated


def ensure_trust(
    path: Path, keys: Mapping[Pilot, str], encryption: Mapping[Pilot, str] | None = None
) -> TrustFile:
    """The trust file at ``path`` holding each pilot's current signing key and, when given, encryption
    key; written only when it changes."""
    trust = TrustFile.load(path) if path.exists() else TrustFile(pilots={})
    updated = trust
    for pilot, key in keys.items():
        updated = trust_with(updated, pilot, key)
    for pilot, key in (encryption or {}).items():
        if updated.encryption_key(pilot) != key:
            updated = updated.add_encryption_key(pilot, key, date.today())
    if updated != trust or not path.exists():
        updated.save(path)
    return updated


def ensure_issuer(directory: Path) -> tuple[LocalIssuer, Path]:
    """The local token issuer kept in ``directory`` (generated once) and its public key file."""
    exists = (directory / PRIVATE_KEY_FILE).exists()
    issuer = LocalIssuer.load(directory) if exists else LocalIssuer.generate()
    return issuer, issuer.save(directory)


def mint_tokens(issuer: LocalIssuer, roles: Mapping[Pilot, tuple[str, ...]], out: Path) -> dict[str, Path]:
    """Tokens written owner-only to ``out/<stem>.jwt``, keyed by stem. Per pilot: one person per role
    (``<pilot>-instructor``, ``-decider``, ``-operator``, ``-admin``: duties kept apart, as a deployment's
    identity provider would; `ess` commands act as the one whose role the route needs); where it has
    deciders, a second decider, another person (``<pilot>-second-decider``: an acknowledged breach needs
    two). No person holds every role. The outside parties' demo people (`OUTSIDE_PEOPLE`: a holder, a
    network person) are minted beside them, one role each."""
    paths: dict[str, Path] = {}
    for pilot, pilot_roles in roles.items():
        people: dict[str, tuple[str, tuple[str, ...], str]] = {
            f"{pilot}-{role}": (f"{pilot}-local-{role}", (role,), f"{pilot} ({role})")
            for role in (*pilot_roles, *OUTSIDE_PEOPLE.get(pilot, ()))
        }
        if "decider" in pilot_roles:
            people[f"{pilot}-second-decider"] = (
                f"{pilot}-local-decider-2",
                ("decider",),
                f"{pilot} (2nd decider)",
            )
        for stem, (subject, person_roles, name) in people.items():
            paths[stem] = out / f"{stem}.jwt"
            write_secret(paths[stem], issuer.mint(subject, pilot, person_roles, name=name) + "\n")
    return paths


def _reason(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        return str(exc.errors()[0]["msg"])
    return str(exc) or type(exc).__name__
