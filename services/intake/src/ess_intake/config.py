"""Intake's own settings, read from `ESS_INTAKE_*` variables beside the harness's `ESS_*` ones."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ess_core.service.settings import ServiceSettings
from ess_intake.domain.ds_mapping import DemarcheMapping, MappingError, load_mappings

DEFAULT_ORIENTATION_DELAY_DAYS = 30
DEFAULT_LINK_TTL_DAYS = 180
"""How long a holder's link works after it is given; staff re-issue one (`ess intake link issue`)."""
DEFAULT_CONTACT_RETENTION_DAYS = 3 * 365
"""Three years after the file ends: a default, not legal advice; set the period your legal basis fixes."""


DEFAULT_PRIVACY_CONTACT = "le délégué à la protection des données du pilote"
"""Whom holders write to about their data (the information notice): set the DPO's address."""


DS_API_URL = "https://www.demarches-simplifiees.fr/api/v2/graphql"


@dataclass(frozen=True)
class DsConfig:
    """The connector to Démarches Simplifiées (`ESS_INTAKE_DS_*`): off unless mappings are given."""

    token_file: Path
    """DS's API token, read at each run (a rotated token needs no restart); never in settings or logs."""
    mappings: dict[int, DemarcheMapping]
    url: str = DS_API_URL
    every_minutes: int = 0
    """The scheduled mode: every démarche imported this often; 0, only when asked (`ess intake import-ds`)."""
    per_second: float = 4.0
    page_size: int = 100

    def token(self) -> str:
        return self.token_file.read_text(encoding="utf-8").strip()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DsConfig | None:
        folder = env.get("ESS_INTAKE_DS_MAPPINGS")
        if not folder:
            return None
        token_file = env.get("ESS_INTAKE_DS_TOKEN_FILE")
        if not token_file:
            raise SystemExit(
                "ess-intake: ESS_INTAKE_DS_MAPPINGS needs ESS_INTAKE_DS_TOKEN_FILE (DS's API token)"
            )
        try:
            mappings = load_mappings(Path(folder))
        except MappingError as error:
            raise SystemExit(f"ess-intake: DS mapping: {error}") from None
        return cls(
            token_file=Path(token_file),
            mappings=mappings,
            url=env.get("ESS_INTAKE_DS_URL") or DS_API_URL,
            every_minutes=_whole(env, "ESS_INTAKE_DS_EVERY_MINUTES", 0),
            per_second=_rate(env.get("ESS_INTAKE_DS_REQUESTS_PER_SECOND")),
            page_size=min(100, _whole(env, "ESS_INTAKE_DS_PAGE_SIZE", 100) or 100),  # DS serves 100 at most
        )


def _rate(raw: str | None) -> float:
    try:
        rate = float(raw) if raw else 4.0
    except ValueError:
        rate = 0.0
    if not 0 < rate <= 100:
        raise SystemExit(
            f"ess-intake: ESS_INTAKE_DS_REQUESTS_PER_SECOND is a number in ]0, 100], not {raw!r}"
        )
    return rate


@dataclass(frozen=True)
class IntakeConfig:
    link_keys: tuple[bytes, ...]
    link_ttl_days: int = DEFAULT_LINK_TTL_DAYS
    orientation_delay_days: int = DEFAULT_ORIENTATION_DELAY_DAYS
    contact_retention_days: int = DEFAULT_CONTACT_RETENTION_DAYS
    privacy_contact: str = DEFAULT_PRIVACY_CONTACT
    public_url: str | None = None
    """Where holders reach this intake (`ESS_INTAKE_PUBLIC_URL`, the service's `public_url`): notices give
    them their follow link."""
    ds: DsConfig | None = None

    @classmethod
    def from_env(cls, settings: ServiceSettings, env: Mapping[str, str] | None = None) -> IntakeConfig:
        env = os.environ if env is None else env
        return cls(
            link_keys=_link_keys(env.get("ESS_INTAKE_LINK_KEY_FILE"), settings.signing_seed_file),
            link_ttl_days=_whole(env, "ESS_INTAKE_LINK_TTL_DAYS", DEFAULT_LINK_TTL_DAYS),
            orientation_delay_days=_whole(
                env, "ESS_INTAKE_ORIENTATION_DELAY_DAYS", DEFAULT_ORIENTATION_DELAY_DAYS
            ),
            contact_retention_days=_whole(
                env, "ESS_INTAKE_CONTACT_RETENTION_DAYS", DEFAULT_CONTACT_RETENTION_DAYS
            ),
            privacy_contact=env.get("ESS_INTAKE_PRIVACY_CONTACT") or DEFAULT_PRIVACY_CONTACT,
            public_url=settings.public_url,
            ds=DsConfig.from_env(env),
        )


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not raw.isdigit():
        raise SystemExit(f"ess-intake: {name} is a whole number, not {raw!r}")
    return int(raw)


def _link_keys(key_file: str | None, seed_file: Path) -> tuple[bytes, ...]:
    """The keys that sign holders' private links: their own file when given (one per line, newest first:
    keep the previous ones there after a rotation, so links already given keep working), else one derived
    from the pilot's signing seed (domain-separated, so the link key reveals nothing of the seed)."""
    if key_file:
        keys = tuple(line.strip() for line in Path(key_file).read_bytes().splitlines() if line.strip())
        if not keys:
            raise SystemExit(f"ess-intake: ESS_INTAKE_LINK_KEY_FILE {key_file} holds no key")
        return keys
    seed = seed_file.read_bytes().strip()
    return (hmac.new(seed, b"ess-intake follow links v1", hashlib.sha256).digest(),)
