"""``due_many``: ``due`` for many messages at one instant, from one read of the messages and one
of each campaign per batch.

Just before a bulk send goes out, the service asks of each message whether it is still to be
sent, and when. ``due_many(message_ids, now)`` gives ``due``'s answers (``SendMessage``, now or
later; ``NeedsZone``; ``None``), keyed by message id in the order given (an id given twice,
once), from one ``get_messages`` per ``batch_size`` and each campaign read once per batch; it
writes nothing. Here: the answers of ``due`` one by one on a realistic scenario on every store
and in every batch size, and in random selections (an unknown id raising as ``due`` does); the
reads counted; every refusal (nothing read); a store of the contract alone (``get_message`` per
id); the asynchronous engine over the thread adapter, an async store of the contract alone and
``AsyncPostgresStorage``; and the stores' own ``get_messages``.
"""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, cast
from uuid import uuid4
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms_campaign_stats import InMemoryStorage, MessageStatus, SQLiteStorage, ValidationError
from sms_campaign_stats.engine import (
    Action,
    AsyncCampaignEngine,
    CampaignEngine,
    NeedsZone,
    RetryMessage,
    SendMessage,
)
from sms_campaign_stats.errors import NotFoundError
from sms_campaign_stats.model import Message
from sms_campaign_stats.quiet_hours import ZonePolicy
from sms_campaign_stats.storage import AsyncStorage, Storage, StorageBase, ThreadedAsyncStorage
from sms_campaign_stats.testing import T0, TemporaryPostgres, sample_campaign, sample_messages

from .campaigns import add_campaign, sends
from .test_storage import ContractOnly
from .test_submitted_many import (
    BAD_SIZES,
    EARLIER,
    TUESDAY,
    UTC,
    fresh_stores,
    mobiles,
    state,
    vonage,
)
from .test_threaded_storage import AsyncContractOnly

DAY = TUESDAY + timedelta(minutes=2)  # 10:02 in Paris, 02:02 in Boise
NIGHT = datetime(2026, 3, 3, 22, 0, tzinfo=UTC)  # 23:00 in Paris (quiet), 15:00 in Boise
WEDNESDAY_MORNING = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)  # 08:00 in Paris: the first allowed
BOISE_MORNING = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # 08:00 in Boise
THURSDAY = TUESDAY + timedelta(days=2)
INSTANTS = [DAY, NIGHT, THURSDAY]
BATCH_SIZES = [1, 2, 7, 1000]

IDAHO, IDAHO_2 = "+12085551234", "+12085551235"  # Boise or Los Angeles: two zones
RUSSIA = "+79123456789"  # no send-time rule: any time
UNKNOWN = "spring:999999"

#: The engine's options: a zone policy that asks for the zone of a number of two zones.
OPTIONS: dict[str, Any] = {"default_region": "FR", "zone_policy": ZonePolicy(max_span=timedelta(0))}


def engine_on(store: Any) -> CampaignEngine:
    """A sync engine over ``store`` with ``OPTIONS``."""
    return CampaignEngine(cast(Storage, store), **OPTIONS)


# The scenario ---------------------------------------------------------------------------------


@attrs.frozen
class Scenario:
    """Every stored message's id (in a fixed shuffled order, across campaigns), the message of
    each role, and when the soft-bounced message's stored retry is due."""

    ids: tuple[str, ...]
    roles: dict[str, str]
    retry_at: datetime


