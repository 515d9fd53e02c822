"""Sign-in to the console through the pilot's identity provider (OpenID Connect, authorization code with
PKCE), end to end: a real provider (oidc-provider-mock, in a thread), region's intake and funding verifying
its tokens (`ESS_OIDC_ISSUER`, no local key), region's console configured for it, and a real headless
Chromium that clicks « Se connecter avec le compte de … », fills the provider's form and lands on the
projects, listed by funding with the token the console forwarded. Refusals (a forged or spent state,
another pilot's account, an account without roles) are said in French and sign nobody in; signing out ends
the session on the server, not only in the browser.

The mock's access tokens are opaque, so the services receive the ID token (`ESS_CONSOLE_OIDC_SERVICE_TOKEN
=id_token`, the services' audience being the console's client id); its ID tokens name no signing key
(`kid`), which every real provider does and the services' verifier requires, so the test makes it name it.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from ess_contracts.reference.labels import PILOT_NAMES
from ess_ops.cli.services import spawn, stop_all
from ess_ops.nats.natsserver import HeldPort
from tests.support.browser import axe_check, chromium, failing, have_chromium, narrow, screenshot
from tests.support.deployment import deployment
from tests.support.intake_data import submission
from tests.system.test_console import csrf

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

pytestmark = [
    pytest.mark.system,
    pytest.mark.timeout(240),
    pytest.mark.skipif(not have_chromium(), reason="Debian's chromium and chromium-driver are not installed"),
]

CLIENT_ID = "ess-console-region"
TITLE = "Recyclerie solidaire des Mauges"
BUTTON = f"Se connecter avec le compte de {PILOT_NAMES['region']}"
PEOPLE: dict[str, dict[str, Any]] = {
    "camille": {"ess_pilot": "region", "ess_roles": ["instructor"], "name": "Camille Martin"},
    "dominique": {"ess_pilot": "state", "ess_roles": ["instructor"], "name": "Dominique Petit"},
    "sans-role": {"ess_pilot": "region", "ess_roles": [], "name": "Sam Sansrole"},
    "porteur": {"ess_pilot": "region", "ess_roles": ["holder"], "name": "Porteur de projet"},
}


@dataclass(frozen=True)
class Region:
    issuer: str
    console: str
    project_id: str


@contextmanager
def identity_provider() -> Iterator[str]:
    """oidc-provider-mock on a loopback port, its users given the claims above; its address (the issuer)."""
    import oidc_provider_mock
    from oidc_provider_mock import _app as mock

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain http, on loopback only
        header = mock.OpenIDCode.get_encode_header

        def naming_its_key(self: Any, client: Any) -> dict[str, str]:
            return {**header(self, client), "kid": self.resolve_client_private_key(client)["kid"]}

        patch.setattr(mock.OpenIDCode, "get_encode_header", naming_its_key)
        with oidc_provider_mock.run_server_in_thread() as server:
            issuer = f"http://localhost:{server.server_port}"
            for sub, claims in PEOPLE.items():
                assert httpx.put(f"{issuer}/users/{sub}", json=claims).status_code == 204
            yield issuer


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Region]:
    """Region's intake and funding trusting the provider, a project submitted by a holder signed in there,
    and region's console signing people in at the provider."""
    root = tmp_path_factory.mktemp("console-oidc")
    with identity_provider() as issuer, deployment(root / "ess") as system:
        trusting = {"ESS_AUTH_PUBLIC_KEY_FILE": "", "ESS_OIDC_ISSUER": issuer, "ESS_OIDC_AUDIENCE": CLIENT_ID}
        for service in ("intake", "funding"):
            system.extra_env[("region", service)] = trusting
        system.start_all([("region", "intake"), ("region", "funding")])
        intake, funding = (system.children[("region", s)].http_url for s in ("intake", "funding"))
        submitted = httpx.post(
            f"{intake}/projects", json=submission(title=TITLE), headers=bearer(id_token(issuer, "porteur"))
        )
        assert submitted.status_code == 201, submitted.text
        wait_listed(funding, id_token(issuer, "camille"))
        secret = root / "client-secret"
        secret.write_text(secrets.token_urlsafe(24))
        with HeldPort() as held:
            url = f"http://127.0.0.1:{held.port}"
            env = {
                "ESS_PILOT": "region",
                "ESS_CONSOLE_FUNDING_URL": funding,
                "ESS_CONSOLE_INTAKE_URL": intake,
                "ESS_CONSOLE_OIDC_ISSUER": issuer,
                "ESS_CONSOLE_OIDC_CLIENT_ID": CLIENT_ID,
                "ESS_CONSOLE_OIDC_CLIENT_SECRET_FILE": str(secret),
                "ESS_CONSOLE_OIDC_SERVICE_TOKEN": "id_token",
                "ESS_CONSOLE_PUBLIC_URL": url,
                "PYTHONUNBUFFERED": "1",
            }
            child = spawn("region", "console", "", root / "console.log", env, port=held.port)
            try:
                wait_up(url, child.proc, root / "console.log")
                yield Region(issuer, url, submitted.json()["project_id"])
            finally:
                stop_all([child])


