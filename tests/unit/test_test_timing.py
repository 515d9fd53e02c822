"""The time-per-suite plugin (tests/support/timing.py), run by a separate pytest on a tiny generated tests/
folder: the summary names each suite with its time, a small ESS_TEST_WARN_S warns, ESS_TEST_BUDGET_S fails
the run only when set and passed, and the times file keeps each selection's last run to compare with.
Three subprocess runs in all, each under a second."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.timing import BUDGET_ENV, TIMES_ENV, WARN_ENV, seconds_from_env, suite_of

REPO = Path(__file__).resolve().parents[2]
SLEEP = 0.05  # in the integration test's call, and again in its fixture's teardown

FILES = {
    "unit/test_fast.py": "def test_one():\n    pass\n\n\ndef test_two():\n    pass\n",
    "integration/test_slow.py": (
        "import time\n\nimport pytest\n\n\n"
        f"@pytest.fixture\ndef slow_teardown():\n    yield\n    time.sleep({SLEEP})\n\n\n"
        f"def test_sleeps(slow_teardown):\n    time.sleep({SLEEP})\n"
    ),
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        path = tmp_path / "tests" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def run(tree: Path, *options: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m pytest tests` in `tree` with only this plugin (no autoloaded plugins: it starts fast)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("ESS_TEST_") and k != "PYTEST_ADDOPTS"}
    base |= {
        "PYTHONPATH": str(REPO),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        TIMES_ENV: str(tree / "times.json"),
        "COLUMNS": "120",
    }
    command = [sys.executable, "-m", "pytest", "-q", "-p", "tests.support.timing", "-p", "no:cacheprovider"]
    return subprocess.run(
        [*command, *options, "tests"], cwd=tree, env=base | env, capture_output=True, text=True, timeout=60
    )


def suite_rows(output: str) -> dict[str, list[str]]:
    section = output.split("time per suite", 1)[1].splitlines()
    return {
        line.split()[0]: line.split()[1:]
        for line in section
        if line.split()[:1] in (["unit"], ["integration"], ["all"])
    }


def test_the_summary_names_each_suite_with_its_tests_and_seconds_and_a_small_warn_mark_warns(
    tree: Path,
) -> None:
    done = run(tree, **{WARN_ENV: "0.001"})  # no budget: the run passes, however long it took
    assert done.returncode == 0, done.stdout + done.stderr
    rows = suite_rows(done.stdout)
    assert rows["unit"][0] == "2" and rows["integration"][0] == "1" and rows["all"][0] == "3", done.stdout
    assert float(rows["integration"][1]) >= 2 * SLEEP - 0.01  # the call and the teardown both counted
    assert rows["all"][2] == "100.0%"
    assert "session wall time:" in done.stdout and "vs previous" not in done.stdout
    warning = [line for line in done.stdout.splitlines() if line.startswith("WARNING:")]
    assert len(warning) == 1 and WARN_ENV in warning[0], done.stdout
    assert "time budget exceeded" not in done.stdout
    latest = json.loads((tree / "times.json").read_text())["latest"]
    assert list(latest["suites"]) == ["unit", "integration"]
    assert (
        latest["suites"]["unit"]["tests"] == 2
        and latest["suites"]["integration"]["seconds"] >= 2 * SLEEP - 0.01
    )
    assert latest["budget_seconds"] is None and not latest["over_budget"] and latest["selection"] == ["tests"]
    assert latest["complete"] is True and "an incomplete run" not in done.stdout


def test_a_budget_fails_a_passing_run_that_exceeds_it_and_the_last_run_of_the_selection_is_compared(
    tree: Path,
) -> None:
    earlier = {
        "finished": "2020-01-01T00:00:00+00:00",
        "wall_seconds": 1.0,
        "suites": {"unit": {"seconds": 100.0}},
    }
    other = {**earlier, "selection": ["tests/unit"]}
    (tree / "times.json").write_text(json.dumps({"runs": {"tests": earlier, "tests/unit": other}}))

    over = run(tree, **{BUDGET_ENV: "0.001"})  # the default warning mark (18 min) is far
    assert over.returncode == pytest.ExitCode.TESTS_FAILED, over.stdout + over.stderr
    assert f"{BUDGET_ENV}=0.001 s" in over.stdout and "time budget exceeded: the run took" in over.stdout
    assert "3 passed" in over.stdout and "WARNING:" not in over.stdout  # only the time fails the run
    assert float(suite_rows(over.stdout)["unit"][3]) < -99  # vs the earlier run of `tests`: 100 s then
    times = json.loads((tree / "times.json").read_text())
    assert times["latest"]["over_budget"] is True and times["latest"]["budget_seconds"] == 0.001
    assert times["runs"]["tests/unit"] == other and times["runs"]["tests"] == times["latest"]


def test_a_run_stopped_early_is_reported_but_not_kept_to_compare_with(tree: Path) -> None:
    (tree / "tests" / "unit" / "test_fails.py").write_text("def test_fails():\n    assert False\n")
    done = run(tree, "-x")
    assert done.returncode == pytest.ExitCode.TESTS_FAILED and "an incomplete run" in done.stdout, done.stdout
    times = json.loads((tree / "times.json").read_text())
    assert times["latest"]["complete"] is False and times["runs"] == {}


def test_a_budget_or_mark_that_is_not_a_number_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BUDGET_ENV, "ten minutes")
    with pytest.raises(pytest.UsageError, match=BUDGET_ENV):
        seconds_from_env(BUDGET_ENV, None)
    monkeypatch.setenv(BUDGET_ENV, " ")
    assert seconds_from_env(BUDGET_ENV, None) is None
    monkeypatch.setenv(WARN_ENV, "90")
    assert seconds_from_env(WARN_ENV, 1080.0) == 90.0


@pytest.mark.parametrize(
    ("nodeid", "suite"),
    [
        ("tests/unit/test_x.py::test_y", "unit"),
        ("tests/containers/sub/test_x.py::TestA::test_b[p]", "containers"),
        ("tests/test_top.py::test_y", "tests"),
        ("other/test_x.py::test_y", "other"),
    ],
)
def test_suite_of(nodeid: str, suite: str) -> None:
    assert suite_of(nodeid) == suite
