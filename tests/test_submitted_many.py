"""``submitted_many``: a bulk send's acknowledgements, recorded as ``submitted`` records them one
by one, in one change per batch.

A provider that takes many messages in one request answers with all their ids at once. The
engine records them with the results ``submitted`` gives each in turn (the reports that came
before their acknowledgement applied with it: deliveries, soft bounces retried, hard bounces and
opt-outs blocked, the evidence that suspends a campaign; a repeated acknowledgement a
``"duplicate"``; a message sent in parts under every part's id), keyed by message id, with one
lookup of early reports and one ``Change`` per ``batch_size``. Here: the same results and the
same store as one by one (random scenarios, and a rich one on every store), the commits counted,
every refusal (nothing of its batch written, the batches before it kept), a commit that fails
and the call replayed, two workers at once, the asynchronous engine, and ``batch_size`` checked.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar, cast
from uuid import uuid4

import attrs
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from sms_campaign_stats import (
    InMemoryStorage,
    MessageStatus,
    SQLiteStorage,
    ValidationError,
    parse_vonage_receipt,
    report_for,
)
from sms_campaign_stats.bounces import SoftBounceEscalation
from sms_campaign_stats.engine import (
    AsyncCampaignEngine,
    BlockRecipient,
    CampaignEngine,
    HandleResult,
    PartPolicy,
    RetryMessage,
    SuspendCampaign,
)
from sms_campaign_stats.errors import NotFoundError, StorageBusyError, StorageError
from sms_campaign_stats.providers import DeliveryReport
from sms_campaign_stats.storage import Change, Committed, StorageBase, ThreadedAsyncStorage
from sms_campaign_stats.suspension import Metric, ThresholdPolicy

from .campaigns import add_campaign, sends

UTC = timezone.utc
TUESDAY = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 in Paris: every message sent at once
EARLIER = TUESDAY + timedelta(minutes=1)  # the receipts of attempts acknowledged before
BEFORE = TUESDAY + timedelta(minutes=30)  # receipts that come before their acknowledgement
AT = TUESDAY + timedelta(hours=1)  # the bulk send's acknowledgements

#: Vonage receipts, by what they mean.
STATES: dict[str, tuple[str, str]] = {
    "delivered": ("delivered", "0"),
    "soft": ("failed", "7"),  # handset busy: a soft bounce, retried
    "hard": ("failed", "3"),  # the number does not exist: a hard bounce, the number blocked
    "opted out": ("failed", "9"),  # opted out before: a hard bounce that blocks
    "pending": ("buffered", "0"),  # an intermediate status: nothing changes
    "sender refused": ("failed", "50"),  # the sender's set-up: the campaign suspended
}
#: The receipts drawn, outcomes more often than the rest: what moves the evidence.
RECEIPTS = ["delivered", "delivered", "soft", "soft", "hard", "hard", *list(STATES)[3:]]
#: A campaign of a few messages reaches it: warnings, then a suspension, from hard bounces.
SMALL_SAMPLE = ThresholdPolicy(
    metric=Metric.HARD_BOUNCE_RATE, warn_at=0.2, suspend_at=0.4, min_sample=3
)
ESCALATION = SoftBounceEscalation(threshold=2, window=timedelta(days=90))

Acknowledged = dict[str, str | list[str]]
S = TypeVar("S", bound=StorageBase)


def vonage(provider_id: str, state: str) -> DeliveryReport:
    """A Vonage receipt for ``provider_id`` in ``state`` (a key of ``STATES``)."""
    status, err = STATES[state]
    return parse_vonage_receipt({"messageId": provider_id, "status": status, "err-code": err})


def mobiles(count: int, first: int = 0) -> list[str]:
    """French mobile numbers."""
    return [f"+3361234{index:04d}" for index in range(first, first + count)]


def provider_ids(message_id: str, attempt: int, parts: int) -> list[str]:
    """The provider's ids of an attempt of a message, one per part."""
    return [f"{message_id}#{attempt}.{part}" for part in range(1, parts + 1)]


def effects(results: Sequence[HandleResult]) -> list[str]:
    """Each result's effect."""
    return [result.effect for result in results]


# The scenarios ------------------------------------------------------------------------------


@attrs.frozen
class Acked:
    """One message of a bulk send: its rank among the planned messages; how many parts (one id
    is given as a string, unless ``as_list``); what came before (``"nothing"``;
    ``"acknowledged"``: these ids recorded already, so a repeat; ``"retried"``: an attempt under
    other ids soft-bounced, so this is the retry); and the receipts of its parts that arrive
    before its acknowledgement (part, state): kept as orphans until it comes (applied at once
    when its ids are recorded already)."""

    rank: int
    parts: int = 1
    as_list: bool = False
    before: str = "nothing"
    early: tuple[tuple[int, str], ...] = ()


