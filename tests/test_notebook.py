"""The notebook extra: DataFrames and plots checked against the reports, missing packages, and
the example notebook executed in a kernel."""

from __future__ import annotations

import json
import math
import pickle
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sms_campaign_stats import (
    BounceReason,
    InMemoryStorage,
    Message,
    SmsCampaignStatsError,
    Timeline,
    ValidationError,
    global_statistics,
)
from sms_campaign_stats.errors import OptionalDependencyError
from sms_campaign_stats.model import Reply, Unsubscribe
from sms_campaign_stats.notebook import (
    FIGURE_NAMES,
    messages_frame,
    plot_delivery_times,
    plot_outcomes_over_time,
    plot_outcomes_per_list,
    report_frames,
    statistics_frame,
    timeline_frame,
)
from sms_campaign_stats.reports import CampaignReport, report_from_messages
from sms_campaign_stats.simulation import PolicySet, World, simulate
from sms_campaign_stats.testing import T0, sample_campaign

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "examples" / "campaign.ipynb"
INSTALL_HINT = "pip install 'sms-campaign-stats[notebook]'"

CAMPAIGN, CREATED = sample_campaign()  # lists "newsletter" and "vip", 0.045 EUR a segment


def _message(index: int, lists: tuple[str, ...] = ("newsletter",)) -> Message:
    return Message.for_campaign(
        CAMPAIGN,
        id=f"m{index}",
        recipient=f"+3361234{index:04d}",
        list_ids=lists,
        queued_at=T0,
    )


def _delivered(index: int, after: timedelta, lists: tuple[str, ...] = ("newsletter",)) -> Message:
    submitted = T0 + timedelta(minutes=index)
    return _message(index, lists).submit(at=submitted).deliver(at=submitted + after)


@pytest.fixture
def messages() -> list[Message]:
    """Hand-built messages with known times: two delivered (one after a retry), bounces, one
    refused before sending, one still queued."""
    retried = (
        _message(1, ("newsletter", "vip"))
        .submit(at=T0)
        .requeue(BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE)
        .submit(at=T0 + timedelta(minutes=10))
        .deliver(at=T0 + timedelta(minutes=10, seconds=30))
    )
    return [
        _delivered(0, timedelta(seconds=20)),
        retried,
        _message(2, ("vip",))
        .submit(at=T0)
        .soft_bounce(BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE, at=T0 + timedelta(hours=1)),
        _message(3)
        .submit(at=T0)
        .hard_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=T0 + timedelta(hours=1, minutes=5)),
        _message(4, ("vip",)).soft_bounce(BounceReason.LANDLINE_NUMBER, at=T0),
        _message(5, ("vip",)),
    ]


@pytest.fixture
def report(messages: list[Message]) -> CampaignReport:
    replies = [Reply(id="r1", recipient=messages[0].recipient, at=T0, text="Hi", campaign_id="x")]
    stops = [Unsubscribe(id="u1", recipient=messages[1].recipient, at=T0, campaign_id="x")]
    campaign = attrs.evolve(CAMPAIGN, id="x")
    moved = [attrs.evolve(message, campaign_id="x") for message in messages]
    return report_from_messages(campaign, moved, replies=replies, unsubscribes=stops)


@pytest.fixture(autouse=True)
def _no_pyplot_figures() -> Iterator[None]:
    """Every test leaves pyplot without open figures: the plots never go through its state."""
    plt.close("all")
    yield
    assert [] == plt.get_fignums()


# -- frames -----------------------------------------------------------------------------------


