"""Issue 22's journey, as people walk it in a real headless Chromium across the three pilots' consoles: a
holder submits through the form (a refused field named next to it first), a network accepts the project,
region's instructor asks for corrections and the holder answers them through the private link with an
upload; region and the State each record their request, decision and commitment on their own console; the
State's commitment crosses the eligible budget, kept knowingly and approved by a second decider; the
over-funding verdict then reads the same on region's, the State's and the Banque des Territoires' consoles.
Every step asserts what the page shows."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ess_ops.cli.services import spawn, stop_all
from tests.support.browser import chromium, have_chromium, screenshot, sign_in_locally
from tests.support.deployment import Deployment, deployment
from tests.support.intake_data import network
from tests.support.sirens import fresh_siren
from tests.system.test_console import HOLDER_FORM, wait_up

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

pytestmark = [
    pytest.mark.system,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not have_chromium(), reason="Debian's chromium and chromium-driver are not installed"),
]

PILOTS = ("region", "state", "bdt")
TITLE = HOLDER_FORM["project-title"]
NARROW_NBSP = "\u202f"


@dataclass(frozen=True)
class Consoles:
    system: Deployment
    urls: dict[str, str]


@pytest.fixture(scope="module")
def consoles(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consoles]:
    """Region's intake and each pilot's funding service, a network for Mayenne, and each pilot's console
    in front of its own services."""
    root = tmp_path_factory.mktemp("journey")
    with deployment(root / "ess", secure=True) as system:
        system.start_all([("region", "intake"), *((p, "funding") for p in PILOTS)])
        mayenne = network("n-mayenne", account="region-local-network", departments=["53"], needs=["support"])
        with system.client("region", "intake") as intake:
            assert intake.post("/networks", json=mayenne).status_code == 201
        children = []
        try:
            for pilot in PILOTS:
                env = {
                    "ESS_PILOT": pilot,
                    "ESS_CONSOLE_FUNDING_URL": system.children[(pilot, "funding")].http_url,
                    "ESS_CONSOLE_PEOPLE_DIR": str(system.state.tokens),
                    "PYTHONUNBUFFERED": "1",
                }
                if pilot == "region":
                    env["ESS_CONSOLE_INTAKE_URL"] = system.children[("region", "intake")].http_url
                children.append(spawn(pilot, "console", "", root / f"console-{pilot}.log", env))
            for child in children:
                wait_up(child)
            urls = {p: f"http://127.0.0.1:{c.port}" for p, c in zip(PILOTS, children, strict=True)}
            yield Consoles(system, urls)
        finally:
            stop_all(children)


class Person:
    """One browser, signed in as one person on one pilot's console at a time."""

    def __init__(self, driver: WebDriver, consoles: Consoles) -> None:
        self.driver, self.consoles, self.url = driver, consoles, ""

    def sign_in(self, pilot: str, person: str) -> None:
        self.url = self.consoles.urls[pilot]
        sign_in_locally(self.driver, self.url, person)

    def open(self, path: str, heading: str) -> None:
        self.driver.get(path if path.startswith("http") else f"{self.url}{path}")
        assert heading in self.heading(), (path, self.heading(), self.text()[-2000:])

    def fill(self, values: dict[str, str | Sequence[str]]) -> None:
        """Types or chooses each field's value, found by its name as a person finds it by its label."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.select import Select

        for name, value in values.items():
            fields = self.driver.find_elements(By.NAME, name)
            assert fields, f"no field {name} on {self.driver.current_url}"
            kind = fields[0].get_attribute("type")
            if fields[0].tag_name == "select":
                Select(fields[0]).select_by_value(str(value))
            elif kind in ("radio", "checkbox"):
                chosen = [value] if isinstance(value, str) else list(value)
                for field in fields:
                    if (field.get_attribute("value") in chosen) != field.is_selected():
                        self.label_of(field).click()
            elif kind == "date":  # Chromium's date picker types in the locale's order: set the ISO value
                self.driver.execute_script("arguments[0].value = arguments[1]", fields[0], value)
            else:
                fields[0].clear()
                fields[0].send_keys(str(value))

    def attach(self, name: str, path: Path) -> None:
        from selenium.webdriver.common.by import By

        self.driver.find_element(By.NAME, name).send_keys(str(path))

    def click(self, button: str) -> None:
        """Presses the button or link whose words start with `button`, and waits for the next page."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.wait import WebDriverWait

        found = self.driver.find_element(
            By.XPATH,
            f"//main//button[starts-with(normalize-space(.), {button!r})] | "
            f"//button[normalize-space(.) = {button!r}]",
        )
        self.driver.execute_script("window.leaving = true")  # gone once the next page has loaded
        found.click()
        WebDriverWait(self.driver, 30).until(
            lambda d: d.execute_script("return !window.leaving && document.readyState === 'complete'")
        )

    def label_of(self, field: WebElement) -> WebElement:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, f"label[for='{field.get_attribute('id')}']")

    def heading(self) -> str:
        from selenium.webdriver.common.by import By

        return str(self.driver.find_element(By.TAG_NAME, "h1").text)

    def text(self) -> str:
        from selenium.webdriver.common.by import By

        return str(self.driver.find_element(By.TAG_NAME, "main").text)

    def reload_until(self, path: str, words: str, limit: float = 30.0) -> str:
        """The page, opened again until it shows `words` (what another pilot did reaches this one's view
        through the stream)."""
        deadline = time.monotonic() + limit
        while True:
            self.driver.get(f"{self.url}{path}")
            if words in (shown := self.text()):
                return shown
            assert time.monotonic() < deadline, f"{words!r} never on {path}: {shown[-2000:]}"
            time.sleep(0.3)


