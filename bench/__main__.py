"""`python -m bench`: every benchmark, then `bench/results.json` and the Markdown table `bench/results.md`.

    python -m bench                         # what `make bench` runs (sized to finish within 10 minutes)
    python -m bench --only replay --replay-runs 3   # the replay's median of three (about 8 minutes)
    python -m bench --only memory --memory 100000,1000000
    python -m bench --only intake           # submissions per second and end-to-end latency
    python -m bench --only join             # snapshot join against full replay, 20,000 and 100,000 events
    python -m bench --scale                 # the same and 1,000,000 events: bench/results-scale.md
    python -m bench --scale national        # 10,000,000 events, resumable: bench/results-national.md
    ESS_BENCH_POSTGRES_URL= python -m bench # SQLite only
    python -m bench --compare 9dfe702       # that commit against the working tree (about 10 minutes)

`--compare REV` (bench/compare.py) checks REV out into a temporary git worktree and runs REV's own bench and
the working tree's, each in a child process with its own code, alternately (`--compare-rounds`, default 6),
on one cached corpus, replay and relay only, one backend (`--backends`, default sqlite); the events options
pass through (defaults under --compare: 50,000 replayed, 5,000 with every view, 10,000 relayed, 3 relay runs).
It prints the medians of CPU µs per event and writes `bench/compare.md` and `bench/compare.json`; exit status
1 when a figure of the working tree is more than 5% above REV's.

PostgreSQL runs where the server at ESS_BENCH_POSTGRES_URL (default postgresql+asyncpg://postgres@
127.0.0.1:5432/test) answers; each run creates its own database and drops it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench import compare, events, infra, intake, memory, national, relay, replay, snapshot_join
from bench.faststream_replay import FILL_TIMEOUT, LIVE_EVENTS, faststream_runner, trickle
from bench.report import markdown

HERE = Path(__file__).resolve().parent
PARTS = ("replay", "faststream", "relay", "memory", "intake")
"""What `make bench` runs; `join` (bench/snapshot_join.py) only when asked: it takes minutes."""
SCALE_EVENTS = 1_000_000
"""The point `--scale` adds to the join's."""
FASTSTREAM_EVENTS = 30_000
"""Replayed by our runner and by the same fold fed through FastStream (docs/decisions/0004)."""
TRICKLE_BASE = 2_000
DEFAULTS: dict[str, object] = {
    "replay_events": 200_000,
    "relay_events": 20_000,
    "all_views": 5_000,
    "backends": "sqlite,postgres",
}
COMPARE_DEFAULTS: dict[str, object] = {
    "replay_events": 50_000,
    "relay_events": 10_000,
    "all_views": 5_000,
    "backends": "sqlite",
}


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--replay-events", type=int, help="default 200,000 (50,000 with --compare)")
    parser.add_argument("--replay-runs", type=int, default=1, help="runs of the replay (long: one is steady)")
    parser.add_argument("--relay-events", type=int, help="default 20,000 (10,000 with --compare)")
    parser.add_argument("--memory", default="5000,50000", help="event counts, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--all-views", type=int, help="events for one replay with every shared view (0: none; default 5,000)"
    )
    parser.add_argument("--submissions", type=int, default=1_000, help="submissions, 32 clients")
    parser.add_argument("--latency", type=int, default=1_000, help="submissions at 100/s, and raw messages")
    parser.add_argument(
        "--slow-rate", type=float, default=20.0, help="latency again at this rate, the same seconds (0: not)"
    )
    parser.add_argument("--only", default=",".join(PARTS), help=f"some of {','.join(PARTS)},join")
    parser.add_argument(
        "--join-events", default="20000,100000", help="corpus sizes of the snapshot join, comma-separated"
    )
    parser.add_argument(
        "--join-history",
        type=int,
        default=80_000,
        help="later events on the smallest join point's projects, for a corpus of long history (0: none)",
    )
    parser.add_argument(
        "--scale",
        nargs="?",
        const="join",
        choices=("join", "national"),
        help=f"alone: the join, at {SCALE_EVENTS:,} events too (bench/results-scale.*); `national`: the "
        "national run (bench/national.py), cached outside the repository, resumable",
    )
    parser.add_argument(
        "--national-events", type=int, default=national.NATIONAL_EVENTS, help="the national run's size"
    )
    parser.add_argument("--backends", help="default sqlite,postgres (sqlite with --compare)")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument("--compare", metavar="REV", help="REV against the working tree (bench/compare.py)")
    parser.add_argument("--compare-rounds", type=int, default=6, help="runs of each side, alternating")
    args = parser.parse_args(argv)
    for name, value in (COMPARE_DEFAULTS if args.compare else DEFAULTS).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.argv = argv
    return args


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def _backends(wanted: list[str]) -> tuple[list[str], dict[str, str]]:
    skipped: dict[str, str] = {}
    backends = [b for b in wanted if b == "sqlite"]
    if "postgres" in wanted:
        problem = None if infra.postgres_base() else "ESS_BENCH_POSTGRES_URL is empty"
        problem = problem or await infra.postgres_available()
        if problem:
            skipped["postgres"] = problem
        else:
            backends.append("postgres")
    return backends, skipped


