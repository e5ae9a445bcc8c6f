"""Messages in several parts (issue 16): every part's provider id, and which receipts decide.

A text longer than one SMS goes out in parts; over SMPP each part is its own ``submit_sm`` under
its own message id, and whether a part gets a receipt depends on the gateway:

* Jasmin requests a receipt on the last part only: "Set DLR bit mask on the last pdu"
  (https://github.com/jookies/jasmin/blob/191640090e79cc82bfd80ba7f6b5290c3939077c/jasmin/protocols/http/endpoints/send.py),
  by design ("it only require dlr of the last part",
  https://github.com/jookies/jasmin/issues/789; https://github.com/jookies/jasmin/issues/663);
* Kannel's bearerbox asks for a receipt on the first part only: ``sms_split`` clears
  ``dlr_mask`` on every later part ("only ask DLR for the first one",
  https://github.com/markjeee/kannel/blob/17d34465deff437185a50ed201f95c0939fa7cea/gw/sms.c;
  "it only sets dlr mask for the first part", https://github.com/kneodev/ksmppd/issues/37);
* other SMSCs send a receipt for every part that asks for one ("the SMSC send[s] a DLR for every
  segment", https://github.com/apache/camel/pull/5651).

Before, ``submitted`` took one id, and the other parts' receipts waited forever as orphans
("Got a DLR for an unknown message id", https://github.com/jookies/jasmin/issues/424). Each
scenario runs on the in-memory, SQLite and PostgreSQL stores, with real-shaped SMPP receipt
texts parsed by ``parse_smpp_receipt`` (``err:`` read as GSM MAP codes: 001 unknown subscriber,
a hard bounce; 027 absent subscriber, a soft one).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms_campaign_stats import (
    Campaign,
    InMemoryStorage,
    MessageStatus,
    SQLiteStorage,
    ValidationError,
    parse_smpp_receipt,
)
from sms_campaign_stats.engine import (
    DEFAULT_PART_POLICY,
    AsyncCampaignEngine,
    BlockRecipient,
    CampaignEngine,
    HandleResult,
    PartPolicy,
    RetryMessage,
    SendMessage,
)
from sms_campaign_stats.lifecycle import Outcome
from sms_campaign_stats.model import Attempt, Message, Part
from sms_campaign_stats.providers import DeliveryReport, ErrorNamespace
from sms_campaign_stats.storage import Change, Committed, StorageBase, ThreadedAsyncStorage

UTC = timezone.utc
TUESDAY = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 in Paris: sent at once
# Three GSM-7 segments (153 characters each once concatenated): three submit_sm.
LONG = ("Spring sale: -20% on everything until Sunday, in every shop and online. " * 5)[:400]
LONG += " STOP 36111"
DELIVERED = ("DELIVRD", "000")
UNKNOWN_SUBSCRIBER = ("UNDELIV", "001")  # GSM MAP 1: a hard bounce
ABSENT_SUBSCRIBER = ("UNDELIV", "027")  # GSM MAP 27: a soft bounce, retried


def receipt(provider_id: str, state: tuple[str, str] = DELIVERED) -> DeliveryReport:
    """A part's SMPP receipt, as an SMSC writes its ``short_message``."""
    stat, err = state
    delivered = "001" if stat == "DELIVRD" else "000"
    text = (
        f"id:{provider_id} sub:001 dlvrd:{delivered} submit date:2603031000 "
        f"done date:2603031001 stat:{stat} err:{err} text:Spring sale: -20%"
    )
    return parse_smpp_receipt(text, err_namespace=ErrorNamespace.GSM_MAP)


@pytest.fixture
def store(each_store: StorageBase) -> StorageBase:
    """Each store: in memory, SQLite, PostgreSQL (``each_store``, tests/conftest.py)."""
    return each_store


