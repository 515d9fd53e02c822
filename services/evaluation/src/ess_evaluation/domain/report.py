"""The annual evaluation report: targets against actuals per objective and action, figures per department
and per pilot, follow-up reviews as of a day and the steering sessions of the year, each with its chart.

Its words are French, as the Region and its partners write to the public; its CSV columns and the keys of
its charts stay stable English keys for the code that reads them (`report_model`)."""

from __future__ import annotations

from fractions import Fraction

from ess_contracts.reference.labels import (
    CHART_SERIES,
    INSTRUMENTS,
    PILOT_SHORT_NAMES,
    PROGRESS,
    SESSION_ITEM_KINDS,
    SESSION_KINDS,
)
from ess_contracts.reference.strategy import STRATEGY_TITLE
from ess_evaluation.domain import report_words as w
from ess_evaluation.domain.report_model import Cell, Chart, Report, Section, Series
from ess_evaluation.domain.report_rows import (
    ACTUAL_COLUMNS,
    COUNTS,
    DEPARTMENT_NAMES,
    FUNDS,
    LABELS,
    OBJECTIVE_TITLES,
    PILOT_NAMES,
    ReportInput,
    actual_row,
    actuals,
    percent_chart,
    review_rows,
    section,
    table,
)
from ess_evaluation.domain.reviews import MILESTONES, ReviewStatus, status_as_of
from ess_evaluation.domain.sessions import Session

Row = tuple[str | Cell, ...]
PROJECT_COLUMNS = (*(LABELS[m] for m in COUNTS), LABELS["jobs_planned"], LABELS["funds_committed"])


def build(data: ReportInput) -> Report:
    example = any(a.example for a in data.evaluator.actions.values()) or any(
        i.example for i in data.evaluator.indicators.values()
    )
    notes = (
        f"{STRATEGY_TITLE} : chiffres de l'année civile {data.year} ; suivis des projets au "
        f"{w.french_date(data.as_of)}.",
        "Les indicateurs calculés le sont à partir des événements échangés entre les pilotes ; les "
        "indicateurs mesurés sont enregistrés par les pilotes chefs de file de leur action.",
        *(
            (
                "DONNÉES D'EXEMPLE : certaines définitions sont marquées comme des exemples, elles ne "
                "forment pas le catalogue de la stratégie.",
            )
            if example
            else ()
        ),
        *((f"Empreinte de la vue (SHA-256) : {data.view_digest}",) if data.view_digest else ()),
    )
    return Report(
        year=data.year,
        as_of=data.as_of,
        title=f"Évaluation de la stratégie régionale de l'ESS — {data.year}",
        notes=notes,
        sections=(
            key_figures(data),
            objectives_and_actions(data),
            departments(data),
            pilots(data),
            reviews(data),
            sessions(data),
        ),
    )


def _project_cells(data: ReportInput, dimension: str, key: str) -> tuple[Cell, ...]:
    metrics = data.evaluator.figures(data.year).metrics
    counts = tuple(w.count(metrics[m][dimension].get(key, 0)) for m in (*COUNTS, "jobs_planned"))
    return (*counts, w.money(metrics["funds_committed"][dimension].get(key, 0)))


def _figure(key: str, value: str | Cell) -> tuple[Cell, str | Cell]:
    return Cell(key, w.SUMMARY[key]), value


def key_figures(data: ReportInput) -> Section:
    f = data.evaluator.figures(data.year)
    share, days = f.fully_funded_share, f.median_days_to_first_decision
    states = [s.state for s in _statuses(data)]
    on = w.french_date(data.as_of)
    rows = [
        *(_figure(LABELS[m], w.count(f.total(m))) for m in (*COUNTS, "jobs_planned")),
        *(_figure(LABELS[m], w.money(f.total(m))) for m in FUNDS),
        _figure("plans with a favourable opinion", w.count(f.plans)),
        _figure("plans fully funded", w.count(f.plans_fully_funded)),
        _figure("plans fully funded (%)", w.percent(share, 1) if share is not None else ""),
        _figure("plans over-funded", w.count(f.plans_over_funded)),
        _figure("projects with a first funding decision", w.count(f.decided_projects)),
        _figure("median days to first decision", w.number(days, 1, " jours") if days is not None else ""),
        _figure("reviews due in the year", w.count(len(states))),
        (
            Cell(f"reviews done as of {data.as_of.isoformat()}", f"Suivis réalisés au {on}"),
            w.count(states.count("done")),
        ),
        (
            Cell(f"reviews overdue as of {data.as_of.isoformat()}", f"Suivis en retard au {on}"),
            w.count(states.count("overdue")),
        ),
        _figure("steering sessions held", w.count(len(_sessions_of_year(data)))),
        _figure("measures counted", w.count(len(data.evaluator.counted_measures(data.year)))),
    ]
    return section(
        "Chiffres clés",
        "L'année en un coup d'œil.",
        [table("summary", "Chiffres clés", ("figure", "value"), rows)],
        [],
    )