def plan_scenario(store: StorageBase) -> Scenario:
    """Three campaigns, planned at ``TUESDAY`` and moved along by the engine.

    ``spring`` (sending): a message never sent (``queued``), one with the provider
    (``processing``), one ``delivered``, one soft-bounced whose retry is stored for later
    (``retry``), a ``hard`` bounce, an invalid number refused at planning (``refused``), a
    number whose zone is unknown (``needs_zone``), one given ``America/Boise``
    (``in_boise``), a Russian number (``russia``: no quiet hours). ``autumn``: suspended (the
    provider refused its sender), its other messages still queued (``suspended``). ``winter``:
    cancelled (``cancelled``)."""
    engine = engine_on(store)
    for campaign_id in ("spring", "autumn", "winter"):
        add_campaign(store, campaign_id, at=TUESDAY - timedelta(days=1))
    numbers = mobiles(5)
    engine.plan("spring", {"a": ["not a number", *numbers, IDAHO, IDAHO_2, RUSSIA]}, TUESDAY)
    spring = {m.recipient: m.id for m in store.iter_messages("spring")}
    roles = {
        "refused": spring["not a number"],
        "queued": spring[numbers[0]],
        "processing": spring[numbers[1]],
        "delivered": spring[numbers[2]],
        "retry": spring[numbers[3]],
        "hard": spring[numbers[4]],
        "needs_zone": spring[IDAHO],
        "in_boise": spring[IDAHO_2],
        "russia": spring[RUSSIA],
    }
    for state_, role in [("pending", "processing"), ("delivered", "delivered"), ("hard", "hard")]:
        engine.submitted(roles[role], f"p-{role}", TUESDAY)
        engine.handle(vonage(f"p-{role}", state_), EARLIER)
    engine.submitted(roles["retry"], "p-retry", TUESDAY)
    retries = engine.handle(vonage("p-retry", "soft"), EARLIER).actions
    (retry,) = [a for a in retries if isinstance(a, RetryMessage)]
    engine.assign_zone(roles["in_boise"], "America/Boise", TUESDAY)

    autumn = sends(engine.plan("autumn", {"a": mobiles(3, 10)}, TUESDAY).actions)
    engine.submitted(autumn[0].message_id, "p-autumn", TUESDAY)
    engine.handle(vonage("p-autumn", "sender refused"), EARLIER)
    roles["suspended"] = autumn[1].message_id
    winter = sends(engine.plan("winter", {"a": mobiles(2, 20)}, TUESDAY).actions)
    engine.cancel("winter", EARLIER)
    roles["cancelled"] = winter[0].message_id

    ids = [m.id for c in store.list_campaigns() for m in store.iter_messages(c.id)]
    random.Random(20260303).shuffle(ids)
    return Scenario(ids=tuple(ids), roles=roles, retry_at=retry.at)


def shape(answer: Action | None) -> object:
    """What an answer says: ``None``, ``"needs zone"``, or the instant of a ``SendMessage``."""
    if isinstance(answer, SendMessage):
        return answer.at
    return "needs zone" if isinstance(answer, NeedsZone) else answer


def shapes(scenario: Scenario, now: datetime) -> dict[str, object]:
    """What ``due`` must say of each role at ``now`` (``DAY``, ``NIGHT`` or ``THURSDAY``)."""
    never_sent = {DAY: DAY, NIGHT: WEDNESDAY_MORNING, THURSDAY: THURSDAY}[now]
    in_boise = {DAY: BOISE_MORNING, NIGHT: NIGHT, THURSDAY: BOISE_MORNING + timedelta(days=2)}
    return {
        "queued": never_sent,  # at once, or at the first allowed instant in Paris
        "retry": max(scenario.retry_at, never_sent),  # its stored due time while it is to come
        "needs_zone": "needs zone",
        "in_boise": in_boise[now],  # 08:00 in Boise, or at once
        "russia": now,
        **dict.fromkeys(
            ["processing", "delivered", "hard", "refused", "suspended", "cancelled"], None
        ),
    }


def one_by_one(engine: CampaignEngine, ids: Iterable[str], now: datetime) -> dict[str, Any]:
    """``due`` of each id in turn, keyed by id (first occurrence), or the ``NotFoundError`` of
    the first unknown id, as ``(kind, key)``."""
    answers: dict[str, Any] = {}
    for message_id in ids:
        try:
            answers.setdefault(message_id, engine.due(message_id, now))
        except NotFoundError as error:
            return {"NotFoundError": (error.kind, error.key)}
    return answers


