"""Bar charts as SVG, written by hand: a few rectangles and labels need no plotting library, the bytes are
the same on every machine (no fonts embedded, no timestamps), and any browser shows them as images."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from xml.sax.saxutils import escape, quoteattr

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
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        _text(LEFT, 22, chart.title, "start", 15, ' font-weight="bold"'),
    ]
    for k in range(round(top / step) + 1):
        tick = y(k * step)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_n(tick)}" y2="{_n(tick)}" stroke="#dddddd"/>'
        )
        parts.append(_text(LEFT - 6, tick + 4, f"{k * step:g}", "end", 10))
    parts.append(
        _text(
            14,
            TOP + plot_h / 2,
            chart.unit,
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
        return [_text(LEFT + plot_w / 2, TOP + 60, "no data for this year", "middle", 13)]
    group = plot_w / len(chart.categories)
    width = group * 0.8 / max(len(chart.series), 1)
    rotate = len(chart.categories) > 8 or max(len(c) for c in chart.categories) > 10
    parts = []
    base = to_y(0.0)
    for i, category in enumerate(chart.categories):
        x0 = LEFT + group * i + group * 0.1
        for j, series in enumerate(chart.series):
            value = series.values[i]
            top = to_y(float(value))
            label = f"{category} — {series.name}: {_show(value)} {chart.unit}"
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
        x -= 14 + 7 * len(series.name) + 10
        parts.append(f'<rect x="{_n(x)}" y="30" width="10" height="10" fill="{COLOURS[j % len(COLOURS)]}"/>')
        parts.append(_text(x + 14, 39, series.name, "start", 10))
    return parts


def _show(value: Fraction) -> str:
    return f"{float(value):.1f}".removesuffix(".0")
