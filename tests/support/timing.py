"""How long the suites take: a pytest plugin, registered by tests/conftest.py (`-p tests.support.timing`).

It sums each test's setup, call and teardown per suite (the first folder under tests/: unit, integration,
system, faults, security, containers) and prints a "time per suite" section at the end of the run with the
session's wall time. Past ESS_TEST_WARN_S seconds of wall time (18 minutes unless set) it prints a warning;
past ESS_TEST_BUDGET_S seconds, only when that is set, the run fails. The times are written to
.pytest_cache/ess-test-times.json (ESS_TEST_TIMES_FILE elsewhere), which also keeps the last run of each
selection: the summary shows what changed since the last run of the same selection, so a closing note can
say what its change added to the test time.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

WARN_SECONDS = 18 * 60.0
WARN_ENV = "ESS_TEST_WARN_S"
BUDGET_ENV = "ESS_TEST_BUDGET_S"
TIMES_ENV = "ESS_TEST_TIMES_FILE"
TIMES_NAME = "ess-test-times.json"
SUITES = ("unit", "integration", "system", "faults", "security", "containers")  # the order shown
PLUGIN_NAME = "ess-suite-times"
KEEP_RUNS = 20  # selections remembered in the times file


def suite_of(nodeid: str) -> str:
    """`tests/unit/test_x.py::test_y` → `unit`; a test file directly in tests/ → `tests`."""
    parts = PurePosixPath(nodeid.split("::", 1)[0]).parts
    folders = parts[:-1]
    if "tests" in folders:
        below = folders[folders.index("tests") + 1 :]
        return below[0] if below else "tests"
    return folders[0] if folders else "(root)"


def seconds_from_env(name: str, default: float | None) -> float | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise pytest.UsageError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value < 0:
        raise pytest.UsageError(f"{name} must not be negative, not {raw!r}")
    return value


def _seconds(entry: object) -> float:
    """A suite's seconds in the times file; 0 for what an older or hand-edited file holds instead."""
    try:
        return float(entry.get("seconds", 0.0)) if isinstance(entry, dict) else 0.0
    except (TypeError, ValueError):
        return 0.0


