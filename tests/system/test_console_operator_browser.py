"""Issue 22, the operator pages in a real headless Chromium: region's operator signs in, watches the live
feed take a new submission without a reload, filters it by project, pauses it (a further event waits for
the reprise), opens an event and its verdict, retries a forged message among the dead letters and reads
the outcome, then the overview: each service's lag and backlog, every pilot's checkpoints side by side.
Each step asserts what the page shows; no script error on any page."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from ess_contracts.codec import encode
from ess_contracts.reference.labels import PILOT_NAMES
from tests.support import events as ev
from tests.support.browser import chromium, have_chromium, sign_in_locally
from tests.support.deployment import Deployment
from tests.support.intake_data import submission
from tests.system.test_console import console  # noqa: F401  (the module's own deployment and console)

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

pytestmark = [
    pytest.mark.system,
    pytest.mark.timeout(180),
    pytest.mark.skipif(not have_chromium(), reason="Debian's chromium and chromium-driver are not installed"),
]

WAIT_S = 30.0  # a loaded 2-core machine: the services, the console and the browser share it
POLL_S = 3.0  # flux.js asks for new rows 3 s after each answer
# Installed before any page's own script: what went wrong in the page, said to the test
ERRORS = """window.pageErrors = [];
addEventListener("error", e => window.pageErrors.push(String(e.message)));
addEventListener("unhandledrejection", e => window.pageErrors.push(String(e.reason)));"""


def test_the_operator_follows_the_live_feed_retries_a_dead_letter_and_reads_the_checkpoints(
    console: tuple[Deployment, str, str],  # noqa: F811
) -> None:
    system, url, _ = console
    with chromium() as driver:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ERRORS})
        sign_in_locally(driver, url, "region-operator")
        until(driver, lambda d: heading(d).startswith("Exploitation de"), "the operator's first page")

        project_id = watch_a_submission_arrive(driver, url, system)
        forged_seq = filter_and_pause(driver, system, project_id)
        open_the_submission(driver, project_id)
        retry_the_forged_message(driver, url, project_id, forged_seq)
        read_the_overview(driver, url, system)


def watch_a_submission_arrive(driver: WebDriver, url: str, system: Deployment) -> str:
    """The feed open, a project submitted through intake's API: its row comes in by itself, announced."""
    from selenium.webdriver.common.by import By

    driver.get(f"{url}/exploitation/flux")
    assert heading(driver) == "Flux en direct"
    pause = driver.find_element(By.ID, "flux-pause")
    until(driver, lambda _: pause.is_displayed(), "the pause button, shown by the feed's script")
    driver.execute_script("window.stayed = true")  # gone if the page were loaded again
    with system.client("region", "intake") as intake:
        submitted = intake.post("/projects", json=submission(title="Tiers-lieu des Alpes mancelles"))
        assert submitted.status_code == 201, submitted.text
    project_id = str(submitted.json()["project_id"])
    until(driver, lambda d: ("project_submitted", project_id) in kinds(d), "the submission's row, live")
    assert driver.execute_script("return window.stayed === true"), "the page was reloaded"
    said = driver.find_element(By.ID, "flux-etat").text
    assert re.fullmatch(r"\d+ nouveaux? messages? \(jusqu'au n° \d+\)\.", said), said
    assert_no_script_error(driver)
    return project_id