@attrs.frozen
class BulkSend:
    """Campaigns ``spring`` and ``autumn`` (``autumn``: 0, none) planned to French mobiles
    (``shared``: autumn's are spring's first), what came before, then one bulk send's
    acknowledgements (``acked``, in the mapping's order), under these policies."""

    spring: int
    autumn: int
    acked: tuple[Acked, ...]
    arrival: tuple[int, ...] = ()  # the order the early receipts arrive in: a permutation
    shared: bool = False
    batch_size: int = 1000
    parts: PartPolicy = PartPolicy.FIRST_TO_REPORT
    suspension: bool = True  # SMALL_SAMPLE, else the default policy
    escalation: bool = False


def options(bulk: BulkSend) -> dict[str, Any]:
    """The engine's options for ``bulk``."""
    found: dict[str, Any] = {"default_region": "FR", "parts": bulk.parts}
    if bulk.suspension:
        found["suspension"] = SMALL_SAMPLE
    if bulk.escalation:
        found["escalation"] = ESCALATION
    return found


def prepare(store: Any, bulk: BulkSend) -> Acknowledged:
    """The campaigns planned, what came before done, the early receipts kept as orphans: the
    bulk send's acknowledgements (message id: its provider id, or every part's)."""
    engine = CampaignEngine(store, **options(bulk))
    planned: list[str] = []
    autumn_first = 0 if bulk.shared else 100
    for campaign_id, count, first in (("spring", bulk.spring, 0), ("autumn", bulk.autumn, 0)):
        if count:
            add_campaign(store, campaign_id, at=TUESDAY - timedelta(days=1))
            numbers = mobiles(count, first if campaign_id == "spring" else autumn_first)
            actions = engine.plan(campaign_id, {"a": numbers}, TUESDAY).actions
            planned += [send.message_id for send in sends(actions)]
    acknowledged: Acknowledged = {}
    early: list[DeliveryReport] = []
    for acked in bulk.acked:
        message_id = planned[acked.rank]
        attempt = 1
        if acked.before != "nothing":
            first_ids = provider_ids(message_id, 1, acked.parts)
            engine.submitted(message_id, first_ids, TUESDAY)
            if acked.before == "retried":
                engine.handle_many([vonage(pid, "soft") for pid in first_ids], EARLIER)
                if store.get_message(message_id).status is MessageStatus.QUEUED:
                    attempt = 2  # else (given up) the same ids again: a repeat
        ids = provider_ids(message_id, attempt, acked.parts)
        acknowledged[message_id] = ids[0] if acked.parts == 1 and not acked.as_list else ids
        early += [vonage(ids[part % acked.parts], state) for part, state in acked.early]
    arrival = bulk.arrival or tuple(range(len(early)))
    engine.handle_many([early[index] for index in arrival], BEFORE)
    return acknowledged


def every_id(acknowledged: Acknowledged) -> list[str]:
    """Every provider id of the acknowledgements, in order."""
    return [
        pid for ids in acknowledged.values() for pid in ([ids] if isinstance(ids, str) else ids)
    ]


def state(store: Any, provider_ids: Sequence[str]) -> dict[str, Any]:
    """Everything the contract's reads show of the campaigns, their messages and numbers, and
    the reports kept for ``provider_ids``."""
    campaigns = store.list_campaigns()
    messages = [m for c in campaigns for m in sorted(store.iter_messages(c.id), key=lambda m: m.id)]
    return {
        "campaigns": campaigns,
        "messages": messages,
        "history": {c.id: store.timeline(c.id) for c in campaigns},
        "evidence": {c.id: store.evidence(c.id) for c in campaigns},
        "counts": {c.id: store.campaign_counts(c.id) for c in campaigns},
        "reports": {c.id: report_for(store, c.id).to_dict() for c in campaigns},
        "unsubscribes": {c.id: store.unsubscribes(c.id) for c in campaigns},
        "blocked": store.blocked(sorted({m.recipient for m in messages})),
        "orphans": store.orphans(provider_ids),
    }


Calls = list[dict[str, list[HandleResult]]]


def acknowledge(store: Any, bulk: BulkSend, *, together: bool) -> tuple[Acknowledged, Calls, Any]:
    """``bulk`` on ``store``; its acknowledgements given twice (the response, then the same again:
    a replay) by a fresh engine, ``together`` in ``submitted_many``, else one by one in
    ``submitted``: the acknowledgements, what each call returned, the store's state."""
    acknowledged = prepare(store, bulk)
    engine = CampaignEngine(store, **options(bulk))  # what it knows, it reads from the store
    calls: Calls = []
    for _ in range(2):
        if together:
            calls.append(engine.submitted_many(acknowledged, AT, batch_size=bulk.batch_size))
        else:
            calls.append({m: engine.submitted(m, ids, AT) for m, ids in acknowledged.items()})
    return acknowledged, calls, state(store, every_id(acknowledged))


#: An early receipt: one of a message's parts (its index, modulo its parts), in some state.
early_receipts = st.tuples(st.integers(0, 2), st.sampled_from(RECEIPTS))


