"""One event's decision as one value: ``Change``, which a store commits whole or not at all.

The engine reads what an event needs, decides with pure functions of what it read and ``now``,
and hands the store one ``Change``: the campaigns and messages to compare-and-set, the new
messages, the history events, the replies and unsubscribes, the numbers to block, the orphan
reports kept or consumed, the suspension evidence the outcomes add, and the campaigns to
complete if nothing of them is left to send. ``Storage.commit(change)`` writes all of it in one
transaction, or nothing: a conflict (``ConflictError``), a duplicate (``DuplicateError``), a
full disk or a killed process leaves the store exactly as it was, and the engine reads again and
decides again. Replaying an event whose change was committed decides nothing more (the message
is final or its attempt known), so a provider re-sending a webhook changes nothing.

``Evidence`` is what a campaign's suspension policy sees: the outcomes observed since the
campaign last started or resumed, kept in the store so every engine, process and host sees the
same evidence; an engine's monitors are only caches of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

import attrs

from sms_campaign_stats._core.validate import check_utc
from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.model import Block, Campaign, Message, Reply, TimelineEvent, Unsubscribe

__all__ = [
    "ORPHAN_MAX_AGE",
    "ORPHAN_MAX_COUNT",
    "Change",
    "Committed",
    "Completion",
    "Evidence",
    "Orphan",
]

T = TypeVar("T")

#: How long a store keeps an orphan report, before the newest one it keeps (the store has no
#: clock): a report whose message is never submitted, or a forged one, does not stay forever.
ORPHAN_MAX_AGE = timedelta(days=7)
#: How many orphan reports a store keeps at most; past that, the oldest are evicted (logged).
ORPHAN_MAX_COUNT = 100_000


def _items(kind: type[T], field: str, value: object) -> tuple[T, ...]:
    """``value`` as a tuple of ``kind``, else a ``ValidationError`` naming ``field``."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValidationError(f"Change.{field}", f"expected a sequence of {kind.__name__}")
    items = tuple(value)
    for item in items:
        if not isinstance(item, kind):
            raise ValidationError(
                f"Change.{field}", f"expected {kind.__name__} items, got {type(item).__name__}"
            )
    return cast("tuple[T, ...]", items)


def _count(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"Evidence.{attribute.name}", "must be a whole number >= 0")


@attrs.frozen(kw_only=True)
class Evidence:
    """Outcomes a campaign's suspension policy has observed since the campaign last started or
    resumed: the store's counts, or (in a ``Change``) the counts an event adds. ``restart``
    (in a change): set the campaign's evidence to these counts rather than add them (a start or a
    resume: the monitor starts afresh)."""

    campaign_id: str
    delivered: int = attrs.field(default=0, validator=_count)
    soft_bounces: int = attrs.field(default=0, validator=_count)
    hard_bounces: int = attrs.field(default=0, validator=_count)
    unsubscribes: int = attrs.field(default=0, validator=_count)
    restart: bool = False

    def plus(self, other: Evidence) -> Evidence:
        """These counts with ``other``'s added (or replaced by them, if ``other.restart``)."""
        if other.restart:
            return attrs.evolve(other, campaign_id=self.campaign_id, restart=False)
        return Evidence(
            campaign_id=self.campaign_id,
            delivered=self.delivered + other.delivered,
            soft_bounces=self.soft_bounces + other.soft_bounces,
            hard_bounces=self.hard_bounces + other.hard_bounces,
            unsubscribes=self.unsubscribes + other.unsubscribes,
        )

    @property
    def is_empty(self) -> bool:
        """Nothing observed (and no restart)."""
        return not (
            self.restart
            or self.delivered
            or self.soft_bounces
            or self.hard_bounces
            or self.unsubscribes
        )


def _received_at(at: datetime) -> datetime:
    return check_utc("Orphan.received_at", at)


def _completion_at(at: datetime) -> datetime:
    return check_utc("Completion.at", at)


