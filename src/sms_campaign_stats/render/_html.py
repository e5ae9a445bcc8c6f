"""HTML renderings: one self-contained document (inline CSS and SVG, no script, nothing
external, printable on A4), or a fragment for notebooks; in English or French.

Layout: headline tiles, then charts beside the tables they summarise. Every table sits in a
wrapper that scrolls sideways on a narrow screen, so the page itself never does; one-word cells
(ids, numbers, statuses) never wrap, texts (names, reasons, details) do. Red marks what needs
attention (an avoidable bounce, a rate at the default suspension policy's warning level), never
a zero. Every user-provided string (names, ids, sender, the message, history details) is
escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from sms_campaign_stats.render import _charts, _words
from sms_campaign_stats.render._charts import Ids
from sms_campaign_stats.render._i18n import Localizer
from sms_campaign_stats.render._text import (
    MAX_REGIONS,
    detail_items,
    message_summary,
    send_window,
)
from sms_campaign_stats.suspension import DEFAULT_THRESHOLDS, Metric

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
.scs *{box-sizing:border-box}
.scs h1{font-size:1.45rem;margin:0 0 .2rem;overflow-wrap:break-word}
.scs h2{font-size:1.12rem;margin:1.6rem 0 .5rem;border-bottom:1px solid #c8c8c8;
padding-bottom:.1rem}
.scs .lead{color:#4a4a4a;margin:0 0 .8rem;overflow-wrap:break-word}
.scs .tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(9.5rem,1fr));gap:.6rem;
margin:.8rem 0;padding:0;list-style:none}
.scs .tile{border:1px solid #d6d6d6;border-radius:.45rem;padding:.5rem .7rem;background:#f8f8f8}
.scs .tile .label{display:block;font-size:.85rem;color:#404040}
.scs .tile .value{display:block;font-size:1.5rem;font-weight:650;white-space:nowrap;
font-variant-numeric:tabular-nums}
.scs .tile .detail{display:block;font-size:.82rem;color:#555}
.scs .tile.attention{border-color:#b42318;background:#fef3f2}
.scs .attention{color:#b42318;font-weight:600}
.scs .table-wrap{overflow-x:auto;max-width:100%}
.scs table{border-collapse:collapse;margin:.3rem 0}
.scs th,.scs td{padding:.22rem .5rem;border-bottom:1px solid #e4e4e4;text-align:left;
vertical-align:top;white-space:nowrap}
.scs thead th{border-bottom:2px solid #9a9a9a;white-space:normal;vertical-align:bottom}
.scs .text{white-space:normal;min-width:5rem}
.scs .num{text-align:right;font-variant-numeric:tabular-nums}
.scs tr.total th,.scs tr.total td{font-weight:600;border-top:2px solid #9a9a9a}
.scs .note{color:#555;font-size:.9em}
.scs caption{text-align:left;caption-side:bottom;padding-top:.2rem}
.scs blockquote{margin:.3rem 0 .6rem;padding:.4rem .8rem;border-left:3px solid #9aa5b8;
background:#f6f7f9;white-space:pre-wrap;overflow-wrap:break-word}
.scs ul.details{margin:0;padding:0;list-style:none}
.scs ul.details li{overflow-wrap:anywhere}
.scs ul.details .key{color:#555}
.scs figure{margin:.5rem 0 .9rem}
.scs figcaption{font-size:.9em;color:#444;margin-bottom:.3rem}
.scs svg.bar{display:block;width:100%;height:1.1rem}
.scs svg.columns{display:block;width:100%;height:8rem}
.scs svg.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.3em;
vertical-align:-.05em}
.scs ul.legend{display:flex;flex-wrap:wrap;gap:.2rem 1rem;margin:.3rem 0 0;padding:0;
list-style:none;font-size:.88em}
.scs .bars{display:grid;grid-template-columns:minmax(3rem,max-content) minmax(3rem,1fr) auto;
gap:.25rem .6rem;align-items:center;max-width:48rem}
.scs .bars .label{overflow-wrap:anywhere;max-width:12rem}
.scs .bars .value{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.scs .axis{display:flex;justify-content:space-between;gap:1rem;font-size:.8em;color:#555}
@media (max-width:40rem){
.scs th,.scs td{padding:.2rem .35rem}
.scs .tile .value{font-size:1.3rem}
}
@media print{
@page{size:A4 portrait;margin:12mm}
.scs{max-width:none;font-size:9pt;color:#000}
.scs *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.scs .table-wrap{overflow:visible}
.scs table{font-size:8pt}
.scs th,.scs td{padding:.08rem .25rem}
.scs .text{min-width:4rem}
.scs h2{break-after:avoid}
.scs tr,.scs figure,.scs .tile,.scs .bars>*{break-inside:avoid}
.scs .tiles{grid-template-columns:repeat(4,1fr)}
.scs .tile .value{font-size:1.25rem}
.scs svg.columns{height:6rem}
}
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _num(value: str, *, css: str = "") -> str:
    extra = f" {css}" if css else ""
    return f'<td class="num{extra}">{_e(value)}</td>'


def _wraps(value: str) -> bool:
    """Whether a cell may wrap: only at the spaces of several words (an id, a number, a date
    or a hyphenated name is one word, kept on one line)."""
    return " " in value.strip()


def _cell(value: str) -> str:
    """A text cell: it wraps at its spaces only if it has several words."""
    return f'<td class="text">{_e(value)}</td>' if _wraps(value) else f"<td>{_e(value)}</td>"


def _table(
    header: Sequence[str],
    rows: Iterable[str],
    *,
    numeric: Iterable[int],
    caption: str = "",
) -> str:
    numeric = set(numeric)
    heads = "".join(
        f'<th scope="col" class="num">{_e(name)}</th>'
        if i in numeric
        else f'<th scope="col">{_e(name)}</th>'
        for i, name in enumerate(header)
    )
    body = "\n".join(rows)
    cap = f'<caption class="note">{_e(caption)}</caption>' if caption else ""
    return (
        f'<div class="table-wrap"><table>{cap}<thead><tr>{heads}</tr></thead>\n<tbody>\n{body}\n'
        "</tbody></table></div>"
    )


def _pairs(rows: Iterable[str]) -> str:
    """A table of label and value rows, without a header."""
    return '<div class="table-wrap"><table><tbody>\n' + "\n".join(rows) + "\n</tbody></table></div>"


def _row(label: str, cells: Iterable[str], *, css: str = "", head_css: str = "") -> str:
    attribute = f' class="{css}"' if css else ""
    classes = " ".join(filter(None, [head_css, "text" if _wraps(label) else ""]))
    head = f' class="{classes}"' if classes else ""
    return f'<tr{attribute}><th scope="row"{head}>{_e(label)}</th>{"".join(cells)}</tr>'


def _section(css: str, title: str, *parts: str) -> str:
    return f'<section class="{css}"><h2>{_e(title)}</h2>\n' + "\n".join(parts) + "\n</section>"


def _note(text: str) -> str:
    return f'<p class="note">{_e(text)}</p>'


# attention ----------------------------------------------------------------------------------

_WARN = {metric: levels.warn_at * 100 for metric, levels in DEFAULT_THRESHOLDS.items()}


def _needs_attention(figure: Figure, metric: Metric) -> bool:
    """A rate at or above the default suspension policy's warning level (never a zero)."""
    percentage = figure.percentage
    return bool(figure.count) and percentage is not None and percentage >= _WARN[metric]


