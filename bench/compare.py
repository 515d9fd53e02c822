"""`python -m bench --compare REV`: the commit REV against the working tree, CPU µs per event, one corpus.

REV is checked out into a temporary `git worktree` (removed at the end, also on error or Ctrl-C). Each side
runs its own `python -m bench --only replay,relay` as a child process: cwd its root, PYTHONPATH the `src`
folder of each uv workspace member of its root pyproject.toml, then its root (ahead of the venv's editable
installs). The children alternate, REV first, for `--compare-rounds` rounds; each figure's medians are
compared. Both sides load the same cached corpus file (built by the working tree's generator, copied into
the worktree; checked by hash after each run, and a side that built a corpus of its own is an error).
Writes `bench/compare.md` and `bench/compare.json`; exit status 0 when every judged figure of the working
tree is at most 5% above REV's, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

TREE = Path(__file__).resolve().parent.parent
LIMIT = 5.0
"""Per cent more CPU per event the working tree may take than REV."""
CONTROL = "control: "
"""Figures of the hand-written baselines (the same code on both sides): noise, not judged."""
OPTIONS = ("--only", "--backends", "--out", "--replay-events", "--relay-events", "--runs", "--all-views")
CORPUS = (
    "import sys; from bench import events; n = int(sys.argv[1]); events.corpus(n); "
    "print(events.RESULTS / f'corpus-v{events.GENERATOR_VERSION}-{n}.pickle')"
)


class CompareError(RuntimeError):
    pass


def _log(message: str) -> None:
    print(f"[compare {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the pure parts ---------------------------------------------------------------------------------------


def src_dirs(root: Path) -> list[Path]:
    """The `src` folder of each uv workspace member (`[tool.uv.workspace] members`, globs allowed)."""
    workspace = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    excluded = {p for pattern in workspace.get("exclude", []) for p in root.glob(pattern)}
    members = [p for pattern in workspace["members"] for p in sorted(root.glob(pattern))]
    return [m / "src" for m in members if m not in excluded and (m / "src").is_dir()]


def bench_options(main_source: str) -> set[str]:
    """The long options a `bench/__main__.py` declares."""
    return set(re.findall(r'add_argument\(\s*"(--[\w-]+)"', main_source))


def figures(result: dict[str, Any]) -> dict[str, float]:
    """CPU µs per event of one `python -m bench` results dict, by figure."""
    out: dict[str, float] = {}
    for backend, f in result.get("replay", {}).get("backends", {}).items():
        out[f"replay, project view, {backend}"] = f["ours_cpu_us_per_event"]
    for backend, f in result.get("all_views", {}).get("backends", {}).items():
        out[f"replay, every shared view, {backend}"] = f["ours_cpu_us_per_event"]
    for backend, f in result.get("relay", {}).get("backends", {}).items():
        out[f"relay, {backend}"] = f["ours_cpu_us_per_event"]
    if "raw_cpu_us_per_event" in result.get("replay", {}):
        out[f"{CONTROL}replay raw (pull, verify, parse)"] = result["replay"]["raw_cpu_us_per_event"]
    for backend, f in result.get("replay", {}).get("backends", {}).items():
        out[f"{CONTROL}replay baseline, {backend}"] = f["baseline_cpu_us_per_event"]
    for backend, f in result.get("relay", {}).get("backends", {}).items():
        out[f"{CONTROL}relay baseline, {backend}"] = f["baseline_cpu_us_per_event"]
    return out


@dataclass(frozen=True)
class Row:
    figure: str
    revs: tuple[float, ...]
    """CPU µs per event at REV, one per round."""
    trees: tuple[float, ...]
    """CPU µs per event in the working tree, one per round."""

    @property
    def rev(self) -> float:
        return float(statistics.median(self.revs))

    @property
    def tree(self) -> float:
        return float(statistics.median(self.trees))

    @property
    def judged(self) -> bool:
        return not self.figure.startswith(CONTROL)

    @property
    def change(self) -> float:
        """Per cent, positive when the working tree takes more CPU per event."""
        return (self.tree - self.rev) / self.rev * 100

    @property
    def within(self) -> bool:
        return self.change <= LIMIT


def rows(rev: list[dict[str, float]], tree: list[dict[str, float]]) -> list[Row]:
    """One row per figure of REV's first run: the medians of every run of each side."""
    if not rev or not tree:
        raise CompareError("no runs to compare")
    out = []
    for name in rev[0]:
        missing = [i for i, run in enumerate(rev + tree) if name not in run]
        if missing:
            raise CompareError(f"{name}: missing in some runs ({len(missing)} of {len(rev) + len(tree)})")
        out.append(Row(name, tuple(r[name] for r in rev), tuple(t[name] for t in tree)))
    return out


