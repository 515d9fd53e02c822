"""`ess opendata`: what a pilot publishes as open data, from its funding service.

    ess opendata subsidies --pilot P --year Y [--out FILE]   the pilot's subsidies of the year as CSV, in the
                                                          national SCDL "subventions" format 2.1.1

Rows that would name a person or that the format cannot describe are withheld and listed on stderr with
their reason (exit 0: the file is still the one to publish).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from ess_ops.cli.funding import PilotOpt, StateDirOpt, TokenOpt, UrlOpt, call_funding
from ess_ops.cli.targets import PersonOpt

YearOpt = Annotated[int, typer.Option("--year", help="The year of the conventions (dateConvention).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write the CSV here (default: stdout).")]


def register(app: typer.Typer) -> None:
    opendata = typer.Typer(no_args_is_help=True, help="A pilot's open data (SCDL formats).")
    opendata.command("subsidies")(subsidies_command)
    app.add_typer(opendata, name="opendata")


def subsidies_command(
    year: YearOpt,
    pilot: PilotOpt = "region",
    out: OutOpt = None,
    state_dir: StateDirOpt = Path(".ess"),
    url: UrlOpt = None,
    token_file: TokenOpt = None,
    person: PersonOpt = None,
) -> None:
    """The pilot's subsidies of YEAR as an SCDL "subventions" 2.1.1 CSV file (UTF-8, comma-separated).

    One row per beneficiary of each grant the pilot decided, dated by its convention. The beneficiary's
    name is a legal person's registered name; a holder that may be a person is never published."""
    from ess_ops.cli.console import note, warn

    answer = call_funding(
        "GET", f"/opendata/subsidies?year={year}", pilot, state_dir, url, token_file, person=person
    )
    if out is None:
        write_csv(sys.stdout, answer)
    else:
        with out.open("w", encoding="utf-8", newline="") as file:
            write_csv(file, answer)
        note(f"{out}: {len(answer['rows'])} subsidies of {answer['grantor']['name']} in {year}")
    for withheld in answer["withheld"]:
        warn(f"withheld {withheld['project_id']}/{withheld['decision_id']}: {withheld['reason']}")


def write_csv(out: IO[str], answer: dict[str, Any]) -> None:
    writer = csv.DictWriter(out, fieldnames=answer["columns"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(answer["rows"])
