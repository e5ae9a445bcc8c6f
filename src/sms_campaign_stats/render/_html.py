"""HTML renderings: one self-contained document (inline CSS, no script, no external resource,
printable), or a fragment for notebooks.

Every user-provided string (names, ids, sender, history details) is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Container, Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from sms_campaign_stats.render._text import _money, _percent, detail_items

if TYPE_CHECKING:
    from sms_campaign_stats.reports import (
        CampaignReport,
        DeliveryFigures,
        Figure,
        GlobalStatistics,
        Timeline,
    )

__all__ = [
    "CSS",
    "campaign_report_html",
    "document",
    "statistics_html",
    "timeline_html",
    "with_style",
]

#: The one style sheet, scoped to ``.scs`` so that a fragment does not restyle a notebook.
CSS = """\
.scs{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
color:#1b1b1b;line-height:1.4;max-width:72rem}
.scs h1{font-size:1.4rem;margin:0 0 .6rem}
.scs h2{font-size:1.1rem;margin:1.4rem 0 .4rem;border-bottom:1px solid #c8c8c8}
.scs table{border-collapse:collapse;margin:.3rem 0}
.scs th,.scs td{padding:.2rem .6rem;border-bottom:1px solid #e4e4e4;text-align:left;
vertical-align:top}
.scs thead th{border-bottom:2px solid #9a9a9a}
.scs .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.scs tr.total th,.scs tr.total td{font-weight:600;border-top:2px solid #9a9a9a}
.scs .avoidable{color:#9b1c1c;font-weight:600}
.scs .note{color:#555;font-size:.9em}
.scs ul.details{margin:0;padding:0;list-style:none}
.scs ul.details .key{color:#555}
.scs td,.scs th{overflow-wrap:anywhere}
@media print{
@page{margin:1.5cm}
.scs{max-width:none;font-size:10pt;color:#000}
.scs h2{break-after:avoid}
.scs tr{break-inside:avoid}
.scs .avoidable{color:#000}
}
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _num(value: int | str) -> str:
    shown = f"{value:,}" if isinstance(value, int) else value
    return f'<td class="num">{_e(shown)}</td>'


def _table(
    header: Sequence[str], rows: Iterable[str], *, numeric: Container[int], caption: str = ""
) -> str:
    heads = "".join(
        f'<th scope="col" class="num">{_e(name)}</th>'
        if i in numeric
        else f'<th scope="col">{_e(name)}</th>'
        for i, name in enumerate(header)
    )
    body = "\n".join(rows)
    cap = f'<caption class="note">{_e(caption)}</caption>' if caption else ""
    return f"<table>{cap}<thead><tr>{heads}</tr></thead>\n<tbody>\n{body}\n</tbody></table>"


def _row(label: str, cells: Iterable[str], *, css: str = "") -> str:
    attribute = f' class="{css}"' if css else ""
    return f'<tr{attribute}><th scope="row">{_e(label)}</th>{"".join(cells)}</tr>'


def _figure_cells(figure: Figure) -> list[str]:
    return [_num(figure.count), _num(_percent(figure))]


#: The headers of ``_list_cells``, and of the two costs that follow them in a row.
_LIST_HEADERS = (
    "recipients",
    "delivered",
    "%",
    "soft bounces",
    "hard bounces",
    "processing",
    "replies",
    "unsubscribes",
)
_COST_HEADERS = ("cost", "spent on bounces")


def _list_cells(f: DeliveryFigures) -> list[str]:
    return [
        _num(f.recipients),
        *_figure_cells(f.delivered),
        _num(f.soft_bounces.count),
        _num(f.hard_bounces.count),
        _num(f.processing.count),
        _num(f.replies.count),
        _num(f.unsubscribes.count),
    ]


def _history_section(timeline: Timeline, show_numbers: bool) -> str:
    rows = []
    for event in timeline.events:
        items = detail_items(event.details, show_numbers=show_numbers)
        details = (
            '<ul class="details">'
            + "".join(
                f'<li><span class="key">{_e(key)}</span>: {_e(value)}</li>' for key, value in items
            )
            + "</ul>"
            if items
            else ""
        )
        rows.append(
            f'<tr><td class="num">{_e(f"{event.at:%Y-%m-%d %H:%M:%S}")}</td>'
            f"<td>{_e(event.kind.value)}</td><td>{details}</td></tr>"
        )
    table = (
        _table(("time (UTC)", "event", "details"), rows, numeric=())
        if rows
        else '<p class="note">No events.</p>'
    )
    return f'<section class="history"><h2>History</h2>\n{table}\n</section>'


def campaign_report_html(
    report: CampaignReport, history: Timeline | None = None, *, show_numbers: bool = False
) -> str:
    """The report (and its history if given) as an HTML fragment in a ``<div class="scs">``."""
    t = report.totals
    money = report.currency

    def amount(value: Decimal) -> str:
        return _num(_money(value, money))

    summary = "\n".join(
        f'<tr><th scope="row">{_e(label)}</th><td>{_e(value)}</td></tr>'
        for label, value in (
            ("Campaign", report.campaign_name),
            ("Campaign id", report.campaign_id),
            ("Sender", report.sender),
            ("Status", report.status.value),
            ("Recipients", f"{t.recipients:,}"),
            ("Cancelled", f"{t.cancelled:,}"),
        )
    )
    outcomes = [
        _row(label, [*_figure_cells(figure), f"<td>{of}</td>"])
        for label, figure, of in (
            ("Delivered", t.delivered, "of recipients"),
            ("Soft bounces", t.soft_bounces, "of recipients"),
            ("Hard bounces", t.hard_bounces, "of recipients"),
            ("Processing", t.processing, "of recipients"),
            ("Replies", t.replies, "of delivered"),
            ("Unsubscribes", t.unsubscribes, "of delivered"),
        )
    ]
    outcomes.append(_row("Reply messages", [_num(t.reply_messages), _num(""), "<td></td>"]))
    cost = "\n".join(
        [
            _row("Unit price (per segment)", [amount(report.unit_price)]),
            _row(f"Sent: {t.sent:,} messages, {t.segments_sent:,} segments", [amount(report.cost)]),
            _row("Spent on bounced messages", [amount(report.bounced_cost)]),
            _row(
                "of which on avoidable bounces",
                [amount(report.avoidable_bounced_cost)],
                css="avoidable",
            ),
        ]
    )
    parts = [
        '<div class="scs">',
        f"<h1>Campaign report: {_e(report.campaign_name)}</h1>",
        f'<section class="summary"><table><tbody>\n{summary}\n</tbody></table></section>',
        '<section class="outcomes"><h2>Delivery</h2>',
        _table(("outcome", "count", "%", "of"), outcomes, numeric=(1, 2)),
        "</section>",
        f'<section class="cost"><h2>Cost</h2><table><tbody>\n{cost}\n</tbody></table></section>',
        '<section class="lists"><h2>Per list</h2>',
    ]
    if report.lists:
        parts.append(
            _table(
                ("list", *_LIST_HEADERS, *_COST_HEADERS),
                (
                    _row(
                        item.list_id,
                        [*_list_cells(item.figures), amount(item.cost), amount(item.bounced_cost)],
                    )
                    for item in report.lists
                ),
                numeric=range(1, 11),
                caption="A recipient in two lists counts in both.",
            )
        )
    else:
        parts.append('<p class="note">No lists.</p>')
    parts += ["</section>", '<section class="reasons"><h2>Bounce reasons</h2>']
    if report.bounce_reasons:
        parts.append(
            _table(
                ("reason", "kind", "avoidable", "count", "%", "sent", "cost"),
                (
                    _row(
                        item.reason.value,
                        [
                            f"<td>{_e(item.kind.value)}</td>",
                            '<td class="avoidable">yes</td>'
                            if item.avoidable_by_sender
                            else "<td>no</td>",
                            *_figure_cells(item.recipients),
                            _num(item.sent),
                            amount(item.cost),
                        ],
                        css="avoidable" if item.avoidable_by_sender else "",
                    )
                    for item in report.bounce_reasons
                ),
                numeric=range(3, 7),
                caption="Avoidable: the sender could have prevented the bounce.",
            )
        )
    else:
        parts.append('<p class="note">No bounces.</p>')
    parts.append("</section>")
    if history is not None:
        parts.append(_history_section(history, show_numbers))
    parts.append("</div>")
    return "\n".join(parts)


def statistics_html(stats: GlobalStatistics) -> str:
    """Global statistics as an HTML fragment: one row per campaign, then the totals."""
    header = ("campaign", "name", "status", *_LIST_HEADERS, *_COST_HEADERS)
    rows = [
        _row(
            row.campaign_id,
            [
                f"<td>{_e(row.campaign_name)}</td>",
                f"<td>{_e(row.status.value)}</td>",
                *_list_cells(row.figures),
                _num(_money(row.cost, row.currency)),
                _num(_money(row.bounced_cost, row.currency)),
            ],
        )
        for row in stats.rows
    ]
    rows.append(
        _row(
            "All campaigns",
            ["<td></td>", "<td></td>", *_list_cells(stats.totals), _num(""), _num("")],
            css="total",
        )
    )
    costs = [
        _row(
            currency,
            [
                _num(_money(amount, currency)),
                _num(_money(stats.bounced_cost_by_currency.get(currency, Decimal(0)), currency)),
            ],
        )
        for currency, amount in sorted(stats.cost_by_currency.items())
    ]
    parts = [
        '<div class="scs">',
        f"<h1>Campaign statistics: {len(stats.rows):,} campaigns</h1>",
        '<section class="campaigns"><h2>Campaigns</h2>',
        _table(header, rows, numeric=range(3, 13)),
        "</section>",
        '<section class="cost"><h2>Cost per currency</h2>',
        _table(
            ("currency", "cost", "spent on bounces"),
            costs,
            numeric=(1, 2),
            caption="Never converted.",
        )
        if costs
        else '<p class="note">No cost.</p>',
        "</section>",
        "</div>",
    ]
    return "\n".join(parts)


def timeline_html(timeline: Timeline, *, show_numbers: bool = False) -> str:
    """A campaign's history as an HTML fragment."""
    return "\n".join(
        [
            '<div class="scs">',
            f"<h1>History of {_e(timeline.campaign_name)} ({_e(timeline.campaign_id)})</h1>",
            _history_section(timeline, show_numbers),
            "</div>",
        ]
    )


def document(title: str, fragment: str) -> str:
    """A complete, self-contained HTML5 document around ``fragment``."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>\n{CSS}body{{margin:1.5rem}}\n"
        "@media print{body{margin:0}}\n</style>\n</head>\n<body>\n"
        f"{fragment}\n</body>\n</html>\n"
    )


def with_style(fragment: str) -> str:
    """A fragment with its scoped style sheet, for a notebook cell."""
    return f"<style>\n{CSS}</style>\n{fragment}"
