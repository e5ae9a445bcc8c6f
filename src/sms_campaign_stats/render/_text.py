"""Plain-text renderings of reports, statistics and histories: printable, at most 100 columns,
in English or French.

User-provided strings (names, ids, history details) are made printable: a control character
(a newline in a campaign name, a tab in a detail) becomes a space. Numbers, money and dates are
Babel's (``_i18n``); the no-break spaces CLDR puts in French numbers (``9 558``, ``95,61 %``)
are plain spaces here, so that columns line up in any terminal.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sms_campaign_stats._core.privacy import mask_numbers_in, mask_numbers_in_data
from sms_campaign_stats.render import _words
from sms_campaign_stats.render._i18n import Localizer

if TYPE_CHECKING:
    from sms_campaign_stats.reports import (
        CampaignReport,
        CampaignRow,
        DeliveryFigures,
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
    "table",
]

WIDTH = 100

# Shown when the report has more regions: the rest are added up on one line.
MAX_REGIONS = 10

_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})


def printable(text: str) -> str:
    """``text`` with every non-printable character (newline, tab, control) made a space."""
    return "".join(c if c.isprintable() else " " for c in text.translate(_SPACES))


def _clip(text: str, width: int) -> str:
    text = printable(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def table(
    header: Sequence[str] | None,
    rows: Sequence[Sequence[str]],
    *,
    right: Sequence[bool],
    gap: int = 2,
    width: int = WIDTH,
) -> list[str]:
    """Rows under a header, each column as wide as its widest cell, numbers (``right``)
    aligned right (no header row for ``None``). When the table would be wider than ``width``,
    the first column is cut."""
    cells = [
        [printable(c) for c in row]
        for row in ([] if header is None else [header]) + [list(row) for row in rows]
    ]
    if not cells:
        return []
    widths = [max(len(row[i]) for row in cells) for i in range(len(right))]
    excess = sum(widths) + gap * (len(widths) - 1) - width
    if excess > 0:
        widths[0] = max(widths[0] - excess, 8)
    lines = []
    for row in cells:
        parts = []
        for i, cell in enumerate(row):
            shown = _clip(cell, widths[i])
            parts.append(shown.rjust(widths[i]) if right[i] else shown.ljust(widths[i]))
        lines.append((" " * gap).join(parts).rstrip())
    return lines


def _fields(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """``label  value`` lines, the values aligned; a value's further lines under the first."""
    indent = max(len(label) for label, _ in pairs) + 2
    lines = []
    for label, value in pairs:
        first, *rest = value.split("\n")
        lines.append(f"{label:<{indent}}{first}")
        lines += [" " * indent + line for line in rest]
    return lines


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(
        printable(text), WIDTH, initial_indent=indent, subsequent_indent=indent
    ) or [""]


def _recipients(w: Localizer, f: DeliveryFigures) -> str:
    shown = w.integer(f.recipients)
    if f.cancelled:
        cancelled = w.ngettext("{count} cancelled", "{count} cancelled", f.cancelled)
        shown += (
            "  ("
            + w._("and {cancelled}").format(
                cancelled=cancelled.format(count=w.integer(f.cancelled))
            )
            + ")"
        )
    return shown


def message_summary(w: Localizer, report: CampaignReport) -> str:
    """``GSM-7, 59 characters, 1 segment``: the message's encoding, length and segments."""
    message = report.message
    if message is None:
        return ""
    encoding = "GSM-7" if message.encoding.value == "gsm7" else "UCS-2 (Unicode)"
    characters = w.ngettext("{count} character", "{count} characters", message.units)
    segments = w.ngettext("{count} segment", "{count} segments", message.segments)
    return ", ".join(
        [
            encoding,
            characters.format(count=w.integer(message.units)),
            segments.format(count=w.integer(message.segments)),
        ]
    )