def start(
    store: StorageBase, parts: PartPolicy | None = None, *, campaign_id: str = "spring"
) -> tuple[CampaignEngine, SendMessage]:
    """A campaign of one long message to one number, planned: its engine and its send."""
    campaign, created = Campaign.create(
        id=campaign_id,
        name="Spring",
        sender="MyShop",
        content=LONG,
        list_ids=["vip"],
        at=TUESDAY - timedelta(days=1),
        unit_price=Decimal("0.05"),
    )
    store.add_campaign(campaign, events=[created])
    options: dict[str, Any] = {} if parts is None else {"parts": parts}
    engine = CampaignEngine(store, default_region="FR", **options)
    planned = engine.plan(campaign_id, {"vip": ["06 12 34 56 78"]}, TUESDAY)
    (send,) = planned.actions
    assert isinstance(send, SendMessage)
    return engine, send


def ids(prefix: str) -> list[str]:
    """The three parts' provider ids of one submission, in part order."""
    return [f"{prefix}-{n}" for n in (1, 2, 3)]


def effects(results: Sequence[HandleResult]) -> list[str]:
    """Each result's effect."""
    return [r.effect for r in results]


def msg(result: HandleResult) -> Message:
    """The message a result carries (not an orphan's)."""
    assert result.message is not None
    return result.message


def found(result: HandleResult) -> Outcome:
    """What the applied report meant."""
    assert result.classification is not None
    return result.classification.outcome


AFTER = TUESDAY + timedelta(seconds=30)


# The three gateway behaviours ----------------------------------------------------------------


def test_the_message_has_three_segments() -> None:
    """The scenarios' text takes three segments: three parts, three submit_sm."""
    campaign, _ = Campaign.create(
        id="c", name="c", sender="MyShop", content=LONG, list_ids=["l"], at=TUESDAY
    )
    assert 3 == campaign.segments


@pytest.mark.parametrize("parts", [PartPolicy.LAST_PART, None])
def test_jasmin_receipt_on_the_last_part(store: StorageBase, parts: PartPolicy | None) -> None:
    """Jasmin asks for a receipt on the last part only (jasmin ``endpoints/send.py``, "Set DLR
    bit mask on the last pdu"; https://github.com/jookies/jasmin/issues/789): that receipt
    finds the message through the last part's id and decides it, under ``LAST_PART`` and under
    the default (``FIRST_TO_REPORT``). No part's receipt is kept as an orphan."""
    engine, send = start(store, parts)
    assert ["applied"] == effects(engine.submitted(send.message_id, ids("jas"), send.at))
    result = engine.handle(receipt("jas-3"), AFTER)
    assert ("applied", MessageStatus.DELIVERED) == (result.effect, msg(result).status)
    assert [] == store.orphans(ids("jas"))
    message = store.get_message(send.message_id)
    assert tuple(ids("jas")) == message.attempts[0].provider_ids
    assert Decimal("0.15") == message.cost(Decimal("0.05"))  # three segments, one message


@pytest.mark.parametrize("parts", [PartPolicy.FIRST_PART, None])
def test_kannel_receipt_on_the_first_part(store: StorageBase, parts: PartPolicy | None) -> None:
    """Kannel's bearerbox keeps the receipt mask on the first part only (``sms_split`` in
    ``gw/sms.c``: "only ask DLR for the first one"; https://github.com/kneodev/ksmppd/issues/37):
    the first part's receipt decides, under ``FIRST_PART`` and the default. A hard bounce
    blocks the number."""
    engine, send = start(store, parts)
    engine.submitted(send.message_id, ids("kan"), send.at)
    result = engine.handle(receipt("kan-1", UNKNOWN_SUBSCRIBER), AFTER)
    assert MessageStatus.HARD_BOUNCE == msg(result).status
    assert [BlockRecipient] == [type(a) for a in result.actions]
    assert store.blocked([msg(result).recipient])
    assert [] == store.orphans(ids("kan"))


