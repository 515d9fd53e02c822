"""Issue 22, accessibility: every console page a person can reach, walked in a real headless Chromium and
checked with axe-core (WCAG 2.1 A and AA, the ground of the RGAA): sign-in, staff pages and acting forms
with and without errors, operator pages, a holder's and a network's pages, the accessibility statement. Any
serious or critical violation fails, named by rule, impact, element and help page. With
ESS_CONSOLE_SCREENSHOTS=1 each page is also saved to docs/console/ (1280x900) for the docs."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from ess_contracts.codec import encode
from ess_ops.cli.services import spawn, stop_all
from tests.support import events as ev
from tests.support.browser import (
    Violation,
    axe_check,
    chromium,
    failing,
    have_chromium,
    narrow,
    screenshot,
    sign_in_locally,
)
from tests.support.deployment import Deployment
from tests.support.intake_data import network, submission, with_value
from tests.system.test_console import (
    HOLDER_FORM,
    TITLE,
    browsing,
    console,  # noqa: F401  (the module's own deployment and console)
    csrf,
    held_commitment,
    requested_project,
    wait_up,
)

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

pytestmark = [
    pytest.mark.system,
    pytest.mark.timeout(240),
    pytest.mark.skipif(not have_chromium(), reason="Debian's chromium and chromium-driver are not installed"),
]


class Walk:
    """One browser through the console: each page opened is checked by axe-core (and saved, when asked)."""

    def __init__(self, driver: WebDriver, url: str) -> None:
        self.driver, self.url, self.violations, self.pages = driver, url, list[Violation](), list[str]()
        self.problems: list[str] = []  # what axe does not check: reflow, the error summary's focus and links

    def open(self, path: str, heading: str, name: str | None = None) -> None:
        self.driver.get(f"{self.url}{path}")
        self.check(path, heading, name)

    def check(self, page: str, heading: str, name: str | None = None) -> None:
        from selenium.webdriver.common.by import By

        shown = self.driver.find_element(By.TAG_NAME, "h1").text
        assert heading in shown, (page, shown)
        html = self.driver.find_element(By.TAG_NAME, "html")
        assert html.get_attribute("lang") == "fr", page
        skip = self.driver.find_element(By.CSS_SELECTOR, "a.skip")
        assert (skip.get_attribute("href") or "").endswith("#contenu"), page
        first = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex='-1'])"
        assert self.driver.execute_script(f"return document.querySelector({first!r}).matches('a.skip')"), page
        self.violations += axe_check(self.driver, page)
        self.problems += narrow(self.driver, page)
        self.problems += error_summary_problems(self.driver, page)
        self.pages.append(page)
        if name:
            screenshot(self.driver, name)

    def submit(self, form: str, heading: str, name: str | None = None, **typed: str) -> None:
        """Types into the form's fields (by id), sends it with its button, and checks the answer: the same
        form, refused, its errors summed up."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.wait import WebDriverWait

        for field, text in typed.items():
            box = self.driver.find_element(By.ID, field)
            box.clear()
            box.send_keys(text)
        self.driver.execute_script("window.walked = true")  # gone once the answer's page is loaded
        self.driver.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]").click()
        WebDriverWait(self.driver, 15).until(
            lambda d: d.execute_script("return !window.walked && document.readyState === 'complete'")
        )
        self.check(f"{form} (sent)", heading, name)
        summary = self.driver.find_element(By.CSS_SELECTOR, ".error-summary[role=alert]")  # what was refused
        assert summary.find_element(By.TAG_NAME, "h2").text.startswith("Il y a"), summary.text

    def sign_in(self, person: str) -> None:
        sign_in_locally(self.driver, self.url, person)


@pytest.fixture(scope="module")
def walk(console: tuple[Deployment, str, str]) -> Iterator[Walk]:  # noqa: F811
    with chromium() as driver:
        yield Walk(driver, console[1])