@st.composite
def ackeds(draw: st.DrawFn, rank: int) -> Acked:
    """The message of ``rank`` in a bulk send: whole or in up to three parts; most often new,
    else acknowledged before or a retry; most often with receipts of its parts before."""
    has_early = draw(st.integers(0, 4)) > 0
    return Acked(
        rank=rank,
        parts=draw(st.integers(1, 3)),
        as_list=draw(st.booleans()),
        before=draw(st.sampled_from(["nothing", "nothing", "nothing", "acknowledged", "retried"])),
        early=tuple(draw(st.lists(early_receipts, min_size=1, max_size=3))) if has_early else (),
    )


@st.composite
def bulk_sends(draw: st.DrawFn) -> BulkSend:
    """Up to eleven messages in two campaigns (sharing numbers or not; soft bounces escalating
    or not), some acknowledged, in any order, with receipts of their parts before, in any
    arrival order across messages; batches of any size, most often all in one (where the order
    within a batch shows); any part policy; most often a suspension policy that a few messages
    reach."""
    spring = draw(st.integers(2, 8))
    autumn = draw(st.integers(0, 3))
    escalation = draw(st.booleans())
    order = draw(st.permutations(range(spring + autumn)))
    count = draw(st.integers(1, len(order)))
    acked = tuple(draw(ackeds(rank)) for rank in order[:count])
    receipts = sum(len(a.early) for a in acked)
    return BulkSend(
        spring=spring,
        autumn=autumn,
        acked=acked,
        arrival=tuple(draw(st.permutations(range(receipts)))),
        shared=draw(st.booleans()),
        batch_size=draw(st.sampled_from([count, 1000]) | st.integers(1, count + 1)),
        parts=draw(st.sampled_from(list(PartPolicy))),
        suspension=draw(st.sampled_from([True, True, False])),
        escalation=escalation,
    )


#: Seven messages (spring's five, autumn's two to spring's first numbers), acknowledged in
#: another order: receipts before their acknowledgement, repeated, of several parts, of every
#: kind; a repeated acknowledgement; a retry's; a part receipt the policy decides on.
RICH = BulkSend(
    spring=5,
    autumn=2,
    shared=True,
    acked=(
        Acked(rank=3, early=((0, "delivered"), (0, "delivered"))),  # a receipt and its repeat
        Acked(rank=0, parts=3, early=((2, "hard"), (0, "delivered"))),  # the first final decides
        Acked(rank=5, before="acknowledged", early=((0, "delivered"),)),  # a repeat: duplicate
        Acked(rank=1, parts=2, before="retried", early=((1, "soft"),)),  # a retry, soft again
        Acked(rank=4, early=((0, "hard"),)),  # spring's second hard bounce: suspended
        Acked(rank=6, as_list=True, early=((0, "opted out"),)),  # autumn's: blocked
        Acked(rank=2, early=((0, "pending"), (0, "soft"))),  # retried: held while suspended
    ),
    # Interleaved (each message's own in order); the retry's soft bounce arrives after the hard
    # bounce that suspends spring, and is still applied with its message, before it.
    arrival=(0, 8, 2, 1, 7, 3, 6, 5, 4, 9),
)


# The same results as one by one ---------------------------------------------------------------


@seed(20260303)
@settings(deadline=None)
@given(bulk=bulk_sends())
def test_a_bulk_send_is_recorded_as_its_acknowledgements_one_by_one(bulk: BulkSend) -> None:
    """Any scenario: ``submitted_many`` returns what ``submitted`` returns for each message in
    turn (every result: effect, message as stored, classification, actions), keyed by message id
    in the mapping's order, and leaves the store as the calls one by one leave it; given again,
    every acknowledgement is a ``"duplicate"`` and nothing changes."""
    expected = acknowledge(InMemoryStorage(), bulk, together=False)
    got = acknowledge(InMemoryStorage(), bulk, together=True)
    assert expected == got
    acknowledged, calls, _ = got
    assert [list(acknowledged)] * 2 == [list(results) for results in calls]
    assert [["duplicate"]] * len(acknowledged) == [effects(r) for r in calls[1].values()]


def fresh_stores(request: pytest.FixtureRequest, tmp_path: Path, count: int) -> list[StorageBase]:
    """``count`` fresh stores of the kind ``request.param`` names: in memory, SQLite files, or
    PostgreSQL (a schema each on the session's server)."""
    if request.param == "memory":
        return [InMemoryStorage() for _ in range(count)]
    if request.param == "sqlite":
        return [SQLiteStorage(tmp_path / f"{n}.db") for n in range(count)]
    from sms_campaign_stats.storage.postgres import PostgresStorage

    server = request.getfixturevalue("postgres_server")
    return [PostgresStorage(server.url, schema=f"t{uuid4().hex}") for _ in range(count)]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def stores_of_a_kind(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[StorageBase]]:
    """Three fresh stores of one kind (a test uses as many as it needs)."""
    made = fresh_stores(request, tmp_path, 3)
    yield made
    for store in made:
        store.close()