def test_a_person_signs_in_at_the_provider_and_reads_the_projects(region: Region) -> None:
    from selenium.webdriver.common.by import By

    with chromium() as driver:
        driver.get(f"{region.console}/projets")
        assert urlparse(driver.current_url).path == "/connexion"
        assert heading(driver) == "Se connecter" and not failing(axe_check(driver, "/connexion"))
        assert not narrow(driver, "/connexion")
        screenshot(driver, "connexion-fournisseur")
        driver.find_element(By.XPATH, f"//button[. = '{BUTTON}']").click()

        wait(driver, lambda: driver.current_url.startswith(f"{region.issuer}/oauth2/authorize"))
        sent = {k: v[0] for k, v in parse_qs(urlparse(driver.current_url).query).items()}
        assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
        assert sent["client_id"] == CLIENT_ID and sent["response_type"] == "code"
        assert sent["redirect_uri"] == f"{region.console}/connexion/retour"
        assert len(sent["state"]) >= 32 and len(sent["nonce"]) >= 32 and "openid" in sent["scope"].split()
        authorize(driver, "camille")

        wait(driver, lambda: heading(driver) == "Projets")
        assert urlparse(driver.current_url).path == "/projets"
        page = driver.find_element(By.TAG_NAME, "body").text
        assert TITLE in page, page  # funding accepted the token the console forwarded
        assert f"Camille Martin — {PILOT_NAMES['region']}" in page
        session = {c["name"]: c for c in driver.get_cookies()}["ess_console"]
        assert session["httpOnly"] and session["sameSite"] == "Strict"
        assert named_in(session["value"]).startswith("oidc-")  # an id; the token stays on the server

        driver.find_element(By.XPATH, "//button[. = 'Se déconnecter']").click()
        wait(driver, lambda: heading(driver) == "Se connecter")
        driver.add_cookie({"name": "ess_console", "value": session["value"], "path": "/"})  # kept by a thief
        driver.get(f"{region.console}/projets")
        assert urlparse(driver.current_url).path == "/connexion"  # the session ended on the server


def test_another_pilots_account_is_refused_in_french(region: Region) -> None:
    from selenium.webdriver.common.by import By

    with chromium() as driver:
        driver.get(f"{region.console}/connexion")
        driver.find_element(By.XPATH, f"//button[. = '{BUTTON}']").click()
        wait(driver, lambda: driver.current_url.startswith(f"{region.issuer}/oauth2/authorize"))
        authorize(driver, "dominique")
        wait(driver, lambda: "La connexion n'a pas abouti" in driver.page_source)
        said = driver.find_element(By.ID, "refusal").text
        theirs, ours = PILOT_NAMES["state"], PILOT_NAMES["region"]
        assert said.startswith(
            f"Votre compte relève d'un autre pilote, {theirs} : cette console est celle de {ours}"
        )
        assert driver.title.startswith("Erreur — Se connecter")
        assert not driver.find_elements(By.XPATH, "//button[. = 'Se déconnecter']")
        assert not failing(axe_check(driver, "refused sign-in"))
        screenshot(driver, "connexion-refusee")
        driver.get(f"{region.console}/projets")
        assert urlparse(driver.current_url).path == "/connexion"

        driver.get(f"{region.console}/connexion/retour?code=guessed&state=forged")
        assert "La demande de connexion a expiré, a déjà servi" in driver.find_element(By.ID, "refusal").text


