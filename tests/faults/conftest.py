"""The fault suite's table: one row per fault case, printed at the end of the run (and written to
$ESS_FAULT_TABLE when set) so the README can quote the suite's own output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.faults_checks import RESULTS

HEADER = [
    "| fault | what happened | events lost | effects applied twice | digests equal |",
    "|---|---|---|---|---|",
]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    terminalreporter.section("fault injection")
    lines = HEADER + [v.row() for v in RESULTS]
    for line in lines:
        terminalreporter.write_line(line)
    for v in RESULTS:
        terminalreporter.write_line(f"{v.fault}: {v.seconds:.1f} s" + "".join(f"; {n}" for n in v.notes))
    target = os.environ.get("ESS_FAULT_TABLE")
    if target:
        Path(target).write_text("\n".join(lines) + "\n", encoding="utf-8")
