"""What the annual report is made of, before any file format: tables of text cells and bar charts.

Cells are the exact text the HTML shows and the CSV holds, so both carry the same figures by construction
(and a test checks it). Nothing here depends on the clock: the same view gives the same report, byte for
byte, so its digest can be published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction


@dataclass(frozen=True)
class Table:
    name: str  # the CSV file is `<name>.csv`
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[Fraction, ...]


@dataclass(frozen=True)
class Chart:
    name: str  # the image is `charts/<name>.svg`
    title: str
    unit: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    reference: Fraction | None = None  # a line drawn across, e.g. 100 % of target
    reference_label: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    intro: str
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()


@dataclass(frozen=True)
class Report:
    year: int
    as_of: date
    title: str
    notes: tuple[str, ...]
    sections: tuple[Section, ...]

    @property
    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]

    @property
    def charts(self) -> list[Chart]:
        return [chart for section in self.sections for chart in section.charts]
