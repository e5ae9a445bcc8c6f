"""``ThreadedAsyncStorage`` (any ``Storage`` as an ``AsyncStorage``) passes the storage contract
through ``AsyncStorageConformance`` on the in-memory store, an SQLite file and a store of the
contract alone; an async store of the contract alone passes it too (the bridge lends it
``StorageBase``'s conveniences). Then what the adapter and the bridge promise beyond the contract:
worker threads, page-by-page scans, closing, and their refusals."""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from sms_campaign_stats import InMemoryStorage, SQLiteStorage, ValidationError
from sms_campaign_stats.errors import NotFoundError, StorageError
from sms_campaign_stats.model import Campaign, Message
from sms_campaign_stats.storage import (
    AsyncStorage,
    Change,
    Orphan,
    Storage,
    StorageBase,
    ThreadedAsyncStorage,
)
from sms_campaign_stats.testing import (
    T0,
    AsyncStorageConformance,
    sample_campaign,
    sample_messages,
)

from .test_storage import CONTRACT, ContractOnly, FullDisk, sqlite_failure

_files = itertools.count()


def in_memory_failure(campaign: Campaign) -> Change:
    """An orphan report the in-memory store fails to copy, after every other write."""
    poison = Orphan(provider_message_id="poison", report={"x": FullDisk()}, received_at=T0)
    return Change(orphans=[poison])


class TestThreadedInMemory(AsyncStorageConformance):
    """An in-memory store in worker threads keeps the contract."""

    def make_async_storage(self) -> AsyncStorage:
        """A new in-memory store behind the thread adapter."""
        return ThreadedAsyncStorage(InMemoryStorage())

    def inject_commit_failure(self, store: StorageBase, campaign: Campaign) -> Change:
        """The in-memory store's failure (a report it cannot copy), through the adapter."""
        assert isinstance(store.storage, ThreadedAsyncStorage)  # type: ignore[attr-defined]
        return in_memory_failure(campaign)


class TestThreadedSQLite(AsyncStorageConformance):
    """An SQLite file in worker threads (a connection per thread) keeps the contract."""

    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        self.directory = tmp_path

    def make_async_storage(self) -> AsyncStorage:
        """A new SQLite file behind the thread adapter."""
        return ThreadedAsyncStorage(SQLiteStorage(self.directory / f"t{next(_files)}.db"))

    def inject_commit_failure(self, store: StorageBase, campaign: Campaign) -> Change:
        """A value SQLite refuses at write time."""
        return sqlite_failure(campaign)


class TestThreadedContractOnly(AsyncStorageConformance):
    """A store of the contract alone behind the adapter keeps it: the adapter's conveniences
    are then ``StorageBase``'s, through the store's own commit."""

    def make_async_storage(self) -> AsyncStorage:
        """The contract-only store of the sync suite, behind the adapter."""
        store = ContractOnly()
        assert not hasattr(store, "claim_due")
        return ThreadedAsyncStorage(cast(Storage, store))

    def inject_commit_failure(self, store: StorageBase, campaign: Campaign) -> Change:
        """The in-memory store's failure."""
        return in_memory_failure(campaign)


class AsyncContractOnly:
    """An async store with the contract's coroutines alone (lent by a threaded in-memory
    store), none of the conveniences."""

    def __init__(self) -> None:
        self._store = ThreadedAsyncStorage(InMemoryStorage())

    def __getattr__(self, name: str) -> object:
        if name not in CONTRACT:
            raise AttributeError(name)
        return getattr(self._store, name)


class TestAsyncContractOnly(AsyncStorageConformance):
    """An async store of the contract alone keeps it: the bridge lends it ``StorageBase``'s
    conveniences (``claim_due`` included), through its own coroutines."""

    def make_async_storage(self) -> AsyncStorage:
        """An async store without conveniences."""
        store = AsyncContractOnly()
        assert not hasattr(store, "add_messages")
        return cast(AsyncStorage, store)

    def inject_commit_failure(self, store: StorageBase, campaign: Campaign) -> Change:
        """The in-memory store's failure."""
        return in_memory_failure(campaign)


# the adapter ---------------------------------------------------------------------------------


def _stored(store: StorageBase, count: int) -> Campaign:
    campaign, created = sample_campaign()
    store.add_campaign(campaign, events=[created])
    store.add_messages(sample_messages(campaign, count))
    return campaign


