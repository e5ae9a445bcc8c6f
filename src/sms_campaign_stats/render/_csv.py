"""CSV renderings: one file per table, as ``{file name: CSV text}``.

Written with the ``csv`` module (``\\n`` line ends), a header row even when a table is empty.
The header row is in the locale's language (``pgettext("csv column", name)``: ``delivered`` is
``délivrés`` in French); the values are the same in every language (codes, ``.`` decimals), so
that a program reads every file the same way.
Money is an exact decimal string (never rounded, never in exponent notation), a percentage has
two decimals and is empty when its base is zero.

Text that a spreadsheet would run as a formula (a cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return: a campaign name, a list id, a sender) is written with a leading
``'``, as OWASP's "CSV injection" page recommends
(https://owasp.org/www-community/attacks/CSV_Injection). No figure starts with those characters.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from sms_campaign_stats._core.privacy import mask_numbers_in_data
from sms_campaign_stats.render._i18n import Localizer

if TYPE_CHECKING:
    from sms_campaign_stats.reports import (
        CampaignReport,
        DeliveryFigures,
        Figure,
        GlobalStatistics,
        Timeline,
    )

__all__ = [
    "ALL_COLUMNS",
    "CAMPAIGN_COLUMNS",
    "COLUMN_CONTEXT",
    "FIGURE_COLUMNS",
    "campaign_report_files",
    "statistics_files",
    "timeline_files",
]

#: The columns every set of figures gives, in order.
FIGURE_COLUMNS = (
    "recipients",
    "cancelled",
    "delivered",
    "delivered_percent",
    "soft_bounces",
    "soft_bounces_percent",
    "soft_bounces_never_sent",
    "hard_bounces",
    "hard_bounces_percent",
    "processing",
    "processing_percent",
    "replies",
    "replies_percent",
    "reply_messages",
    "unsubscribes",
    "unsubscribes_percent",
    "sent",
    "segments_sent",
    "submissions",
    "retries",
    "failed_submissions",
    "segments_submitted",
)

#: The columns of ``campaigns.csv`` (and of ``notebook.statistics_frame``), in order.
CAMPAIGN_COLUMNS = (
    "campaign_id",
    "campaign_name",
    "sender",
    "status",
    "created_at",
    *FIGURE_COLUMNS,
    "currency",
    "cost",
    "retry_cost",
    "bounced_cost",
    "compensable_count",
    "compensable_cost",
)

SUMMARY_COLUMNS = (
    "campaign_id",
    "campaign_name",
    "sender",
    "status",
    "currency",
    "unit_price",
    *FIGURE_COLUMNS,
    "pricing",
    "cost",
    "first_send_cost",
    "retry_cost",
    "bounced_cost",
    "avoidable_bounced_cost",
    "compensable_count",
    "compensable_cost",
    "compensable_reasons",
    "compensable_providers",
)
LIST_COLUMNS = ("list_id", *FIGURE_COLUMNS, "currency", "cost", "bounced_cost")
REASON_COLUMNS = (
    "reason",
    "kind",
    "avoidable_by_sender",
    "count",
    "percent",
    "sent",
    "currency",
    "cost",
)
COST_COLUMNS = ("currency", "cost", "retry_cost", "bounced_cost", "compensable_cost")
HISTORY_COLUMNS = ("at", "kind", "details")

#: Every column name, each translated in the catalogs under ``COLUMN_CONTEXT``.
ALL_COLUMNS = tuple(
    dict.fromkeys(
        (
            *SUMMARY_COLUMNS,
            *LIST_COLUMNS,
            *REASON_COLUMNS,
            *CAMPAIGN_COLUMNS,
            *COST_COLUMNS,
            *HISTORY_COLUMNS,
        )
    )
)
COLUMN_CONTEXT = "csv column"

Cell = str | int


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(cell: Cell) -> Cell:
    """The cell, with a leading ``'`` if a spreadsheet would read it as a formula."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell


def _table(header: Sequence[str], rows: Iterable[Sequence[Cell]], words: Localizer) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([words.pgettext(COLUMN_CONTEXT, name) for name in header])
    writer.writerows([_inert(cell) for cell in row] for row in rows)
    return out.getvalue()


def _money(amount: Decimal) -> str:
    return format(amount, "f")


def _percent(figure: Figure) -> str:
    percentage = figure.percentage
    return "" if percentage is None else f"{percentage:.2f}"