def send_window(w: Localizer, report: CampaignReport) -> str | None:
    """``from ... to ... (duration)``: the first submission to the last final outcome."""
    activity = report.activity
    if activity is None or activity.first_submitted_at is None:
        return None
    duration = activity.duration
    end = activity.last_outcome_at
    if end is None or duration is None or report.totals.processing.count:
        return w._("from {start}, still sending").format(
            start=w.date_time(activity.first_submitted_at)
        )
    return w._("from {start} to {end} ({duration})").format(
        start=w.date_time(activity.first_submitted_at),
        end=w.date_time(end),
        duration=w.duration(duration),
    )


def _outcome_rows(w: Localizer, t: DeliveryFigures) -> list[list[str]]:
    of_recipients, of_delivered = w._("of recipients"), w._("of delivered")
    rows = [
        [w._("Delivered"), w.integer(t.delivered.count), w.percent(t.delivered.percentage)],
        [
            w._("Soft bounces"),
            w.integer(t.soft_bounces.count),
            w.percent(t.soft_bounces.percentage),
        ],
    ]
    if t.soft_bounces_never_sent:
        never = t.soft_bounces_never_sent
        rows.append(
            [
                "  " + w._("of which never sent"),
                w.integer(never),
                w.percent(100.0 * never / t.recipients if t.recipients else None),
            ]
        )
    rows += [
        [
            w._("Hard bounces"),
            w.integer(t.hard_bounces.count),
            w.percent(t.hard_bounces.percentage),
        ],
        [w._("Processing"), w.integer(t.processing.count), w.percent(t.processing.percentage)],
        [w._("Replies"), w.integer(t.replies.count), w.percent(t.replies.percentage)],
        [
            w._("Unsubscribes"),
            w.integer(t.unsubscribes.count),
            w.percent(t.unsubscribes.percentage),
        ],
    ]
    never_sent = [w._("invalid numbers and landlines: never sent, cost nothing")]
    notes = [of_recipients, "", *(never_sent if t.soft_bounces_never_sent else []), "", ""]
    messages = w.ngettext("{count} message", "{count} messages", t.reply_messages)
    notes += [
        of_delivered + " (" + messages.format(count=w.integer(t.reply_messages)) + ")",
        of_delivered,
    ]
    return [[*row, note] for row, note in zip(rows, notes, strict=True)]


def cost_lines(w: Localizer, report: CampaignReport) -> list[tuple[str, str, str]]:
    """The cost rows: label, amount, explanation."""
    currency = report.currency
    total, first, retries, failed = _words.cost_notes(w, report)
    rows = [(w._("Cost"), w.money(report.cost, currency), total)]
    if report.first_send_cost is not None:
        rows.append(("  " + w._("first sends"), w.money(report.first_send_cost, currency), first))
    if report.retry_cost is not None:
        rows.append(("  " + w._("retries"), w.money(report.retry_cost, currency), retries))
    rows += [
        (w._("Spent on bounces"), w.money(report.bounced_cost, currency), failed),
        (
            "  " + w._("of which avoidable"),
            w.money(report.avoidable_bounced_cost, currency),
            w._("the sender could have prevented these bounces")
            if report.avoidable_bounced_cost
            else "",
        ),
    ]
    return rows


def render_campaign_report(
    report: CampaignReport,
    history: Timeline | None = None,
    *,
    show_numbers: bool = False,
    words: Localizer,
) -> str:
    """The report as text lines no longer than ``WIDTH`` characters, then its history if given.

    Phone numbers in the history's details are masked unless ``show_numbers``.
    """
    w, t = words, report.totals
    pairs = [
        (w._("Campaign"), report.campaign_name),
        (w._("Campaign id"), report.campaign_id),
        (w._("Sender"), report.sender),
        (w._("Status"), _words.campaign_status(w, report.status)),
        (w._("Recipients"), _recipients(w, t)),
    ]
    if report.message is not None:
        pairs.append((w._("Message"), message_summary(w, report)))
    window = send_window(w, report)
    if window is not None:
        pairs.append((w._("Sent"), window))
    lines = [_clip(line, WIDTH) for line in _fields(pairs)]
    if report.message is not None:
        lines += _wrap(f"“{report.message.content}”", " " * 2)
    lines += [
        "",
        *table(
            ["", w._("count"), "%", ""],
            _outcome_rows(w, t),
            right=[False, True, True, False],
        ),
        "",
        *table(None, cost_lines(w, report), right=[False, True, False]),
    ]
    if report.compensable is not None:
        lines += ["", *_compensable_lines(w, report)]
    if report.activity is not None and report.activity.regions:
        lines += ["", w._("Per country (the recipient's number)"), *_region_table(w, report)]
    if report.lists:
        lines += [
            "",
            *_wrap(
                w._(
                    "Per list (a recipient in two lists counts in both, so the lists add up to "
                    "more than the recipients)"
                )
            ),
            *_list_table(w, [(item.list_id, item.figures) for item in report.lists], w._("list")),
        ]
    if report.bounce_reasons:
        lines += [
            "",
            w._("Bounce reasons (* avoidable by the sender)"),
            *_reason_table(w, report),
        ]
    if history is not None:
        lines += ["", w._("History (times in UTC)"), *_event_lines(history, show_numbers, w)]
    return "\n".join(_clip(line, WIDTH) for line in lines) + "\n"


