"""Every event is one atomic change: the engine's calls on both stores, a failure injected into
the one commit of an event, and each point of the atomic-change issue (its numbers in the test
names: lost data 1-4, wrong decisions 5-15)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sms_campaign_stats import (
    Campaign,
    CampaignEngine,
    CampaignStatus,
    InMemoryStorage,
    MessageStatus,
    SQLiteStorage,
    parse_vonage_receipt,
    report_for,
)
from sms_campaign_stats.bounces import SoftBounceEscalation
from sms_campaign_stats.engine import RetryMessage, SendMessage, SuspendCampaign
from sms_campaign_stats.lifecycle import BounceReason
from sms_campaign_stats.providers import parse_brevo_event
from sms_campaign_stats.storage import Change, Committed
from sms_campaign_stats.suspension import Metric, ThresholdPolicy

UTC = timezone.utc
TUESDAY = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 in Paris
FR_1, FR_2, FR_3 = "+33612345678", "+33698765432", "+33611223344"
LOS_ANGELES = "+12135550123"

Store = InMemoryStorage | SQLiteStorage


class DiskFullError(OSError):
    """What a store's commit raises when the disk is full."""


class Flaky:
    """A store whose next ``failures`` commits fail (a full disk, a killed writer: nothing is
    written), delegating everything else."""

    def __init__(self, store: Store, failures: int = 1) -> None:
        self.store = store
        self.failures = failures

    def commit(self, change: Change) -> Committed:
        if self.failures:
            self.failures -= 1
            raise DiskFullError("no space left on device")
        return self.store.commit(change)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each scenario on both stores."""
    storage: Store = (
        InMemoryStorage() if request.param == "memory" else SQLiteStorage(tmp_path / "a.db")
    )
    yield storage
    storage.close()


def new_campaign(
    store: Store, campaign_id: str = "spring", lists: tuple[str, ...] = ("a",)
) -> None:
    change = Campaign.create(
        id=campaign_id,
        name="Spring",
        sender="MyShop",
        content="Sale! STOP 36111",
        list_ids=list(lists),
        at=TUESDAY - timedelta(days=1),
        unit_price=Decimal("0.05"),
    )
    store.add_campaign(change.campaign, events=[change.event])


def engine_of(store: Any, **options: Any) -> CampaignEngine:
    return CampaignEngine(store, default_region="FR", **options)


def vonage(provider_id: str, status: str, err: str = "0") -> Any:
    return parse_vonage_receipt({"messageId": provider_id, "status": status, "err-code": err})


def planned(store: Store, *numbers: str, campaign_id: str = "spring") -> dict[str, str]:
    """Plan ``numbers`` (a fresh campaign): their message ids by number."""
    new_campaign(store, campaign_id)
    result = engine_of(store).plan(campaign_id, {"a": list(numbers)}, TUESDAY)
    return {a.recipient: a.message_id for a in result.actions if isinstance(a, SendMessage)}


def sent(store: Store, *numbers: str) -> dict[str, str]:
    """Plan and submit: the message ids by number; provider ids are ``p-<number>``."""
    ids = planned(store, *numbers)
    engine = engine_of(store)
    for number, message_id in ids.items():
        engine.submitted(message_id, f"p-{number}", TUESDAY)
    return ids


# Lost data ---------------------------------------------------------------------------------


def test_1_orphans_and_their_submission_are_one_change(store: Store) -> None:
    """A failure between taking the early reports and applying them loses nothing: both or
    neither; delivered again, the reports are applied once."""
    ids = planned(store, FR_1)
    engine = engine_of(store)
    assert "orphan" == engine.handle(vonage("p-1", "delivered"), TUESDAY).effect
    with pytest.raises(DiskFullError):
        engine_of(Flaky(store)).submitted(ids[FR_1], "p-1", TUESDAY)
    assert MessageStatus.QUEUED == store.get_message(ids[FR_1]).status
    assert 1 == len(store.orphans(["p-1"]))
    effects = [r.effect for r in engine.submitted(ids[FR_1], "p-1", TUESDAY)]
    assert ["applied", "applied"] == effects
    assert MessageStatus.DELIVERED == store.get_message(ids[FR_1]).status
    assert [] == store.orphans(["p-1"])


def test_2_a_carrier_opt_out_and_its_unsubscribe_are_one_change(store: Store) -> None:
    """A provider's unsubscribe event (Brevo): the outcome (delivered), the unsubscribe and the
    block in one commit; a failed commit leaves none, the provider's re-send applies all."""
    ids = sent(store, FR_1)
    event = parse_brevo_event({"messageId": f"p-{FR_1}", "event": "unsubscribe"})
    with pytest.raises(DiskFullError):
        engine_of(Flaky(store)).handle(event, TUESDAY + timedelta(minutes=1))
    assert MessageStatus.PROCESSING == store.get_message(ids[FR_1]).status
    assert ([], frozenset()) == (store.unsubscribes("spring"), store.blocked([FR_1]))
    assert "applied" == engine_of(store).handle(event, TUESDAY + timedelta(minutes=2)).effect
    assert MessageStatus.DELIVERED == store.get_message(ids[FR_1]).status
    assert 1 == len(store.unsubscribes("spring"))
    assert frozenset({FR_1}) == store.blocked([FR_1])


