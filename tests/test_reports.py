"""Counts and reports: partition, per-list figures, engagement, merging, cost, renderings."""

from __future__ import annotations

import itertools
import json
import re
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_campaign_stats import (
    BounceReason,
    InMemoryStorage,
    Message,
    MessageStatus,
    Outcome,
    global_statistics,
    report_for,
)
from sms_campaign_stats.model import Reply, Unsubscribe
from sms_campaign_stats.reports import REPORT_SCHEMA_VERSION, report_from_messages
from sms_campaign_stats.storage import CampaignCounts

from .strategies import CAMPAIGN, LISTS, campaign_data, messages

Data = tuple[list[Message], list[Reply], list[Unsubscribe]]


def engaged(items: list[Reply] | list[Unsubscribe], recipients: set[str]) -> set[str]:
    """Recipients of the campaign among the attributed items (the brute-force definition)."""
    return {
        i.recipient for i in items if i.campaign_id == CAMPAIGN.id and i.recipient in recipients
    }


def failed_cost(message: Message) -> Decimal:
    """What the message's failed submissions (soft or hard bounce) cost."""
    failed = sum(a.outcome in (Outcome.SOFT_BOUNCE, Outcome.HARD_BOUNCE) for a in message.attempts)
    return CAMPAIGN.unit_price * message.segments * failed


@given(campaign_data())
def test_report_matches_brute_force(data: Data) -> None:
    """Every figure equals a direct count over the messages; the four statuses partition."""
    found, replies, unsubscribes = data
    report = report_from_messages(CAMPAIGN, found, replies=replies, unsubscribes=unsubscribes)
    live = [m for m in found if m.status is not MessageStatus.CANCELLED]
    by = {s: sum(m.status is s for m in live) for s in MessageStatus}
    assert len(live) == report.recipients
    assert len(found) - len(live) == report.totals.cancelled
    assert report.recipients == (
        report.delivered.count
        + report.soft_bounces.count
        + report.hard_bounces.count
        + report.processing.count
    )
    assert by[MessageStatus.DELIVERED] == report.delivered.count
    assert by[MessageStatus.QUEUED] + by[MessageStatus.PROCESSING] == report.processing.count
    recipients = {m.recipient for m in found}
    repliers = engaged(replies, recipients)
    assert len(repliers) == report.replies.count
    assert by[MessageStatus.DELIVERED] == report.replies.base
    assert (
        sum(1 for r in replies if r.campaign_id == CAMPAIGN.id and r.recipient in recipients)
        == report.totals.reply_messages
    )
    delivered = {m.recipient for m in found if m.status is MessageStatus.DELIVERED}
    assert len(engaged(unsubscribes, delivered)) == report.unsubscribes.count
    assert report.unsubscribes.count <= report.delivered.count
    price = CAMPAIGN.unit_price
    sent = [m for m in found if m.sent]
    assert sum(m.cost(price) for m in sent) == report.cost
    assert sum(len(m.attempts) for m in found) == report.totals.submissions
    assert price * sum(m.segments for m in sent) == report.first_send_cost
    assert report.cost - price * sum(m.segments for m in sent) == report.retry_cost
    assert sum((failed_cost(m) for m in found), Decimal(0)) == report.bounced_cost
    bounced = [
        m for m in sent if m.status in (MessageStatus.SOFT_BOUNCE, MessageStatus.HARD_BOUNCE)
    ]
    avoidable = [m for m in bounced if m.bounce_reason and m.bounce_reason.avoidable_by_sender]
    assert sum((failed_cost(m) for m in avoidable), Decimal(0)) == (report.avoidable_bounced_cost)
    compensable = [
        m
        for m in sent
        if m.status is MessageStatus.SOFT_BOUNCE
        and m.bounce_reason is BounceReason.PROVIDER_UNKNOWN_FAILURE
    ]
    assert report.compensable is not None
    assert len(compensable) == report.compensable.count
    assert sum((m.cost(price) for m in compensable), Decimal(0)) == report.compensable.cost
    per_message = report_from_messages(
        CAMPAIGN, found, replies=replies, unsubscribes=unsubscribes, pricing="per_message_sent"
    )
    assert price * sum(m.segments for m in sent) == per_message.cost
    assert per_message.cost == per_message.first_send_cost
    assert Decimal(0) == per_message.retry_cost
    assert price * sum(m.segments for m in bounced) == per_message.bounced_cost