def test_receipt_per_part_every_part_delivered_out_of_order(store: StorageBase) -> None:
    """An SMSC that sends a receipt per part (https://github.com/apache/camel/pull/5651), under
    ``EVERY_PART``: the parts report out of order (3, 1, 2), each recorded (``"part"``) until
    the last; a part's repeated receipt is a ``"duplicate"``; the message is delivered when
    every part is, and every receipt after that is ``"late"``."""
    engine, send = start(store, PartPolicy.EVERY_PART)
    engine.submitted(send.message_id, ids("smsc"), send.at)
    third = engine.handle(receipt("smsc-3"), AFTER)
    assert ("part", MessageStatus.PROCESSING) == (third.effect, msg(third).status)
    assert Outcome.DELIVERED == found(third)
    assert "duplicate" == engine.handle(receipt("smsc-3"), AFTER).effect
    assert "part" == engine.handle(receipt("smsc-1"), AFTER).effect
    last = engine.handle(receipt("smsc-2"), AFTER + timedelta(seconds=1))
    assert ("applied", MessageStatus.DELIVERED) == (last.effect, msg(last).status)
    assert AFTER + timedelta(seconds=1) == msg(last).final_at
    assert [Outcome.DELIVERED] * 3 == [p.outcome for p in msg(last).attempts[0].parts]
    for pid in ids("smsc"):
        assert "late" == engine.handle(receipt(pid), AFTER).effect
    assert last.message == store.get_message(send.message_id)


def test_receipt_per_part_the_most_severe_part_decides(store: StorageBase) -> None:
    """``EVERY_PART``: one part is an unknown subscriber (hard), another absent (soft), one
    delivered: the message waits for all three, then takes the hard bounce, hard before soft,
    whichever part came last; its error code is the hard part's, the number is blocked."""
    engine, send = start(store, PartPolicy.EVERY_PART)
    engine.submitted(send.message_id, ids("sev"), send.at)
    assert "part" == engine.handle(receipt("sev-2", UNKNOWN_SUBSCRIBER), AFTER).effect
    assert "part" == engine.handle(receipt("sev-1"), AFTER).effect
    last = engine.handle(receipt("sev-3", ABSENT_SUBSCRIBER), AFTER)
    assert "applied" == last.effect
    assert MessageStatus.HARD_BOUNCE == msg(last).status
    assert Outcome.HARD_BOUNCE == found(last)  # the deciding part's
    assert "1" == msg(last).attempts[0].provider_error_code
    kept = [p.report for p in msg(last).attempts[0].parts]
    assert None is kept[0]  # a delivered part keeps no receipt
    assert [{}, {}] == [report["details"] for report in kept[1:] if report is not None]
    assert [BlockRecipient] == [type(a) for a in last.actions]
    assert store.blocked([msg(last).recipient])


def test_a_kept_part_receipt_names_no_one(store: StorageBase) -> None:
    """A failed part's receipt is kept in the attempt (to be classified again) without its
    ``details``: free text that may name the recipient stays out of the store."""
    engine, send = start(store, PartPolicy.EVERY_PART)
    engine.submitted(send.message_id, ids("pii"), send.at)
    failed = receipt("pii-1", ABSENT_SUBSCRIBER)
    named = attrs.evolve(failed, details={"to": send.recipient, "text": "Hi Ana"})
    assert "part" == engine.handle(named, AFTER).effect
    (kept, *_) = store.get_message(send.message_id).attempts[0].parts
    assert kept.report is not None
    assert {} == kept.report["details"]
    assert send.recipient[1:] not in repr(kept.report)


def test_first_to_report_with_a_receipt_per_part(store: StorageBase) -> None:
    """The default, with a receipt per part: the first final receipt decides, whichever part;
    the other parts' receipts are late."""
    engine, send = start(store)
    engine.submitted(send.message_id, ids("any"), send.at)
    assert "pending" == engine.handle(receipt("any-2", ("ENROUTE", "000")), AFTER).effect
    first = engine.handle(receipt("any-2"), AFTER)
    assert MessageStatus.DELIVERED == msg(first).status
    assert ["late", "late"] == [engine.handle(receipt(p), AFTER).effect for p in ("any-1", "any-3")]


