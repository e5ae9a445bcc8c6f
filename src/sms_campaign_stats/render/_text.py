"""Plain-text renderings of reports, statistics and histories: printable, at most 100 columns.

User-provided strings (names, ids, history details) are made printable: a control character
(a newline in a campaign name, a tab in a detail) becomes a space.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sms_campaign_stats._core.privacy import mask_numbers_in, mask_numbers_in_data

if TYPE_CHECKING:
    from sms_campaign_stats.reports import (
        CampaignReport,
        DeliveryFigures,
        Figure,
        GlobalStatistics,
        Timeline,
    )

__all__ = [
    "WIDTH",
    "detail_items",
    "printable",
    "render_campaign_report",
    "render_statistics",
    "render_timeline",
]

WIDTH = 100

# An event line starts with its time and kind; its details wrap under this indent.
_EVENT_INDENT = 37


def printable(text: str) -> str:
    """``text`` with every non-printable character (newline, tab, control) made a space."""
    return "".join(c if c.isprintable() else " " for c in text)


def _clip(text: str, width: int) -> str:
    text = printable(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _percent(figure: Figure) -> str:
    percentage = figure.percentage
    return "-" if percentage is None else f"{percentage:.2f}%"


def _money(amount: Decimal, currency: str) -> str:
    # Two decimals as usual, more when a unit price has more (0.045 x 3 = 0.135): never rounded.
    exact = amount.normalize()
    exponent = exact.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        return f"{exact:,f} {currency}"
    return f"{amount:,.2f} {currency}"


def render_campaign_report(
    report: CampaignReport, history: Timeline | None = None, *, show_numbers: bool = False
) -> str:
    """The report as text lines no longer than ``WIDTH`` characters, then its history if given.

    Phone numbers in the history's details are masked unless ``show_numbers``.
    """
    t = report.totals
    lines = [
        _clip(f"Campaign   {report.campaign_name} ({report.campaign_id})", WIDTH),
        _clip(f"Sender     {report.sender}", WIDTH),
        f"Status     {report.status.value}",
        f"Recipients {t.recipients:,}"
        + (f"  (and {t.cancelled:,} cancelled)" if t.cancelled else ""),
        "",
        f"{'':<14}{'count':>12}{'%':>10}",
    ]
    for label, figure in (
        ("Delivered", t.delivered),
        ("Soft bounces", t.soft_bounces),
        ("Hard bounces", t.hard_bounces),
        ("Processing", t.processing),
    ):
        lines.append(f"{label:<14}{figure.count:>12,}{_percent(figure):>10}")
    lines.append(
        f"{'Replies':<14}{t.replies.count:>12,}{_percent(t.replies):>10} of delivered"
        f" ({t.reply_messages:,} messages)"
    )
    lines.append(
        f"{'Unsubscribes':<14}{t.unsubscribes.count:>12,}{_percent(t.unsubscribes):>10}"
        " of delivered"
    )
    lines += [
        "",
        f"Cost       {_money(report.cost, report.currency)} for {t.sent:,} messages sent "
        f"({t.segments_sent:,} segments)",
        f"           {_money(report.bounced_cost, report.currency)} spent on bounces, "
        f"of which {_money(report.avoidable_bounced_cost, report.currency)} avoidable",
    ]
    if report.lists:
        lines += [
            "",
            "Per list",
            f"{'list':<22}{'recipients':>11}{'delivered':>17}{'soft':>10}{'hard':>10}"
            f"{'processing':>11}{'replies':>9}{'unsub.':>8}",
        ]
        for item in report.lists:
            f = item.figures
            lines.append(
                f"{_clip(item.list_id, 21):<22}{f.recipients:>11,}"
                f"{f.delivered.count:>9,}{_percent(f.delivered):>8}"
                f"{f.soft_bounces.count:>10,}{f.hard_bounces.count:>10,}"
                f"{f.processing.count:>11,}{f.replies.count:>9,}{f.unsubscribes.count:>8,}"
            )
    if report.bounce_reasons:
        lines += [
            "",
            "Bounce reasons (* avoidable by the sender)",
            f"{'reason':<36}{'kind':>6}{'count':>10}{'%':>9}{'sent':>10}{'cost':>20}",
        ]
        for reason in report.bounce_reasons:
            mark = "*" if reason.avoidable_by_sender else " "
            lines.append(
                f"{mark}{reason.reason.value:<35}{reason.kind.value:>6}"
                f"{reason.recipients.count:>10,}{_percent(reason.recipients):>9}"
                f"{reason.sent:>10,}{_money(reason.cost, report.currency):>20}"
            )
    if history is not None:
        lines += ["", "History (times in UTC)", *_event_lines(history, show_numbers)]
    return "\n".join(_clip(line, WIDTH) for line in lines) + "\n"


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def detail_items(
    details: Mapping[str, Any], *, show_numbers: bool = False
) -> list[tuple[str, str]]:
    """History details flattened to ``(key, value)`` strings, phone numbers masked unless
    ``show_numbers``: nested mappings give dotted keys, anything else a JSON value.

    >>> detail_items({"reason": "to +33612345678", "evidence": {"rate": 0.1, "n": [1, 2]}})
    [('reason', 'to +336******78'), ('evidence.rate', '0.1'), ('evidence.n', '[1, 2]')]
    """
    data = details if show_numbers else mask_numbers_in_data(details)
    items: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping) and value:
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        else:
            items.append((prefix, _scalar(value)))

    for key, value in data.items():
        walk(str(key), value)
    return items


def _event_lines(timeline: Timeline, show_numbers: bool) -> list[str]:
    if not timeline.events:
        return ["(no events)"]
    lines: list[str] = []
    for event in timeline.events:
        head = f"{event.at:%Y-%m-%d %H:%M:%S}  {event.kind.value:<16}"
        # Masked after being made printable: a number written with no-break spaces (which
        # become spaces here) is masked as the reader will see it.
        body = printable(
            "; ".join(
                f"{key}={value}" for key, value in detail_items(event.details, show_numbers=True)
            )
        )
        if not show_numbers:
            body = mask_numbers_in(body)
        if not body:
            lines.append(head.rstrip())
            continue
        lines += textwrap.wrap(
            body,
            width=WIDTH,
            initial_indent=head,
            subsequent_indent=" " * _EVENT_INDENT,
            break_on_hyphens=False,
        )
    return lines


def render_timeline(timeline: Timeline, *, show_numbers: bool = False) -> str:
    """A campaign's history, one event per line (details wrapped), at most ``WIDTH`` columns."""
    lines = [
        f"History of {timeline.campaign_name} ({timeline.campaign_id})",
        "Times in UTC",
        "",
        *_event_lines(timeline, show_numbers),
    ]
    return "\n".join(_clip(line, WIDTH) for line in lines) + "\n"