def test_the_adapter_refuses_what_is_not_a_sync_store() -> None:
    """Something else than a Storage, an AsyncStorage (awaited as it is), or an executor that
    is not one: ValidationError at once."""
    with pytest.raises(ValidationError, match="expected a Storage"):
        ThreadedAsyncStorage(cast(Storage, object()))
    threaded = ThreadedAsyncStorage(InMemoryStorage())
    with pytest.raises(ValidationError, match="an AsyncStorage is awaited"):
        ThreadedAsyncStorage(cast(Storage, threaded))
    with pytest.raises(ValidationError, match="executor"):
        ThreadedAsyncStorage(InMemoryStorage(), executor=cast(Any, "pool"))
    assert "ThreadedAsyncStorage(InMemoryStorage(" in repr(threaded)
    assert isinstance(threaded, AsyncStorage)


def test_calls_run_in_the_executor_with_the_callers_context(tmp_path: Path) -> None:
    """Each call runs in the given pool's threads (never the loop's), with the calling task's
    context variables; SQLite opens a connection in each, all closed by close()."""
    seen: list[str] = []
    request = contextvars.ContextVar("request", default="none")

    class Watched(SQLiteStorage):
        def get_campaign(self, campaign_id: str) -> Campaign:
            seen.append(f"{threading.current_thread().name} {request.get()}")
            return super().get_campaign(campaign_id)

    sqlite = Watched(tmp_path / "w.db")
    campaign = _stored(sqlite, 3)

    async def main() -> None:
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="store") as pool:
            async with ThreadedAsyncStorage(sqlite, executor=pool) as store:
                request.set("r-1")
                found = await asyncio.gather(*(store.get_campaign(campaign.id) for _ in range(6)))
                assert [campaign] * 6 == found

    asyncio.run(main())
    assert 6 == len(seen)
    assert all(entry.startswith("store") and entry.endswith(" r-1") for entry in seen)
    with pytest.raises(StorageError):
        sqlite.get_campaign(campaign.id)  # closed on leaving ``async with``


class Counting(InMemoryStorage):
    """An in-memory store that counts the messages its scans have handed out, and whether a
    scan was closed before its end."""

    def __init__(self) -> None:
        super().__init__()
        self.pulled = 0
        self.closed_early = False

    def iter_messages(self, campaign_id: str, *, batch_size: int = 1000) -> Iterator[Message]:
        inner = super().iter_messages(campaign_id, batch_size=batch_size)

        def counted() -> Iterator[Message]:
            finished = False
            try:
                for message in inner:
                    self.pulled += 1
                    yield message
                finished = True
            finally:
                self.closed_early = not finished

        return counted()


def test_scans_come_page_by_page() -> None:
    """A scan of 25 messages in pages of 10: the store is read 10 at a time, never the whole
    campaign; leaving the scan early closes the store's iterator."""
    sync = Counting()
    campaign = _stored(sync, 25)
    store = ThreadedAsyncStorage(sync)

    async def main() -> None:
        scan = store.iter_messages(campaign.id, batch_size=10)
        assert 0 == sync.pulled  # nothing read before the first message is asked for
        first = await scan.__anext__()
        assert first.campaign_id == campaign.id
        assert 10 == sync.pulled
        rest = [message async for message in scan]
        assert (24, 25) == (len(rest), sync.pulled)
        assert not sync.closed_early
        with pytest.raises(StopAsyncIteration):
            await scan.__anext__()

        sync.pulled = 0
        early = cast(Any, store.iter_messages(campaign.id, batch_size=10))
        await early.__anext__()
        await early.aclose()
        assert (10, True) == (sync.pulled, sync.closed_early)
        with pytest.raises(StopAsyncIteration):
            await early.__anext__()
        await cast(Any, store.iter_messages(campaign.id)).aclose()  # never opened: nothing

        exact = [m async for m in store.iter_messages(campaign.id, batch_size=5)]
        assert 25 == len(exact)  # the last page is full: one more fetch finds nothing
        assert [] == [m async for m in store.iter_due(T0 + timedelta(days=1))]
        assert [] == [m async for m in store.iter_stale(submitted_before=T0)]

    asyncio.run(main())


def test_scan_errors_come_with_the_first_message() -> None:
    """An unknown campaign or a bad batch size: the store's error, at the first ``anext``."""
    store = ThreadedAsyncStorage(InMemoryStorage())

    async def main() -> None:
        scan = store.iter_messages("nope")
        with pytest.raises(NotFoundError):
            await scan.__anext__()
        with pytest.raises(ValidationError):
            await store.iter_due(T0, batch_size=0).__anext__()

    asyncio.run(main())