@attrs.frozen(kw_only=True)
class Orphan:
    """A delivery report whose provider message id no message has yet, as kept: the report's
    ``to_dict()`` and when it was received."""

    provider_message_id: str
    report: Mapping[str, Any]
    received_at: datetime = attrs.field(converter=_received_at)


@attrs.frozen(kw_only=True)
class Completion:
    """Complete the campaign in the same transaction if, once the change is written, it is still
    SENDING and none of its messages is queued or processing (the last final outcome completes
    it, whichever worker applies it)."""

    campaign_id: str
    at: datetime = attrs.field(converter=_completion_at)


def _campaigns(value: Iterable[Campaign]) -> tuple[Campaign, ...]:
    return _items(Campaign, "campaigns", value)


def _new_campaigns(value: Iterable[Campaign]) -> tuple[Campaign, ...]:
    return _items(Campaign, "new_campaigns", value)


def _messages(value: Iterable[Message]) -> tuple[Message, ...]:
    return _items(Message, "messages", value)


def _new_messages(value: Iterable[Message]) -> tuple[Message, ...]:
    return _items(Message, "new_messages", value)


def _events(value: Iterable[TimelineEvent]) -> tuple[TimelineEvent, ...]:
    return _items(TimelineEvent, "events", value)


def _replies(value: Iterable[Reply]) -> tuple[Reply, ...]:
    return _items(Reply, "replies", value)


def _unsubscribes(value: Iterable[Unsubscribe]) -> tuple[Unsubscribe, ...]:
    return _items(Unsubscribe, "unsubscribes", value)


def _blocks(value: Iterable[Block]) -> tuple[Block, ...]:
    return _items(Block, "blocks", value)


def _orphans(value: Iterable[Orphan]) -> tuple[Orphan, ...]:
    return _items(Orphan, "orphans", value)


def _taken_orphans(value: Iterable[str]) -> tuple[str, ...]:
    return _items(str, "taken_orphans", value)


def _evidence(value: Iterable[Evidence]) -> tuple[Evidence, ...]:
    return _items(Evidence, "evidence", value)


def _completions(value: Iterable[Completion]) -> tuple[Completion, ...]:
    return _items(Completion, "completions", value)


