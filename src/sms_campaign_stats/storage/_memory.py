"""``InMemoryStorage``: the reference implementation of the storage contract, thread-safe."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
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
from sms_campaign_stats.lifecycle._statuses import MessageStatus
from sms_campaign_stats.model import Block, Campaign, Message, Reply, TimelineEvent, Unsubscribe
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


def _require(kind: str, value: object, expected: type) -> None:
    if not isinstance(value, expected):
        raise ValidationError(kind, f"expected {expected.__name__}, got {type(value).__name__}")


def _provider_ids(message: Message) -> list[str]:
    return [a.provider_message_id for a in message.attempts if a.provider_message_id is not None]


class InMemoryStorage:
    """A store in this process's memory; one lock makes every operation atomic and isolated.

    Good for tests, notebooks and short-lived simulations. Values are immutable, so what it
    returns is shared, never copied.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._campaigns: dict[str, Campaign] = {}
        self._messages: dict[str, Message] = {}
        self._by_campaign: dict[str, dict[str, None]] = {}  # insertion-ordered id sets
        self._by_recipient: dict[tuple[str, str], str] = {}
        self._by_provider_id: dict[str, str] = {}
        self._timeline: dict[str, list[TimelineEvent]] = {}
        self._replies: dict[str, Reply] = {}
        self._unsubscribes: dict[str, Unsubscribe] = {}
        self._orphans: dict[str, list[Mapping[str, Any]]] = {}
        self._blocklist: dict[str, tuple[str, datetime]] = {}
        self._forgotten_blocks = 0  # blocklist entries under a forgotten number's hash
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

    def _check_events(self, events: Sequence[TimelineEvent], known: set[str]) -> None:
        for event in events:
            _require("TimelineEvent", event, TimelineEvent)
            if event.campaign_id not in known:
                raise NotFoundError("campaign", event.campaign_id)

    # campaigns ---------------------------------------------------------------------------

    def add_campaign(self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()) -> None:
        _require("Campaign", campaign, Campaign)
        with self._lock:
            self._check_open()
            if campaign.id in self._campaigns:
                raise DuplicateError("campaign", campaign.id)
            self._check_events(events, {*self._campaigns, campaign.id})
            self._campaigns[campaign.id] = campaign
            self._by_campaign[campaign.id] = {}
            self._timeline[campaign.id] = []
            self._append(events)

    def get_campaign(self, campaign_id: str) -> Campaign:
        with self._lock:
            self._check_open()
            return self._campaign(campaign_id)

    def update_campaign(
        self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()
    ) -> Campaign:
        _require("Campaign", campaign, Campaign)
        with self._lock:
            self._check_open()
            stored = self._campaign(campaign.id)
            if stored.version != campaign.version:
                raise ConflictError("campaign", campaign.id, campaign.version, stored.version)
            self._check_events(events, set(self._campaigns))
            new = attrs.evolve(campaign, version=campaign.version + 1)
            self._campaigns[campaign.id] = new
            self._append(events)
            return new

    def list_campaigns(self) -> list[Campaign]:
        with self._lock:
            self._check_open()
            return sorted(self._campaigns.values(), key=lambda c: (c.created_at, c.id))

    # messages ----------------------------------------------------------------------------

    def add_messages(self, messages: Iterable[Message]) -> int:
        batch = list(messages)
        with self._lock:
            self._check_open()
            seen_ids: set[str] = set()
            seen_recipients: set[tuple[str, str]] = set()
            seen_provider_ids: set[str] = set()
            for message in batch:
                _require("Message", message, Message)
                self._campaign(message.campaign_id)
                if message.id in self._messages or message.id in seen_ids:
                    raise DuplicateError("message", message.id)
                key = (message.campaign_id, message.recipient)
                if key in self._by_recipient or key in seen_recipients:
                    raise DuplicateError(
                        "message",
                        message.id,
                        f"campaign {message.campaign_id!r} already has a message to "
                        f"{mask_number(message.recipient)}",
                    )
                for provider_id in _provider_ids(message):
                    if provider_id in self._by_provider_id or provider_id in seen_provider_ids:
                        raise DuplicateError("provider message id", provider_id)
                    seen_provider_ids.add(provider_id)
                seen_ids.add(message.id)
                seen_recipients.add(key)
            for message in batch:
                self._put(message)
            return len(batch)

    def _put(self, message: Message) -> None:
        self._messages[message.id] = message
        self._by_campaign[message.campaign_id][message.id] = None
        self._by_recipient[(message.campaign_id, message.recipient)] = message.id
        for provider_id in _provider_ids(message):
            self._by_provider_id[provider_id] = message.id

    def get_message(self, message_id: str) -> Message:
        with self._lock:
            self._check_open()
            try:
                return self._messages[message_id]
            except KeyError:
                raise NotFoundError("message", message_id) from None

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

    def update_message(self, message: Message) -> Message:
        return self.update_messages([message])[0]

    def update_messages(
        self, messages: Sequence[Message], *, blocks: Sequence[Block] = ()
    ) -> list[Message]:
        batch = list(messages)
        new_blocks = list(blocks)
        for block in new_blocks:
            _require("Block", block, Block)
        with self._lock:
            self._check_open()
            claimed: dict[str, str] = {}
            seen: set[str] = set()
            for message in batch:
                _require("Message", message, Message)
                stored = self._messages.get(message.id)
                if stored is None:
                    raise NotFoundError("message", message.id)
                if message.id in seen:
                    raise ValidationError(
                        "update_messages", f"message {message.id!r} appears twice in one batch"
                    )
                seen.add(message.id)
                if stored.version != message.version:
                    raise ConflictError("message", message.id, message.version, stored.version)
                if (stored.campaign_id, stored.recipient) != (
                    message.campaign_id,
                    message.recipient,
                ):
                    raise ValidationError(
                        "Message", f"message {message.id!r}: campaign and recipient cannot change"
                    )
                for provider_id in _provider_ids(message):
                    owner = self._by_provider_id.get(provider_id, claimed.get(provider_id))
                    if owner is not None and owner != message.id:
                        raise DuplicateError(
                            "provider message id", provider_id, f"it belongs to message {owner!r}"
                        )
                    claimed[provider_id] = message.id
            updated = [m._replace(version=m.version + 1) for m in batch]
            for message in updated:
                self._put(message)
            for block in new_blocks:
                self._add_block(block.recipient, block.reason, block.at)
            return updated

    def iter_messages(self, campaign_id: str, *, batch_size: int = 1000) -> Iterator[Message]:
        if batch_size < 1:
            raise ValidationError("iter_messages.batch_size", "must be at least 1")
        with self._lock:
            self._check_open()
            self._campaign(campaign_id)
            ids = list(self._by_campaign[campaign_id])
        return self._iterate(ids, batch_size)

    def _iterate(self, ids: list[str], batch_size: int) -> Iterator[Message]:
        for start in range(0, len(ids), batch_size):
            with self._lock:
                batch = [self._messages[i] for i in ids[start : start + batch_size]]
            yield from batch

    # history -----------------------------------------------------------------------------

    def _append(self, events: Sequence[TimelineEvent]) -> None:
        for event in events:
            self._timeline[event.campaign_id].append(event)

    def append_events(self, events: Sequence[TimelineEvent]) -> None:
        batch = list(events)
        with self._lock:
            self._check_open()
            self._check_events(batch, set(self._campaigns))
            self._append(batch)

    def timeline(self, campaign_id: str) -> list[TimelineEvent]:
        with self._lock:
            self._check_open()
            self._campaign(campaign_id)
            return list(self._timeline[campaign_id])

    # replies and unsubscribes -----------------------------------------------------------

    def _record(self, kind: str, table: dict[str, _Inbound], item: _Inbound) -> bool:
        _require(kind, item, Reply if kind == "Reply" else Unsubscribe)
        with self._lock:
            self._check_open()
            if item.campaign_id is not None:
                self._campaign(item.campaign_id)
            if item.id in table:
                return False
            table[item.id] = item
            return True

    def _attributed(self, table: dict[str, _Inbound], campaign_id: str) -> list[_Inbound]:
        """Items attributed to the campaign, oldest first (call with the lock held)."""
        self._campaign(campaign_id)
        found = [item for item in table.values() if item.campaign_id == campaign_id]
        return sorted(found, key=lambda item: (item.at, item.id))

    def record_reply(self, reply: Reply) -> bool:
        return self._record("Reply", self._replies, reply)

    def replies(self, campaign_id: str) -> list[Reply]:
        with self._lock:
            self._check_open()
            return self._attributed(self._replies, campaign_id)

    def record_unsubscribe(self, unsubscribe: Unsubscribe) -> bool:
        return self._record("Unsubscribe", self._unsubscribes, unsubscribe)

    def unsubscribes(self, campaign_id: str) -> list[Unsubscribe]:
        with self._lock:
            self._check_open()
            return self._attributed(self._unsubscribes, campaign_id)

    # aggregates ---------------------------------------------------------------------------

    def campaign_counts(self, campaign_id: str) -> CampaignCounts:
        with self._lock:
            self._check_open()
            self._campaign(campaign_id)
            return CampaignCounts.of_messages(
                (self._messages[i] for i in self._by_campaign[campaign_id]),
                replies=self._attributed(self._replies, campaign_id),
                unsubscribes=self._attributed(self._unsubscribes, campaign_id),
            )

    # engine support -----------------------------------------------------------------------

    def latest_message_to(self, recipient: str, *, since: datetime) -> Message | None:
        since = check_utc("since", since)
        with self._lock:
            self._check_open()
            found = [
                m
                for m in self._messages.values()
                if m.recipient == recipient
                and m.last_attempt_at is not None
                and m.last_attempt_at >= since
            ]
        return max(found, key=lambda m: (m.last_attempt_at, m.id), default=None)

    def iter_stale(
        self, *, submitted_before: datetime, batch_size: int = 1000
    ) -> Iterator[Message]:
        cutoff = check_utc("submitted_before", submitted_before)
        if batch_size < 1:
            raise ValidationError("iter_stale.batch_size", "must be at least 1")
        with self._lock:
            self._check_open()
            ids = [
                m.id
                for m in self._messages.values()
                if m.status is MessageStatus.PROCESSING
                and m.last_attempt_at is not None
                and m.last_attempt_at < cutoff
            ]
        return self._iterate(ids, batch_size)

    def add_orphan(
        self, provider_message_id: str, report: Mapping[str, Any], *, received_at: datetime
    ) -> None:
        check_utc("received_at", received_at)
        if not isinstance(report, Mapping):
            raise ValidationError("report", "an orphan report is a mapping")
        with self._lock:
            self._check_open()
            self._orphans.setdefault(provider_message_id, []).append(dict(report))

    def take_orphans(self, provider_message_id: str) -> list[Mapping[str, Any]]:
        with self._lock:
            self._check_open()
            return self._orphans.pop(provider_message_id, [])

    def _add_block(self, recipient: str, reason: str, at: datetime) -> bool:
        """Block a number unless it is blocked already, plainly or forgotten (lock held)."""
        if recipient in self._blocklist or (
            self._forgotten_blocks and blocklist_key(self._salt, recipient) in self._blocklist
        ):
            return False
        self._blocklist[recipient] = (reason, at)
        return True

    def block(self, recipient: str, *, reason: str, at: datetime) -> bool:
        at = check_utc("at", at)
        with self._lock:
            self._check_open()
            return self._add_block(recipient, reason, at)

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

    # personal data ------------------------------------------------------------------------

    def forget(self, recipient: str) -> int:
        recipient = check_forgettable(recipient)
        alias = pseudonym(self._salt, recipient)
        with self._lock:
            self._check_open()
            # Everything is decided before anything changes: all or nothing.
            messages = [m for m in self._messages.values() if m.recipient == recipient]
            for message in messages:
                if (message.campaign_id, alias) in self._by_recipient:
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
            orphans: list[tuple[list[Mapping[str, Any]], int, Mapping[str, Any]]] = []
            for waiting in self._orphans.values():
                for index, report in enumerate(waiting):
                    cleaned, found = scrub(report, recipient, alias)
                    if found:
                        orphans.append((waiting, index, cleaned))
            blocked = self._blocklist.get(recipient)
            for message in renamed:
                del self._by_recipient[(message.campaign_id, recipient)]
                self._put(message)
            for reply in replies:
                self._replies[reply.id] = reply
            for unsubscribe in unsubscribes:
                self._unsubscribes[unsubscribe.id] = unsubscribe
            for waiting, index, cleaned in orphans:
                waiting[index] = cleaned
            if blocked is not None:
                del self._blocklist[recipient]
                # Never also under its hash: block() refuses a forgotten number's hash.
                self._blocklist[blocklist_key(self._salt, recipient)] = blocked
                self._forgotten_blocks += 1
            return (
                len(renamed)
                + len(replies)
                + len(unsubscribes)
                + len(orphans)
                + (blocked is not None)
            )

    def close(self) -> None:
        with self._lock:
            self._closed = True