def test_a_part_the_policy_does_not_read_is_never_an_orphan(store: StorageBase) -> None:
    """Under ``LAST_PART`` the other parts' receipts find their message and change nothing
    (``"pending"``), kept nowhere: never orphans, whatever comes later."""
    engine, send = start(store, PartPolicy.LAST_PART)
    engine.submitted(send.message_id, ids("un"), send.at)
    for pid in ("un-1", "un-2"):
        result = engine.handle(receipt(pid, UNKNOWN_SUBSCRIBER), AFTER)
        assert ("pending", MessageStatus.PROCESSING) == (result.effect, msg(result).status)
    assert [] == store.orphans(ids("un"))
    assert MessageStatus.DELIVERED == msg(engine.handle(receipt("un-3"), AFTER)).status


# Retries, expiry, cost -----------------------------------------------------------------------


def test_a_retry_resends_the_whole_message(store: StorageBase) -> None:
    """``EVERY_PART``: a part absent (soft), the others delivered: the message is retried
    whole; the retry's parts have new ids; the first attempt's receipts are late after that;
    cost counts every segment once per message, and the attempts are two (not six)."""
    engine, send = start(store, PartPolicy.EVERY_PART)
    engine.submitted(send.message_id, ids("try1"), send.at)
    engine.handle(receipt("try1-1"), AFTER)
    engine.handle(receipt("try1-3"), AFTER)
    failed = engine.handle(receipt("try1-2", ABSENT_SUBSCRIBER), AFTER)
    assert MessageStatus.QUEUED == msg(failed).status
    (retry,) = failed.actions
    assert isinstance(retry, RetryMessage)
    assert "duplicate" == engine.handle(receipt("try1-2", ABSENT_SUBSCRIBER), AFTER).effect
    with pytest.raises(ValidationError, match="other parts' ids"):
        engine.submitted(send.message_id, ["try1-1", "try2-2"], retry.at)
    assert ["applied"] == effects(engine.submitted(send.message_id, ids("try2"), retry.at))
    assert "late" == engine.handle(receipt("try1-3"), retry.at).effect
    for pid in ids("try2"):
        engine.handle(receipt(pid), retry.at + timedelta(seconds=5))
    message = store.get_message(send.message_id)
    assert MessageStatus.DELIVERED == message.status
    assert 2 == len(message.attempts)
    assert [tuple(ids("try1")), tuple(ids("try2"))] == [a.provider_ids for a in message.attempts]
    assert 3 == message.segments
    counts = store.campaign_counts("spring")
    assert 1 == counts.messages
    assert 3 == sum(cell.segments for cell in counts.cells.values())


def test_expiry_when_parts_stay_silent(store: StorageBase) -> None:
    """``EVERY_PART``: a part delivered, the others silent: after ``pending_timeout`` (one hour
    here) the message expires (a soft bounce, retried whole)."""
    _, send = start(store, PartPolicy.EVERY_PART)
    engine = CampaignEngine(store, parts=PartPolicy.EVERY_PART, pending_timeout=timedelta(hours=1))
    engine.submitted(send.message_id, ids("quiet"), send.at)
    engine.handle(receipt("quiet-1"), AFTER)
    assert [] == engine.expire(send.at + timedelta(minutes=59))
    (expired,) = engine.expire(send.at + timedelta(hours=2))
    assert Outcome.SOFT_BOUNCE == found(expired)
    assert MessageStatus.QUEUED == msg(expired).status
    assert [RetryMessage] == [type(a) for a in expired.actions]


def test_expiry_under_the_default(store: StorageBase) -> None:
    """The default policy: no part reported; at expiry, the message expires as one sent whole
    (a soft bounce, EXPIRED_AT_OPERATOR)."""
    engine, send = start(store)
    engine.submitted(send.message_id, ids("mute"), send.at)
    (expired,) = engine.expire(send.at + timedelta(hours=73))
    assert MessageStatus.SOFT_BOUNCE == msg(expired).status
    assert "expired_at_operator" == str(msg(expired).bounce_reason)


