"""Bar charts as SVG, written by hand: a few rectangles and labels need no plotting library, the bytes are
the same on every machine (no fonts embedded, no timestamps), and any browser shows them as images.

A chart speaks French: its title, axis, legend and labels, numbers as French readers write them (12 500,
2,5, 40 %, 12 345,67 €), and for assistive technologies a `<title>`, a `<desc>` giving every figure, and
a `<title>` on each bar."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from xml.sax.saxutils import escape, quoteattr

from ess_contracts.reference.labels import french_euros
from ess_evaluation.domain.numbers import french_decimal, to_scale
from ess_evaluation.domain.report_model import Chart

WIDTH, HEIGHT = 760, 380
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 48, 92
COLOURS = ("#1f5f8b", "#e08a2c", "#3a9a5b", "#b8483e", "#7a5ea8")
TICKS = 5


def nice_step(top: float) -> float:
    """A tick step of 1, 2 or 5 times a power of ten giving about five ticks up to `top`."""
    raw = top / TICKS
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def _n(value: float) -> str:
    return f"{value:.1f}"


def tick_text(value: float, step: float) -> str:
    """A tick's number in French, with as many decimals as the step needs: 0, 0,2, 12 500."""
    places = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    return french_decimal(Fraction(round(value, places + 2)).limit_denominator(10**6), places)


def value_text(value: Fraction, unit: str) -> str:
    """A bar's figure in French: 12 345,67 € for money, 40 % of a target, else the number (3, 2,5)."""
    if unit == "EUR":
        return french_euros(to_scale(value, 2))
    shown = french_decimal(value, 1).removesuffix(",0")
    return f"{shown}\u202f%" if unit == "% of target" else shown


def description(chart: Chart) -> str:
    """Every figure of the chart in words, for those who do not see it."""
    if not chart.categories:
        return f"Graphique en barres, en {chart.unit_label or chart.unit} : aucune donnée pour cette année."
    series = ", ".join(s.shown for s in chart.series)
    figures = " ; ".join(
        f"{name} : " + ", ".join(f"{s.shown} {value_text(s.values[i], chart.unit)}" for s in chart.series)
        for i, name in enumerate(chart.names)
    )
    reference = (
        f" Ligne pointillée : {chart.reference_label}, {value_text(chart.reference, chart.unit)}."
        if chart.reference is not None
        else ""
    )
    return f"Graphique en barres ({series}), en {chart.unit_label or chart.unit}. {figures}.{reference}"


def _text(x: float, y: float, text: str, anchor: str = "middle", size: int = 11, extra: str = "") -> str:
    position = f'x="{_n(x)}" y="{_n(y)}" font-size="{size}" text-anchor="{anchor}"'
    return f"<text {position}{extra}>{escape(text)}</text>"


def bar_chart(chart: Chart) -> str:
    values = [float(v) for s in chart.series for v in s.values]
    top = max([*values, float(chart.reference or 0), 1.0])
    step = nice_step(top)
    if all(float(v).is_integer() for v in values):
        step = max(step, 1.0)  # whole numbers: no tick at 0.2 project
    top = step * math.ceil(top / step)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label={quoteattr(chart.title)} '
        'font-family="sans-serif">',
        f"<title>{escape(chart.title)}</title>",
        f"<desc>{escape(description(chart))}</desc>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        _text(LEFT, 22, chart.title, "start", 15, ' font-weight="bold"'),
    ]
    for k in range(round(top / step) + 1):
        tick = y(k * step)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_n(tick)}" y2="{_n(tick)}" stroke="#dddddd"/>'
        )
        parts.append(_text(LEFT - 6, tick + 4, tick_text(k * step, step), "end", 10))
    parts.append(
        _text(
            14,
            TOP + plot_h / 2,
            chart.unit_label or chart.unit,
            "middle",
            11,
            f' transform="rotate(-90 14 {_n(TOP + plot_h / 2)})"',
        )
    )
    parts += _bars(chart, y, plot_w)
    if chart.reference is not None:
        ref = y(float(chart.reference))
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_n(ref)}" y2="{_n(ref)}" '
            'stroke="#222222" stroke-dasharray="6 4"/>'
        )
        parts.append(_text(WIDTH - RIGHT - 2, ref - 4, chart.reference_label, "end", 10))
    parts += _legend(chart)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _bars(chart: Chart, to_y: Callable[[float], float], plot_w: float) -> list[str]:
    if not chart.categories:
        return [_text(LEFT + plot_w / 2, TOP + 60, "Aucune donnée pour cette année", "middle", 13)]
    group = plot_w / len(chart.categories)
    width = group * 0.8 / max(len(chart.series), 1)
    rotate = len(chart.categories) > 8 or max(len(c) for c in chart.labels) > 10
    parts = []
    base = to_y(0.0)
    for i, (category, name) in enumerate(zip(chart.labels, chart.names, strict=True)):
        x0 = LEFT + group * i + group * 0.1
        for j, series in enumerate(chart.series):
            value = series.values[i]
            top = to_y(float(value))
            label = f"{name} — {series.shown} : {value_text(value, chart.unit)}"
            parts.append(
                f'<rect x="{_n(x0 + j * width)}" y="{_n(top)}" width="{_n(width)}" height="{_n(base - top)}" '
                f'fill="{COLOURS[j % len(COLOURS)]}"><title>{escape(label)}</title></rect>'
            )
        cx = LEFT + group * (i + 0.5)
        extra = f' transform="rotate(-40 {_n(cx)} {_n(base + 14)})"' if rotate else ""
        parts.append(_text(cx, base + 14, category, "end" if rotate else "middle", 10, extra))
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_n(base)}" y2="{_n(base)}" stroke="#444444"/>')
    return parts


def _legend(chart: Chart) -> list[str]:
    parts, x = [], WIDTH - RIGHT
    for j, series in reversed(list(enumerate(chart.series))):
        x -= 14 + 7 * len(series.shown) + 10
        parts.append(f'<rect x="{_n(x)}" y="30" width="10" height="10" fill="{COLOURS[j % len(COLOURS)]}"/>')
        parts.append(_text(x + 14, 39, series.shown, "start", 10))
    return parts