def test_2_an_unsubscribe_after_the_delivery_and_its_block_are_one_change(store: Store) -> None:
    """Brevo's ``unsubscribe`` event for a message delivered earlier: the unsubscribe, the block
    and the evidence in one commit; a failed commit leaves none, the provider's re-send applies
    all, and a further re-send is a duplicate that counts nothing twice."""
    ids = sent(store, FR_1)
    engine_of(store).handle(vonage(f"p-{FR_1}", "delivered"), TUESDAY + timedelta(minutes=1))
    delivered = store.get_message(ids[FR_1])
    event = parse_brevo_event({"messageId": f"p-{FR_1}", "event": "unsubscribe"})
    later = TUESDAY + timedelta(hours=2)
    with pytest.raises(DiskFullError):
        engine_of(Flaky(store)).handle(event, later)
    assert ([], frozenset()) == (store.unsubscribes("spring"), store.blocked([FR_1]))
    assert (1, 0) == (store.evidence("spring").delivered, store.evidence("spring").unsubscribes)
    assert delivered == store.get_message(ids[FR_1])
    assert "applied" == engine_of(store).handle(event, later).effect
    assert "duplicate" == engine_of(store).handle(event, later).effect
    stored = store.get_message(ids[FR_1])
    assert (MessageStatus.DELIVERED, delivered.final_at) == (stored.status, stored.final_at)
    assert 1 == len(store.unsubscribes("spring"))
    assert frozenset({FR_1}) == store.blocked([FR_1])
    assert (1, 1) == (store.evidence("spring").delivered, store.evidence("spring").unsubscribes)
    report = report_for(store, "spring")
    assert (1, 1) == (report.delivered.count, report.unsubscribes.count)


def test_2_an_earlier_opt_out_and_its_block_are_one_change(store: Store) -> None:
    """Vonage err 9 (the recipient opted out before): the hard bounce and the block in one
    commit, and no unsubscribe of this campaign; a failed commit leaves neither."""
    ids = sent(store, FR_1)
    opted_out = vonage(f"p-{FR_1}", "failed", "9")
    with pytest.raises(DiskFullError):
        engine_of(Flaky(store)).handle(opted_out, TUESDAY + timedelta(minutes=1))
    assert MessageStatus.PROCESSING == store.get_message(ids[FR_1]).status
    assert frozenset() == store.blocked([FR_1])
    assert "applied" == engine_of(store).handle(opted_out, TUESDAY + timedelta(minutes=2)).effect
    assert MessageStatus.HARD_BOUNCE == store.get_message(ids[FR_1]).status
    assert ([], frozenset({FR_1})) == (store.unsubscribes("spring"), store.blocked([FR_1]))


def test_2_a_rejected_configuration_and_the_suspension_are_one_change(store: Store) -> None:
    """A rejected sender configuration suspends the campaign in the same commit as the outcome:
    re-sent after a failed commit, the campaign is suspended, not 'duplicate' and sending."""
    sent(store, FR_1)
    rejected = vonage(f"p-{FR_1}", "failed", "50")  # entity filter: sender set-up
    with pytest.raises(DiskFullError):
        engine_of(Flaky(store)).handle(rejected, TUESDAY + timedelta(minutes=1))
    assert CampaignStatus.SENDING == store.get_campaign("spring").status
    result = engine_of(store).handle(rejected, TUESDAY + timedelta(minutes=2))
    assert "applied" == result.effect
    assert any(isinstance(a, SuspendCampaign) for a in result.actions)
    assert CampaignStatus.SUSPENDED == store.get_campaign("spring").status


