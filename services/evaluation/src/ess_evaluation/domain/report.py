"""The annual evaluation report: targets against actuals per objective and action, figures per department
and per pilot, follow-up reviews as of a day and the steering sessions of the year, each with its chart."""

from __future__ import annotations

from fractions import Fraction

from ess_contracts.reference.strategy import STRATEGY_TITLE
from ess_evaluation.domain.numbers import decimal_text, euros
from ess_evaluation.domain.report_model import Chart, Report, Section, Series
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

PROJECT_COLUMNS = (*(LABELS[m] for m in COUNTS), LABELS["jobs_planned"], LABELS["funds_committed"])


def build(data: ReportInput) -> Report:
    example = any(a.example for a in data.evaluator.actions.values()) or any(
        i.example for i in data.evaluator.indicators.values()
    )
    notes = (
        f"{STRATEGY_TITLE}: figures of the calendar year {data.year}; "
        f"reviews as of {data.as_of.isoformat()}.",
        "Derived figures are computed from the events on the stream; measured ones are recorded by the "
        "lead pilots of their action.",
        *(
            ("EXAMPLE DATA: some definitions are marked as examples, not the strategy's catalogue.",)
            if example
            else ()
        ),
        *((f"View digest: {data.view_digest}",) if data.view_digest else ()),
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


def _project_cells(data: ReportInput, dimension: str, key: str) -> tuple[str, ...]:
    metrics = data.evaluator.figures(data.year).metrics
    counts = tuple(str(metrics[m][dimension].get(key, 0)) for m in (*COUNTS, "jobs_planned"))
    return (*counts, euros(metrics["funds_committed"][dimension].get(key, 0)))


def key_figures(data: ReportInput) -> Section:
    f = data.evaluator.figures(data.year)
    share, days = f.fully_funded_share, f.median_days_to_first_decision
    states = [s.state for s in _statuses(data)]
    rows = [
        *((LABELS[m], str(f.total(m))) for m in (*COUNTS, "jobs_planned")),
        *((LABELS[m], euros(f.total(m))) for m in FUNDS),
        ("plans with a favourable opinion", str(f.plans)),
        ("plans fully funded", str(f.plans_fully_funded)),
        ("plans fully funded (%)", decimal_text(share, 1) if share is not None else ""),
        ("plans over-funded", str(f.plans_over_funded)),
        ("projects with a first funding decision", str(f.decided_projects)),
        ("median days to first decision", decimal_text(days, 1) if days is not None else ""),
        ("reviews due in the year", str(len(states))),
        *(
            (f"reviews {state} as of {data.as_of.isoformat()}", str(states.count(state)))
            for state in ("done", "overdue")
        ),
        ("steering sessions held", str(len(_sessions_of_year(data)))),
        ("measures counted", str(len(data.evaluator.counted_measures(data.year)))),
    ]
    return section(
        "Key figures",
        "The year at a glance.",
        [table("summary", "Key figures", ("figure", "value"), rows)],
        [],
    )


def _statuses(data: ReportInput) -> list[ReviewStatus]:
    """The reviews due in the year, in their state as of the report's day."""
    return [s for s in status_as_of(data.dues, data.reviews, data.as_of) if s.due.due_on.year == data.year]


def objectives_and_actions(data: ReportInput) -> Section:
    ev = data.evaluator
    by_code = {a.indicator.code: a for a in actuals(data)}
    rows, summary = [], []
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
            (code, title, actions, *_project_cells(data, "objective", code), str(reached), str(len(targets)))
        )
    rows += [
        ("", "", "", *actual_row(a)) for a in by_code.values() if a.indicator.action_code not in ev.actions
    ]
    columns = ("objective", "title", "actions", *PROJECT_COLUMNS, "targets reached", "targets set")
    codes = tuple(OBJECTIVE_TITLES)
    metrics = ev.figures(data.year).metrics
    chart = Chart(
        "objectives",
        "Projects per objective",
        "projects",
        codes,
        tuple(
            Series(LABELS[m], tuple(Fraction(metrics[m]["objective"].get(c, 0)) for c in codes))
            for m in ("projects_submitted", "projects_funded")
        ),
    )
    return section(
        "Targets and actuals by objective and action",
        "Each action appears under every objective it serves; indicators attached to no action come last.",
        [
            table(
                "indicators",
                "Indicators: target and actual",
                ("objective", "action", "action title", *ACTUAL_COLUMNS),
                rows,
            ),
            table("objectives", "Objectives", columns, summary),
        ],
        [percent_chart("indicators", "Actual as % of the year's target", list(by_code.values())), chart],
    )


