"""Inline SVG charts for the HTML renderings: no script, no font, nothing external.

Each chart is an ``<svg role="img">`` with a ``<title>`` that says in words what it shows (its
text alternative); its labels are HTML beside it, so that they wrap and stay legible at any
width while the SVG, which holds only rectangles, stretches (``preserveAspectRatio="none"``).
Colours are the outcomes'; red is kept for what needs attention, never used by a chart.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from sms_campaign_stats.render._i18n import Localizer

__all__ = ["COLORS", "Ids", "Segment", "bar", "columns", "legend", "swatch"]

#: The colour of each outcome in every chart and legend (none of them red).
COLORS = {
    "delivered": "#2a9d8f",
    "soft_bounces": "#e9b949",
    "hard_bounces": "#7b5ea7",
    "processing": "#9aa5b8",
    "bar": "#4a6fa5",
}

#: A part of a bar: its key in ``COLORS``, its label, its value.
Segment = tuple[str, str, int]


class Ids:
    """Element ids unique within one document: ``c1``, ``c2``..."""

    def __init__(self) -> None:
        self._next: Iterator[int] = itertools.count(1)

    def new(self) -> str:
        """A new id."""
        return f"c{next(self._next)}"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _svg(ids: Ids, alternative: str, view: str, body: str, css: str) -> str:
    title = ids.new()
    return (
        f'<svg class="{css}" role="img" aria-labelledby="{title}" viewBox="{view}" '
        'preserveAspectRatio="none">'
        f'<title id="{title}">{_e(alternative)}</title>{body}</svg>'
    )


def bar(
    ids: Ids, alternative: str, segments: Sequence[Segment], *, total: int | None = None
) -> str:
    """One horizontal bar: ``segments`` side by side, as shares of ``total`` (default: their
    sum). An empty total draws an empty bar."""
    whole = sum(value for _, _, value in segments) if total is None else total
    rects = []
    x = 0.0
    for key, _, value in segments:
        if not value or not whole:
            continue
        width = 1000.0 * value / whole
        rects.append(
            f'<rect x="{x:.2f}" y="0" width="{width:.2f}" height="10" fill="{COLORS[key]}"/>'
        )
        x += width
    if not rects:
        rects.append('<rect x="0" y="0" width="1000" height="10" fill="#eeeeee"/>')
    return _svg(ids, alternative, "0 0 1000 10", "".join(rects), "bar")


def swatch(key: str) -> str:
    """A small square of an outcome's colour (decorative: its label is beside it)."""
    return (
        '<svg class="swatch" aria-hidden="true" viewBox="0 0 10 10">'
        f'<rect width="10" height="10" fill="{COLORS[key]}"/></svg>'
    )


def legend(items: Sequence[tuple[str, str]]) -> str:
    """A legend: a swatch and a label per ``(key, label)``."""
    return (
        '<ul class="legend">'
        + "".join(f"<li>{swatch(key)}{_e(label)}</li>" for key, label in items)
        + "</ul>"
    )


#: Bucket sizes the time chart may use, in hours: the first giving at most MAX_COLUMNS columns.
_BUCKET_HOURS = (1, 2, 3, 4, 6, 8, 12, 24, 48, 168)
MAX_COLUMNS = 48


def buckets(
    hours: Sequence[tuple[datetime, tuple[int, ...]]],
) -> tuple[timedelta, list[tuple[datetime, list[int]]]]:
    """Hourly counts (sorted) regrouped into at most ``MAX_COLUMNS`` equal buckets from the
    first hour to the last, empty ones included."""
    first, last = hours[0][0], hours[-1][0]
    span = int((last - first).total_seconds() // 3600) + 1
    size = next((h for h in _BUCKET_HOURS if span / h <= MAX_COLUMNS), _BUCKET_HOURS[-1])
    count = -(-span // size)
    width = len(hours[0][1])
    found: list[tuple[datetime, list[int]]] = [
        (first + timedelta(hours=i * size), [0] * width) for i in range(count)
    ]
    for start, values in hours:
        index = int((start - first).total_seconds() // 3600) // size
        row = found[min(index, count - 1)][1]
        for i, value in enumerate(values):
            row[i] += value
    return timedelta(hours=size), found


def columns(
    ids: Ids,
    alternative: str,
    keys: Sequence[str],
    rows: Sequence[tuple[datetime, Sequence[int]]],
) -> str:
    """Stacked columns, one per row, the values of ``keys`` from the bottom up."""
    peak = max((sum(values) for _, values in rows), default=0) or 1
    count = len(rows)
    body = []
    for i, (_, values) in enumerate(rows):
        y = 100.0
        for key, value in zip(keys, values, strict=True):
            if not value:
                continue
            height = 100.0 * value / peak
            y -= height
            body.append(
                f'<rect x="{i * 10 + 1}" y="{y:.2f}" width="8" height="{height:.2f}" '
                f'fill="{COLORS[key]}"/>'
            )
    body.append(f'<rect x="0" y="99.5" width="{count * 10}" height="0.5" fill="#777777"/>')
    return _svg(ids, alternative, f"0 0 {count * 10} 100", "".join(body), "columns")


def time_label(words: Localizer, at: datetime, size: timedelta) -> str:
    """A bucket's start as shown under the chart: the day, and the hour unless a day long."""
    if size >= timedelta(days=1):
        return words.day(at)
    return f"{words.day(at)} {words.time(at)}"
