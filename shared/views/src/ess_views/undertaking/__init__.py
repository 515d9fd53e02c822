"""The beneficiary ledger (objective O10, EU de minimis rules per single undertaking), a shared view.

- `tables`, `fold`: control links and outside aid as each pilot recorded them (`LedgerView`);
- `store`: the ledger of some SIRENs from those rows and the plan view's aid;
- `ledger`: pure rules over it: undertakings on a date, verdicts, where each ceiling stands.
"""

from ess_views.undertaking.fold import LedgerView

__all__ = ["LedgerView"]