def test_summary_frame_matches_the_report(report: CampaignReport) -> None:
    summary = report_frames(report)["summary"]
    assert list(FIGURE_NAMES) == list(summary.index)
    assert ["count", "base", "percent"] == list(summary.columns)
    for name in FIGURE_NAMES:
        figure = getattr(report, name)
        assert figure.count == summary.loc[name, "count"]
        assert figure.base == summary.loc[name, "base"]
        assert figure.percentage == pytest.approx(summary.loc[name, "percent"])
    assert (2, 6) == (summary.loc["delivered", "count"], summary.loc["delivered", "base"])
    assert (1, 2) == (summary.loc["replies", "count"], summary.loc["replies", "base"])
    assert (1, 2) == (summary.loc["unsubscribes", "count"], summary.loc["unsubscribes", "base"])
    assert "int64" == summary["count"].dtype
    assert "float64" == summary["percent"].dtype


def test_lists_frame_matches_the_list_figures(report: CampaignReport) -> None:
    lists = report_frames(report)["lists"]
    assert ["newsletter", "vip"] == list(lists.index)
    for item in report.lists:
        row = lists.loc[item.list_id]
        assert item.figures.recipients == row["recipients"]
        for name in FIGURE_NAMES:
            figure = getattr(item.figures, name)
            assert figure.count == row[name]
            assert figure.percentage == pytest.approx(row[f"{name}_percent"], nan_ok=True)
        assert item.figures.sent == row["sent"]
        assert item.cost == row["cost"]
        assert item.bounced_cost == row["bounced_cost"]
    assert 3 == lists.loc["newsletter", "recipients"]  # m0, m1 (also vip), m3
    assert 4 == lists.loc["vip", "recipients"]  # m1, m2, m4, m5
    # m1 was sent twice (a retry), m2 once: three submissions billed
    assert Decimal("0.045") * 3 == lists.loc["vip", "cost"]
    assert 3 == lists.loc["vip", "submissions"]
    assert 1 == lists.loc["vip", "retries"]


def test_costs_and_compensable_frames(report: CampaignReport, messages: list[Message]) -> None:
    """The money figures, split into first sends and retries, with the pricing; the
    compensable soft bounces (the platform's fault) per reason and per provider (issue 15,
    points 1 and 2)."""
    frames = report_frames(report)
    costs = frames["costs"]
    assert [
        "cost",
        "first_sends",
        "retries",
        "bounced",
        "avoidable_bounced",
        "compensable",
    ] == list(costs.index)
    price = Decimal("0.045")
    assert price * 5 == costs.loc["cost", "amount"]  # m0, m1 twice, m2, m3
    assert price * 4 == costs.loc["first_sends", "amount"]
    assert price == costs.loc["retries", "amount"]
    assert price * 3 == costs.loc["bounced", "amount"]  # m1's first attempt, m2, m3
    assert Decimal(0) == costs.loc["compensable", "amount"]
    assert {"EUR"} == set(costs["currency"])
    assert "per_submission" == costs.attrs["pricing"]
    assert [] == list(frames["compensable"].index)
    assert [] == list(frames["compensable_providers"].index)
    platform = [
        _message(index)
        .submit(at=T0)
        .soft_bounce(
            BounceReason.PROVIDER_UNKNOWN_FAILURE, at=T0 + timedelta(minutes=1), provider=provider
        )
        for index, provider in ((9, "brevo"), (10, None), (11, "brevo"))
    ]
    with_fault = report_from_messages(CAMPAIGN, [*messages, *platform])
    compensable = report_frames(with_fault)["compensable"]
    assert ["provider_unknown_failure"] == list(compensable.index)
    assert 3 == compensable.loc["provider_unknown_failure", "count"]
    assert "int64" == compensable["count"].dtype
    providers = report_frames(with_fault)["compensable_providers"]
    assert (["brevo", None], [2, 1]) == (list(providers.index), list(providers["count"]))
    assert "provider" == providers.index.name
    assert "int64" == providers["count"].dtype
    assert price * 3 == report_frames(with_fault)["costs"].loc["compensable", "amount"]