def _secs(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds >= 1 else f"{seconds:.3f} s"


def _minutes(seconds: float) -> str:
    return f"{_secs(seconds)} ({seconds / 60:.1f} min)"


@dataclass
class Suite:
    tests: set[str] = field(default_factory=set)
    seconds: float = 0.0


class SuiteTimes:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.warn_seconds = seconds_from_env(WARN_ENV, WARN_SECONDS)
        self.budget_seconds = seconds_from_env(BUDGET_ENV, None)
        self.times_file = self._times_file(config)
        self.suites: dict[str, Suite] = {}
        self.started = time.monotonic()
        self.wall: float | None = None
        self.complete = False  # every selected test ran: no Ctrl-C, no -x or --maxfail stop
        self.over_budget: str | None = None
        self.previous: dict[str, Any] | None = None
        self.write_error: str | None = None

    @staticmethod
    def _times_file(config: pytest.Config) -> Path:
        given = os.environ.get(TIMES_ENV, "").strip()
        if given:
            return Path(given)
        try:
            cache_dir = str(config.getini("cache_dir"))
        except ValueError:  # -p no:cacheprovider: the ini option is not there
            cache_dir = ".pytest_cache"
        return config.rootpath / os.path.expanduser(os.path.expandvars(cache_dir)) / TIMES_NAME

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.started = time.monotonic()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        suite = self.suites.setdefault(suite_of(report.nodeid), Suite())
        suite.tests.add(report.nodeid)
        suite.seconds += report.duration

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Runs before the terminal summary is printed, which reads what this decides."""
        self.wall = time.monotonic() - self.started
        self.complete = (
            session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
            and not session.shouldstop
            and not session.shouldfail
        )
        if self.budget_seconds is not None and self.wall > self.budget_seconds:
            self.over_budget = (
                f"time budget exceeded: the run took {_secs(self.wall)}, "
                f"over {BUDGET_ENV}={self.budget_seconds:g} s"
            )
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
            if not session.shouldfail:
                session.shouldfail = self.over_budget  # pytest says it in red just above its last line
        self._write()

    def record(self) -> dict[str, Any]:
        return {
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "selection": self.key(),
            "wall_seconds": round(self.wall or 0.0, 3),
            "warn_seconds": self.warn_seconds,
            "budget_seconds": self.budget_seconds,
            "over_budget": self.over_budget is not None,
            "complete": self.complete,
            "suites": {
                name: {"tests": len(suite.tests), "seconds": round(suite.seconds, 3)}
                for name, suite in self.ordered()
            },
        }

    def _write(self) -> None:
        """`latest` is this run; `runs` keeps the last complete run of each selection (its arguments), so a
        full run stays comparable after a few runs of one suite, or one stopped half-way."""
        key = " ".join(self.key())
        runs: dict[str, Any] = {}
        try:
            old = json.loads(self.times_file.read_text(encoding="utf-8"))
            if isinstance(old, dict) and isinstance(old.get("runs"), dict):
                runs = {k: v for k, v in old["runs"].items() if isinstance(v, dict)}
        except (OSError, ValueError):
            pass
        previous = runs.get(key)
        self.previous = previous if previous and isinstance(previous.get("suites"), dict) else None
        record = self.record()
        if self.complete:
            runs[key] = record
        kept = sorted(runs.items(), key=lambda item: str(item[1].get("finished", "")), reverse=True)
        try:
            self.times_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.times_file.with_name(f".{self.times_file.name}.{os.getpid()}.tmp")
            content = {"latest": record, "runs": dict(kept[:KEEP_RUNS])}
            tmp.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
            tmp.replace(self.times_file)
        except OSError as exc:
            self.write_error = f"{type(exc).__name__}: {exc}"

    def key(self) -> list[str]:
        """The selection: the paths given, with -k and -m when set."""
        options = [
            ("-k", self.config.getoption("keyword", "")),
            ("-m", self.config.getoption("markexpr", "")),
        ]
        return [str(a) for a in self.config.args] + [
            part for flag, value in options if value for part in (flag, value)
        ]

    def ordered(self) -> list[tuple[str, Suite]]:
        known = [(name, self.suites[name]) for name in SUITES if name in self.suites]
        return known + sorted((n, s) for n, s in self.suites.items() if n not in SUITES)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        write = terminalreporter.write_line
        wall = self.wall if self.wall is not None else time.monotonic() - self.started
        terminalreporter.section("time per suite")
        before = self.previous  # the last run of the same selection
        old_suites: dict[str, Any] = before["suites"] if before else {}
        total = sum(suite.seconds for suite in self.suites.values())
        header = f"{'suite':<14}{'tests':>7}{'seconds':>11}{'share':>9}"
        write(header + (f"{'vs previous':>14}" if before else ""))
        rows = [(name, len(s.tests), s.seconds) for name, s in self.ordered()]
        for name, count, seconds in [*rows, ("all", sum(r[1] for r in rows), total)]:
            share = seconds / total if total > 0 else 0.0
            line = f"{name:<14}{count:>7}{seconds:>11.1f}{share:>9.1%}"
            if before:
                old = (
                    sum(map(_seconds, old_suites.values()))
                    if name == "all"
                    else _seconds(old_suites.get(name))
                )
                line += f"{seconds - old:>+14.1f}"
            write(line)
        write(f"session wall time: {_minutes(wall)}")
        if before:
            was = _seconds({"seconds": before.get("wall_seconds")})
            write(
                f"vs previous: the last run of the same selection, finished {before.get('finished')}, "
                f"wall {was:.1f} s"
            )
        if not self.complete:
            write("an incomplete run (stopped early): not kept as its selection's run to compare with")
        if self.write_error:
            write(f"times not written to {self.times_file}: {self.write_error}", yellow=True)
        else:
            write(f"times written to {self.times_file}")
        if self.warn_seconds is not None and wall > self.warn_seconds:
            write(
                f"WARNING: this run took {_minutes(wall)}, past the {_minutes(self.warn_seconds)} "
                f"mark ({WARN_ENV}); say in the closing note what the change added to the test time",
                yellow=True,
                bold=True,
            )
        if self.over_budget:
            write(f"FAILED: {self.over_budget}", red=True, bold=True)


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller gets every report
        return
    if not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(SuiteTimes(config), PLUGIN_NAME)
