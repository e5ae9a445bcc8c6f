"""The storage contract for asyncio services: ``AsyncStorage``, the same methods as ``Storage``,
each a coroutine (the scans are asynchronous iterators).

A service on an event loop (FastAPI, Starlette, aiohttp) must never wait on a socket or a disk
inside a plain call: ``AsyncCampaignEngine`` awaits these methods instead. Two implementations
ship: ``AsyncPostgresStorage`` (natively on psycopg's ``AsyncConnection`` and pool) and
``ThreadedAsyncStorage``, which runs any ``Storage`` (``SQLiteStorage``, yours) in worker
threads. The contract is ``Storage``'s, method for method (see ``storage._contract``); the
conformance suite checks an async store through ``testing.AsyncStorageConformance``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Protocol, runtime_checkable

from sms_campaign_stats.model import Campaign, Message, Reply, TimelineEvent, Unsubscribe
from sms_campaign_stats.storage._change import Change, Committed, Evidence, Orphan
from sms_campaign_stats.storage._counts import CampaignCounts

__all__ = ["AsyncStorage"]


@runtime_checkable
class AsyncStorage(Protocol):
    """``Storage`` for an event loop: each method awaited, each scan an async iterator."""

    async def get_campaign(self, campaign_id: str) -> Campaign:
        """The stored campaign; ``NotFoundError`` if there is none."""
        ...

    async def list_campaigns(self) -> list[Campaign]:
        """Every stored campaign, oldest first (by ``created_at``, then id)."""
        ...

    async def get_message(self, message_id: str) -> Message:
        """The stored message; ``NotFoundError`` if there is none."""
        ...

    async def find_messages_by_provider_ids(
        self, provider_message_ids: Iterable[str]
    ) -> dict[str, Message]:
        """Each known provider message id with its message; unknown ids left out."""
        ...

    def iter_messages(self, campaign_id: str, *, batch_size: int = 1000) -> AsyncIterator[Message]:
        """Each message of the campaign once, in bounded memory (``async for``)."""
        ...

    def iter_due(self, now: datetime, *, batch_size: int = 1000) -> AsyncIterator[Message]:
        """QUEUED messages due at or before ``now``, of campaigns that are SENDING."""
        ...

    def iter_stale(
        self, *, submitted_before: datetime, batch_size: int = 1000
    ) -> AsyncIterator[Message]:
        """PROCESSING messages whose last attempt was submitted before the cutoff."""
        ...

    async def timeline(self, campaign_id: str) -> list[TimelineEvent]:
        """The campaign's history in append order."""
        ...

    async def replies(self, campaign_id: str) -> list[Reply]:
        """Replies attributed to the campaign, oldest first."""
        ...

    async def unsubscribes(
        self, campaign_id: str, *, recipient: str | None = None
    ) -> list[Unsubscribe]:
        """Opt-outs attributed to the campaign, oldest first; with ``recipient``, that number's
        only."""
        ...

    async def messages_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> list[Message]:
        """The messages sent to ``recipient`` whose last attempt was submitted in
        ``[since, before]``, oldest last attempt first."""
        ...

    async def orphans(self, provider_message_ids: Iterable[str]) -> list[Orphan]:
        """The reports kept for these provider ids, oldest first, left in the store."""
        ...

    async def blocked(self, recipients: Iterable[str]) -> frozenset[str]:
        """Which of ``recipients`` are blocked."""
        ...

    async def campaign_counts(self, campaign_id: str) -> CampaignCounts:
        """The campaign's aggregate counts, computed where the data lives."""
        ...

    async def evidence(self, campaign_id: str) -> Evidence:
        """The campaign's suspension evidence since it last started or resumed."""
        ...

    async def commit(self, change: Change) -> Committed:
        """Write ``change`` whole, in one transaction, or nothing."""
        ...

    async def forget(self, recipient: str) -> int:
        """Erase a number from the store; how many stored records named it."""
        ...
