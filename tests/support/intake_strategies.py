"""Hypothesis strategies for intake: valid submissions of every shape, and bodies broken anywhere."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from hypothesis import strategies as st

from ess_intake.domain.titles import normalise_title
from tests.support.intake_data import PDF, VALID_SIREN, VALID_SIRET, b64, submission

SIRETS = [VALID_SIRET, "44180100000007", "44180100000015", "44180100000023", None]
STAGES = [
    "creation_or_takeover",
    "development_or_scale_up",
    "consolidation",
    "social_innovation",
    "collective_project",
]
NEEDS = ["funding", "support", "training", "premises", "network"]
FORMS = ["association", "scop", "scic", "cae", "mutual", "foundation", "commercial_company", "other"]
CATEGORIES = ["staff", "purchases", "external_services", "premises", "equipment", "investment", "other"]

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
titles = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=120).filter(
    lambda t: bool(normalise_title(t.strip()))
)


def euros(cents: int, as_number: bool) -> Any:
    return cents / 100 if as_number and cents < 2**40 else f"{cents // 100}.{cents % 100:02d}"


@st.composite
def valid_submissions(draw: st.DrawFn) -> dict[str, Any]:
    amounts = draw(st.lists(st.integers(0, 10**11), min_size=1, max_size=6))
    as_number = draw(st.booleans())
    siret = draw(st.sampled_from(SIRETS))
    body = submission(title=draw(titles), siret=siret)
    body["organisation"].update(
        legal_form=draw(st.sampled_from(FORMS)),
        esus_agreement=draw(st.booleans()),
        department=draw(st.sampled_from(["44", "49", "53", "72", "85"])),
        epci_siren=draw(st.sampled_from([None, VALID_SIREN])),
    )
    body["project"].update(
        stage=draw(st.sampled_from(STAGES)),
        third_place=draw(st.booleans()),
        needs=draw(st.lists(st.sampled_from(NEEDS), min_size=1, max_size=5, unique=True)),
        planned_jobs=draw(st.integers(0, 100_000)),
        start_on=draw(st.dates(date(2000, 1, 1), date(2100, 12, 31))).isoformat(),
        budget={
            "total": euros(sum(amounts), as_number),
            "lines": [
                {
                    "label": f"ligne {i}",
                    "category": draw(st.sampled_from(CATEGORIES)),
                    "amount": euros(a, as_number),
                }
                for i, a in enumerate(amounts)
            ],
        },
    )
    if draw(st.booleans()):
        body["attachments"] = []
    return body


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=6,
)

PATHS = [
    "organisation",
    "organisation.siret",
    "organisation.name",
    "organisation.department",
    "organisation.epci_siren",
    "organisation.being_created",
    "contact",
    "contact.email",
    "contact.phone",
    "project",
    "project.title",
    "project.description",
    "project.needs",
    "project.budget",
    "project.budget.total",
    "project.budget.lines",
    "project.budget.lines.0",
    "project.budget.lines.0.amount",
    "project.planned_jobs",
    "project.start_on",
    "attachments",
    "attachments.0",
    "attachments.0.content",
    "attachments.0.media_type",
    "extra",
]


@st.composite
def broken_submissions(draw: st.DrawFn) -> Any:
    """A valid body with one to three places replaced by any JSON value, or any JSON value at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    body = copy.deepcopy(draw(valid_submissions()))
    if not body["attachments"]:
        body["attachments"] = [
            {"file_name": "a.pdf", "kind": "other", "media_type": "application/pdf", "content": b64(PDF)}
        ]
    for path in draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=3, unique=True)):
        _set(body, path, draw(json_values))
    return body


def _set(body: Any, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = body
    for part in parents:
        if isinstance(node, list) and node and part.isdigit():
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return  # an earlier replacement removed the way there
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list) and node and last.isdigit():
        node[int(last)] = value
