"""`python -m bench --compare REV`, its pure parts: the workspace's src folders, the options a bench knows,
the figures of a results dict, the medians and the verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import compare
from bench.compare import CONTROL, CompareError, Row, figures, rows, verdict


def test_src_dirs_are_each_workspace_members_src_globs_and_excludes_too(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.uv.workspace]\nmembers = ["shared", "services/*", "ops"]\nexclude = ["services/old"]\n'
    )
    for member in ("shared", "services/b", "services/a", "services/old", "ops"):
        (tmp_path / member / "src").mkdir(parents=True)
    (tmp_path / "services" / "nosrc").mkdir()
    assert compare.src_dirs(tmp_path) == [
        tmp_path / "shared" / "src",
        tmp_path / "services" / "a" / "src",
        tmp_path / "services" / "b" / "src",
        tmp_path / "ops" / "src",
    ]


def test_src_dirs_of_this_repository() -> None:
    root = Path(__file__).resolve().parents[2]
    found = compare.src_dirs(root)
    assert root / "shared" / "contracts" / "src" in found
    assert all(d.name == "src" and d.is_dir() for d in found)


def test_bench_options_reads_the_declared_long_options() -> None:
    source = 'p.add_argument("--only", default="x")\np.add_argument(\n    "--all-views", type=int)\n'
    assert compare.bench_options(source) == {"--only", "--all-views"}


def test_figures_of_a_results_dict() -> None:
    result = {
        "replay": {
            "raw_cpu_us_per_event": 100.0,
            "backends": {"sqlite": {"ours_cpu_us_per_event": 200.0, "baseline_cpu_us_per_event": 150.0}},
        },
        "relay": {"backends": {"sqlite": {"ours_cpu_us_per_event": 60.0, "baseline_cpu_us_per_event": 50.0}}},
    }
    assert figures(result) == {
        "replay, project view, sqlite": 200.0,
        "relay, sqlite": 60.0,
        f"{CONTROL}replay raw (pull, verify, parse)": 100.0,
        f"{CONTROL}replay baseline, sqlite": 150.0,
        f"{CONTROL}relay baseline, sqlite": 50.0,
    }


def test_medians_change_and_verdict() -> None:
    raw = f"{CONTROL}raw"
    rev = [{"replay": 100.0, raw: 10.0}, {"replay": 300.0, raw: 10.0}, {"replay": 90.0}]
    tree = [{"replay": 104.0, raw: 20.0}, {"replay": 50.0, raw: 20.0}, {"replay": 900.0}]
    with pytest.raises(CompareError, match="raw"):
        rows(rev, tree)
    rev[2][raw] = tree[2][raw] = 10.0
    table = rows(rev, tree)
    assert table == [
        Row("replay", (100.0, 300.0, 90.0), (104.0, 50.0, 900.0)),
        Row(raw, (10.0,) * 3, (20.0, 20.0, 10.0)),
    ]
    assert (table[0].rev, table[0].tree) == (100.0, 104.0)
    assert table[0].change == pytest.approx(4.0)
    assert table[0].within and table[0].judged
    assert not table[1].within and not table[1].judged
    assert verdict(table)  # a control figure is not judged
    assert not verdict([Row("relay", (100.0,), (105.1,))])
    assert verdict([Row("relay", (100.0,), (105.0,)), Row("replay", (100.0,), (60.0,))])
    text = compare.markdown(table, "abc123")
    assert "| replay | 100.0 | 104.0 | +4.0% | yes | 90–300 / 50–900 |" in text
    assert "| abc123 µs/event (median) |" in text
    assert "(not judged)" in text


def test_no_runs_is_an_error() -> None:
    with pytest.raises(CompareError):
        rows([], [{"replay": 1.0}])