def test_expiry_keeps_a_hard_bounced_part(store: StorageBase) -> None:
    """``EVERY_PART``: a part an unknown subscriber, the others silent: at expiry the hard part
    decides (hard before the silent parts' soft expiry), and the number is blocked."""
    engine, send = start(store, PartPolicy.EVERY_PART)
    engine.submitted(send.message_id, ids("gone"), send.at)
    engine.handle(receipt("gone-3", UNKNOWN_SUBSCRIBER), AFTER)
    (expired,) = engine.expire(send.at + timedelta(hours=73))
    assert MessageStatus.HARD_BOUNCE == msg(expired).status
    assert [BlockRecipient] == [type(a) for a in expired.actions]


# Orphans, replays, idempotence -------------------------------------------------------------


def test_parts_reporting_before_the_submission(store: StorageBase) -> None:
    """Receipts of parts 2 and 1 come before ``submitted`` (orphans, with a repeat); the
    submission of every part's id applies them, in arrival order, in its change; a repeated
    submission is a duplicate and applies nothing again."""
    engine, send = start(store, PartPolicy.EVERY_PART)
    early = [receipt("early-2"), receipt("early-1"), receipt("early-2")]
    assert ["orphan"] * 3 == effects(engine.handle_many(early, send.at))
    results = engine.submitted(send.message_id, ids("early"), send.at)
    assert ["applied", "part", "part", "duplicate"] == effects(results)
    assert [] == store.orphans(ids("early"))
    assert ["duplicate"] == effects(engine.submitted(send.message_id, ids("early"), send.at))
    assert ["duplicate"] == effects(engine.submitted(send.message_id, "early-2", send.at))
    last = engine.handle(receipt("early-3"), AFTER)
    assert MessageStatus.DELIVERED == msg(last).status


def test_replay_converges(store: StorageBase) -> None:
    """Every event delivered again (a queue re-delivered after a crash), in one batch and in
    another order: nothing changes the second time, and the store is as after the first."""
    engine, send = start(store, PartPolicy.EVERY_PART)
    events = [receipt("rp-3"), receipt("rp-1", UNKNOWN_SUBSCRIBER), receipt("rp-2")]
    engine.submitted(send.message_id, ids("rp"), send.at)
    first = engine.handle_many(events, AFTER)
    assert ["part", "part", "applied"] == effects(first)
    settled = store.get_message(send.message_id)
    history = store.timeline("spring")  # ... started, completed (its only message is final)
    assert MessageStatus.HARD_BOUNCE == settled.status
    assert ["duplicate"] == effects(engine.submitted(send.message_id, ids("rp"), send.at))
    assert ["late"] * 3 == effects(engine.handle_many(events[::-1] + events[:1], AFTER)[:3])
    assert settled == store.get_message(send.message_id)
    assert history == store.timeline("spring")
    assert [] == store.orphans(ids("rp"))


class _DiskFullError(OSError):
    """What a store's commit raises when nothing could be written."""


class _FailingCommit:
    """A store whose next commit fails, writing nothing; everything else delegated."""

    def __init__(self, store: StorageBase) -> None:
        self.store = store
        self.failed = False

    def commit(self, change: Change) -> Committed:
        if not self.failed:
            self.failed = True
            raise _DiskFullError("no space left on device")
        return self.store.commit(change)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@pytest.mark.parametrize("crash_at", [None, 0, 1, 2, 3, 4])
