"""DataFrames and plots for exploring campaigns in a notebook (the optional ``notebook`` extra).

pandas and matplotlib are imported when a function needs them, never when this module (or the
package) is imported; without them a function raises ``OptionalDependencyError`` saying what to
install. Frames keep the library's exact values (counts, unrounded percentages, ``Decimal``
money, UTC timestamps); phone numbers are masked unless ``show_numbers=True``. Plots are drawn
with matplotlib's object API on a new ``Figure`` (or into the ``ax`` given) and returned: nothing
is shown, saved, or left open in pyplot. Every axis is labelled in words, in English or in
French (``locale="fr"``: the reports' catalogs); a frame's columns are the CSV files' names.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sms_campaign_stats._core.privacy import mask_number, mask_numbers_in
from sms_campaign_stats.errors import OptionalDependencyError, ValidationError
from sms_campaign_stats.lifecycle._statuses import MessageStatus
from sms_campaign_stats.model import Message
from sms_campaign_stats.render._csv import CAMPAIGN_COLUMNS
from sms_campaign_stats.render._i18n import N_, Localizer, localizer
from sms_campaign_stats.reports import CampaignReport, DeliveryFigures, GlobalStatistics, Timeline
from sms_campaign_stats.reports import Figure as Figure_

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "FIGURE_NAMES",
    "OUTCOME_COLORS",
    "messages_frame",
    "plot_delivery_times",
    "plot_outcomes_over_time",
    "plot_outcomes_per_list",
    "report_frames",
    "statistics_frame",
    "timeline_frame",
]

#: The rows of the ``summary`` frame, in order: the four outcomes (of recipients), then
#: replies and unsubscribes (of delivered).
FIGURE_NAMES = (
    "delivered",
    "soft_bounces",
    "hard_bounces",
    "processing",
    "replies",
    "unsubscribes",
)

#: The colour each outcome is drawn in, the same in every plot.
OUTCOME_COLORS: Mapping[str, str] = {
    "delivered": "#2a9d8f",
    "soft_bounces": "#e9c46a",
    "hard_bounces": "#e76f51",
    "processing": "#8d99ae",
    "cancelled": "#6c757d",
}

_OUTCOME_LABELS = {
    "delivered": N_("Delivered"),
    "soft_bounces": N_("Soft bounces"),
    "hard_bounces": N_("Hard bounces"),
    "processing": N_("Processing"),
    "cancelled": N_("Cancelled"),
}

_FINAL_OUTCOMES = {
    MessageStatus.DELIVERED: "delivered",
    MessageStatus.SOFT_BOUNCE: "soft_bounces",
    MessageStatus.HARD_BOUNCE: "hard_bounces",
    MessageStatus.CANCELLED: "cancelled",
}

# Histogram units: the first whose threshold exceeds the longest delay (in seconds).
_TIME_UNITS = (
    (120.0, 1.0, N_("seconds"), "s"),
    (2 * 3600.0, 60.0, N_("minutes"), "min"),
    (48 * 3600.0, 3600.0, N_("hours"), "h"),
)
_DAY = (86400.0, N_("days"), "d")
_LOG_SPAN = 100.0

_FIGURE_SIZE = (8.0, 4.5)


@contextmanager
def _optional(package: str) -> Iterator[None]:
    """Turn a failed import of an optional package into ``OptionalDependencyError``."""
    try:
        yield
    except ImportError as error:
        missing = (error.name or package).partition(".")[0]  # the distribution, not a submodule
        raise OptionalDependencyError(missing) from error


# -- frames -----------------------------------------------------------------------------------


def _figure_columns(figures: DeliveryFigures) -> dict[str, Any]:
    """The columns of a ``DeliveryFigures``: counts, and percentages as ``<name>_percent``."""
    columns: dict[str, Any] = {"recipients": figures.recipients}
    for name in FIGURE_NAMES:
        figure = getattr(figures, name)
        columns[name] = figure.count
        columns[f"{name}_percent"] = figure.percentage
    columns.update(
        soft_bounces_never_sent=figures.soft_bounces_never_sent,
        cancelled=figures.cancelled,
        reply_messages=figures.reply_messages,
        sent=figures.sent,
        segments_sent=figures.segments_sent,
        submissions=figures.submissions,
        retries=figures.retries,
        failed_submissions=figures.failed_submissions,
        segments_submitted=figures.segments_submitted,
    )
    return columns


_FIGURE_COLUMNS = tuple(_figure_columns(DeliveryFigures.from_cells((), ())))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts as int64 and percentages as float (NaN for no base), also when the frame is empty
    or a column holds only ``None``."""
    for column in frame.columns:
        if column == "percent" or column.endswith("_percent"):
            frame[column] = frame[column].astype(float)
        elif column in ("count", "compensable_count") or column in _FIGURE_COLUMNS:
            frame[column] = frame[column].astype("int64")
    return frame


