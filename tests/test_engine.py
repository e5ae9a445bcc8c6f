"""The campaign engine: scenarios from planning to the last report, in virtual time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from sms_campaign_stats import (
    BounceReason,
    Campaign,
    CampaignStatus,
    InMemoryStorage,
    Message,
    MessageStatus,
    SQLiteStorage,
    ValidationError,
    parse_twilio_callback,
    parse_vonage_receipt,
    report_for,
)
from sms_campaign_stats.engine import (
    BlockRecipient,
    CampaignEngine,
    CampaignWarning,
    HandleResult,
    InboundResult,
    NeedsZone,
    PlanResult,
    RetryMessage,
    SendMessage,
    SuspendCampaign,
)
from sms_campaign_stats.errors import OutsideAllowedHoursError
from sms_campaign_stats.lifecycle import TimelineKind
from sms_campaign_stats.quiet_hours import OutsideWindow, ZonePolicy, rule_for
from sms_campaign_stats.storage import StorageBase

UTC = timezone.utc
TUESDAY = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 in Paris
NIGHT = datetime(2026, 3, 3, 22, 0, tzinfo=UTC)  # 23:00 in Paris
FR_MOBILE, FR_MOBILE_2, FR_LANDLINE = "+33612345678", "+33698765432", "+33142685300"
RU_MOBILE = "+79123456789"
IDAHO = "+12085551234"  # Boise or Los Angeles, says phonenumbers
ENGINE_PAGE = Path(__file__).resolve().parent.parent / "docs" / "engine.md"


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StorageBase]:
    """Each scenario on both stores."""
    storage: StorageBase = (
        InMemoryStorage() if request.param == "memory" else SQLiteStorage(tmp_path / "e.db")
    )
    yield storage
    storage.close()


def new_campaign(store: StorageBase, campaign_id: str = "spring") -> Campaign:
    """A stored draft campaign."""
    change = Campaign.create(
        id=campaign_id,
        name="Spring",
        sender="MyShop",
        content="Sale! STOP 36111",
        list_ids=["a", "b"],
        at=TUESDAY - timedelta(days=1),
        unit_price=Decimal("0.05"),
    )
    store.add_campaign(change.campaign, events=[change.event])
    return change.campaign


def send_action(actions: Any, recipient: str) -> SendMessage:
    """The send action planned for ``recipient``."""
    return next(a for a in actions if isinstance(a, SendMessage) and a.recipient == recipient)


def vonage(provider_id: str, status: str, err: str = "0") -> Any:
    """A Vonage receipt for a provider id."""
    return parse_vonage_receipt({"messageId": provider_id, "status": status, "err-code": err})


def test_plan_checks_merges_and_schedules(store: StorageBase) -> None:
    """Numbers merged across lists, invalid and landline refused (never sent), blocked left
    out, send times from the French rule, the campaign started and recorded."""
    new_campaign(store)
    store.block(FR_MOBILE_2, reason="unsubscribed", at=TUESDAY)
    engine = CampaignEngine(store, default_region="FR")
    planned = engine.plan(
        "spring",
        {
            "a": [FR_MOBILE, "06 12 34 56 78", FR_LANDLINE, "not a number"],
            "b": [FR_MOBILE, FR_MOBILE_2],
        },
        NIGHT,
    )
    assert (3, 2, 1, 0) == (planned.messages, planned.refused, planned.blocked, planned.needs_zone)
    action = send_action(planned.actions, FR_MOBILE)
    assert datetime(2026, 3, 4, 7, 0, tzinfo=UTC) == action.at  # Wednesday 08:00 Paris
    assert CampaignStatus.SENDING == planned.campaign.status
    assert TimelineKind.STARTED == store.timeline("spring")[-1].kind
    report = report_for(store, "spring")
    assert (3, 2, 0) == (report.recipients, report.soft_bounces.count, report.totals.sent)
    merged = store.get_message(action.message_id)
    assert ("a", "b") == merged.list_ids
    invalid = [m for m in store.iter_messages("spring") if m.recipient == "not a number"]
    assert BounceReason.INVALID_NUMBER_OR_COUNTRY_CODE == invalid[0].bounce_reason
    new_campaign(store, "other")
    engine.cancel("other", TUESDAY)
    with pytest.raises(ValidationError, match="cancelled: it cannot be planned"):
        engine.plan("other", {"a": [FR_MOBILE]}, TUESDAY)


def test_outside_window_policies_and_unknown_zones(store: StorageBase) -> None:
    """DROP refuses for the hour (never sent); RAISE stores nothing; a number whose zones span
    too far waits for an explicit zone."""
    new_campaign(store, "drop")
    dropping = CampaignEngine(store, outside_window=OutsideWindow.DROP)
    dropped = dropping.plan("drop", {"a": [FR_MOBILE]}, NIGHT)
    assert 1 == dropped.dropped
    assert (
        BounceReason.SENT_OUTSIDE_ALLOWED_HOURS
        == next(iter(store.iter_messages("drop"))).bounce_reason
    )
    new_campaign(store, "raise")
    with pytest.raises(OutsideAllowedHoursError):
        CampaignEngine(store, outside_window=OutsideWindow.RAISE).plan(
            "raise", {"a": [FR_MOBILE]}, NIGHT
        )
    assert [] == list(store.iter_messages("raise"))
    assert CampaignStatus.DRAFT == store.get_campaign("raise").status
    new_campaign(store, "zones")
    strict = CampaignEngine(store, zone_policy=ZonePolicy(max_span=timedelta(0)))
    planned = strict.plan("zones", {"a": [IDAHO, RU_MOBILE]}, TUESDAY + timedelta(hours=8))
    waiting = next(a for a in planned.actions if isinstance(a, NeedsZone))
    assert IDAHO == waiting.recipient  # Boise or Los Angeles: the policy asks
    russia = next(a for a in planned.actions if isinstance(a, SendMessage))
    assert RU_MOBILE == russia.recipient  # no rule for Russia: any time, any zone
    assigned = strict.assign_zone(waiting.message_id, "America/Boise", TUESDAY + timedelta(hours=8))
    assert isinstance(assigned, SendMessage)
    assert TUESDAY + timedelta(hours=8) == assigned.at  # 10:00 in Boise


def test_delivery_and_idempotence(store: StorageBase) -> None:
    """Delivered once; the same report again, a late intermediate one: nothing changes."""
    new_campaign(store)
    engine = CampaignEngine(store)
    planned = engine.plan("spring", {"a": [FR_MOBILE]}, TUESDAY)
    action = send_action(planned.actions, FR_MOBILE)
    assert isinstance(engine.due(action.message_id, TUESDAY), SendMessage)
    engine.submitted(action.message_id, "p-1", TUESDAY)
    first = engine.handle(vonage("p-1", "delivered"), TUESDAY + timedelta(seconds=5))
    assert ("applied", MessageStatus.DELIVERED) == (first.effect, first.message.status)  # type: ignore[union-attr]
    assert (
        "late" == engine.handle(vonage("p-1", "delivered"), TUESDAY + timedelta(seconds=9)).effect
    )
    assert "late" == engine.handle(vonage("p-1", "accepted"), TUESDAY + timedelta(seconds=9)).effect
    assert engine.due(action.message_id, TUESDAY) is None
    assert 1 == report_for(store, "spring").delivered.count
    assert "duplicate" == engine.submitted(action.message_id, "p-1", TUESDAY)[0].effect
    with pytest.raises(ValidationError, match="not queued"):
        engine.submitted(action.message_id, "p-other", TUESDAY)


def test_orphan_reports_wait_for_their_message(store: StorageBase) -> None:
    """A report before the provider id is recorded is kept, then applied."""
    new_campaign(store)
    engine = CampaignEngine(store)
    action = send_action(engine.plan("spring", {"a": [FR_MOBILE]}, TUESDAY).actions, FR_MOBILE)
    early = engine.handle(vonage("p-9", "delivered"), TUESDAY)
    assert "orphan" == early.effect
    results = engine.submitted(action.message_id, "p-9", TUESDAY)
    assert ["applied", "applied"] == [r.effect for r in results]
    assert MessageStatus.DELIVERED == store.get_message(action.message_id).status


def test_soft_failures_are_retried_then_give_up(store: StorageBase) -> None:
    """A handset off: retried at allowed times, three times; then a soft bounce."""
    new_campaign(store)
    engine = CampaignEngine(store)
    action = send_action(engine.plan("spring", {"a": [FR_MOBILE]}, TUESDAY).actions, FR_MOBILE)
    now = TUESDAY
    retry_times = []
    for attempt in range(1, 5):
        engine.submitted(action.message_id, f"p-{attempt}", now)
        result = engine.handle(vonage(f"p-{attempt}", "failed", "2"), now + timedelta(seconds=10))
        retries = [a for a in result.actions if isinstance(a, RetryMessage)]
        if attempt < 4:
            assert 1 == len(retries)
            retry_times.append(retries[0].at)
            now = retries[0].at
            assert rule_for("FR").is_allowed(now, "Europe/Paris")
        else:
            assert [] == retries
    assert retry_times == sorted(retry_times)
    final = store.get_message(action.message_id)
    assert (MessageStatus.SOFT_BOUNCE, BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE, 4) == (
        final.status,
        final.bounce_reason,
        len(final.attempts),
    )
    assert "late" == engine.handle(vonage("p-3", "failed", "2"), now).effect


def test_hard_bounce_blocks_the_number(store: StorageBase) -> None:
    """A number that does not exist: hard bounce, blocklisted, left out of the next plan."""
    new_campaign(store)
    engine = CampaignEngine(store)
    action = send_action(engine.plan("spring", {"a": [FR_MOBILE]}, TUESDAY).actions, FR_MOBILE)
    engine.submitted(action.message_id, "p-1", TUESDAY)
    result = engine.handle(vonage("p-1", "failed", "3"), TUESDAY)
    assert [BlockRecipient(recipient=FR_MOBILE, reason="hard_bounce", campaign_id="spring")] == [
        a for a in result.actions if isinstance(a, BlockRecipient)
    ]
    new_campaign(store, "next")
    assert 1 == engine.plan("next", {"a": [FR_MOBILE]}, TUESDAY).blocked


def test_carrier_opt_out_is_an_earlier_opt_out(store: StorageBase) -> None:
    """Twilio 21610: the recipient opted out before this campaign: a hard bounce of its own
    reason, blocked, not retried, not an unsubscribe of this campaign (issue 15)."""
    new_campaign(store)
    engine = CampaignEngine(store)
    action = send_action(engine.plan("spring", {"a": [FR_MOBILE]}, TUESDAY).actions, FR_MOBILE)
    engine.submitted(action.message_id, "SM1", TUESDAY)
    result = engine.handle(
        parse_twilio_callback(
            {"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "21610"}
        ),
        TUESDAY,
    )
    assert MessageStatus.HARD_BOUNCE == result.message.status  # type: ignore[union-attr]
    assert BounceReason.OPTED_OUT_EARLIER == result.message.bounce_reason  # type: ignore[union-attr]
    assert 0 == len(store.unsubscribes("spring"))
    assert FR_MOBILE in store.blocked([FR_MOBILE])


def test_sender_configuration_problem_suspends_and_resume_resends(store: StorageBase) -> None:
    """REJECTED_CONFIG: the campaign is suspended, the message back in the queue; resuming is
    recorded and retries the queued message."""
    new_campaign(store)
    engine = CampaignEngine(store)
    action = send_action(engine.plan("spring", {"a": [FR_MOBILE]}, TUESDAY).actions, FR_MOBILE)
    engine.submitted(action.message_id, "SM1", TUESDAY)
    result = engine.handle(
        parse_twilio_callback(
            {"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "30032"}
        ),
        TUESDAY,
    )
    assert [SuspendCampaign] == [type(a) for a in result.actions]
    assert CampaignStatus.SUSPENDED == store.get_campaign("spring").status
    assert MessageStatus.QUEUED == store.get_message(action.message_id).status
    assert engine.due(action.message_id, TUESDAY) is None
    resumed = engine.resume("spring", TUESDAY + timedelta(hours=1), reason="number verified")
    # A second attempt of a message that failed: a retry, planned in allowed hours from now.
    again = [a for a in resumed if isinstance(a, RetryMessage)]
    assert [action.message_id] == [a.message_id for a in again]
    assert TUESDAY + timedelta(hours=1) == again[0].at
    kinds = [e.kind for e in store.timeline("spring")]
    assert [TimelineKind.SUSPENDED, TimelineKind.RESUMED] == kinds[-2:]


def test_high_hard_bounce_rate_suspends_the_campaign(store: StorageBase) -> None:
    """A list full of dead numbers: suspended with the evidence in the history."""
    new_campaign(store)
    engine = CampaignEngine(store)
    numbers = [f"+3361234{i:04d}" for i in range(400)]
    planned = engine.plan("spring", {"a": numbers}, TUESDAY)
    suspended = []
    for index, action in enumerate(a for a in planned.actions if isinstance(a, SendMessage)):
        if engine.due(action.message_id, TUESDAY) is None:
            break
        engine.submitted(action.message_id, f"p{index}", TUESDAY)
        err = "3" if index % 5 == 0 else "0"  # 20% hard bounces
        result = engine.handle(
            vonage(f"p{index}", "failed" if err == "3" else "delivered", err), TUESDAY
        )
        suspended += [a for a in result.actions if isinstance(a, SuspendCampaign)]
    assert 1 == len(suspended)
    entry = store.timeline("spring")[-1]
    assert TimelineKind.SUSPENDED == entry.kind
    assert "hard_bounce_rate" in str(entry.details)


def test_inbound_replies_and_stop_words(store: StorageBase) -> None:
    """STOP words in any case or accent unsubscribe; other texts are replies; attributed to the
    latest campaign within the window; the same inbound twice is recorded once."""
    new_campaign(store)
    engine = CampaignEngine(store)
    action = send_action(
        engine.plan("spring", {"a": [FR_MOBILE, FR_MOBILE_2]}, TUESDAY).actions, FR_MOBILE
    )
    engine.submitted(action.message_id, "p-1", TUESDAY)
    engine.handle(vonage("p-1", "delivered"), TUESDAY)
    reply = engine.inbound(FR_MOBILE, "Is it valid in store?", TUESDAY + timedelta(hours=1))
    assert ("reply", "spring", True) == (reply.kind, reply.campaign_id, reply.recorded)
    again = engine.inbound(FR_MOBILE, "Is it valid in store?", TUESDAY + timedelta(hours=1))
    assert not again.recorded
    for text in ("Arrêt.", " stop ", "STOP SMS", "Unsubscribe", "revoke"):  # REVOKE: 47 CFR
        found = engine.inbound(FR_MOBILE, text, TUESDAY + timedelta(hours=2, minutes=len(text)))
        assert "unsubscribe" == found.kind, text
    assert {FR_MOBILE} == store.blocked([FR_MOBILE])  # 64.1200(a)(10) lists "revoke"
    assert (
        "reply" == engine.inbound(FR_MOBILE, "please don't stop", TUESDAY + timedelta(hours=3)).kind
    )
    late = engine.inbound(FR_MOBILE, "hello?", TUESDAY + timedelta(days=30))
    assert late.campaign_id is None
    stranger = engine.inbound("06 98 76 54 32", "who is this", TUESDAY, default_region="FR")
    assert stranger.campaign_id is None  # planned but never sent
    with pytest.raises(ValidationError):
        engine.inbound("not a number", "x", TUESDAY)


def test_expire_pending_messages(store: StorageBase) -> None:
    """No final report after the pending timeout: retried (expired at operator)."""
    new_campaign(store)
    engine = CampaignEngine(store, pending_timeout=timedelta(hours=6))
    action = send_action(engine.plan("spring", {"a": [FR_MOBILE]}, TUESDAY).actions, FR_MOBILE)
    engine.submitted(action.message_id, "p-1", TUESDAY)
    assert [] == engine.expire(TUESDAY + timedelta(hours=5))
    (result,) = engine.expire(TUESDAY + timedelta(hours=7))
    assert [RetryMessage] == [type(a) for a in result.actions]
    assert BounceReason.EXPIRED_AT_OPERATOR == store.get_message(action.message_id).bounce_reason


def test_cancel_and_complete(store: StorageBase) -> None:
    """Cancelling cancels queued messages; a campaign completes when nothing is left to do."""
    new_campaign(store)
    engine = CampaignEngine(store)
    planned = engine.plan("spring", {"a": [FR_MOBILE, FR_MOBILE_2]}, TUESDAY)
    first = send_action(planned.actions, FR_MOBILE)
    engine.submitted(first.message_id, "p-1", TUESDAY)
    assert CampaignStatus.SENDING == engine.complete_if_done("spring", TUESDAY).status
    engine.cancel("spring", TUESDAY)
    statuses = sorted(m.status.value for m in store.iter_messages("spring"))
    assert ["cancelled", "processing"] == statuses
    new_campaign(store, "done")
    done = send_action(engine.plan("done", {"a": [FR_MOBILE_2]}, TUESDAY).actions, FR_MOBILE_2)
    engine.submitted(done.message_id, "p-2", TUESDAY)
    engine.handle(vonage("p-2", "delivered"), TUESDAY)
    assert CampaignStatus.COMPLETED == engine.complete_if_done("done", TUESDAY).status


def test_engine_options_are_checked() -> None:
    """Bad options are refused when the engine is built."""
    options: list[dict[str, Any]] = [
        {"reply_window": timedelta(0)},
        {"pending_timeout": 5},
        {"conflict_retries": 0},
    ]
    for bad in options:
        with pytest.raises(ValidationError):
            CampaignEngine(InMemoryStorage(), **bad)


def test_handle_many_equals_handle_one_by_one(store: StorageBase) -> None:
    """A batch with deliveries, duplicates, retries, hard bounces, opt-outs and orphans gives
    the same results and the same final state as handling each report alone."""
    receipts = [
        ("p0", "delivered", "0"),
        ("p1", "failed", "2"),
        ("p2", "failed", "3"),
        ("p0", "delivered", "0"),
        ("p3", "rejected", "9"),
        ("p9", "delivered", "0"),
        ("p4", "accepted", "0"),
        ("p4", "delivered", "0"),
        ("p1", "failed", "2"),
    ]

    def run(storage: StorageBase, batched: bool) -> tuple[list[tuple[str, str]], object]:
        new_campaign(storage)
        engine = CampaignEngine(storage)
        numbers = [f"+3361234{i:04d}" for i in range(5)]
        planned = engine.plan("spring", {"a": numbers}, TUESDAY)
        sends = [a for a in planned.actions if isinstance(a, SendMessage)]
        for index, action in enumerate(sends):
            engine.submitted(action.message_id, f"p{index}", TUESDAY)
        reports = [vonage(pid, status, err) for pid, status, err in receipts]
        later = TUESDAY + timedelta(seconds=30)
        results = (
            engine.handle_many(reports, later, batch_size=4)
            if batched
            else [engine.handle(r, later) for r in reports]
        )
        summary = [
            (r.effect, ",".join(sorted(type(a).__name__ for a in r.actions))) for r in results
        ]
        final = sorted(
            (m.id, m.status.value, m.version, len(m.attempts))
            for m in storage.iter_messages("spring")
        )
        return summary, (final, report_for(storage, "spring"), sorted(storage.blocked(numbers)))

    one_by_one = run(InMemoryStorage(), batched=False)
    assert one_by_one == run(store, batched=True)
    assert "orphan" in [effect for effect, _ in one_by_one[0]]
    with pytest.raises(ValidationError):
        CampaignEngine(store).handle_many(["not a report"], TUESDAY)  # type: ignore[list-item]


def test_message_ids_carry_no_number(store: StorageBase) -> None:
    """Ids are the campaign and a rank: nothing a guessed number could be checked against once
    the number is forgotten; planning the same lists again plans nothing more (the ids stay)."""
    new_campaign(store)
    engine = CampaignEngine(store, default_region="FR")
    lists = {"a": [FR_MOBILE, "01 42 68 53 00", "not a number"]}
    planned = engine.plan("spring", lists, TUESDAY)
    ids = sorted(m.id for m in store.iter_messages("spring"))
    assert ["spring:000000", "spring:000001", "spring:000002"] == ids
    assert 3 == planned.messages
    again = engine.plan("spring", lists, TUESDAY)
    assert (0, 3) == (again.messages, again.already_planned)
    assert ids == sorted(m.id for m in store.iter_messages("spring"))


class _LateCommit:
    """A store seen by a report handler that looked up a provider id just before another
    process's ``submitted`` committed it: the first lookups of each id find nothing."""

    def __init__(self, store: StorageBase) -> None:
        self._store = store
        self._missed: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def find_message_by_provider_id(self, provider_message_id: str) -> Message | None:
        if provider_message_id not in self._missed:
            self._missed.add(provider_message_id)
            return None
        return self._store.find_message_by_provider_id(provider_message_id)

    def find_messages_by_provider_ids(self, ids: Any) -> dict[str, Message]:
        wanted = list(ids)
        if not set(wanted) <= self._missed:
            self._missed.update(wanted)
            return {}
        return self._store.find_messages_by_provider_ids(wanted)


