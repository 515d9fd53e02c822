"""The live path, a commit against the working tree: CPU per submission at 100/s, alternating rounds.

    python -m bench.live_ab REV                                  # 2 rounds, SQLite and PostgreSQL
    python -m bench.live_ab REV --rounds 3 --backends sqlite --count 1000

REV is checked out into a temporary `git worktree` (removed at the end). Each run is a child process with
its side's own code (cwd its root, PYTHONPATH its workspace's `src` folders then its root, as
`bench/compare.py` does): a fresh stack (intake and the three pilots' funding services), a warm-up of
`--warm` submissions, then `bench.intake.latency` with `--count` submissions at `--rate`. The sides
alternate, REV first, per round and backend. Printed and written to `bench/results/live_ab.json`: each
run's CPU per submission of every process, the four services' sum and the latency percentiles; the table
gives the medians per side. p50 runs from the 201 to the last funding service's ack (an act answering
sooner lengthens it); "from request" from the request sent (0 where a side's bench does not say).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.compare import src_dirs

TREE = Path(__file__).resolve().parent.parent
SERVICES = ("region-intake", "region-funding", "state-funding", "bdt-funding")
CHILD = """
import asyncio, json, sys, tempfile, uuid
from pathlib import Path
from bench import intake

async def main(backend, count, warm, rate):
    work = Path(tempfile.mkdtemp(prefix="ess-live-ab-"))
    async with intake.stack(backend, work) as running:
        names = [("region", "intake"), *((p, "funding") for p in intake.FUNDERS)]
        await asyncio.to_thread(running.start, names)
        run = uuid.uuid4().hex[:6]
        await intake.latency(running, warm, run + "w", rate)
        print("RESULT " + json.dumps(await intake.latency(running, count, run, rate)), flush=True)

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])))
"""


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in [*src_dirs(root), root])}


def _run(root: Path, backend: str, count: int, warm: int, rate: float) -> dict[str, Any]:
    command = [sys.executable, "-c", CHILD, backend, str(count), str(warm), str(rate)]
    done = subprocess.run(command, cwd=root, env=_env(root), capture_output=True, text=True, timeout=900)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
            cpu = result["cpu_ms_per_submission"]
            result["services_ms"] = round(sum(cpu.get(s, 0.0) for s in SERVICES), 2)
            return result
    raise RuntimeError(f"{root}: no result (exit {done.returncode}):\n{done.stderr[-3000:]}")


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _table(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| backend | side | services ms | intake | funding (3) | p50 ms | p99 ms | from request p50 | runs |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for backend in sorted({r["backend"] for r in runs}):
        for side in ("rev", "tree"):
            mine = [r for r in runs if r["backend"] == backend and r["side"] == side]
            if not mine:
                continue

            def med(pick: Any, of: list[dict[str, Any]] = mine) -> float:
                return statistics.median(pick(r) for r in of)

            funding = med(lambda r: sum(r["cpu_ms_per_submission"][s] for s in SERVICES[1:]))
            lines.append(
                f"| {backend} | {side} | {med(lambda r: r['services_ms']):.1f} | "
                f"{med(lambda r: r['cpu_ms_per_submission']['region-intake']):.1f} | {funding:.1f} | "
                f"{med(lambda r: r['p50_ms']):.0f} | {med(lambda r: r['p99_ms']):.0f} | "
                f"{med(lambda r: r.get('from_request_p50_ms') or 0.0):.0f} | {len(mine)} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.live_ab", description=__doc__.split("\n\n")[0])
    parser.add_argument("rev")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--warm", type=int, default=200)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--out", type=Path, default=TREE / "bench" / "results" / "live_ab.json")
    parser.add_argument(
        "--tree",
        type=Path,
        default=TREE,
        help="the other side's root (default this working tree): a clean "
        "worktree with one's own change keeps others' uncommitted edits out of the comparison",
    )
    args = parser.parse_args()
    worktree = Path(tempfile.mkdtemp(prefix="ess-live-ab-rev-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(worktree), args.rev], cwd=TREE, check=True)
    runs: list[dict[str, Any]] = []
    try:
        for round_ in range(args.rounds):
            for backend in args.backends.split(","):
                for side, root in (("rev", worktree), ("tree", args.tree)):
                    started = time.strftime("%H:%M:%S")
                    load = _load()
                    result = _run(root, backend, args.count, args.warm, args.rate)
                    result |= {"side": side, "backend": backend, "round": round_, "at": started, "load": load}
                    runs.append(result)
                    print(
                        f"{started} round {round_} {backend} {side}: services {result['services_ms']} ms, "
                        f"{result['cpu_ms_per_submission']}, p50 {result['p50_ms']:.0f} ms, load {load}",
                        flush=True,
                    )
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=TREE, check=False)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"rev": args.rev, "runs": runs}, indent=1))
    print(_table(runs))


if __name__ == "__main__":
    main()