def test_every_console_page_passes_axe_core_without_serious_or_critical_violations(
    console: tuple[Deployment, str, str],  # noqa: F811
    walk: Walk,
) -> None:
    from selenium.webdriver.common.by import By

    system, url, project_id = console
    follow_link, network_project = holder_and_network_pages_data(system, url)
    pending_project = held_commitment(system)[1]
    decided = requested_project(system, "Recyclerie des Mauges", "r-mauges", eligible=30_000_00)
    forged = ev.event(ev.withdrawn(), "state", "intake", project_id, 9)
    asyncio.run(system.publish([("state", encode(forged, system.signers["state"]))]))

    walk.open("/connexion", "Se connecter", "connexion")
    walk.submit("form[action='/connexion']", "Se connecter", "connexion-erreur")
    walk.open("/accessibilite", "Déclaration d'accessibilité", "accessibilite")
    statement = walk.driver.find_element(By.TAG_NAME, "main").text
    assert "partiellement conforme" in statement and "axe-core" in statement  # and what it checks
    assert "Accessibilité : partiellement conforme" in walk.driver.find_element(By.TAG_NAME, "footer").text

    walk.sign_in("region-instructor")
    walk.check("/projets", "Projets", "projets")
    walk.open("/projets?submitted_from=2026-13-45", "Projets")  # a filter refused, named next to it
    walk.open(f"/projets/{project_id}", TITLE, "projet")
    walk.open(f"/projets/{project_id}/corrections", "Demander des corrections")
    walk.submit(f"form[action='/projets/{project_id}/corrections']", "Demander", "corrections-erreurs")
    walk.open(f"/projets/{decided}/demande", "Enregistrer une demande de financement")
    walk.submit(f"form[action='/projets/{decided}/demande']", "Enregistrer une demande", amount="0")
    walk.open(f"/projets/{decided}/avis", "Donner l'avis de pré-instruction")
    walk.submit(f"form[action='/projets/{decided}/avis']", "Donner l'avis", self_financing="beaucoup")
    wait_for_page(walk, "/strategie?annee=2025", "11 indicateurs en vigueur")
    walk.check("/strategie", "La stratégie en 2025", "strategie")
    walk.open("/comite", "Comité des financeurs", "comite")
    walk.open("/suivis", "Suivis des projets financés", "suivis")
    walk.open("/pilotage", "Instances de pilotage", "pilotage")

    walk.sign_in("region-decider")
    walk.open("/actes-en-attente", "Actes en attente", "actes-en-attente")
    assert pending_project in walk.driver.page_source
    walk.open(f"/projets/{decided}/decision", "Enregistrer une décision", "decision")
    walk.submit(
        f"form[action='/projets/{decided}/decision']", "Enregistrer une décision", "decision-erreurs",
        nominal_amount="quarante mille", beneficiary_siren="12",
    )  # fmt: skip
    walk.open(f"/projets/{decided}/engagement", "Enregistrer un engagement")
    walk.open("/preferences", "Mes avis par courriel")
    walk.submit("form[action='/preferences']", "Mes avis", "preferences-erreurs", email="pas-une-adresse")

    walk.sign_in("region-operator")
    walk.check("/exploitation", "Exploitation de", "exploitation")
    wait_for_page(walk, f"/exploitation/flux?project={project_id}", "project_withdrawn")
    walk.open("/exploitation/flux", "Flux en direct", "exploitation-flux")
    walk.open("/exploitation/flux/1", "Message n° 1 du flux", "exploitation-message")
    wait_for_page(walk, "/exploitation/rejets", f"project.{project_id}.project_withdrawn")
    walk.check("/exploitation/rejets", "Lettres mortes", "exploitation-rejets")
    retried_by_operator(walk)
    walk.sign_in("region-admin")
    walk.open("/exploitation/rejets", "Lettres mortes")  # an admin's, the same buttons
    walk.sign_in("region-instructor")
    walk.open("/exploitation", "Cette page ne peut pas s'afficher")  # a French 403

    walk.sign_in("region-holder")
    walk.check("/deposer", "Déposer un projet", "deposer")
    walk.submit("form#dossier", "Déposer un projet", "deposer-erreurs")
    walk.driver.delete_all_cookies()
    walk.open(follow_link, "Suivi de votre projet", "suivi")
    assert "corrections demandées" in walk.driver.find_element(By.TAG_NAME, "main").text
    walk.submit(f"form[action='{follow_link}/retrait']", "Suivi de votre projet", "suivi-erreurs")
    walk.open(follow_link[:-4] + "AAAA", "Cette page ne peut pas s'afficher")  # a link that leads nowhere

    walk.sign_in("region-network")
    walk.check("/reseau", "Projets orientés vers votre réseau", "reseau")
    assert "Café associatif de Laval" in walk.driver.page_source
    refusal = f"form[action='/reseau/{network_project}/n-mayenne/refus']"
    walk.submit(refusal, "Projets orientés", "reseau-erreurs")  # no reason chosen

    assert len(walk.pages) >= 30, walk.pages
    info = [str(v) for v in walk.violations if v not in failing(walk.violations)]
    print("\n".join([f"axe-core on {len(walk.pages)} pages, moderate, minor or to review:", *info]))
    assert not failing(walk.violations), "\n".join(map(str, failing(walk.violations)))
    assert not walk.problems, "\n".join(walk.problems)