async def bench_replay(
    corpus: events.Corpus, count: int, runs: int, backends: list[str], work: Path
) -> dict[str, Any]:
    trust = corpus.trust()
    rates: dict[str, list[float]] = {"raw": []}
    cpus: dict[str, list[float]] = {"raw": []}
    digests: dict[str, set[str | None]] = {}
    for backend in backends:
        for who in ("ours", "baseline"):
            rates[f"{who}/{backend}"], cpus[f"{who}/{backend}"] = [], []
    async with infra.Broker() as broker:
        last = await broker.load(corpus.messages[:count])
        for run in range(runs):
            r = await replay.raw(broker.url, trust, last, f"raw-{run}")
            rates["raw"].append(r.rate)
            cpus["raw"].append(r.cpu_us)
            _log(f"replay run {run + 1}/{runs}: raw {r.rate:,.0f}/s")
            for backend in backends:
                # alternate which goes first, so neither always meets the warmer (or busier) machine
                order = ("ours", "baseline") if run % 2 == 0 else ("baseline", "ours")
                for who in order:
                    async with infra.database(backend, work) as url:
                        fn = replay.ours if who == "ours" else replay.baseline
                        r = await fn(broker.url, url, trust, last, f"{who}-{backend}-{run}")
                    rates[f"{who}/{backend}"].append(r.rate)
                    cpus[f"{who}/{backend}"].append(r.cpu_us)
                    digests.setdefault(backend, set()).add(r.digest)
                    _log(f"replay run {run + 1}/{runs}: {who} {backend} {r.rate:,.0f}/s")
    out: dict[str, Any] = {
        "events": count,
        "runs": runs,
        "raw_per_s": infra.median(rates["raw"]),
        "backends": {},
    }
    for backend in backends:
        ours, base = infra.median(rates[f"ours/{backend}"]), infra.median(rates[f"baseline/{backend}"])
        out["backends"][backend] = {
            "ours_per_s": ours,
            "baseline_per_s": base,
            "ratio": ours / base,
            "ratio_to_raw": ours / out["raw_per_s"],
            "same_digest": len(digests[backend]) == 1,
            "ours_cpu_us_per_event": infra.median(cpus[f"ours/{backend}"]),
            "baseline_cpu_us_per_event": infra.median(cpus[f"baseline/{backend}"]),
            "all_runs": {k: rates[k] for k in (f"ours/{backend}", f"baseline/{backend}")},
        }
    out["raw_runs"] = rates["raw"]
    out["raw_cpu_us_per_event"] = infra.median(cpus["raw"])
    return out


async def bench_faststream(corpus: events.Corpus, backends: list[str], work: Path) -> dict[str, Any]:
    """Who pulls: our runner's loop against FastStream's batch pull subscriber feeding the same fold. A
    replay of `FASTSTREAM_EVENTS` by each (the same digest checked), then the live path: a replayed stream,
    an idle spell, one event at a time (FastStream fills a batch until its timeout: two timeouts)."""
    trust = corpus.trust()
    out: dict[str, Any] = {"events": FASTSTREAM_EVENTS, "backends": {}, "live_events": LIVE_EVENTS}
    async with infra.Broker() as broker:
        last = await broker.load(corpus.messages[:FASTSTREAM_EVENTS])
        for n, backend in enumerate(backends):
            runs = {}
            for who in ("ours", "faststream") if n % 2 == 0 else ("faststream", "ours"):
                replayer = replay.ours if who == "ours" else faststream_runner
                async with infra.database(backend, work) as url:
                    runs[who] = await replayer(broker.url, url, trust, last, f"fs-{who}-{backend}")
                _log(f"replay through {who}, {backend}: {runs[who].rate:,.0f}/s")
            out["backends"][backend] = {
                **{f"{who}_per_s": r.rate for who, r in runs.items()},
                **{f"{who}_cpu_us_per_event": r.cpu_us for who, r in runs.items()},
                "same_digest": runs["ours"].digest == runs["faststream"].digest,
                "live": {},
            }
    contenders = (("ours", 0.0), ("faststream", FILL_TIMEOUT), ("faststream", FILL_TIMEOUT / 10))
    async with infra.Broker() as broker:
        await broker.load(corpus.messages[:TRICKLE_BASE])
        fresh = iter(range(TRICKLE_BASE, len(corpus.messages), LIVE_EVENTS))
        for backend in backends:
            for who, fill in contenders:
                start = next(fresh)  # events never published before: no duplicate to dismiss them
                live = corpus.messages[start : start + LIVE_EVENTS]
                name = who if who == "ours" else f"{who} (fill {fill * 1000:.0f} ms)"
                async with infra.database(backend, work) as url:
                    figures = await trickle(broker.url, url, trust, live, who, fill)
                out["backends"][backend]["live"][name] = figures
                _log(f"live, one event at a time, {backend} {name}: {figures}")
    return out