def test_bounce_reasons_frame(report: CampaignReport) -> None:
    reasons = report_frames(report)["bounce_reasons"]
    assert [item.reason.value for item in report.bounce_reasons] == list(reasons.index)
    landline = reasons.loc["landline_number"]
    assert ("soft", True, 1, 0, Decimal(0)) == (
        landline["kind"],
        landline["avoidable_by_sender"],
        landline["count"],
        landline["sent"],
        landline["cost"],
    )
    assert 100 / 6 == pytest.approx(landline["percent"])
    gone = reasons.loc["number_does_not_exist"]
    assert ("hard", False, 1, Decimal("0.045")) == (
        gone["kind"],
        gone["avoidable_by_sender"],
        gone["sent"],
        gone["cost"],
    )


def test_frames_of_an_empty_report_have_their_columns() -> None:
    frames = report_frames(report_from_messages(CAMPAIGN, []))
    summary = frames["summary"]
    assert [0] * 6 == list(summary["count"])
    assert all(math.isnan(value) for value in summary["percent"])
    lists = frames["lists"]
    assert ["newsletter", "vip"] == list(lists.index)
    assert [0, 0] == list(lists["recipients"])
    assert "float64" == lists["delivered_percent"].dtype
    assert lists["delivered_percent"].isna().all()
    reasons = frames["bounce_reasons"]
    assert reasons.empty
    assert ["kind", "avoidable_by_sender", "count", "percent", "sent", "cost"] == list(
        reasons.columns
    )


def test_statistics_frame_has_one_row_per_campaign() -> None:
    store = InMemoryStorage()
    second = attrs.evolve(CAMPAIGN, id="second", name="Second", currency="USD")
    store.add_campaign(CAMPAIGN, events=[CREATED])
    store.add_campaign(second)
    store.add_messages([_delivered(0, timedelta(seconds=5)), _message(1)])
    store.add_messages([attrs.evolve(_delivered(2, timedelta(seconds=5)), campaign_id="second")])
    stats = global_statistics(store)
    frame = statistics_frame(stats)
    assert [row.campaign_id for row in stats.rows] == list(frame.index)
    for row in stats.rows:
        line = frame.loc[row.campaign_id]
        assert (row.campaign_name, row.status.value, row.currency) == (
            line["campaign_name"],
            line["status"],
            line["currency"],
        )
        assert row.figures.recipients == line["recipients"]
        assert row.figures.delivered.count == line["delivered"]
        assert row.figures.processing.count == line["processing"]
        assert row.cost == line["cost"]
        assert pd.Timestamp(row.created_at_iso) == line["created_at"]
    assert (2, 1, 50.0) == (
        frame.loc[CAMPAIGN.id, "recipients"],
        frame.loc[CAMPAIGN.id, "delivered"],
        frame.loc[CAMPAIGN.id, "delivered_percent"],
    )
    assert Decimal("0.045") == frame.loc["second", "cost"]
    assert "UTC" == str(frame["created_at"].dt.tz)
    empty = statistics_frame(global_statistics(InMemoryStorage()))
    assert empty.empty
    assert {"campaign_name", "created_at", "delivered", "cost"} <= set(empty.columns)


def test_timeline_frame_masks_numbers_unless_asked() -> None:
    suspended = CAMPAIGN.start(at=T0).campaign.suspend(
        at=T0 + timedelta(hours=1),
        reason="hard bounces",
        evidence={"last_recipient": "+33612345678", "rate": 0.2},
    )
    timeline = Timeline(
        campaign_id=CAMPAIGN.id,
        campaign_name=CAMPAIGN.name,
        events=(CREATED, suspended.event),
    )
    frame = timeline_frame(timeline)
    assert ["at", "kind", "details"] == list(frame.columns)
    assert ["created", "suspended"] == list(frame["kind"])
    assert [pd.Timestamp(T0), pd.Timestamp(T0 + timedelta(hours=1))] == list(frame["at"])
    assert "UTC" == str(frame["at"].dt.tz)
    masked = str(frame.loc[1, "details"])
    assert "+33612345678" not in masked
    assert "+336******78" in masked
    assert {
        "reason": "hard bounces",
        "evidence": {"last_recipient": "+336******78", "rate": 0.2},
    } == (json.loads(masked))
    shown = str(timeline_frame(timeline, show_numbers=True).loc[1, "details"])
    assert "+33612345678" == json.loads(shown)["evidence"]["last_recipient"]
    assert CAMPAIGN.name == json.loads(str(frame.loc[0, "details"]))["name"]
    empty = timeline_frame(Timeline(campaign_id="x", campaign_name="X", events=()))
    assert empty.empty
    assert ["at", "kind", "details"] == list(empty.columns)