@attrs.frozen(kw_only=True)
class Change:
    """Everything one event decided, for ``Storage.commit``: all of it is written, or nothing.

    * ``campaigns``, ``messages``: compare-and-set each (the stored ``version`` must equal the
      value's; stored with ``version + 1``), else ``ConflictError``;
    * ``new_campaigns``, ``new_messages``: inserted, else ``DuplicateError``;
    * ``events``: appended to their campaigns' histories, in order;
    * ``replies``, ``unsubscribes``: recorded unless one with the same id is (idempotent);
    * ``blocks``: numbers blocklisted unless already blocked (the first reason stays);
    * ``orphans``: reports kept for a provider id no message has yet; ``taken_orphans``: the
      provider ids whose kept reports this change applied (removed);
    * ``evidence``: suspension evidence added to (or restarting) each campaign's;
    * ``completions``: campaigns completed if nothing of them is left to send.
    """

    campaigns: tuple[Campaign, ...] = attrs.field(default=(), converter=_campaigns)
    new_campaigns: tuple[Campaign, ...] = attrs.field(default=(), converter=_new_campaigns)
    messages: tuple[Message, ...] = attrs.field(default=(), converter=_messages)
    new_messages: tuple[Message, ...] = attrs.field(default=(), converter=_new_messages)
    events: tuple[TimelineEvent, ...] = attrs.field(default=(), converter=_events)
    replies: tuple[Reply, ...] = attrs.field(default=(), converter=_replies)
    unsubscribes: tuple[Unsubscribe, ...] = attrs.field(default=(), converter=_unsubscribes)
    blocks: tuple[Block, ...] = attrs.field(default=(), converter=_blocks)
    orphans: tuple[Orphan, ...] = attrs.field(default=(), converter=_orphans)
    taken_orphans: tuple[str, ...] = attrs.field(default=(), converter=_taken_orphans)
    evidence: tuple[Evidence, ...] = attrs.field(default=(), converter=_evidence)
    completions: tuple[Completion, ...] = attrs.field(default=(), converter=_completions)

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        for message in (*self.messages, *self.new_messages):
            if message.id in seen:
                raise ValidationError("Change.messages", f"message {message.id!r} is twice")
            seen.add(message.id)
        ids = [campaign.id for campaign in (*self.campaigns, *self.new_campaigns)]
        if len(ids) != len(set(ids)):
            raise ValidationError("Change.campaigns", "a campaign is twice")

    @property
    def is_empty(self) -> bool:
        """Nothing to write."""
        return not (
            self.campaigns
            or self.new_campaigns
            or self.messages
            or self.new_messages
            or self.events
            or self.replies
            or self.unsubscribes
            or self.blocks
            or self.orphans
            or self.taken_orphans
            or any(not e.is_empty for e in self.evidence)
            or self.completions
        )

    def merge(self, other: Change) -> Change:
        """This change followed by ``other``, as one (a message or campaign in both: ``other``'s
        value, from this change's read version)."""
        return Change(
            campaigns=_last_of(self.campaigns, other.campaigns),
            new_campaigns=(*self.new_campaigns, *other.new_campaigns),
            messages=_last_of(self.messages, other.messages),
            new_messages=(*self.new_messages, *other.new_messages),
            events=(*self.events, *other.events),
            replies=(*self.replies, *other.replies),
            unsubscribes=(*self.unsubscribes, *other.unsubscribes),
            blocks=(*self.blocks, *other.blocks),
            orphans=(*self.orphans, *other.orphans),
            taken_orphans=(*self.taken_orphans, *other.taken_orphans),
            evidence=(*self.evidence, *other.evidence),
            completions=(*self.completions, *other.completions),
        )


def _last_of(first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
    """``first`` then ``second``, one value per id: the later value, at the earlier version."""
    merged: dict[str, Any] = {}
    for item in first:
        merged[item.id] = item
    for item in second:
        earlier = merged.get(item.id)
        merged[item.id] = item if earlier is None else attrs.evolve(item, version=earlier.version)
    return tuple(merged.values())


@attrs.frozen(kw_only=True)
class Committed:
    """What ``commit`` wrote: the campaigns and messages as stored now (their new versions, new
    ones included), the replies, unsubscribes and blocks that were not already stored (a
    repeated webhook writes none), and the campaigns it completed.

    ``evidence``: the suspension evidence of each campaign the change added to (or restarted),
    as stored once the change was written, which counts the outcomes other writers committed
    between the engine's read and this commit. The engine decides a suspension from it that
    neither writer's outcomes reached alone. A store that leaves it empty (a store written
    before it existed) is taken to have had no other writer meanwhile."""

    campaigns: tuple[Campaign, ...] = ()
    messages: tuple[Message, ...] = ()
    replies: tuple[Reply, ...] = ()
    unsubscribes: tuple[Unsubscribe, ...] = ()
    blocks: tuple[Block, ...] = ()
    completed: tuple[Campaign, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    # The messages by id, built by the first ``message()`` call: the engine asks for each
    # message of a batch (a scan each was quadratic: 1,000 messages, 500,000 comparisons).
    _by_id: dict[str, Message] = attrs.field(
        init=False, factory=dict, eq=False, repr=False, hash=False
    )

    def message(self, message_id: str) -> Message | None:
        """The stored message of that id, if this commit wrote it (the first, if several)."""
        index = self._by_id
        if not index and self.messages:
            # Built aside, then added in one step (another thread may be reading it).
            index.update({m.id: m for m in reversed(self.messages)})
        return index.get(message_id)
