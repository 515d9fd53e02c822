"""Why a pilot's funding service refuses an act. Each refusal says, in one sentence, what is wrong with
the figures that make it so; a breach of a rule across funders carries the verdicts (rule, window,
figures) the fold would record if the act went through."""

from __future__ import annotations

from collections.abc import Sequence

from ess_core import refusals
from ess_core.refusals import Conflict, Refused
from ess_views.funding_plan.verdict import Verdict


class WrongPilot(Refused):
    """The act names another pilot: each pilot records its own acts, at its own service."""

    error = "wrong_pilot"

    def __init__(self, service_pilot: str, named: str) -> None:
        super().__init__(
            f"this funding service acts for '{service_pilot}' and cannot record an act in '{named}''s name: "
            f"'{named}' records its own acts at its own funding service"
        )


class Invalid(refusals.Invalid):
    """The act does not fit the event contract."""

    def __init__(self, reason: str, errors: Sequence[object] = ()) -> None:
        super().__init__(reason, errors=list(errors))


class Inconsistent(Refused):
    """The act contradicts this pilot's own earlier acts (an unknown decision, more than was decided...)."""

    error = "inconsistent"


class RuleBreach(Conflict):
    """The act would breach (or worsen a breach of) a rule across funders."""

    error = "rule_breach"

    def __init__(self, act: str, verdicts: Sequence[Verdict], acknowledgeable: bool) -> None:
        rules = sorted({v.rule for v in verdicts})
        super().__init__(
            f"{act} would breach {', '.join(rules)}: " + "; ".join(v.message for v in verdicts),
            act=act,
            rules=rules,
            verdicts=[v.as_dict() for v in verdicts],
            acknowledgeable=acknowledgeable,
        )