def test_messages_frame_rows_and_delivery_seconds(messages: list[Message]) -> None:
    frame = messages_frame(messages)
    assert [message.id for message in messages] == list(frame.index)
    assert ["delivered", "delivered", "soft_bounce", "hard_bounce", "soft_bounce", "queued"] == (
        list(frame["status"])
    )
    # From the first submission, not the last: the retried message took 10 min 30 s.
    assert 20.0 == frame.loc["m0", "delivery_seconds"]
    assert 630.0 == frame.loc["m1", "delivery_seconds"]
    assert frame["delivery_seconds"].iloc[2:].isna().all()
    assert [1, 2, 1, 1, 0, 0] == list(frame["attempts"])
    assert [True, True, True, True, False, False] == list(frame["sent"])
    assert pd.Timestamp(T0) == frame.loc["m1", "submitted_at"]
    assert [False] * 4 + [True] * 2 == frame["submitted_at"].isna().tolist()
    assert [False] * 5 + [True] == frame["final_at"].isna().tolist()
    assert pd.Timestamp(T0 + timedelta(hours=1)) == frame.loc["m2", "final_at"]
    assert ("newsletter", "vip") == frame.loc["m1", "lists"]
    assert 7 == len(frame.explode("lists"))
    assert "handset_off_or_out_of_coverage" == frame.loc["m2", "bounce_reason"]
    assert [True, True, False, False, False, True] == frame["bounce_reason"].isna().tolist()
    assert "+336******00" == frame.loc["m0", "recipient"]
    assert all("*" in recipient for recipient in frame["recipient"])
    shown = messages_frame(messages, show_numbers=True)
    assert [message.recipient for message in messages] == list(shown["recipient"])


def test_messages_frame_of_nothing_keeps_its_columns() -> None:
    frame = messages_frame(iter([]))
    assert frame.empty
    assert "id" == frame.index.name
    assert "delivery_seconds" in frame.columns
    assert "UTC" == str(frame["final_at"].dt.tz)


def test_frames_agree_with_a_simulated_campaign() -> None:
    store = InMemoryStorage()
    result = simulate(World(recipients=300, seed=11), PolicySet(name="default"), storage=store)
    report = result.report
    frame = messages_frame(store.iter_messages(report.campaign_id))
    counts = frame["status"].value_counts()
    assert report.delivered.count == counts["delivered"]
    assert report.hard_bounces.count == counts.get("hard_bounce", 0)
    assert report.recipients == len(frame)
    assert report.delivered.count == frame["delivery_seconds"].notna().sum()
    assert (frame["delivery_seconds"].dropna() > 0).all()
    lists = report_frames(report)["lists"]
    exploded = frame.explode("lists")
    for list_id in lists.index:
        assert lists.loc[list_id, "recipients"] == (exploded["lists"] == list_id).sum()


# -- plots ------------------------------------------------------------------------------------


def _values(data: object) -> list[float]:
    return [float(value) for value in np.asarray(data).ravel()]


def _bars(ax: Axes) -> list[Rectangle]:
    return [patch for patch in ax.patches if isinstance(patch, Rectangle)]


def _single_axes(figure: Figure) -> Axes:
    assert 1 == len(figure.axes)
    return figure.axes[0]


