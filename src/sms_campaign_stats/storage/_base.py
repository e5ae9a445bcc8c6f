"""``StorageBase``: every convenience of a store, derived from the methods of the contract.

A store implements the reads and ``commit`` (``Storage``); subclassing ``StorageBase`` gives it
the rest, each a small ``Change`` committed whole, so that callers written against the older,
wider surface (``add_campaign``, ``update_messages(..., blocks=...)``, ``record_reply``,
``block``, ``take_orphans``, ...) keep working on any store:

* ``add_campaign(c, events=())``: ``commit(Change(new_campaigns=[c], events=events))``;
* ``update_campaign(c, events=())``: ``commit(Change(campaigns=[c], events=events))``, the
  campaign as stored;
* ``add_messages(messages)``: ``commit(Change(new_messages=messages))``, how many;
* ``update_message(m)``, ``update_messages(ms, blocks=())``: ``commit(Change(messages=ms,
  blocks=blocks))``, the messages as stored;
* ``append_events(events)``: ``commit(Change(events=events))``;
* ``record_reply(r)``, ``record_unsubscribe(u)``, ``block(number, reason=, at=)``: a change of
  one item; ``False`` if it was already stored;
* ``add_orphan(pid, report, received_at=)``: ``commit(Change(orphans=[...]))``;
  ``take_orphans(pid)``: ``orphans([pid])``, then ``commit(Change(taken_orphans=[pid]))``;
* ``get_messages(ids)``: ``get_message`` of each, the ids not stored left out (the engine's
  bulk calls read their messages with it: both built-in stores read them in one query);
* ``find_message_by_provider_id(pid)``: ``find_messages_by_provider_ids([pid])``;
  ``latest_message_to(number, since=, before=)``: the last of ``messages_to``;
* ``iter_stale(submitted_before=, batch_size=)``, ``iter_due(now, batch_size=)`` (in the
  contract, with these defaults): scans of the campaigns' messages;
* ``claim_due(now, until=, limit=)``: due messages claimed for one worker (a lease until
  ``until``), each by a compare-and-set of its own, so that across workers each is claimed once;
* ``campaign_counts(campaign_id)``: ``CampaignCounts.of_messages`` over the campaign's messages,
  replies and opt-outs; ``close()``: nothing.

The scans and the counts read every message of a campaign: a store that can ask an index
(``SQLiteStorage``) overrides them, and may override any other convenience that it does faster,
keeping its behaviour (``SQLiteStorage.add_messages`` streams an iterable into one transaction).
``take_orphans`` reads then commits: reports kept between the two by another writer are removed
unread, so a store shared by writers overrides it with one atomic take (both built-in stores do).
"""

from __future__ import annotations

import abc
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sms_campaign_stats._core.validate import check_utc
from sms_campaign_stats.errors import (
    ConflictError,
    DuplicateError,
    NotFoundError,
    ValidationError,
)
from sms_campaign_stats.lifecycle._statuses import CampaignStatus, MessageStatus
from sms_campaign_stats.model import (
    Block,
    Campaign,
    Message,
    Reply,
    TimelineEvent,
    Unsubscribe,
)
from sms_campaign_stats.storage._change import Change, Committed, Evidence, Orphan
from sms_campaign_stats.storage._counts import CampaignCounts

_log = logging.getLogger(__name__)

__all__ = ["StorageBase", "check_batch_size"]


def check_batch_size(field: str, batch_size: object) -> int:
    """A batch size of at least 1; else ``ValidationError(field, ...)``."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValidationError(field, "must be at least 1")
    return batch_size


def check_orphan_bounds(store: str, max_age: object, max_count: object) -> tuple[timedelta, int]:
    """A store's orphan bounds: a positive ``timedelta`` and a count of at least 1."""
    if not isinstance(max_age, timedelta) or max_age <= timedelta(0):
        raise ValidationError(f"{store}.orphan_max_age", "must be a positive timedelta")
    if isinstance(max_count, bool) or not isinstance(max_count, int) or max_count < 1:
        raise ValidationError(f"{store}.orphan_max_count", "must be at least 1")
    return max_age, max_count


def log_evicted(count: int, max_age: timedelta, max_count: int) -> None:
    """Say that ``count`` orphan reports were evicted, and why (a WARNING: reports were lost)."""
    _log.warning(
        "%d orphan report(s) evicted: received more than %s before the newest kept, or past "
        "the %d kept at most",
        count,
        max_age,
        max_count,
    )


