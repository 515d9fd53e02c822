"""Funding's own settings, read from `ESS_FUNDING_*` variables beside the harness's `ESS_*` ones."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from ess_contracts.identifiers import siret_valid

DEFAULT_LEGAL_RIGHT_MARGIN_DAYS = 180
"""How far ahead of today a legal right to aid may arise (a convention signed after the decision)."""


@dataclass(frozen=True)
class FundingConfig:
    legal_right_margin: timedelta = timedelta(days=DEFAULT_LEGAL_RIGHT_MARGIN_DAYS)
    grantor_siret: str | None = None
    """The pilot's SIRET, naming it as grantor in open data (`ESS_FUNDING_GRANTOR_SIRET`)."""
    grantor_name: str | None = None
    """The pilot's official name in open data (`ESS_FUNDING_GRANTOR_NAME`; default: the pilot's name)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> FundingConfig:
        env = os.environ if env is None else env
        raw = env.get("ESS_FUNDING_LEGAL_RIGHT_MARGIN_DAYS") or str(DEFAULT_LEGAL_RIGHT_MARGIN_DAYS)
        if not raw.isdigit():
            raise SystemExit(
                f"ess-funding: ESS_FUNDING_LEGAL_RIGHT_MARGIN_DAYS is a whole number of days, not {raw!r}"
            )
        siret = env.get("ESS_FUNDING_GRANTOR_SIRET") or None
        if siret is not None and not siret_valid(siret):
            raise SystemExit(
                f"ess-funding: ESS_FUNDING_GRANTOR_SIRET is a SIRET (14 digits, Luhn key), not {siret!r}"
            )
        return cls(
            legal_right_margin=timedelta(days=int(raw)),
            grantor_siret=siret,
            grantor_name=env.get("ESS_FUNDING_GRANTOR_NAME") or None,
        )
