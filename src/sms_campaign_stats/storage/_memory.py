"""``InMemoryStorage``: the reference implementation of the storage contract, thread-safe.

``commit`` checks a whole ``Change`` against the store before it changes anything, then writes
it, noting how to undo each write: if a write still fails (a bug, an injected failure, a
``MemoryError``), the writes already made are undone before the error leaves, so nothing of the
change is ever visible, and one lock makes every call atomic and isolated.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import attrs

from sms_campaign_stats._core.privacy import mask_number
from sms_campaign_stats._core.validate import check_utc
from sms_campaign_stats.errors import (
    ConflictError,
    DuplicateError,
    NotFoundError,
    StorageError,
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
    stored_version,
)
from sms_campaign_stats.storage._base import (
    StorageBase,
    check_batch_size,
    check_orphan_bounds,
    log_evicted,
)
from sms_campaign_stats.storage._change import (
    ORPHAN_MAX_AGE,
    ORPHAN_MAX_COUNT,
    Change,
    Committed,
    Evidence,
    Orphan,
)
from sms_campaign_stats.storage._counts import CampaignCounts
from sms_campaign_stats.storage._forgetting import (
    blocklist_key,
    check_forgettable,
    new_salt,
    pseudonym,
    scrub,
)

__all__ = ["InMemoryStorage"]

_Inbound = TypeVar("_Inbound", Reply, Unsubscribe)
#: Statuses of messages still to be sent or still with a provider: a campaign with none of them
#: is complete.
_OPEN = frozenset({MessageStatus.QUEUED, MessageStatus.PROCESSING})
UTC = timezone.utc
_MISSING: Any = object()
# How to undo one write: a function and its arguments.
_Undo = list[tuple[Callable[..., None], tuple[Any, ...]]]


def _provider_ids(message: Message) -> list[str]:
    return [pid for a in message.attempts for pid in a.provider_ids]  # each part's id


def _restore(table: dict[Any, Any], key: Any, old: Any) -> None:
    if old is _MISSING:
        table.pop(key, None)
    else:
        table[key] = old


def _truncate(items: list[Any], length: int) -> None:
    del items[length:]


@attrs.frozen
class _Plan:
    """What a checked change writes besides its campaigns and messages: the inbound items and
    blocks not stored yet."""

    replies: tuple[Reply, ...]
    unsubscribes: tuple[Unsubscribe, ...]
    blocks: tuple[Block, ...]


class InMemoryStorage(StorageBase):
    """A store in this process's memory; one lock makes every operation atomic and isolated.

    Good for tests, notebooks and short-lived simulations. Values are immutable, so what it
    returns is shared, never copied (orphan reports, which are mappings, are copied).
    """

    def __init__(
        self,
        *,
        orphan_max_age: timedelta = ORPHAN_MAX_AGE,
        orphan_max_count: int = ORPHAN_MAX_COUNT,
    ) -> None:
        self._orphan_max_age, self._orphan_max_count = check_orphan_bounds(
            "InMemoryStorage", orphan_max_age, orphan_max_count
        )
        self._lock = threading.RLock()
        self._campaigns: dict[str, Campaign] = {}
        self._messages: dict[str, Message] = {}
        self._by_campaign: dict[str, dict[str, None]] = {}  # insertion-ordered id sets
        self._open: dict[str, dict[str, None]] = {}  # per campaign: queued or processing ids
        # Each number's message in each campaign: recipient -> campaign id -> message id.
        self._numbers: dict[str, dict[str, str]] = {}
        self._by_provider_id: dict[str, str] = {}
        self._timeline: dict[str, list[TimelineEvent]] = {}
        self._replies: dict[str, Reply] = {}
        self._unsubscribes: dict[str, Unsubscribe] = {}
        self._orphans: dict[str, list[tuple[int, Orphan]]] = {}  # (arrival number, report)
        self._arrivals = itertools.count()
        self._blocklist: dict[str, tuple[str, datetime]] = {}
        self._forgotten_blocks = 0  # blocklist entries under a forgotten number's hash
        self._evidence: dict[str, Evidence] = {}
        # Drawn once, for the hashes of forgotten numbers (secrecy, never a decision).
        self._salt = new_salt()
        self._closed = False

    def __repr__(self) -> str:
        return f"InMemoryStorage(campaigns={len(self._campaigns)}, messages={len(self._messages)})"

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("this InMemoryStorage is closed")

    def _campaign(self, campaign_id: str) -> Campaign:
        try:
            return self._campaigns[campaign_id]
        except KeyError:
            raise NotFoundError("campaign", campaign_id) from None

    # reads ------------------------------------------------------------------------------------

    def get_campaign(self, campaign_id: str) -> Campaign:
        with self._lock:
            self._check_open()
            return self._campaign(campaign_id)

    def list_campaigns(self) -> list[Campaign]:
        with self._lock:
            self._check_open()
            return sorted(self._campaigns.values(), key=lambda c: (c.created_at, c.id))

    def get_message(self, message_id: str) -> Message:
        with self._lock:
            self._check_open()
            try:
                return self._messages[message_id]
            except KeyError:
                raise NotFoundError("message", message_id) from None

    def get_messages(self, message_ids: Iterable[str]) -> dict[str, Message]:
        wanted = list(message_ids)
        with self._lock:
            self._check_open()
            stored = self._messages
            return {mid: stored[mid] for mid in dict.fromkeys(wanted) if mid in stored}

    def find_message_by_provider_id(self, provider_message_id: str) -> Message | None:
        with self._lock:
            self._check_open()
            message_id = self._by_provider_id.get(provider_message_id)
            return None if message_id is None else self._messages[message_id]

    def find_messages_by_provider_ids(
        self, provider_message_ids: Iterable[str]
    ) -> dict[str, Message]:
        wanted = list(provider_message_ids)
        with self._lock:
            self._check_open()
            owners = {pid: self._by_provider_id.get(pid) for pid in wanted}
            return {pid: self._messages[mid] for pid, mid in owners.items() if mid is not None}

    def iter_messages(self, campaign_id: str, *, batch_size: int = 1000) -> Iterator[Message]:
        check_batch_size("iter_messages.batch_size", batch_size)
        with self._lock:
            self._check_open()
            self._campaign(campaign_id)
            ids = list(self._by_campaign[campaign_id])
        return self._iterate(ids, batch_size)

    def _iterate(
        self, ids: list[str], batch_size: int, keep: Callable[[Message], bool] | None = None
    ) -> Iterator[Message]:
        """The messages of ``ids`` as they are when their batch is read; with ``keep``, those
        that still match it then (a scan's filter: what another thread changed since the scan
        began, a message claimed, is not yielded as it now is, as a SQL store's next page would
        not return it)."""
        for start in range(0, len(ids), batch_size):
            with self._lock:
                batch = [self._messages[i] for i in ids[start : start + batch_size]]
                if keep is not None:
                    batch = [m for m in batch if keep(m)]
            yield from batch

    def timeline(self, campaign_id: str) -> list[TimelineEvent]:
        with self._lock:
            self._check_open()
            self._campaign(campaign_id)
            return list(self._timeline[campaign_id])

    def _attributed(self, table: dict[str, _Inbound], campaign_id: str) -> list[_Inbound]:
        """Items attributed to the campaign, oldest first (call with the lock held)."""
        self._campaign(campaign_id)
        found = [item for item in table.values() if item.campaign_id == campaign_id]
        return sorted(found, key=lambda item: (item.at, item.id))

    def replies(self, campaign_id: str) -> list[Reply]:
        with self._lock:
            self._check_open()
            return self._attributed(self._replies, campaign_id)

    def unsubscribes(self, campaign_id: str, *, recipient: str | None = None) -> list[Unsubscribe]:
        with self._lock:
            self._check_open()
            found = self._attributed(self._unsubscribes, campaign_id)
        return found if recipient is None else [u for u in found if u.recipient == recipient]

    def campaign_counts(self, campaign_id: str) -> CampaignCounts:
        with self._lock:
            self._check_open()
            self._campaign(campaign_id)
            return CampaignCounts.of_messages(
                [self._messages[i] for i in self._by_campaign[campaign_id]],  # counted whole
                replies=self._attributed(self._replies, campaign_id),
                unsubscribes=self._attributed(self._unsubscribes, campaign_id),
            )

    def evidence(self, campaign_id: str) -> Evidence:
        with self._lock:
            self._check_open()
            self._campaign(campaign_id)
            return self._evidence.get(campaign_id) or Evidence(campaign_id=campaign_id)

    def messages_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> list[Message]:
        since = check_utc("since", since)
        until = None if before is None else check_utc("before", before)
        with self._lock:
            self._check_open()
            sent = (  # each campaign's message to that number, from the index
                self._messages[message_id]
                for message_id in self._numbers.get(recipient, {}).values()
            )
            found = [
                m
                for m in sent
                if m.last_attempt_at is not None
                and m.last_attempt_at >= since
                and (until is None or m.last_attempt_at <= until)
            ]
        return sorted(found, key=lambda m: (m.last_attempt_at, m.id))

    def iter_stale(
        self, *, submitted_before: datetime, batch_size: int = 1000
    ) -> Iterator[Message]:
        cutoff = check_utc("submitted_before", submitted_before)
        check_batch_size("iter_stale.batch_size", batch_size)

        def stale(m: Message) -> bool:
            return (
                m.status is MessageStatus.PROCESSING
                and m.last_attempt_at is not None
                and m.last_attempt_at < cutoff
            )

        with self._lock:
            self._check_open()
            found = [
                m
                for ids in self._open.values()
                for m in map(self._messages.__getitem__, ids)
                if stale(m)
            ]
        found.sort(key=lambda m: (m.last_attempt_at, m.id))
        return self._iterate([m.id for m in found], batch_size, stale)

    def iter_due(self, now: datetime, *, batch_size: int = 1000) -> Iterator[Message]:
        now = check_utc("now", now)
        check_batch_size("iter_due.batch_size", batch_size)

        def due(m: Message) -> bool:
            return m.status is MessageStatus.QUEUED and m.due_at is not None and m.due_at <= now

        def still_due(m: Message) -> bool:  # with the lock held
            return due(m) and self._campaigns[m.campaign_id].status is CampaignStatus.SENDING

        with self._lock:
            self._check_open()
            found = [
                m
                for campaign_id, ids in self._open.items()
                if self._campaigns[campaign_id].status is CampaignStatus.SENDING
                for m in map(self._messages.__getitem__, ids)
                if due(m)
            ]
        found.sort(key=lambda m: (m.due_at, m.id))
        return self._iterate([m.id for m in found], batch_size, still_due)

    def _evict_orphans(self, newest: datetime, undo: Any) -> None:
        """Drop the orphan reports received more than ``orphan_max_age`` before ``newest``, then
        the oldest past ``orphan_max_count`` (logged)."""
        cutoff = newest - min(self._orphan_max_age, newest - datetime.min.replace(tzinfo=UTC))
        entries = sorted(
            (arrival, pid, orphan.received_at)
            for pid, waiting in self._orphans.items()
            for arrival, orphan in waiting
        )
        excess = max(0, len(entries) - self._orphan_max_count)
        evicted = {arrival for arrival, _, at in entries if at < cutoff}
        evicted.update(arrival for arrival, _, _ in entries[:excess])
        if not evicted:
            return
        for pid in {pid for arrival, pid, _ in entries if arrival in evicted}:
            left = [entry for entry in self._orphans[pid] if entry[0] not in evicted]
            self._set(self._orphans, pid, left if left else _MISSING, undo)
        log_evicted(len(evicted), self._orphan_max_age, self._orphan_max_count)

    def orphans(self, provider_message_ids: Iterable[str]) -> list[Orphan]:
        wanted = set(provider_message_ids)
        with self._lock:
            self._check_open()
            kept = [entry for pid in wanted for entry in self._orphans.get(pid, ())]
        kept.sort(key=lambda entry: entry[0])
        return [attrs.evolve(o, report=copy.deepcopy(o.report)) for _, o in kept]

    def take_orphans(self, provider_message_id: str) -> list[Mapping[str, Any]]:
        # One atomic take: a report kept by another thread is taken now or left for later.
        with self._lock:
            self._check_open()
            return [orphan.report for _, orphan in self._orphans.pop(provider_message_id, [])]

    def _is_blocked(self, recipient: str) -> bool:
        """Blocked plainly or, once forgotten, under its hash (lock held)."""
        return recipient in self._blocklist or (
            self._forgotten_blocks > 0 and blocklist_key(self._salt, recipient) in self._blocklist
        )

    def blocked(self, recipients: Iterable[str]) -> frozenset[str]:
        wanted = set(recipients)
        with self._lock:
            self._check_open()
            found = wanted & self._blocklist.keys()
            if self._forgotten_blocks:
                found.update(
                    r for r in wanted - found if blocklist_key(self._salt, r) in self._blocklist
                )
            return frozenset(found)

    # commit: check everything, then write with an undo log ------------------------------------

    def commit(self, change: Change) -> Committed:
        if not isinstance(change, Change):
            raise ValidationError("commit", f"expected a Change, got {type(change).__name__}")
        with self._lock:
            self._check_open()
            if change.is_empty:
                return Committed()
            plan = self._check(change)
            undo: _Undo = []
            try:
                return self._write(change, plan, undo)
            except BaseException:
                for function, arguments in reversed(undo):
                    function(*arguments)
                raise

    def _check(self, change: Change) -> _Plan:
        """Everything that could refuse the change, before anything is written (lock held)."""
        new_campaigns = {c.id for c in change.new_campaigns}
        for campaign in change.new_campaigns:
            if campaign.id in self._campaigns:
                raise DuplicateError("campaign", campaign.id)
        for campaign in change.campaigns:
            stored = self._campaign(campaign.id)
            if stored.version != campaign.version:
                raise ConflictError("campaign", campaign.id, campaign.version, stored.version)

        def require(campaign_id: str) -> None:
            if campaign_id not in self._campaigns and campaign_id not in new_campaigns:
                raise NotFoundError("campaign", campaign_id)

        claimed: dict[str, str] = {}  # provider ids this change gives a message
        for message in change.messages:
            stored_message = self._messages.get(message.id)
            if stored_message is None:
                raise NotFoundError("message", message.id)
            if stored_message.version != message.version:
                raise ConflictError("message", message.id, message.version, stored_message.version)
            if (stored_message.campaign_id, stored_message.recipient) != (
                message.campaign_id,
                message.recipient,
            ):
                raise ValidationError(
                    "Message", f"message {message.id!r}: campaign and recipient cannot change"
                )
            self._claim(message, claimed)
        recipients: set[tuple[str, str]] = set()
        for message in change.new_messages:
            require(message.campaign_id)
            if message.id in self._messages:
                raise DuplicateError("message", message.id)
            key = (message.campaign_id, message.recipient)
            if self._has_message_to(*key) or key in recipients:
                raise DuplicateError(
                    "message",
                    message.id,
                    f"campaign {message.campaign_id!r} already has a message to "
                    f"{mask_number(message.recipient)}",
                )
            recipients.add(key)
            self._claim(message, claimed)
        for event in change.events:
            require(event.campaign_id)
        for campaign_id in itertools.chain(
            (r.campaign_id for r in change.replies), (u.campaign_id for u in change.unsubscribes)
        ):
            if campaign_id is not None:
                require(campaign_id)
        for orphan in change.orphans:
            if not isinstance(orphan.report, Mapping):
                raise ValidationError("Orphan.report", "an orphan report is a mapping")
        for evidence in change.evidence:
            require(evidence.campaign_id)
        for completion in change.completions:
            require(completion.campaign_id)
        return _Plan(
            replies=_new_items(change.replies, self._replies),
            unsubscribes=_new_items(change.unsubscribes, self._unsubscribes),
            blocks=self._new_blocks(change.blocks),
        )

    def _claim(self, message: Message, claimed: dict[str, str]) -> None:
        """Refuse a provider id that another message has, stored or in this change."""
        for provider_id in _provider_ids(message):
            owner = self._by_provider_id.get(provider_id, claimed.get(provider_id))
            if owner is not None and owner != message.id:
                raise DuplicateError(
                    "provider message id", provider_id, f"it belongs to message {owner!r}"
                )
            claimed[provider_id] = message.id

    def _new_blocks(self, blocks: tuple[Block, ...]) -> tuple[Block, ...]:
        """The blocks of numbers not blocked yet, the first of each number."""
        fresh: dict[str, Block] = {}
        for block in blocks:
            if block.recipient not in fresh and not self._is_blocked(block.recipient):
                fresh[block.recipient] = block
        return tuple(fresh.values())

    def _write(self, change: Change, plan: _Plan, undo: _Undo) -> Committed:
        """Write a checked change, noting in ``undo`` how to take back each write."""
        campaigns: dict[str, Campaign] = {}
        for campaign in change.campaigns:
            campaigns[campaign.id] = attrs.evolve(campaign, version=campaign.version + 1)
            self._set(self._campaigns, campaign.id, campaigns[campaign.id], undo)
        for campaign in change.new_campaigns:
            campaigns[campaign.id] = campaign
            self._set(self._campaigns, campaign.id, campaign, undo)
            for table in (self._by_campaign, self._open):
                self._set(table, campaign.id, {}, undo)
            self._set(self._timeline, campaign.id, [], undo)
        updated = [stored_version(m, m.version + 1) for m in change.messages]
        for message in itertools.chain(updated, change.new_messages):
            self._put(message, undo)
        for event in change.events:
            self._append(event, undo)
        for reply in plan.replies:
            self._set(self._replies, reply.id, reply, undo)
        for unsubscribe in plan.unsubscribes:
            self._set(self._unsubscribes, unsubscribe.id, unsubscribe, undo)
        for block in plan.blocks:
            self._set(self._blocklist, block.recipient, (block.reason, block.at), undo)
        for provider_id in change.taken_orphans:
            if provider_id in self._orphans:
                self._set(self._orphans, provider_id, _MISSING, undo)
        for orphan in change.orphans:
            kept = (next(self._arrivals), attrs.evolve(orphan, report=copy.deepcopy(orphan.report)))
            waiting = self._orphans.get(orphan.provider_message_id, [])
            self._set(self._orphans, orphan.provider_message_id, [*waiting, kept], undo)
        if change.orphans:
            self._evict_orphans(max(o.received_at for o in change.orphans), undo)
        totals: dict[str, Evidence] = {}
        for evidence in change.evidence:
            stored = self._evidence.get(evidence.campaign_id)
            total = (stored or Evidence(campaign_id=evidence.campaign_id)).plus(evidence)
            self._set(self._evidence, evidence.campaign_id, total, undo)
            totals[evidence.campaign_id] = total
        completed = []
        for completion in change.completions:
            done = self._complete(completion.campaign_id, completion.at, undo)
            if done is not None:
                campaigns[done.id] = done
                completed.append(done)
        return Committed(
            campaigns=tuple(campaigns.values()),
            messages=(*updated, *change.new_messages),
            replies=plan.replies,
            unsubscribes=plan.unsubscribes,
            blocks=plan.blocks,
            completed=tuple(completed),
            evidence=tuple(totals.values()),
        )

    def _complete(self, campaign_id: str, at: datetime, undo: _Undo) -> Campaign | None:
        """Complete the campaign if it is SENDING and none of its messages is open."""
        campaign = self._campaigns[campaign_id]
        if campaign.status is not CampaignStatus.SENDING or self._open[campaign_id]:
            return None
        done = campaign.complete(at=at)
        completed = attrs.evolve(done.campaign, version=campaign.version + 1)
        self._set(self._campaigns, campaign_id, completed, undo)
        self._append(done.event, undo)
        return completed

    # single writes, each noted in the undo log ---------------------------------------------

    def _set(self, table: dict[Any, Any], key: Any, value: Any, undo: _Undo) -> None:
        """``table[key] = value`` (``_MISSING``: delete it)."""
        undo.append((_restore, (table, key, table.get(key, _MISSING))))
        if value is _MISSING:
            del table[key]
        else:
            table[key] = value

    def _append(self, event: TimelineEvent, undo: _Undo) -> None:
        history = self._timeline[event.campaign_id]
        undo.append((_truncate, (history, len(history))))
        history.append(event)

    def _put(self, message: Message, undo: _Undo) -> None:
        """Store a message (new, or a new version of a stored one) and index it."""
        old = self._messages.get(message.id)
        added = [pid for pid in _provider_ids(message) if pid not in self._by_provider_id]
        undo.append((self._unput, (message, old, added)))
        campaign_id = message.campaign_id
        self._messages[message.id] = message
        self._by_campaign[campaign_id][message.id] = None
        if old is not None and old.recipient != message.recipient:  # forget() renames
            self._unindex_number(campaign_id, old.recipient)
        self._index_number(campaign_id, message.recipient, message.id)
        for provider_id in added:
            self._by_provider_id[provider_id] = message.id
        if message.status in _OPEN:
            self._open[campaign_id][message.id] = None
        else:
            self._open[campaign_id].pop(message.id, None)

    def _unput(self, message: Message, old: Message | None, added: list[str]) -> None:
        """Undo ``_put(message)``: ``old`` stored again, as it was indexed."""
        campaign_id = message.campaign_id
        for provider_id in added:
            self._by_provider_id.pop(provider_id, None)
        self._unindex_number(campaign_id, message.recipient)
        if old is None:
            self._messages.pop(message.id, None)
            self._by_campaign[campaign_id].pop(message.id, None)
            self._open[campaign_id].pop(message.id, None)
            return
        self._messages[old.id] = old
        self._index_number(campaign_id, old.recipient, old.id)
        if old.status in _OPEN:
            self._open[campaign_id][old.id] = None
        else:
            self._open[campaign_id].pop(old.id, None)

    def _has_message_to(self, campaign_id: str, recipient: str) -> bool:
        return campaign_id in self._numbers.get(recipient, {})

    def _index_number(self, campaign_id: str, recipient: str, message_id: str) -> None:
        """Index the campaign's message to ``recipient`` (one per campaign and number)."""
        self._numbers.setdefault(recipient, {})[campaign_id] = message_id

    def _unindex_number(self, campaign_id: str, recipient: str) -> None:
        campaigns = self._numbers.get(recipient)
        if campaigns is not None:
            campaigns.pop(campaign_id, None)
            if not campaigns:
                del self._numbers[recipient]

    # personal data ----------------------------------------------------------------------------

    def forget(self, recipient: str) -> int:
        recipient = check_forgettable(recipient)
        alias = pseudonym(self._salt, recipient)
        with self._lock:
            self._check_open()
            # Everything is decided before anything changes: all or nothing.
            messages = [m for m in self._messages.values() if m.recipient == recipient]
            for message in messages:
                if self._has_message_to(message.campaign_id, alias):
                    raise StorageError(
                        "forget: two forgotten numbers of one campaign have the same "
                        "pseudonym; nothing was changed"
                    )
            renamed = [attrs.evolve(m, recipient=alias, version=m.version + 1) for m in messages]
            replies = [
                attrs.evolve(r, recipient=alias, text="")
                for r in self._replies.values()
                if r.recipient == recipient
            ]
            unsubscribes = [
                attrs.evolve(u, recipient=alias, keyword="")
                for u in self._unsubscribes.values()
                if u.recipient == recipient
            ]
            orphans: dict[str, list[tuple[int, Orphan]]] = {}
            scrubbed = 0  # reports that named the number
            for provider_id, waiting in self._orphans.items():
                kept = list(waiting)
                for index, (arrival, orphan) in enumerate(waiting):
                    cleaned, found = scrub(orphan.report, recipient, alias)
                    if found:
                        kept[index] = (arrival, attrs.evolve(orphan, report=cleaned))
                        orphans[provider_id] = kept
                        scrubbed += 1
            blocked = self._blocklist.get(recipient)
            undo: _Undo = []
            try:
                for message in renamed:
                    self._put(message, undo)
                for reply in replies:
                    self._set(self._replies, reply.id, reply, undo)
                for unsubscribe in unsubscribes:
                    self._set(self._unsubscribes, unsubscribe.id, unsubscribe, undo)
                for provider_id, kept in orphans.items():
                    self._set(self._orphans, provider_id, kept, undo)
                if blocked is not None:
                    self._set(self._blocklist, recipient, _MISSING, undo)
                    # Never also under its hash: block() refuses a forgotten number's hash.
                    self._set(self._blocklist, blocklist_key(self._salt, recipient), blocked, undo)
            except BaseException:
                for function, arguments in reversed(undo):
                    function(*arguments)
                raise
            if blocked is not None:
                self._forgotten_blocks += 1
            named = len(renamed) + len(replies) + len(unsubscribes) + scrubbed
            return named + (blocked is not None)

    def close(self) -> None:
        with self._lock:
            self._closed = True


def _new_items(items: tuple[_Inbound, ...], stored: Mapping[str, _Inbound]) -> tuple[_Inbound, ...]:
    """The items whose id is not stored, the first of each id."""
    fresh: dict[str, _Inbound] = {}
    for item in items:
        if item.id not in stored and item.id not in fresh:
            fresh[item.id] = item
    return tuple(fresh.values())
