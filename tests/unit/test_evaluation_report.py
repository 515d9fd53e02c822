"""The annual report as files, built from domain objects: images that decode, CSV equal to the HTML tables,
the same bytes twice, hand-checked figures in the tables; French words and formats on the page and in the
charts, stable keys and values in the CSV."""

from __future__ import annotations

import html
import re
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
    assert "DONNÉES D'EXEMPLE" in html.unescape(files[INDEX].decode())
    assert len(tables_sha256(files)) == 64


def test_the_report_speaks_french_and_its_csv_keeps_stable_keys(tmp_path: Path) -> None:
    data = _input()
    files = render(build(data))
    write(files, tmp_path)
    page = check_report_dir(tmp_path)
    text = html.unescape(files[INDEX].decode())
    assert '<html lang="fr">' in text
    for words in (
        "Chiffres clés",
        "Cibles et réalisé par objectif et par action",
        "Réalisé en % de la cible de l'année",
        "Projets par objectif",
        "Fonds par pilote (€)",
        "Suivis dus en 2025, au 31 décembre 2025",
        "Instances de pilotage",
    ):
        assert words in text, words
    for english in ("Key figures", "Projects per", "View digest", "EXAMPLE DATA", "as of", "(EUR)</"):
        assert english not in re.sub(r'data-(value|column)="[^"]*"', "", text), english
    summary = dict(row for row in page.shown["summary.csv"][1:])
    assert summary["Projets déposés"] == "2"
    assert summary["Délai médian avant la première décision"] == "50,0 jours"
    assert summary["Suivis réalisés au 31 décembre 2025"] == "1"
    assert page.shown["summary.csv"][0] == ["Chiffre", "Valeur"]
    reviews = page.shown["reviews.csv"]
    assert reviews[0][:3] == ["Projet", "Département", "Jalon (mois)"]
    assert reviews[1] == [
        "p1", "44 — Loire-Atlantique", "12", "1er mars 2024", "1er mars 2025", "réalisé", "20 mars 2025",
        "oui", "1", "3",
    ]  # fmt: skip
    assert csv_rows(tmp_path, "reviews.csv")[0]["first committed on"] == "2024-03-01"  # the CSV: ISO dates
    indicators = page.shown["indicators.csv"][1]
    assert indicators[-4:] == ["2", "1", "50\u202f%", "cible non atteinte"]
    sessions = page.shown["sessions.csv"][1]
    assert sessions[:5] == ["5 juin 2025", "s1", "État", "comité de pilotage", "Région, État"]
    assert page.tables["sessions.csv"][1][:5] == [
        "2025-06-05",
        "s1",
        "state",
        "steering_committee",
        "region state",
    ]
    reviews_svg = files["charts/reviews.svg"].decode()
    assert "<title>Suivis dus en 2025, au 31 décembre 2025</title>" in reviews_svg
    assert (
        "<desc>Graphique en barres (réalisés, en retard, à venir), en suivis. 12 mois : réalisés 1"
        in reviews_svg
    )
    pilots_svg = files["charts/pilots.svg"].decode()
    assert ">Région</text>" in pilots_svg and "euros" in pilots_svg


def test_money_and_numbers_in_french() -> None:
    committed = Series("committed (EUR)", (Fraction(1_234_567, 100),), "engagés")
    chart = Chart(
        "p", "Fonds", "EUR", ("region",), (committed,), unit_label="euros", category_labels=("Région",)
    )
    drawn = bar_chart(chart)
    assert "Région — engagés : 12\u202f345,67 €" in drawn
    assert ">10\u202f000</text>" in drawn  # a tick, its thousands apart
    assert decodes_as_svg(drawn.encode())


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
    assert "Aucune donnée pour cette année" in bar_chart(empty)
    assert decodes_as_svg(bar_chart(empty).encode())
    assert [nice_step(t) for t in (1, 7, 100, 2_345)] == [0.2, 2.0, 20.0, 500.0]
