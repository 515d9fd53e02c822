"""The console's CSV export keeps a holder's text as text: a title written like a spreadsheet formula
(`=HYPERLINK(...)`, `@SUM(...)`, `+1`, `-1`) is not run when a funder opens the file."""

from __future__ import annotations

import pytest

from ess_console.app import cell


@pytest.mark.parametrize("title", ['=HYPERLINK("http://x.example","clic")', "@SUM(A1)", "+33 6", "-1", "\tx"])
def test_a_title_like_a_formula_stays_text(title: str) -> None:
    assert cell(title) == "'" + title


def test_any_other_title_is_kept_as_it_is() -> None:
    assert cell("Épicerie coopérative du bocage") == "Épicerie coopérative du bocage"
    assert cell(None) == ""