def test_2_an_inbound_stop_records_and_blocks_in_one_change(store: Store) -> None:
    """The opt-out and the block are one commit: never an opt-out whose number is not blocked."""
    sent(store, FR_1)
    at = TUESDAY + timedelta(hours=1)
    with pytest.raises(DiskFullError):
        engine_of(Flaky(store)).inbound(FR_1, "STOP", at, inbound_id="in-1")
    assert ([], frozenset()) == (store.unsubscribes("spring"), store.blocked([FR_1]))
    result = engine_of(store).inbound(FR_1, "STOP", at, inbound_id="in-1")
    assert result.recorded
    assert frozenset({FR_1}) == store.blocked([FR_1])
    again = engine_of(store).inbound(FR_1, "STOP", at, inbound_id="in-1")
    assert not again.recorded
    assert 1 == store.evidence("spring").unsubscribes  # counted once


def test_2_a_batch_and_its_suspension_are_one_change(store: Store) -> None:
    """``handle_many`` commits the batch and the suspension it causes together: a failed commit
    leaves the batch to be re-sent, and the re-sent batch suspends the campaign."""
    numbers = [f"+336{n:08d}" for n in range(10, 30)]
    ids = sent(store, *numbers)
    hard = [vonage(f"p-{n}", "failed", "3") for n in numbers]  # absent subscriber: hard
    policy = ThresholdPolicy(
        metric=Metric.HARD_BOUNCE_RATE, warn_at=0.02, suspend_at=0.05, min_sample=5
    )
    later = TUESDAY + timedelta(minutes=5)
    with pytest.raises(DiskFullError):
        engine_of(Flaky(store), suspension=policy).handle_many(hard, later)
    assert all(store.get_message(i).status is MessageStatus.PROCESSING for i in ids.values())
    results = engine_of(store, suspension=policy).handle_many(hard, later)
    assert all(r.effect == "applied" for r in results)
    assert CampaignStatus.SUSPENDED == store.get_campaign("spring").status


def test_3_planning_is_all_or_nothing_and_can_be_repeated(store: Store) -> None:
    """The messages and the campaign's start are one commit: a failed plan leaves a draft
    without messages, and planning again works."""
    new_campaign(store)
    with pytest.raises(DiskFullError):
        engine_of(Flaky(store)).plan("spring", {"a": [FR_1, FR_2]}, TUESDAY)
    assert CampaignStatus.DRAFT == store.get_campaign("spring").status
    assert [] == list(store.iter_messages("spring"))
    result = engine_of(store).plan("spring", {"a": [FR_1, FR_2]}, TUESDAY)
    assert (2, CampaignStatus.SENDING) == (result.messages, result.campaign.status)


def test_4_a_retry_is_stored_and_found_after_a_restart(store: Store) -> None:
    """The retry's due time is kept with the message: a fresh engine finds it."""
    ids = sent(store, FR_1)
    failed = engine_of(store).handle(vonage(f"p-{FR_1}", "failed", "7"), TUESDAY)  # busy
    retry = next(a for a in failed.actions if isinstance(a, RetryMessage))
    assert retry.at == store.get_message(ids[FR_1]).due_at
    fresh = engine_of(store)
    assert [] == fresh.due_retries(retry.at - timedelta(seconds=1))
    assert [ids[FR_1]] == [r.message_id for r in fresh.due_retries(retry.at)]


# Wrong decisions ---------------------------------------------------------------------------


def test_5_a_retry_is_planned_in_the_zone_the_message_was_given(store: Store) -> None:
    """A Los Angeles recipient planned with an explicit zone is retried in allowed hours there
    (the TCPA's 08:00-21:00 local), never at 05:00 local."""
    new_campaign(store)
    evening = datetime(2026, 3, 4, 4, 30, tzinfo=UTC)  # 20:30 in Los Angeles
    engine = engine_of(store)
    plan = engine.plan(
        "spring", {"a": [LOS_ANGELES]}, evening, explicit_zones={LOS_ANGELES: "America/Los_Angeles"}
    )
    send = next(a for a in plan.actions if isinstance(a, SendMessage))
    assert "America/Los_Angeles" == store.get_message(send.message_id).zone
    engine.submitted(send.message_id, "p-la", evening)
    failed = engine.handle(vonage("p-la", "failed", "7"), evening + timedelta(minutes=1))
    retry = next(a for a in failed.actions if isinstance(a, RetryMessage))
    local = retry.at.astimezone(ZoneInfo("America/Los_Angeles"))
    assert 8 <= local.hour < 21


