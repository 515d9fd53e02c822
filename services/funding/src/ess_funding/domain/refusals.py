"""Why a pilot's funding service refuses an act. Each refusal says, in one sentence, what is wrong with
the figures that make it so; a breach of a rule across funders carries the verdicts (rule, window,
figures) the fold would record if the act went through."""

from __future__ import annotations

from collections.abc import Sequence

from ess_views.funding_plan.verdict import Verdict


class Refused(Exception):
    status = 422
    error = "refused"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def detail(self) -> dict[str, object]:
        return {"error": self.error, "reason": self.reason}


class WrongPilot(Refused):
    """The act names another pilot: each pilot records its own acts, at its own service."""

    error = "wrong_pilot"

    def __init__(self, service_pilot: str, named: str) -> None:
        super().__init__(
            f"this funding service acts for '{service_pilot}' and cannot record an act in '{named}''s name: "
            f"'{named}' records its own acts at its own funding service"
        )


class Invalid(Refused):
    """The act does not fit the event contract."""

    error = "invalid"

    def __init__(self, reason: str, errors: Sequence[object] = ()) -> None:
        super().__init__(reason)
        self.errors = list(errors)

    def detail(self) -> dict[str, object]:
        return {**super().detail(), "errors": self.errors}


class Inconsistent(Refused):
    """The act contradicts this pilot's own earlier acts (an unknown decision, more than was decided...)."""

    error = "inconsistent"


class RuleBreach(Refused):
    """The act would breach (or worsen a breach of) a rule across funders."""

    status = 409
    error = "rule_breach"

    def __init__(self, act: str, verdicts: Sequence[Verdict], acknowledgeable: bool) -> None:
        rules = ", ".join(sorted({v.rule for v in verdicts}))
        super().__init__(f"{act} would breach {rules}: " + "; ".join(v.message for v in verdicts))
        self.act = act
        self.verdicts = list(verdicts)
        self.acknowledgeable = acknowledgeable

    def detail(self) -> dict[str, object]:
        return {
            **super().detail(),
            "act": self.act,
            "rules": sorted({v.rule for v in self.verdicts}),
            "verdicts": [v.as_dict() for v in self.verdicts],
            "acknowledgeable": self.acknowledgeable,
        }
