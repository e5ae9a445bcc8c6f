"""Reads by provider id started ahead, on another connection: ``handle_many`` hints the next
batch's provider ids while it decides and commits this one, and the server looks them up
meanwhile (``docs/performance.md``). Only the server's work and the wait are ahead: the rows are
decoded into messages by the find, in the caller's thread (decoding ahead would take the
interpreter from the thread that decides and writes the current batch).

A hint changes no result. The find of the same ids takes the read started ahead, then reads
again what the read may have missed or found stale because of this store's own writes since it
started: the provider ids it did not find (``submitted`` may have registered them since), and
the messages this store committed since (``Ahead.written``). What other workers write in the
meantime is what any read may miss, and the compare-and-set refuses it as it refuses any stale
read: the engine reads again (without a hint) and decides again.

At most ``KEEP`` reads are kept ahead (the oldest are dropped unused); a read that failed is
read again by the find, which raises what it finds wrong.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from sms_campaign_stats.model import Message

__all__ = ["KEEP", "AsyncReadsAhead", "ReadsAhead", "key_of"]

#: Reads kept ahead at most: the next batch's, and one a caller dropped.
KEEP = 2

F = TypeVar("F")
Found = dict[str, Message]
#: What a read ahead gives: the rows, which ``decode`` turns into the messages found.
Rows = list[tuple[Any, ...]]


def key_of(provider_message_ids: Iterable[str]) -> tuple[str, ...]:
    """The ids a read looks up, once each, in order: what a hint and a find are matched by."""
    return tuple(dict.fromkeys(provider_message_ids))


class _Ahead(Generic[F]):
    """A read started ahead (``future``: a ``Future`` or an ``asyncio.Task``), and the messages
    the store committed since it started."""

    __slots__ = ("future", "written")

    def __init__(self, future: F) -> None:
        self.future = future
        self.written: set[str] = set()


class _Pending(Generic[F]):
    """The reads started ahead, by their ids; shared by threads (under a lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reads: dict[tuple[str, ...], _Ahead[F]] = {}

    def add(self, key: tuple[str, ...], future: F) -> list[F]:
        """Keep a read; those dropped to keep ``KEEP``."""
        with self._lock:
            self._reads.pop(key, None)
            self._reads[key] = _Ahead(future)
            dropped = []
            while len(self._reads) > KEEP:
                dropped.append(self._reads.pop(next(iter(self._reads))).future)
            return dropped

    def take(self, key: tuple[str, ...]) -> _Ahead[F] | None:
        with self._lock:
            return self._reads.pop(key, None)

    def written(self, messages: Iterable[Message]) -> None:
        """The store committed these messages: each read kept will read them again."""
        with self._lock:
            if not self._reads:
                return
            ids = {m.id for m in messages}
            for ahead in self._reads.values():
                ahead.written.update(ids)

    def clear(self) -> list[F]:
        with self._lock:
            futures = [ahead.future for ahead in self._reads.values()]
            self._reads.clear()
            return futures


def _missed(key: tuple[str, ...], found: Found, written: set[str]) -> list[str]:
    """The ids to read again: not found, or found on a message written since."""
    return [pid for pid in key if (m := found.get(pid)) is None or m.id in written]


class ReadsAhead:
    """``PostgresStorage``'s reads ahead: run by one thread of their own, each on a connection
    of the store's pool (``read``: the store's read of the rows; ``decode``: its decoding)."""

    def __init__(
        self, read: Callable[[tuple[str, ...]], Rows], decode: Callable[[Rows], Found]
    ) -> None:
        self._rows = read
        self._decode = decode
        self._pending: _Pending[Future[Rows]] = _Pending()
        self._executor: ThreadPoolExecutor | None = None
        self._start = threading.Lock()

    def start(self, provider_message_ids: Iterable[str]) -> None:
        """Start reading these ids ahead."""
        key = key_of(provider_message_ids)
        if not key:
            return
        with self._start:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="sms-read-ahead")
            future = self._executor.submit(self._rows, key)
        for dropped in self._pending.add(key, future):
            dropped.cancel()

    def find(self, provider_message_ids: Iterable[str]) -> Found:
        """The messages of these ids: as read ahead (and read again where it may have missed),
        or read now."""
        key = key_of(provider_message_ids)
        ahead = self._pending.take(key)
        if ahead is None:
            return self._decode(self._rows(key))
        try:
            rows = ahead.future.result()
        except Exception:  # read again: the plain read raises what it finds wrong
            return self._decode(self._rows(key))
        found = self._decode(rows)
        missed = _missed(key, found, ahead.written)
        if missed:
            found.update(self._decode(self._rows(tuple(missed))))
        return found

    def written(self, messages: Iterable[Message]) -> None:
        self._pending.written(messages)

    def drop(self) -> None:
        """Drop the reads ahead (the store changed messages it cannot name: ``forget``)."""
        for future in self._pending.clear():
            future.cancel()

    def close(self) -> None:
        """Drop the reads ahead and stop the thread (waiting for a read under way)."""
        self.drop()
        with self._start:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)


class AsyncReadsAhead:
    """``AsyncPostgresStorage``'s reads ahead: tasks on the event loop (``read``: the store's
    plain read)."""

    def __init__(
        self, read: Callable[[tuple[str, ...]], Awaitable[Rows]], decode: Callable[[Rows], Found]
    ) -> None:
        self._rows = read
        self._decode = decode
        self._pending: _Pending[asyncio.Task[Rows]] = _Pending()

    def start(self, provider_message_ids: Iterable[str]) -> None:
        key = key_of(provider_message_ids)
        if not key:
            return
        task = asyncio.ensure_future(self._rows(key))
        for dropped in self._pending.add(key, task):
            _drop(dropped)

    async def find(self, provider_message_ids: Iterable[str]) -> Found:
        key = key_of(provider_message_ids)
        ahead = self._pending.take(key)
        if ahead is None:
            return self._decode(await self._rows(key))
        try:
            rows = await ahead.future
        except Exception:  # read again: the plain read raises what it finds wrong
            return self._decode(await self._rows(key))
        found = self._decode(rows)
        missed = _missed(key, found, ahead.written)
        if missed:
            found.update(self._decode(await self._rows(tuple(missed))))
        return found

    def written(self, messages: Iterable[Message]) -> None:
        self._pending.written(messages)

    def drop(self) -> list[asyncio.Task[Rows]]:
        """Drop the reads ahead (the store changed messages it cannot name: ``forget``); the
        tasks cancelled."""
        tasks = self._pending.clear()
        for task in tasks:
            _drop(task)
        return tasks

    async def close(self) -> None:
        """Drop the reads ahead, waiting for those under way to end."""
        await asyncio.gather(*self.drop(), return_exceptions=True)


def _drop(task: asyncio.Task[Rows]) -> None:
    """Cancel a read ahead nobody will take (its exception, if any, is retrieved)."""
    task.cancel()
    task.add_done_callback(_retrieved)


def _retrieved(task: asyncio.Task[Rows]) -> None:
    if not task.cancelled():
        task.exception()
