"""``AsyncCampaignEngine``: the decisions of ``CampaignEngine``, awaited.

One scenario (plans, submissions, shuffled and repeated receipts in batches, a report before its
submission, inbound STOP and replies, a suspension and its resume, expiry, due and claimed
retries, a cancellation, refusals) runs on ``CampaignEngine(SQLiteStorage)`` and on
``AsyncCampaignEngine(ThreadedAsyncStorage(SQLiteStorage))``: the same results, the same errors,
the same stores. A hypothesis property does the same for random receipts. The event loop is
never blocked by the store; tasks of one engine are workers kept apart by compare-and-set;
``claim_due_retries`` gives each due retry to one worker per lease, threads and tasks alike.
Last, the webhook receiver example, run as a service and posted to."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_campaign_stats import (
    Campaign,
    InMemoryStorage,
    Message,
    MessageStatus,
    SQLiteStorage,
    ValidationError,
    parse_twilio_callback,
    parse_vonage_receipt,
)
from sms_campaign_stats.engine import (
    AsyncCampaignEngine,
    CampaignEngine,
    RetryMessage,
    SendMessage,
)
from sms_campaign_stats.errors import SmsCampaignStatsError, StorageError
from sms_campaign_stats.providers import DeliveryReport
from sms_campaign_stats.storage import (
    AsyncStorage,
    Storage,
    StorageBase,
    ThreadedAsyncStorage,
)

from . import campaigns
from .test_storage import ContractOnly
from .test_threaded_storage import AsyncContractOnly

UTC = timezone.utc
TUESDAY = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 in Paris
ROOT = Path(__file__).resolve().parent.parent
PORT = ("--port", "0")  # any free port
Do = Callable[..., Awaitable[Any]]


def add_campaign(store: StorageBase, campaign_id: str) -> Campaign:
    """A stored draft campaign."""
    return campaigns.add_campaign(
        store, campaign_id, at=TUESDAY - timedelta(days=1), lists=("a", "b")
    )


def vonage(provider_id: str, status: str, err: str = "0") -> DeliveryReport:
    """A Vonage receipt for a provider id."""
    return parse_vonage_receipt({"messageId": provider_id, "status": status, "err-code": err})


def mobiles(count: int, first: int = 0) -> list[str]:
    """French mobile numbers."""
    return [f"+3361234{index:04d}" for index in range(first, first + count)]


def sync_calls(engine: CampaignEngine) -> Do:
    """The sync engine's calls, as awaitables, for the scenario."""

    async def do(name: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(engine, name)(*args, **kwargs)

    return do


def async_calls(engine: AsyncCampaignEngine) -> Do:
    """The async engine's calls, awaited."""

    async def do(name: str, *args: Any, **kwargs: Any) -> Any:
        return await getattr(engine, name)(*args, **kwargs)

    return do


# The scenario ---------------------------------------------------------------------------------


RECEIPTS = [("delivered", "0"), ("failed", "2"), ("failed", "3"), ("buffered", "0")]


async def scenario(do: Do, seed: int = 7) -> list[Any]:
    """Every call of the engine, on campaigns ``spring`` and ``autumn``: what each returned, or
    the error it raised (its type and text)."""
    results: list[Any] = []

    async def call(name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            value = await do(name, *args, **kwargs)
        except SmsCampaignStatsError as error:
            results.append((name, type(error).__name__, str(error)))
            return None
        results.append((name, value))
        return value

    draw = random.Random(seed)
    numbers = mobiles(12)
    lists = {"a": [*numbers[:8], "01 42 68 53 00", "not a number"], "b": numbers[6:]}
    planned = await call("plan", "spring", lists, TUESDAY)
    await call("plan", "spring", lists, TUESDAY)  # a replay changes nothing
    sends = sorted(
        (a for a in planned.actions if isinstance(a, SendMessage)), key=lambda a: a.message_id
    )
    early = f"early-{sends[0].message_id}"
    await call("handle", vonage(early, "delivered"), TUESDAY)  # before its submission: kept
    for index, action in enumerate(sends):
        await call("due", action.message_id, TUESDAY)
        pid = early if index == 0 else f"p-{action.message_id}"
        await call("submitted", action.message_id, pid, TUESDAY)
    await call("submitted", sends[1].message_id, f"p-{sends[1].message_id}", TUESDAY)
    await call("submitted", sends[0].message_id, "another", TUESDAY)  # not queued: refused
    receipts = [
        vonage(f"p-{action.message_id}", *RECEIPTS[index % len(RECEIPTS)])
        for index, action in enumerate(sends[1:])
    ]
    receipts += draw.sample(receipts, 4)  # repeated
    draw.shuffle(receipts)
    await call("handle_many", receipts, TUESDAY + timedelta(minutes=1), batch_size=4)
    await call("handle", receipts[0], TUESDAY + timedelta(minutes=2))
    await call("inbound", numbers[1], "STOP", TUESDAY + timedelta(minutes=3), inbound_id="i-1")
    await call("inbound", numbers[1], "STOP", TUESDAY + timedelta(minutes=3), inbound_id="i-1")
    await call("inbound", numbers[2], "Where is the shop?", TUESDAY + timedelta(minutes=4))
    await call("inbound", "not a number", "STOP", TUESDAY)
    await call("monitor_verdict", "spring")

    # A sender set-up refused: the campaign suspended, then resumed.
    autumn = await call("plan", "autumn", {"a": mobiles(3, 50)}, TUESDAY)
    first, *others = (a for a in autumn.actions if isinstance(a, SendMessage))
    await call("submitted", first.message_id, "SM-autumn-1", TUESDAY)
    refused = {"MessageSid": "SM-autumn-1", "MessageStatus": "failed", "ErrorCode": "30032"}
    await call("handle", parse_twilio_callback(refused), TUESDAY + timedelta(minutes=5))
    await call("due", others[0].message_id, TUESDAY + timedelta(minutes=6))
    await call("resume", "autumn", TUESDAY + timedelta(hours=1), reason="sender verified")
    await call("assign_zone", others[0].message_id, "Europe/Paris", TUESDAY + timedelta(hours=1))

    later = TUESDAY + timedelta(days=4)
    await call("expire", later)
    await call("due_retries", later)
    await call("claim_due_retries", later, lease=timedelta(minutes=10), limit=2)
    await call("claim_due_retries", later, lease=timedelta(minutes=10), limit=50)
    await call("claim_due_retries", later, lease=timedelta(0))
    await call("cancel", "spring", later, reason="season over")
    await call("complete_if_done", "autumn", later)
    await call("plan", "nope", lists, TUESDAY)
    await call("handle", cast(Any, "not a report"), TUESDAY)
    await call("resume", "spring", later)  # cancelled: cannot be resumed
    return results


def snapshot(store: StorageBase) -> tuple[Any, ...]:
    """Everything the contract's reads show of a store after the scenario."""
    campaigns = store.list_campaigns()
    messages = [sorted(store.iter_messages(c.id), key=lambda m: m.id) for c in campaigns]
    numbers = sorted({m.recipient for group in messages for m in group})
    return (
        campaigns,
        messages,
        [store.timeline(c.id) for c in campaigns],
        [(store.replies(c.id), store.unsubscribes(c.id)) for c in campaigns],
        [(store.evidence(c.id), store.campaign_counts(c.id)) for c in campaigns],
        store.blocked(numbers),
        store.orphans(["early", "SM-autumn-1"]),
    )


def prepared(path: Path) -> SQLiteStorage:
    """An SQLite file with the scenario's two campaigns and a blocked number."""
    store = SQLiteStorage(path)
    add_campaign(store, "spring")
    add_campaign(store, "autumn")
    store.block(mobiles(1, 11)[0], reason="unsubscribed", at=TUESDAY)
    return store


def test_both_engines_decide_the_same(tmp_path: Path) -> None:
    """The scenario on both engines: equal results (values and errors), equal stores."""
    sync_store = prepared(tmp_path / "sync.db")
    sync_results = asyncio.run(scenario(sync_calls(CampaignEngine(sync_store))))
    async_store = prepared(tmp_path / "async.db")

    async def on_the_loop() -> list[Any]:
        async with ThreadedAsyncStorage(async_store) as store:
            return await scenario(async_calls(AsyncCampaignEngine(store)))

    async_results = asyncio.run(on_the_loop())
    assert sync_results == async_results
    reopened = SQLiteStorage(tmp_path / "async.db")
    assert snapshot(sync_store) == snapshot(reopened)
    reopened.close()
    # The scenario went where it meant to go.
    outcomes = {name for name, *_ in sync_results}
    assert {"plan", "handle_many", "inbound", "resume", "expire", "claim_due_retries"} <= outcomes
    errors = [(name, kind) for name, kind, *_ in (r for r in sync_results if len(r) == 3)]
    assert ("plan", "NotFoundError") in errors
    assert ("handle", "ValidationError") in errors
    assert ("claim_due_retries", "ValidationError") in errors
    statuses = {m.status for m in sync_store.iter_messages("spring")}
    assert {MessageStatus.DELIVERED, MessageStatus.HARD_BOUNCE} <= statuses
    assert sync_store.unsubscribes("spring")
    assert sync_store.replies("spring")
    sync_store.close()


@given(
    receipts=st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from(RECEIPTS), st.integers(0, 3)),
        max_size=12,
    ),
    batch=st.integers(1, 5),
)
def test_both_engines_agree_on_any_receipts(
    receipts: list[tuple[int, tuple[str, str], int]], batch: int
) -> None:
    """Receipts of four messages, any order, repeats and batches, some a retry's: the same
    results and the same counts on both engines."""

    def stores() -> tuple[InMemoryStorage, InMemoryStorage]:
        made = (InMemoryStorage(), InMemoryStorage())
        for store in made:
            add_campaign(store, "spring")
        return made

    async def run(do: Do) -> list[Any]:
        planned = await do("plan", "spring", {"a": mobiles(4)}, TUESDAY)
        ids = [a.message_id for a in planned.actions]
        for message_id in ids:
            await do("submitted", message_id, f"p-{message_id}-1", TUESDAY)
        seen = []
        for start in range(0, len(receipts), batch):
            chunk = [
                vonage(f"p-{ids[index]}-{1 + attempt % 2}", status, err)
                for index, (status, err), attempt in receipts[start : start + batch]
            ]
            seen.append(await do("handle_many", chunk, TUESDAY + timedelta(minutes=start)))
        seen.append(await do("due_retries", TUESDAY + timedelta(days=2)))
        seen.append(await do("expire", TUESDAY + timedelta(days=4)))
        return seen

    sync_store, inner = stores()
    expected = asyncio.run(run(sync_calls(CampaignEngine(sync_store))))
    threaded = ThreadedAsyncStorage(inner)
    assert expected == asyncio.run(run(async_calls(AsyncCampaignEngine(threaded))))
    assert sync_store.campaign_counts("spring") == inner.campaign_counts("spring")