def in_many(engine: CampaignEngine, ids: Iterable[str], now: datetime, size: int) -> dict[str, Any]:
    """``due_many``'s answers, or its ``NotFoundError`` as ``one_by_one`` gives it."""
    try:
        return engine.due_many(ids, now, batch_size=size)
    except NotFoundError as error:
        return {"NotFoundError": (error.kind, error.key)}


def with_repeats(ids: Iterable[str]) -> list[str]:
    """The ids, then some of them again: the answers are keyed by first occurrence."""
    given = list(ids)
    return [*given, given[3], given[0], given[-1]]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StorageBase]:
    """Each built-in store, fresh: in memory, an SQLite file, PostgreSQL (a schema of its own on
    the session's server)."""
    (made,) = fresh_stores(request, tmp_path, 1)
    yield made
    made.close()


# The answers of due one by one ----------------------------------------------------------------


def test_due_many_answers_as_due_one_by_one_on_each_store(store: StorageBase) -> None:
    """The scenario on each store (in memory, an SQLite file, PostgreSQL), at three instants
    (by day, in Paris's quiet hours, two days later), its ids shuffled and some repeated, in
    batches of 1, 2, 7 and 1000: ``due``'s answers, keyed in the order given; and those answers
    are what the scenario means (a later send in quiet hours, a retry's stored due time,
    ``NeedsZone``, ``None`` for a message sent, final, suspended or cancelled)."""
    scenario = plan_scenario(store)
    engine = engine_on(store)
    given = with_repeats(scenario.ids)
    for now in INSTANTS:
        expected = one_by_one(engine, given, now)
        assert shapes(scenario, now) == {
            role: shape(expected[message_id]) for role, message_id in scenario.roles.items()
        }
        for size in BATCH_SIZES:
            answers = engine.due_many(given, now, batch_size=size)
            assert expected == answers, (now, size)
            assert list(scenario.ids) == list(answers), (now, size)


@functools.cache
def shared_scenario() -> tuple[CampaignEngine, Scenario]:
    """The scenario in memory, planned once for the property (``due_many`` only reads)."""
    store = InMemoryStorage()
    return engine_on(store), plan_scenario(store)


@settings(deadline=None)
@given(
    picks=st.lists(st.integers(0, 100), max_size=30),
    unknowns=st.none()
    | st.lists(
        st.tuples(st.integers(0, 30), st.sampled_from([UNKNOWN, "autumn:000042"])),
        min_size=1,
        max_size=2,
    ),
    minutes=st.integers(-24 * 60, 4 * 24 * 60),
    zone=st.sampled_from([UTC, ZoneInfo("Europe/Paris"), ZoneInfo("America/Boise")]),
    size=st.integers(1, 8) | st.just(1000),
    as_iterator=st.booleans(),
)
def test_any_selection_is_answered_as_one_by_one(
    picks: list[int],
    unknowns: list[tuple[int, str]] | None,
    minutes: int,
    zone: tzinfo,
    size: int,
    as_iterator: bool,
) -> None:
    """Any ids of the scenario (any order, repeats; half the time with one or two unknown ids
    among them), at any instant from a day before its plan to four days after (in any time
    zone), in any batch size, given as a list or a one-pass iterator: ``due``'s answers, keyed
    in first-occurrence order; or, with an unknown id, ``NotFoundError`` naming the first
    unknown id, as ``due`` raises it."""
    engine, scenario = shared_scenario()
    ids = [scenario.ids[pick % len(scenario.ids)] for pick in picks]
    for where, unknown in unknowns or ():
        ids.insert(where, unknown)
    now = (TUESDAY + timedelta(minutes=minutes)).astimezone(zone)
    expected = one_by_one(engine, ids, now)
    answers = in_many(engine, iter(ids) if as_iterator else ids, now, size)
    assert expected == answers
    assert ("NotFoundError" in expected) == bool(unknowns)
    if not unknowns:
        assert list(dict.fromkeys(ids)) == list(answers)