def test_a_forged_or_spent_state_and_an_account_without_roles_sign_nobody_in(region: Region) -> None:
    with httpx.Client(base_url=region.console) as browser:
        forged = browser.get("/connexion/retour", params={"code": "guessed", "state": "forged"})
        assert forged.status_code == 400 and "La connexion n'a pas abouti" in forged.text
        assert "La demande de connexion a expiré, a déjà servi" in forged.text

        back = at_provider(browser, region.issuer, "camille")
        arrived = browser.get(back)
        assert arrived.status_code == 200 and "Connexion réussie" in arrived.text
        assert '<meta http-equiv="refresh" content="0; url=/projets">' in arrived.text
        assert TITLE in browser.get("/projets").text
        again = browser.get(back)  # the same answer of the provider, replayed
        assert again.status_code == 400 and "a déjà servi" in again.text

    with httpx.Client(base_url=region.console) as browser:
        back = at_provider(browser, region.issuer, "sans-role")
        refused = browser.get(back)
        assert refused.status_code == 403 and "Votre compte n&#39;a aucun rôle" in refused.text
        assert browser.get("/projets").headers["location"] == "/connexion"

    with httpx.Client(base_url=region.console) as browser:
        back = at_provider(browser, region.issuer, "camille")
        elsewhere = httpx.get(back)  # without the cookie of the browser that started it
        assert elsewhere.status_code == 400 and "n&#39;a pas été faite depuis ce navigateur" in elsewhere.text


def test_the_page_that_goes_on_to_the_first_page_is_accessible(region: Region) -> None:
    """The page the provider's answer ends on opens the person's first page at once; checked here without
    its refresh, as a browser shows it when it does not follow one."""
    with httpx.Client(base_url=region.console) as browser:
        html = browser.get(at_provider(browser, region.issuer, "camille")).text
    still = re.sub(r'<meta http-equiv="refresh"[^>]*>', "", html)
    with chromium() as driver:
        driver.get(f"{region.console}/accessibilite")  # the console's origin, for its style sheet
        driver.execute_script("document.open(); document.write(arguments[0]); document.close();", still)
        wait(driver, lambda: heading(driver) == "Connexion réussie")
        assert not failing(axe_check(driver, "/connexion/retour"))


def at_provider(browser: httpx.Client, issuer: str, sub: str) -> str:
    """Start the sign-in in `browser`, authorize as `sub` at the provider (its form, as a person fills it):
    the console's address the provider sends the browser back to."""
    page = browser.get("/connexion")
    started = browser.post("/connexion/fournisseur", data={"csrf": csrf(page.text)})
    assert started.status_code == 303 and started.headers["location"].startswith(issuer), started.text
    authorized = httpx.post(started.headers["location"], data={"sub": sub})
    assert authorized.status_code == 302, authorized.text
    return authorized.headers["location"]


def id_token(issuer: str, sub: str) -> str:
    """A token of the provider for `sub`, for the test's own calls to the services."""
    redirect = "http://127.0.0.1/unused"
    asked = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect, "scope": "openid"}
    authorized = httpx.post(f"{issuer}/oauth2/authorize", params=asked, data={"sub": sub})
    code = parse_qs(urlparse(authorized.headers["location"]).query)["code"][0]
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    tokens = httpx.post(f"{issuer}/oauth2/token", data=body, auth=(CLIENT_ID, "any")).json()
    return str(tokens["id_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_listed(funding: str, token: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while TITLE not in httpx.get(f"{funding}/projects", headers=bearer(token)).text:
        assert time.monotonic() < deadline, "funding never listed the submitted project"
        time.sleep(0.2)


def authorize(driver: WebDriver, sub: str) -> None:
    """The provider's form: the subject typed, then « Authorize »."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.NAME, "sub").send_keys(sub)
    driver.find_element(By.XPATH, "//button[. = 'Authorize']").click()


def heading(driver: WebDriver) -> str:
    """The page's h1; empty while none is there (a page still loading, or one just replaced)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        found = driver.find_elements(By.TAG_NAME, "h1")
        return str(found[0].text) if found else ""
    except StaleElementReferenceException:
        return ""


def wait(driver: WebDriver, until: Any, limit: float = 15.0) -> None:
    from selenium.webdriver.support.wait import WebDriverWait

    WebDriverWait(driver, limit).until(lambda _: until())


def named_in(cookie: str) -> str:
    """Who the console's signed session cookie names (its body is base64 JSON, then its MAC)."""
    body = cookie.strip('"').rsplit(".", 1)[0]
    return str(json.loads(base64.urlsafe_b64decode(body))["p"])


def wait_up(url: str, proc: Any, log: Path, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            if httpx.get(f"{url}/status", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, log.read_text()[-2000:]
        assert time.monotonic() < deadline, "the console did not start"
        time.sleep(0.1)
