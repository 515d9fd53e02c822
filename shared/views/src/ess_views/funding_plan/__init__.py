"""The funding plan of a project (objective O10), defined once so that every funding service and the
project view fold it with the same code and run the same rules.

- `facts`: the plan as plain facts; `rules`, `deminimis`: pure rules over them, returning `Verdict`s;
  `agenda`: the funders' committee agenda.
- `tables`, `fold`, `store`: the view's rows (shared metadata, migration 0002), its handlers, and the
  loading of a plan from its rows.
"""

from ess_core.messaging.view_idiom import View
from ess_views.funding_plan.fold import PlanView


def funding_views() -> list[View]:
    """The views of the funding plan: add them to a service's views (the funding services do)."""
    return [PlanView()]


__all__ = ["PlanView", "funding_views"]
