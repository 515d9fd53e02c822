"""The annual report as files, built from domain objects: images that decode, CSV equal to the HTML tables,
the same bytes twice, hand-checked figures in the tables."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

from ess_evaluation.adapters.report_files import INDEX, render, tables_sha256, write
from ess_evaluation.adapters.svg import bar_chart, nice_step
from ess_evaluation.domain.indicators import Evaluator
from ess_evaluation.domain.portfolio import Commitment, Decision, Portfolio, Project
from ess_evaluation.domain.report import build
from ess_evaluation.domain.report_model import Chart, Series
from ess_evaluation.domain.report_rows import ReportInput
from ess_evaluation.domain.reviews import Review, schedule
from ess_evaluation.domain.sessions import Session, SessionItem
from ess_evaluation.domain.strategy import ActionDef, IndicatorDef
from tests.support.evaluation_report import check_report_dir, csv_rows, decodes_as_svg

D = date


def _input() -> ReportInput:
    projects = {
        "p1": Project("p1", "region", D(2025, 1, 10), "44", ("O1", "O14"), 4),
        "p2": Project("p2", "region", D(2025, 2, 1), "85", ("O2",), 2),
    }
    portfolio = Portfolio(
        projects=projects,
        decisions=(Decision("p1", "state", "d1", D(2025, 3, 1), "granted", "grant", 12_345_67),),
        commitments=(Commitment("p1", "state", "c1", "d1", D(2024, 3, 1), 12_345_67),),
    )
    action = ActionDef(
        "A1", "region", "e1", D(2022, 1, 1), 'Exemple, "quoted"', ("region", "state"), ("O1",), True
    )
    indicator = IndicatorDef(
        "I1",
        "region",
        "e2",
        D(2022, 1, 1),
        "Funded",
        "A1",
        "outcome",
        "increase",
        "count",
        0,
        "derived",
        "projects_submitted",
        {2025: 2},
        True,
    )
    evaluator = Evaluator(portfolio, {"A1": action}, {"I1": indicator}, [])
    return ReportInput(
        year=2025,
        as_of=D(2025, 12, 31),
        evaluator=evaluator,
        dues=tuple(schedule("p1", D(2024, 3, 1))),
        reviews=(Review("p1", 12, "state", D(2025, 3, 20), True, 1, 3),),
        sessions=(
            Session(
                "s1",
                "state",
                D(2025, 6, 5),
                "steering_committee",
                ("region", "state"),
                (SessionItem("A1", "decision", "Continuer, « vite »", "on_track"),),
            ),
        ),
        view_digest="ab" * 32,
    )


def test_report_files_decode_match_and_repeat(tmp_path: Path) -> None:
    files = render(build(_input()))
    assert render(build(_input())) == files  # no clock, no randomness: the digest can be published
    write(files, tmp_path)
    page = check_report_dir(tmp_path)
    assert set(page.images) == {
        f"charts/{n}.svg" for n in ("indicators", "objectives", "departments", "pilots", "reviews")
    }
    summary = {row["figure"]: row["value"] for row in csv_rows(tmp_path, "summary.csv")}
    assert summary["submitted"] == "2"
    assert summary["reviews due in the year"] == "1"
    assert summary["reviews done as of 2025-12-31"] == "1"
    indicators = csv_rows(tmp_path, "indicators.csv")
    assert [
        (r["objective"], r["action"], r["indicator"], r["target"], r["actual"], r["status"])
        for r in indicators
    ] == [("O1", "A1", "I1", "2", "1", "not reached")]
    sessions = csv_rows(tmp_path, "sessions.csv")
    assert sessions[0]["text"] == "Continuer, « vite »"
    assert "EXAMPLE DATA" in files[INDEX].decode()
    assert len(tables_sha256(files)) == 64


def test_svg_charts_escape_text_and_show_an_empty_year() -> None:
    chart = Chart(
        "x",
        'Chart <&> "title"',
        "EUR",
        ("a<b", "c&d"),
        (Series("s'1", (Fraction(1), Fraction(5, 2))),),
        Fraction(2),
        "ref",
    )
    assert decodes_as_svg(bar_chart(chart).encode())
    empty = Chart("y", "Nothing", "projects", (), ())
    assert "no data" in bar_chart(empty)
    assert decodes_as_svg(bar_chart(empty).encode())
    assert [nice_step(t) for t in (1, 7, 100, 2_345)] == [0.2, 2.0, 20.0, 500.0]
