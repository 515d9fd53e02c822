"""The strategy page's charts, live (issue 22): region's console shows the annual report's charts as the
evaluation service draws them (`GET /charts/{year}`), each with a title, a text alternative and its figures
in a table; when a measure is recorded in evaluation while the page is open, the chart and its figures
change in place, without a reload, said politely, with no motion for a person who asked for less. Checked
in a real headless Chromium, and the drawings against the report writer's own files."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.browser import chromium, have_chromium, sign_in_locally
from tests.support.deployment import Deployment
from tests.system.test_console import (
    browsing,
    console,  # noqa: F401  (the module's own deployment and console)
    sign_in,
)

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

pytestmark = [
    pytest.mark.system,
    pytest.mark.timeout(240),
    pytest.mark.skipif(not have_chromium(), reason="Debian's chromium and chromium-driver are not installed"),
]

YEAR = 2025
AS_OF = min(date.today(), date(YEAR, 12, 31)).isoformat()  # the reviews' day the page asks for
INDICATOR = "EX-I05"  # measured, of action EX-A2 that region leads; its 2025 target is 25
MEASURE = {"period_start": f"{YEAR}-01-01", "period_end": f"{YEAR}-06-30", "value": 10, "source": "survey"}


def test_the_strategy_page_shows_the_reports_charts_and_follows_a_new_measure(
    console: tuple[Deployment, str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    system, url, _ = console
    wait_for_the_demo_strategy(url)
    with chromium() as driver:
        reduced = [{"name": "prefers-reduced-motion", "value": "reduce"}]
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": reduced})
        sign_in_locally(driver, url, "region-instructor")
        driver.get(f"{url}/strategie?annee={YEAR}")
        titles = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "section.chart h3")]
        assert f"Projets par objectif, {YEAR}" in titles, titles
        percent = f"Réalisé de chaque indicateur, en pourcentage de sa cible de l'année, {YEAR}"
        assert percent in titles, titles
        for section in driver.find_elements(By.CSS_SELECTOR, "section.chart"):
            image = section.find_element(By.TAG_NAME, "img")
            title = section.find_element(By.TAG_NAME, "h3").text
            assert (image.get_attribute("alt") or "").startswith(title), title  # its text alternative
            assert driver.execute_script("return arguments[0].naturalWidth", image) == 760, title  # drawn
            assert section.find_element(By.TAG_NAME, "table").find_elements(By.CSS_SELECTOR, "thead th")
        assert INDICATOR not in figures(driver, "indicators")  # no actual yet: not on the chart
        objectives = figures(driver, "objectives")
        assert objectives["O1"] == ["0", "0"], objectives  # submitted, funded: this year's projects, none
        assert driver.find_element(By.ID, "strategie-pause").is_displayed()
        driver.execute_script("window.notReloaded = true")

        with system.client("region", "evaluation") as evaluation:
            recorded = evaluation.post(f"/indicators/{INDICATOR}/measures", json=MEASURE)
            assert recorded.status_code == 202, recorded.text
        WebDriverWait(driver, 45, poll_frequency=0.3).until(
            lambda d: figures(d, "indicators").get(INDICATOR) == ["40\u202f%"]
        )
        assert driver.execute_script("return window.notReloaded === true"), "the page was reloaded"
        status = driver.find_element(By.ID, "strategie-etat")
        assert status.get_attribute("aria-live") == "polite"
        assert status.text.startswith("Chiffres et graphiques mis à jour à "), status.text
        row = driver.find_element(By.XPATH, f"//table[@id='indicateurs']//tr[starts-with(td, '{INDICATOR}')]")
        assert "10" in row.find_elements(By.TAG_NAME, "td")[3].text, row.text  # the actual, in the table
        live = driver.find_element(By.ID, "strategie-direct")
        assert "updated" in (live.get_attribute("class") or "")
        motion = driver.execute_script("return getComputedStyle(arguments[0]).animationName", live)
        assert motion == "none", motion  # highlighted only for those who did not ask for less motion
        drawn = shown_drawing(driver, "indicators")
        assert f"{INDICATOR} — " in drawn and "— réalisé : 40\u202f%</title>" in drawn, drawn  # in French

    with system.client("region", "evaluation") as evaluation:
        charts = evaluation.get(f"/charts/{YEAR}", params={"as_of": AS_OF}).json()
    assert drawn == next(c["svg"] for c in charts if c["name"] == "indicators")
    report = write_report(system, tmp_path / "report")
    for chart in charts:  # the same drawings as the report's files, byte for byte
        assert (report / "charts" / f"{chart['name']}.svg").read_text() == chart["svg"], chart["name"]


def wait_for_the_demo_strategy(url: str) -> None:
    with browsing(url) as browser:
        sign_in(browser, "region-instructor")
        deadline, every = time.monotonic() + 30, "11 indicateurs en vigueur"
        while every not in browser.get("/strategie", params={"annee": YEAR}).text:
            assert time.monotonic() < deadline, "the demo strategy did not reach the evaluation view"
            time.sleep(0.2)


def figures(driver: WebDriver, chart: str) -> dict[str, list[str]]:
    """The chart's table as the page shows it now: each category's figures, by the category's label."""
    rows: list[list[str]] = driver.execute_script(
        """const table = document.getElementById(arguments[0] + '-chiffres');
        if (!table) return [];
        return [...table.tBodies[0].rows].filter(r => r.cells[0].tagName === 'TH')
          .map(r => [...r.cells].map(c => c.textContent.trim()));""",
        f"graphique-{chart}",
    )
    return {row[0]: row[1:] for row in rows}


def shown_drawing(driver: WebDriver, chart: str) -> str:
    """The SVG the page shows for the chart (its image's data URL, decoded)."""
    source: str = driver.execute_script(
        "return document.querySelector(arguments[0]).getAttribute('src')", f"#graphique-{chart} ~ img"
    )
    return base64.b64decode(source.split(",", 1)[1]).decode()


def write_report(system: Deployment, out: Path) -> Path:
    """The annual report as `ess report` writes it, from region's evaluation database, as of the same day."""
    database = system.database_url("region", "evaluation")
    command = [sys.executable, "-m", "ess_evaluation.entrypoints.report", "--year", str(YEAR),
               "--out", str(out), "--database", database, "--as-of", AS_OF]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return out