@pytest.mark.parametrize("many", [False, True], ids=["handle", "handle_many"])
def test_a_report_racing_its_submission_is_applied_once(store: StorageBase, many: bool) -> None:
    """The provider id was committed by ``submitted`` (which found no orphan) between the
    handler's lookup and its orphan write: the handler looks again and applies the report."""
    new_campaign(store)
    sender = CampaignEngine(store)
    action = send_action(sender.plan("spring", {"a": [FR_MOBILE]}, TUESDAY).actions, FR_MOBILE)
    assert ["applied"] == [r.effect for r in sender.submitted(action.message_id, "p-7", TUESDAY)]
    handler = CampaignEngine(_LateCommit(store))
    report = vonage("p-7", "delivered")
    results = handler.handle_many([report], TUESDAY) if many else [handler.handle(report, TUESDAY)]
    assert ["applied"] == [r.effect for r in results]
    assert MessageStatus.DELIVERED == store.get_message(action.message_id).status
    assert [] == store.take_orphans("p-7")  # nothing left behind
    again = sender.handle(report, TUESDAY + timedelta(seconds=1))
    assert "late" == again.effect  # applied once: the same report again changes nothing


def test_the_engine_page_lists_every_returned_field() -> None:
    """docs/engine.md lists each value the engine returns with exactly its fields, in order,
    each with its type as the class declares it."""
    values = [
        SendMessage,
        RetryMessage,
        NeedsZone,
        SuspendCampaign,
        CampaignWarning,
        BlockRecipient,
        PlanResult,
        HandleResult,
        InboundResult,
    ]
    text = ENGINE_PAGE.read_text(encoding="utf-8")
    section = text.split("\n## What the calls return: every field\n", 1)[1].split("\n## ", 1)[0]
    listed = {}
    for heading in re.split(r"^### ", section, flags=re.MULTILINE)[1:]:
        name = re.match(r"`(\w+)`", heading)
        assert name is not None, heading
        rows = re.findall(r"^\| `(\w+)` \| `((?:[^`])+)` \| \S", heading, flags=re.MULTILINE)
        listed[name.group(1)] = [(field, kind.replace("\\|", "|")) for field, kind in rows]
    expected = {cls.__name__: [(f.name, str(f.type)) for f in attrs.fields(cls)] for cls in values}
    assert expected == listed


