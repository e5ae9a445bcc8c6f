"""The storage contract.

``Storage`` is a ``Protocol``: implement these methods on any class (no base class to import) and
check it with the conformance suite in ``sms_campaign_stats.testing``. ``InMemoryStorage`` and
``SQLiteStorage`` both pass it.

The contract, for every implementation:

* **Identity.** Campaign ids, message ids, reply ids and unsubscribe ids are unique in a store.
  A campaign has at most one message per recipient. A provider message id designates at most one
  message. Adding something that is already there raises ``DuplicateError`` (replies and
  unsubscribes, which arrive from webhooks that retry, are ignored instead: ``False`` is returned).
* **Atomicity.** Every method that writes either does all of its writing or none of it. A batch
  (``add_messages``, ``update_messages``) with one bad item leaves the store exactly as before.
* **Versions.** A value read from a store carries the ``version`` it was stored at. An update is a
  compare-and-set: it succeeds only if the stored version still equals the value's ``version``,
  stores the value with ``version + 1`` and returns it; otherwise it raises ``ConflictError`` and
  writes nothing. Concurrent writers therefore never lose an update silently.
* **Lookups.** ``get_*`` raise ``NotFoundError`` (a ``LookupError``) for an unknown id;
  ``find_message_by_provider_id`` returns ``None``.
* **Iteration.** ``iter_messages`` yields each message of a campaign exactly once, in no particular
  order, holding at most about ``batch_size`` messages in memory at a time.
* **Aggregates.** ``campaign_counts`` returns the same ``CampaignCounts`` as
  ``CampaignCounts.of_messages`` over the campaign's messages, replies and unsubscribes, computed
  without loading every message where the store can (SQL does); it is a consistent snapshot.
* **History.** ``timeline`` returns a campaign's events in the order they were appended.
* **Engine support.** ``latest_message_to`` and ``iter_stale`` use the last attempt's submission
  time (``Message.last_attempt_at``). Orphan reports are kept as given (JSON-like mappings) in
  arrival order until taken, once. The blocklist holds each number once, with its first reason;
  blocks given to ``update_messages`` are written with the messages, or not at all.
* **Forgetting a person.** ``forget(number)`` replaces the number, in one atomic write, by a
  pseudonym derived from a salted hash (``+999`` then 12 digits: the ITU leaves country code 999
  unassigned) in every message, reply, unsubscribe and waiting orphan report; it empties that
  number's reply texts and unsubscribe keywords, and keeps a blocked number blocked under its
  salted hash (``blocked([number])`` still answers it, ``block(number)`` is ``False``). Counts,
  reports and history are exactly what they were. The salt is drawn once per store with
  ``secrets`` (randomness for secrecy, never for a decision) and kept in the store. Returns how
  many stored records named the number: 0 the second time.
* **Concurrency and crashes** (``SQLiteStorage``): a write that fails or is interrupted, even by
  a killed process, leaves nothing of itself; waiting for another writer is bounded by the
  store's ``timeout``, then ``StorageBusyError`` with nothing written. ``campaign_counts`` is
  read in one read transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from sms_campaign_stats.model import Block, Campaign, Message, Reply, TimelineEvent, Unsubscribe
from sms_campaign_stats.storage._counts import CampaignCounts

__all__ = ["Storage"]


@runtime_checkable
class Storage(Protocol):
    """Where campaigns, messages, replies, unsubscribes and history live. See the module doc."""

    def add_campaign(self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()) -> None:
        """Store a new campaign (``version`` is stored as given) with its first history events."""
        ...

    def get_campaign(self, campaign_id: str) -> Campaign:
        """The stored campaign; ``NotFoundError`` if there is none."""
        ...

    def update_campaign(
        self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()
    ) -> Campaign:
        """Compare-and-set the campaign and append ``events``, in one atomic write."""
        ...

    def list_campaigns(self) -> list[Campaign]:
        """Every stored campaign, oldest first (by ``created_at``, then id)."""
        ...

    def add_messages(self, messages: Iterable[Message]) -> int:
        """Store new messages of existing campaigns in one atomic batch; returns how many."""
        ...

    def get_message(self, message_id: str) -> Message:
        """The stored message; ``NotFoundError`` if there is none."""
        ...

    def find_message_by_provider_id(self, provider_message_id: str) -> Message | None:
        """The message one of whose attempts has this provider message id, if any."""
        ...

    def find_messages_by_provider_ids(
        self, provider_message_ids: Iterable[str]
    ) -> dict[str, Message]:
        """For many provider message ids at once: each id found, with its message."""
        ...

    def update_message(self, message: Message) -> Message:
        """Compare-and-set one message; returns it with its new version."""
        ...

    def update_messages(
        self, messages: Sequence[Message], *, blocks: Sequence[Block] = ()
    ) -> list[Message]:
        """Compare-and-set several messages atomically: all are written or none is. ``blocks``
        (numbers the outcomes blocklist) are written in the same transaction."""
        ...

    def iter_messages(self, campaign_id: str, *, batch_size: int = 1000) -> Iterator[Message]:
        """Each message of the campaign once, in bounded memory."""
        ...

    def append_events(self, events: Sequence[TimelineEvent]) -> None:
        """Append history events of existing campaigns, atomically."""
        ...

    def timeline(self, campaign_id: str) -> list[TimelineEvent]:
        """The campaign's history in append order."""
        ...

    def record_reply(self, reply: Reply) -> bool:
        """Store an inbound reply; ``False`` (and nothing written) if its id is already stored."""
        ...

    def replies(self, campaign_id: str) -> list[Reply]:
        """Replies attributed to the campaign, oldest first."""
        ...

    def record_unsubscribe(self, unsubscribe: Unsubscribe) -> bool:
        """Store an opt-out; ``False`` (and nothing written) if its id is already stored."""
        ...

    def unsubscribes(self, campaign_id: str) -> list[Unsubscribe]:
        """Opt-outs attributed to the campaign, oldest first."""
        ...

    def latest_message_to(self, recipient: str, *, since: datetime) -> Message | None:
        """The message most recently sent to ``recipient`` (any campaign) whose last attempt was
        at or after ``since``; ``None`` if there is none."""
        ...

    def iter_stale(
        self, *, submitted_before: datetime, batch_size: int = 1000
    ) -> Iterator[Message]:
        """Messages still PROCESSING whose last attempt was submitted before the cutoff."""
        ...

    def add_orphan(
        self, provider_message_id: str, report: Mapping[str, Any], *, received_at: datetime
    ) -> None:
        """Keep a delivery report whose provider message id no message has yet."""
        ...

    def take_orphans(self, provider_message_id: str) -> list[Mapping[str, Any]]:
        """The orphan reports for this provider id, oldest first, removed from the store."""
        ...

    def block(self, recipient: str, *, reason: str, at: datetime) -> bool:
        """Never send to ``recipient`` again; ``False`` if it was already blocked."""
        ...

    def blocked(self, recipients: Iterable[str]) -> frozenset[str]:
        """Which of ``recipients`` are blocked."""
        ...

    def forget(self, recipient: str) -> int:
        """Erase a number from the store (see the module doc), atomically and idempotently;
        returns how many stored records named it. ``ValidationError`` for something that is not
        a stored number, or already a pseudonym."""
        ...

    def campaign_counts(self, campaign_id: str) -> CampaignCounts:
        """The campaign's aggregate counts, computed where the data lives."""
        ...

    def close(self) -> None:
        """Release resources; the store is not used afterwards."""
        ...