class StorageBase(abc.ABC):
    """A store's conveniences, derived from the methods of ``Storage``.

    Implement the fourteen abstract methods (``campaign_counts``, ``iter_due`` and
    ``iter_stale``, also in the contract, have defaults that read ``iter_messages``); everything
    else is derived from them. See the module doc.
    """

    # the contract: reads --------------------------------------------------------------------

    @abc.abstractmethod
    def get_campaign(self, campaign_id: str) -> Campaign:
        """The stored campaign; ``NotFoundError`` if there is none."""

    @abc.abstractmethod
    def list_campaigns(self) -> list[Campaign]:
        """Every stored campaign, oldest first (by ``created_at``, then id)."""

    @abc.abstractmethod
    def get_message(self, message_id: str) -> Message:
        """The stored message; ``NotFoundError`` if there is none."""

    @abc.abstractmethod
    def find_messages_by_provider_ids(
        self, provider_message_ids: Iterable[str]
    ) -> dict[str, Message]:
        """Each known provider message id with its message; unknown ids left out."""

    @abc.abstractmethod
    def iter_messages(self, campaign_id: str, *, batch_size: int = 1000) -> Iterator[Message]:
        """Each message of the campaign once, in bounded memory."""

    @abc.abstractmethod
    def timeline(self, campaign_id: str) -> list[TimelineEvent]:
        """The campaign's history in append order."""

    @abc.abstractmethod
    def replies(self, campaign_id: str) -> list[Reply]:
        """Replies attributed to the campaign, oldest first."""

    @abc.abstractmethod
    def unsubscribes(self, campaign_id: str, *, recipient: str | None = None) -> list[Unsubscribe]:
        """Opt-outs attributed to the campaign, oldest first; with ``recipient``, that number's
        only (how the engine tells an opt-out it recorded already: one index lookup on
        (campaign, recipient), never the campaign's whole list)."""

    @abc.abstractmethod
    def messages_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> list[Message]:
        """The messages sent to ``recipient`` (any campaign) whose last attempt was submitted
        in ``[since, before]``, oldest last attempt first."""

    @abc.abstractmethod
    def orphans(self, provider_message_ids: Iterable[str]) -> list[Orphan]:
        """The reports kept for these provider ids, oldest first, left in the store."""

    @abc.abstractmethod
    def blocked(self, recipients: Iterable[str]) -> frozenset[str]:
        """Which of ``recipients`` are blocked."""

    def campaign_counts(self, campaign_id: str) -> CampaignCounts:
        """The campaign's counts, from its messages, replies and opt-outs (not one snapshot:
        a store that can count in one read transaction overrides this)."""
        return CampaignCounts.of_messages(
            self.iter_messages(campaign_id),
            replies=self.replies(campaign_id),
            unsubscribes=self.unsubscribes(campaign_id),
        )

    @abc.abstractmethod
    def evidence(self, campaign_id: str) -> Evidence:
        """The campaign's suspension evidence since it last started or resumed."""

    # the contract: writes -------------------------------------------------------------------

    @abc.abstractmethod
    def commit(self, change: Change) -> Committed:
        """Write ``change`` whole, in one transaction, or nothing."""

    @abc.abstractmethod
    def forget(self, recipient: str) -> int:
        """Erase a number from the store; how many stored records named it."""

    def close(self) -> None:  # noqa: B027 - not abstract: a store may hold nothing to release
        """Release what the store holds (nothing, by default)."""

    # conveniences: campaigns and history ------------------------------------------------------

    def add_campaign(self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()) -> None:
        """Store a new campaign with its first history entries; ``DuplicateError`` if its id is
        stored, ``NotFoundError`` for an event of an unknown campaign."""
        self.commit(Change(new_campaigns=(campaign,), events=events))

    def update_campaign(
        self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()
    ) -> Campaign:
        """Compare-and-set the campaign, with history entries; it as stored (``version + 1``)."""
        committed = self.commit(Change(campaigns=(campaign,), events=events))
        return next(c for c in committed.campaigns if c.id == campaign.id)

    def append_events(self, events: Sequence[TimelineEvent]) -> None:
        """Append history entries, all or none (``NotFoundError`` for an unknown campaign)."""
        self.commit(Change(events=events))

    # conveniences: messages -------------------------------------------------------------------

    def add_messages(self, messages: Iterable[Message]) -> int:
        """Store new messages, all or none; how many. A message id already stored, or twice in
        the batch, is a ``DuplicateError``, as is a second message to one recipient."""
        batch = messages if isinstance(messages, (list, tuple)) else list(messages)
        try:
            change = Change(new_messages=batch)
        except ValidationError:
            _refuse_repeated_ids(batch)
            raise
        self.commit(change)
        return len(change.new_messages)

    def update_message(self, message: Message) -> Message:
        """Compare-and-set one message; it as stored (``version + 1``)."""
        return self.update_messages([message])[0]

    def update_messages(
        self, messages: Sequence[Message], *, blocks: Sequence[Block] = ()
    ) -> list[Message]:
        """Compare-and-set messages, with the blocks their outcomes cause, all or nothing; the
        messages as stored, in the order given."""
        return list(self.commit(Change(messages=messages, blocks=blocks)).messages)

    def latest_message_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> Message | None:
        """The last of ``messages_to(recipient, since=..., before=...)``, or ``None``."""
        found = self.messages_to(recipient, since=since, before=before)
        return found[-1] if found else None

    def get_messages(self, message_ids: Iterable[str]) -> dict[str, Message]:
        """Each stored message of these ids, by id, in the order asked (an id asked twice, once);
        the ids not stored left out. ``get_message`` of each, one read apiece: a store that can
        read them in one query overrides it."""
        found: dict[str, Message] = {}
        for message_id in dict.fromkeys(message_ids):
            try:
                found[message_id] = self.get_message(message_id)
            except NotFoundError:
                continue
        return found

    def find_message_by_provider_id(self, provider_message_id: str) -> Message | None:
        """The message an attempt with that provider id belongs to, or ``None``."""
        return self.find_messages_by_provider_ids([provider_message_id]).get(provider_message_id)

    def iter_stale(
        self, *, submitted_before: datetime, batch_size: int = 1000
    ) -> Iterator[Message]:
        """Messages still processing whose last attempt was submitted before the cutoff."""
        cutoff = check_utc("submitted_before", submitted_before)
        check_batch_size("iter_stale.batch_size", batch_size)

        def stale(message: Message) -> bool:
            last = message.last_attempt_at
            return message.status is MessageStatus.PROCESSING and last is not None and last < cutoff

        return self._scan([c.id for c in self.list_campaigns()], stale, batch_size)

    def iter_due(self, now: datetime, *, batch_size: int = 1000) -> Iterator[Message]:
        """Queued messages due at or before ``now`` (``due_at``), of campaigns that are
        SENDING, each once."""
        now = check_utc("now", now)
        check_batch_size("iter_due.batch_size", batch_size)
        sending = [c.id for c in self.list_campaigns() if c.status is CampaignStatus.SENDING]

        def due(message: Message) -> bool:
            return (
                message.status is MessageStatus.QUEUED
                and message.due_at is not None
                and message.due_at <= now
            )

        return self._scan(sending, due, batch_size)

    def claim_due(self, now: datetime, *, until: datetime, limit: int = 100) -> list[Message]:
        """Claim at most ``limit`` due messages (as ``iter_due(now)``) for this worker alone:
        each is compare-and-set to be due only at ``until`` (a lease: a worker that dies before
        sending it leaves it due again then), and returned as stored. A message another worker
        claimed first (its version moved) is skipped, so across workers each due message is
        claimed once per lease. This default commits one change per message; a server store
        overrides it with one statement that skips rows other transactions hold
        (``PostgresStorage``: ``FOR UPDATE SKIP LOCKED``)."""
        now = check_utc("now", now)
        until = check_utc("until", until)
        if until <= now:
            raise ValidationError("claim_due.until", "must be later than now")
        limit = check_batch_size("claim_due.limit", limit)
        claimed: list[Message] = []
        # Read first, then claim: the scan never runs over rows this loop changes.
        for message in list(itertools.islice(self.iter_due(now, batch_size=limit), limit)):
            try:
                committed = self.commit(
                    Change(messages=(message.wait_until(until, zone=message.zone),))
                )
            except ConflictError:
                continue  # another worker claimed (or changed) it first
            claimed.extend(committed.messages)
        return claimed

    def _scan(
        self, campaign_ids: list[str], keep: Callable[[Message], bool], batch_size: int
    ) -> Iterator[Message]:
        for campaign_id in campaign_ids:
            for message in self.iter_messages(campaign_id, batch_size=batch_size):
                if keep(message):
                    yield message

    # conveniences: inbound, blocklist, orphans --------------------------------------------------

    def record_reply(self, reply: Reply) -> bool:
        """Store a reply; ``False`` if one with its id is stored already."""
        return bool(self.commit(Change(replies=(reply,))).replies)

    def record_unsubscribe(self, unsubscribe: Unsubscribe) -> bool:
        """Store an opt-out; ``False`` if one with its id is stored already."""
        return bool(self.commit(Change(unsubscribes=(unsubscribe,))).unsubscribes)

    def block(self, recipient: str, *, reason: str, at: datetime) -> bool:
        """Blocklist a number; ``False`` if it is already (the first reason stays)."""
        entry = Block(recipient=recipient, reason=reason, at=check_utc("at", at))
        return bool(self.commit(Change(blocks=(entry,))).blocks)

    def add_orphan(
        self, provider_message_id: str, report: Mapping[str, Any], *, received_at: datetime
    ) -> None:
        """Keep a report whose provider id no message has yet."""
        received_at = check_utc("received_at", received_at)
        if not isinstance(report, Mapping):
            raise ValidationError("report", "an orphan report is a mapping")
        orphan = Orphan(
            provider_message_id=provider_message_id, report=dict(report), received_at=received_at
        )
        self.commit(Change(orphans=(orphan,)))

    def take_orphans(self, provider_message_id: str) -> list[Mapping[str, Any]]:
        """The reports kept for that provider id, in arrival order, removed from the store."""
        kept = self.orphans([provider_message_id])
        if not kept:
            return []
        self.commit(Change(taken_orphans=(provider_message_id,)))
        return [orphan.report for orphan in kept]


def _refuse_repeated_ids(batch: Sequence[object]) -> None:
    """``DuplicateError`` for the first message id repeated in a batch (``Change`` calls it a
    ``ValidationError``; ``add_messages`` has always called it a duplicate)."""
    seen: set[str] = set()
    for message in batch:
        if isinstance(message, Message):
            if message.id in seen:
                raise DuplicateError("message", message.id) from None
            seen.add(message.id)
