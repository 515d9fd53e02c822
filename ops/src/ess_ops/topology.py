"""The default local topology as data, and where `ess up` keeps its state."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ess_contracts.types import Pilot, ServiceName

# Intake is run by the region; funding and evaluation by each of the three pilots: seven processes.
TOPOLOGY: tuple[tuple[Pilot, ServiceName], ...] = (
    ("region", "intake"),
    ("region", "funding"),
    ("state", "funding"),
    ("bdt", "funding"),
    ("region", "evaluation"),
    ("state", "evaluation"),
    ("bdt", "evaluation"),
)

# One local token per pilot, for its staff and operators (holders and networks are outside parties).
STAFF_ROLES: dict[Pilot, tuple[str, ...]] = {
    "region": ("instructor", "decider", "operator", "admin"),
    "state": ("instructor", "decider", "operator", "admin"),
    "bdt": ("instructor", "decider", "operator", "admin"),
}

# Demo people of the outside parties, at the pilot whose intake receives files: a holder who submits and
# follows projects, and a network person (its subject, `<pilot>-local-network`, is the account an admin
# names in a network's directory entry). A deployment's identity provider gives holders their own.
OUTSIDE_PEOPLE: dict[Pilot, tuple[str, ...]] = {"region": ("holder", "network")}

# Placeholder SIRETs (valid keys, no real body) naming each pilot as grantor in the demo's open data; a
# deployment sets each pilot's own (ESS_FUNDING_GRANTOR_SIRET).
DEMO_GRANTOR_SIRETS: dict[str, str] = {
    "region": "23440000000001",
    "state": "13000000000005",
    "bdt": "18000000000000",
}

STREAM = "ESS"
PROBE_PILOT: Pilot = "region"


def pilots() -> tuple[Pilot, ...]:
    return tuple(dict.fromkeys(pilot for pilot, _ in TOPOLOGY))


@dataclass(frozen=True)
class StateDir:
    """The layout of the state dir (git-ignored `.ess/`); seeds and data survive restarts of `ess up`."""

    root: Path

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def trust_file(self) -> Path:
        return self.root / "trust.json"

    @property
    def nats_users(self) -> Path:
        """The public NATS user keys of the operator and every pilot, beside the trust file."""
        return self.root / "nats-users.json"

    @property
    def auth(self) -> Path:
        return self.root / "auth"

    @property
    def tokens(self) -> Path:
        return self.root / "tokens"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def nats(self) -> Path:
        return self.root / "nats"

    @property
    def run_file(self) -> Path:
        return self.root / "run.json"

    def service_env(self, pilot: str, service: str, nats_url: str, auth_key: Path) -> dict[str, str]:
        """The environment of one service process: this shell's, minus any ESS_* it set but the service's
        own settings (`ESS_INTAKE_CONTACT_RETENTION_DAYS`...: what a person may tune locally) and the mail
        server's for notices (`ESS_SMTP_*`, `ESS_NOTICE_*`), plus its own (`spawn` adds its listening
        socket)."""
        kept = (f"ESS_{service.upper()}_", "ESS_SMTP_", "ESS_NOTICE_", "ESS_AGREED_EVERY", "ESS_SNAPSHOT")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ESS_") or k.startswith(kept)}
        database = self.database(pilot, service)
        own = {
            "PYTHONUNBUFFERED": "1",
            "ESS_PILOT": pilot,
            "ESS_DATABASE_URL": f"sqlite+aiosqlite:///{database}",  # messaging.db.sqlite_url, no SQLAlchemy
            "ESS_NATS_URL": nats_url,
            "ESS_SIGNING_SEED_FILE": str(self.seed(pilot)),
            "ESS_TRUST_FILE": str(self.trust_file),
            "ESS_AUTH_PUBLIC_KEY_FILE": str(auth_key),
        }
        if service == "funding":
            own["ESS_FUNDING_GRANTOR_SIRET"] = DEMO_GRANTOR_SIRETS[pilot]
        if self.encryption_key(pilot).exists():
            own["ESS_ENCRYPTION_KEY_FILE"] = str(self.encryption_key(pilot))
        if self.nats_seed(pilot).exists():  # absent: a broker without users (tests that run one)
            own["ESS_NATS_SEED_FILE"] = str(self.nats_seed(pilot))
        return env | own

    def seed(self, pilot: str) -> Path:
        return self.keys / f"{pilot}.seed"

    def encryption_key(self, pilot: str) -> Path:
        """A pilot's X25519 private key: opens the data keys other pilots seal to it."""
        return self.keys / f"{pilot}.x25519"

    def nats_seed(self, identity: str) -> Path:
        """A pilot's (or the operator's) NATS user seed: it logs in to the broker with it."""
        return self.keys / f"{identity}.nats.seed"

    def token(self, person: str) -> Path:
        """A local person's token (`<pilot>-<role>`, `<pilot>-second-decider`: `ess_ops.keys.mint_tokens`)."""
        return self.tokens / f"{person}.jwt"

    def database(self, pilot: str, service: str) -> Path:
        return self.data / f"{pilot}-{service}.db"

    def log(self, pilot: str, service: str) -> Path:
        return self.logs / f"{pilot}-{service}.log"
