"""The people `ess up` mints tokens for (issue 18, separation of duties): per pilot, one person per staff
role holding that role alone and a second decider, nobody holding every role; every person has a
subject of their own, so the four-eyes rule and the access log tell them apart."""

from __future__ import annotations

from pathlib import Path

from ess_core.auth.tokens import LocalIssuer, LocalVerifier
from ess_ops.keys import ensure_issuer, mint_tokens
from ess_ops.topology import STAFF_ROLES


def test_each_role_is_a_person_of_its_own(tmp_path: Path) -> None:
    issuer, public_key = ensure_issuer(tmp_path / "auth")
    assert isinstance(issuer, LocalIssuer)
    paths = mint_tokens(issuer, STAFF_ROLES, tmp_path / "tokens")
    verifier = LocalVerifier(public_key.read_bytes())
    people = {stem: verifier.verify(path.read_text().strip()) for stem, path in paths.items()}
    for pilot, roles in STAFF_ROLES.items():
        for role in roles:
            person = people[f"{pilot}-{role}"]
            assert person.pilot == pilot and person.roles == frozenset({role}), (pilot, role)
        assert people[f"{pilot}-second-decider"].roles == frozenset({"decider"})
    assert all(len(p.roles) == 1 for p in people.values())
    assert len({p.subject for p in people.values()}) == len(people)
    assert all(oct(path.stat().st_mode & 0o777) == "0o600" for path in paths.values())