@given(campaign_data())
def test_per_list_figures(data: Data) -> None:
    """Each list counts the messages in it; a message in several lists counts in each."""
    found, replies, unsubscribes = data
    report = report_from_messages(CAMPAIGN, found, replies=replies, unsubscribes=unsubscribes)
    assert list(LISTS) == [item.list_id for item in report.lists]
    for item in report.lists:
        members = [m for m in found if item.list_id in m.list_ids]
        live = [m for m in members if m.status is not MessageStatus.CANCELLED]
        figures = item.figures
        assert len(live) == figures.recipients
        assert (
            sum(m.status is MessageStatus.HARD_BOUNCE for m in live) == figures.hard_bounces.count
        )
        recipients = {m.recipient for m in members}
        assert len(engaged(replies, recipients)) == figures.replies.count
        delivered = {m.recipient for m in members if m.status is MessageStatus.DELIVERED}
        assert len(engaged(unsubscribes, delivered)) == figures.unsubscribes.count
        assert sum((m.cost(CAMPAIGN.unit_price) for m in members), Decimal(0)) == item.cost
        assert sum((failed_cost(m) for m in members), Decimal(0)) == item.bounced_cost


@given(campaign_data())
def test_bounce_reasons(data: Data) -> None:
    """Bounces by reason add up to the bounces, most frequent first, avoidable ones flagged."""
    found, _, _ = data
    report = report_from_messages(CAMPAIGN, found)
    total = sum(item.recipients.count for item in report.bounce_reasons)
    assert report.soft_bounces.count + report.hard_bounces.count == total
    counts = [item.recipients.count for item in report.bounce_reasons]
    assert sorted(counts, reverse=True) == counts
    for item in report.bounce_reasons:
        assert item.reason.avoidable_by_sender == item.avoidable_by_sender
        assert item.reason.kind == item.kind
        assert (
            sum(
                1
                for m in found
                if m.bounce_reason is item.reason
                and m.status in (MessageStatus.SOFT_BOUNCE, MessageStatus.HARD_BOUNCE)
            )
            == item.recipients.count
        )


@st.composite
def split(draw: st.DrawFn) -> tuple[Data, list[int]]:
    """Campaign data and cut points that split its messages into consecutive chunks."""
    data = draw(campaign_data())
    cuts = sorted(draw(st.lists(st.integers(0, len(data[0])), max_size=4)))
    return data, cuts


@given(split())
def test_counts_of_chunks_merge_into_the_whole(case: tuple[Data, list[int]]) -> None:
    """Counting chunks separately and merging equals counting everything at once."""
    (found, replies, unsubscribes), cuts = case
    bounds = [0, *cuts, len(found)]
    parts = [
        CampaignCounts.of_messages(found[a:b], replies=replies, unsubscribes=unsubscribes)
        for a, b in itertools.pairwise(bounds)
    ]
    whole = CampaignCounts.of_messages(found, replies=replies, unsubscribes=unsubscribes)
    assert whole == CampaignCounts.merge(parts)
    assert whole == sum(parts, CampaignCounts())


counts_strategy = st.lists(messages(0), max_size=6).map(
    lambda found: CampaignCounts.of_messages(found)
)


@given(counts_strategy, counts_strategy, counts_strategy)
def test_merge_is_associative_and_commutative(
    a: CampaignCounts, b: CampaignCounts, c: CampaignCounts
) -> None:
    """(a + b) + c == a + (b + c), a + b == b + a, and the empty counts are the identity."""
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert a == a + CampaignCounts()
    assert a.messages + b.messages == (a + b).messages


def test_adding_something_else_is_refused() -> None:
    """Counts add only to counts."""
    assert NotImplemented == CampaignCounts().__add__(3)


def test_empty_report_has_no_percentages() -> None:
    """With no recipients there is no percentage to show, rather than a division by zero."""
    report = report_from_messages(CAMPAIGN, [])
    assert (0, None) == (report.recipients, report.delivered.percentage)
    assert {"count": 0, "percentage": None} == report.delivered.to_dict()


