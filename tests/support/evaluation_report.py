"""Checks of a written evaluation report that know nothing of the service's code: they read the HTML, the
images it references and the CSV files as any reader would."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

SVG = "{http://www.w3.org/2000/svg}svg"


class _Page(HTMLParser):
    """Collects image sources and tables (`data-csv` names the CSV holding the same cells). A cell or heading
    the page shows in French while its CSV holds a stable value or key says the CSV's text in `data-value` or
    `data-column`: `tables` holds the CSV's text of each cell, `shown` what the page shows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.shown: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._shown_row: list[str] = []
        self._cell: list[str] | None = None
        self._value: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "img":
            self.images.append(named["src"] or "")
        elif tag == "table":
            self._table = named.get("data-csv") or ""
            self.tables[self._table] = []
            self.shown[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row, self._shown_row = [], []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._value = named.get("data-value", named.get("data-column"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            text = "".join(self._cell)
            self._row.append(text if self._value is None else self._value)
            self._shown_row.append(text)
            self._cell = None
        elif tag == "tr" and self._table is not None and self._row is not None:
            self.tables[self._table].append(self._row)
            self.shown[self._table].append(self._shown_row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read_page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def decodes_as_svg(data: bytes) -> bool:
    """An SVG image decodes when it parses as XML with a root <svg> in the SVG namespace."""
    return ET.fromstring(data).tag == SVG


def check_report_dir(out: Path) -> _Page:
    """Every image the HTML references exists and decodes; every HTML table equals its CSV, cell by cell (the
    CSV's text of each cell the page shows in French)."""
    page = read_page((out / "index.html").read_text(encoding="utf-8"))
    assert page.images, "the report shows no chart"
    for src in page.images:
        path = out / src
        assert path.is_file(), f"{src} is referenced but missing"
        assert decodes_as_svg(path.read_bytes()), f"{src} does not decode as an SVG image"
    assert page.tables, "the report has no table"
    for name, rows in page.tables.items():
        with (out / name).open(encoding="utf-8", newline="") as f:
            assert list(csv.reader(f)) == rows, f"{name} differs from the HTML table"
    return page


def csv_rows(out: Path, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / name).read_text(encoding="utf-8"))))
