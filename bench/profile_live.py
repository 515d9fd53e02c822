"""Where the live path's CPU goes: the latency bench (`bench.intake.latency`) at 100 submissions/s with intake
and the three pilots' funding services as processes, each sampled by py-spy and its SQL statements counted.

    python -m bench.profile_live --backend sqlite --count 1000
    python -m bench.profile_live --backend postgres --no-spy      # statements and CPU only

py-spy is not a dependency of the project: `.venv/bin/pip install py-spy` to profile (`--no-spy` without).
Each service runs under `bench.counting_child` (SQLAlchemy's `before_cursor_execute` counts statements;
SIGUSR1 dumps them), after a warm-up run of `--warm` submissions. Printed per process: CPU per submission,
statements (and rows) per submission by statement, and py-spy's functions by own and by inclusive share of
the samples; the collapsed stacks are kept under `--out` for a closer look.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from bench import intake

SPY = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "py-spy"


def _spy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    command = [str(SPY), "record", "--pid", str(pid), "--format", "raw", "--rate", "200", "--nonblocking"]
    return subprocess.Popen([*command, "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _statements(base: Path, pids: dict[str, int]) -> dict[str, dict[str, Any]]:
    for pid in pids.values():
        os.kill(pid, signal.SIGUSR1)
    time.sleep(1.0)
    return {name: json.loads(Path(f"{base}.{pid}").read_text()) for name, pid in pids.items()}


def _per(before: dict[str, int], after: dict[str, int], count: int) -> list[tuple[str, float]]:
    spent = {k: (v - before.get(k, 0)) / count for k, v in after.items()}
    return sorted(((k, v) for k, v in spent.items() if v > 0), key=lambda kv: -kv[1])


IDLE = ("selectors.py:", "aiosqlite/core.py:59)", "threading.py:", "ess_ops/cli/child.py:", "queue.py:")
"""Leaf frames of a thread that waits (py-spy's --nonblocking samples them too): left out of the shares."""


def _frame(frame: str) -> str:
    """`function (path/to/module.py:123)` -> `function (module.py)`: one entry per function."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0].rsplit('/', 1)[-1]})" if where else name


def _profile(path: Path, top: int) -> tuple[int, list[tuple[str, float]], list[tuple[str, float]]]:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        raw = [f for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
        if not raw or any(idle in raw[-1] for idle in IDLE):
            continue
        frames = [_frame(f) for f in raw]
        n = int(count)
        total += n
        own[frames[-1]] += n
        for name in set(frames):
            inclusive[name] += n
    share = [(k, 100 * v / total) for k, v in own.most_common(top)]
    whole = [(k, 100 * v / total) for k, v in inclusive.most_common(top * 2)]
    return total, share, whole


async def run(backend: str, count: int, warm: int, rate: float, spy: bool, out: Path, top: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="ess-profile-"))
    base = out / f"statements-{backend}"
    try:
        async with intake.stack(backend, work) as running:
            running.module = "bench.counting_child"
            running.extra_env = {"ESS_BENCH_STATEMENTS": str(base)}
            names = [("region", "intake"), *((p, "funding") for p in intake.FUNDERS)]
            await asyncio.to_thread(running.start, names)
            run_id = uuid.uuid4().hex[:6]
            await intake.latency(running, warm, f"{run_id}w", rate)
            pids = {f"{p}-{s}": c.proc.pid for (p, s), c in running.children.items()}
            before = await asyncio.to_thread(_statements, base, pids)
            spies = {n: _spy(pid, out / f"spy-{backend}-{n}.txt") for n, pid in pids.items()} if spy else {}
            figures = await intake.latency(running, count, run_id, rate)
            for proc in spies.values():
                proc.send_signal(signal.SIGINT)
            for proc in spies.values():
                proc.wait(30)
            after = await asyncio.to_thread(_statements, base, pids)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary: dict[str, Any] = {"backend": backend, "count": count, "rate": rate, "latency": figures}
    print(json.dumps(figures, indent=1))
    for name in pids:
        b, a = before[name], after[name]
        statements = _per(b["statements"], a["statements"], count)
        rows = dict(_per(b["rows"], a["rows"], count))
        print(
            f"\n== {name}: {figures['cpu_ms_per_submission'][name]} ms CPU a submission, "
            f"{sum(v for _, v in statements):.1f} statements a submission"
        )
        for text, per in statements:
            print(f"  {per:6.2f} ({rows.get(text, 0):6.2f} rows)  {text}")
        summary[name] = {"statements": statements}
        if spy:
            total, share, whole = _profile(out / f"spy-{backend}-{name}.txt", top)
            print(f"  py-spy: {total} samples; own")
            for fn, pct in share:
                print(f"    {pct:5.1f}%  {fn}")
            print("  inclusive")
            for fn, pct in whole:
                print(f"    {pct:5.1f}%  {fn}")
            summary[name] |= {"samples": total, "own": share, "inclusive": whole}
    (out / f"profile-{backend}.json").write_text(json.dumps(summary, indent=1))


def main() -> None:
    summary = __doc__.split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench.profile_live", description=summary)
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "postgres"))
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--warm", type=int, default=200)
    parser.add_argument("--rate", type=float, default=intake.RATE)
    parser.add_argument("--no-spy", dest="spy", action="store_false")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "profile")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(args.backend, args.count, args.warm, args.rate, args.spy, args.out, args.top))


if __name__ == "__main__":
    main()