@given(campaign_data())
def test_to_dict_is_json_and_consistent(data: Data) -> None:
    """to_dict() is JSON-serialisable and carries the same figures."""
    found, replies, unsubscribes = data
    report = report_from_messages(CAMPAIGN, found, replies=replies, unsubscribes=unsubscribes)
    shape = json.loads(json.dumps(report.to_dict()))
    assert REPORT_SCHEMA_VERSION == shape["schema_version"]
    assert report.recipients == shape["totals"]["recipients"]
    assert report.delivered.count == shape["totals"]["delivered"]["count"]
    assert [item.list_id for item in report.lists] == [row["list_id"] for row in shape["lists"]]
    assert str(report.cost) == shape["cost"]["sent"]
    assert [r.reason.value for r in report.bounce_reasons] == [
        r["reason"] for r in shape["bounce_reasons"]
    ]


@given(campaign_data())
def test_text_fits_100_columns(data: Data) -> None:
    """The text rendering never exceeds 100 columns and names every list."""
    found, replies, unsubscribes = data
    text = report_from_messages(
        CAMPAIGN, found, replies=replies, unsubscribes=unsubscribes
    ).to_text()
    assert max(len(line) for line in text.splitlines()) <= 100
    for list_id in LISTS:
        assert list_id in text


def test_text_shows_money_in_the_currency_decimals() -> None:
    """Amounts are rounded to the currency's decimals (half up), the unit price keeps its own;
    the exact amounts stay in the report, its JSON and its CSV (issue 15, text point 2)."""
    found = [
        Message.for_campaign(
            CAMPAIGN,
            id=f"m{i}",
            recipient=f"+3361000000{i}",
            list_ids=["vip"],
            queued_at=CAMPAIGN.created_at,
        ).submit(at=CAMPAIGN.created_at)
        for i in range(3)
    ]
    report = report_from_messages(CAMPAIGN, found)
    text = report.to_text()
    assert "€0.14  3 submissions, 3 segments, €0.045 per segment" in text
    assert "Spent on bounces      €0.00" in text
    assert Decimal("0.135") == report.cost
    assert "0.135" == report.to_dict()["cost"]["sent"]
    french = report.to_text(locale="fr")
    assert "0,14 €" in french
    assert "0,045 € par segment" in french


def test_activity_counts_regions_hours_and_the_send_window() -> None:
    """Regions from the numbers (a shared calling code resolved from the whole number), final
    outcomes per hour, the first submission and the last outcome; cancelled messages left
    out; report_for and report_from_messages agree."""
    from datetime import timedelta

    start = CAMPAIGN.created_at

    def message(index: int, number: str) -> Message:
        return Message.for_campaign(
            CAMPAIGN, id=f"m{index}", recipient=number, list_ids=["vip"], queued_at=start
        )

    found = [
        message(1, "+33612345678").submit(at=start).deliver(at=start + timedelta(minutes=5)),
        message(2, "+262692123456").submit(at=start).deliver(at=start + timedelta(hours=2)),
        message(3, "+14165550123")
        .submit(at=start + timedelta(minutes=1))
        .hard_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=start + timedelta(hours=2)),
        message(4, "+33612345679").soft_bounce(BounceReason.LANDLINE_NUMBER, at=start),
        message(5, "+33612345670").cancel(at=start),
    ]
    report = report_from_messages(CAMPAIGN, found, activity=True)
    assert report_from_messages(CAMPAIGN, found).activity is None
    activity = report.activity
    assert activity is not None
    assert [("FR", 2, 1), ("CA", 1, 0), ("RE", 1, 1)] == [
        (item.region, item.recipients, item.delivered.count) for item in activity.regions
    ]
    assert [(start, 1, 1, 0), (start + timedelta(hours=2), 1, 0, 1)] == [
        (h.start, h.delivered, h.soft_bounces, h.hard_bounces) for h in activity.outcomes_per_hour
    ]
    assert (start, start + timedelta(minutes=1)) == (
        activity.first_submitted_at,
        activity.last_submitted_at,
    )
    assert timedelta(hours=2) == activity.duration
    assert 1 == report.totals.soft_bounces_never_sent
    store = InMemoryStorage()
    store.add_campaign(CAMPAIGN)
    store.add_messages(found)
    assert report == report_for(store, CAMPAIGN.id, activity=True)
    assert report_for(store, CAMPAIGN.id).activity is None
    shape = json.loads(json.dumps(report.to_dict()))
    assert "RE" == shape["activity"]["regions"][2]["region"]
    assert 1 == shape["totals"]["soft_bounces"]["never_sent"]
    assert {"content", "encoding", "units", "segments"} == set(shape["message"])