def test_a_failed_commit_then_the_event_again_converges(
    store: StorageBase, crash_at: int | None
) -> None:
    """One change per event, committed whole: the commit of any one event of the per-part
    scenario fails (nothing written), the event is delivered again, and the store ends as in
    the run without a failure: the message, its parts, no orphan left, the number blocked."""
    _, send = start(store, PartPolicy.EVERY_PART)
    events: list[tuple[str, Any]] = [
        ("handle", receipt("cr-2")),  # before the submission: an orphan
        ("submitted", ids("cr")),
        ("handle", receipt("cr-2")),
        ("handle", receipt("cr-3", UNKNOWN_SUBSCRIBER)),
        ("handle", receipt("cr-1")),
    ]
    engine = CampaignEngine(store, default_region="FR", parts="every_part")
    for index, (call, argument) in enumerate(events):
        if index == crash_at:
            failing = CampaignEngine(_FailingCommit(store), parts="every_part")
            if index == 2:  # a repeated part receipt: nothing to commit, nothing to fail
                run(failing, call, argument, send)
            else:
                with pytest.raises(_DiskFullError):
                    run(failing, call, argument, send)
        run(engine, call, argument, send)
    message = store.get_message(send.message_id)
    assert MessageStatus.HARD_BOUNCE == message.status
    assert [Outcome.DELIVERED, Outcome.DELIVERED, Outcome.HARD_BOUNCE] == [
        p.outcome for p in message.attempts[0].parts
    ]
    assert [] == store.orphans(ids("cr"))
    assert store.blocked([send.recipient])


def run(engine: CampaignEngine, call: str, argument: Any, send: SendMessage) -> None:
    """One event of a scenario: a receipt handled, or the submission of the parts' ids."""
    if call == "submitted":
        engine.submitted(send.message_id, argument, send.at)
    else:
        engine.handle(argument, AFTER)


# The submission's ids ------------------------------------------------------------------------


def test_one_id_still_works(store: StorageBase) -> None:
    """A message sent whole: ``submitted`` takes one id (a string), as before; no parts."""
    engine, send = start(store, PartPolicy.EVERY_PART)
    engine.submitted(send.message_id, "whole-1", send.at)
    message = store.get_message(send.message_id)
    assert (("whole-1",), ()) == (message.attempts[0].provider_ids, message.attempts[0].parts)
    assert MessageStatus.DELIVERED == msg(engine.handle(receipt("whole-1"), AFTER)).status


@pytest.mark.parametrize(
    "given",
    [[], ["a", "a"], ["a", ""], ["a", 3], 7, None, [f"p{n}" for n in range(256)]],
)
def test_refused_ids(given: Any) -> None:
    """No id, a repeated id, an empty or non-string id, more parts than a message can have: a
    ``ValidationError`` naming ``provider_message_id``, nothing stored."""
    store = InMemoryStorage()
    engine, send = start(store)
    with pytest.raises(ValidationError, match="provider_message_id"):
        engine.submitted(send.message_id, given, send.at)
    assert MessageStatus.QUEUED == store.get_message(send.message_id).status


def test_part_policy_values() -> None:
    """The default is ``FIRST_TO_REPORT``; a policy is given as a member or its value; anything
    else is a ``ValidationError`` naming the option."""
    store = InMemoryStorage()
    assert PartPolicy.FIRST_TO_REPORT == DEFAULT_PART_POLICY == CampaignEngine(store).parts
    assert PartPolicy.EVERY_PART == CampaignEngine(store, parts="every_part").parts
    with pytest.raises(ValidationError, match=r"CampaignEngine\.parts"):
        CampaignEngine(store, parts="all")


def test_a_submitted_message_is_not_submitted_again() -> None:
    """New ids for a message that is no longer queued: refused, as before."""
    store = InMemoryStorage()
    engine, send = start(store)
    engine.submitted(send.message_id, ids("a"), send.at)
    with pytest.raises(ValidationError, match="not queued"):
        engine.submitted(send.message_id, ids("b"), send.at)


def test_parts_are_validated() -> None:
    """``Attempt.parts``: at least two ``Part`` values, the first one's id the attempt's, the
    ids distinct; a part's report is a mapping. Each refusal names its field."""
    at = TUESDAY
    two = (Part(provider_message_id="a"), Part(provider_message_id="b"))
    assert ("a", "b") == Attempt(
        number=1, submitted_at=at, provider_message_id="a", parts=two
    ).provider_ids
    assert () == Attempt(number=1, submitted_at=at).provider_ids
    refused: list[tuple[str, tuple[Any, ...]]] = [
        ("a", two[:1]),
        ("b", two),
        ("a", (two[0], two[0])),
        ("a", (two[0], "b")),
    ]
    for pid, parts in refused:
        with pytest.raises(ValidationError, match=r"Attempt\.parts"):
            Attempt(number=1, submitted_at=at, provider_message_id=pid, parts=parts)
    with pytest.raises(ValidationError, match=r"Part\.report"):
        Part(provider_message_id="a", report=["UNDELIV"])  # type: ignore[arg-type]


