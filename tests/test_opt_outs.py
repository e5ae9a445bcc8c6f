"""Unsubscribes are this campaign's (issue 15, point 3), on every store.

An error meaning "this recipient opted out earlier" (Twilio 21610, Vonage 9, ...) is a hard
bounce with its own reason that blocklists the number; an unsubscribe is a STOP reply attributed
to the campaign or a provider's unsubscribe event for one of its messages (Brevo's
``unsubscribe``); unsubscribes never exceed delivered messages.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from sms_campaign_stats import (
    BounceReason,
    InMemoryStorage,
    MessageStatus,
    parse_twilio_callback,
    parse_vonage_receipt,
    report_for,
)
from sms_campaign_stats.engine import (
    AsyncCampaignEngine,
    CampaignEngine,
    RetryMessage,
    SendMessage,
)
from sms_campaign_stats.providers import parse_brevo_event
from sms_campaign_stats.retry import GiveUp, RetryContext
from sms_campaign_stats.storage import StorageBase, ThreadedAsyncStorage

from .campaigns import add_campaign, sends

TUESDAY = datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc)  # 10:00 in Paris
NUMBERS = [f"+3361234567{i}" for i in range(6)]


@pytest.fixture
def store(each_store: StorageBase) -> StorageBase:
    """Each store: in memory, SQLite, PostgreSQL (``each_store``, tests/conftest.py)."""
    return each_store


def planned(
    store: StorageBase, campaign_id: str, numbers: list[str]
) -> tuple[CampaignEngine, list[SendMessage]]:
    """Campaign ``campaign_id`` stored and planned to ``numbers``: its sends, by recipient."""
    add_campaign(store, campaign_id, at=TUESDAY - timedelta(days=1))
    engine = CampaignEngine(store)
    planned = sends(engine.plan(campaign_id, {"a": numbers}, TUESDAY).actions)
    return engine, sorted(planned, key=lambda a: a.recipient)


def started(store: StorageBase, numbers: list[str]) -> tuple[CampaignEngine, list[SendMessage]]:
    """A campaign planned to ``numbers`` and every message handed to a provider (``p-<i>``)."""
    engine, sends = planned(store, "spring", numbers)
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
    add_campaign(store, "autumn", at=TUESDAY, content="Sale!", unit_price=Decimal(0))
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


# A provider's unsubscribe event after the delivery (the usual order) -------------------------

BREVO_ID = 1511882900176221  # Brevo's message ids are numbers in its webhooks


def never_retry(context: RetryContext) -> GiveUp:
    """A retry policy that gives up at once: a soft bounce is final."""
    return GiveUp(reason=None, explanation="no retries in this test")


def brevo_webhook(message_id: int, status: str, ts_event: int) -> Any:
    """Brevo's transactional SMS webhook, shaped as recorded
    (tests/data/webhooks/brevo_delivered.json), ``msg_status`` the event."""
    return parse_brevo_event(
        {
            "id": 26570,
            "to": "33612345675",
            "sms_count": 1,
            "credits_used": 1.5,
            "messageId": message_id,
            "remaining_credit": 11488.845,
            "msg_status": status,
            "date": "2026-03-03 10:01:00",
            "ts_event": ts_event,
            "type": "marketing",
            "tag": ["spring"],
        }
    )


def brevo_record(message_id: str, event: str) -> Any:
    """A record of Brevo's transactional SMS event report (its fields: phoneNumber, date,
    messageId, event, reason, reply, tag)."""
    return parse_brevo_event(
        {
            "phoneNumber": "+33612345675",
            "date": "2026-03-03T10:20:00.000+01:00",
            "messageId": message_id,
            "event": event,
            "tag": "spring",
        }
    )


def sent_through_brevo(store: StorageBase) -> tuple[CampaignEngine, SendMessage]:
    """Campaign ``brevo``: one message handed to Brevo under ``BREVO_ID``."""
    engine, (send,) = planned(store, "brevo", [NUMBERS[5]])
    engine.submitted(send.message_id, str(BREVO_ID), send.at)
    return engine, send


def test_an_unsubscribe_event_after_the_delivery_is_recorded_once(store: StorageBase) -> None:
    """The receipt says delivered, later Brevo's ``unsubscribe`` event comes for the same
    message: the unsubscribe recorded and the number blocklisted in one change, the message
    left delivered, the suspension evidence counting it once; the event sent again, in either
    shape, records nothing more (``"duplicate"``). The report: Unsubscribes 1 of delivered 1."""
    engine, send = sent_through_brevo(store)
    delivered = engine.handle(brevo_webhook(BREVO_ID, "delivered", 1772528460), send.at)
    assert delivered.message is not None
    assert ("applied", MessageStatus.DELIVERED) == (delivered.effect, delivered.message.status)
    assert (1, 0) == (store.evidence("brevo").delivered, store.evidence("brevo").unsubscribes)
    later = send.at + timedelta(minutes=20)
    result = engine.handle(brevo_record(str(BREVO_ID), "unsubscribe"), later)
    assert "applied" == result.effect
    assert result.message is not None
    assert (MessageStatus.DELIVERED, delivered.message.final_at) == (
        result.message.status,
        result.message.final_at,
    )
    assert ["BlockRecipient"] == [type(a).__name__ for a in result.actions]
    assert {NUMBERS[5]} == set(store.blocked([NUMBERS[5]]))
    (unsubscribe,) = store.unsubscribes("brevo")
    assert (NUMBERS[5], "brevo", "carrier:brevo_event:unsubscribe") == (
        unsubscribe.recipient,
        unsubscribe.campaign_id,
        unsubscribe.keyword,
    )
    assert (1, 1) == (store.evidence("brevo").delivered, store.evidence("brevo").unsubscribes)
    report = report_for(store, "brevo")
    assert (1, 1, 1, 100.0) == (
        report.recipients,
        report.delivered.count,
        report.unsubscribes.count,
        report.unsubscribes.percentage,
    )
    for again in (
        brevo_record(str(BREVO_ID), "unsubscribe"),
        brevo_webhook(BREVO_ID, "unsubscribe", 1772529660),
    ):
        replayed = engine.handle(again, later + timedelta(minutes=1))
        assert ("duplicate", ()) == (replayed.effect, replayed.actions)
        assert replayed.message is not None
        assert MessageStatus.DELIVERED == replayed.message.status
    assert 1 == len(store.unsubscribes("brevo"))
    assert (1, 1) == (store.evidence("brevo").delivered, store.evidence("brevo").unsubscribes)
    assert 1 == report_for(store, "brevo").unsubscribes.count


def test_an_unsubscribe_event_for_any_attempt_of_a_delivered_message(store: StorageBase) -> None:
    """A message delivered by its retry: an unsubscribe event naming its first (failed) attempt
    counts, once; one naming the delivering attempt afterwards is the same unsubscribe."""
    engine, sends = started(store, NUMBERS[:1])
    at = TUESDAY + timedelta(minutes=1)
    failed = engine.handle(parse_brevo_event({"messageId": "p-0", "event": "softBounce"}), at)
    (retry,) = [a for a in failed.actions if isinstance(a, RetryMessage)]
    engine.submitted(sends[0].message_id, "p-0-retry", retry.at)
    engine.handle(parse_brevo_event({"messageId": "p-0-retry", "event": "delivered"}), retry.at)
    later = retry.at + timedelta(hours=1)
    first = engine.handle(brevo_record("p-0", "unsubscribe"), later)
    assert "applied" == first.effect
    assert "duplicate" == engine.handle(brevo_record("p-0-retry", "unsubscribe"), later).effect
    assert 1 == len(store.unsubscribes("spring"))
    assert 1 == store.evidence("spring").unsubscribes
    report = report_for(store, "spring")
    assert (1, 1) == (report.delivered.count, report.unsubscribes.count)


@pytest.mark.parametrize(
    ("receipt", "status", "blocked"),
    [
        (lambda: twilio("p-0", "failed", "30005"), MessageStatus.HARD_BOUNCE, True),
        (lambda: twilio("p-0", "failed", "21610"), MessageStatus.HARD_BOUNCE, True),
        (lambda: brevo_record("p-0", "softBounce"), MessageStatus.SOFT_BOUNCE, False),
    ],
    ids=["hard", "opted-out-earlier", "soft"],
)
def test_an_unsubscribe_event_for_a_bounce_stays_late(
    store: StorageBase, receipt: Any, status: MessageStatus, blocked: bool
) -> None:
    """A message final as a bounce: its unsubscribe event is ``"late"`` and records nothing (no
    unsubscribe, no block of its own, no evidence): unsubscribes never exceed deliveries."""
    started(store, NUMBERS[:1])
    engine = CampaignEngine(store, retry=never_retry)
    at = TUESDAY + timedelta(minutes=1)
    bounced = engine.handle(receipt(), at)
    assert bounced.message is not None
    assert status == bounced.message.status
    result = engine.handle(brevo_record("p-0", "unsubscribe"), at)
    assert ("late", ()) == (result.effect, result.actions)
    assert [] == store.unsubscribes("spring")
    assert blocked == bool(store.blocked(NUMBERS[:1]))
    assert 0 == store.evidence("spring").unsubscribes
    report = report_for(store, "spring")
    assert (0, 0) == (report.delivered.count, report.unsubscribes.count)


def test_unsubscribes_never_exceed_deliveries_in_any_order(store: StorageBase) -> None:
    """Six messages (delivered, hard bounce, soft bounce, processing, delivered, a STOP reply's)
    and unsubscribe events for most, some twice, in one batch: unsubscribes stay at or below
    deliveries, each counted once, in the report and in the evidence."""
    started(store, NUMBERS)
    engine = CampaignEngine(store, retry=never_retry)
    at = TUESDAY + timedelta(minutes=1)
    engine.handle(twilio("p-0", "delivered"), at)
    engine.handle(twilio("p-1", "failed", "30005"), at)
    engine.handle(brevo_record("p-2", "softBounce"), at)
    engine.handle(twilio("p-4", "delivered"), at)
    engine.inbound(NUMBERS[5], "STOP", at)
    events = [brevo_record(f"p-{i}", "unsubscribe") for i in (0, 1, 2, 4, 4, 0)]
    effects = [r.effect for r in engine.handle_many(events, at + timedelta(minutes=5))]
    assert ["applied", "late", "late", "applied", "duplicate", "duplicate"] == effects
    report = report_for(store, "spring")
    assert (2, 2) == (report.delivered.count, report.unsubscribes.count)
    assert 3 == store.evidence("spring").unsubscribes  # two events and the STOP, once each
    # The processing message's unsubscribe event delivers it, and counts once too.
    for _ in range(2):
        engine.handle(brevo_record("p-3", "unsubscribe"), at + timedelta(minutes=6))
    report = report_for(store, "spring")
    assert (3, 3) == (report.delivered.count, report.unsubscribes.count)
    assert (3, 4) == (store.evidence("spring").delivered, store.evidence("spring").unsubscribes)


def test_the_async_engine_records_an_unsubscribe_after_the_delivery() -> None:
    """``AsyncCampaignEngine`` decides the same: delivered, the unsubscribe applied, its replay
    a duplicate; one unsubscribe, one block, counted once."""
    inner = InMemoryStorage()
    _, send = sent_through_brevo(inner)

    async def run() -> tuple[Any, ...]:
        async with ThreadedAsyncStorage(inner) as shared:
            engine = AsyncCampaignEngine(shared)
            delivered = brevo_webhook(BREVO_ID, "delivered", 1772528460)
            effects = [(await engine.handle(delivered, send.at)).effect]
            event = brevo_webhook(BREVO_ID, "unsubscribe", 1772529660)
            for _ in range(2):
                later = send.at + timedelta(minutes=20)
                effects.append((await engine.handle(event, later)).effect)
            evidence = await shared.evidence("brevo")
            counts = await shared.campaign_counts("brevo")
            return (
                effects,
                len(await shared.unsubscribes("brevo")),
                (evidence.delivered, evidence.unsubscribes),
                await shared.blocked([NUMBERS[5]]),
                sum(e.unsubscribers for e in counts.engagement.values()),
            )

    assert (["applied", "applied", "duplicate"], 1, (1, 1), {NUMBERS[5]}, 1) == asyncio.run(run())


def test_the_engine_reads_one_numbers_opt_outs_not_the_campaigns() -> None:
    """Telling whether an opt-out is recorded already (an inbound STOP, a provider's unsubscribe
    event after the delivery) reads that number's opt-outs in the campaign, never the whole
    list: each such read passes ``recipient`` (the stores answer it from an index)."""

    class Counted(InMemoryStorage):
        def __init__(self) -> None:
            super().__init__()
            self.asked: list[str | None] = []

        def unsubscribes(self, campaign_id: str, *, recipient: str | None = None) -> Any:
            self.asked.append(recipient)
            return super().unsubscribes(campaign_id, recipient=recipient)

    store = Counted()
    engine, send = sent_through_brevo(store)
    engine.handle(brevo_webhook(BREVO_ID, "delivered", 1772528460), send.at)
    later = send.at + timedelta(minutes=20)
    assert "applied" == engine.handle(brevo_record(str(BREVO_ID), "unsubscribe"), later).effect
    again = engine.handle(brevo_record(str(BREVO_ID), "unsubscribe"), later)
    assert "duplicate" == again.effect
    stop = engine.inbound(NUMBERS[5], "STOP", later + timedelta(minutes=1))
    assert stop.unsubscribe is not None
    assert [NUMBERS[5]] * 3 == store.asked