async def bench_all_views(
    corpus: events.Corpus, count: int, backends: list[str], work: Path
) -> dict[str, Any]:
    """Ours with every shared view (the funding plan's rules too): what a service replays today, with its
    digests kept as rows change and without (alternating, twice), and what a checkpoint's digest costs."""
    trust = corpus.trust()
    out: dict[str, Any] = {"events": count, "backends": {}}
    async with infra.Broker() as broker:
        last = await broker.load(corpus.messages[:count])
        for backend in backends:
            cpu: dict[bool, list[float]] = {True: [], False: []}
            for run in range(2):
                for kept in (True, False):
                    async with infra.database(backend, work) as url:
                        durable = f"all-{backend}-{run}-{kept}"
                        r = await replay.ours(
                            broker.url, url, trust, last, durable, all_views=True, kept_digests=kept
                        )
                    cpu[kept].append(r.cpu_us)
                    if kept:
                        out["backends"][backend] = {"ours_per_s": r.rate, "checkpoint_ms": r.digest_ms}
            out["backends"][backend] |= {
                "ours_cpu_us_per_event": infra.median(cpu[True]),
                "without_kept_digests_cpu_us_per_event": infra.median(cpu[False]),
            }
            _log(f"replay with every shared view, {backend}: {out['backends'][backend]}")
    return out


async def bench_relay(
    corpus: events.Corpus, count: int, runs: int, backends: list[str], work: Path
) -> dict[str, Any]:
    messages = relay.journal(corpus.messages, count)
    out: dict[str, Any] = {"events": count, "runs": runs, "backends": {}}
    for backend in backends:
        ours: list[float] = []
        base: list[float] = []
        ours_cpu: list[float] = []
        base_cpu: list[float] = []
        for run in range(runs):
            async with infra.database(backend, work) as url:
                await relay.fill_outbox(url, messages)
                seconds, cpu, sent = await relay.ours(url)
            ours.append(sent / seconds)
            ours_cpu.append(cpu / sent * 1e6)
            seconds, cpu, sent = await relay.baseline(messages)
            base.append(sent / seconds)
            base_cpu.append(cpu / sent * 1e6)
            _log(f"relay run {run + 1}/{runs} {backend}: ours {ours[-1]:,.0f}/s, baseline {base[-1]:,.0f}/s")
        o, b = infra.median(ours), infra.median(base)
        out["backends"][backend] = {
            "ours_per_s": o,
            "baseline_per_s": b,
            "ratio": o / b,
            "ours_cpu_us_per_event": infra.median(ours_cpu),
            "baseline_cpu_us_per_event": infra.median(base_cpu),
            "all_runs": {"ours": ours, "baseline": base},
        }
    return out


async def bench_memory(corpus: events.Corpus, counts: list[int]) -> dict[str, Any]:
    async with infra.Broker() as broker:
        await broker.load(corpus.messages[: max(counts)])
        figures = []
        for count in counts:
            figure = await asyncio.to_thread(memory.measure, broker.url, corpus.trust(), count)
            figures.append(figure)
            _log(f"memory {count:,} events: {figure['peak_rss_mib']:.0f} MiB peak RSS")
    return {
        "backend": "sqlite",
        "figures": figures,
        "ratio": figures[-1]["peak_rss_mib"] / figures[0]["peak_rss_mib"],
    }