# What is read ---------------------------------------------------------------------------------


class Logged:
    """A store that logs each method called on it (its name and positional arguments),
    everything delegated to ``store`` (a sync or an async store): it has what ``store`` has."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.store, name)
        if not callable(found):
            return found

        def logged(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args))
            return found(*args, **kwargs)

        return logged

    def names(self) -> list[str]:
        """The methods called, in order."""
        return [name for name, _ in self.calls]


def batches(ids: Iterable[str], size: int) -> list[list[str]]:
    """The distinct ids, in first-occurrence order, in batches of ``size``."""
    distinct = list(dict.fromkeys(ids))
    return [distinct[first : first + size] for first in range(0, len(distinct), size)]


def reads_per_batch(calls: list[tuple[str, tuple[Any, ...]]]) -> list[list[tuple[str, Any]]]:
    """The calls, split before each read of messages: (method, first argument) for each."""
    split: list[list[tuple[str, Any]]] = []
    for name, args in calls:
        if name == "get_messages" or not split:
            split.append([])
        split[-1].append((name, list(args[0]) if name == "get_messages" else args[0]))
    return split


@pytest.mark.parametrize("size", BATCH_SIZES)
def test_one_read_of_the_messages_and_of_each_campaign_per_batch(size: int) -> None:
    """Per batch, one ``get_messages`` of the batch's ids (each once, in order), then one
    ``get_campaign`` of each campaign that has a queued message in the batch, once (where ``due``
    one by one reads a message and its campaign per id); nothing else: no ``get_message``, no
    commit, the store unchanged."""
    inner = InMemoryStorage()
    scenario = plan_scenario(inner)
    before = state(inner, [])
    logged = Logged(inner)
    given = with_repeats(scenario.ids)
    engine_on(logged).due_many(given, NIGHT, batch_size=size)
    expected = batches(given, size)
    read = reads_per_batch(logged.calls)
    assert [[("get_messages", batch)] for batch in expected] == [reads[:1] for reads in read]
    for batch, reads in zip(expected, read, strict=True):
        campaigns = [argument for name, argument in reads[1:] if name == "get_campaign"]
        assert [("get_campaign", c) for c in campaigns] == reads[1:]  # nothing else read
        queued = [m for m in inner.get_messages(batch).values() if m.status is MessageStatus.QUEUED]
        assert {m.campaign_id for m in queued} == set(campaigns)
        assert len(set(campaigns)) == len(campaigns)
    assert before == state(inner, [])
    logged.calls.clear()
    for message_id in scenario.ids:
        engine_on(logged).due(message_id, NIGHT)
    assert len(scenario.ids) == logged.names().count("get_message")


def test_no_ids_no_answers_and_no_reads() -> None:
    """No ids (an empty list, an empty iterator): ``{}``, and the store is not read."""
    inner = InMemoryStorage()
    plan_scenario(inner)
    logged = Logged(inner)
    engine = engine_on(logged)
    assert {} == engine.due_many([], DAY)
    assert {} == engine.due_many(iter(()), DAY, batch_size=1)
    assert [] == logged.calls


def test_a_read_only_sqlite_store_answers_the_same(tmp_path: Path) -> None:
    """The scenario on an SQLite file, then the file opened read-only: ``due_many`` answers as
    ``due`` on the writable store, so it needs no write."""
    writable = SQLiteStorage(tmp_path / "due.db")
    scenario = plan_scenario(writable)
    read_only = SQLiteStorage(tmp_path / "due.db", read_only=True)
    try:
        for now in INSTANTS:
            expected = one_by_one(engine_on(writable), scenario.ids, now)
            assert expected == engine_on(read_only).due_many(scenario.ids, now, batch_size=7)
    finally:
        read_only.close()
        writable.close()


# Refusals -------------------------------------------------------------------------------------


def due_many_of(kind: str, store: Any) -> Callable[..., dict[str, Action | None]]:
    """``due_many`` of a sync engine over ``store``, or of an async engine over it (through the
    thread adapter), run to its end."""
    if kind == "sync":
        return engine_on(store).due_many

    def run(*args: Any, **kwargs: Any) -> dict[str, Action | None]:
        engine = AsyncCampaignEngine(ThreadedAsyncStorage(cast(Storage, store)), **OPTIONS)
        return asyncio.run(engine.due_many(*args, **kwargs))

    return run


ENGINES = ["sync", "async"]

#: Message ids refused before anything is read: (what, the ids given the scenario's, a text of
#: the error).
REFUSED_IDS: list[tuple[str, Callable[[tuple[str, ...]], object], str]] = [
    ("one id", lambda ids: ids[0], "not one id"),
    ("one id as bytes", lambda ids: ids[0].encode(), "not one id"),
    ("not an iterable", lambda ids: 5, "not one id"),
    ("None", lambda ids: None, "not one id"),
    ("an empty id", lambda ids: [ids[0], ids[1], ""], "non-empty string"),
    ("an id not a str", lambda ids: [ids[0], 7, ids[1]], "non-empty string"),
    ("an id as bytes", lambda ids: [ids[0], ids[1].encode()], "non-empty string"),
    ("a bytearray", lambda ids: bytearray(ids[0].encode()), "non-empty string"),
]


@pytest.mark.parametrize("kind", ENGINES)
@pytest.mark.parametrize(
    ("what", "given", "text"), REFUSED_IDS, ids=[refused[0] for refused in REFUSED_IDS]
)
def test_message_ids_that_cannot_be_read_are_refused_before_any_read(
    kind: str, what: str, given: Callable[[tuple[str, ...]], object], text: str
) -> None:
    """One id instead of many (a str, bytes), a value that is not iterable, an id that is not a
    non-empty str among good ones: a ``ValidationError`` naming ``message_ids``, in batches of
    one too, before anything is read."""
    inner = InMemoryStorage()
    scenario = plan_scenario(inner)
    logged = Logged(inner)
    with pytest.raises(ValidationError, match=text) as raised:
        due_many_of(kind, logged)(given(scenario.ids), DAY, batch_size=1)
    assert "message_ids" == raised.value.field, what
    assert [] == logged.calls


@pytest.mark.parametrize("kind", ENGINES)
def test_an_unhashable_id_is_refused_as_any_id_that_is_not_a_str(kind: str) -> None:
    """An id that is a list among good ones is not a non-empty str: refused as ``7`` is."""
    inner = InMemoryStorage()
    scenario = plan_scenario(inner)
    with pytest.raises(ValidationError) as raised:
        due_many_of(kind, inner)([scenario.ids[0], [scenario.ids[1]]], DAY)
    assert "message_ids" == raised.value.field


@pytest.mark.parametrize("kind", ENGINES)
@pytest.mark.parametrize("size", BAD_SIZES, ids=repr)
def test_a_batch_size_that_is_not_a_positive_int_is_refused(kind: str, size: object) -> None:
    """0, a negative number, a bool, a float, a string, None: a ``ValidationError`` naming
    ``batch_size``, nothing read (the ids being good, or none)."""
    inner = InMemoryStorage()
    scenario = plan_scenario(inner)
    logged = Logged(inner)
    for ids in (list(scenario.ids), []):
        with pytest.raises(ValidationError) as raised:
            due_many_of(kind, logged)(ids, DAY, batch_size=size)
        assert "batch_size" == raised.value.field
    assert [] == logged.calls


BAD_INSTANTS: list[object] = [
    datetime(2026, 3, 3, 9, 0),  # naive
    "2026-03-03T09:00:00+00:00",
    date(2026, 3, 3),
    None,
    datetime(9999, 12, 31, tzinfo=UTC),  # the send-time search would pass year 9999
]


@pytest.mark.parametrize("kind", ENGINES)
@pytest.mark.parametrize("now", BAD_INSTANTS, ids=repr)
def test_an_instant_due_refuses_is_refused_alike(kind: str, now: object) -> None:
    """An instant ``due`` refuses (naive, not a datetime, too near year 9999): ``due_many``
    raises the same error type naming the same field, nothing read."""
    inner = InMemoryStorage()
    scenario = plan_scenario(inner)
    logged = Logged(inner)
    with pytest.raises(ValidationError) as by_due:
        engine_on(inner).due(scenario.ids[0], cast(datetime, now))
    with pytest.raises(ValidationError) as raised:
        due_many_of(kind, logged)(list(scenario.ids), now)
    assert (type(by_due.value), by_due.value.field) == (type(raised.value), raised.value.field)
    assert [] == logged.calls


@pytest.mark.parametrize("kind", ENGINES)
@pytest.mark.parametrize("size", [1, 2, 1000])
def test_an_unknown_id_raises_not_found_naming_the_first_unknown(kind: str, size: int) -> None:
    """Known ids, then an unknown one, a known one and another unknown one: ``NotFoundError``
    for the first unknown id (a message), as ``due`` raises it, whatever the batches."""
    inner = InMemoryStorage()
    scenario = plan_scenario(inner)
    given = [*scenario.ids[:3], UNKNOWN, scenario.ids[3], "winter:000099"]
    with pytest.raises(NotFoundError) as by_due:
        engine_on(inner).due(UNKNOWN, DAY)
    with pytest.raises(NotFoundError) as raised:
        due_many_of(kind, inner)(given, DAY, batch_size=size)
    assert ("message", UNKNOWN) == (raised.value.kind, raised.value.key)
    assert str(by_due.value) == str(raised.value)


# Stores of the contract alone -----------------------------------------------------------------


def test_a_store_of_the_contract_alone_answers_through_get_message() -> None:
    """A store with the contract's methods only (no ``get_messages``): ``StorageBase``'s, a
    ``get_message`` per distinct id of each batch; the same answers; an unknown id still
    ``NotFoundError``."""
    contract = ContractOnly()
    scenario = plan_scenario(cast(Any, contract)._store)
    assert not hasattr(contract, "get_messages")
    logged = Logged(contract)
    engine = engine_on(logged)
    given = with_repeats(scenario.ids)
    for size in (2, 1000):
        logged.calls.clear()
        assert one_by_one(engine_on(contract), given, NIGHT) == engine.due_many(
            given, NIGHT, batch_size=size
        )
        assert "get_messages" not in logged.names()
        read = [args[0] for name, args in logged.calls if name == "get_message"]
        assert list(dict.fromkeys(given)) == read
    with pytest.raises(NotFoundError, match=UNKNOWN):
        engine.due_many([scenario.ids[0], UNKNOWN], NIGHT)


def test_get_messages_of_a_store_of_the_contract_alone() -> None:
    """``get_messages`` on a store without one (``ThreadedAsyncStorage`` over it reads with what
    the engine's read calls, ``StorageBase``'s per-id default): each stored message asked, in the
    order asked, each once, unknown ids left out, as ``get_message`` reads it."""
    contract = ContractOnly()
    scenario = plan_scenario(cast(Any, contract)._store)
    asked = [scenario.ids[4], UNKNOWN, scenario.ids[1], scenario.ids[4], scenario.ids[0]]
    found = asyncio.run(ThreadedAsyncStorage(cast(Storage, contract)).get_messages(asked))
    assert [scenario.ids[4], scenario.ids[1], scenario.ids[0]] == list(found)
    assert {i: cast(Any, contract).get_message(i) for i in found} == found


# The asynchronous engine ----------------------------------------------------------------------


def async_due_many(
    store: AsyncStorage, ids: list[str], now: datetime, sizes: list[int]
) -> list[dict[str, Action | None]]:
    """``AsyncCampaignEngine.due_many`` over ``store`` in each batch size, on one loop."""

    async def on_the_loop() -> list[dict[str, Action | None]]:
        engine = AsyncCampaignEngine(store, **OPTIONS)
        return [await engine.due_many(ids, now, batch_size=size) for size in sizes]

    return asyncio.run(on_the_loop())


def test_the_async_engine_answers_as_the_sync_one(tmp_path: Path) -> None:
    """``AsyncCampaignEngine(ThreadedAsyncStorage(SQLiteStorage))``: ``due``'s answers, at
    each instant, in each batch size, keyed in the order given."""
    inner = SQLiteStorage(tmp_path / "async.db")
    scenario = plan_scenario(inner)
    given = with_repeats(scenario.ids)
    for now in INSTANTS:
        expected = one_by_one(engine_on(inner), given, now)
        got = async_due_many(ThreadedAsyncStorage(inner), given, now, BATCH_SIZES)
        assert [expected] * len(BATCH_SIZES) == got, now
        assert [list(scenario.ids)] * len(BATCH_SIZES) == [list(answers) for answers in got]
    inner.close()


def test_an_async_store_without_get_messages_answers_through_get_message() -> None:
    """An async store of the contract alone (no ``get_messages``): ``get_message`` awaited per
    distinct id of each batch; the same answers; an unknown id ``NotFoundError``."""
    contract = AsyncContractOnly()
    inner = cast(Any, contract)._store.storage
    scenario = plan_scenario(inner)
    assert not hasattr(contract, "get_messages")
    logged = Logged(contract)
    given = with_repeats(scenario.ids)
    expected = one_by_one(engine_on(inner), given, NIGHT)
    store = cast(AsyncStorage, logged)
    assert [expected, expected] == async_due_many(store, given, NIGHT, [3, 1000])
    read = [args[0] for name, args in logged.calls if name == "get_message"]
    assert list(dict.fromkeys(given)) * 2 == read
    assert "get_messages" not in logged.names()
    with pytest.raises(NotFoundError, match=UNKNOWN):
        async_due_many(store, [scenario.ids[0], UNKNOWN], NIGHT, [1000])


def test_the_async_engine_on_async_postgres_answers_as_the_sync_one(
    postgres_server: TemporaryPostgres,
) -> None:
    """The scenario on ``PostgresStorage``, then read through ``AsyncPostgresStorage`` (its own
    ``get_messages``, one query) on the same schema: ``due``'s answers at each instant."""
    from sms_campaign_stats.storage.postgres import AsyncPostgresStorage, PostgresStorage

    schema = f"t{uuid4().hex}"
    sync = PostgresStorage(postgres_server.url, schema=schema)
    scenario = plan_scenario(sync)
    given = with_repeats(scenario.ids)
    expected = {now: one_by_one(engine_on(sync), given, now) for now in INSTANTS}
    sync.close()

    async def on_the_loop() -> dict[datetime, list[dict[str, Action | None]]]:
        async with AsyncPostgresStorage(postgres_server.url, schema=schema) as store:
            engine = AsyncCampaignEngine(store, **OPTIONS)
            return {
                now: [await engine.due_many(given, now, batch_size=s) for s in BATCH_SIZES]
                for now in INSTANTS
            }

    got = asyncio.run(on_the_loop())
    assert {now: [answers] * len(BATCH_SIZES) for now, answers in expected.items()} == got