def report_frames(report: CampaignReport) -> dict[str, pd.DataFrame]:
    """A campaign report as six DataFrames.

    * ``"summary"``: one row per figure of ``FIGURE_NAMES`` (the index), with ``count``,
      ``base`` (recipients, or delivered for replies and unsubscribes) and ``percent``
      (unrounded; NaN when the base is zero);
    * ``"lists"``: one row per list (index ``list_id``, in the report's order) with the list's
      figures as columns (``delivered``, ``delivered_percent``, ..., ``sent``, ``segments_sent``),
      ``cost`` and ``bounced_cost`` (exact ``Decimal``);
    * ``"bounce_reasons"``: one row per reason (index ``reason``, most frequent first) with
      ``kind``, ``avoidable_by_sender``, ``count``, ``percent`` (of recipients), ``sent`` and
      ``cost``;
    * ``"costs"``: one row per money figure (index ``figure``: ``cost``, ``first_sends``,
      ``retries``, ``bounced``, ``avoidable_bounced``, ``compensable``) with ``amount`` (exact
      ``Decimal``, ``None`` when not counted) and ``currency``; the pricing is the frame's
      ``attrs["pricing"]``;
    * ``"compensable"``: the compensable soft bounces (caused by the platform's own fault), one
      row per reason (index ``reason``) with ``count``;
    * ``"compensable_providers"``: the same soft bounces, one row per provider (index
      ``provider``: the one whose report decided each message; ``None`` when not recorded)
      with ``count``.
    """
    with _optional("pandas"):
        import pandas as pd

    figures: list[Figure_] = [getattr(report.totals, name) for name in FIGURE_NAMES]
    summary = pd.DataFrame(
        {
            "count": [figure.count for figure in figures],
            "base": [figure.base for figure in figures],
            "percent": [figure.percentage for figure in figures],
        },
        index=pd.Index(FIGURE_NAMES, name="figure"),
    )
    summary = _typed(summary)
    summary["base"] = summary["base"].astype("int64")
    lists = pd.DataFrame(
        [
            {
                "list_id": item.list_id,
                **_figure_columns(item.figures),
                "cost": item.cost,
                "bounced_cost": item.bounced_cost,
            }
            for item in report.lists
        ],
        columns=["list_id", *_FIGURE_COLUMNS, "cost", "bounced_cost"],
    ).set_index("list_id")
    lists = _typed(lists)
    reasons = pd.DataFrame(
        [
            (
                item.reason.value,
                item.kind.value,
                item.avoidable_by_sender,
                item.recipients.count,
                item.recipients.percentage,
                item.sent,
                item.cost,
            )
            for item in report.bounce_reasons
        ],
        columns=["reason", "kind", "avoidable_by_sender", "count", "percent", "sent", "cost"],
    ).set_index("reason")
    reasons = _typed(reasons)
    reasons["avoidable_by_sender"] = reasons["avoidable_by_sender"].astype(bool)
    reasons["sent"] = reasons["sent"].astype("int64")
    found = report.compensable
    amounts = {
        "cost": report.cost,
        "first_sends": report.first_send_cost,
        "retries": report.retry_cost,
        "bounced": report.bounced_cost,
        "avoidable_bounced": report.avoidable_bounced_cost,
        "compensable": None if found is None else found.cost,
    }
    costs = pd.DataFrame(
        {"amount": list(amounts.values()), "currency": report.currency},
        index=pd.Index(list(amounts), name="figure"),
    )
    costs.attrs["pricing"] = report.pricing.value
    compensable = pd.DataFrame(
        [(reason.value, count) for reason, count in (() if found is None else found.reasons)],
        columns=["reason", "count"],
    ).set_index("reason")
    compensable = _typed(compensable)
    by_provider = () if found is None else found.providers
    providers = _typed(
        pd.DataFrame(
            {"count": [count for _, count in by_provider]},
            index=pd.Index([name for name, _ in by_provider], name="provider", dtype=object),
        )
    )
    return {
        "summary": summary,
        "lists": lists,
        "bounce_reasons": reasons,
        "costs": costs,
        "compensable": compensable,
        "compensable_providers": providers,
    }