async def bench_intake(
    backends: list[str], work: Path, submissions: int, latency: int, slow_rate: float
) -> dict[str, Any]:
    """Intake and the three funding services as processes, once per backend (every service's database)."""
    out: dict[str, Any] = {"backends": {}}
    for backend in backends:
        f = await intake.bench_backend(backend, work, submissions, latency, slow_rate)
        out["backends"][backend] = f
        _log(
            f"intake {backend}: {f['submissions']['per_s']:,.0f} submissions/s; latency p50/p99 "
            f"{f['latency']['p50_ms']:.1f}/{f['latency']['p99_ms']:.1f} ms, raw "
            f"{f['raw']['p50_ms']:.1f}/{f['raw']['p99_ms']:.1f} ms"
        )
    return out


def _machine() -> dict[str, Any]:
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    packages = ("nats-py", "sqlalchemy", "aiosqlite", "asyncpg", "pydantic", "pynacl")
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": load,
        "packages": {p: version(p) for p in packages},
    }


async def main(argv: list[str]) -> int:
    args = _args(argv)
    parts = [p for p in args.only.split(",") if p]
    memory_counts = sorted(int(n) for n in args.memory.split(",") if n)
    join_counts = sorted({int(n) for n in args.join_events.split(",") if n})
    if args.scale == "national":
        backends, _ = await _backends([b for b in args.backends.split(",") if b])
        out = HERE / "results-national.json" if args.out == HERE / "results.json" else args.out
        results = await national.main(args.national_events, backends, _log, out)
        print(national.report(results))
        return 0
    if args.scale:
        parts, join_counts = ["join"], sorted({*join_counts, SCALE_EVENTS})
        if args.out == HERE / "results.json":
            args.out = HERE / "results-scale.json"
    backends, skipped = await _backends([b for b in args.backends.split(",") if b])
    # one service's journal is about a quarter of the mixed stream
    sizes = [
        max(args.replay_events, args.all_views) if "replay" in parts else 0,
        5 * args.relay_events if "relay" in parts else 0,
        max(FASTSTREAM_EVENTS, TRICKLE_BASE + 8 * LIVE_EVENTS) if "faststream" in parts else 0,
        max(join_counts) if "join" in parts else 0,
    ]
    needed = max([*sizes, *(memory_counts if "memory" in parts else [])])
    started = time.perf_counter()
    _log(f"corpus of {needed:,} events (cached under bench/results/)")
    corpus = events.corpus(needed)
    # The corpus (up to a million messages) is this harness's scaffolding, not the work measured: kept
    # out of every garbage collection, it costs ours and the baselines nothing. Left in, each full
    # collection walks it, and the side that allocates more (ours: writes, bookkeeping) pays more for it
    # than a service would, whose heap holds no corpus.
    gc.freeze()
    results: dict[str, Any] = {
        "command": "python -m bench " + shlex.join(argv) if argv else "python -m bench",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(),
        "backends": backends,
        "skipped_backends": skipped,
        "corpus": {"events": needed, "types": corpus.types()},
    }
    with tempfile.TemporaryDirectory(prefix="ess-bench-") as scratch:
        work = Path(scratch)
        if "replay" in parts:
            results["replay"] = await bench_replay(
                corpus, args.replay_events, args.replay_runs, backends, work
            )
        if "replay" in parts and args.all_views:
            results["all_views"] = await bench_all_views(corpus, args.all_views, backends, work)
        if "faststream" in parts:
            results["faststream"] = await bench_faststream(corpus, backends, work)
        if "relay" in parts:
            results["relay"] = await bench_relay(corpus, args.relay_events, args.runs, backends, work)
        if "memory" in parts:
            results["memory"] = await bench_memory(corpus, memory_counts)
        if "intake" in parts:
            results["intake"] = await bench_intake(
                backends, work, args.submissions, args.latency, args.slow_rate
            )
        if "join" in parts:
            results["join"] = await snapshot_join.bench_join(
                corpus, join_counts, args.join_history, backends, work, _log
            )
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["load_average_at_end"] = _machine()["load_average_at_start"]
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    table = markdown(results)
    args.out.with_suffix(".md").write_text(table)
    print(table)
    return 0


def cli(argv: list[str]) -> int:
    """A compare runs in the main thread outside any event loop: Ctrl-C then stops it at once."""
    args = _args(argv)
    return compare.run(args) if args.compare else asyncio.run(main(argv))


if __name__ == "__main__":
    sys.exit(cli(sys.argv[1:]))
