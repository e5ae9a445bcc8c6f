"""Threads between the two contracts: ``ThreadedAsyncStorage``, an ``AsyncStorage`` over any
``Storage`` (each call in a worker thread), and ``BlockingStorage``, a ``StorageBase`` over any
``AsyncStorage`` (each call a coroutine on an event loop in another thread, waited for).

``ThreadedAsyncStorage`` is how an asyncio service uses ``SQLiteStorage`` (or a store of its
own) without blocking its event loop: ``AsyncCampaignEngine(ThreadedAsyncStorage(store))``.
``BlockingStorage`` is the other way round, for code that must stay synchronous: the
conformance suite runs on it against an async store (``testing.AsyncStorageConformance``), and
the engine runs ``StorageBase.claim_due`` through it for an async store that has no
``claim_due`` of its own.

A store that implements the contract alone gets ``StorageBase``'s conveniences either way
(``convenience``): they are written against the contract's methods only (``commit``, the reads),
so ``StorageBase``'s own functions serve any store, with no second copy of their logic.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import threading
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sms_campaign_stats.errors import NotFoundError, ValidationError
from sms_campaign_stats.model import Block, Campaign, Message, Reply, TimelineEvent, Unsubscribe
from sms_campaign_stats.storage._async_contract import AsyncStorage
from sms_campaign_stats.storage._base import StorageBase
from sms_campaign_stats.storage._change import Change, Committed, Evidence, Orphan
from sms_campaign_stats.storage._contract import Storage
from sms_campaign_stats.storage._counts import CampaignCounts

__all__ = [
    "BlockingStorage",
    "ThreadedAsyncStorage",
    "claim_due",
    "claim_due_async",
    "convenience",
    "get_messages",
    "get_messages_async",
]

if TYPE_CHECKING:  # asyncio is imported where it is used: the sync path never loads it
    import asyncio
    from concurrent.futures import Executor

T = TypeVar("T")


def _lent(name: str) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.storage, name)(*args, **kwargs)

    method.__name__ = method.__qualname__ = name
    return method


def _keep(self: Any, storage: Storage) -> None:
    self.storage = storage


#: ``StorageBase`` over a store of the contract alone: the contract's seventeen methods are the
#: store's (``view.storage``), every convenience is ``StorageBase``'s, derived from them.
_ContractView = cast(
    "Callable[[Storage], StorageBase]",
    type(
        "_ContractView",
        (StorageBase,),
        {
            "__init__": _keep,
            **{
                name: _lent(name)
                for name in (
                    *sorted(StorageBase.__abstractmethods__),
                    "campaign_counts",
                    "iter_due",
                    "iter_stale",
                )
            },
        },
    ),
)


def convenience(storage: Storage, name: str) -> Callable[..., Any]:
    """The store's own ``name`` (a convenience of ``StorageBase``: ``add_messages``,
    ``claim_due``, ...), or, for a store of the contract alone, ``StorageBase``'s, derived from
    the store's contract (``_ContractView``)."""
    found = getattr(storage, name, None)
    if callable(found):
        return found  # type: ignore[no-any-return]
    return getattr(_ContractView(storage), name)  # type: ignore[no-any-return]


def claim_due(storage: Storage, now: datetime, *, until: datetime, limit: int) -> list[Message]:
    """``storage.claim_due(now, until=until, limit=limit)``: ``StorageBase``'s (a
    compare-and-set per message) for a store of the contract alone."""
    claimed: list[Message] = convenience(storage, "claim_due")(now, until=until, limit=limit)
    return claimed


def get_messages(storage: Storage, message_ids: Iterable[str]) -> dict[str, Message]:
    """``storage.get_messages(ids)``: for a store of the contract alone, ``StorageBase``'s (a
    ``get_message`` per id)."""
    found: dict[str, Message] = convenience(storage, "get_messages")(message_ids)
    return found


async def get_messages_async(
    storage: AsyncStorage, message_ids: Iterable[str]
) -> dict[str, Message]:
    """``await storage.get_messages(ids)``; for an async store without one, ``get_message``
    of each, awaited in turn (the ids not stored left out)."""
    read = getattr(storage, "get_messages", None)
    if callable(read):
        found: dict[str, Message] = await read(message_ids)
        return found
    found = {}
    for message_id in dict.fromkeys(message_ids):
        try:
            found[message_id] = await storage.get_message(message_id)
        except NotFoundError:
            continue
    return found