# The asynchronous engine ---------------------------------------------------------------------


def test_async_engine_same_results() -> None:
    """``AsyncCampaignEngine`` drives the same decisions: the per-part scenario (orphans, out of
    order, a duplicate, the most severe part) gives the same results and the same stored
    message as ``CampaignEngine``."""

    def scenario_sync() -> tuple[list[str], Message]:
        store = SQLiteStorage(":memory:")
        engine, send = start(store, PartPolicy.EVERY_PART)
        got = effects([engine.handle(receipt("as-2"), send.at)])
        got += effects(engine.submitted(send.message_id, ids("as"), send.at))
        for report in (receipt("as-2"), receipt("as-3", UNKNOWN_SUBSCRIBER), receipt("as-1")):
            got.append(engine.handle(report, AFTER).effect)
        message = store.get_message(send.message_id)
        store.close()
        return got, message

    async def scenario_async() -> tuple[list[str], Message]:
        sync_store = SQLiteStorage(":memory:")
        _, send = start(sync_store, PartPolicy.EVERY_PART)  # the plan, through the sync engine
        async with ThreadedAsyncStorage(sync_store) as store:
            engine = AsyncCampaignEngine(store, default_region="FR", parts="every_part")
            got = effects([await engine.handle(receipt("as-2"), send.at)])
            got += effects(await engine.submitted(send.message_id, ids("as"), send.at))
            for report in (receipt("as-2"), receipt("as-3", UNKNOWN_SUBSCRIBER), receipt("as-1")):
                got.append((await engine.handle(report, AFTER)).effect)
            return got, await store.get_message(send.message_id)

    expected = scenario_sync()
    assert ["orphan", "applied", "part", "duplicate", "part", "applied"] == expected[0]
    assert MessageStatus.HARD_BOUNCE == expected[1].status
    assert expected == asyncio.run(scenario_async())


# Any order converges (the merge itself: tests/internals/test_part_merge.py) ----------

STATES = st.sampled_from([DELIVERED, UNKNOWN_SUBSCRIBER, ABSENT_SUBSCRIBER])


@settings(max_examples=40)
@given(
    states=st.lists(STATES, min_size=3, max_size=3),
    order=st.permutations([0, 1, 2, 0, 1, 2]),
    cut=st.integers(min_value=0, max_value=6),
)
def test_every_part_converges_in_any_order(
    states: list[tuple[str, str]], order: list[int], cut: int
) -> None:
    """``EVERY_PART``, on the in-memory store: each part's receipt twice, in any order, some
    before the submission (orphans): the message ends as the most severe part says, whatever
    the order; exactly one receipt applies the outcome, the rest are parts or repeats."""
    store = InMemoryStorage()
    engine, send = start(store, PartPolicy.EVERY_PART)
    reports = [receipt(f"pp-{i + 1}", states[i]) for i in order]
    seen = effects(engine.handle_many(reports[:cut], send.at))
    seen += effects(engine.submitted(send.message_id, ids("pp"), send.at))[1:]
    seen += effects(engine.handle_many(reports[cut:], AFTER))
    message = store.get_message(send.message_id)
    if UNKNOWN_SUBSCRIBER in states:  # hard before soft
        expected = MessageStatus.HARD_BOUNCE
    elif ABSENT_SUBSCRIBER in states:
        expected = MessageStatus.QUEUED  # retried whole
    else:
        expected = MessageStatus.DELIVERED
    assert expected == message.status
    assert 1 == seen.count("applied")
    assert set(seen) <= {"orphan", "part", "duplicate", "late", "applied"}
