"""The storage contract: a few reads and ``commit(change)``.

``Storage`` is a ``Protocol`` of seventeen methods: the reads the engine and the reports need,
and ``commit``, which writes one event's ``Change`` whole (``StorageBase`` gives three of them,
``campaign_counts``, ``iter_due`` and ``iter_stale``, a default: fourteen to write). Implement
them on any class (no base class to import), or subclass ``StorageBase``, which derives every
convenience (``add_campaign``, ``update_messages``, ``record_reply``, ``block``, ``iter_due``,
``campaign_counts``, ...) from them; check your store with the conformance suite in
``sms_campaign_stats.testing``. ``InMemoryStorage`` and ``SQLiteStorage`` both pass it.

The contract, for every implementation:

* **One change, one transaction.** ``commit(change)`` writes all of a ``Change`` or nothing: a
  compare-and-set that fails (``ConflictError``), an id already stored (``DuplicateError``), a
  full disk, a killed process: the store is exactly as before. Replies, unsubscribes and blocks
  already stored are skipped, not errors (webhooks retry). It returns what it wrote
  (``Committed``: the campaigns and messages at their new versions, the campaign it completed).
* **Identity.** Campaign ids, message ids, reply ids and unsubscribe ids are unique in a store.
  A campaign has at most one message per recipient. A provider message id designates at most one
  message.
* **Versions.** A value read from a store carries the ``version`` it was stored at. A change's
  campaigns and messages are compare-and-set: written only if the stored version still equals
  the value's ``version``, stored with ``version + 1``. Concurrent writers never lose an update.
* **Lookups.** ``get_*`` raise ``NotFoundError`` (a ``LookupError``) for an unknown id;
  ``find_messages_by_provider_ids`` leaves unknown ids out.
* **Iteration.** ``iter_messages`` yields each message of a campaign exactly once, in no particular
  order, holding at most about ``batch_size`` messages in memory at a time.
* **History.** ``timeline`` returns a campaign's events in the order they were appended.
* **Engine support.** ``messages_to`` uses the last attempt's submission time
  (``Message.last_attempt_at``). Orphan reports are kept as given (JSON-like mappings) in arrival
  order until a change takes them. The blocklist holds each number once, with its first reason.
  ``evidence`` is what a change's ``Evidence`` added up to since its last restart.
* **Forgetting a person.** ``forget(number)`` replaces the number, in one atomic write, by a
  pseudonym derived from a salted hash (``+999`` then 12 digits: the ITU leaves country code 999
  unassigned) in every message, reply, unsubscribe and waiting orphan report; it empties that
  number's reply texts and unsubscribe keywords, and keeps a blocked number blocked under its
  salted hash (``blocked([number])`` still answers it). Counts, reports and history are exactly
  what they were. The salt is drawn once per store with ``secrets`` (randomness for secrecy,
  never for a decision) and kept in the store. Returns how many stored records named the number:
  0 the second time.
* **Concurrency and crashes** (``SQLiteStorage``): a write that fails or is interrupted, even by
  a killed process, leaves nothing of itself; waiting for another writer is bounded by the
  store's ``timeout``, then ``StorageBusyError`` with nothing written. ``campaign_counts`` is
  read in one read transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Protocol, runtime_checkable

from sms_campaign_stats.model import Campaign, Message, Reply, TimelineEvent, Unsubscribe
from sms_campaign_stats.storage._change import Change, Committed, Evidence, Orphan
from sms_campaign_stats.storage._counts import CampaignCounts

__all__ = ["Storage"]


@runtime_checkable
class Storage(Protocol):
    """What the engine and the reports need of a store: these reads, and ``commit``."""

    def get_campaign(self, campaign_id: str) -> Campaign:
        """The stored campaign; ``NotFoundError`` if there is none."""
        ...

    def list_campaigns(self) -> list[Campaign]:
        """Every stored campaign, oldest first (by ``created_at``, then id)."""
        ...

    def get_message(self, message_id: str) -> Message:
        """The stored message; ``NotFoundError`` if there is none."""
        ...

    def find_messages_by_provider_ids(
        self, provider_message_ids: Iterable[str]
    ) -> dict[str, Message]:
        """Each of these provider message ids that an attempt of a stored message has, with that
        message; unknown ids are left out."""
        ...

    def iter_messages(self, campaign_id: str, *, batch_size: int = 1000) -> Iterator[Message]:
        """Each message of the campaign once, in bounded memory."""
        ...

    def iter_due(self, now: datetime, *, batch_size: int = 1000) -> Iterator[Message]:
        """QUEUED messages whose ``due_at`` is at or before ``now``, of campaigns that are
        SENDING (``StorageBase`` scans the campaigns; a SQL store uses an index)."""
        ...

    def iter_stale(
        self, *, submitted_before: datetime, batch_size: int = 1000
    ) -> Iterator[Message]:
        """PROCESSING messages whose last attempt was submitted before the cutoff."""
        ...

    def timeline(self, campaign_id: str) -> list[TimelineEvent]:
        """The campaign's history in append order."""
        ...

    def replies(self, campaign_id: str) -> list[Reply]:
        """Replies attributed to the campaign, oldest first."""
        ...

    def unsubscribes(self, campaign_id: str, *, recipient: str | None = None) -> list[Unsubscribe]:
        """Opt-outs attributed to the campaign, oldest first; with ``recipient``, that number's
        only (how the engine tells an opt-out it recorded already: one index lookup on
        (campaign, recipient), never the campaign's whole list)."""
        ...

    def messages_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> list[Message]:
        """The messages sent to ``recipient`` (any campaign) whose last attempt was submitted at
        or after ``since`` and, when ``before`` is given, at or before it; oldest last attempt
        first (the engine attributes an inbound message to the last one, and counts a number's
        recent soft bounces in them)."""
        ...

    def orphans(self, provider_message_ids: Iterable[str]) -> list[Orphan]:
        """The reports kept for these provider ids, oldest first, left in the store."""
        ...

    def blocked(self, recipients: Iterable[str]) -> frozenset[str]:
        """Which of ``recipients`` are blocked."""
        ...

    def campaign_counts(self, campaign_id: str) -> CampaignCounts:
        """The campaign's aggregate counts, computed where the data lives (``StorageBase`` counts
        ``iter_messages``, ``replies`` and ``unsubscribes`` in Python: a SQL store overrides it)."""
        ...

    def evidence(self, campaign_id: str) -> Evidence:
        """The campaign's suspension evidence since it last started or resumed (zeros if none)."""
        ...

    def commit(self, change: Change) -> Committed:
        """Write ``change`` whole, in one transaction, or nothing (see the module doc)."""
        ...

    def forget(self, recipient: str) -> int:
        """Erase a number from the store (see the module doc), atomically and idempotently;
        returns how many stored records named it."""
        ...
