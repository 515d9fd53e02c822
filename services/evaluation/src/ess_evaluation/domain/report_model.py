"""What the annual report is made of, before any file format: tables of text cells and bar charts.

The report speaks French to its readers; its CSV files are for reuse, read by code. So each cell holds two
texts: `value`, what the CSV holds (codes, ISO dates, `12500.50`: stable, machine-readable), and `shown`,
what the page shows (« 12 500,50 € », « 5 décembre 2026 »); each column a stable English key (the CSV's
header) and a French heading. Both are built from the same figure at once, and the HTML carries each value
it shows differently (`data-value`, `data-column`), so a reader checks the page against the CSV cell by
cell. A chart likewise keeps the keys its HTTP readers match on (`unit`, categories, series names) beside
the French words it is drawn with. Nothing here depends on the clock: the same view gives the same report,
byte for byte, so its digest can be published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction


@dataclass(frozen=True)
class Cell:
    value: str  # in the CSV: stable, machine-readable
    shown: str  # on the page, in French


@dataclass(frozen=True)
class Column:
    key: str  # the CSV's header: stable, in English
    heading: str  # on the page, in French


@dataclass(frozen=True)
class Table:
    name: str  # the CSV file is `<name>.csv`
    title: str  # in French
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Series:
    name: str  # a stable key (`submitted`, `actual`, `done`): what `GET /charts/{year}` answers
    values: tuple[Fraction, ...]
    label: str = ""  # drawn, in French; the name when empty

    @property
    def shown(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class Chart:
    name: str  # the image is `charts/<name>.svg`
    title: str  # in French
    unit: str  # a stable key: `projects`, `EUR`, `% of target`, `reviews`
    categories: tuple[str, ...]  # codes: O1, 44, region, `12 months`
    series: tuple[Series, ...]
    reference: Fraction | None = None  # a line drawn across, e.g. 100 % of target
    reference_label: str = ""  # in French
    unit_label: str = ""  # the value axis's title, in French; the unit when empty
    category_labels: tuple[str, ...] = ()  # under each bar, in French; the codes when empty
    category_names: tuple[str, ...] = ()  # each category in full (tooltips, description); the labels

    @property
    def labels(self) -> tuple[str, ...]:
        return self.category_labels or self.categories

    @property
    def names(self) -> tuple[str, ...]:
        return self.category_names or self.labels


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