def _compensable_cell(w: Localizer, row: CampaignRow) -> str:
    """A campaign's compensable soft bounces: their count, and their cost in parentheses."""
    found = row.compensable
    return f"{w.integer(found.count)} ({w.money(found.cost, row.currency)})"


def _compensable_lines(w: Localizer, report: CampaignReport) -> list[str]:
    found = report.compensable
    assert found is not None
    claim = w.ngettext(
        "{count} soft bounce, {cost}: what you may claim from the provider",
        "{count} soft bounces, {cost}: what you may claim from the provider",
        found.count,
    )
    lines = [
        w._("Compensable: soft bounces caused by the platform's own fault"),
        "  "
        + claim.format(count=w.integer(found.count), cost=w.money(found.cost, report.currency)),
    ]
    counted = [(_words.reason(w, reason), n) for reason, n in found.reasons]
    counted += [(_words.provider(w, name), n) for name, n in found.providers]
    lines += [
        "  " + w._("{label}: {count}").format(label=label, count=w.integer(n))
        for label, n in counted
    ]
    return lines


def _region_table(w: Localizer, report: CampaignReport) -> list[str]:
    assert report.activity is not None
    regions = report.activity.regions
    shown, rest = regions[:MAX_REGIONS], regions[MAX_REGIONS:]
    rows = [
        [
            w.region(item.region),
            w.integer(item.recipients),
            w.integer(item.delivered.count),
            w.percent(item.delivered.percentage),
            w.integer(item.soft_bounces.count),
            w.integer(item.hard_bounces.count),
            w.integer(item.processing.count),
        ]
        for item in shown
    ]
    if rest:
        recipients = sum(item.recipients for item in rest)
        delivered = sum(item.delivered.count for item in rest)
        others = w.ngettext("{count} other region", "{count} other regions", len(rest))
        rows.append(
            [
                others.format(count=w.integer(len(rest))),
                w.integer(recipients),
                w.integer(delivered),
                w.percent(100.0 * delivered / recipients if recipients else None),
                w.integer(sum(item.soft_bounces.count for item in rest)),
                w.integer(sum(item.hard_bounces.count for item in rest)),
                w.integer(sum(item.processing.count for item in rest)),
            ]
        )
    header = [
        w._("country"),
        w._("recipients"),
        w._("delivered"),
        "%",
        w._("soft"),
        w._("hard"),
        w.pgettext("short column", "processing"),
    ]
    return table(header, rows, right=[False, *[True] * 6])


def _list_table(
    w: Localizer, items: Sequence[tuple[str, DeliveryFigures]], first: str
) -> list[str]:
    header = [
        first,
        w._("recipients"),
        w._("delivered"),
        "%",
        w._("soft"),
        w._("hard"),
        w.pgettext("short column", "processing"),
        w._("replies"),
        w._("unsub."),
    ]
    rows = [
        [
            name,
            w.integer(f.recipients),
            w.integer(f.delivered.count),
            w.percent(f.delivered.percentage),
            w.integer(f.soft_bounces.count),
            w.integer(f.hard_bounces.count),
            w.integer(f.processing.count),
            w.integer(f.replies.count),
            w.integer(f.unsubscribes.count),
        ]
        for name, f in items
    ]
    return table(header, rows, right=[False, *[True] * 8])