def statistics_frame(stats: GlobalStatistics) -> pd.DataFrame:
    """Global statistics as one row per campaign (index ``campaign_id``, oldest first).

    Columns: ``campaign_name``, ``sender``, ``status``, ``created_at`` (UTC timestamp), the
    figures as in ``report_frames``'s ``"lists"``, ``currency``, ``cost``, ``retry_cost`` and
    ``bounced_cost`` (``Decimal``, in the campaign's currency: sum them per currency, never
    across), ``compensable_count`` and ``compensable_cost`` (the soft bounces caused by the
    platform's own fault).
    """
    with _optional("pandas"):
        import pandas as pd

    frame = pd.DataFrame(
        [
            {
                "campaign_id": row.campaign_id,
                "campaign_name": row.campaign_name,
                "sender": row.sender,
                "status": row.status.value,
                "created_at": row.created_at_iso,
                **_figure_columns(row.figures),
                "currency": row.currency,
                "cost": row.cost,
                "retry_cost": row.retry_cost,
                "bounced_cost": row.bounced_cost,
                "compensable_count": row.compensable.count,
                "compensable_cost": row.compensable.cost,
            }
            for row in stats.rows
        ],
        columns=list(CAMPAIGN_COLUMNS),  # campaigns.csv's columns, in its order
    )
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    indexed: pd.DataFrame = frame.set_index("campaign_id")
    return _typed(indexed)