def test_outcomes_per_list_stacks_the_counts(report: CampaignReport) -> None:
    figure = plot_outcomes_per_list(report)
    assert isinstance(figure, Figure)
    ax = _single_axes(figure)
    assert "Outcomes per list: Spring sale" == ax.get_title()
    assert ["newsletter", "vip"] == [label.get_text() for label in ax.get_yticklabels()]
    bars = _bars(ax)
    assert 8 == len(bars)  # 4 outcomes x 2 lists, outcome by outcome
    expected = {
        "newsletter": {"delivered": 2, "soft_bounces": 0, "hard_bounces": 1, "processing": 0},
        "vip": {"delivered": 1, "soft_bounces": 2, "hard_bounces": 0, "processing": 1},
    }
    outcomes = ["delivered", "soft_bounces", "hard_bounces", "processing"]
    widths = {
        (outcome, list_id): bars[2 * index + position].get_width()
        for index, outcome in enumerate(outcomes)
        for position, list_id in enumerate(["newsletter", "vip"])
    }
    for list_id, counts in expected.items():
        for outcome, count in counts.items():
            assert count == widths[outcome, list_id]
    # Stacked: each outcome starts where the previous ones end.
    assert 3 == bars[6].get_x()  # newsletter's processing after 2 + 0 + 1
    assert 3 == bars[7].get_x()  # vip's processing after 1 + 2 + 0
    legend = ax.get_legend()
    assert legend is not None
    assert ["Delivered", "Soft bounces", "Hard bounces", "Processing"] == [
        text.get_text() for text in legend.get_texts()
    ]
    assert ("Recipients", "List") == (ax.get_xlabel(), ax.get_ylabel())


def test_outcomes_per_list_in_percent_and_in_french(report: CampaignReport) -> None:
    """percent=True: each list's bar adds up to 100; locale="fr": every label in French, the
    axes in words (issue 15, point 9)."""
    ax = _single_axes(plot_outcomes_per_list(report, percent=True, locale="fr"))
    bars = _bars(ax)
    totals = [
        sum(bars[2 * index + position].get_width() for index in range(4)) for position in (0, 1)
    ]
    assert [100, 100] == [pytest.approx(total) for total in totals]
    assert pytest.approx(200 / 3) == bars[0].get_width()  # newsletter: 2 of 3 delivered
    assert "Résultats par liste : Spring sale" == ax.get_title()
    assert ("Part des destinataires de la liste (%)", "Liste") == (ax.get_xlabel(), ax.get_ylabel())
    legend = ax.get_legend()
    assert legend is not None
    assert ["Délivrés", "Soft bounces", "Hard bounces", "En cours de traitement"] == [
        text.get_text() for text in legend.get_texts()
    ]


def test_outcomes_per_list_vertical_into_given_axes(report: CampaignReport) -> None:
    figure = Figure()
    left, right = figure.subplots(1, 2)
    assert figure is plot_outcomes_per_list(report, ax=right, horizontal=False)
    assert [] == _bars(left)
    bars = _bars(right)
    assert [2, 1] == [bar.get_height() for bar in bars[:2]]  # delivered
    assert [2, 1] == [bar.get_y() for bar in bars[2:4]]  # soft bounces on top of them
    assert ["newsletter", "vip"] == [label.get_text() for label in right.get_xticklabels()]
    assert ("Recipients", "List") == (right.get_ylabel(), right.get_xlabel())


def test_plots_into_a_subfigure_return_the_whole_figure(report: CampaignReport) -> None:
    figure = Figure()
    first = figure.add_subfigure(figure.add_gridspec(1, 2)[0])
    ax = first.add_subplot()
    assert figure is plot_outcomes_per_list(report, ax=ax)
    assert 8 == len(_bars(ax))


def _notes(ax: Axes) -> list[str]:
    return [text.get_text() for text in ax.texts]


