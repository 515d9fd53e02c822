"""Pilot keys made at test time (never committed) and the trust file that lists their public keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ess_contracts.signing import Signer, TrustFile, TrustStore, generate_seed
from ess_contracts.types import PILOTS, Pilot


@dataclass
class Pilots:
    signers: dict[Pilot, Signer]
    trust: TrustStore

    @classmethod
    def generate(cls) -> Pilots:
        signers: dict[Pilot, Signer] = {p: Signer(generate_seed()) for p in PILOTS}
        trust = TrustFile(pilots={})
        for pilot, signer in signers.items():
            trust = trust.add_key(pilot, signer.public_key, date(2026, 1, 1))
        return cls(signers, TrustStore(trust))
