"""Charts drawn on the server as inline SVG: no script, no library, nothing fetched.

The console's CSP allows no script and no inline ``style`` attribute, so colours
are SVG presentation attributes (``fill=``) and everything else is a class
styled by ``console.css``. Every text is escaped (:func:`markupsafe.escape`);
what comes back is :class:`markupsafe.Markup`, which the autoescaping templates
print as it is. Each chart has a ``<title>`` for screen readers, and the page
puts a table with the same numbers beside it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

from markupsafe import Markup, escape

# Okabe-Ito: told apart by people with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
# In user units: a chart is drawn this wide and scaled to its column (about 640 px on a laptop,
# 360 on a phone), so its text stays between about 8 and 15 px.
WIDTH = 560
FONT = 13


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Optional[float]]


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def nice_max(value: float) -> float:
    """The axis' top: 1, 2 or 5 times a power of ten, at least ``value`` (1 for an empty chart)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    return f"{value:g}" if value < 10_000 else f"{value:,.0f}"


def _svg(chart_id: str, title: str, width: int, height: int, parts: List[str]) -> Markup:
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>' + "".join(parts) + "</svg>"
    )


def _legend(series: Sequence[Series], y: int) -> List[str]:
    parts, x = [], 0
    for index, entry in enumerate(series):
        parts.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{color(index)}"/>'
                     f'<text class="legend" x="{x + 16}" y="{y}" font-size="{FONT}">{escape(entry.name)}</text>')
        x += 24 + 8 * len(entry.name)
    return parts


def stacked_columns(chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series],
                    *, height: int = 260) -> Markup:
    """One column per label (a day), stacked by series (a channel, a language); a legend above."""
    left, top, bottom, right = 44, 28, 36, 8
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    top_value = nice_max(max(totals, default=0))
    parts = _legend(series, 14)
    for tick in (0.0, top_value / 2, top_value):
        y = top + plot_h - plot_h * tick / top_value
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" '
                     f'stroke="#dde2e8"/><text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="{FONT}">{_number(tick)}</text>')
    slot = plot_w / max(len(labels), 1)
    bar = max(slot * 0.75, 1.0)
    # Every label if they fit, else every n-th: a month of days stays readable on a phone.
    every = max(1, math.ceil(len(labels) * 44 / plot_w))
    for i, label in enumerate(labels):
        x = left + slot * i + (slot - bar) / 2
        y = top + plot_h
        for index, entry in enumerate(series):
            value = entry.values[i] or 0
            if value <= 0:
                continue
            h = plot_h * value / top_value
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{color(index)}">'
                         f'<title>{escape(label)}: {escape(entry.name)} {_number(value)}</title></rect>')
        if i % every == 0:
            parts.append(f'<text class="axis" x="{x + bar / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                         f'font-size="{FONT}">{escape(label)}</text>')
    return _svg(chart_id, title, WIDTH, height, parts)


def bars(chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series],
         *, value_text: Callable[[float], str] = _number, label_width: int = 205) -> Markup:
    """Horizontal bars, one group per label and one bar per series; the value written after each bar."""
    row_h, bar_h, gap = 6 + 16 * len(series), 14, 2
    top = 26 if len(series) > 1 else 6
    height = top + row_h * len(labels) + 6
    right = 70
    plot_w = WIDTH - label_width - right
    top_value = nice_max(max((v or 0 for s in series for v in s.values), default=0))
    parts = _legend(series, 14) if len(series) > 1 else []
    for i, label in enumerate(labels):
        y0 = top + row_h * i
        parts.append(f'<text class="label" x="{label_width - 8}" y="{y0 + row_h / 2 + 4:.1f}" text-anchor="end" '
                     f'font-size="{FONT}">{escape(_short(label))}</text>')
        for index, entry in enumerate(series):
            value = entry.values[i]
            y = y0 + 3 + index * (bar_h + gap)
            if value is None:
                parts.append(f'<text class="value" x="{label_width}" y="{y + 11}" font-size="{FONT}">-</text>')
                continue
            w = plot_w * max(value, 0) / top_value
            parts.append(f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color(index)}">'
                         f'<title>{escape(label)}: {escape(entry.name)} {escape(value_text(value))}</title></rect>'
                         f'<text class="value" x="{label_width + w + 4:.1f}" y="{y + 11}" font-size="{FONT}">'
                         f'{escape(value_text(value))}</text>')
    return _svg(chart_id, title, WIDTH, height, parts)


def _short(label: str, limit: int = 26) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def pairs(values: Sequence[Tuple[str, Optional[float]]]) -> Tuple[List[str], List[Optional[float]]]:
    """``[(label, value), ...]`` -> ``(labels, values)``."""
    return [label for label, _ in values], [value for _, value in values]