def timeline_frame(timeline: Timeline, *, show_numbers: bool = False) -> pd.DataFrame:
    """A campaign's history: one row per event, in order, with ``at`` (UTC timestamp), ``kind``
    and ``details`` (the event's details as JSON text; phone numbers in it masked unless
    ``show_numbers``)."""
    with _optional("pandas"):
        import pandas as pd

    rows = []
    for event in timeline.events:
        details = json.dumps(dict(event.details), ensure_ascii=False)
        rows.append(
            (event.at, event.kind.value, details if show_numbers else mask_numbers_in(details))
        )
    frame: pd.DataFrame = pd.DataFrame(rows, columns=["at", "kind", "details"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


def _delivery_seconds(message: Message) -> float | None:
    """Seconds from the first submission to delivery, for a delivered message."""
    if (
        message.status is MessageStatus.DELIVERED
        and message.submitted_at is not None
        and message.final_at is not None
    ):
        return (message.final_at - message.submitted_at).total_seconds()
    return None


def messages_frame(messages: Iterable[Message], *, show_numbers: bool = False) -> pd.DataFrame:
    """One row per message (index ``id``), for exploring a store's messages
    (``messages_frame(store.iter_messages(campaign_id))``).

    Columns: ``recipient`` (masked unless ``show_numbers``), ``lists`` (a tuple of list ids:
    ``frame.explode("lists")`` gives one row per message and list), ``status``,
    ``bounce_reason`` (``None`` when there is none), ``sent``, ``attempts`` (how many),
    ``segments``, ``queued_at``, ``submitted_at`` (the first submission), ``final_at`` (UTC
    timestamps, NaT when not yet) and ``delivery_seconds`` (first submission to delivery, for
    delivered messages; NaN otherwise).
    """
    with _optional("pandas"):
        import pandas as pd

    rows = [
        (
            message.id,
            message.recipient if show_numbers else mask_number(message.recipient),
            message.list_ids,
            message.status.value,
            None if message.bounce_reason is None else message.bounce_reason.value,
            message.sent,
            len(message.attempts),
            message.segments,
            message.queued_at,
            message.submitted_at,
            message.final_at,
            _delivery_seconds(message),
        )
        for message in messages
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "id",
            "recipient",
            "lists",
            "status",
            "bounce_reason",
            "sent",
            "attempts",
            "segments",
            "queued_at",
            "submitted_at",
            "final_at",
            "delivery_seconds",
        ],
    )
    for column in ("queued_at", "submitted_at", "final_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["sent"] = frame["sent"].astype(bool)
    frame["attempts"] = frame["attempts"].astype("int64")
    frame["segments"] = frame["segments"].astype("int64")
    frame["delivery_seconds"] = frame["delivery_seconds"].astype(float)
    indexed: pd.DataFrame = frame.set_index("id")
    return indexed


# -- plots ------------------------------------------------------------------------------------


def _canvas(ax: Axes | None) -> tuple[Figure, Axes]:
    """A new figure with one axes, or the figure ``ax`` belongs to."""
    with _optional("matplotlib"):
        from matplotlib.figure import Figure, SubFigure

    if ax is None:
        figure = Figure(figsize=_FIGURE_SIZE, layout="constrained")
        return figure, figure.add_subplot()
    parent = ax.figure
    root = parent.figure if isinstance(parent, SubFigure) else parent
    assert isinstance(root, Figure)
    return root, ax


def _no_data(figure: Figure, ax: Axes, title: str, words: Localizer) -> Figure:
    ax.set_title(title)
    ax.text(
        0.5, 0.5, words._("No data"), transform=ax.transAxes, ha="center", va="center", color="gray"
    )
    ax.set_xticks([])
    ax.set_yticks([])
    return figure


def plot_outcomes_per_list(
    report: CampaignReport,
    *,
    ax: Axes | None = None,
    horizontal: bool = True,
    percent: bool = False,
    locale: str | None = None,
) -> Figure:
    """Stacked bars, one per list: delivered, soft bounces, hard bounces, processing, as counts
    of the list's recipients or, with ``percent=True``, as percentages of them (each bar then
    reaches 100, so lists of different sizes compare). Horizontal bars by default;
    ``horizontal=False`` stands them up. Labels in English or ``locale="fr"``."""
    words = localizer(locale)
    figure, ax = _canvas(ax)
    title = words._("Outcomes per list: {name}").format(name=report.campaign_name)
    lists = [item for item in report.lists if item.figures.recipients]
    if not lists:
        return _no_data(figure, ax, title, words)
    names = [item.list_id for item in lists]
    positions = list(range(len(lists)))
    base = [0.0] * len(lists)
    for outcome in ("delivered", "soft_bounces", "hard_bounces", "processing"):
        values = [
            float(getattr(item.figures, outcome).count)
            * (100.0 / item.figures.recipients if percent else 1.0)
            for item in lists
        ]
        color, label = OUTCOME_COLORS[outcome], words._(_OUTCOME_LABELS[outcome])
        if horizontal:
            ax.barh(positions, values, left=base, color=color, label=label)
        else:
            ax.bar(positions, values, bottom=base, color=color, label=label)
        base = [below + value for below, value in zip(base, values, strict=True)]
    value_label = (
        words._("Share of the list's recipients (%)") if percent else words._("Recipients")
    )
    if horizontal:
        ax.set_yticks(positions, names)
        ax.invert_yaxis()  # the first list on top, as in the report
        ax.set_xlabel(value_label)
        ax.set_ylabel(words._("List"))
    else:
        ax.set_xticks(positions, names)
        ax.set_ylabel(value_label)
        ax.set_xlabel(words._("List"))
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=4, fontsize="small")
    return figure


def _time_unit(typical: float) -> tuple[float, str, str]:
    for threshold, size, name, short in _TIME_UNITS:
        if typical < threshold:
            return size, name, short
    return _DAY


def plot_delivery_times(
    messages: Iterable[Message],
    *,
    ax: Axes | None = None,
    bins: int = 30,
    locale: str | None = None,
) -> Figure:
    """Histogram of the time from first submission to delivery of the delivered messages, the
    median marked. The unit (seconds, minutes, hours or days) suits the median; when the times
    span more than a factor of 100 (most in seconds, a few handsets back hours later), the bins
    and the axis are logarithmic so both show."""
    if not isinstance(bins, int) or isinstance(bins, bool) or bins < 1:
        raise ValidationError("bins", f"expected a positive number of bins, got {bins!r}")
    words = localizer(locale)
    figure, ax = _canvas(ax)
    delays = [seconds for seconds in map(_delivery_seconds, messages) if seconds is not None]
    if not delays:
        return _no_data(figure, ax, words._("Time from first submission to delivery"), words)
    size, unit, short = _time_unit(statistics.median(delays))
    values = [seconds / size for seconds in delays]
    median = statistics.median(values)
    low, high = min(values), max(values)
    xlabel = words._("Time to delivery, in {unit}").format(unit=words._(unit))
    if low > 0 and high / low > _LOG_SPAN:
        edges = [low * (high / low) ** (step / bins) for step in range(bins + 1)]
        ax.hist(values, bins=edges, color=OUTCOME_COLORS["delivered"])
        ax.set_xscale("log")
        xlabel = words._("{label} (log scale)").format(label=xlabel)
    else:
        ax.hist(values, bins=bins, color=OUTCOME_COLORS["delivered"])
    shown = words.number(median, digits=3 if median < 1 else 1 if median < 100 else 0)
    ax.axvline(
        median,
        color="black",
        linestyle="--",
        label=words._("median {value} {unit}").format(value=shown, unit=short),
    )
    title = words.ngettext(
        "Time from first submission to delivery ({count} delivered)",
        "Time from first submission to delivery ({count} delivered)",
        len(values),
    )
    ax.set_title(title.format(count=words.integer(len(values))))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(words._("Messages"))
    ax.legend(loc="best", fontsize="small")
    return figure


def plot_outcomes_over_time(
    messages: Iterable[Message],
    *,
    freq: str | timedelta = "1h",
    ax: Axes | None = None,
    locale: str | None = None,
) -> Figure:
    """Final outcomes per time bucket of ``freq`` (a pandas frequency such as ``"15min"``,
    ``"1h"``, ``"1D"``, or a ``timedelta``) by the messages' ``final_at``, UTC: one line per
    outcome (delivered, soft bounce, hard bounce; cancelled when there are any). Messages not
    final yet are left out. Labels in English or ``locale="fr"``."""
    words = localizer(locale)
    with _optional("pandas"):
        import pandas as pd

    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except (TypeError, ValueError) as error:
        raise ValidationError("freq", f"{freq!r} is not a pandas frequency: {error}") from None
    figure, ax = _canvas(ax)
    every = freq if isinstance(freq, str) else offset.freqstr
    title = words._("Final outcomes over time (per {freq})").format(freq=every)
    finals = [
        (message.final_at, _FINAL_OUTCOMES[message.status])
        for message in messages
        if message.final_at is not None
    ]
    if not finals:
        return _no_data(figure, ax, title, words)
    outcomes = ["delivered", "soft_bounces", "hard_bounces"]
    if any(outcome == "cancelled" for _, outcome in finals):
        outcomes.append("cancelled")
    index = pd.DatetimeIndex([at for at, _ in finals], tz="UTC")
    found = [outcome for _, outcome in finals]
    table = (
        pd.DataFrame(
            {outcome: [int(item == outcome) for item in found] for outcome in outcomes},
            index=index,
        )
        .sort_index()
        .resample(offset)
        .sum()
    )
    times = table.index.to_pydatetime()
    for outcome in outcomes:
        ax.plot(
            times,
            table[outcome].to_numpy(),
            marker="." if len(table) < 50 else None,
            color=OUTCOME_COLORS[outcome],
            label=words._(_OUTCOME_LABELS[outcome]),
        )
    ax.tick_params(axis="x", labelrotation=30)
    ax.set_title(title)
    ax.set_xlabel(words._("Time of the final outcome (UTC)"))
    ax.set_ylabel(words._("Messages"))
    ax.set_ylim(bottom=0)
    ax.legend(loc="best", fontsize="small")
    return figure
