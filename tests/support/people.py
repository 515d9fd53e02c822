"""The tests' own staff person per pilot, holding every staff role of its pilot: a test walks through many
routes, where `ess up` and the deployments mint one person per role (`ess_ops.keys.mint_tokens`) and no
person holds them all. Minted with the run's local issuer, so the services accept it as any person."""

from __future__ import annotations

from pathlib import Path

from ess_core.auth.tokens import LocalIssuer
from ess_ops.keys import write_secret
from ess_ops.topology import STAFF_ROLES


def all_roles_token(auth_dir: Path, pilot: str) -> str:
    issuer = LocalIssuer.load(auth_dir)
    return issuer.mint(f"{pilot}-test-staff", pilot, STAFF_ROLES[pilot], name=f"{pilot} (test staff)")


def write_all_roles_tokens(auth_dir: Path, tokens_dir: Path) -> None:
    """`<pilot>.jwt` beside the people's tokens, for tests that pass a token file to `ess`."""
    for pilot in STAFF_ROLES:
        write_secret(tokens_dir / f"{pilot}.jwt", all_roles_token(auth_dir, pilot) + "\n")