def verdict(table: list[Row]) -> bool:
    """Whether every judged figure of the working tree is within LIMIT per cent of REV's, or better."""
    return all(r.within for r in table if r.judged)


def markdown(table: list[Row], rev: str) -> str:
    lines = [
        f"| figure | {rev} µs/event (median) | tree µs/event (median) | change | within {LIMIT:.0f}%? "
        f"| rounds' range, {rev} / tree |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for r in table:
        within = ("yes" if r.within else "**no**") if r.judged else "(not judged)"
        spread = " / ".join(f"{min(v):,.0f}–{max(v):,.0f}" for v in (r.revs, r.trees))
        lines.append(
            f"| {r.figure} | {r.rev:,.1f} | {r.tree:,.1f} | {r.change:+.1f}% | {within} | {spread} |"
        )
    return "\n".join(lines) + "\n"


# --- running the two sides --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    key: str
    """"rev" or "tree"."""
    name: str
    root: Path

    def env(self) -> dict[str, str]:
        paths = [*src_dirs(self.root), self.root]
        return {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in paths)}

    def corpus_files(self) -> set[str]:
        results = self.root / "bench" / "results"
        return {p.name for p in results.glob("corpus-*")} if results.is_dir() else set()

    def run(self, options: list[str], scratch: Path, tag: str) -> dict[str, Any]:
        """This side's `python -m bench` with `options`, its results; in a session of its own, so that an
        interruption stops it and its nats-servers (SIGINT, then SIGKILL) and nothing else."""
        out, log = scratch / f"{tag}.json", scratch / f"{tag}.log"
        command = [sys.executable, "-m", "bench", *options, "--out", str(out)]
        with log.open("w") as err:
            child = subprocess.Popen(
                command,
                cwd=self.root,
                env=self.env(),
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
                preexec_fn=_default_sigint,
            )
            try:
                code = child.wait()
            except BaseException:
                _stop(child)
                raise
        if code:
            tail = "\n".join(log.read_text().splitlines()[-40:])
            raise CompareError(f"{self.name} ({shlex.join(command)}) exited {code}:\n{tail}")
        result: dict[str, Any] = json.loads(out.read_text())
        return result


def _default_sigint() -> None:
    """In the child before exec: SIGINT raises KeyboardInterrupt there (a parent started in the background
    inherits SIGINT ignored, and so would the child), so that `_stop` lets it clean up."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stop(child: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGINT, 15.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(child.pid, sig)
            child.wait(wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def _checked(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        raise CompareError(f"{shlex.join(command)} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return done.stdout.strip()


def _git(*args: str) -> str:
    return _checked(["git", *args], TREE)


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _options(args: argparse.Namespace, rev: str) -> list[str]:
    """The options of both children; every one must be known to both sides' bench."""
    theirs = bench_options(_git("show", f"{rev}:bench/__main__.py"))
    ours = bench_options((TREE / "bench" / "__main__.py").read_text())
    lacking = [o for o in OPTIONS if o not in theirs or o not in ours]
    if lacking:
        raise CompareError(f"the bench at {rev} or in the working tree lacks {', '.join(lacking)}")
    return [
        *("--only", "replay,relay", "--backends", args.backends, "--runs", str(args.runs)),
        *("--replay-events", str(args.replay_events), "--relay-events", str(args.relay_events)),
        *("--all-views", str(args.all_views)),
    ]