def departments(data: ReportInput) -> Section:
    rows = [
        (code, name, *_project_cells(data, "department", code)) for code, name in DEPARTMENT_NAMES.items()
    ]
    metrics = data.evaluator.figures(data.year).metrics
    codes = tuple(DEPARTMENT_NAMES)
    chart = Chart(
        "departments",
        "Projects per department",
        "projects",
        codes,
        tuple(
            Series(LABELS[m], tuple(Fraction(metrics[m]["department"].get(c, 0)) for c in codes))
            for m in COUNTS
        ),
    )
    return section(
        "By department",
        "Projects by the department of their qualification (else of the organisation).",
        [table("departments", "Departments", ("department", "name", *PROJECT_COLUMNS), rows)],
        [chart],
    )


def pilots(data: ReportInput) -> Section:
    ev = data.evaluator
    metrics = ev.figures(data.year).metrics
    by_indicator = {a.indicator.code: a for a in actuals(data)}
    rows = []
    for code, name in PILOT_NAMES.items():
        led = [a.code for a in ev.actions.values() if code in a.lead_pilots]
        mine = [a for a in by_indicator.values() if a.indicator.action_code in led and a.target is not None]
        measures = sum(m.pilot == code for m in ev.counted_measures(data.year))
        rows.append(
            (
                code,
                name,
                " ".join(led),
                str(sum(a.status == "reached" for a in mine)),
                str(len(mine)),
                str(measures),
                str(metrics["projects_funded"]["pilot"].get(code, 0)),
                *(euros(metrics[m]["pilot"].get(code, 0)) for m in FUNDS),
            )
        )
    keys = sorted({k for m in FUNDS for k in metrics[m]["pilot_instrument"]})
    funds = [
        (*k.split("/", 1), *(euros(metrics[m]["pilot_instrument"].get(k, 0)) for m in FUNDS)) for k in keys
    ]
    codes = tuple(PILOT_NAMES)
    chart = Chart(
        "pilots",
        "Funds per pilot (EUR)",
        "EUR",
        codes,
        tuple(
            Series(LABELS[m], tuple(Fraction(metrics[m]["pilot"].get(c, 0), 100) for c in codes))
            for m in FUNDS
        ),
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
        "By pilot",
        "Targets of the actions each pilot leads, its measures, and the funds it requested, committed "
        "and paid.",
        [
            table("pilots", "Pilots", columns, rows),
            table(
                "funds_by_instrument",
                "Funds by pilot and instrument",
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
        f"Reviews due in {data.year}, as of {data.as_of.isoformat()}",
        "reviews",
        tuple(f"{m} months" for m in milestones),
        tuple(
            Series(
                state,
                tuple(
                    Fraction(sum(s.state == state and str(s.due.milestone_months) == m for s in statuses))
                    for m in milestones
                ),
            )
            for state in ("done", "overdue", "upcoming")
        ),
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
        "Follow-up reviews",
        f"Reviews due in {data.year} (12, 24 and 36 months after each project's first commitment) and "
        f"earlier ones still overdue, in their state as of {data.as_of.isoformat()}. Projects are named by "
        "their identifier: a title is the holder's own words and stays erasable, out of an archived report.",
        [table("reviews", "Reviews", columns, review_rows(data))],
        [chart],
    )


def _sessions_of_year(data: ReportInput) -> list[Session]:
    return sorted(
        (s for s in data.sessions if s.held_on.year == data.year),
        key=lambda s: (s.held_on, s.session_id, s.pilot),
    )


def sessions(data: ReportInput) -> Section:
    rows = []
    for s in _sessions_of_year(data):
        head = (s.held_on.isoformat(), s.session_id, s.pilot, s.kind, " ".join(s.pilots_present))
        rows += [(*head, i.action_code, i.kind, i.progress or "", i.text) for i in s.items] or [
            (*head, "", "", "", "")
        ]
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
        "Steering sessions",
        "Sessions held in the year, their decisions and recommendations per action.",
        [table("sessions", "Sessions", columns, rows)],
        [],
    )
