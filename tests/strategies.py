"""Hypothesis strategies for the domain: valid messages in every reachable state."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import strategies as st

from sms_campaign_stats import BounceReason, Campaign, Message
from sms_campaign_stats.model import Reply, Unsubscribe
from sms_campaign_stats.testing import T0, sample_campaign

SOFT_REASONS = [r for r in BounceReason if r.is_soft]
HARD_REASONS = [r for r in BounceReason if not r.is_soft]
LISTS = ("newsletter", "vip", "winback")

CAMPAIGN: Campaign = sample_campaign(lists=LISTS)[0]

instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc)
)


@st.composite
def messages(draw: st.DrawFn, index: int, campaign: Campaign = CAMPAIGN) -> Message:
    """A valid message of ``campaign`` to a number derived from ``index``, in a random state."""
    lists = draw(st.lists(st.sampled_from(LISTS), max_size=3, unique=True))
    message = Message(
        id=f"{campaign.id}-{index}",
        campaign_id=campaign.id,
        recipient=f"+3361{index:07d}",
        list_ids=lists,
        segments=draw(st.integers(1, 4)),
        queued_at=T0,
    )
    at = T0 + timedelta(minutes=draw(st.integers(0, 10_000)))
    path = draw(st.sampled_from(["queued", "unsent-soft", "unsent-hard", "cancel", "sent"]))
    if path == "queued":
        return message
    if path == "unsent-soft":
        return message.soft_bounce(draw(st.sampled_from(SOFT_REASONS)), at=at)
    if path == "unsent-hard":
        return message.hard_bounce(draw(st.sampled_from(HARD_REASONS)), at=at)
    if path == "cancel":
        return message.cancel(at=at)
    for attempt in range(draw(st.integers(1, 4))):
        message = message.submit(at=at, provider_message_id=f"p-{index}-{attempt}")
        end = draw(st.sampled_from(["processing", "deliver", "soft", "hard", "requeue"]))
        if end == "processing":
            return message
        if end == "deliver":
            return message.deliver(at=at)
        if end == "soft":
            return message.soft_bounce(draw(st.sampled_from(SOFT_REASONS)), at=at)
        if end == "hard":
            return message.hard_bounce(draw(st.sampled_from(HARD_REASONS)), at=at)
        message = message.requeue(draw(st.sampled_from([None, *SOFT_REASONS])))
    return message


@st.composite
def campaign_data(
    draw: st.DrawFn, max_messages: int = 40
) -> tuple[list[Message], list[Reply], list[Unsubscribe]]:
    """Messages of ``CAMPAIGN`` with distinct recipients, plus replies and unsubscribes
    (some from recipients, some from strangers, some unattributed)."""
    count = draw(st.integers(0, max_messages))
    found = [draw(messages(i)) for i in range(count)]
    numbers = [m.recipient for m in found] + ["+447700900123"]
    replies = [
        Reply(
            id=f"r{i}",
            recipient=draw(st.sampled_from(numbers)),
            at=T0,
            text="merci",
            campaign_id=draw(st.sampled_from([CAMPAIGN.id, None])),
        )
        for i in range(draw(st.integers(0, 8)))
    ]
    unsubscribes = [
        Unsubscribe(
            id=f"u{i}",
            recipient=draw(st.sampled_from(numbers)),
            at=T0,
            keyword="STOP",
            campaign_id=draw(st.sampled_from([CAMPAIGN.id, None])),
        )
        for i in range(draw(st.integers(0, 5)))
    ]
    return found, replies, unsubscribes