def _corpus(tree: Side, rev: Side, size: int) -> tuple[Path, str]:
    """The working tree's cached corpus of `size` events (built if need be), copied into REV's worktree:
    its path under either root, and its sha256."""
    built = _checked([sys.executable, "-c", CORPUS, str(size)], tree.root, tree.env())
    path = Path(built.splitlines()[-1]).relative_to(tree.root)
    (rev.root / path).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tree.root / path, rev.root / path)
    return path, _sha256(tree.root / path)


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _rounds(args: argparse.Namespace, rev: Side, tree: Side, scratch: Path) -> dict[str, Any]:
    """REV, tree, REV, tree...: each side's figures and results per round, and the corpus both folded."""
    options = _options(args, rev.name)
    size = max(args.replay_events, args.all_views, 5 * args.relay_events)  # as bench/__main__.py sizes it
    _log(f"{rev.name} checked out in {rev.root}; corpus of {size:,} events")
    corpus, digest = _corpus(tree, rev, size)
    before = {side.key: side.corpus_files() for side in (rev, tree)}
    figs: dict[str, list[dict[str, float]]] = {"rev": [], "tree": []}
    results: dict[str, list[dict[str, Any]]] = {"rev": [], "tree": []}
    for round_ in range(1, args.compare_rounds + 1):
        for side in (rev, tree):
            started = time.perf_counter()
            result = side.run(options, scratch, f"{side.key}-{round_}")
            if result.get("skipped_backends"):
                raise CompareError(f"{side.name} skipped backends: {result['skipped_backends']}")
            if side.corpus_files() != before[side.key] or _sha256(side.root / corpus) != digest:
                raise CompareError(f"{side.name} did not fold {corpus} (sha256 {digest}) as it was")
            if result["corpus"] != (results["rev"] or [result])[0]["corpus"]:
                raise CompareError(f"{side.name} reports another corpus: {result['corpus']}")
            results[side.key].append(result)
            figs[side.key].append(figures(result))
            judged = ", ".join(f"{k} {v:,.0f}" for k, v in figs[side.key][-1].items() if CONTROL not in k)
            _log(
                f"round {round_}/{args.compare_rounds}, {side.name}: {judged} µs/event "
                f"({time.perf_counter() - started:.0f} s)"
            )
    return {
        "options": options,
        "corpus": {"events": size, "file": str(corpus), "sha256": digest},
        "figures": figs,
        "results": results,
    }


def run(args: argparse.Namespace) -> int:
    """The compare, its table printed and written; 0 within the limit, 1 not, 2 failed, 130 interrupted."""
    try:
        return _compare(args)
    except CompareError as error:
        _log(f"failed: {error}")
        return 2
    except KeyboardInterrupt:
        _log("interrupted (the worktree is removed)")
        return 130


def _compare(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    sha = _git("rev-parse", "--verify", f"{args.compare}^{{commit}}")
    head, dirty = _git("rev-parse", "HEAD"), bool(_git("status", "--porcelain", "--untracked-files=no"))
    scratch = Path(tempfile.mkdtemp(prefix="ess-compare-"))
    rev, tree = Side("rev", args.compare, scratch / "rev"), Side("tree", "tree", TREE)
    previous = signal.signal(signal.SIGTERM, _interrupted)
    try:
        _git("worktree", "add", "--detach", str(rev.root), sha)
        measured = _rounds(args, rev, tree, scratch)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if rev.root.exists():
            subprocess.run(["git", "worktree", "remove", "--force", str(rev.root)], cwd=TREE, check=False)
        shutil.rmtree(scratch, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=TREE, check=False)
    table = rows(measured["figures"]["rev"], measured["figures"]["tree"])
    ok = verdict(table)
    seconds = time.perf_counter() - started
    command = shlex.join(["python", "-m", "bench", *args.argv])
    corpus = measured["corpus"]
    text = (
        f"Command: `{command}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs. "
        f"{rev.name} = {sha[:12]} against the working tree ({head[:12]}{' + changes' if dirty else ''}), "
        f"{args.compare_rounds} round(s) alternating, REV first; "
        f"each side ran `python -m bench {shlex.join(measured['options'])}`. One corpus for both: "
        f"{corpus['events']:,} events, `{corpus['file']}` sha256 {corpus['sha256'][:16]}…. CPU µs per event "
        f"of the bench process (all threads), medians over the rounds (a round's relay figure is the "
        f"median of its {args.runs} runs). Control rows are the hand-written baselines, the same code on "
        f"both sides: they show the machine's noise.\n\n{markdown(table, rev.name)}\n"
        f"Verdict: the working tree is {'' if ok else '**not** '}within {LIMIT:.0f}% of {rev.name} (or "
        f"better) on every judged figure. Whole compare: {seconds:.0f} s.\n"
    )
    (TREE / "bench" / "compare.md").write_text(text)
    numbers = {
        "command": command,
        "rev": rev.name,
        "rev_sha": sha,
        "tree_head": head,
        "tree_dirty": dirty,
        "rounds": args.compare_rounds,
        "limit_percent": LIMIT,
        "within": ok,
        "seconds": round(seconds, 1),
        "medians": {
            r.figure: {"rev": r.rev, "tree": r.tree, "change_percent": round(r.change, 2), "judged": r.judged}
            for r in table
        },
        **measured,
    }
    (TREE / "bench" / "compare.json").write_text(json.dumps(numbers, indent=2, sort_keys=True) + "\n")
    print(text)
    return 0 if ok else 1