# The stores' own get_messages -----------------------------------------------------------------


def test_each_store_reads_many_messages_as_get_message_reads_each(store: StorageBase) -> None:
    """``get_messages`` on each built-in store: the stored messages asked, by id, in the order
    asked (across campaigns), each id once, unknown ids left out (1,100 of them too), each as
    ``get_message`` reads it; nothing asked, nothing found."""
    scenario = plan_scenario(store)
    asked = [UNKNOWN, *reversed(scenario.ids), scenario.ids[0], "", *scenario.ids[:5]]
    found = store.get_messages(iter(asked))
    assert list(reversed(scenario.ids)) == list(found)
    assert {i: store.get_message(i) for i in scenario.ids} == found
    many = [f"x{n}" for n in range(1100)]
    assert {scenario.ids[2]: found[scenario.ids[2]]} == store.get_messages(
        [*many[:600], scenario.ids[2], *many[600:]]
    )
    assert {} == store.get_messages([])


def versions(store: StorageBase, ids: list[str]) -> list[int]:
    """Each message's version, as ``get_messages`` reads them (in the order asked)."""
    return [message.version for message in store.get_messages(ids).values()]


def submitted(message: Message, provider_message_id: str) -> Message:
    """The message handed to the provider: its next version."""
    return message.submit(at=T0, provider_message_id=provider_message_id)


