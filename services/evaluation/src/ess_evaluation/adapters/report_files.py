"""The report as files: `index.html` with its charts as SVG images under `charts/`, one CSV per table,
and `SHA256SUMS`. The HTML tables and the CSV files are written from the same cells: the page shows each
cell's French text, the CSV holds its stable value under the column's English key, and wherever the two
differ the page carries the CSV's (`data-column` on a heading, `data-value` on a cell)."""

from __future__ import annotations

import csv
import hashlib
import io
from html import escape
from pathlib import Path

from ess_evaluation.adapters.svg import bar_chart
from ess_evaluation.domain.report_model import Report, Table

INDEX = "index.html"
SUMS = "SHA256SUMS"

STYLE = """
body { font-family: sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0 2rem; font-size: 0.85rem; }
caption { text-align: left; font-weight: bold; padding: 0.3rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; vertical-align: top; }
th { background: #f0f3f6; }
figure { margin: 1rem 0; }
p.note { color: #555; font-size: 0.9rem; }
"""


def render(report: Report) -> dict[str, bytes]:
    files = {f"charts/{c.name}.svg": bar_chart(c).encode() for c in report.charts}
    files |= {f"{t.name}.csv": csv_bytes(t) for t in report.tables}
    files[INDEX] = page(report).encode()
    files[SUMS] = "".join(f"{sha256(files[name])}  {name}\n" for name in sorted(files)).encode()
    return files


def write(files: dict[str, bytes], out: Path) -> list[Path]:
    written = []
    for name, data in sorted(files.items()):
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tables_sha256(files: dict[str, bytes]) -> str:
    """One digest for all the CSV tables: SHA-256 over `<sha256>  <name>` lines, names sorted."""
    lines = "".join(
        f"{sha256(data)}  {name}\n" for name, data in sorted(files.items()) if name.endswith(".csv")
    )
    return sha256(lines.encode())


def csv_bytes(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(c.key for c in table.columns)
    writer.writerows(tuple(c.value for c in row) for row in table.rows)
    return buffer.getvalue().encode()


def _data(name: str, value: str, shown: str) -> str:
    return f' data-{name}="{escape(value)}"' if value != shown else ""


def html_table(table: Table) -> str:
    head = "".join(
        f'<th scope="col"{_data("column", c.key, c.heading)}>{escape(c.heading)}</th>' for c in table.columns
    )
    body = "\n".join(
        "<tr>"
        + "".join(f"<td{_data('value', c.value, c.shown)}>{escape(c.shown)}</td>" for c in row)
        + "</tr>"
        for row in table.rows
    )
    return (
        f'<table id="{table.name}" data-csv="{table.name}.csv">\n<caption>{escape(table.title)} '
        f'(<a href="{table.name}.csv">données au format CSV</a>)</caption>\n<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody>\n</table>"
    )


def page(report: Report) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="fr">',
        f'<head><meta charset="utf-8"><title>{escape(report.title)}</title><style>{STYLE}</style></head>',
        "<body>",
        f"<h1>{escape(report.title)}</h1>",
        *(f'<p class="note">{escape(note)}</p>' for note in report.notes),
    ]
    for section in report.sections:
        parts += [f"<h2>{escape(section.title)}</h2>", f"<p>{escape(section.intro)}</p>"]
        parts += [
            f'<figure><img src="charts/{c.name}.svg" alt="{escape(c.title)}" width="760" height="380">'
            f"<figcaption>{escape(c.title)}</figcaption></figure>"
            for c in section.charts
        ]
        parts += [html_table(t) for t in section.tables]
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
