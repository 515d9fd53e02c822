"""Session set-up for the container tests: the engine and the images are made ready once, when collection
ends and before any test starts, so the first build on a new machine (minutes) runs under its own budget
(ESS_TEST_IMAGES_BUDGET_S) instead of the first test's timeout. The fixtures `container_engine` and `images`
hand out what was made, or skip (no engine, a machine that cannot build) or fail (the build failed) saying
why. Every test here is marked `containers`."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ess_ops.deploy.images import Images
from tests.support.container_engine import (
    SUITE_REPORT,
    BuildUnavailable,
    Engine,
    ImagesNotBuilt,
    NoContainerEngine,
    engine_for_tests,
    images_for_tests,
)

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


@dataclass
class Prepared:
    """What the session set up for this folder's tests, or why it could not."""

    stack: ExitStack = field(default_factory=ExitStack)
    engine: Engine | None = None
    images: Images | None = None
    skip: str | None = None
    error: str | None = None


PREPARED = Prepared()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.containers)


def pytest_collection_finish(session: pytest.Session) -> None:
    """After selection (-k, -m): prepare only when a container test is going to run."""
    if session.config.option.collectonly or not any(HERE in item.path.parents for item in session.items):
        return
    capture = session.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():  # the build's progress is shown as it goes
        print("\n[containers] preparing the engine and images before the tests", file=sys.stderr, flush=True)
        prepare(PREPARED)


def prepare(prepared: Prepared) -> None:
    try:
        prepared.engine = prepared.stack.enter_context(engine_for_tests(REPO))
    except NoContainerEngine as exc:
        prepared.skip = f"no container engine: {exc}"
        SUITE_REPORT.append(f"skipped: {prepared.skip}")
        return
    try:
        prepared.images = images_for_tests(prepared.engine, REPO)
    except BuildUnavailable as exc:
        prepared.skip = f"cannot build the images: {exc}"
        SUITE_REPORT.append(f"skipped: {prepared.skip}")
    except ImagesNotBuilt as exc:
        prepared.error = str(exc)
        SUITE_REPORT.append(f"failed: {prepared.error}")


def pytest_sessionfinish() -> None:
    PREPARED.stack.close()


@pytest.fixture(scope="session")
def container_engine() -> Engine:
    if PREPARED.engine is None:
        pytest.skip(PREPARED.skip or "the container engine was not prepared")
    return PREPARED.engine


@pytest.fixture(scope="session")
def images(container_engine: Engine) -> Images:
    if PREPARED.error:
        pytest.fail(PREPARED.error)
    if PREPARED.images is None:
        pytest.skip(PREPARED.skip or "the images were not prepared")
    return PREPARED.images