def test_a_number_without_a_known_region() -> None:
    """An invalid number kept as written, or a non-geographic calling code, has no region."""
    from sms_campaign_stats.reports import region_of

    assert region_of("0612") is None
    assert region_of("+80012345678") is None
    assert "GB" == region_of("+447700900123")
    assert "US" == region_of("+12025550143")


@given(campaign_data())
def test_activity_partitions_the_recipients(data: Data) -> None:
    """The regions' recipients add up to the report's, and so do their outcomes."""
    found, replies, unsubscribes = data
    report = report_from_messages(
        CAMPAIGN, found, replies=replies, unsubscribes=unsubscribes, activity=True
    )
    assert report.activity is not None
    assert attrs.evolve(report, activity=None) == report_from_messages(
        CAMPAIGN, found, replies=replies, unsubscribes=unsubscribes
    )
    regions = report.activity.regions
    assert report.recipients == sum(item.recipients for item in regions)
    assert report.delivered.count == sum(item.delivered.count for item in regions)
    finals = sum(
        h.delivered + h.soft_bounces + h.hard_bounces for h in report.activity.outcomes_per_hour
    )
    assert report.delivered.count + report.soft_bounces.count + report.hard_bounces.count == finals


def test_global_statistics() -> None:
    """One row per campaign, totals counting every message once, costs per currency."""

    store = InMemoryStorage()
    second = attrs.evolve(CAMPAIGN, id="second", currency="USD")
    for campaign in (CAMPAIGN, second):
        store.add_campaign(campaign)
    first_messages = [
        Message.for_campaign(
            CAMPAIGN,
            id=f"a{i}",
            recipient=f"+3361000000{i}",
            list_ids=["vip"],
            queued_at=CAMPAIGN.created_at,
        ).submit(at=CAMPAIGN.created_at)
        for i in range(4)
    ]
    first_messages[0] = first_messages[0].hard_bounce(
        BounceReason.NUMBER_DOES_NOT_EXIST, at=CAMPAIGN.created_at
    )
    second_messages = [
        Message.for_campaign(
            second,
            id=f"b{i}",
            recipient=f"+3361000000{i}",
            list_ids=["x"],
            queued_at=CAMPAIGN.created_at,
        )
        .submit(at=CAMPAIGN.created_at)
        .deliver(at=CAMPAIGN.created_at)
        for i in range(2)
    ]
    store.add_messages(first_messages + second_messages)
    stats = global_statistics(store)
    assert ["second", CAMPAIGN.id] == sorted(row.campaign_id for row in stats.rows)
    assert 6 == stats.totals.recipients
    assert 2 == stats.totals.delivered.count
    assert 1 == stats.totals.hard_bounces.count
    assert {"EUR": report_for(store, CAMPAIGN.id).cost, "USD": Decimal("0.090")} == dict(
        stats.cost_by_currency
    )
    assert {"EUR": Decimal("0.045"), "USD": Decimal(0)} == dict(stats.bounced_cost_by_currency)
    only = global_statistics(store, ["second"])
    assert ("second",) == tuple(row.campaign_id for row in only.rows)
    shape = json.loads(json.dumps(stats.to_dict()))
    assert {"EUR": "0.180", "USD": "0.090"} == shape["totals"]["cost"]
    assert 2 == len(shape["campaigns"])


@pytest.mark.slow
def test_the_brevo_comparison_quotes_the_demos_figures() -> None:
    """docs/reports.md compares our report with Brevo's on the demo's campaign: every figure
    its table quotes is in the demo's French report (text or HTML)."""
    from pathlib import Path

    from sms_campaign_stats.reports import history_for
    from sms_campaign_stats.simulation import PolicySet, World, simulate

    store = InMemoryStorage()
    result = simulate(World(recipients=10_000, seed=2026), PolicySet(name="default"), storage=store)
    report = report_for(store, result.report.campaign_id, activity=True)
    history = history_for(store, result.report.campaign_id)
    shown = " ".join(
        (report.to_text(history=history, locale="fr") + report.to_html(locale="fr"))
        .replace("\u202f", " ")
        .replace("\u00a0", " ")
        .split()
    )
    page = (Path(__file__).resolve().parent.parent / "docs" / "reports.md").read_text("utf-8")
    table = page[page.index("## Our report beside Brevo's") :]
    rows = [line for line in table.splitlines() if line.startswith("| **")]
    quoted = [value for row in rows for value in re.findall(r"`([^`]+)`", row.split("|")[-2])]
    assert len(quoted) > 15
    for value in quoted:
        assert value in shown, value