@pytest.fixture(scope="module")
def person(consoles: Consoles) -> Iterator[Person]:
    with chromium() as driver:
        yield Person(driver, consoles)


def euros(amount: str) -> str:
    """`35 000,00 €` as the console writes it (a narrow no-break space between thousands)."""
    return amount.replace(" ", NARROW_NBSP) + " €"


def test_from_submission_to_an_over_funding_seen_by_every_pilot(person: Person, tmp_path: Path) -> None:
    statutes, budget = tmp_path / "statuts.pdf", tmp_path / "budget-detaille.pdf"
    statutes.write_bytes(b"%PDF-1.7\n% statuts\n")
    budget.write_bytes(b"%PDF-1.7\n% budget detaille\n")

    link = holder_submits(person, statutes)
    project_id = link.split("/")[-2]
    network_accepts(person, project_id)
    instructor_asks_for_corrections(person, project_id)
    holder_answers_with_an_upload(person, link, budget)

    siren = fresh_siren()
    region_funds(person, project_id, siren)
    state_crosses_the_eligible_budget(person, project_id, siren)

    for pilot in PILOTS:  # one shared plan: the same verdict, in the same words, on each pilot's console
        person.sign_in(pilot, f"{pilot}-instructor")
        shown = person.reload_until(f"/projets/{project_id}", "Surfinancement")
        assert re.search(
            rf"Surfinancement : l'engagement c-\S+ de l'État du {date.today():%d/%m/%Y} porte le plan à "
            rf"{re.escape(euros('35 000,00'))} pour un plafond de {re.escape(euros('30 000,00'))}, "
            rf"soit {re.escape(euros('5 000,00'))} de trop\.",
            shown,
        ), (pilot, [line for line in shown.splitlines() if "urfinancement" in line or "plan" in line])
        assert TITLE in person.heading() and "1 alerte" in shown, pilot
        if pilot == "bdt":  # a funder that took no part sees it too
            screenshot(person.driver, "projet-surfinancement", at="Décisions des financeurs")


def holder_submits(person: Person, statutes: Path) -> str:
    """The holder's form, refused once for a SIRET cut short (said next to the field, the typed values
    kept), then sent: the private link it gives."""
    person.sign_in("region", "region-holder")
    assert "Déposer un projet" in person.heading(), person.heading()
    typed = {k: v for k, v in HOLDER_FORM.items() if v}
    person.fill({**typed, "organisation-siret": "732 829 320"})
    person.attach("attachments-statutes", statutes)
    person.click("Déposer")
    assert person.driver.title.startswith("Erreur"), person.driver.title
    from selenium.webdriver.common.by import By

    said = person.driver.find_element(By.ID, "organisation-siret-error").text
    assert said.startswith("Saisissez le SIRET"), said
    kept = person.driver.find_element(By.ID, "project-title").get_attribute("value")
    assert kept == TITLE
    person.fill({"organisation-siret": HOLDER_FORM["organisation-siret"]})
    person.attach("attachments-statutes", statutes)  # a browser never keeps a file across pages
    person.click("Déposer")
    assert person.heading() == "Votre projet est déposé", person.text()[-2000:]
    assert "il relève de la stratégie régionale" in person.text()
    link = person.driver.find_element(By.CSS_SELECTOR, "main a[href*='/suivi/']").get_attribute("href")
    assert link, "no private link"
    return str(link)


def network_accepts(person: Person, project_id: str) -> None:
    from selenium.webdriver.common.by import By

    person.sign_in("region", "region-network")
    assert "réseau" in person.heading().lower(), person.heading()
    row = person.driver.find_element(By.XPATH, f"//tr[td[contains(., {project_id!r})]]")
    assert "Réseau n-mayenne" in row.text and "53 — Mayenne" in row.text, row.text
    row.find_element(By.XPATH, ".//button[starts-with(normalize-space(.), 'Accepter')]").click()
    deadline = time.monotonic() + 15
    while "Vous accompagnez le projet" not in person.text():
        assert time.monotonic() < deadline, person.text()[-2000:]
        time.sleep(0.1)
    row = person.driver.find_element(By.XPATH, f"//tr[td[contains(., {project_id!r})]]")
    assert "Accepté le" in row.text, row.text


def instructor_asks_for_corrections(person: Person, project_id: str) -> None:
    person.sign_in("region", "region-instructor")
    person.open(f"/projets/{project_id}/corrections", "Demander des corrections")
    person.fill({"fields": ["budget", "attachments"], "reasons": "missing_attachment"})
    person.fill({"remark": "Merci de joindre le budget détaillé."})
    person.click("Envoyer la demande")
    assert TITLE in person.heading(), person.text()[-2000:]