def test_empty_data_gives_a_no_data_note() -> None:
    empty_report = report_from_messages(CAMPAIGN, [])
    for figure in (
        plot_outcomes_per_list(empty_report),
        plot_delivery_times([]),
        plot_outcomes_over_time([_message(1)]),  # nothing final yet
    ):
        ax = _single_axes(figure)
        assert ["No data"] == _notes(ax)
        assert [] == _bars(ax)
        assert [] == ax.get_lines()
        assert ax.get_title()


def test_delivery_times_histogram_in_seconds(messages: list[Message]) -> None:
    delays = [12, 20, 25, 40, 41]
    delivered = [_delivered(index, timedelta(seconds=s)) for index, s in enumerate(delays)]
    figure = plot_delivery_times([*delivered, *messages[2:]], bins=5)
    ax = _single_axes(figure)
    assert "Time to delivery, in seconds" == ax.get_xlabel()
    assert "Messages" == ax.get_ylabel()
    assert "linear" == ax.get_xscale()
    bars = _bars(ax)
    assert 5 == len(bars)
    assert len(delays) == sum(bar.get_height() for bar in bars)
    assert 12 == pytest.approx(bars[0].get_x())
    assert [1, 1, 1, 0, 2] == [bar.get_height() for bar in bars]
    (median,) = ax.get_lines()
    assert [25, 25] == _values(median.get_xdata())
    assert "Time from first submission to delivery (5 delivered)" == ax.get_title()
    legend = ax.get_legend()
    assert legend is not None
    assert ["median 25 s"] == [text.get_text() for text in legend.get_texts()]


@pytest.mark.parametrize(
    ("delays", "unit", "median"),
    [
        ([timedelta(minutes=m) for m in (3, 5, 9)], "minutes", 5),
        ([timedelta(hours=h) for h in (2, 3, 4)], "hours", 3),
        ([timedelta(days=d) for d in (2, 3, 5)], "days", 3),
        ([timedelta(0), timedelta(seconds=1), timedelta(seconds=90)], "seconds", 1),
    ],
)
def test_delivery_times_unit_suits_the_median(
    delays: list[timedelta], unit: str, median: float
) -> None:
    delivered = [_delivered(index, delay) for index, delay in enumerate(delays)]
    ax = _single_axes(plot_delivery_times(delivered, bins=4))
    assert f"Time to delivery, in {unit}" == ax.get_xlabel()
    assert "linear" == ax.get_xscale()  # a zero delay keeps the last case linear
    assert median == pytest.approx(_values(ax.get_lines()[0].get_xdata())[0])
    assert len(delays) == sum(bar.get_height() for bar in _bars(ax))


def test_delivery_times_spanning_hours_use_a_log_scale() -> None:
    delays = [timedelta(seconds=s) for s in (10, 15, 20, 30)] + [timedelta(hours=6)]
    delivered = [_delivered(index, delay) for index, delay in enumerate(delays)]
    ax = _single_axes(plot_delivery_times(delivered, bins=10))
    assert "log" == ax.get_xscale()
    assert "Time to delivery, in seconds (log scale)" == ax.get_xlabel()
    french = _single_axes(plot_delivery_times(delivered, bins=10, locale="fr"))
    assert "Délai de livraison, en secondes (échelle logarithmique)" == french.get_xlabel()
    assert "Messages" == french.get_ylabel()
    bars = _bars(ax)
    assert 10 == len(bars)
    assert 5 == sum(bar.get_height() for bar in bars)
    assert 1 == bars[-1].get_height()  # the handset back hours later, alone in the last bin
    assert 10 == pytest.approx(bars[0].get_x())
    assert 6 * 3600 == pytest.approx(bars[-1].get_x() + bars[-1].get_width())