def _statuses(data: ReportInput) -> list[ReviewStatus]:
    """The reviews due in the year, in their state as of the report's day."""
    return [s for s in status_as_of(data.dues, data.reviews, data.as_of) if s.due.due_on.year == data.year]


def objectives_and_actions(data: ReportInput) -> Section:
    ev = data.evaluator
    by_code = {a.indicator.code: a for a in actuals(data)}
    rows: list[Row] = []
    summary: list[Row] = []
    for code, title in OBJECTIVE_TITLES.items():
        serving = [a for a in ev.actions.values() if code in a.objectives]
        mine = [by_code[i.code] for a in serving for i in ev.indicators.values() if i.action_code == a.code]
        for action in serving:
            for a in (x for x in mine if x.indicator.action_code == action.code):
                rows.append((code, action.code, action.title, *actual_row(a)))
        targets = [a for a in mine if a.target is not None]
        reached = sum(a.status == "reached" for a in targets)
        actions = " ".join(a.code for a in serving)
        summary.append(
            (
                code,
                title,
                actions,
                *_project_cells(data, "objective", code),
                w.count(reached),
                w.count(len(targets)),
            )
        )
    rows += [
        ("", "", "", *actual_row(a)) for a in by_code.values() if a.indicator.action_code not in ev.actions
    ]
    columns = ("objective", "title", "actions", *PROJECT_COLUMNS, "targets reached", "targets set")
    codes = tuple(OBJECTIVE_TITLES)
    metrics = ev.figures(data.year).metrics
    chart = Chart(
        "objectives",
        "Projets par objectif",
        "projects",
        codes,
        tuple(
            _series(LABELS[m], tuple(Fraction(metrics[m]["objective"].get(c, 0)) for c in codes))
            for m in ("projects_submitted", "projects_funded")
        ),
        unit_label="projets",
        category_names=tuple(f"{c} — {t}" for c, t in OBJECTIVE_TITLES.items()),
    )
    return section(
        "Cibles et réalisé par objectif et par action",
        "Chaque action figure sous chacun des objectifs qu'elle sert ; les indicateurs rattachés à aucune "
        "action viennent en dernier.",
        [
            table(
                "indicators",
                "Indicateurs : cible et réalisé",
                ("objective", "action", "action title", *ACTUAL_COLUMNS),
                rows,
            ),
            table("objectives", "Objectifs", columns, summary),
        ],
        [percent_chart("indicators", "Réalisé en % de la cible de l'année", list(by_code.values())), chart],
    )


def _series(key: str, values: tuple[Fraction, ...]) -> Series:
    return Series(key, values, CHART_SERIES[key])


def departments(data: ReportInput) -> Section:
    rows: list[Row] = [
        (code, name, *_project_cells(data, "department", code)) for code, name in DEPARTMENT_NAMES.items()
    ]
    metrics = data.evaluator.figures(data.year).metrics
    codes = tuple(DEPARTMENT_NAMES)
    chart = Chart(
        "departments",
        "Projets par département",
        "projects",
        codes,
        tuple(
            _series(LABELS[m], tuple(Fraction(metrics[m]["department"].get(c, 0)) for c in codes))
            for m in COUNTS
        ),
        unit_label="projets",
        category_labels=tuple(f"{c} — {n}" for c, n in DEPARTMENT_NAMES.items()),
    )
    return section(
        "Par département",
        "Les projets sont comptés dans le département de leur qualification (à défaut, celui de la "
        "structure qui les porte).",
        [table("departments", "Départements", ("department", "name", *PROJECT_COLUMNS), rows)],
        [chart],
    )


