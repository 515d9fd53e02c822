"""The console's sign-in through the identity provider, its pure parts: PKCE's challenge, who an ID token's
claims let in, the settings, and the server-side sessions that end with their token."""

from __future__ import annotations

from pathlib import Path

import pytest

from ess_console.oidc import Refused, Verified, challenge, person_of
from ess_console.people import AnyOf, LocalPeople, Person, SignedIn
from ess_console.settings import ConsoleSettings, OidcSettings

OIDC = OidcSettings("https://id.example", "ess-console-region", None, "https://console.example")


def verified(**claims: object) -> Verified:
    return Verified({"sub": "u1", "ess_pilot": "region", "ess_roles": ["instructor"], **claims}, "tok", 0.0)


def test_the_challenge_is_rfc_7636s_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636, appendix B
    assert challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_a_person_of_this_pilot_with_roles_is_let_in_by_their_name() -> None:
    person = person_of(verified(name="Camille Martin"), OIDC, "region")
    assert person.token == "tok" and person.roles == {"instructor"}
    assert person.label == "Camille Martin — Région des Pays de la Loire"
    nested = OidcSettings("https://id.example", "c", None, "https://c", roles_claim="realm_access.roles")
    assert person_of(verified(realm_access={"roles": ["decider"]}), nested, "region").roles == {"decider"}


@pytest.mark.parametrize(
    ("claims", "said"),
    [
        ({"ess_pilot": "state"}, "Votre compte relève d'un autre pilote, État (DREETS, DRAJES) : cette"),
        ({"ess_pilot": None}, "Votre compte n'est rattaché à aucun pilote"),
        ({"ess_pilot": "mairie"}, "Votre compte n'est rattaché à aucun pilote"),
        ({"ess_roles": []}, "Votre compte n'a aucun rôle"),
        ({"ess_roles": "instructor"}, "Votre compte n'a aucun rôle"),
    ],
)
def test_another_pilots_account_or_one_without_roles_is_refused(claims: dict[str, object], said: str) -> None:
    with pytest.raises(Refused) as refused:
        person_of(verified(**claims), OIDC, "region")
    assert refused.value.status == 403 and refused.value.message.startswith(said), refused.value.message


def test_settings_need_the_client_and_the_public_address_and_read_the_secret_from_a_file(
    tmp_path: Path,
) -> None:
    base = {"ESS_PILOT": "region", "ESS_CONSOLE_FUNDING_URL": "http://f"}
    assert ConsoleSettings.from_env(base).oidc is None
    with pytest.raises(SystemExit, match="ESS_CONSOLE_OIDC_CLIENT_ID, ESS_CONSOLE_PUBLIC_URL"):
        ConsoleSettings.from_env({**base, "ESS_CONSOLE_OIDC_ISSUER": "https://id.example"})
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    given = {"ESS_CONSOLE_OIDC_ISSUER": "https://id.example", "ESS_CONSOLE_OIDC_CLIENT_ID": "c"}
    given |= {"ESS_CONSOLE_PUBLIC_URL": "https://console.example/"}
    given |= {"ESS_CONSOLE_OIDC_CLIENT_SECRET_FILE": str(secret)}
    oidc = ConsoleSettings.from_env({**base, **given}).oidc
    assert oidc is not None and oidc.client_secret == "s3cret" and oidc.service_token == "access_token"
    assert oidc.redirect_uri == "https://console.example/connexion/retour"


def test_a_session_at_the_provider_ends_with_its_token_or_at_sign_out() -> None:
    now = [1000.0]
    sessions = SignedIn(clock=lambda: now[0])
    person = Person("tok", frozenset({"instructor"}), "Camille")
    key, other = sessions.add(person, 1060.0), sessions.add(person, 2000.0)
    people = AnyOf((LocalPeople(None, "region"), sessions))
    assert key.startswith("oidc-") and people.find(key) == person
    now[0] = 1060.0
    assert people.find(key) is None and key not in sessions.sessions
    sessions.end(other)
    assert people.find(other) is None