def retried_by_operator(walk: Walk) -> None:
    """The operator's « Reprendre » on funding's first rejection: the answer's page, its outcome focused."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    walk.driver.find_element(By.XPATH, "//h2[@id='funding']/following-sibling::table[1]//button").click()
    WebDriverWait(walk.driver, 15).until(lambda d: "issue=" in d.current_url)
    walk.check("/exploitation/rejets (retried)", "Lettres mortes")
    outcome = walk.driver.find_element(By.CSS_SELECTOR, "p[role=status][data-issue]")
    assert walk.driver.switch_to.active_element == outcome, outcome.text


def error_summary_problems(driver: WebDriver, page: str) -> list[str]:
    """A page that refuses a form says so first in its title, opens with the focus on its error summary,
    and each of the summary's links leads to a field (or group of fields) of the page."""
    found: dict[str, Any] = driver.execute_script(
        """const summary = document.querySelector('.error-summary[role=alert]');
        if (!summary) return {};
        return {title: document.title, focused: document.activeElement === summary,
                lost: [...summary.querySelectorAll('a[href^="#"]')].map(a => a.getAttribute('href').slice(1))
                  .filter(id => !document.getElementById(id)?.matches(FIELDS))};""".replace(
            "FIELDS", "'input, select, textarea, fieldset, [role=group]'"
        )
    )
    if not found:
        return []
    said = [f"{page}: the error summary links to #{lost}, no field of the page" for lost in found["lost"]]
    if not found["title"].startswith("Erreur — "):
        said.append(f"{page}: the title {found['title']!r} does not say there is an error")
    if not found["focused"]:
        said.append(f"{page}: the error summary does not have the focus")
    return said


def holder_and_network_pages_data(system: Deployment, url: str) -> tuple[str, str]:
    """A holder's project with a correction asked (its follow link), and a project oriented to a network
    whose account is region's demo network person (its id)."""
    with browsing(url) as browser:
        page = browser.get("/connexion")
        browser.post("/connexion", data={"person": "region-holder", "csrf": csrf(page.text)})
        form = browser.get("/deposer").text
        typed = {**HOLDER_FORM, "csrf": csrf(form), "cle": re.findall(r'name="cle" value="([^"]+)"', form)[0]}
        statutes = ("statuts.pdf", b"%PDF-1.7\n% statuts\n", "application/pdf")
        done = browser.post("/deposer", data=typed, files={"attachments-statutes": statutes})
        assert done.status_code == 201, done.text[-2000:]
        link = re.findall(r'<a href="(/suivi/[^"]+)">', done.text)[0]
    asked = {"fields": ["budget", "attachments"], "reasons": ["missing_attachment"], "remark": "Le budget ?"}
    mayenne = network("n-mayenne", account="region-local-network", departments=["53"], needs=["support"])
    body = with_value(submission("Café associatif de Laval", siret=None), "organisation.department", "53")
    with system.client("region", "intake") as intake:
        assert intake.post(f"/projects/{link.split('/')[2]}/correction-requests", json=asked).is_success
        assert intake.post("/networks", json=mayenne).status_code == 201
        oriented = str(intake.post("/projects", json=body).json()["project_id"])
    return link, oriented


def wait_for_page(walk: Walk, path: str, text: str, limit: float = 20.0) -> None:
    """Opens the page until it shows `text` (what another service's view brings, in its own time)."""
    import time

    deadline = time.monotonic() + limit
    while True:
        walk.driver.get(f"{walk.url}{path}")
        if text in walk.driver.page_source:
            return
        assert time.monotonic() < deadline, f"{text!r} not on {path}"
        time.sleep(0.3)


def test_the_states_brand_block_is_on_the_states_console_only(
    console: tuple[Deployment, str, str],  # noqa: F811
    walk: Walk,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Marianne and « République française » head the State's console, and no one else's."""
    from selenium.webdriver.common.by import By

    system, url, _ = console
    walk.open("/connexion", "Se connecter")
    assert not walk.driver.find_elements(By.CSS_SELECTOR, ".marianne")
    env = {"ESS_PILOT": "state", "ESS_CONSOLE_FUNDING_URL": system.children[("region", "funding")].http_url,
           "ESS_CONSOLE_PEOPLE_DIR": str(system.state.tokens), "PYTHONUNBUFFERED": "1"}  # fmt: skip
    child = spawn("state", "console", "", tmp_path_factory.mktemp("state") / "console.log", env)
    try:
        wait_up(child)
        state = f"http://127.0.0.1:{child.port}"
        assert "République<br>française" in httpx.get(f"{state}/connexion").text
        walk.url = state
        walk.open("/connexion", "Se connecter", "connexion-etat")
        brand = walk.driver.find_element(By.CSS_SELECTOR, "header .marianne")
        assert brand.text.replace("\n", " ").upper() == "RÉPUBLIQUE FRANÇAISE"
        assert not failing(walk.violations), "\n".join(map(str, failing(walk.violations)))
    finally:
        walk.url = url
        stop_all([child])