# tiles --------------------------------------------------------------------------------------


def _tile(label: str, value: str, detail: str = "", *, attention: bool = False) -> str:
    css = "tile attention" if attention else "tile"
    more = f'<span class="detail">{_e(detail)}</span>' if detail else ""
    return (
        f'<li class="{css}"><span class="label">{_e(label)}</span>'
        f'<span class="value">{_e(value)}</span>{more}</li>'
    )


def _figure_tile(w: Localizer, label: str, figure: Figure, of: str, metric: Metric | None) -> str:
    attention = metric is not None and _needs_attention(figure, metric)
    return _tile(
        label,
        w.percent(figure.percentage),
        f"{w.integer(figure.count)} {of}",
        attention=attention,
    )


def _tiles(w: Localizer, t: DeliveryFigures, extra: Sequence[str] = ()) -> str:
    of_recipients, of_delivered = w._("of recipients"), w._("of delivered")
    tiles = [
        _tile(w._("Recipients"), w.integer(t.recipients)),
        _figure_tile(w, w._("Delivered"), t.delivered, of_recipients, None),
        _figure_tile(
            w, w._("Soft bounces"), t.soft_bounces, of_recipients, Metric.SOFT_BOUNCE_RATE
        ),
        _figure_tile(
            w, w._("Hard bounces"), t.hard_bounces, of_recipients, Metric.HARD_BOUNCE_RATE
        ),
        _figure_tile(w, w._("Processing"), t.processing, of_recipients, None),
        _figure_tile(w, w._("Replies"), t.replies, of_delivered, None),
        _figure_tile(w, w._("Unsubscribes"), t.unsubscribes, of_delivered, Metric.UNSUBSCRIBE_RATE),
        *extra,
    ]
    label = _e(w._("Key figures"))
    return f'<ul class="tiles" aria-label="{label}">' + "".join(tiles) + "</ul>"