def test_6_resume_keeps_the_backoff_and_the_window(store: Store) -> None:
    """A retry waiting when the campaign was suspended keeps its due time on a quick resume,
    and is given up on a resume past its window."""
    ids = sent(store, FR_1, FR_2)
    engine = engine_of(store)
    failed = engine.handle(vonage(f"p-{FR_1}", "failed", "7"), TUESDAY)
    retry = next(a for a in failed.actions if isinstance(a, RetryMessage))
    engine.handle(vonage(f"p-{FR_2}", "failed", "50"), TUESDAY)  # suspends the campaign
    assert CampaignStatus.SUSPENDED == store.get_campaign("spring").status
    actions = engine.resume("spring", TUESDAY + timedelta(minutes=1))
    kept = next(a for a in actions if a.message_id == ids[FR_1])  # type: ignore[union-attr]
    assert retry.at == kept.at  # type: ignore[union-attr]
    assert retry.at == store.get_message(ids[FR_1]).due_at


def test_6_a_resume_past_the_window_gives_the_retry_up(store: Store) -> None:
    """Resumed four days later, the waiting retry could only go out past its 72-hour window:
    it is given up, a soft bounce with the failure's reason."""
    ids = sent(store, FR_1, FR_2)
    engine = engine_of(store)
    engine.handle(vonage(f"p-{FR_1}", "failed", "7"), TUESDAY)
    engine.handle(vonage(f"p-{FR_2}", "failed", "50"), TUESDAY)
    engine.resume("spring", TUESDAY + timedelta(days=4))
    given_up = store.get_message(ids[FR_1])
    assert (MessageStatus.SOFT_BOUNCE, BounceReason.HANDSET_TEMPORARY_ERROR) == (
        given_up.status,
        given_up.bounce_reason,
    )


def test_7_a_resume_restarts_the_evidence_for_every_engine(store: Store) -> None:
    """After a resume, a fresh engine (a restart, another worker) decides from the evidence
    since the resume: a delivery does not suspend the campaign again."""
    numbers = [f"+336{n:08d}" for n in range(10, 20)]
    sent(store, *numbers)
    policy = ThresholdPolicy(
        metric=Metric.HARD_BOUNCE_RATE, warn_at=0.02, suspend_at=0.05, min_sample=3
    )
    engine = engine_of(store, suspension=policy)
    engine.handle_many([vonage(f"p-{n}", "failed", "3") for n in numbers[:3]], TUESDAY)
    assert CampaignStatus.SUSPENDED == store.get_campaign("spring").status
    engine.resume("spring", TUESDAY + timedelta(minutes=5))
    assert 0 == store.evidence("spring").hard_bounces
    fresh = engine_of(store, suspension=policy)
    fresh.handle(vonage(f"p-{numbers[5]}", "delivered"), TUESDAY + timedelta(minutes=6))
    assert CampaignStatus.SENDING == store.get_campaign("spring").status


def test_8_an_inbound_message_counts_against_the_campaign_sent_before_it(store: Store) -> None:
    """A STOP sent on day 1 but processed after campaign B went out on day 2 is campaign A's."""
    sent(store, FR_1)
    new_campaign(store, "b")
    engine = engine_of(store)
    day_2 = TUESDAY + timedelta(days=1)
    b = engine.plan("b", {"a": [FR_1]}, day_2)
    engine.submitted(b.actions[0].message_id, "p-b", day_2)  # type: ignore[union-attr]
    result = engine.inbound(FR_1, "STOP", TUESDAY + timedelta(hours=2), inbound_id="late")
    assert "spring" == result.campaign_id


def test_9_a_repeated_acknowledgement_opens_no_second_attempt(store: Store) -> None:
    ids = sent(store, FR_1)
    engine = engine_of(store)
    engine.handle(vonage(f"p-{FR_1}", "failed", "7"), TUESDAY)
    again = engine.submitted(ids[FR_1], f"p-{FR_1}", TUESDAY + timedelta(minutes=1))
    assert ["duplicate"] == [r.effect for r in again]
    message = store.get_message(ids[FR_1])
    assert (MessageStatus.QUEUED, 1) == (message.status, len(message.attempts))


def test_10_a_fresh_engine_counts_the_first_stop_once(store: Store) -> None:
    sent(store, FR_1)
    engine_of(store).inbound(FR_1, "STOP", TUESDAY + timedelta(hours=1), inbound_id="s")
    assert 1 == store.evidence("spring").unsubscribes
    engine_of(store).inbound(FR_1, "STOP", TUESDAY + timedelta(hours=1), inbound_id="s")
    assert 1 == store.evidence("spring").unsubscribes