@pytest.mark.parametrize("batch_size", [1, 2, 3, 6, 7, 1000])
def test_a_rich_bulk_send_is_recorded_as_one_by_one_on_each_store(
    stores_of_a_kind: list[StorageBase], batch_size: int
) -> None:
    """``RICH`` on each store (in memory, SQLite files, PostgreSQL), in batches of every size:
    the results and the store of the calls one by one. The scenario goes where it means to:
    early receipts applied with their acknowledgement, a repeat, a retry, numbers blocked, a
    suspension."""
    one_by_one, bulk_store, _ = stores_of_a_kind
    bulk = attrs.evolve(RICH, batch_size=batch_size)
    expected = acknowledge(one_by_one, bulk, together=False)
    assert expected == acknowledge(bulk_store, bulk, together=True)
    acknowledged, (first, _), final = expected
    assert [3, 3, 1, 2, 2, 2, 3] == [len(results) for results in first.values()]
    assert ["applied", "applied", "late"] == effects(first["spring:000003"])  # its repeat: late
    assert ["duplicate"] == effects(first["autumn:000000"])
    actions = [type(a) for results in first.values() for r in results for a in r.actions]
    assert {RetryMessage, BlockRecipient, SuspendCampaign} <= set(actions)
    assert [] == final["orphans"]
    statuses = {c.id: c.status.value for c in final["campaigns"]}
    assert {"spring": "suspended", "autumn": "completed"} == statuses
    assert len(every_id(acknowledged)) == len(set(every_id(acknowledged)))


def test_soft_bounces_of_one_number_in_one_batch_escalate_as_one_by_one() -> None:
    """Two campaigns to one number, each message's soft bounce kept before its acknowledgement,
    and soft bounces escalating at the second within 90 days: one by one, the second
    acknowledgement applies the second soft bounce, and the number's two soft bounces make it a
    hard bounce. In one batch it must be the same."""
    bulk = BulkSend(
        spring=1,
        autumn=1,
        shared=True,
        acked=(Acked(rank=0, early=((0, "soft"),)), Acked(rank=1, early=((0, "soft"),))),
        escalation=True,
    )
    expected = acknowledge(InMemoryStorage(), bulk, together=False)
    statuses = {m.id: m.status.value for m in expected[2]["messages"]}
    assert {"spring:000000": "queued", "autumn:000000": "hard_bounce"} == statuses
    got = acknowledge(InMemoryStorage(), bulk, together=True)
    assert expected[1] == got[1]
    assert expected[2] == got[2]


# One change per batch -------------------------------------------------------------------------


class Watched:
    """A store that counts its commits and its lookups of orphans, and whose commit number
    ``fail_at`` (from 0) fails with ``failure`` (nothing written); everything else delegated."""

    def __init__(
        self, store: StorageBase, fail_at: int | None = None, failure: Exception | None = None
    ) -> None:
        self.store = store
        self.fail_at = fail_at
        self.failure = failure
        self.commits = 0
        self.lookups = 0

    def commit(self, change: Change) -> Committed:
        number, self.commits = self.commits, self.commits + 1
        if number == self.fail_at and self.failure is not None:
            raise self.failure
        return self.store.commit(change)

    def orphans(self, provider_message_ids: Iterable[str]) -> Any:
        self.lookups += 1
        return self.store.orphans(provider_message_ids)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@pytest.mark.parametrize(
    ("count", "batch_size"), [(1, 1), (7, 1), (7, 2), (7, 3), (7, 6), (7, 7), (7, 1000), (12, 5)]
)
def test_one_change_and_two_lookups_of_early_reports_per_batch(count: int, batch_size: int) -> None:
    """``count`` acknowledgements in batches of ``batch_size`` (every other message with a
    receipt kept before it): ceil(count / batch_size) commits, each with two lookups of orphans
    (before the change, and after it for a receipt kept meanwhile), where one by one makes as
    many per message. Given again (every one a repeat, nothing to write): one lookup a batch,
    no commit."""
    bulk = BulkSend(
        spring=count,
        autumn=0,
        acked=tuple(
            Acked(rank=rank, early=((0, "delivered"),) if rank % 2 else ()) for rank in range(count)
        ),
        batch_size=batch_size,
    )
    store = Watched(InMemoryStorage())
    acknowledged = prepare(store, bulk)
    engine = CampaignEngine(store, **options(bulk))
    store.commits = store.lookups = 0
    results = engine.submitted_many(acknowledged, AT, batch_size=batch_size)
    batches = math.ceil(count / batch_size)
    assert (batches, 2 * batches) == (store.commits, store.lookups)
    assert [["applied", "applied"] if rank % 2 else ["applied"] for rank in range(count)] == [
        effects(r) for r in results.values()
    ]
    store.commits = store.lookups = 0
    again = engine.submitted_many(acknowledged, AT, batch_size=batch_size)
    assert (0, batches) == (store.commits, store.lookups)
    assert [["duplicate"]] * count == [effects(r) for r in again.values()]
    alone = Watched(InMemoryStorage())
    acknowledged = prepare(alone, bulk)
    alone.commits = alone.lookups = 0
    for message_id, ids in acknowledged.items():
        CampaignEngine(alone, **options(bulk)).submitted(message_id, ids, AT)
    assert (count, 2 * count) == (alone.commits, alone.lookups)