@pytest.mark.parametrize("bins", [0, -3, 2.5, True])
def test_delivery_times_refuse_bad_bins(bins: object) -> None:
    with pytest.raises(ValidationError, match="bins"):
        plot_delivery_times([], bins=bins)  # type: ignore[arg-type]


def test_outcomes_over_time_counts_per_bucket() -> None:
    final = [
        _delivered(10, timedelta(seconds=20)),  # 09:10
        _delivered(20, timedelta(seconds=20)),  # 09:20
        _message(3)
        .submit(at=T0)
        .soft_bounce(BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE, at=T0 + timedelta(minutes=65)),
        _message(4).cancel(at=T0 + timedelta(hours=2, minutes=30)),
        _message(5),  # not final: left out
    ]
    ax = _single_axes(plot_outcomes_over_time(final, freq="1h"))
    lines = {line.get_label(): _values(line.get_ydata()) for line in ax.get_lines()}
    assert {
        "Delivered": [2, 0, 0],
        "Soft bounces": [0, 1, 0],
        "Hard bounces": [0, 0, 0],
        "Cancelled": [0, 0, 1],
    } == lines
    first = np.asarray(ax.get_lines()[0].get_xdata())[0]
    assert pd.Timestamp(T0) == pd.Timestamp(first)
    assert "Final outcomes over time (per 1h)" == ax.get_title()
    assert ("Time of the final outcome (UTC)", "Messages") == (ax.get_xlabel(), ax.get_ylabel())
    french = _single_axes(plot_outcomes_over_time(final, freq="1h", locale="fr"))
    assert "Heure du résultat final (UTC)" == french.get_xlabel()
    assert "Résultats finaux dans le temps (par 1h)" == french.get_title()


def test_outcomes_over_time_with_a_timedelta_and_no_cancellations() -> None:
    final = [_delivered(index, timedelta(seconds=20)) for index in (0, 1, 31)]
    figure = Figure()
    ax = figure.add_subplot()
    assert figure is plot_outcomes_over_time(final, freq=timedelta(minutes=30), ax=ax)
    lines = {line.get_label(): _values(line.get_ydata()) for line in ax.get_lines()}
    assert {"Delivered": [2, 1], "Soft bounces": [0, 0], "Hard bounces": [0, 0]} == lines
    assert "Final outcomes over time (per 30min)" == ax.get_title()


@pytest.mark.parametrize("freq", ["soon", "", 42])
def test_outcomes_over_time_refuses_a_bad_frequency(freq: object) -> None:
    with pytest.raises(ValidationError, match="freq"):
        plot_outcomes_over_time([], freq=freq)  # type: ignore[arg-type]


# -- optional dependencies --------------------------------------------------------------------


def test_missing_pandas_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, report: CampaignReport, messages: list[Message]
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    timeline = Timeline(campaign_id="x", campaign_name="X", events=())
    calls: list[Callable[[], object]] = [
        lambda: report_frames(report),
        lambda: statistics_frame(global_statistics(InMemoryStorage())),
        lambda: timeline_frame(timeline),
        lambda: messages_frame(messages),
        lambda: plot_outcomes_over_time(messages),
    ]
    for call in calls:
        with pytest.raises(OptionalDependencyError) as caught:
            call()
        assert "pandas" == caught.value.package
        assert INSTALL_HINT in str(caught.value)
        assert "needs pandas" in str(caught.value)


def test_missing_matplotlib_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, report: CampaignReport, messages: list[Message]
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    plots: tuple[Callable[[], object], ...] = (
        lambda: plot_outcomes_per_list(report),
        lambda: plot_delivery_times(messages),
        lambda: plot_outcomes_over_time(messages),
    )
    for call in plots:
        with pytest.raises(OptionalDependencyError) as caught:
            call()
        assert "matplotlib" == caught.value.package
        assert INSTALL_HINT in str(caught.value)
    # The frames do not need matplotlib.
    assert 6 == len(messages_frame(messages))