def filter_and_pause(driver: WebDriver, system: Deployment, project_id: str) -> int:
    """Filtered by the project; paused, a forged event about it stays out of the page until the reprise.
    Its stream sequence."""
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.ID, "project")
    box.send_keys(project_id)
    driver.find_element(By.XPATH, "//form[@aria-label='Filtrer le flux']//button[. = 'Filtrer']").click()
    until(driver, lambda d: f"project={project_id}" in d.current_url, "the filtered feed")
    assert driver.find_element(By.ID, "project").get_attribute("value") == project_id
    shown = kinds(driver)
    assert ("project_submitted", project_id) in shown and {p for _, p in shown} == {project_id}, shown
    pause = driver.find_element(By.ID, "flux-pause")
    until(driver, lambda _: pause.is_displayed(), "the pause button")

    pause.click()
    assert pause.text == "Reprendre le flux"
    assert driver.find_element(By.ID, "flux-etat").text.startswith("Flux en pause")
    asked = suite_requests(driver)
    forged = ev.event(ev.withdrawn(), "state", "intake", project_id, 9)  # state withdrawing region's project
    asyncio.run(system.publish([("state", encode(forged, system.signers["state"]))]))
    seq = stream_seq_of(system, project_id, "project_withdrawn")
    held_until = time.monotonic() + POLL_S + 1.0  # longer than a poll: it would have come by now
    while time.monotonic() < held_until:
        assert ("project_withdrawn", project_id) not in kinds(driver), "a row came in while paused"
        time.sleep(0.25)
    assert suite_requests(driver) == asked, "the paused feed still asked for rows"

    pause.click()
    assert pause.text == "Mettre en pause"
    until(driver, lambda d: ("project_withdrawn", project_id) in kinds(d), "the held row, at the reprise")
    row = driver.find_element(By.XPATH, f"//tbody[@id='flux-lignes']/tr[td/a[. = '{seq}']]")
    assert "émetteur non autorisé" in row.text, row.text  # the feed's verdict on the forged message
    assert_no_script_error(driver)
    return seq


def open_the_submission(driver: WebDriver, project_id: str) -> None:
    """The submission's row opened: its verdict, its envelope as stored."""
    from selenium.webdriver.common.by import By

    xpath = "//tbody[@id='flux-lignes']/tr[td/small/code[. = 'project_submitted']]/td[1]/a"
    driver.find_element(By.XPATH, xpath).click()
    until(driver, lambda d: heading(d).startswith("Message n°"), "the event's page")
    verdict = driver.find_element(By.CSS_SELECTOR, "[data-verdict]")
    assert verdict.get_attribute("data-verdict") == "verified" and "✓ signature vérifiée" in verdict.text
    envelope = driver.find_element(By.CSS_SELECTOR, "pre.envelope").text
    assert f'"aggregate_id": "{project_id}"' in envelope and '"type": "project_submitted"' in envelope
    assert_no_script_error(driver)


def retry_the_forged_message(driver: WebDriver, url: str, project_id: str, seq: int) -> None:
    """Among funding's dead letters, retried with « Reprendre »: verified again, still rejected, and said
    where the focus lands."""
    from selenium.webdriver.common.by import By

    label = f"Reprendre le message n° {seq} (financement)"
    subject = f"project.{project_id}.project_withdrawn"

    def listed(d: WebDriver) -> bool:
        d.get(f"{url}/exploitation/rejets")
        return bool(d.find_elements(By.CSS_SELECTOR, f"button[aria-label='{label}']"))

    until(driver, listed, "the forged message among funding's dead letters", every=0.5)
    funding = "//h2[@id='funding']/following-sibling::table[1]"
    row = driver.find_element(By.XPATH, f"{funding}//tr[td/a[. = '{seq}']]")
    assert subject in row.text and "lettre morte" in row.text, row.text
    button = row.find_element(By.TAG_NAME, "button")
    assert button.text == "Reprendre"
    button.click()
    until(driver, lambda d: "issue=" in d.current_url, "the retry's answer")
    outcome = driver.find_element(By.CSS_SELECTOR, "p[role=status][data-issue]")
    expected = f"Le message n° {seq} (financement) a été repris : toujours rejeté"
    assert outcome.text.startswith(expected), outcome.text
    assert driver.switch_to.active_element == outcome, "the outcome is not where the focus is"
    still = driver.find_element(By.XPATH, funding)
    assert subject in still.text  # forged: verified again, it stays among the dead letters
    assert_no_script_error(driver)