def test_sqlite_reads_more_than_a_query_holds_and_sees_other_writers(tmp_path: Path) -> None:
    """An SQLite file of 1,200 messages, read through one store (its ids in more than 500 ids'
    queries, and from its cache of what it read): every message in the order asked; after
    another store on the same file (another connection) writes a message, the first store's
    reads, from its cache or not, give the new version; and so after its own write."""
    path = tmp_path / "many.db"
    reader, writer = SQLiteStorage(path), SQLiteStorage(path)
    campaign, event = sample_campaign()
    reader.add_campaign(campaign, events=[event])
    reader.add_messages(sample_messages(campaign, 1200))
    ids = [m.id for m in reader.iter_messages(campaign.id)]
    asked = [ids[n] for n in random.Random(7).sample(range(1200), 1200)]
    everything = reader.get_messages([*asked[:700], "nope", *asked[700:], *asked[:50]])
    assert asked == list(everything)
    assert {i: reader.get_message(i) for i in ids} == everything
    few = [ids[0], ids[1], ids[2]]
    first = everything[ids[0]].version
    assert [first] * 3 == versions(reader, few)  # now in the reader's cache, as the 1,200 are

    writer.update_message(submitted(writer.get_message(ids[1]), "p-1"))
    writer.update_message(submitted(writer.get_message(ids[900]), "p-900"))
    assert [first, first + 1, first] == versions(reader, few)
    assert [first + 1] * 2 == versions(reader, [ids[900], ids[1]])
    assert [first + 1] * 2 + [first] * 1198 == sorted(versions(reader, asked), reverse=True)
    assert reader.get_message(ids[900]) == reader.get_messages(ids)[ids[900]]

    reader.update_message(submitted(reader.get_message(ids[2]), "p-2"))
    assert [first, first + 1, first + 1] == versions(writer, few)
    assert [first, first + 1, first + 1] == versions(reader, few)
    writer.close()
    reader.close()


def test_due_many_sees_what_another_store_on_the_file_wrote(tmp_path: Path) -> None:
    """``due_many`` through one SQLite store answers (its messages now in that store's cache),
    then another store on the same file hands one message to the provider, then resumes
    ``autumn``: each time, the first store's ``due_many`` answers from the new versions, as
    ``due`` does: that message no longer to be sent, the others as before."""
    path = tmp_path / "two.db"
    reader, writer = SQLiteStorage(path), SQLiteStorage(path)
    scenario = plan_scenario(reader)
    engine = engine_on(reader)
    queued = scenario.roles["queued"]
    before = engine.due_many(scenario.ids, DAY)
    assert isinstance(before[queued], SendMessage)
    engine_on(writer).submitted(queued, "p-queued", DAY)
    after = engine.due_many(scenario.ids, DAY)  # before any other read of the reader's
    assert {**before, queued: None} == after
    assert one_by_one(engine, scenario.ids, DAY) == after

    engine_on(writer).resume("autumn", DAY)
    resumed = engine.due_many(scenario.ids, DAY)
    assert isinstance(resumed[scenario.roles["suspended"]], SendMessage)
    assert one_by_one(engine, scenario.ids, DAY) == resumed
    writer.close()
    reader.close()