# charts -------------------------------------------------------------------------------------


def _outcome_segments(w: Localizer, f: DeliveryFigures) -> list[_charts.Segment]:
    return [(name, _words.outcome(w, name), getattr(f, name).count) for name in _words.OUTCOMES]


def _share(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _describe(w: Localizer, f: DeliveryFigures) -> str:
    return "; ".join(
        f"{label}: {w.integer(value)} ({w.percent(_share(value, f.recipients))})"
        for _, label, value in _outcome_segments(w, f)
    )


def _outcomes_chart(ids: Ids, w: Localizer, t: DeliveryFigures) -> str:
    segments = _outcome_segments(w, t)
    caption = w._("Outcomes of the recipients")
    alternative = caption + ": " + _describe(w, t)
    return (
        '<figure class="chart">'
        f"<figcaption>{_e(caption)}</figcaption>"
        + _charts.bar(ids, alternative, segments)
        + _charts.legend([(key, label) for key, label, _ in segments])
        + "</figure>"
    )


def _percent_bars(
    ids: Ids, w: Localizer, caption: str, items: Sequence[tuple[str, DeliveryFigures]]
) -> str:
    """One 100 % bar per item (a list, a campaign): its outcomes as shares of its recipients."""
    rows = []
    for name, figures in items:
        alternative = f"{name}: {_describe(w, figures)}"
        rows.append(
            f'<span class="label">{_e(name)}</span>'
            + _charts.bar(ids, alternative, _outcome_segments(w, figures))
            + f'<span class="value">{_e(w.percent(figures.delivered.percentage))}</span>'
        )
    segments = _outcome_segments(w, items[0][1])
    return (
        f'<figure class="chart"><figcaption>{_e(caption)}</figcaption>'
        f'<div class="bars">{"".join(rows)}</div>'
        + _charts.legend([(key, label) for key, label, _ in segments])
        + "</figure>"
    )


def _reasons_chart(ids: Ids, w: Localizer, report: CampaignReport) -> str:
    peak = max(item.recipients.count for item in report.bounce_reasons)
    rows = []
    for item in report.bounce_reasons:
        words = _words.reason(w, item.reason)
        count = item.recipients.count
        key = "soft_bounces" if item.kind.value == "soft" else "hard_bounces"
        alternative = f"{words}: {w.integer(count)} ({w.percent(item.recipients.percentage)})"
        css = "label attention" if item.avoidable_by_sender else "label"
        rows.append(
            f'<span class="{css}">{_e(words)}</span>'
            + _charts.bar(ids, alternative, [(key, words, count)], total=peak)
            + f'<span class="value">{_e(w.integer(count))}</span>'
        )
    caption = w._("Bounce reasons, by number of recipients")
    return (
        f'<figure class="chart"><figcaption>{_e(caption)}</figcaption>'
        f'<div class="bars">{"".join(rows)}</div>'
        + _charts.legend(
            [("soft_bounces", w._("Soft bounces")), ("hard_bounces", w._("Hard bounces"))]
        )
        + "</figure>"
    )


def _time_chart(ids: Ids, w: Localizer, report: CampaignReport) -> str:
    assert report.activity is not None
    hours = [
        (item.start, (item.delivered, item.soft_bounces, item.hard_bounces))
        for item in report.activity.outcomes_per_hour
    ]
    size, rows = _charts.buckets(hours)
    keys = ("delivered", "soft_bounces", "hard_bounces")
    hours_per_column = int(size.total_seconds() // 3600)
    caption = w.ngettext(
        "Final outcomes per hour (UTC)", "Final outcomes per {count} hours (UTC)", hours_per_column
    ).format(count=w.integer(hours_per_column))
    described = "; ".join(
        f"{_charts.time_label(w, start, size)}: "
        + ", ".join(
            f"{_words.outcome(w, key)} {w.integer(value)}"
            for key, value in zip(keys, values, strict=True)
            if value
        )
        for start, values in rows
        if any(values)
    )
    peak = max(sum(values) for _, values in rows)
    first, last = rows[0][0], rows[-1][0]
    highest = w._("highest column: {count}").format(count=w.integer(peak))
    axis = (
        f'<div class="axis"><span>{_e(_charts.time_label(w, first, size))}</span>'
        f"<span>{_e(highest)}</span>"
        f"<span>{_e(_charts.time_label(w, last, size))}</span></div>"
    )
    return (
        f'<figure class="chart"><figcaption>{_e(caption)}</figcaption>'
        + _charts.columns(ids, f"{caption}: {described}", keys, rows)
        + axis
        + _charts.legend([(key, _words.outcome(w, key)) for key in keys])
        + "</figure>"
    )


# the report ---------------------------------------------------------------------------------


def _summary(w: Localizer, report: CampaignReport) -> str:
    t = report.totals
    rows = [
        _row(w._("Campaign"), [_cell(report.campaign_name)]),
        _row(w._("Campaign id"), [_cell(report.campaign_id)]),
        _row(w._("Sender"), [_cell(report.sender)]),
        _row(w._("Status"), [_cell(_words.campaign_status(w, report.status))]),
        _row(w._("Recipients"), [_cell(w.integer(t.recipients))]),
        _row(w._("Cancelled"), [_cell(w.integer(t.cancelled))]),
    ]
    if report.message is not None:
        rows.append(_row(w._("Message"), [_cell(message_summary(w, report))]))
    window = send_window(w, report)
    if window is not None:
        rows.append(_row(w._("Sent"), [_cell(window)]))
    parts = [f'<section class="summary">{_pairs(rows)}']
    if report.message is not None:
        parts.append(
            f'<blockquote class="message" lang="">{_e(report.message.content)}</blockquote>'
        )
    parts.append("</section>")
    return "\n".join(parts)


def _outcomes_section(ids: Ids, w: Localizer, report: CampaignReport) -> str:
    t = report.totals
    of_recipients, of_delivered = w._("of recipients"), w._("of delivered")
    rows = [
        _row(w._("Delivered"), [*_figure_cells(w, t.delivered), _cell(of_recipients)]),
        _row(
            w._("Soft bounces"),
            [*_figure_cells(w, t.soft_bounces), _cell(of_recipients)],
            css="attention" if _needs_attention(t.soft_bounces, Metric.SOFT_BOUNCE_RATE) else "",
        ),
    ]
    if t.soft_bounces_never_sent:
        never = t.soft_bounces_never_sent
        rows.append(
            _row(
                w._("of which never sent"),
                [
                    _num(w.integer(never)),
                    _num(w.percent(100.0 * never / t.recipients if t.recipients else None)),
                    _cell(of_recipients),
                ],
                head_css="sub",
            )
        )
    rows += [
        _row(
            w._("Hard bounces"),
            [*_figure_cells(w, t.hard_bounces), _cell(of_recipients)],
            css="attention" if _needs_attention(t.hard_bounces, Metric.HARD_BOUNCE_RATE) else "",
        ),
        _row(w._("Processing"), [*_figure_cells(w, t.processing), _cell(of_recipients)]),
        _row(w._("Replies"), [*_figure_cells(w, t.replies), _cell(of_delivered)]),
        _row(
            w._("Unsubscribes"),
            [*_figure_cells(w, t.unsubscribes), _cell(of_delivered)],
            css="attention" if _needs_attention(t.unsubscribes, Metric.UNSUBSCRIBE_RATE) else "",
        ),
        _row(w._("Reply messages"), [_num(w.integer(t.reply_messages)), _num(""), "<td></td>"]),
    ]
    caption = (
        w._(
            "Never sent: invalid numbers and landlines, counted as soft bounces; they cost nothing."
        )
        if t.soft_bounces_never_sent
        else ""
    )
    table = _table(
        (w._("outcome"), w._("count"), "%", w._("of")), rows, numeric=(1, 2), caption=caption
    )
    return _section("outcomes", w._("Delivery"), _outcomes_chart(ids, w, t), table)


def _figure_cells(w: Localizer, figure: Figure, *, attention: bool = False) -> list[str]:
    """A count and its percentage; in red with ``attention``, unless the count is zero."""
    css = "attention" if attention and figure.count else ""
    return [_num(w.integer(figure.count), css=css), _num(w.percent(figure.percentage), css=css)]


def _cost_section(w: Localizer, report: CampaignReport) -> str:
    currency = report.currency

    def amount(value: Decimal, css: str = "") -> str:
        return _num(w.money(value, currency), css=css)

    total, first, retries, failed = _words.cost_notes(w, report)

    def note(text: str) -> str:
        return _cell(text) if text else "<td></td>"

    rows = [
        _row(
            w._("Unit price (per segment)"),
            [_num(w.price(report.unit_price, currency)), "<td></td>"],
        ),
        _row(w._("Cost"), [amount(report.cost), note(total)]),
    ]
    if report.first_send_cost is not None:
        rows.append(_row(w._("first sends"), [amount(report.first_send_cost), note(first)]))
    if report.retry_cost is not None:
        rows.append(_row(w._("retries"), [amount(report.retry_cost), note(retries)]))
    avoidable = report.avoidable_bounced_cost
    rows += [
        _row(w._("Spent on bounced messages"), [amount(report.bounced_cost), note(failed)]),
        _row(
            w._("of which on avoidable bounces"),
            [
                amount(avoidable),
                _cell(w._("the sender could have prevented these bounces"))
                if avoidable
                else "<td></td>",
            ],
            css="attention" if avoidable else "",
        ),
    ]
    parts = [_pairs(rows)]
    if report.compensable is not None:
        parts.append(_compensable(w, report))
    return _section("cost", w._("Cost"), *parts)


def _compensable(w: Localizer, report: CampaignReport) -> str:
    found = report.compensable
    assert found is not None
    rows = [
        _row(
            w._("Compensable soft bounces"),
            [_num(w.integer(found.count)), _num(w.money(found.cost, report.currency))],
        )
    ]
    rows += [
        _row(_words.reason(w, reason), [_num(w.integer(n)), "<td></td>"])
        for reason, n in found.reasons
    ]
    rows += [
        _row(_words.provider(w, name), [_num(w.integer(n)), "<td></td>"])
        for name, n in found.providers
    ]
    title = w._("Compensable: soft bounces caused by the platform")
    claim = w._("What you may claim from the provider.")
    return f"<h3>{_e(title)}</h3>" + _pairs(rows) + _note(claim)


def _list_header(w: Localizer, first: str) -> tuple[str, ...]:
    return (
        first,
        w._("recipients"),
        w._("delivered"),
        "%",
        w._("soft bounces"),
        w._("hard bounces"),
        w._("processing"),
        w._("replies"),
        w._("unsubscribes"),
    )


def _list_cells(w: Localizer, f: DeliveryFigures) -> list[str]:
    return [
        _num(w.integer(f.recipients)),
        *_figure_cells(w, f.delivered),
        _num(w.integer(f.soft_bounces.count)),
        _num(w.integer(f.hard_bounces.count)),
        _num(w.integer(f.processing.count)),
        _num(w.integer(f.replies.count)),
        _num(w.integer(f.unsubscribes.count)),
    ]


def _lists_section(ids: Ids, w: Localizer, report: CampaignReport) -> str:
    title = w._("Per list")
    if not report.lists:
        return _section("lists", title, _note(w._("No lists.")))
    overlap = w._("A recipient in two lists counts in both.")
    chart = _percent_bars(
        ids,
        w,
        w._("Outcomes per list, in percent of the list's recipients"),
        [(item.list_id, item.figures) for item in report.lists],
    )
    figures = _table(
        _list_header(w, w._("list")),
        (_row(item.list_id, _list_cells(w, item.figures)) for item in report.lists),
        numeric=range(1, 9),
        caption=overlap,
    )
    money = report.currency
    costs = _table(
        (w._("list"), w._("cost"), w._("spent on bounces")),
        (
            _row(
                item.list_id,
                [_num(w.money(item.cost, money)), _num(w.money(item.bounced_cost, money))],
            )
            for item in report.lists
        ),
        numeric=(1, 2),
    )
    return _section("lists", title, chart, figures, costs)


def _reasons_section(ids: Ids, w: Localizer, report: CampaignReport) -> str:
    title = w._("Bounce reasons")
    if not report.bounce_reasons:
        return _section("reasons", title, _note(w._("No bounces.")))
    yes, no = w._("yes"), w._("no")
    table = _table(
        (w._("reason"), w._("kind"), w._("avoidable"), w._("count"), "%", w._("sent"), w._("cost")),
        (
            "<tr>"
            + (f'<th scope="row" class="text{" attention" if item.avoidable_by_sender else ""}">')
            + f"{_e(_words.reason(w, item.reason))}</th>"
            + "".join(
                [
                    _cell(_words.bounce_kind(w, item.kind)),
                    _cell(yes if item.avoidable_by_sender else no),
                    *_figure_cells(w, item.recipients, attention=item.avoidable_by_sender),
                    _num(w.integer(item.sent)),
                    _num(w.money(item.cost, report.currency)),
                ]
            )
            + "</tr>"
            for item in report.bounce_reasons
        ),
        numeric=range(3, 7),
        caption=w._("Avoidable: the sender could have prevented the bounce."),
    )
    return _section("reasons", title, _reasons_chart(ids, w, report), table)


def _time_section(ids: Ids, w: Localizer, report: CampaignReport) -> str:
    title = w._("Over time")
    activity = report.activity
    assert activity is not None
    if not activity.outcomes_per_hour:
        return _section("time", title, _note(w._("No outcome yet.")))
    return _section("time", title, _time_chart(ids, w, report))


def _regions_section(w: Localizer, report: CampaignReport) -> str:
    assert report.activity is not None
    regions = report.activity.regions
    title = w._("Per country")
    if not regions:
        return _section("countries", title, _note(w._("No recipients.")))
    shown, rest = regions[:MAX_REGIONS], regions[MAX_REGIONS:]
    rows = [
        _row(
            w.region(item.region),
            [
                _cell(item.region or "-"),
                _num(w.integer(item.recipients)),
                *_figure_cells(w, item.delivered),
                _num(w.integer(item.soft_bounces.count)),
                _num(w.integer(item.hard_bounces.count)),
                _num(w.integer(item.processing.count)),
            ],
        )
        for item in shown
    ]
    if rest:
        recipients = sum(item.recipients for item in rest)
        delivered = sum(item.delivered.count for item in rest)
        others = w.ngettext("{count} other region", "{count} other regions", len(rest))
        rows.append(
            _row(
                others.format(count=w.integer(len(rest))),
                [
                    "<td></td>",
                    _num(w.integer(recipients)),
                    _num(w.integer(delivered)),
                    _num(w.percent(100.0 * delivered / recipients if recipients else None)),
                    _num(w.integer(sum(item.soft_bounces.count for item in rest))),
                    _num(w.integer(sum(item.hard_bounces.count for item in rest))),
                    _num(w.integer(sum(item.processing.count for item in rest))),
                ],
            )
        )
    table = _table(
        (
            w._("country"),
            w._("code"),
            w._("recipients"),
            w._("delivered"),
            "%",
            w._("soft bounces"),
            w._("hard bounces"),
            w._("processing"),
        ),
        rows,
        numeric=range(2, 8),
        caption=w._("The country of the recipient's number."),
    )
    return _section("countries", title, table)


def _history_section(w: Localizer, timeline: Timeline, show_numbers: bool) -> str:
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
            f"<td>{_e(_words.event_kind(w, event.kind))}</td>"
            f'<td class="text">{details}</td></tr>'
        )
    table = (
        _table((w._("time (UTC)"), w._("event"), w._("details")), rows, numeric=())
        if rows
        else _note(w._("No events."))
    )
    return _section("history", w._("History"), table)


def campaign_report_html(
    report: CampaignReport,
    history: Timeline | None = None,
    *,
    show_numbers: bool = False,
    words: Localizer,
) -> str:
    """The report (and its history if given) as an HTML fragment in a ``<div class="scs">``."""
    w, ids = words, Ids()
    cost_tile = _tile(
        w._("Cost"),
        w.money(report.cost, report.currency),
        w.ngettext("{count} message sent", "{count} messages sent", report.totals.sent).format(
            count=w.integer(report.totals.sent)
        ),
    )
    lead = " · ".join(
        [
            report.campaign_id,
            w._("sender {sender}").format(sender=report.sender),
            _words.campaign_status(w, report.status),
        ]
    )
    title = w._("Campaign report: {name}").format(name=report.campaign_name)
    parts = [
        f'<div class="scs" lang="{w.language}">',
        f"<h1>{_e(title)}</h1>",
        f'<p class="lead">{_e(lead)}</p>',
        _tiles(w, report.totals, [cost_tile]),
        _summary(w, report),
        _outcomes_section(ids, w, report),
    ]
    if report.activity is not None:
        parts += [_time_section(ids, w, report), _regions_section(w, report)]
    parts += [
        _lists_section(ids, w, report),
        _reasons_section(ids, w, report),
        _cost_section(w, report),
    ]
    if history is not None:
        parts.append(_history_section(w, history, show_numbers))
    parts.append("</div>")
    return "\n".join(parts)


def statistics_html(stats: GlobalStatistics, *, words: Localizer) -> str:
    """Global statistics as an HTML fragment: tiles, a chart per campaign, the campaigns, their
    figures (then the totals) and their costs."""
    w, ids = words, Ids()
    costs = sorted(stats.cost_by_currency.items())
    cost_tiles = [
        _tile(
            w._("Cost"),
            w.money(amount, currency),
            w._("{amount} on bounces").format(
                amount=w.money(stats.bounced_cost_by_currency.get(currency, Decimal(0)), currency)
            ),
        )
        for currency, amount in costs
    ]
    count = len(stats.rows)
    title = w.ngettext(
        "Campaign statistics: {count} campaign", "Campaign statistics: {count} campaigns", count
    ).format(count=w.integer(count))
    parts = [
        f'<div class="scs" lang="{w.language}">',
        f"<h1>{_e(title)}</h1>",
        _tiles(w, stats.totals, cost_tiles),
    ]
    campaigns_title = w._("Campaigns")
    if not stats.rows:
        parts.append(_section("campaigns", campaigns_title, _note(w._("No campaigns."))))
    else:
        chart = _percent_bars(
            ids,
            w,
            w._("Outcomes per campaign, in percent of its recipients"),
            [(row.campaign_id, row.figures) for row in stats.rows],
        )
        about = _table(
            (w._("campaign"), w._("name"), w._("status"), w._("created")),
            (
                _row(
                    row.campaign_id,
                    [
                        _cell(row.campaign_name),
                        _cell(_words.campaign_status(w, row.status)),
                        _cell(row.created_at_iso[:10]),
                    ],
                )
                for row in stats.rows
            ),
            numeric=(),
        )
        figures = _table(
            _list_header(w, w._("campaign")),
            [_row(row.campaign_id, _list_cells(w, row.figures)) for row in stats.rows]
            + [_row(w._("All campaigns"), _list_cells(w, stats.totals), css="total")],
            numeric=range(1, 9),
        )
        money = _table(
            (
                w._("campaign"),
                w._("cost"),
                w._("retries"),
                w._("spent on bounces"),
                w._("Compensable soft bounces"),
                w._("their cost"),
            ),
            (
                _row(
                    row.campaign_id,
                    [
                        _num(w.money(row.cost, row.currency)),
                        _num(w.money(row.retry_cost, row.currency)),
                        _num(w.money(row.bounced_cost, row.currency)),
                        _num(w.integer(row.compensable.count)),
                        _num(w.money(row.compensable.cost, row.currency)),
                    ],
                )
                for row in stats.rows
            ),
            numeric=(1, 2, 3, 4, 5),
        )
        parts.append(_section("campaigns", campaigns_title, chart, about, figures, money))
    per_currency = [
        _row(
            currency,
            [
                _num(w.money(amount, currency)),
                _num(w.money(stats.retry_cost_by_currency.get(currency, Decimal(0)), currency)),
                _num(w.money(stats.bounced_cost_by_currency.get(currency, Decimal(0)), currency)),
                _num(
                    w.money(stats.compensable_cost_by_currency.get(currency, Decimal(0)), currency)
                ),
            ],
        )
        for currency, amount in costs
    ]
    parts.append(
        _section(
            "cost",
            w._("Cost per currency"),
            _table(
                (
                    w._("currency"),
                    w._("cost"),
                    w._("retries"),
                    w._("spent on bounces"),
                    w._("compensable"),
                ),
                per_currency,
                numeric=(1, 2, 3, 4),
                caption=w._("Never converted."),
            )
            if per_currency
            else _note(w._("No cost.")),
        )
    )
    parts.append("</div>")
    return "\n".join(parts)


def timeline_html(timeline: Timeline, *, show_numbers: bool = False, words: Localizer) -> str:
    """A campaign's history as an HTML fragment."""
    w = words
    title = w._("History of {name} ({id})").format(
        name=timeline.campaign_name, id=timeline.campaign_id
    )
    return "\n".join(
        [
            f'<div class="scs" lang="{w.language}">',
            f"<h1>{_e(title)}</h1>",
            _history_section(w, timeline, show_numbers),
            "</div>",
        ]
    )


def document(title: str, fragment: str, *, words: Localizer) -> str:
    """A complete, self-contained HTML5 document around ``fragment``."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{words.language}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>\n{CSS}body{{margin:1rem}}\n"
        "@media print{body{margin:0}}\n</style>\n</head>\n<body>\n"
        f"{fragment}\n</body>\n</html>\n"
    )


def with_style(fragment: str) -> str:
    """A fragment with its scoped style sheet, for a notebook cell."""
    return f"<style>\n{CSS}</style>\n{fragment}"
