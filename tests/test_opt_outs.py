"""Unsubscribes are this campaign's (issue 15, point 3), on every store.

An error meaning "this recipient opted out earlier" (Twilio 21610, Vonage 9, ...) is a hard
bounce with its own reason that blocklists the number; an unsubscribe is a STOP reply attributed
to the campaign or a provider's unsubscribe event for one of its messages (Brevo's
``unsubscribe``); unsubscribes never exceed delivered messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from sms_campaign_stats import (
    BounceReason,
    Campaign,
    InMemoryStorage,
    MessageStatus,
    SQLiteStorage,
    parse_twilio_callback,
    parse_vonage_receipt,
    report_for,
)
from sms_campaign_stats.engine import CampaignEngine, SendMessage
from sms_campaign_stats.providers import parse_brevo_event
from sms_campaign_stats.storage import StorageBase

TUESDAY = datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc)  # 10:00 in Paris
NUMBERS = [f"+3361234567{i}" for i in range(6)]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> Iterator[StorageBase]:
    """Each store: in memory, SQLite, PostgreSQL (a schema of its own on the session's
    server)."""
    if request.param == "memory":
        yield InMemoryStorage()
        return
    if request.param == "sqlite":
        opened: StorageBase = SQLiteStorage(":memory:")
    else:
        server = request.getfixturevalue("postgres_server")
        from sms_campaign_stats.storage.postgres import PostgresStorage

        opened = PostgresStorage(server.url, schema=f"t{uuid4().hex}")
    yield opened
    opened.close()


def started(store: StorageBase, numbers: list[str]) -> tuple[CampaignEngine, list[SendMessage]]:
    """A campaign planned to ``numbers`` and every message handed to a provider (``p-<i>``)."""
    change = Campaign.create(
        id="spring",
        name="Spring",
        sender="MyShop",
        content="Sale! STOP 36111",
        list_ids=["a"],
        at=TUESDAY - timedelta(days=1),
        unit_price=Decimal("0.05"),
    )
    store.add_campaign(change.campaign, events=[change.event])
    engine = CampaignEngine(store)
    planned = engine.plan("spring", {"a": numbers}, TUESDAY)
    sends = sorted(
        (a for a in planned.actions if isinstance(a, SendMessage)), key=lambda a: a.recipient
    )
    for index, action in enumerate(sends):
        engine.submitted(action.message_id, f"p-{index}", action.at)
    return engine, sends


def twilio(provider_id: str, status: str, code: str | None = None) -> Any:
    payload = {"MessageSid": provider_id, "MessageStatus": status}
    if code is not None:
        payload["ErrorCode"] = code
    return parse_twilio_callback(payload)


def test_the_issue_reproduction_never_says_500_percent(store: StorageBase) -> None:
    """6 recipients, 1 delivered, 5 failed with Twilio 21610: 5 hard bounces "opted out
    earlier", every one of those numbers blocklisted, no unsubscribe of this campaign (not
    "5, 500.00% of delivered"), in every rendering."""
    engine, _ = started(store, NUMBERS)
    at = TUESDAY + timedelta(minutes=5)
    engine.handle(twilio("p-0", "delivered"), at)
    for index in range(1, 6):
        result = engine.handle(twilio(f"p-{index}", "failed", "21610"), at)
        assert result.message is not None
        assert (MessageStatus.HARD_BOUNCE, BounceReason.OPTED_OUT_EARLIER) == (
            result.message.status,
            result.message.bounce_reason,
        )
    assert set(NUMBERS[1:]) == set(store.blocked(NUMBERS))
    assert [] == store.unsubscribes("spring")
    report = report_for(store, "spring")
    assert (6, 1, 5, 0) == (
        report.recipients,
        report.delivered.count,
        report.hard_bounces.count,
        report.unsubscribes.count,
    )
    assert report.unsubscribes.count <= report.delivered.count
    (reason,) = report.bounce_reasons
    assert (BounceReason.OPTED_OUT_EARLIER, 5, 5) == (
        reason.reason,
        reason.recipients.count,
        reason.sent,
    )
    assert reason.avoidable_by_sender
    text = report.to_text()
    assert "500" not in text
    assert "Opted out before this campaign" in text
    assert "Désinscrit avant cette campagne" in report.to_text(locale="fr")
    assert {"count": 0, "percentage": 0.0} == report.to_dict()["totals"]["unsubscribes"]
    assert "0" == report.to_csv()["summary.csv"].splitlines()[1].split(",")[20]
    # The numbers stay out of the next campaign.
    change = Campaign.create(
        id="autumn",
        name="Autumn",
        sender="MyShop",
        content="Sale!",
        list_ids=["a"],
        at=TUESDAY,
    )
    store.add_campaign(change.campaign, events=[change.event])
    assert 5 == engine.plan("autumn", {"a": NUMBERS}, TUESDAY + timedelta(days=1)).blocked


@pytest.mark.parametrize(
    "receipt",
    [
        lambda: twilio("p-0", "failed", "21610"),
        lambda: twilio("p-0", "undelivered", "63014"),
        lambda: parse_vonage_receipt({"messageId": "p-0", "status": "rejected", "err-code": 9}),
        lambda: parse_vonage_receipt({"messageId": "p-0", "status": "failed", "err-code": 53}),
    ],
    ids=["twilio-21610", "twilio-63014", "vonage-9", "vonage-53"],
)
def test_an_earlier_opt_out_is_a_blocking_hard_bounce(store: StorageBase, receipt: Any) -> None:
    """Each provider's "opted out earlier" error: a hard bounce of its own reason, not retried,
    the number blocklisted, no unsubscribe recorded."""
    engine, _ = started(store, NUMBERS[:1])
    result = engine.handle(receipt(), TUESDAY + timedelta(minutes=1))
    assert result.message is not None
    assert BounceReason.OPTED_OUT_EARLIER == result.message.bounce_reason
    assert not any(type(a).__name__ == "RetryMessage" for a in result.actions)
    assert {NUMBERS[0]} == set(store.blocked(NUMBERS[:1]))
    assert [] == store.unsubscribes("spring")
    assert 0 == report_for(store, "spring").unsubscribes.count


def test_a_provider_unsubscribe_event_is_an_unsubscribe_of_this_campaign(
    store: StorageBase,
) -> None:
    """Brevo's ``unsubscribe`` event for a message of the campaign: the recipient received it
    and opted out in answer: delivered, the number blocklisted, one unsubscribe (of 1
    delivered)."""
    engine, _ = started(store, NUMBERS[:2])
    at = TUESDAY + timedelta(minutes=3)
    result = engine.handle(parse_brevo_event({"messageId": "p-0", "event": "unsubscribe"}), at)
    assert result.message is not None
    assert MessageStatus.DELIVERED == result.message.status
    assert {NUMBERS[0]} == set(store.blocked(NUMBERS))
    (unsubscribe,) = store.unsubscribes("spring")
    assert (NUMBERS[0], "spring") == (unsubscribe.recipient, unsubscribe.campaign_id)
    report = report_for(store, "spring")
    assert (1, 1, 100.0) == (
        report.delivered.count,
        report.unsubscribes.count,
        report.unsubscribes.percentage,
    )


def test_a_stop_reply_counts_once_delivered(store: StorageBase) -> None:
    """A STOP reply attributed to the campaign is an unsubscribe; it counts in the report for a
    delivered message (an unsubscribe answers a message received), so unsubscribes never
    exceed deliveries, even when the reply comes before the delivery report."""
    engine, _ = started(store, NUMBERS[:2])
    stop = engine.inbound(NUMBERS[1], "STOP", TUESDAY + timedelta(minutes=2))
    assert stop.unsubscribe is not None
    assert "spring" == stop.unsubscribe.campaign_id
    report = report_for(store, "spring")
    assert (0, 0) == (report.delivered.count, report.unsubscribes.count)
    engine.handle(twilio("p-1", "delivered"), TUESDAY + timedelta(minutes=3))
    report = report_for(store, "spring")
    assert (1, 1) == (report.delivered.count, report.unsubscribes.count)