# Refusals -------------------------------------------------------------------------------------


def refusal_store() -> tuple[InMemoryStorage, CampaignEngine, list[str]]:
    """Four messages A, B, C, D planned; A acknowledged in two parts ``a-1``, ``a-2``; a receipt
    for D's ``d-1`` kept before its acknowledgement: the store, an engine, the message ids."""
    store = InMemoryStorage()
    return (store, *refusal_store_on(store)[1:])


def refusal_store_on(store: S) -> tuple[S, CampaignEngine, list[str]]:
    """``refusal_store``'s messages on ``store``."""
    add_campaign(store, "spring", at=TUESDAY - timedelta(days=1))
    engine = CampaignEngine(store, default_region="FR")
    ids = [s.message_id for s in sends(engine.plan("spring", {"a": mobiles(4)}, TUESDAY).actions)]
    engine.submitted(ids[0], ["a-1", "a-2"], TUESDAY)
    assert "orphan" == engine.handle(vonage("d-1", "delivered"), BEFORE).effect
    return store, engine, ids


#: Every provider id the refusals give.
REFUSED_IDS = ["a-1", "a-2", "a-9", "b-1", "c-1", "d-1", "z"]

#: Refused before anything of the call is written, wherever the refused entry stands: (what,
#: the acknowledgements given message ids A, B, C, D, the field named, a text in the error).
REFUSED_ARGUMENTS: list[tuple[str, Callable[[list[str]], Any], str, str]] = [
    ("a list of pairs", lambda m: [(m[1], "b-1"), (m[2], "c-1")], "acknowledged", "mapping"),
    (
        "an empty message id",
        lambda m: {m[1]: "b-1", m[2]: "c-1", "": "z"},
        "acknowledged",
        "message id",
    ),
    (
        "a message id not a str",
        lambda m: {m[1]: "b-1", m[2]: "c-1", 7: "z"},
        "acknowledged",
        "message id",
    ),
    (
        "one provider id for two messages",
        lambda m: {m[1]: "b-1", m[2]: "c-1", m[3]: ["d-1", "b-1"]},
        "acknowledged",
        "'b-1'",
    ),
    (
        "no provider id",
        lambda m: {m[1]: "b-1", m[2]: "c-1", m[3]: []},
        "provider_message_id",
        "non-empty",
    ),
    (
        "an empty one",
        lambda m: {m[1]: "b-1", m[2]: "c-1", m[3]: ""},
        "provider_message_id",
        "non-empty",
    ),
    ("not a str", lambda m: {m[1]: "b-1", m[2]: "c-1", m[3]: 7}, "provider_message_id", "sequence"),
    (
        "a part's id twice",
        lambda m: {m[1]: "b-1", m[2]: "c-1", m[3]: ["d-1", "d-1"]},
        "provider_message_id",
        "distinct",
    ),
    (
        "more parts than a message has",
        lambda m: {m[1]: "b-1", m[2]: "c-1", m[3]: [f"d-{n}" for n in range(256)]},
        "provider_message_id",
        "parts",
    ),
]


@pytest.mark.parametrize(
    ("what", "given", "field", "text"), REFUSED_ARGUMENTS, ids=[r[0] for r in REFUSED_ARGUMENTS]
)
@pytest.mark.parametrize("batch_size", [1, 1000])
def test_refused_acknowledgements_write_nothing(
    what: str, given: Callable[[list[str]], Any], field: str, text: str, batch_size: int
) -> None:
    """Acknowledgements that cannot be read (not a mapping, a message id that is not a non-empty
    string, a provider id given for two messages, provider ids ``submitted`` refuses): a
    ``ValidationError`` naming what was wrong, before anything is written, even in batches of
    one where the refused entry is the third."""
    store, engine, ids = refusal_store()
    before = state(store, REFUSED_IDS)
    with pytest.raises(ValidationError, match=text) as raised:
        engine.submitted_many(given(ids), AT, batch_size=batch_size)
    assert field == raised.value.field, what
    assert before == state(store, REFUSED_IDS)


#: Refused when its batch is decided (the store read): (what, the last acknowledgement given
#: the message ids, the error, its field or kind, a text in the error).
REFUSED_MESSAGES: list[tuple[str, Callable[[list[str]], tuple[str, Any]], type[Exception], str]] = [
    ("a message not stored", lambda m: ("spring:999999", "z"), NotFoundError, "message"),
    ("not queued, under other ids", lambda m: (m[0], "a-9"), ValidationError, "submitted"),
    ("other parts' ids", lambda m: (m[0], ["a-1", "a-9"]), ValidationError, "provider_message_id"),
]


