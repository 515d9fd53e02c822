"""A real headless Chromium (Debian's `chromium` and `chromium-driver`) driven by Selenium, and axe-core run
inside it: the accessibility rules of WCAG 2.1 A and AA (what the RGAA builds on) checked on the page as the
browser laid it out, computed colours and all. axe-core is vendored (`vendor/axe-core/`), so nothing is
fetched at test time; `ESS_CONSOLE_SCREENSHOTS=1` also saves each checked page as a PNG for the docs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

AXE = Path(__file__).parent / "vendor/axe-core/axe.min.js"
SCREENSHOTS = Path(__file__).parents[2] / "docs/console"
WINDOW = (1280, 900)
# WCAG 2.0 and 2.1, levels A and AA, axe's rules mapped to the RGAA 4, and its best practices (landmarks,
# heading order, one main, skip link...)
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "RGAAv4", "best-practice"]
FAILING = ("serious", "critical")


def have_chromium() -> bool:
    return shutil.which("chromedriver") is not None and shutil.which("chromium") is not None


@contextmanager
def chromium(window: tuple[int, int] = WINDOW) -> Iterator[WebDriver]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=fr-FR",
                 f"--window-size={window[0]},{window[1]}", "--hide-scrollbars",
                 "--force-device-scale-factor=1"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_window_size(*window)
    try:
        yield driver
    finally:
        driver.quit()


def sign_in_locally(driver: WebDriver, url: str, person: str) -> None:
    """The console's local sign-in (`ess up`'s people): from no cookie, the person picked by their label,
    « Se connecter »; returns once the person's first page has come."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as expected
    from selenium.webdriver.support.wait import WebDriverWait

    driver.delete_all_cookies()  # consoles on one host share its cookies
    driver.get(f"{url}/connexion")
    choice = driver.find_element(By.CSS_SELECTOR, f"input[name=person][value={person}]")
    driver.find_element(By.CSS_SELECTOR, f"label[for={choice.get_attribute('id')}]").click()
    driver.find_element(By.XPATH, "//button[. = 'Se connecter']").click()
    WebDriverWait(driver, 15).until(expected.url_changes(f"{url}/connexion"))


@dataclass(frozen=True)
class Violation:
    page: str
    rule: str
    impact: str
    targets: list[str]
    help: str
    help_url: str
    needs_review: bool = False
    """axe could not decide (its "incomplete" results): listed for a person to look at, never failing."""

    def __str__(self) -> str:
        said = f"{self.rule} ({self.impact}{', to review' if self.needs_review else ''}) {self.help}"
        return f"{self.page}: {said} — {', '.join(self.targets)} — {self.help_url}"


def axe_check(driver: WebDriver, page: str, rules: list[str] | None = None) -> list[Violation]:
    """axe-core's violations of the page now in `driver`, every impact, and what it left for review; each
    node's CSS target listed. Every rule of TAGS, or only `rules`."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    found: dict[str, Any] = driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
        const options = {runOnly: arguments[0], resultTypes: arguments[1]};
        axe.run(document, options).then(r => done(r), e => done({error: String(e)}));""",
        {"type": "rule", "values": rules} if rules else {"type": "tag", "values": TAGS},
        ["violations", "incomplete"],  # every node of both (only one of any other type)
    )
    assert "error" not in found, found
    said = []
    for kind in ("violations", "incomplete"):
        for v in found[kind]:
            targets = [" ".join(map(str, n["target"])) for n in v["nodes"]]
            review = kind == "incomplete"
            said.append(Violation(page, v["id"], v["impact"] or "", targets, v["help"], v["helpUrl"], review))
    return said


def failing(violations: list[Violation]) -> list[Violation]:
    return [v for v in violations if v.impact in FAILING and not v.needs_review]


def narrow(driver: WebDriver, page: str, width: int = 320) -> list[str]:
    """At `width` CSS pixels wide (WCAG 1.4.10 Reflow: 1280 pixels at 400 % zoom), what sticks out and makes
    the page scroll sideways, and what scrolls within itself but cannot be reached by keyboard (axe's
    scrollable-region-focusable, serious): empty when the page reflows."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": WINDOW[1], "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        scrolls = "return [...document.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1)"
        rule = ["scrollable-region-focusable"]  # asked only where something scrolls: axe takes its time
        scrolling = axe_check(driver, f"{page} at {width} px", rule) if driver.execute_script(scrolls) else []
        stuck = [str(v) for v in failing(scrolling)]
        found: list[str] = driver.execute_script(
            """const width = document.documentElement.clientWidth;
            if (document.documentElement.scrollWidth <= width) return [];
            return [...document.body.querySelectorAll('*')]
              .filter(e => e.getBoundingClientRect().right > width + 1)
              .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > width + 1))
              .slice(0, 5).map(e => e.outerHTML.slice(0, 120));"""
        )
        return stuck + [f"{page}: scrolls sideways at {width} px wide: {e}" for e in found]
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def screenshot(driver: WebDriver, name: str, at: str | None = None) -> Path | None:
    """The page, at the window's size, as `docs/console/<name>.png` when ESS_CONSOLE_SCREENSHOTS=1: from
    its top, or from the heading whose words are `at`."""
    if os.environ.get("ESS_CONSOLE_SCREENSHOTS") != "1":
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.execute_script(
        "const at = [...document.querySelectorAll('h1, h2, h3')]"
        ".find(h => h.textContent.trim() === arguments[0]);"
        "at ? at.scrollIntoView() : window.scrollTo(0, 0)",
        at,
    )
    assert driver.save_screenshot(str(path)), path
    return path