def test_11_cancelled_campaigns_never_retry(store: Store) -> None:
    ids = sent(store, FR_1)
    engine = engine_of(store)
    engine.cancel("spring", TUESDAY)
    result = engine.handle(vonage(f"p-{FR_1}", "failed", "7"), TUESDAY + timedelta(minutes=1))
    assert not any(isinstance(a, RetryMessage) for a in result.actions)
    assert MessageStatus.SOFT_BOUNCE == store.get_message(ids[FR_1]).status


def test_11_suspended_campaigns_hold_their_retries(store: Store) -> None:
    ids = sent(store, FR_1, FR_2)
    engine = engine_of(store)
    engine.handle(vonage(f"p-{FR_2}", "failed", "50"), TUESDAY)  # suspended
    result = engine.handle(vonage(f"p-{FR_1}", "failed", "7"), TUESDAY + timedelta(minutes=1))
    assert not any(isinstance(a, RetryMessage) for a in result.actions)
    held = store.get_message(ids[FR_1])
    assert (MessageStatus.QUEUED, True) == (held.status, held.due_at is not None)
    assert engine.due(ids[FR_1], TUESDAY + timedelta(minutes=2)) is None  # not sending


def test_11_due_honours_the_stored_retry_time(store: Store) -> None:
    ids = sent(store, FR_1)
    engine = engine_of(store)
    failed = engine.handle(vonage(f"p-{FR_1}", "failed", "7"), TUESDAY)
    retry = next(a for a in failed.actions if isinstance(a, RetryMessage))
    action = engine.due(ids[FR_1], TUESDAY + timedelta(minutes=1))
    assert isinstance(action, SendMessage)
    assert retry.at == action.at


def test_12_a_clock_that_went_back_is_read_as_the_submission(store: Store) -> None:
    ids = sent(store, FR_1, FR_2)
    engine = engine_of(store)
    before = TUESDAY - timedelta(hours=1)
    engine.handle(vonage(f"p-{FR_1}", "delivered"), before)
    delivered = store.get_message(ids[FR_1])
    assert delivered.final_at == delivered.attempts[-1].submitted_at
    failed = engine.handle(vonage(f"p-{FR_2}", "failed", "7"), before)
    retry = next(a for a in failed.actions if isinstance(a, RetryMessage))
    assert retry.at >= TUESDAY


def test_13_repeated_soft_bounces_escalate_when_configured(store: Store) -> None:
    """With a ``SoftBounceEscalation``, a number's repeated soft bounces (across campaigns)
    become a hard bounce, and the number is blocked."""
    escalation = SoftBounceEscalation(threshold=2, window=timedelta(days=90))
    ids = sent(store, FR_1)
    engine = engine_of(store, escalation=escalation)
    first = engine.handle(vonage(f"p-{FR_1}", "failed", "7"), TUESDAY)
    retry = next(a for a in first.actions if isinstance(a, RetryMessage))
    engine.submitted(ids[FR_1], "p-retry", retry.at)
    engine.handle(vonage("p-retry", "failed", "7"), retry.at + timedelta(minutes=1))
    message = store.get_message(ids[FR_1])
    assert MessageStatus.HARD_BOUNCE == message.status
    assert frozenset({FR_1}) == store.blocked([FR_1])


def test_14_planning_again_adds_what_is_new(store: Store) -> None:
    new_campaign(store, lists=("a", "b"))
    engine = engine_of(store)
    first = engine.plan("spring", {"a": [FR_1, FR_2]}, TUESDAY)
    again = engine.plan("spring", {"a": [FR_1, FR_2], "b": [FR_3]}, TUESDAY)
    assert (2, 1, 2) == (first.messages, again.messages, again.already_planned)
    assert 3 == report_for(store, "spring").recipients


def test_15_a_campaign_completes_with_its_last_outcome(store: Store) -> None:
    sent(store, FR_1, FR_2)
    engine = engine_of(store)
    engine.handle(vonage(f"p-{FR_1}", "delivered"), TUESDAY)
    assert CampaignStatus.SENDING == store.get_campaign("spring").status
    engine.handle(vonage(f"p-{FR_2}", "failed", "3"), TUESDAY)
    assert CampaignStatus.COMPLETED == store.get_campaign("spring").status
