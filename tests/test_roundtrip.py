"""SQLite round-trips every field exactly: arbitrary text, instants, prices, attempts."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sms_campaign_stats import (
    BounceReason,
    Campaign,
    CampaignStatus,
    Message,
    MessageStatus,
    Outcome,
    SQLiteStorage,
)
from sms_campaign_stats.lifecycle import TimelineKind
from sms_campaign_stats.model import Attempt, Reply, TimelineEvent, Unsubscribe

_files = itertools.count()

# Any instant the datetime type can hold, with microseconds, in UTC.
instants = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(timezone.utc)
)
texts = st.text(st.characters(codec="utf-8"), max_size=60)  # any text UTF-8 can carry
ids = texts.map(str.strip).filter(bool)
prices = st.decimals(min_value=0, max_value=Decimal("1e12"), allow_nan=False, places=6)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=10,
)


@st.composite
def campaigns(draw: st.DrawFn) -> Campaign:
    """A campaign with arbitrary (valid) field values."""
    return Campaign(
        id=draw(ids),
        name=draw(texts.filter(str.strip)),
        sender=draw(st.sampled_from(["MyShop", "+33612345678", "38600", "A.B & C"])),
        content=draw(texts.filter(str.strip)),
        list_ids=draw(st.lists(ids, max_size=4)),
        status=draw(st.sampled_from(CampaignStatus)),
        created_at=draw(instants),
        scheduled_at=draw(st.none() | instants),
        unit_price=draw(prices),
        currency=draw(st.sampled_from(["EUR", "USD", "XOF"])),
        version=draw(st.integers(0, 2**40)),
    )


@st.composite
def sent_messages(draw: st.DrawFn, campaign_id: str, index: int) -> Message:
    """A sent message with arbitrary attempts and instants."""
    attempts = []
    for number in range(1, draw(st.integers(1, 3)) + 1):
        provider_id = draw(st.none() | ids)
        attempts.append(
            Attempt(
                number=number,
                submitted_at=draw(instants),
                # Made unique per message and attempt: a provider id names one message.
                provider_message_id=None
                if provider_id is None
                else f"{index}-{number}-{provider_id}",
                outcome=draw(st.none() | st.sampled_from(Outcome)),
                provider_error_code=draw(st.none() | texts.filter(str.strip)),
            )
        )
    status = draw(st.sampled_from([MessageStatus.PROCESSING, MessageStatus.HARD_BOUNCE]))
    return Message(
        id=f"{index}:{draw(ids)}",
        campaign_id=campaign_id,
        recipient=f"+{draw(st.integers(10, 10**15 - 1))}",
        list_ids=draw(st.lists(ids, max_size=3)),
        status=status,
        bounce_reason=BounceReason.NUMBER_DOES_NOT_EXIST
        if status is MessageStatus.HARD_BOUNCE
        else None,
        attempts=attempts,
        segments=draw(st.integers(1, 255)),
        queued_at=draw(instants),
        submitted_at=draw(instants),
        final_at=draw(instants) if status is MessageStatus.HARD_BOUNCE else None,
        sent=True,
        version=draw(st.integers(0, 2**40)),
    )


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the property tests' files go."""
    return tmp_path_factory.mktemp("roundtrip")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(campaigns(), st.data())
def test_every_field_round_trips(directory: Path, campaign: Campaign, data: st.DataObject) -> None:
    """Whatever valid values go in come back equal, in a fresh store object on the same file."""
    path = directory / f"r{next(_files)}.db"
    store = SQLiteStorage(path, durability="normal")
    event = TimelineEvent(
        campaign_id=campaign.id,
        at=data.draw(instants),
        kind=data.draw(st.sampled_from(TimelineKind)),
        details=data.draw(st.dictionaries(texts, json_values, max_size=4)),
    )
    store.add_campaign(campaign, events=[event])
    found = [data.draw(sent_messages(campaign.id, i)) for i in range(data.draw(st.integers(0, 3)))]
    found = list({m.recipient: m for m in found}.values())  # one message per recipient
    store.add_messages(found)
    reply = Reply(
        id=data.draw(ids),
        recipient="+33612345678",
        at=data.draw(instants),
        text=data.draw(texts),
        campaign_id=campaign.id,
    )
    unsubscribe = Unsubscribe(
        id=data.draw(ids),
        recipient="+33612345678",
        at=data.draw(instants),
        keyword=data.draw(texts),
        campaign_id=campaign.id,
    )
    store.record_reply(reply)
    store.record_unsubscribe(unsubscribe)
    store.close()

    reopened = SQLiteStorage(path)
    assert campaign == reopened.get_campaign(campaign.id)
    assert [event] == reopened.timeline(campaign.id)
    for message in found:
        assert message == reopened.get_message(message.id)
        for attempt in message.attempts:
            if attempt.provider_message_id is not None:
                assert message == reopened.find_message_by_provider_id(attempt.provider_message_id)
    assert [reply] == reopened.replies(campaign.id)
    assert [unsubscribe] == reopened.unsubscribes(campaign.id)
    reopened.close()