def holder_answers_with_an_upload(person: Person, link: str, budget: Path) -> None:
    """No account: the private link is the key. The form starts from the file as sent."""
    from selenium.webdriver.common.by import By

    person.driver.delete_all_cookies()
    person.open(link, TITLE)
    shown = person.text()
    assert "corrections demandées" in shown and "Merci de joindre le budget détaillé." in shown, shown
    amount = person.driver.find_element(By.ID, "project-budget-lines-1-amount").get_attribute("value")
    assert amount == f"30{NARROW_NBSP}000", amount  # the budget as sent, to correct
    person.fill({
        "project-budget-lines-1-amount": "28 000",
        "project-budget-lines-2-label": "Outillage",
        "project-budget-lines-2-category": "equipment",
        "project-budget-lines-2-amount": "2 000",
    })  # fmt: skip
    person.attach("attachments-budget", budget)
    person.click("Envoyer le dossier corrigé")
    shown = person.text()
    assert "Votre dossier corrigé est envoyé" in shown and "Dossier corrigé" in shown, shown


def region_funds(person: Person, project_id: str, siren: str) -> None:
    """Region's instructor asks for 20,000 € and gives the shared opinion (30,000 € eligible); its decider
    grants and commits 20,000 €."""
    from selenium.webdriver.common.by import By

    today = date.today().isoformat()
    person.sign_in("region", "region-instructor")
    shown = person.reload_until(f"/projets/{project_id}", "budget-detaille.pdf")  # the holder's upload
    assert "statuts.pdf (statuts" in shown, shown[-1500:]
    person.reload_until(f"/projets/{project_id}/avis", "L2 — équipement")  # the corrected budget, shared
    eligible = person.driver.find_elements(By.CSS_SELECTOR, "[name^=eligible-]")
    lines = [f.get_attribute("name") for f in eligible]
    assert len(lines) == 2, lines
    person.fill({"outcome": "favourable", "given_on": today, "self_financing": "0", "in_kind": "0"})
    person.fill({str(lines[0]): "28 000", str(lines[1]): "2 000"})
    person.click("Enregistrer")
    assert "L'avis de Région des Pays de la Loire est enregistré" in person.text(), person.text()[-2000:]
    asked = {"requested_on": today, "amount": "20 000"}
    act(person, project_id, "demande", asked, "La demande de financement")

    person.sign_in("region", "region-decider")
    decide_and_commit(person, project_id, siren, "20 000", "EJ-R-0001")
    shown = person.text()
    assert "L'engagement de Région des Pays de la Loire est enregistré" in shown, shown


def state_crosses_the_eligible_budget(person: Person, project_id: str, siren: str) -> None:
    """The State asks for, grants and commits 15,000 €: 35,000 € in all for 30,000 € eligible. Its decider
    is told why and keeps the act knowingly; a second decider of the State approves it."""
    today = date.today().isoformat()
    person.sign_in("state", "state-instructor")
    person.reload_until(f"/projets/{project_id}", "Statut du plan")
    asked = {"requested_on": today, "amount": "15 000"}
    act(person, project_id, "demande", asked, "La demande de financement")

    person.sign_in("state", "state-decider")
    decide_and_commit(person, project_id, siren, "15 000", "EJ-E-0001")
    shown = person.text()
    assert "Cet engagement franchirait une règle commune aux financeurs" in shown, shown
    assert "Surfinancement" in shown and person.driver.title.startswith("Erreur"), person.driver.title
    person.fill({"acknowledge": "over_funding"})
    person.click("Enregistrer l'engagement")
    assert "attend l'accord d'un second décideur" in person.text(), person.text()[-2000:]

    person.sign_in("state", "state-second-decider")
    person.open("/actes-en-attente", "Actes en attente")
    assert project_id in person.text() and "surfinancement" in person.text(), person.text()
    person.click("Approuver")
    assert "est approuvé et enregistré" in person.text(), person.text()[-2000:]


def decide_and_commit(person: Person, project_id: str, siren: str, amount: str, reference: str) -> None:
    today = date.today().isoformat()
    decision = {"decided_on": today, "outcome": "granted", "instrument": "grant", "nominal_amount": amount,
                "state_aid_basis": "de_minimis_general", "beneficiary_siren": siren}  # fmt: skip
    act(person, project_id, "decision", decision, "La décision de")
    person.open(f"/projets/{project_id}/engagement", "engagement")
    person.fill({"committed_on": today, "reference": reference, "amount": amount})
    person.click("Enregistrer l'engagement")


def act(person: Person, project_id: str, form: str, values: dict[str, str], said: str) -> None:
    """One of the project's forms, filled and sent: the project's page says it is recorded."""
    person.reload_until(f"/projets/{project_id}/{form}", "Enregistrer")
    person.fill(values)
    person.click("Enregistrer")
    assert said in person.text(), person.text()[-2000:]
