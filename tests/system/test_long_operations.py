"""Long operator commands follow the work instead of a clock: `ess view rebuild` and `ess republish` show
progress and wait as long as it moves, however long that is, and fail, saying where, only when it stops
moving for the stall time.

The service runs with a throttled fold (one event per batch, a pause each: tests/support/faults_child.py),
so a replay of a small stream takes several times the stall time, as a replay of a large stream takes
longer than any fixed limit (the old one was 120 s, some 120,000 events with every view)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import events as ev
from tests.support.deployment import Deployment, deployment

pytestmark = [pytest.mark.system, pytest.mark.timeout(180)]

ESS = Path(sys.executable).parent / "ess"
REPO = Path(__file__).resolve().parents[2]
NAME = ("bdt", "evaluation")
FOLD_DELAY_S = 0.25  # per event: 20 events take 5 s, 2.5 times the stall time
STALL_S = 2


def ess(system: Deployment, *args: str) -> subprocess.CompletedProcess[str]:
    url = system.children[NAME].http_url
    token = str(system.state.token(NAME[0]))
    command = [str(ESS), *args, "--url", url, "--token", token, "--stall-after", str(STALL_S)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO)


def progress_lines(stderr: str, what: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"{what}: ") and " of " in line]


def test_rebuild_and_republish_show_progress_wait_while_it_moves_and_name_a_stall(tmp_path: Path) -> None:
    with deployment(tmp_path / "ess", fault_hooks=True) as system:
        system.extra_env[NAME] = {"ESS_FAULT_FOLD_DELAY": str(FOLD_DELAY_S)}
        system.start(*NAME)
        story = [e for n in range(4) for e in ev.project_story(f"region-p{n}")]
        asyncio.run(system.publish([(p, ev.wire(system.signers, p, e)) for p, e in story]))
        system.wait_applied([NAME], events=len(story))

        rebuilt = ess(system, "view", "rebuild", "bdt-evaluation")
        assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
        assert "rebuilt 20 events" in rebuilt.stdout and "same digest" in rebuilt.stdout, rebuilt.stdout
        shown = progress_lines(rebuilt.stderr, "rebuild bdt-evaluation")
        counts = {int(line.split(": ", 1)[1].split(" of ")[0]) for line in shown}
        assert len(counts) >= 3 and max(counts) == 20, rebuilt.stderr  # it moved, and was seen moving
        assert all(" of 20 events" in line for line in shown), rebuilt.stderr

        stall = system.fault_dir / "bdt-evaluation.fold-stall"  # type: ignore[operator]
        stall.touch()
        stalled = ess(system, "view", "rebuild", "bdt-evaluation")
        assert stalled.returncode == 1, stalled.stdout + stalled.stderr
        said = " ".join(stalled.stderr.split())
        assert f"rebuild bdt-evaluation: no progress for {STALL_S} s, at 0 of 20 events" in said, said
        stall.unlink()

        republished = ess(system, "republish", "--service", "bdt-evaluation")
        assert republished.returncode == 0, republished.stdout + republished.stderr
        assert "journal events published again" in republished.stdout, republished.stdout
        assert progress_lines(republished.stderr, "republish bdt-evaluation"), republished.stderr