def test_the_async_engine_checks_its_options_and_names_itself() -> None:
    """The constructor's checks are CampaignEngine's, naming the async engine."""
    store = ThreadedAsyncStorage(InMemoryStorage())
    with pytest.raises(ValidationError, match=r"AsyncCampaignEngine\.reply_window"):
        AsyncCampaignEngine(store, reply_window=timedelta(0))
    with pytest.raises(ValidationError, match=r"AsyncCampaignEngine\.conflict_retries"):
        AsyncCampaignEngine(store, conflict_retries=0)
    with pytest.raises(ValidationError, match=r"CampaignEngine\.escalation"):
        AsyncCampaignEngine(store, escalation=cast(Any, "often"))


# The event loop and the tasks -------------------------------------------------------------------


class Slow(InMemoryStorage):
    """An in-memory store whose message lookups take 0.3 s (a disk, a network)."""

    def get_message(self, message_id: str) -> Message:
        time.sleep(0.3)
        return super().get_message(message_id)


def test_the_loop_keeps_running_while_the_store_works() -> None:
    """A ticker task keeps ticking while the async engine waits 0.3 s on the store; the sync
    engine called on the loop would stop it (the measure sees a blocked loop)."""
    slow = Slow()
    add_campaign(slow, "spring")
    sync = CampaignEngine(slow)
    action = cast(SendMessage, sync.plan("spring", {"a": mobiles(1)}, TUESDAY).actions[0])
    engine = AsyncCampaignEngine(ThreadedAsyncStorage(slow))

    async def ticks_during(work: Callable[[], Awaitable[Any]]) -> int:
        ticked = 0

        async def ticker() -> None:
            nonlocal ticked
            while True:
                await asyncio.sleep(0.01)
                ticked += 1

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)  # the ticker starts
        before = ticked
        await work()
        after = ticked
        task.cancel()
        return after - before

    async def blocking() -> Any:
        return sync.due(action.message_id, TUESDAY)

    async def awaited() -> Any:
        return await engine.due(action.message_id, TUESDAY)

    assert asyncio.run(ticks_during(awaited)) >= 5
    assert asyncio.run(ticks_during(blocking)) == 0