def test_inbound_takes_a_parsed_webhook(store: StorageBase) -> None:
    """Issue 16: ``inbound`` takes an ``InboundMessage`` (here Twilio's inbound webhook form):
    its text and its instant; idempotent on the provider's message id; a part of a longer
    message is refused until the parts are joined."""
    from sms_campaign_stats.providers import InboundMessage, InboundPart, parse_twilio_inbound

    new_campaign(store)
    engine = CampaignEngine(store)
    action = send_action(engine.plan("spring", {"a": [FR_MOBILE]}, TUESDAY).actions, FR_MOBILE)
    engine.submitted(action.message_id, "p-1", TUESDAY)
    form = {"MessageSid": "SM0001", "From": FR_MOBILE, "To": "+33700000000", "Body": "REVOKE"}
    message = parse_twilio_inbound(form, received_at=TUESDAY + timedelta(hours=1))
    first = engine.inbound(message)
    assert ("unsubscribe", "spring", True) == (first.kind, first.campaign_id, first.recorded)
    assert first.unsubscribe is not None
    assert "twilio:SM0001" == first.unsubscribe.id
    assert not engine.inbound(message).recorded  # the same webhook again
    assert {FR_MOBILE} == store.blocked([FR_MOBILE])
    with pytest.raises(ValidationError):
        engine.inbound(attrs.evolve(message, received_at=None))  # no instant at all
    with pytest.raises(ValidationError):
        engine.inbound(message, "another text")
    part = InboundMessage(
        sender=FR_MOBILE,
        text="first half",
        provider="vonage",
        provider_message_id="v-1",
        received_at=TUESDAY,
        part=InboundPart(reference="r", total=2, number=1),
    )
    with pytest.raises(ValidationError):
        engine.inbound(part)