def test_optional_dependency_error_is_an_import_error_that_pickles() -> None:
    error = OptionalDependencyError("matplotlib")
    assert isinstance(error, ImportError)
    assert isinstance(error, SmsCampaignStatsError)
    assert (
        "sms_campaign_stats.notebook needs matplotlib, which is not installed: " + INSTALL_HINT
        == str(error)
    )
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object, in a test
    assert type(error) is type(copy)
    assert str(error) == str(copy)
    assert vars(error) == vars(copy)


def test_the_package_imports_without_pandas_or_matplotlib() -> None:
    """In a fresh interpreter: importing never loads them, and with them blocked the package and
    this module still import, and a function says what to install."""
    script = """
import sys
import sms_campaign_stats, sms_campaign_stats.notebook, sms_campaign_stats.reports
assert not {"pandas", "matplotlib"} & set(sys.modules), sorted(sys.modules)
for name in ("pandas", "matplotlib"):
    sys.modules[name] = None
from sms_campaign_stats.errors import OptionalDependencyError
from sms_campaign_stats.reports import report_from_messages
from sms_campaign_stats.notebook import report_frames
from sms_campaign_stats.testing import sample_campaign
try:
    report_frames(report_from_messages(sample_campaign()[0], []))
except OptionalDependencyError as error:
    print(error)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert 0 == result.returncode, result.stderr
    assert INSTALL_HINT in result.stdout


# -- the example notebook ---------------------------------------------------------------------


def _read_notebook() -> Any:
    import nbformat

    read: Callable[..., Any] = nbformat.read  # nbformat has no type hints
    return read(NOTEBOOK, as_version=4)


def test_example_notebook_is_stored_without_outputs() -> None:
    import nbformat

    validate: Callable[[Any], None] = nbformat.validate
    notebook = _read_notebook()
    validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all([] == cell.outputs and cell.execution_count is None for cell in code)
    assert NOTEBOOK.stat().st_size < 20_000


def test_example_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Executes every cell in a kernel running this interpreter, headless."""
    import nbclient

    # A kernel spec of our own, so the kernel is this venv's python whatever else is installed.
    spec = tmp_path / "jupyter" / "kernels" / "sms-campaign-stats-test"
    spec.mkdir(parents=True)
    kernel = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "sms-campaign-stats tests",
        "language": "python",
        "env": {"MPLBACKEND": "Agg"},
    }
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = _read_notebook()
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="sms-campaign-stats-test",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    assert [] == [output for output in outputs if output.output_type == "error"]
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert 3 == len(images)
    texts = "\n".join(output.get("data", {}).get("text/plain", "") for output in outputs)
    assert "strict-suspension" in texts
    assert "suspended" in texts
    assert re.search(r"\+\d{3}\*+\d\d", texts)  # numbers shown masked
    assert not re.search(r"\+\d{8}", texts)


def test_to_pandas_methods_are_the_notebook_frames(report: CampaignReport) -> None:
    """``report.to_pandas()``, ``stats.to_pandas()`` and ``timeline.to_pandas()`` are the
    frames of ``sms_campaign_stats.notebook``."""
    frames = report.to_pandas()
    assert [
        "summary",
        "lists",
        "bounce_reasons",
        "costs",
        "compensable",
        "compensable_providers",
    ] == list(frames)
    for name, frame in report_frames(report).items():
        pd.testing.assert_frame_equal(frame, frames[name])
    store = InMemoryStorage()
    store.add_campaign(CAMPAIGN, events=[CREATED])
    store.add_messages([_delivered(0, timedelta(seconds=5))])
    stats = global_statistics(store)
    pd.testing.assert_frame_equal(statistics_frame(stats), stats.to_pandas())
    timeline = Timeline(campaign_id=CAMPAIGN.id, campaign_name=CAMPAIGN.name, events=(CREATED,))
    pd.testing.assert_frame_equal(timeline_frame(timeline), timeline.to_pandas())