def read_the_overview(driver: WebDriver, url: str, system: Deployment) -> None:
    """Each of region's services with its lag and outbox backlog; the checkpoints side by side, agreeing."""
    from selenium.webdriver.common.by import By

    services = ("intake", "funding", "evaluation")

    def agreeing(d: WebDriver) -> bool:
        for service in services:
            with system.client("region", service) as client:
                assert client.post("/checkpoint").status_code == 200
        d.get(f"{url}/exploitation")
        cells = d.find_elements(By.CSS_SELECTOR, "td[data-checkpoint^='region-'][data-agreement='agree']")
        return len(cells) == 3 and bool(d.find_elements(By.CSS_SELECTOR, "p[data-agreement='agree']"))

    until(driver, agreeing, "region's three checkpoints agreeing", every=0.5)
    for service, name in (("intake", "Dépôt"), ("funding", "Financement"), ("evaluation", "Évaluation")):
        row = driver.find_element(By.CSS_SELECTOR, f"tr[data-service={service}]")
        cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
        assert row.find_element(By.TAG_NAME, "th").text == name
        assert re.fullmatch(r"\d+ messages? \(appliqué jusqu'au n° \d+ sur \d+\)", cells[1]), cells
        assert re.fullmatch(r"\d+", cells[3]) and re.fullmatch(r"\d+", cells[6]), cells  # backlog, dead
        assert cells[0] in ("✓ en bonne santé", "⚠ en retard", "⚠ lettres mortes à examiner"), cells
    summary = driver.find_element(By.CSS_SELECTOR, "p[data-agreement='agree']").text
    assert summary.startswith("✓ Concordant"), summary
    grid = driver.find_element(By.CSS_SELECTOR, "table.grid")
    assert PILOT_NAMES["region"] in grid.find_element(By.TAG_NAME, "thead").text
    for service, name in (("intake", "Dépôt"), ("funding", "Financement"), ("evaluation", "Évaluation")):
        row = grid.find_element(By.XPATH, f".//tbody/tr[th[. = '{name}']]")
        cell = row.find_element(By.CSS_SELECTOR, f"td[data-checkpoint='region-{service}']")
        assert cell.text.startswith("✓ concordant") and "appliqué jusqu'au n°" in cell.text, cell.text
    assert_no_script_error(driver)


def kinds(driver: WebDriver) -> list[tuple[str, str]]:
    """The feed's rows as the page shows them: (event type code, object)."""
    found: list[list[str]] = driver.execute_script(
        """return [...document.querySelectorAll('#flux-lignes tr')]
          .map(tr => [tr.cells[2].querySelector('code').textContent, tr.cells[4].textContent.trim()]);"""
    )
    return [(kind, shown) for kind, shown in found]


def suite_requests(driver: WebDriver) -> int:
    """How many times the page asked for new rows."""
    count: int = driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter(e => e.name.includes('/exploitation/flux/suite')).length"
    )
    return count


def stream_seq_of(system: Deployment, project_id: str, kind: str) -> int:
    """The stream sequence of the project's event of `kind`, once funding's stream reader sees it."""
    deadline = time.monotonic() + WAIT_S
    with system.client("region", "funding") as funding:
        while True:
            found = funding.get("/stream/events", params={"project": project_id, "type": kind}).json()
            if found["events"]:
                return int(found["events"][0]["stream_seq"])
            assert time.monotonic() < deadline, f"no {kind} of {project_id} on the stream"
            time.sleep(0.2)


def heading(driver: WebDriver) -> str:
    from selenium.webdriver.common.by import By

    found: str = driver.find_element(By.TAG_NAME, "h1").text
    return found


def until(driver: WebDriver, condition: Callable[[WebDriver], Any], what: str, every: float = 0.2) -> None:
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        TimeoutException,
    )
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    # a page being replaced by the next: its elements go stale, the next's are not there yet
    loading = (StaleElementReferenceException, NoSuchElementException)
    try:
        WebDriverWait(driver, WAIT_S, poll_frequency=every, ignored_exceptions=loading).until(condition)
    except TimeoutException:
        shown = driver.find_element(By.TAG_NAME, "main").text
        raise AssertionError(f"waited for {what} at {driver.current_url}; the page shows:\n{shown}") from None


def assert_no_script_error(driver: WebDriver) -> None:
    errors = driver.execute_script("return window.pageErrors || []")
    assert errors == [], errors
