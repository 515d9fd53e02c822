"""What a service process needs to run as one pilot's part, read from `ESS_*` environment variables."""

from __future__ import annotations

import json
import os
from datetime import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import make_url

from ess_contracts.privacy import SEALED_FIELDS
from ess_contracts.types import Pilot, ServiceName
from ess_core.notify.smtp import SmtpSettings
from ess_core.service.limits import HttpLimits

HTTP_FD_ENV = "ESS_HTTP_FD"  # a listening socket's descriptor, inherited from `ess up` (cli/services.py)


class ServiceSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    pilot: Pilot
    service: ServiceName
    database_url: str
    nats_url: str
    signing_seed_file: Path
    trust_file: Path
    http_host: str = "127.0.0.1"
    http_port: int = 0
    http_fd: int | None = None  # serve on this inherited socket rather than bind http_host:http_port
    nats_user_seed_file: Path | None = None
    nats_ca_file: Path | None = None
    encryption_key_file: Path | None = None  # the pilot's X25519 private key: opens other pilots' texts
    checkpoint_seconds: float = 10.0
    agreed_every: int = 10_000
    """Stream sequences between agreed positions: the same for every service of the federation (its
    services sign checkpoints of the same events there); 0 signs none."""
    snapshot_dir: Path | None = None  # where this service keeps its snapshots; None: none are taken
    snapshot_every: int = 10  # a snapshot every this many agreed positions (0: only when asked)
    snapshots_kept: int = 2
    bootstrap_from: str | None = None
    """`<pilot>=<url>`: with empty views, start from that pilot's service's snapshot (docs/snapshots.md)."""
    bootstrap_token_file: Path | None = None  # an operator token of this pilot, read at that service
    http_limits: HttpLimits = HttpLimits()
    legal_holds: dict[str, str] = {}
    """Sealed fields this service must keep on an erasure request, each with its legal reason."""
    smtp: SmtpSettings | None = None  # the pilot's mail server: none, and notices wait in the outbox
    notice_templates_dir: Path | None = None  # the pilot's own versions of the service's notice templates
    public_url: str | None = None  # where people reach this service: links in notices point there
    webhooks_file: Path | None = None  # partners' systems told of events (ess_core.webhooks)
    notice_digest_at: time = time(7, 0)  # when (UTC) staff who chose a daily digest get it

    @property
    def instance(self) -> str:
        """The name this service goes by on the stream (durable consumer, checkpoints)."""
        return f"{self.pilot}-{self.service}"

    def bootstrap_source(self) -> tuple[str, str, str] | None:
        """(pilot, URL, token) of the service to join from at start, if any."""
        if not self.bootstrap_from:
            return None
        pilot, _, url = self.bootstrap_from.partition("=")
        if not url or self.bootstrap_token_file is None:
            raise SystemExit("ESS_BOOTSTRAP_FROM is '<pilot>=<url>' and needs ESS_BOOTSTRAP_TOKEN_FILE")
        return pilot, url, self.bootstrap_token_file.read_text(encoding="utf-8").strip()

    @classmethod
    def from_env(cls, service: ServiceName, env: dict[str, str] | None = None) -> ServiceSettings:
        env = dict(os.environ if env is None else env)
        missing = [name for name in _REQUIRED if not env.get(name)]
        if missing:
            raise SystemExit(f"ess-{service}: missing environment variables: {', '.join(missing)}")
        return cls(
            pilot=env["ESS_PILOT"],
            service=service,
            database_url=with_password(env["ESS_DATABASE_URL"], _path(env, "ESS_DATABASE_PASSWORD_FILE")),
            nats_url=env["ESS_NATS_URL"],
            signing_seed_file=Path(env["ESS_SIGNING_SEED_FILE"]),
            trust_file=Path(env["ESS_TRUST_FILE"]),
            http_host=env.get("ESS_HTTP_HOST", "127.0.0.1"),
            http_port=int(env.get("ESS_HTTP_PORT", "0")),
            http_fd=int(env[HTTP_FD_ENV]) if env.get(HTTP_FD_ENV) else None,
            nats_user_seed_file=_path(env, "ESS_NATS_SEED_FILE"),
            nats_ca_file=_path(env, "ESS_NATS_CA_FILE"),
            encryption_key_file=_path(env, "ESS_ENCRYPTION_KEY_FILE"),
            checkpoint_seconds=float(env.get("ESS_CHECKPOINT_SECONDS", "10")),
            agreed_every=int(env.get("ESS_AGREED_EVERY", "10000")),
            snapshot_dir=_snapshot_dir(env),
            snapshot_every=int(env.get("ESS_SNAPSHOT_EVERY", "10")),
            snapshots_kept=int(env.get("ESS_SNAPSHOTS_KEPT", "2")),
            bootstrap_from=env.get("ESS_BOOTSTRAP_FROM") or None,
            bootstrap_token_file=_path(env, "ESS_BOOTSTRAP_TOKEN_FILE"),
            http_limits=HttpLimits.from_env(env),
            legal_holds=legal_holds_from_env(service, env),
            smtp=SmtpSettings.from_env(env),
            notice_templates_dir=_path(env, "ESS_NOTICE_TEMPLATES_DIR"),
            webhooks_file=_path(env, f"ESS_{service.upper()}_WEBHOOKS_FILE"),
            public_url=(env.get(f"ESS_{service.upper()}_PUBLIC_URL") or "").rstrip("/") or None,
            notice_digest_at=_clock_time(env, "ESS_NOTICE_DIGEST_AT", time(7, 0)),
        )