def _reason_table(w: Localizer, report: CampaignReport) -> list[str]:
    header = [w._("reason"), w._("kind"), w._("count"), "%", w._("sent"), w._("cost")]
    rows = [
        [
            ("*" if item.avoidable_by_sender else " ") + _words.reason(w, item.reason),
            _words.bounce_kind(w, item.kind),
            w.integer(item.recipients.count),
            w.percent(item.recipients.percentage),
            w.integer(item.sent),
            w.money(item.cost, report.currency),
        ]
        for item in report.bounce_reasons
    ]
    return table(header, rows, right=[False, False, True, True, True, True])


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


def _event_lines(timeline: Timeline, show_numbers: bool, w: Localizer) -> list[str]:
    if not timeline.events:
        return [w._("(no events)")]
    kinds = {event.kind: _words.event_kind(w, event.kind) for event in timeline.events}
    width = max(len(name) for name in kinds.values()) + 2
    indent = 21 + width
    lines: list[str] = []
    for event in timeline.events:
        head = f"{event.at:%Y-%m-%d %H:%M:%S}  {kinds[event.kind]:<{width}}"
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
            subsequent_indent=" " * indent,
            break_on_hyphens=False,
        )
    return lines


def render_timeline(timeline: Timeline, *, show_numbers: bool = False, words: Localizer) -> str:
    """A campaign's history, one event per line (details wrapped), at most ``WIDTH`` columns."""
    w = words
    lines = [
        w._("History of {name} ({id})").format(
            name=timeline.campaign_name, id=timeline.campaign_id
        ),
        w._("Times in UTC"),
        "",
        *_event_lines(timeline, show_numbers, w),
    ]
    return "\n".join(_clip(line, WIDTH) for line in lines) + "\n"


def render_statistics(stats: GlobalStatistics, *, words: Localizer) -> str:
    """Global statistics: a figures table (one row per campaign, then the totals), each
    campaign's cost, and the costs summed per currency."""
    w, t = words, stats.totals
    lines = _fields(
        [
            (w._("Campaigns"), w.integer(len(stats.rows))),
            (w._("Recipients"), _recipients(w, t)),
        ]
    )
    lines += [
        "",
        *_list_table(
            w,
            [(row.campaign_id, row.figures) for row in stats.rows] + [(w._("all campaigns"), t)],
            w._("campaign"),
        ),
    ]
    if stats.rows:
        lines += [
            "",
            w._("Campaigns and their cost"),
            *table(
                [
                    w._("campaign"),
                    w._("name"),
                    w._("status"),
                    w._("cost"),
                    w._("on bounces"),
                    w._("compensable"),
                ],
                [
                    [
                        row.campaign_id,
                        _clip(row.campaign_name, 28),
                        _words.campaign_status(w, row.status),
                        w.money(row.cost, row.currency),
                        w.money(row.bounced_cost, row.currency),
                        _compensable_cell(w, row),
                    ]
                    for row in stats.rows
                ],
                right=[False, False, False, True, True, True],
            ),
        ]
    lines += ["", w._("Cost per currency (never converted)")]
    costs = [
        [
            currency,
            w.money(amount, currency),
            w.money(stats.retry_cost_by_currency.get(currency, Decimal(0)), currency),
            w.money(stats.bounced_cost_by_currency.get(currency, Decimal(0)), currency),
            w.money(stats.compensable_cost_by_currency.get(currency, Decimal(0)), currency),
        ]
        for currency, amount in sorted(stats.cost_by_currency.items())
    ]
    if costs:
        lines += table(
            [
                w._("currency"),
                w._("cost"),
                w._("retries"),
                w._("on bounces"),
                w._("compensable"),
            ],
            costs,
            right=[False, True, True, True, True],
        )
    else:
        lines.append(w._("(none)"))
    return "\n".join(_clip(line, WIDTH) for line in lines) + "\n"