def _figures_row(label: str, f: DeliveryFigures, status: str) -> str:
    return (
        f"{_clip(label, 19):<20}{_clip(status, 9):<10}{f.recipients:>11,}"
        f"{f.delivered.count:>9,}{_percent(f.delivered):>8}{f.soft_bounces.count:>8,}"
        f"{f.hard_bounces.count:>8,}{f.processing.count:>11,}{f.replies.count:>8,}"
        f"{f.unsubscribes.count:>7,}"
    )


def render_statistics(stats: GlobalStatistics) -> str:
    """Global statistics: a figures table (one row per campaign, then the totals), each
    campaign's cost, and the costs summed per currency."""
    t = stats.totals
    lines = [
        f"Campaigns  {len(stats.rows):,}",
        f"Recipients {t.recipients:,}"
        + (f"  (and {t.cancelled:,} cancelled)" if t.cancelled else ""),
        "",
        f"{'campaign':<20}{'status':<10}{'recipients':>11}{'delivered':>17}{'soft':>8}{'hard':>8}"
        f"{'processing':>11}{'replies':>8}{'unsub.':>7}",
    ]
    lines += [_figures_row(row.campaign_id, row.figures, row.status.value) for row in stats.rows]
    lines.append(_figures_row("all campaigns", t, ""))
    if stats.rows:
        lines += [
            "",
            "Cost per campaign",
            f"{'campaign':<20}{'name':<38}{'cost':>21}{'on bounces':>21}",
        ]
        lines += [
            f"{_clip(row.campaign_id, 19):<20}{_clip(row.campaign_name, 37):<38}"
            f"{_money(row.cost, row.currency):>21}{_money(row.bounced_cost, row.currency):>21}"
            for row in stats.rows
        ]
    lines += ["", "Cost per currency (never converted)"]
    lines += [
        f"{_money(amount, currency):>21} spent, "
        f"{_money(stats.bounced_cost_by_currency.get(currency, Decimal(0)), currency)} on bounces"
        for currency, amount in sorted(stats.cost_by_currency.items())
    ] or ["(none)"]
    return "\n".join(_clip(line, WIDTH) for line in lines) + "\n"
