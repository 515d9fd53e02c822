"""Session fixtures for the container tests: `container_engine` (skips, saying what is missing, when there
is none) and `images` (built once, cached by content hash across runs). Every test here is marked
`containers`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from ess_shared.deploy.images import BuildUnavailable, Images
from tests.support.container_engine import (
    SUITE_REPORT,
    Engine,
    NoContainerEngine,
    engine_for_tests,
    images_for_tests,
)

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.containers)


@pytest.fixture(scope="session")
def container_engine() -> Iterator[Engine]:
    with ExitStack() as stack:
        try:
            engine = stack.enter_context(engine_for_tests(REPO))
        except NoContainerEngine as exc:
            SUITE_REPORT.append(f"skipped: no container engine: {exc}")
            pytest.skip(f"no container engine: {exc}")
        yield engine


@pytest.fixture(scope="session")
def images(container_engine: Engine, request: pytest.FixtureRequest) -> Images:
    """The first build takes one to two minutes: its steps are shown as they go, not captured."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():

        def log(line: str) -> None:
            print(f"\n[images] {line}", end="", file=sys.stderr, flush=True)

        try:
            return images_for_tests(container_engine, REPO, log=log)
        except BuildUnavailable as exc:
            SUITE_REPORT.append(f"skipped: cannot build the images: {exc}")
            pytest.skip(f"cannot build the images: {exc}")