async def claim_due_async(
    storage: AsyncStorage, now: datetime, *, until: datetime, limit: int
) -> list[Message]:
    """``await storage.claim_due(...)``; for an async store without one, ``StorageBase``'s run
    in a worker thread, its reads and commits awaited on this loop (``BlockingStorage``)."""
    import asyncio

    claim = getattr(storage, "claim_due", None)
    if callable(claim):
        claimed: list[Message] = await claim(now, until=until, limit=limit)
        return claimed
    bridge = BlockingStorage(storage, loop=asyncio.get_running_loop())
    return await asyncio.to_thread(bridge.claim_due, now, until=until, limit=limit)


class ThreadedAsyncStorage:
    """An ``AsyncStorage`` over any ``Storage``: each call runs in a worker thread, so the event
    loop never waits on the store's disk or locks.

    ``executor``: a ``concurrent.futures`` thread pool to run the calls in; by default the
    loop's own (``loop.run_in_executor(None, ...)``, as ``asyncio.to_thread``). The scans
    (``iter_messages``, ``iter_due``, ``iter_stale``) are fetched page by page in the thread,
    ``batch_size`` messages at a time, never a whole campaign at once; a scan's errors (an
    unknown campaign, a bad batch size) come with its first item. Besides the contract, the
    conveniences of ``StorageBase`` are coroutines here too (``add_campaign``,
    ``update_campaign``, ``add_messages``, ``update_message(s)``, ``claim_due``, ...): the
    store's own, or ``StorageBase``'s for a store of the contract alone. ``close()`` closes the
    store, if it has a ``close``; ``async with`` closes it on leaving.

    ``SQLiteStorage`` is safe here: it opens one connection per thread (each worker thread of
    the pool gets its own, all closed by ``close()``), and ``":memory:"`` shares one connection
    under a lock. ``InMemoryStorage`` takes a lock per call. A store of your own must accept
    calls from several threads, one after another and at once.
    """

    def __init__(self, storage: Storage, *, executor: Executor | None = None) -> None:
        if not isinstance(storage, Storage) or inspect.iscoroutinefunction(
            getattr(storage, "commit", None)
        ):
            raise ValidationError(
                "ThreadedAsyncStorage.storage",
                f"expected a Storage (an AsyncStorage is awaited as it is), "
                f"got {type(storage).__name__}",
            )
        from concurrent.futures import Executor

        if executor is not None and not isinstance(executor, Executor):
            raise ValidationError("ThreadedAsyncStorage.executor", "must be an Executor or None")
        self.storage = storage
        self.executor = executor

    def __repr__(self) -> str:
        return f"ThreadedAsyncStorage({self.storage!r})"

    async def _call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` in a worker thread (with this task's context vars)."""
        import asyncio
        import contextvars

        loop = asyncio.get_running_loop()
        work = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
        return await loop.run_in_executor(self.executor, work)

    async def __aenter__(self) -> ThreadedAsyncStorage:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # the contract: reads ----------------------------------------------------------------------

    async def get_campaign(self, campaign_id: str) -> Campaign:
        return await self._call(self.storage.get_campaign, campaign_id)

    async def list_campaigns(self) -> list[Campaign]:
        return await self._call(self.storage.list_campaigns)

    async def get_message(self, message_id: str) -> Message:
        return await self._call(self.storage.get_message, message_id)

    async def find_messages_by_provider_ids(
        self, provider_message_ids: Iterable[str]
    ) -> dict[str, Message]:
        # Read here, on the loop: the caller's iterable is never advanced from another thread.
        wanted = tuple(provider_message_ids)
        return await self._call(self.storage.find_messages_by_provider_ids, wanted)

    async def prefetch_messages_by_provider_ids(self, provider_message_ids: Iterable[str]) -> None:
        """The wrapped store's read-ahead hint, in a worker thread, if it has one
        (``PostgresStorage``: the read then starts on another of its connections); nothing
        otherwise. Not part of the contract (``docs/storage.md``)."""
        hint = getattr(self.storage, "prefetch_messages_by_provider_ids", None)
        if hint is not None:
            await self._call(hint, tuple(provider_message_ids))

    def iter_messages(self, campaign_id: str, *, batch_size: int = 1000) -> AsyncIterator[Message]:
        scan = functools.partial(self.storage.iter_messages, campaign_id, batch_size=batch_size)
        return _Pages(self._call, scan, batch_size)

    def iter_due(self, now: datetime, *, batch_size: int = 1000) -> AsyncIterator[Message]:
        scan = functools.partial(self.storage.iter_due, now, batch_size=batch_size)
        return _Pages(self._call, scan, batch_size)

    def iter_stale(
        self, *, submitted_before: datetime, batch_size: int = 1000
    ) -> AsyncIterator[Message]:
        scan = functools.partial(
            self.storage.iter_stale, submitted_before=submitted_before, batch_size=batch_size
        )
        return _Pages(self._call, scan, batch_size)

    async def timeline(self, campaign_id: str) -> list[TimelineEvent]:
        return await self._call(self.storage.timeline, campaign_id)

    async def replies(self, campaign_id: str) -> list[Reply]:
        return await self._call(self.storage.replies, campaign_id)

    async def unsubscribes(
        self, campaign_id: str, *, recipient: str | None = None
    ) -> list[Unsubscribe]:
        return await self._call(self.storage.unsubscribes, campaign_id, recipient=recipient)

    async def messages_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> list[Message]:
        return await self._call(self.storage.messages_to, recipient, since=since, before=before)

    async def orphans(self, provider_message_ids: Iterable[str]) -> list[Orphan]:
        return await self._call(self.storage.orphans, tuple(provider_message_ids))

    async def blocked(self, recipients: Iterable[str]) -> frozenset[str]:
        return await self._call(self.storage.blocked, tuple(recipients))

    async def campaign_counts(self, campaign_id: str) -> CampaignCounts:
        return await self._call(self.storage.campaign_counts, campaign_id)

    async def evidence(self, campaign_id: str) -> Evidence:
        return await self._call(self.storage.evidence, campaign_id)

    # the contract: writes ---------------------------------------------------------------------

    async def commit(self, change: Change) -> Committed:
        return await self._call(self.storage.commit, change)

    async def forget(self, recipient: str) -> int:
        return await self._call(self.storage.forget, recipient)

    # conveniences (StorageBase's, as coroutines) ------------------------------------------------

    async def _convenience(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return await self._call(convenience(self.storage, name), *args, **kwargs)

    async def add_campaign(
        self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()
    ) -> None:
        """Store a new campaign with its first history entries."""
        await self._convenience("add_campaign", campaign, events=events)

    async def update_campaign(
        self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()
    ) -> Campaign:
        """Compare-and-set the campaign, with history entries; it as stored."""
        found: Campaign = await self._convenience("update_campaign", campaign, events=events)
        return found

    async def append_events(self, events: Sequence[TimelineEvent]) -> None:
        """Append history entries, all or none."""
        await self._convenience("append_events", events)

    async def add_messages(self, messages: Iterable[Message]) -> int:
        """Store new messages, all or none; how many (the iterable is read in the worker
        thread: a store that streams it, as ``SQLiteStorage`` does, keeps doing so)."""
        found: int = await self._convenience("add_messages", messages)
        return found

    async def update_message(self, message: Message) -> Message:
        """Compare-and-set one message; it as stored (``version + 1``)."""
        found: Message = await self._convenience("update_message", message)
        return found

    async def update_messages(
        self, messages: Sequence[Message], *, blocks: Sequence[Block] = ()
    ) -> list[Message]:
        """Compare-and-set messages, with the blocks their outcomes cause, all or nothing."""
        found: list[Message] = await self._convenience("update_messages", messages, blocks=blocks)
        return found

    async def latest_message_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> Message | None:
        """The last of ``messages_to``, or ``None``."""
        latest: Message | None = await self._convenience(
            "latest_message_to", recipient, since=since, before=before
        )
        return latest

    async def get_messages(self, message_ids: Iterable[str]) -> dict[str, Message]:
        """Each stored message of these ids, by id (see ``StorageBase.get_messages``): the
        store's own, in one read, or a ``get_message`` per id."""
        wanted = tuple(message_ids)  # read here, on the loop
        found: dict[str, Message] = await self._call(get_messages, self.storage, wanted)
        return found

    async def find_message_by_provider_id(self, provider_message_id: str) -> Message | None:
        """The message an attempt with that provider id belongs to, or ``None``."""
        found: Message | None = await self._convenience(
            "find_message_by_provider_id", provider_message_id
        )
        return found

    async def claim_due(self, now: datetime, *, until: datetime, limit: int = 100) -> list[Message]:
        """Claim at most ``limit`` due messages for this worker alone, until ``until`` (a
        lease): the store's ``claim_due`` (see ``StorageBase.claim_due``)."""
        return await self._call(claim_due, self.storage, now, until=until, limit=limit)

    async def record_reply(self, reply: Reply) -> bool:
        """Store a reply; ``False`` if one with its id is stored already."""
        found: bool = await self._convenience("record_reply", reply)
        return found

    async def record_unsubscribe(self, unsubscribe: Unsubscribe) -> bool:
        """Store an opt-out; ``False`` if one with its id is stored already."""
        found: bool = await self._convenience("record_unsubscribe", unsubscribe)
        return found

    async def block(self, recipient: str, *, reason: str, at: datetime) -> bool:
        """Blocklist a number; ``False`` if it is already (the first reason stays)."""
        found: bool = await self._convenience("block", recipient, reason=reason, at=at)
        return found

    async def add_orphan(
        self, provider_message_id: str, report: Mapping[str, Any], *, received_at: datetime
    ) -> None:
        """Keep a report whose provider id no message has yet."""
        await self._convenience("add_orphan", provider_message_id, report, received_at=received_at)

    async def take_orphans(self, provider_message_id: str) -> list[Mapping[str, Any]]:
        """The reports kept for that provider id, in arrival order, removed from the store."""
        found: list[Mapping[str, Any]] = await self._convenience(
            "take_orphans", provider_message_id
        )
        return found

    async def close(self) -> None:
        """Close the store (in a worker thread), if it has a ``close``."""
        close = getattr(self.storage, "close", None)
        if callable(close):
            await self._call(close)


class _Pages:
    """A scan of a sync store as an asynchronous iterator: the store's iterator is opened and
    advanced in worker threads, one page of ``size`` messages per thread hop. A lock keeps one
    thread at a time on the store's iterator: a task cancelled while a page is fetched leaves
    that thread running, and ``aclose`` waits for it before it closes the iterator."""

    def __init__(
        self,
        call: Callable[[Callable[[], Any]], Awaitable[Any]],
        scan: Callable[[], Iterator[Message]],
        size: int,
    ) -> None:
        self._call = call
        self._scan = scan
        self._size = size
        self._lock = threading.Lock()
        self._iterator: Iterator[Message] | None = None  # open, in the worker threads' hands
        self._closed = False
        self._page: list[Message] = []
        self._next = 0
        self._last = False  # the page held is the scan's last: nothing is left open

    def __aiter__(self) -> _Pages:
        return self

    async def __anext__(self) -> Message:
        if self._next == len(self._page):
            if self._last:
                raise StopAsyncIteration
            self._page, self._next = await self._call(self._fetch), 0
            if not self._page:
                raise StopAsyncIteration
        message = self._page[self._next]
        self._next += 1
        return message

    def _fetch(self) -> list[Message]:
        """The next page (in a worker thread): the scan is opened with the first, and let go
        with the last."""
        with self._lock:
            if self._closed:  # pragma: no cover - a fetch that was queued behind ``aclose``
                return []  # (asyncio cancels a queued one: only an executor of yours could)
            if self._iterator is None:
                self._iterator = self._scan()
            page = list(itertools.islice(self._iterator, max(self._size, 1)))
            if len(page) < self._size:
                self._iterator, self._last = None, True
            return page

    def _shut(self) -> None:
        """Close the store's iterator (in a worker thread), once no fetch is under way."""
        with self._lock:
            self._closed = True
            iterator, self._iterator = self._iterator, None
        close = getattr(iterator, "close", None)
        if callable(close):
            close()

    async def aclose(self) -> None:
        """Leave the scan: the store's iterator, if one is open, is closed."""
        self._page, self._next = [], 0
        if not self._last:
            self._last = True
            await self._call(self._shut)


class BlockingStorage(StorageBase):
    """A ``StorageBase`` over an ``AsyncStorage``: each method runs the store's coroutine on an
    event loop in another thread and waits for its value, or its exception (never call it from
    that loop's own thread: it would wait for itself, and refuses).

    ``BlockingStorage(storage, loop=loop)`` borrows a running loop, whose owner also owns the
    store (``close()`` leaves both alone). ``BlockingStorage.on_own_loop(make)`` starts a loop in
    a private thread, calls ``make()`` on it (so the store binds to that loop), and
    ``close()`` closes the store and stops the loop; a call after that runs on a loop of its
    own (the store's answer, typically ``StorageError``). The scans fetch their first message
    when called, so that their errors come at once, as a sync store's do. ``StorageBase``'s
    conveniences are the store's own when it has them (``AsyncPostgresStorage``,
    ``ThreadedAsyncStorage``), else ``StorageBase``'s, through the store's contract.
    """

    def __init__(self, storage: AsyncStorage, *, loop: asyncio.AbstractEventLoop) -> None:
        self.storage = storage
        self._loop = loop
        self._thread: threading.Thread | None = None  # the loop's, when this object owns it

    @classmethod
    def on_own_loop(cls, make: Callable[[], AsyncStorage]) -> BlockingStorage:
        """A bridge on a loop of its own, in a private thread, to the store ``make()`` gives."""
        import asyncio

        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=_serve, args=(loop,), name="BlockingStorage event loop", daemon=True
        )
        thread.start()

        async def made() -> AsyncStorage:
            return make()

        try:
            storage = asyncio.run_coroutine_threadsafe(made(), loop).result()
        except BaseException:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            raise
        bridge = cls(storage, loop=loop)
        bridge._thread = thread
        return bridge

    def __repr__(self) -> str:
        return f"BlockingStorage({self.storage!r})"

    def wait(self, function: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """``await function(*args, **kwargs)`` on the bridge's loop, from this thread: its value
        (or its exception). For ``inject_commit_failure`` and other set-up of the async store."""

        import asyncio

        async def call() -> T:
            return await function(*args, **kwargs)

        loop = self._loop
        if loop.is_closed():  # closed: the call meets the closed store on a loop of its own
            return _run_apart(call)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            raise RuntimeError("BlockingStorage called from its own event loop: it would wait")
        return asyncio.run_coroutine_threadsafe(call(), loop).result()

    def _own(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """The store's own convenience ``name``, awaited; else ``StorageBase``'s, on this."""
        found = getattr(self.storage, name, None)
        if callable(found):
            return self.wait(found, *args, **kwargs)
        return getattr(StorageBase, name)(self, *args, **kwargs)

    def _scanned(self, open_scan: Callable[[], AsyncIterator[Message]]) -> Iterator[Message]:
        async def first() -> tuple[AsyncIterator[Message], list[Message]]:
            scan = open_scan()
            return scan, await _next(scan)

        scan, head = self.wait(first)
        return self._rest(scan, head)

    def _rest(self, scan: AsyncIterator[Message], head: list[Message]) -> Iterator[Message]:
        finished = not head
        try:
            while head:
                yield head[0]
                head = self.wait(_next, scan)
            finished = True
        finally:
            close = getattr(scan, "aclose", None)
            if not finished and callable(close):
                self.wait(close)

    # the contract ---------------------------------------------------------------------------

    def get_campaign(self, campaign_id: str) -> Campaign:
        return self.wait(self.storage.get_campaign, campaign_id)

    def list_campaigns(self) -> list[Campaign]:
        return self.wait(self.storage.list_campaigns)

    def get_message(self, message_id: str) -> Message:
        return self.wait(self.storage.get_message, message_id)

    def find_messages_by_provider_ids(
        self, provider_message_ids: Iterable[str]
    ) -> dict[str, Message]:
        return self.wait(self.storage.find_messages_by_provider_ids, provider_message_ids)

    def iter_messages(self, campaign_id: str, *, batch_size: int = 1000) -> Iterator[Message]:
        return self._scanned(lambda: self.storage.iter_messages(campaign_id, batch_size=batch_size))

    def iter_due(self, now: datetime, *, batch_size: int = 1000) -> Iterator[Message]:
        return self._scanned(lambda: self.storage.iter_due(now, batch_size=batch_size))

    def iter_stale(
        self, *, submitted_before: datetime, batch_size: int = 1000
    ) -> Iterator[Message]:
        return self._scanned(
            lambda: self.storage.iter_stale(
                submitted_before=submitted_before, batch_size=batch_size
            )
        )

    def timeline(self, campaign_id: str) -> list[TimelineEvent]:
        return self.wait(self.storage.timeline, campaign_id)

    def replies(self, campaign_id: str) -> list[Reply]:
        return self.wait(self.storage.replies, campaign_id)

    def unsubscribes(self, campaign_id: str, *, recipient: str | None = None) -> list[Unsubscribe]:
        return self.wait(self.storage.unsubscribes, campaign_id, recipient=recipient)

    def messages_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> list[Message]:
        return self.wait(self.storage.messages_to, recipient, since=since, before=before)

    def orphans(self, provider_message_ids: Iterable[str]) -> list[Orphan]:
        return self.wait(self.storage.orphans, provider_message_ids)

    def blocked(self, recipients: Iterable[str]) -> frozenset[str]:
        return self.wait(self.storage.blocked, recipients)

    def campaign_counts(self, campaign_id: str) -> CampaignCounts:
        return self.wait(self.storage.campaign_counts, campaign_id)

    def evidence(self, campaign_id: str) -> Evidence:
        return self.wait(self.storage.evidence, campaign_id)

    def commit(self, change: Change) -> Committed:
        return self.wait(self.storage.commit, change)

    def forget(self, recipient: str) -> int:
        return self.wait(self.storage.forget, recipient)

    def close(self) -> None:
        """On its own loop: close the store (if it has a ``close``) and stop the loop. On a
        borrowed loop: nothing (the loop's owner owns the store)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        try:
            close = getattr(self.storage, "close", None)
            if callable(close):
                self.wait(close)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            thread.join()

    # conveniences: the store's own when it has them ----------------------------------------------

    def add_campaign(self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()) -> None:
        self._own("add_campaign", campaign, events=events)

    def update_campaign(
        self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()
    ) -> Campaign:
        found: Campaign = self._own("update_campaign", campaign, events=events)
        return found

    def append_events(self, events: Sequence[TimelineEvent]) -> None:
        self._own("append_events", events)

    def add_messages(self, messages: Iterable[Message]) -> int:
        found: int = self._own("add_messages", messages)
        return found

    def update_message(self, message: Message) -> Message:
        found: Message = self._own("update_message", message)
        return found

    def update_messages(
        self, messages: Sequence[Message], *, blocks: Sequence[Block] = ()
    ) -> list[Message]:
        found: list[Message] = self._own("update_messages", messages, blocks=blocks)
        return found

    def latest_message_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> Message | None:
        found: Message | None = self._own(
            "latest_message_to", recipient, since=since, before=before
        )
        return found

    def get_messages(self, message_ids: Iterable[str]) -> dict[str, Message]:
        found: dict[str, Message] = self._own("get_messages", tuple(message_ids))
        return found

    def find_message_by_provider_id(self, provider_message_id: str) -> Message | None:
        found: Message | None = self._own("find_message_by_provider_id", provider_message_id)
        return found

    def claim_due(self, now: datetime, *, until: datetime, limit: int = 100) -> list[Message]:
        found: list[Message] = self._own("claim_due", now, until=until, limit=limit)
        return found

    def record_reply(self, reply: Reply) -> bool:
        found: bool = self._own("record_reply", reply)
        return found

    def record_unsubscribe(self, unsubscribe: Unsubscribe) -> bool:
        found: bool = self._own("record_unsubscribe", unsubscribe)
        return found

    def block(self, recipient: str, *, reason: str, at: datetime) -> bool:
        found: bool = self._own("block", recipient, reason=reason, at=at)
        return found

    def add_orphan(
        self, provider_message_id: str, report: Mapping[str, Any], *, received_at: datetime
    ) -> None:
        self._own("add_orphan", provider_message_id, report, received_at=received_at)

    def take_orphans(self, provider_message_id: str) -> list[Mapping[str, Any]]:
        found: list[Mapping[str, Any]] = self._own("take_orphans", provider_message_id)
        return found


async def _next(scan: AsyncIterator[Message]) -> list[Message]:
    """The scan's next message, in a list: empty at its end."""
    try:
        return [await scan.__anext__()]
    except StopAsyncIteration:
        return []


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    """A private loop's thread: run it until stopped, then finish its async generators and its
    default executor's threads, and close it."""
    import asyncio

    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def _run_apart(call: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``await call()`` to its end on a new loop in a new thread (``asyncio.run``), whatever
    loop the calling thread runs; its value, or its exception."""
    import asyncio

    outcome: list[tuple[bool, Any]] = []

    def target() -> None:
        try:
            outcome.append((True, asyncio.run(call())))
        except BaseException as error:  # handed to the calling thread
            outcome.append((False, error))

    thread = threading.Thread(target=target, name="BlockingStorage one-off loop")
    thread.start()
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    found: T = value
    return found