def test_tasks_of_one_engine_count_every_report_once(tmp_path: Path) -> None:
    """Forty tasks applying overlapping receipts at once on an SQLite file (threads, conflicts
    decided again): the counts of one task applying them in turn."""
    receipts = [vonage(f"p{i}", *RECEIPTS[i % 3]) for i in range(20)]

    def prepare(store: StorageBase) -> None:
        add_campaign(store, "spring")
        engine = CampaignEngine(store)
        planned = engine.plan("spring", {"a": mobiles(20)}, TUESDAY)
        for index, action in enumerate(planned.actions):
            engine.submitted(cast(SendMessage, action).message_id, f"p{index}", TUESDAY)

    expected = InMemoryStorage()
    prepare(expected)
    for receipt in receipts:
        CampaignEngine(expected).handle(receipt, TUESDAY)
    sqlite = SQLiteStorage(tmp_path / "tasks.db")
    prepare(sqlite)

    async def main() -> list[Any]:
        engine = AsyncCampaignEngine(ThreadedAsyncStorage(sqlite))
        twice = receipts + receipts[::-1]
        return await asyncio.gather(*(engine.handle(r, TUESDAY) for r in twice))

    handled = asyncio.run(main())
    assert 40 == len(handled)
    assert expected.campaign_counts("spring") == sqlite.campaign_counts("spring")
    assert expected.evidence("spring") == sqlite.evidence("spring")
    sqlite.close()


