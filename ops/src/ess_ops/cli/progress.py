"""Following a long operation that a service runs (a rebuild, a republish) until it ends.

No fixed time limit: a large stream takes as long as it takes. The command waits as long as the count of
work done moves, and fails only when it has not moved for `stall_after` seconds (STALL_AFTER_ENV, or the
command's --stall-after). On a terminal a progress bar shows done / total, rate and time left; piped (logs,
CI) the same figures go out as a line every few seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ess_ops.cli.console import err
from ess_ops.cli.targets import STALL_AFTER_ENV, STALL_AFTER_S

POLL_S = 0.2
LINE_EVERY_S = 2.0  # piped output: one line of figures this often


class Stalled(RuntimeError):
    """The work done did not move for the stall time; the message says where it stopped."""


@dataclass(frozen=True)
class Reading:
    done: int
    total: int
    finished: bool


class RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f}/s" if task.speed else "–/s")


def follow(read: Callable[[], Reading], what: str, unit: str, stall_after: float = STALL_AFTER_S) -> Reading:
    """Poll ``read`` until it says finished; raises Stalled when ``done`` stays put for ``stall_after`` s."""
    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn(), TextColumn(unit), RateColumn())
    live = err.is_terminal
    with Progress(*columns, TimeRemainingColumn(), console=err, disable=not live) as bar:
        task = bar.add_task(what, total=None)
        moved_at = last_line = time.monotonic()
        last_done = -1
        while True:
            reading = read()
            bar.update(task, completed=reading.done, total=max(reading.total, reading.done))
            now = time.monotonic()
            if not live and (reading.finished or now - last_line >= LINE_EVERY_S):
                _line(what, unit, reading, bar.tasks[0].speed)
                last_line = now
            if reading.finished:
                return reading
            if reading.done != last_done:
                last_done, moved_at = reading.done, now
            elif now - moved_at >= stall_after:
                raise Stalled(
                    f"{what}: no progress for {stall_after:g} s, at {reading.done} of {reading.total} {unit}"
                    f" (--stall-after or {STALL_AFTER_ENV} waits longer)"
                )
            time.sleep(POLL_S)


def _line(what: str, unit: str, reading: Reading, speed: float | None) -> None:
    rate = f", {speed:,.0f}/s" if speed else ""
    left = ""
    if speed and not reading.finished:
        left = f", about {max(reading.total - reading.done, 0) / speed:.0f} s left"
    figures = f"{reading.done} of {reading.total} {unit}{rate}{left}"
    err.print(f"{what}: {figures}", soft_wrap=True, highlight=False)
