"""Intake's own settings, read from `ESS_INTAKE_*` variables beside the harness's `ESS_*` ones."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ess_core.service.settings import ServiceSettings

DEFAULT_ORIENTATION_DELAY_DAYS = 30
DEFAULT_CONTACT_RETENTION_DAYS = 3 * 365
"""Three years after the file ends: a default, not legal advice; set the period your legal basis fixes."""


@dataclass(frozen=True)
class IntakeConfig:
    link_key: bytes
    orientation_delay_days: int = DEFAULT_ORIENTATION_DELAY_DAYS
    contact_retention_days: int = DEFAULT_CONTACT_RETENTION_DAYS

    @classmethod
    def from_env(cls, settings: ServiceSettings, env: Mapping[str, str] | None = None) -> IntakeConfig:
        env = os.environ if env is None else env
        return cls(
            link_key=_link_key(env.get("ESS_INTAKE_LINK_KEY_FILE"), settings.signing_seed_file),
            orientation_delay_days=_days(
                env, "ESS_INTAKE_ORIENTATION_DELAY_DAYS", DEFAULT_ORIENTATION_DELAY_DAYS
            ),
            contact_retention_days=_days(
                env, "ESS_INTAKE_CONTACT_RETENTION_DAYS", DEFAULT_CONTACT_RETENTION_DAYS
            ),
        )


def _days(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not raw.isdigit():
        raise SystemExit(f"ess-intake: {name} is a whole number of days, not {raw!r}")
    return int(raw)


def _link_key(key_file: str | None, seed_file: Path) -> bytes:
    """The key that signs holders' private links: its own file when given, else derived from the pilot's
    signing seed (domain-separated, so the link key reveals nothing of the seed)."""
    if key_file:
        return Path(key_file).read_bytes().strip()
    seed = seed_file.read_bytes().strip()
    return hmac.new(seed, b"ess-intake follow links v1", hashlib.sha256).digest()