_REQUIRED = ("ESS_PILOT", "ESS_DATABASE_URL", "ESS_NATS_URL", "ESS_SIGNING_SEED_FILE", "ESS_TRUST_FILE")


HOLD_REASON_MAX = 400


def legal_holds_from_env(service: ServiceName, env: dict[str, str]) -> dict[str, str]:
    """`ESS_<SERVICE>_LEGAL_HOLDS`, a JSON object: sealed field -> the legal obligation to keep its texts
    (GDPR art. 17(3)(b)). A field this service does not seal, or an empty reason, stops the start."""
    name = f"ESS_{service.upper()}_LEGAL_HOLDS"
    if not env.get(name):
        return {}
    try:
        holds = json.loads(env[name])
    except json.JSONDecodeError as exc:
        raise SystemExit(f"{name}: not JSON ({exc})") from exc
    if not isinstance(holds, dict):
        raise SystemExit(f'{name}: a JSON object is expected, field -> legal reason ({{"field": "reason"}})')
    sealed = SEALED_FIELDS.get(service, ())
    for field, reason in holds.items():
        if field not in sealed:
            known = ", ".join(sealed) or "none"
            raise SystemExit(f"{name}: {field!r} is not a field the {service} service seals ({known})")
        if not isinstance(reason, str) or not reason.strip() or len(reason) > HOLD_REASON_MAX:
            raise SystemExit(
                f"{name}: {field}: the legal reason must be text of 1 to {HOLD_REASON_MAX} characters"
            )
    return {str(field): str(reason).strip() for field, reason in holds.items()}


def _clock_time(env: dict[str, str], name: str, default: time) -> time:
    if not env.get(name):
        return default
    try:
        return time.fromisoformat(env[name])
    except ValueError as exc:
        raise SystemExit(f"{name}: a time of day (HH:MM, UTC), not {env[name]!r}") from exc


def _path(env: dict[str, str], name: str) -> Path | None:
    return Path(env[name]) if env.get(name) else None


def _snapshot_dir(env: dict[str, str]) -> Path | None:
    """`ESS_SNAPSHOT_DIR`, or beside a SQLite database file (`<file>.snapshots`); a PostgreSQL service
    without the setting takes none."""
    if env.get("ESS_SNAPSHOT_DIR"):
        return Path(env["ESS_SNAPSHOT_DIR"])
    url = make_url(env["ESS_DATABASE_URL"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(f"{url.database}.snapshots")
    return None


def with_password(database_url: str, password_file: Path | None) -> str:
    """The URL with the password read from a file (a container secret), so no password sits in the
    environment or the compose file."""
    if password_file is None:
        return database_url
    url = make_url(database_url).set(password=password_file.read_text(encoding="utf-8").strip())
    return url.render_as_string(hide_password=False)