def _figures(f: DeliveryFigures) -> list[Cell]:
    return [
        f.recipients,
        f.cancelled,
        f.delivered.count,
        _percent(f.delivered),
        f.soft_bounces.count,
        _percent(f.soft_bounces),
        f.soft_bounces_never_sent,
        f.hard_bounces.count,
        _percent(f.hard_bounces),
        f.processing.count,
        _percent(f.processing),
        f.replies.count,
        _percent(f.replies),
        f.reply_messages,
        f.unsubscribes.count,
        _percent(f.unsubscribes),
        f.sent,
        f.segments_sent,
        f.submissions,
        f.retries,
        f.failed_submissions,
        f.segments_submitted,
    ]


def _optional_money(amount: Decimal | None) -> str:
    return "" if amount is None else _money(amount)


def campaign_report_files(report: CampaignReport, *, words: Localizer) -> dict[str, str]:
    """``summary.csv`` (one row), ``lists.csv`` (one row per list) and ``bounce_reasons.csv``."""
    summary = _table(
        SUMMARY_COLUMNS,
        [
            [
                report.campaign_id,
                report.campaign_name,
                report.sender,
                report.status.value,
                report.currency,
                _money(report.unit_price),
                *_figures(report.totals),
                report.pricing.value,
                _money(report.cost),
                _optional_money(report.first_send_cost),
                _optional_money(report.retry_cost),
                _money(report.bounced_cost),
                _money(report.avoidable_bounced_cost),
                *_compensable(report),
            ]
        ],
        words,
    )
    lists = _table(
        LIST_COLUMNS,
        (
            [
                item.list_id,
                *_figures(item.figures),
                report.currency,
                _money(item.cost),
                _money(item.bounced_cost),
            ]
            for item in report.lists
        ),
        words,
    )
    reasons = _table(
        REASON_COLUMNS,
        (
            [
                item.reason.value,
                item.kind.value,
                "true" if item.avoidable_by_sender else "false",
                item.recipients.count,
                _percent(item.recipients),
                item.sent,
                report.currency,
                _money(item.cost),
            ]
            for item in report.bounce_reasons
        ),
        words,
    )
    return {"summary.csv": summary, "lists.csv": lists, "bounce_reasons.csv": reasons}


#: How ``compensable_providers`` names the messages whose provider was not recorded.
NOT_RECORDED = "not_recorded"


def _compensable(report: CampaignReport) -> list[Cell]:
    """Count, cost, ``reason=count`` and ``provider=count`` pairs (joined by ``;``;
    ``not_recorded`` for messages whose provider is unknown) of the compensable soft bounces;
    empty cells when the report has none counted."""
    found = report.compensable
    if found is None:
        return ["", "", "", ""]
    reasons = ";".join(f"{reason.value}={count}" for reason, count in found.reasons)
    providers = ";".join(f"{name or NOT_RECORDED}={count}" for name, count in found.providers)
    return [found.count, _money(found.cost), reasons, providers]


def statistics_files(stats: GlobalStatistics, *, words: Localizer) -> dict[str, str]:
    """``campaigns.csv`` (one row per campaign), ``totals.csv`` (one row: the figures over
    every campaign) and ``costs.csv`` (one row per currency, never converted)."""
    campaigns = _table(
        CAMPAIGN_COLUMNS,
        (
            [
                row.campaign_id,
                row.campaign_name,
                row.sender,
                row.status.value,
                row.created_at_iso,
                *_figures(row.figures),
                row.currency,
                _money(row.cost),
                _money(row.retry_cost),
                _money(row.bounced_cost),
                row.compensable.count,
                _money(row.compensable.cost),
            ]
            for row in stats.rows
        ),
        words,
    )
    totals = _table(FIGURE_COLUMNS, [_figures(stats.totals)], words)
    costs = _table(
        COST_COLUMNS,
        (
            [
                currency,
                _money(amount),
                _money(stats.retry_cost_by_currency.get(currency, Decimal(0))),
                _money(stats.bounced_cost_by_currency.get(currency, Decimal(0))),
                _money(stats.compensable_cost_by_currency.get(currency, Decimal(0))),
            ]
            for currency, amount in sorted(stats.cost_by_currency.items())
        ),
        words,
    )
    return {"campaigns.csv": campaigns, "totals.csv": totals, "costs.csv": costs}


def timeline_files(
    timeline: Timeline, *, show_numbers: bool = False, words: Localizer
) -> dict[str, str]:
    """``history.csv``: one row per event (``at`` in ISO 8601 UTC, ``kind``, ``details`` as
    compact JSON), phone numbers in the details masked unless ``show_numbers``."""
    history = _table(
        HISTORY_COLUMNS,
        (
            [
                event.at.isoformat(),
                event.kind.value,
                json.dumps(
                    dict(event.details) if show_numbers else mask_numbers_in_data(event.details),
                    ensure_ascii=False,
                    separators=(",", ":"),
                ),
            ]
            for event in timeline.events
        ),
        words,
    )
    return {"history.csv": history}