class NoClose(ContractOnly):
    """A store of the contract alone with nothing to close."""

    def __getattr__(self, name: str) -> object:
        if name == "close":
            raise AttributeError(name)
        return super().__getattr__(name)


class AsyncNoClose(AsyncContractOnly):
    """An async store of the contract alone with nothing to close."""

    def __getattr__(self, name: str) -> object:
        if name == "close":
            raise AttributeError(name)
        return super().__getattr__(name)


def test_a_store_without_close_is_closed_quietly() -> None:
    """close() on a store that has no close: nothing to do, on either side; the bridge's later
    calls run on a loop of their own, and still work."""
    store = ThreadedAsyncStorage(cast(Storage, NoClose()))
    asyncio.run(store.close())

    class Suite(AsyncStorageConformance):
        def make_async_storage(self) -> AsyncStorage:
            return cast(AsyncStorage, AsyncNoClose())

    bridge = cast(StorageBase, Suite().make_storage())
    campaign = _stored(bridge, 2)
    bridge.close()
    assert [campaign] == bridge.list_campaigns()


def test_the_iterables_given_are_read_on_the_loop() -> None:
    """Ids and numbers given as a generator are read before the call leaves the loop."""
    sync = InMemoryStorage()
    campaign = _stored(sync, 2)
    store = ThreadedAsyncStorage(sync)
    loop_thread: list[int] = []

    def ids() -> Iterator[str]:
        loop_thread.append(threading.get_ident())
        yield from ("a", "b")

    async def main() -> None:
        assert {} == await store.find_messages_by_provider_ids(ids())
        assert [] == await store.orphans(ids())
        assert frozenset() == await store.blocked(ids())
        assert [threading.get_ident()] * 3 == loop_thread
        assert 2 == len([m async for m in store.iter_messages(campaign.id)])

    asyncio.run(main())


# the bridge -----------------------------------------------------------------------------------


def test_the_suite_needs_a_factory() -> None:
    """Forgetting make_async_storage() gives a clear error, not a silent pass."""
    with pytest.raises(TypeError, match="must define make_async_storage"):
        AsyncStorageConformance().make_storage()


def test_the_bridge_makes_the_store_on_its_loop() -> None:
    """make_async_storage() runs on the bridge's loop, in the bridge's thread; a bridge closed
    twice closes once; a scan left early closes the store's async iterator."""
    made_on: list[tuple[asyncio.AbstractEventLoop, int]] = []
    closes: list[int] = []

    class Suite(AsyncStorageConformance):
        def make_async_storage(self) -> AsyncStorage:
            made_on.append((asyncio.get_running_loop(), threading.get_ident()))
            threaded = ThreadedAsyncStorage(InMemoryStorage())
            original = threaded.close

            async def close() -> None:
                closes.append(1)
                await original()

            threaded.close = close  # type: ignore[method-assign]
            return threaded

    bridge = cast(StorageBase, Suite().make_storage())
    ((loop, thread),) = made_on
    assert thread != threading.get_ident()
    assert loop.is_running()
    campaign = _stored(bridge, 5)
    scan = bridge.iter_messages(campaign.id, batch_size=2)
    assert next(scan).campaign_id == campaign.id
    cast(Any, scan).close()  # closed early: the async scan is closed on the loop
    bridge.close()
    bridge.close()
    assert [1] == closes
    assert loop.is_closed()
    assert "BlockingStorage(ThreadedAsyncStorage(" in repr(bridge)


def test_a_factory_that_fails_stops_the_loop() -> None:
    """make_async_storage() raising: its error, and no loop thread left running."""
    before = threading.active_count()

    class Broken(AsyncStorageConformance):
        def make_async_storage(self) -> AsyncStorage:
            raise OSError("no database")

    with pytest.raises(OSError, match="no database"):
        Broken().make_storage()
    assert before == threading.active_count()


def test_the_bridge_refuses_to_wait_for_itself() -> None:
    """Called from its own loop's thread, the bridge would wait forever: RuntimeError."""

    class Suite(AsyncStorageConformance):
        def make_async_storage(self) -> AsyncStorage:
            return ThreadedAsyncStorage(InMemoryStorage())

    bridge = cast(Any, Suite().make_storage())

    async def inside() -> None:
        bridge.list_campaigns()

    with pytest.raises(RuntimeError, match="its own event loop"):
        bridge.wait(inside)
    assert [] == bridge.list_campaigns()
    bridge.close()
