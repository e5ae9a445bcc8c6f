"""``AsyncPostgresStorage``: ``PostgresStorage`` for asyncio services, natively on psycopg's
``AsyncConnection`` and ``AsyncConnectionPool`` (no thread per call).

It runs the very operations ``PostgresStorage`` runs (``_operations``, ``_writes``), with the
asynchronous driver: same SQL, same transactions, same errors. Its pool opens in the running
event loop, never in ``__init__``: ``async with AsyncPostgresStorage(url) as store:`` (or
``await store.open()``) opens it and checks the schema at once; otherwise the first call opens
it. ``await store.close()`` (or leaving the ``async with``) closes it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar

from sms_campaign_stats._core.validate import check_utc
from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.model import (
    Block,
    Campaign,
    Message,
    Reply,
    TimelineEvent,
    Unsubscribe,
)
from sms_campaign_stats.storage._base import log_evicted
from sms_campaign_stats.storage._change import (
    ORPHAN_MAX_AGE,
    ORPHAN_MAX_COUNT,
    Change,
    Committed,
    Evidence,
    Orphan,
)
from sms_campaign_stats.storage._counts import CampaignCounts
from sms_campaign_stats.storage._forgetting import blocklist_key, check_forgettable, pseudonym
from sms_campaign_stats.storage.postgres import _operations as ops
from sms_campaign_stats.storage.postgres._async_driver import AsyncDriver
from sms_campaign_stats.storage.postgres._messages import Seen
from sms_campaign_stats.storage.postgres._prefetch import AsyncReadsAhead
from sms_campaign_stats.storage.postgres._schema import open_schema
from sms_campaign_stats.storage.postgres._session import check_options
from sms_campaign_stats.storage.postgres._steps import Kind, Work
from sms_campaign_stats.storage.postgres._writes import encode

__all__ = ["AsyncPostgresStorage"]

T = TypeVar("T")
K = TypeVar("K")


class AsyncPostgresStorage:
    """The ``AsyncStorage`` contract on PostgreSQL; the constructor's options are
    ``PostgresStorage``'s (see its doc). Open it with ``async with`` or ``await open()``, or let
    the first call open it; close it with ``await close()``."""

    def __init__(
        self,
        conninfo: str,
        *,
        schema: str = "sms_campaign_stats",
        min_size: int = 1,
        max_size: int = 10,
        statement_timeout: timedelta = timedelta(seconds=30),
        lock_timeout: timedelta = timedelta(seconds=5),
        busy_retries: int = 5,
        orphan_max_age: timedelta = ORPHAN_MAX_AGE,
        orphan_max_count: int = ORPHAN_MAX_COUNT,
        create: bool = True,
        read_ahead: bool = True,
    ) -> None:
        self._options = check_options(
            "AsyncPostgresStorage",
            conninfo,
            schema=schema,
            min_size=min_size,
            max_size=max_size,
            statement_timeout=statement_timeout,
            lock_timeout=lock_timeout,
            busy_retries=busy_retries,
            orphan_max_age=orphan_max_age,
            orphan_max_count=orphan_max_count,
            read_ahead=read_ahead,
        )
        self.schema = schema
        self._create = bool(create)
        self._driver = AsyncDriver(self._options)
        self._list_sets: dict[tuple[str, ...], int] = {}
        # The lists of each list set id read (a list set never changes).
        self._list_ids: dict[int, tuple[str, ...]] = {}
        # Where reads by provider id found messages: their compare-and-set skips the lock.
        self._seen = Seen()
        self._ahead = AsyncReadsAhead(self._rows, self._decode)
        self._salt = b""
        self._opening = asyncio.Lock()

    def __repr__(self) -> str:
        return f"AsyncPostgresStorage({self._options.name!r})"

    async def open(self) -> AsyncPostgresStorage:
        """Check (or create) the schema and start the pool, once; the store."""
        self._driver.check()
        async with self._opening:
            if not self._driver.opened:
                self._salt = await self._driver.open(
                    Work(
                        Kind.WRITE, functools.partial(open_schema, self.schema, self._options.name)
                    )
                )
        return self

    async def __aenter__(self) -> AsyncPostgresStorage:
        return await self.open()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the pool (after the reads ahead under way, if any); later use raises
        ``StorageError``."""
        await self._ahead.close()
        await self._driver.close()

    async def _run(self, work: Work[T]) -> T:
        if not self._driver.opened:
            await self.open()
        return await self._driver.run(work)

    def _key(self, number: str) -> str:
        return blocklist_key(self._salt, number)

    # the contract: reads ----------------------------------------------------------------------

    async def get_campaign(self, campaign_id: str) -> Campaign:
        return await self._run(ops.get_campaign(campaign_id))

    async def list_campaigns(self) -> list[Campaign]:
        return await self._run(ops.list_campaigns())

    async def get_message(self, message_id: str) -> Message:
        return await self._run(ops.get_message(message_id))

    async def get_messages(self, message_ids: Iterable[str]) -> dict[str, Message]:
        """``StorageBase.get_messages``, in one query (``= ANY``)."""
        return await self._run(ops.get_messages(message_ids))

    async def find_messages_by_provider_ids(
        self, provider_message_ids: Iterable[str]
    ) -> dict[str, Message]:
        return await self._ahead.find(provider_message_ids)

    async def prefetch_messages_by_provider_ids(self, provider_message_ids: Iterable[str]) -> None:
        """``PostgresStorage.prefetch_messages_by_provider_ids``: the read runs as a task on
        this event loop, on a connection of the store's pool."""
        self._driver.check()
        if self._options.read_ahead:
            self._ahead.start(provider_message_ids)

    async def _rows(self, provider_message_ids: tuple[str, ...]) -> list[tuple[Any, ...]]:
        return await self._run(ops.rows_by_provider_ids(provider_message_ids, self._list_ids))

    def _decode(self, rows: list[tuple[Any, ...]]) -> dict[str, Message]:
        return ops.messages_of_rows(rows, self._list_ids, self._seen)

    def iter_messages(self, campaign_id: str, *, batch_size: int = 1000) -> AsyncIterator[Message]:
        return self._pages(ops.scan_messages(campaign_id, batch_size))

    def iter_due(self, now: datetime, *, batch_size: int = 1000) -> AsyncIterator[Message]:
        return self._pages(ops.scan_due(now, batch_size))

    def iter_stale(
        self, *, submitted_before: datetime, batch_size: int = 1000
    ) -> AsyncIterator[Message]:
        return self._pages(ops.scan_stale(submitted_before, batch_size))

    async def _pages(self, scan: ops.Scan[K]) -> AsyncIterator[Message]:
        batch, after = await self._run(scan.page(scan.start))
        for message in batch:
            yield message
        while after is not None:
            batch, after = await self._run(scan.page(after))
            for message in batch:
                yield message

    async def timeline(self, campaign_id: str) -> list[TimelineEvent]:
        return await self._run(ops.timeline(campaign_id))

    async def replies(self, campaign_id: str) -> list[Reply]:
        return await self._run(ops.replies(campaign_id))

    async def unsubscribes(
        self, campaign_id: str, *, recipient: str | None = None
    ) -> list[Unsubscribe]:
        return await self._run(ops.unsubscribes(campaign_id, recipient))

    async def messages_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> list[Message]:
        return await self._run(ops.messages_to(recipient, since, before))

    async def orphans(self, provider_message_ids: Iterable[str]) -> list[Orphan]:
        return await self._run(ops.orphans(provider_message_ids))

    async def blocked(self, recipients: Iterable[str]) -> frozenset[str]:
        if not self._driver.opened:
            await self.open()  # the salt is read when the store opens
        return await self._run(ops.blocked(recipients, self._key))

    async def campaign_counts(self, campaign_id: str) -> CampaignCounts:
        return await self._run(ops.campaign_counts(campaign_id))

    async def evidence(self, campaign_id: str) -> Evidence:
        return await self._run(ops.evidence(campaign_id))

    # the contract: writes ---------------------------------------------------------------------

    async def commit(self, change: Change) -> Committed:
        if not isinstance(change, Change):
            raise ValidationError("commit", f"expected a Change, got {type(change).__name__}")
        if not self._driver.opened:
            await self.open()
        if change.is_empty:
            self._driver.check()
            return Committed()
        encoded = encode(change, [self._key(block.recipient) for block in change.blocks])
        written = await self._run(
            ops.commit(
                change,
                encoded,
                self._list_sets,
                self._seen,
                orphan_max_age=self._options.orphan_max_age,
                orphan_max_count=self._options.orphan_max_count,
            )
        )
        written.list_sets.committed()
        self._ahead.written(written.committed.messages)
        if written.evicted:
            log_evicted(
                written.evicted, self._options.orphan_max_age, self._options.orphan_max_count
            )
        return written.committed

    async def forget(self, recipient: str) -> int:
        recipient = check_forgettable(recipient)
        if not self._driver.opened:
            await self.open()
        alias = pseudonym(self._salt, recipient)
        self._ahead.drop()
        return await self._run(ops.forget(recipient, alias, self._key(recipient)))

    # conveniences (StorageBase's, as coroutines) -------------------------------------------------

    async def add_campaign(
        self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()
    ) -> None:
        """Store a new campaign with its first history entries."""
        await self.commit(Change(new_campaigns=(campaign,), events=events))

    async def update_campaign(
        self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()
    ) -> Campaign:
        """Compare-and-set the campaign, with history entries; it as stored."""
        committed = await self.commit(Change(campaigns=(campaign,), events=events))
        return next(c for c in committed.campaigns if c.id == campaign.id)

    async def append_events(self, events: Sequence[TimelineEvent]) -> None:
        """Append history entries, all or none."""
        await self.commit(Change(events=events))

    async def add_messages(self, messages: Iterable[Message]) -> int:
        """Store new messages, streamed by ``COPY`` into one transaction, all or none; how many
        (``DuplicateError`` naming a message already stored, or repeated)."""
        count, list_sets = await self._run(ops.add_messages(messages, self._list_sets))
        list_sets.committed()
        return count

    async def update_message(self, message: Message) -> Message:
        """Compare-and-set one message; it as stored (``version + 1``)."""
        return (await self.update_messages([message]))[0]

    async def update_messages(
        self, messages: Sequence[Message], *, blocks: Sequence[Block] = ()
    ) -> list[Message]:
        """Compare-and-set messages, with the blocks their outcomes cause, all or nothing."""
        return list((await self.commit(Change(messages=messages, blocks=blocks))).messages)

    async def latest_message_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> Message | None:
        """The last of ``messages_to``, or ``None``."""
        found = await self._run(ops.messages_to(recipient, since, before, latest=True))
        return found[0] if found else None

    async def find_message_by_provider_id(self, provider_message_id: str) -> Message | None:
        """The message an attempt with that provider id belongs to, or ``None``."""
        found = await self.find_messages_by_provider_ids([provider_message_id])
        return found.get(provider_message_id)

    async def claim_due(self, now: datetime, *, until: datetime, limit: int = 100) -> list[Message]:
        """Claim at most ``limit`` due messages for this worker alone (``FOR UPDATE SKIP
        LOCKED``): see ``PostgresStorage.claim_due``."""
        return await self._run(ops.claim_due(now, until, limit))

    async def record_reply(self, reply: Reply) -> bool:
        """Store a reply; ``False`` if one with its id is stored already."""
        return bool((await self.commit(Change(replies=(reply,)))).replies)

    async def record_unsubscribe(self, unsubscribe: Unsubscribe) -> bool:
        """Store an opt-out; ``False`` if one with its id is stored already."""
        return bool((await self.commit(Change(unsubscribes=(unsubscribe,)))).unsubscribes)

    async def block(self, recipient: str, *, reason: str, at: datetime) -> bool:
        """Blocklist a number; ``False`` if it is already (the first reason stays)."""
        entry = Block(recipient=recipient, reason=reason, at=check_utc("at", at))
        return bool((await self.commit(Change(blocks=(entry,)))).blocks)

    async def add_orphan(
        self, provider_message_id: str, report: Mapping[str, Any], *, received_at: datetime
    ) -> None:
        """Keep a report whose provider id no message has yet."""
        received_at = check_utc("received_at", received_at)
        if not isinstance(report, Mapping):
            raise ValidationError("report", "an orphan report is a mapping")
        orphan = Orphan(
            provider_message_id=provider_message_id, report=dict(report), received_at=received_at
        )
        await self.commit(Change(orphans=(orphan,)))

    async def take_orphans(self, provider_message_id: str) -> list[Mapping[str, Any]]:
        """The reports kept for that provider id, in arrival order, removed (atomically)."""
        return await self._run(ops.take_orphans(provider_message_id))