@pytest.mark.parametrize(
    ("what", "last", "error", "named"), REFUSED_MESSAGES, ids=[r[0] for r in REFUSED_MESSAGES]
)
def test_a_refused_message_writes_nothing_of_its_batch(
    what: str, last: Callable[[list[str]], tuple[str, Any]], error: type[Exception], named: str
) -> None:
    """B and C in the first batch, D (its receipt kept) and a refused acknowledgement in the
    second: the typed error, naming what was wrong; the first batch committed, nothing of the
    second written (D queued, its receipt still kept); given again without the refused one, B
    and C are repeats and D is recorded with its receipt."""
    store, engine, ids = refusal_store()
    refused_id, refused_ids = last(ids)
    acknowledged = {ids[1]: "b-1", ids[2]: "c-1", ids[3]: "d-1", refused_id: refused_ids}
    a_before = store.get_message(ids[0])
    with pytest.raises(error) as raised:
        engine.submitted_many(acknowledged, AT, batch_size=2)
    assert named == getattr(raised.value, "field", getattr(raised.value, "kind", None)), what
    statuses = [store.get_message(i).status.value for i in ids]
    assert ["processing", "processing", "processing", "queued"] == statuses
    assert a_before == store.get_message(ids[0])
    assert ["d-1"] == [o.provider_message_id for o in store.orphans(REFUSED_IDS)]
    again = engine.submitted_many({ids[1]: "b-1", ids[2]: "c-1", ids[3]: "d-1"}, AT)
    assert [["duplicate"], ["duplicate"], ["applied", "applied"]] == [
        effects(r) for r in again.values()
    ]
    assert "delivered" == store.get_message(ids[3]).status.value


@pytest.mark.parametrize(("what", "last", "error", "named"), REFUSED_MESSAGES)
def test_a_refused_message_in_one_batch_writes_nothing(
    what: str, last: Callable[[list[str]], tuple[str, Any]], error: type[Exception], named: str
) -> None:
    """The same acknowledgements in one batch: nothing at all is written."""
    store, engine, ids = refusal_store()
    refused_id, refused_ids = last(ids)
    before = state(store, REFUSED_IDS)
    with pytest.raises(error):
        engine.submitted_many({ids[1]: "b-1", ids[3]: "d-1", refused_id: refused_ids}, AT)
    assert before == state(store, REFUSED_IDS), what


# A commit that fails --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [StorageBusyError("campaigns.db", 10.0), StorageError("the connection was lost")],
    ids=["busy", "lost"],
)
@pytest.mark.parametrize("failing", [0, 1, 2])
def test_a_failed_commit_writes_nothing_and_the_replay_converges(
    stores_of_a_kind: list[StorageBase], failure: Exception, failing: int
) -> None:
    """``RICH`` in three batches of three; the commit of batch ``failing`` fails: the error is
    raised, the batches before it are written and nothing of it (the store is as after those
    batches alone). The same call again, on the same engine, gives what a run without a failure
    gives (the batches written before: repeats) and leaves the same store; a third time, every
    acknowledgement is a repeat and nothing is written."""
    clean_store, partial_store, store = stores_of_a_kind
    bulk = attrs.evolve(RICH, batch_size=3)
    acknowledged, (clean, _), expected = acknowledge(clean_store, bulk, together=True)
    written = dict(list(acknowledged.items())[: 3 * failing])
    prepare(partial_store, bulk)
    if written:
        CampaignEngine(partial_store, **options(bulk)).submitted_many(written, AT)
    after_failure = state(partial_store, every_id(acknowledged))

    prepare(store, bulk)
    watched = Watched(store, fail_at=failing, failure=failure)
    engine = CampaignEngine(watched, **options(bulk))
    with pytest.raises(type(failure)):
        engine.submitted_many(acknowledged, AT, batch_size=3)
    assert failing + 1 == watched.commits
    assert after_failure == state(store, every_id(acknowledged))
    replayed = engine.submitted_many(acknowledged, AT, batch_size=3)
    assert {
        m: [HandleResult(effect="duplicate", message=r[0].message, classification=None)]
        if m in written
        else r
        for m, r in clean.items()
    } == replayed
    assert expected == state(store, every_id(acknowledged))
    watched.commits = 0
    again = engine.submitted_many(acknowledged, AT, batch_size=3)
    assert [["duplicate"]] * len(acknowledged) == [effects(r) for r in again.values()]
    assert (0, expected) == (watched.commits, state(store, every_id(acknowledged)))


# Two workers at once --------------------------------------------------------------------------


def on_a_connection(path: Path, work: Callable[[CampaignEngine], object]) -> object:
    """``work`` done by an engine on its own connection to the file."""
    store = SQLiteStorage(path, durability="normal", timeout=60)
    try:
        return work(CampaignEngine(store, default_region="FR"))
    finally:
        store.close()