# Claimed retries --------------------------------------------------------------------------------


def with_due_retries(store: StorageBase, count: int) -> list[str]:
    """A sending campaign of ``count`` messages, each failed once (absent handset) and retried:
    its retries due by TUESDAY + 2 days; the message ids."""
    add_campaign(store, "spring")
    engine = CampaignEngine(store)
    planned = engine.plan("spring", {"a": mobiles(count)}, TUESDAY)
    ids = []
    for index, action in enumerate(planned.actions):
        message_id = cast(SendMessage, action).message_id
        engine.submitted(message_id, f"p{index}", TUESDAY)
        retry = engine.handle(vonage(f"p{index}", "failed", "2"), TUESDAY)
        assert [RetryMessage] == [type(a) for a in retry.actions]
        ids.append(message_id)
    return ids


DUE = TUESDAY + timedelta(days=2)


@pytest.fixture(params=["memory", "sqlite"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StorageBase]:
    """A store the workers share: in memory, or an SQLite file (a connection per thread)."""
    store: StorageBase = (
        InMemoryStorage() if request.param == "memory" else SQLiteStorage(tmp_path / "w.db")
    )
    yield store
    store.close()


def test_threads_claim_each_due_retry_once(shared: StorageBase) -> None:
    """Six workers (threads, an engine each) claiming at once, three at a time: every due retry
    is claimed by exactly one, as a RetryMessage to send now."""
    ids = with_due_retries(shared, 30)
    claimed: list[list[RetryMessage | SendMessage]] = [[] for _ in range(6)]
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def work(index: int) -> None:
        engine = CampaignEngine(shared)
        try:
            start.wait()
            while got := engine.claim_due_retries(DUE, lease=timedelta(minutes=5), limit=3):
                claimed[index].extend(got)
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [] == errors
    every = [action for actions in claimed for action in actions]
    assert sorted(ids) == sorted(a.message_id for a in every)
    assert all(isinstance(a, RetryMessage) and a.at == DUE for a in every)
    assert [] == CampaignEngine(shared).due_retries(DUE)


def test_tasks_claim_each_due_retry_once(tmp_path: Path) -> None:
    """Six tasks claiming at once through the async engine on an SQLite file: each once."""
    sqlite = SQLiteStorage(tmp_path / "t.db")
    ids = with_due_retries(sqlite, 24)

    async def main() -> list[str]:
        engine = AsyncCampaignEngine(ThreadedAsyncStorage(sqlite))

        async def work() -> list[str]:
            taken = []
            while got := await engine.claim_due_retries(DUE, limit=2):
                taken += [a.message_id for a in got]
            return taken

        shares = await asyncio.gather(*(work() for _ in range(6)))
        return [message_id for share in shares for message_id in share]

    assert sorted(ids) == sorted(asyncio.run(main()))
    sqlite.close()


def test_a_lease_ends_and_a_submission_ends_it() -> None:
    """A claimed retry is nobody else's until its lease ends; unsent by then, it is due again;
    once submitted it is never claimed again. A planned first send whose time came is claimed
    too, as a SendMessage."""
    store = InMemoryStorage()
    first, second = with_due_retries(store, 2)
    engine = CampaignEngine(store)
    lease = timedelta(minutes=5)
    (claimed,) = engine.claim_due_retries(DUE, lease=lease, limit=1)
    assert first == claimed.message_id
    assert (DUE, f"a due retry, claimed until {(DUE + lease).isoformat()}") == (
        claimed.at,
        cast(RetryMessage, claimed).explanation,
    )
    assert DUE + lease == store.get_message(first).due_at
    assert [second] == [a.message_id for a in engine.claim_due_retries(DUE, lease=lease)]
    assert [] == engine.claim_due_retries(DUE + timedelta(minutes=4), lease=lease)
    again = engine.claim_due_retries(DUE + lease, lease=lease)  # both workers died
    assert [first, second] == sorted(a.message_id for a in again)
    engine.submitted(first, "p0-2", DUE + lease)
    later = DUE + 2 * lease
    assert [second] == [a.message_id for a in engine.claim_due_retries(later, lease=lease)]

    add_campaign(store, "autumn")
    planned = engine.plan("autumn", {"a": mobiles(1, 40)}, TUESDAY)
    (fresh,) = engine.claim_due_retries(later, lease=lease)  # planned for TUESDAY, never sent
    assert (
        SendMessage(
            message_id=planned.actions[0].message_id,  # type: ignore[union-attr]
            campaign_id="autumn",
            recipient=mobiles(1, 40)[0],
            at=later,
        )
        == fresh
    )


def test_claims_are_checked() -> None:
    """A lease that is not positive or ends past the calendar, a limit under 1: refused."""
    engine = CampaignEngine(InMemoryStorage())
    for lease in (timedelta(0), cast(Any, 5)):
        with pytest.raises(ValidationError, match="lease"):
            engine.claim_due_retries(DUE, lease=lease)
    with pytest.raises(ValidationError, match="lease"):
        engine.claim_due_retries(DUE, lease=timedelta(days=9999 * 366))
    with pytest.raises(ValidationError, match="limit"):
        engine.claim_due_retries(DUE, limit=0)


def test_stores_of_the_contract_alone_claim_too() -> None:
    """A sync store without claim_due (StorageBase's claim through its contract) and an async
    one (the same, run in a worker thread): each due retry once."""
    sync = ContractOnly()
    ids = with_due_retries(cast(Any, sync)._store, 3)
    engine = CampaignEngine(cast(Storage, sync))
    assert not hasattr(sync, "claim_due")
    first = [a.message_id for a in engine.claim_due_retries(DUE, limit=2)]
    assert 2 == len(set(first))
    assert sorted(ids) == sorted(first + [a.message_id for a in engine.claim_due_retries(DUE)])

    store = AsyncContractOnly()
    ids = with_due_retries(cast(Any, store)._store.storage, 3)
    assert not hasattr(store, "claim_due")

    async def main() -> list[str]:
        engine = AsyncCampaignEngine(cast(AsyncStorage, store))
        first = await engine.claim_due_retries(DUE, limit=2)
        second = await engine.claim_due_retries(DUE, limit=2)
        return [a.message_id for a in (*first, *second)]

    assert sorted(ids) == sorted(asyncio.run(main()))


class Scanned(InMemoryStorage):
    """An in-memory store whose scan of due messages takes ``pause`` seconds a message, fails
    after its first page when ``fail`` says so (a lost connection), and says when the scan was
    closed."""

    def __init__(self, *, pause: float = 0.0, fail: bool = False) -> None:
        super().__init__()
        self.pause, self.fail = pause, fail
        self.closed = threading.Event()

    def iter_due(self, now: datetime, *, batch_size: int = 1000) -> Iterator[Message]:
        inner = super().iter_due(now, batch_size=batch_size)

        def scan() -> Iterator[Message]:
            try:
                for index, message in enumerate(inner):
                    time.sleep(self.pause)
                    if self.fail and index == batch_size:
                        raise StorageError("the connection was lost")
                    yield message
            finally:
                self.closed.set()

        return scan()


def test_a_scan_that_fails_part_way() -> None:
    """A store's scan failing after a page: the store's error, from both engines."""
    store = Scanned(fail=True)
    with_due_retries(store, 3)
    with pytest.raises(StorageError, match="connection was lost"):
        CampaignEngine(store).due_retries(DUE, batch_size=1)
    engine = AsyncCampaignEngine(ThreadedAsyncStorage(store))
    with pytest.raises(StorageError, match="connection was lost"):
        asyncio.run(engine.due_retries(DUE, batch_size=1))
    assert 3 == len(asyncio.run(engine.due_retries(DUE, batch_size=5)))


class Bare:
    """An async iterator of a list that fails at its end, without ``aclose``."""

    def __init__(self, items: list[Message]) -> None:
        self.items = iter(items)

    def __aiter__(self) -> Bare:
        return self

    async def __anext__(self) -> Message:
        for item in self.items:
            return item
        raise StorageError("the connection was lost")


class BareScans(ThreadedAsyncStorage):
    """A threaded store whose scans of due messages are bare async iterators."""

    def iter_due(self, now: datetime, *, batch_size: int = 1000) -> AsyncIterator[Message]:
        return Bare(list(cast(InMemoryStorage, self.storage).iter_due(now)))


def test_a_bare_async_scan_that_fails() -> None:
    """An async store's scan without ``aclose`` failing: its error, nothing to close."""
    store = InMemoryStorage()
    with_due_retries(store, 2)
    engine = AsyncCampaignEngine(BareScans(store))
    with pytest.raises(StorageError, match="connection was lost"):
        asyncio.run(engine.due_retries(DUE))


def test_a_cancelled_scan_is_closed() -> None:
    """A task cancelled while a page is read in a worker thread: once the cancellation is
    through, the store's scan is closed (after the page under way, never under its feet)."""
    store = Scanned(pause=0.05)
    with_due_retries(store, 6)
    engine = AsyncCampaignEngine(ThreadedAsyncStorage(store))

    async def main() -> None:
        task = asyncio.create_task(engine.due_retries(DUE, batch_size=2))
        await asyncio.sleep(0.15)
        assert not store.closed.is_set()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert store.closed.is_set()

    asyncio.run(main())


# The webhook receiver example -------------------------------------------------------------------


TOKEN = "test-auth-token"  # noqa: S105 - a test's own token


def signature(url: str, form: dict[str, str]) -> str:
    """Twilio's X-Twilio-Signature: an HMAC-SHA1 of the URL and the sorted parameters."""
    data = url + "".join(name + form[name] for name in sorted(form))
    digest = hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def post(
    url: str, form: dict[str, str] | None, *, signed: bool = True, method: str = "POST"
) -> int:
    """The HTTP status the receiver answers to a form (signed, or with a wrong signature)."""
    body = None if form is None else urllib.parse.urlencode(form).encode()
    headers = {"X-Twilio-Signature": signature(url, form or {}) if signed else "bad"}
    request = urllib.request.Request(  # noqa: S310 - a local http URL the test built
        url, data=body, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def twilio(sid: str, status: str, error: str = "") -> dict[str, str]:
    """A status callback's form."""
    return {"MessageSid": sid, "MessageStatus": status, "ErrorCode": error}


def test_the_webhook_receiver_example(tmp_path: Path) -> None:
    """The receiver on a free port with an SQLite file: Twilio callbacks posted with urllib are
    applied (delivered, retried, kept before their submission), wrong signatures and bad
    requests refused; it stops on SIGTERM with status 0, and the file holds what was applied."""
    path = tmp_path / "hooks.db"
    now = datetime.now(UTC)  # the receiver reads the real clock: so does its set-up
    store = SQLiteStorage(path)
    created = campaigns.add_campaign(store, "spring", at=now - timedelta(hours=1))
    started = store.update_campaign(created.start(at=now - timedelta(hours=1)).campaign)
    sids = [f"SM{i:032x}" for i in range(4)]
    store.add_messages(
        Message.for_campaign(
            started, id=f"m{i}", recipient=number, list_ids=("a",), queued_at=started.created_at
        ).submit(at=now - timedelta(minutes=1), provider_message_id=sids[i])
        for i, number in enumerate(mobiles(3))
    )
    store.close()

    command = [sys.executable, str(ROOT / "examples" / "webhook_receiver.py"), "--db", str(path)]
    environment = {k: v for k, v in os.environ.items() if k != "TWILIO_AUTH_TOKEN"}
    server = subprocess.Popen(
        [*command, *PORT, "--auth-token", TOKEN],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        assert server.stdout is not None
        ready = server.stdout.readline()
        found = re.fullmatch(r"listening on 127\.0\.0\.1:(\d+)\n", ready)
        assert found, ready + (server.stderr.read() if server.stderr else "")
        url = f"http://127.0.0.1:{found.group(1)}/twilio/status"
        assert 204 == post(url, twilio(sids[0], "delivered"))
        assert 204 == post(url, twilio(sids[1], "undelivered", "30003"))
        assert 204 == post(url, twilio(sids[1], "undelivered", "30003"))  # Twilio retried
        assert 204 == post(url, twilio(sids[3], "delivered"))  # before its submission
        assert 403 == post(url, twilio(sids[2], "delivered"), signed=False)
        assert 400 == post(url, {"MessageStatus": "delivered"})
        assert 405 == post(url, None, method="GET")
        assert 404 == post(url.replace("status", "other"), {})
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)
    assert 0 == server.returncode, err
    assert "" == err
    lines = out.splitlines()
    assert f"{sids[0]} delivered: applied delivered" == lines[0]
    assert f"{sids[1]} undelivered: applied queued" == lines[1]
    assert lines[2].startswith(f"{sids[1]} undelivered: ")  # again: nothing more decided
    assert f"{sids[3]} delivered: orphan -" == lines[3]
    assert ["refused: not signed by Twilio"] == lines[4:5]
    assert lines[5].startswith("refused: ")
    assert 6 == len(lines)

    store = SQLiteStorage(path)
    delivered, retried, untouched = (store.get_message(f"m{i}") for i in range(3))
    assert MessageStatus.DELIVERED is delivered.status
    assert (MessageStatus.QUEUED, 1) == (retried.status, len(retried.attempts))
    assert retried.due_at is not None
    assert retried.due_at > now
    assert MessageStatus.PROCESSING is untouched.status
    assert [sids[3]] == [o.provider_message_id for o in store.orphans([sids[3]])]
    store.close()
