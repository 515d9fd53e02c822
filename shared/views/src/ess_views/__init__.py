"""Views every service folds from the stream, defined once so that every pilot's copy agrees: the
project (identity, status, qualification, orientation, decisions, reviews, timeline) and its funding
plan with the rule verdicts, and the ledger of control links and outside aid the de minimis rules read.
Their digest is what every pilot's services compare (docs/digest.md)."""

from ess_core.messaging.view_idiom import View
from ess_core.service.probe import ProbeView
from ess_views.funding_plan.fold import PlanView
from ess_views.project import ProjectView
from ess_views.undertaking import LedgerView


def shared_views() -> list[View]:
    return [ProbeView(), ProjectView(), PlanView(), LedgerView()]