def pilots(data: ReportInput) -> Section:
    ev = data.evaluator
    metrics = ev.figures(data.year).metrics
    by_indicator = {a.indicator.code: a for a in actuals(data)}
    rows: list[Row] = []
    for code, name in PILOT_NAMES.items():
        led = [a.code for a in ev.actions.values() if code in a.lead_pilots]
        mine = [a for a in by_indicator.values() if a.indicator.action_code in led and a.target is not None]
        measures = sum(m.pilot == code for m in ev.counted_measures(data.year))
        rows.append(
            (
                code,
                name,
                " ".join(led),
                w.count(sum(a.status == "reached" for a in mine)),
                w.count(len(mine)),
                w.count(measures),
                w.count(metrics["projects_funded"]["pilot"].get(code, 0)),
                *(w.money(metrics[m]["pilot"].get(code, 0)) for m in FUNDS),
            )
        )
    keys = sorted({k for m in FUNDS for k in metrics[m]["pilot_instrument"]})
    funds = [
        (
            w.pilot(k.split("/", 1)[0]),
            w.word(k.split("/", 1)[-1], INSTRUMENTS),
            *(w.money(metrics[m]["pilot_instrument"].get(k, 0)) for m in FUNDS),
        )
        for k in keys
    ]
    codes = tuple(PILOT_NAMES)
    chart = Chart(
        "pilots",
        "Fonds par pilote (€)",
        "EUR",
        codes,
        tuple(
            _series(LABELS[m], tuple(Fraction(metrics[m]["pilot"].get(c, 0), 100) for c in codes))
            for m in FUNDS
        ),
        unit_label="euros",
        category_labels=tuple(PILOT_SHORT_NAMES.get(c, c) for c in codes),
        category_names=tuple(PILOT_NAMES.values()),
    )
    columns = (
        "pilot",
        "name",
        "actions led",
        "targets reached",
        "targets set",
        "measures counted",
        LABELS["projects_funded"],
        *(LABELS[m] for m in FUNDS),
    )
    return section(
        "Par pilote",
        "Les cibles des actions dont chaque pilote est chef de file, les mesures qu'il a enregistrées, et "
        "les fonds qui lui ont été demandés, qu'il a engagés et versés.",
        [
            table("pilots", "Pilotes", columns, rows),
            table(
                "funds_by_instrument",
                "Fonds par pilote et par instrument",
                ("pilot", "instrument", *(LABELS[m] for m in FUNDS)),
                funds,
            ),
        ],
        [chart],
    )


def reviews(data: ReportInput) -> Section:
    statuses = _statuses(data)
    milestones = tuple(str(m) for m in MILESTONES)
    chart = Chart(
        "reviews",
        f"Suivis dus en {data.year}, au {w.french_date(data.as_of)}",
        "reviews",
        tuple(f"{m} months" for m in milestones),
        tuple(
            _series(
                state,
                tuple(
                    Fraction(sum(s.state == state and str(s.due.milestone_months) == m for s in statuses))
                    for m in milestones
                ),
            )
            for state in ("done", "overdue", "upcoming")
        ),
        unit_label="suivis",
        category_labels=tuple(f"{m} mois" for m in milestones),
    )
    columns = (
        "project",
        "department",
        "milestone (months)",
        "first committed on",
        "due on",
        "state",
        "reviewed on",
        "still operating",
        "jobs created",
        "jobs kept",
    )
    return section(
        "Suivis des projets",
        f"Les suivis dus en {data.year} (12, 24 et 36 mois après le premier engagement de chaque projet) et "
        f"ceux des années précédentes encore en retard, dans leur situation au {w.french_date(data.as_of)}. "
        "Les projets sont désignés par leur identifiant : leur titre, rédigé par le porteur, doit pouvoir "
        "être effacé et n'a donc pas sa place dans un rapport archivé.",
        [table("reviews", "Suivis", columns, review_rows(data))],
        [chart],
    )


def _sessions_of_year(data: ReportInput) -> list[Session]:
    return sorted(
        (s for s in data.sessions if s.held_on.year == data.year),
        key=lambda s: (s.held_on, s.session_id, s.pilot),
    )


def sessions(data: ReportInput) -> Section:
    rows: list[Row] = []
    for s in _sessions_of_year(data):
        head = (
            w.day(s.held_on),
            s.session_id,
            w.pilot(s.pilot),
            w.word(s.kind, SESSION_KINDS),
            w.pilots(s.pilots_present),
        )
        rows += [
            (
                *head,
                i.action_code,
                w.word(i.kind, SESSION_ITEM_KINDS),
                w.word(i.progress, PROGRESS) if i.progress else "",
                i.text,
            )
            for i in s.items
        ] or [(*head, "", "", "", "")]
    columns = (
        "held on",
        "session",
        "recorded by",
        "kind",
        "pilots present",
        "action",
        "item",
        "progress",
        "text",
    )
    return section(
        "Instances de pilotage",
        "Les instances tenues dans l'année, leurs décisions et recommandations par action.",
        [table("sessions", "Instances de pilotage", columns, rows)],
        [],
    )