def at_once(path: Path, *works: Callable[[CampaignEngine], object]) -> list[object]:
    """Each work in its own thread, on its own connection, started at once: what each
    returned (a thread that raised fails the test)."""
    start = threading.Barrier(len(works))
    returned: list[object] = [None] * len(works)
    raised: list[BaseException] = []

    def run(index: int, work: Callable[[CampaignEngine], object]) -> None:
        def started(engine: CampaignEngine) -> object:
            start.wait(timeout=30)
            return work(engine)

        try:
            returned[index] = on_a_connection(path, started)
        except BaseException as error:  # reported below, in the test's thread
            raised.append(error)

    threads = [threading.Thread(target=run, args=item) for item in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [] == raised
    return returned


def many_sent(path: Path, count: int) -> tuple[Acknowledged, list[DeliveryReport]]:
    """A campaign of ``count`` messages on the file: its acknowledgements and a delivery receipt
    for each."""
    bulk = BulkSend(spring=count, autumn=0, acked=tuple(Acked(rank=r) for r in range(count)))
    store = SQLiteStorage(path, durability="normal")
    acknowledged = prepare(store, bulk)
    store.close()
    return acknowledged, [vonage(pid, "delivered") for pid in every_id(acknowledged)]


def test_two_workers_given_the_same_bulk_send_record_each_attempt_once(tmp_path: Path) -> None:
    """The same bulk response handed to two workers (a redelivered queue message), in batches
    of 7 and 5, on one SQLite file: each message gets one attempt, recorded by one worker
    (``"applied"``), a repeat for the other; each receipt kept before is applied once."""
    path = tmp_path / "two.db"
    acknowledged, receipts = many_sent(path, 60)
    on_a_connection(path, lambda engine: engine.handle_many(receipts[::3], BEFORE))  # 20 kept
    first, second = cast(
        "list[dict[str, list[HandleResult]]]",
        at_once(
            path,
            lambda engine: engine.submitted_many(acknowledged, AT, batch_size=7),
            lambda engine: engine.submitted_many(acknowledged, AT, batch_size=5),
        ),
    )
    for message_id in acknowledged:
        assert sorted([first[message_id][0].effect, second[message_id][0].effect]) == [
            "applied",
            "duplicate",
        ], message_id
    applied_early = [r for w in (first, second) for rs in w.values() for r in rs[1:]]
    assert 20 == len(applied_early)
    assert {"applied"} == set(effects(applied_early))
    store = SQLiteStorage(path)
    messages = list(store.iter_messages("spring"))
    assert [1] * 60 == [len(m.attempts) for m in messages]
    assert (20, []) == (
        report_for(store, "spring").delivered.count,
        store.orphans(every_id(acknowledged)),
    )
    store.close()


@pytest.mark.parametrize("round_", range(3))
def test_receipts_racing_their_bulk_acknowledgement_are_never_lost_nor_counted_twice(
    tmp_path: Path, round_: int
) -> None:
    """One worker records a bulk send of 60 (batches of 7) while another handles each message's
    delivery receipt (batches of 3), at once: each message gets one attempt; every receipt is
    applied exactly once (by its handler, or kept and applied by its acknowledgement, before its
    commit or looking again after it): all 60 delivered, none left kept. (Before the
    acknowledgement looked again, 29 runs of 30 left receipts kept.)"""
    path = tmp_path / f"race{round_}.db"
    acknowledged, receipts = many_sent(path, 60)
    acks, handled = cast(
        "tuple[dict[str, list[HandleResult]], list[HandleResult]]",
        at_once(
            path,
            lambda engine: engine.submitted_many(acknowledged, AT, batch_size=7),
            lambda engine: engine.handle_many(receipts, AT, batch_size=3),
        ),
    )
    assert {"applied"} == {results[0].effect for results in acks.values()}
    with_ack = [r for results in acks.values() for r in results[1:]]
    assert set(effects(handled)) <= {"applied", "orphan"}
    assert {"applied"} >= set(effects(with_ack))
    assert effects(handled).count("orphan") >= len(with_ack)
    store = SQLiteStorage(path)
    delivered = report_for(store, "spring").delivered.count
    assert effects(handled).count("applied") + len(with_ack) == delivered == 60
    assert [] == store.orphans(every_id(acknowledged))
    assert [1] * 60 == [len(m.attempts) for m in store.iter_messages("spring")]
    store.close()


class Meanwhile:
    """A store that runs ``meanwhile`` (another worker) just before its next commit: between
    this worker's reads and its write; everything else delegated."""

    def __init__(self, store: StorageBase) -> None:
        self.store = store
        self.meanwhile: Callable[[], object] | None = None

    def commit(self, change: Change) -> Committed:
        if self.meanwhile is not None:
            run, self.meanwhile = self.meanwhile, None
            run()
        return self.store.commit(change)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@pytest.mark.parametrize("method", ["submitted", "submitted_many"])
def test_a_receipt_kept_while_its_acknowledgement_is_decided_is_applied(
    each_store: StorageBase, method: str
) -> None:
    """The receipt's handler runs between the acknowledgement's lookup of early reports (none
    yet) and its commit: it finds no message with that id, keeps the receipt, looks again
    (still none: the acknowledgement is not written) and answers ``"orphan"``. The receipt must
    still be applied, by one side or the other: the message delivered, nothing left kept."""
    store, engine, ids = refusal_store_on(each_store)
    watched = Meanwhile(store)
    seen: list[str] = []
    receipt = vonage("b-1", "delivered")
    watched.meanwhile = lambda: seen.append(engine.handle(receipt, AT).effect)
    acker = CampaignEngine(watched, default_region="FR")
    if method == "submitted":
        acker.submitted(ids[1], "b-1", AT)
    else:
        acker.submitted_many({ids[1]: "b-1", ids[2]: "c-1"}, AT)
    assert ["orphan"] == seen
    assert ([], "delivered") == (store.orphans(["b-1"]), store.get_message(ids[1]).status.value)


# The asynchronous engine ----------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [1, 3, 1000])
def test_the_async_engine_records_a_bulk_send_as_the_sync_one(
    tmp_path: Path, batch_size: int
) -> None:
    """``AsyncCampaignEngine.submitted_many`` over ``ThreadedAsyncStorage(SQLiteStorage)``:
    ``RICH``'s results, twice, and the store of ``CampaignEngine.submitted_many``."""
    bulk = attrs.evolve(RICH, batch_size=batch_size)
    sync_store = SQLiteStorage(tmp_path / "sync.db")
    expected = acknowledge(sync_store, bulk, together=True)
    sync_store.close()

    async def on_the_loop() -> tuple[Acknowledged, Calls]:
        inner = SQLiteStorage(tmp_path / "async.db")
        acknowledged = prepare(inner, bulk)  # planned through the sync engine
        async with ThreadedAsyncStorage(inner) as store:
            engine = AsyncCampaignEngine(store, **options(bulk))
            calls = [
                await engine.submitted_many(acknowledged, AT, batch_size=batch_size)
                for _ in range(2)
            ]
        return acknowledged, calls

    acknowledged, calls = asyncio.run(on_the_loop())
    reopened = SQLiteStorage(tmp_path / "async.db")
    assert expected == (acknowledged, calls, state(reopened, every_id(acknowledged)))
    reopened.close()
    assert [list(acknowledged)] * 2 == [list(results) for results in calls]


@pytest.mark.parametrize(("what", "last", "error", "named"), REFUSED_MESSAGES)
def test_the_async_engine_refuses_as_the_sync_one(
    what: str, last: Callable[[list[str]], tuple[str, Any]], error: type[Exception], named: str
) -> None:
    """A refused acknowledgement in the second batch: the same error, the first batch kept."""
    store, _, ids = refusal_store()
    refused_id, refused_ids = last(ids)
    acknowledged = {ids[1]: "b-1", ids[2]: "c-1", ids[3]: "d-1", refused_id: refused_ids}

    async def on_the_loop() -> None:
        engine = AsyncCampaignEngine(ThreadedAsyncStorage(store))
        await engine.submitted_many(acknowledged, AT, batch_size=2)

    with pytest.raises(error) as raised:
        asyncio.run(on_the_loop())
    assert named == getattr(raised.value, "field", getattr(raised.value, "kind", None)), what
    statuses = [store.get_message(i).status.value for i in ids]
    assert ["processing", "processing", "processing", "queued"] == statuses


# batch_size ------------------------------------------------------------------------------------


BAD_SIZES: list[object] = [0, -1, True, False, 1.5, "10", None]


def batch_calls(engine: Any, message_id: str) -> Mapping[str, Callable[[object], Any]]:
    """Each batched call of ``engine`` with a batch size."""
    return {
        "handle_many": lambda size: engine.handle_many(
            [vonage("p-1", "delivered")], AT, batch_size=size
        ),
        "submitted_many": lambda size: engine.submitted_many(
            {message_id: "p-1"}, AT, batch_size=size
        ),
    }


@pytest.mark.parametrize("size", BAD_SIZES, ids=repr)
@pytest.mark.parametrize("method", ["handle_many", "submitted_many"])
def test_a_batch_size_that_is_not_a_positive_int_is_refused(method: str, size: object) -> None:
    """0, a negative number, a bool, a float, a string, None: a ``ValidationError`` naming
    ``batch_size`` (0 was a bare ``ValueError`` from ``range``), nothing written."""
    store, engine, ids = refusal_store()
    before = state(store, ["p-1"])
    with pytest.raises(ValidationError, match="batch_size") as raised:
        batch_calls(engine, ids[1])[method](size)
    assert "batch_size" == raised.value.field
    assert before == state(store, ["p-1"])
    assert "applied" == effects(batch_calls(engine, ids[1])["submitted_many"](1)[ids[1]])[0]


@pytest.mark.parametrize("size", BAD_SIZES, ids=repr)
@pytest.mark.parametrize("method", ["handle_many", "submitted_many"])
def test_the_async_engine_refuses_the_same_batch_sizes(method: str, size: object) -> None:
    """The asynchronous engine's batched calls check ``batch_size`` the same way."""
    store, _, ids = refusal_store()

    async def on_the_loop() -> None:
        engine = AsyncCampaignEngine(ThreadedAsyncStorage(store))
        await batch_calls(engine, ids[1])[method](size)

    with pytest.raises(ValidationError) as raised:
        asyncio.run(on_the_loop())
    assert "batch_size" == raised.value.field
