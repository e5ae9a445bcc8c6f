"""``CampaignCounts``: the aggregate every report is built from, and that merges.

A store counts where the data lives (SQL ``GROUP BY`` in SQLite) and returns a
``CampaignCounts``; ``CampaignCounts.of_messages`` counts an iterable of messages the same way.
Counts are keyed by the *combination* of lists a message belongs to, so that a message in two
lists is counted once in the totals and once in each list; the few combinations are expanded
when the report is built. Merging is pointwise addition: associative, commutative, with
``CampaignCounts()`` as identity, so chunks, processes or another engine can each count a part.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter
from types import MappingProxyType
from typing import NamedTuple

import attrs

from sms_campaign_stats._core.shape import MessageShape
from sms_campaign_stats.lifecycle._statuses import BounceReason, MessageStatus
from sms_campaign_stats.model import Message, Reply, Unsubscribe
from sms_campaign_stats.providers._rows import PLATFORM_FAULT_REASONS

__all__ = ["CampaignCounts", "Cell", "CellKey", "Engagement", "is_compensable"]

_CHUNK = 65_536


class CellKey(NamedTuple):
    """What a group of messages shares."""

    list_ids: tuple[str, ...]
    status: MessageStatus
    reason: BounceReason | None
    sent: bool


class Cell(NamedTuple):
    """How many messages a group holds, their SMS segments, and their submissions.

    ``attempts`` counts every submission to a provider (a message sent twice counts twice),
    ``attempt_segments`` their segments: what a provider that bills per submission charges.
    ``failed_attempts`` and ``failed_segments`` count the submissions that came to a soft or
    hard bounce: the part spent on failures, the failed first sends of messages that a retry
    delivered included. A store's own ``campaign_counts`` must fill all six
    (``testing.StorageConformance`` checks it).
    """

    messages: int
    segments: int
    attempts: int = 0
    attempt_segments: int = 0
    failed_attempts: int = 0
    failed_segments: int = 0

    def __add__(self, other: object) -> Cell:
        if not isinstance(other, Cell):
            return NotImplemented
        return Cell(
            self.messages + other.messages,
            self.segments + other.segments,
            self.attempts + other.attempts,
            self.attempt_segments + other.attempt_segments,
            self.failed_attempts + other.failed_attempts,
            self.failed_segments + other.failed_segments,
        )

    @classmethod
    def of(cls, messages: int, segments: int, attempts: int, failed_attempts: int) -> Cell:
        """``messages`` messages of ``segments`` segments each, each submitted ``attempts``
        times of which ``failed_attempts`` failed.

        >>> Cell.of(2, 3, 2, 1)[2:]
        (4, 12, 2, 6)
        """
        return cls(
            messages,
            messages * segments,
            messages * attempts,
            messages * segments * attempts,
            messages * failed_attempts,
            messages * segments * failed_attempts,
        )


class Engagement(NamedTuple):
    """Recipients (messages) of one list combination who replied or unsubscribed.

    ``repliers`` and ``unsubscribers`` count recipients once however often they wrote;
    ``replies`` counts the inbound messages themselves. ``unsubscribers`` counts only recipients
    whose message was delivered (an unsubscribe answers a message received).
    """

    repliers: int
    replies: int
    unsubscribers: int

    def __add__(self, other: object) -> Engagement:
        if not isinstance(other, Engagement):
            return NotImplemented
        return Engagement(
            self.repliers + other.repliers,
            self.replies + other.replies,
            self.unsubscribers + other.unsubscribers,
        )


_NO_ENGAGEMENT = Engagement(0, 0, 0)


def is_compensable(status: MessageStatus, reason: BounceReason | None, sent: bool) -> bool:
    """Whether a message of this status, reason and ``sent`` flag is a compensable soft bounce:
    sent, and a soft bounce caused by the platform's own fault (``PLATFORM_FAULT_REASONS``)."""
    return status is MessageStatus.SOFT_BOUNCE and sent and reason in PLATFORM_FAULT_REASONS


def _compensable_shape(shape: MessageShape) -> bool:
    _, status, reason, sent, *_ = shape.key
    return is_compensable(status, reason, sent)


def last_provider(message: Message) -> str | None:
    """The provider whose report decided ``message``'s last attempt (``None``: not recorded)."""
    return message.attempts[-1].provider if message.attempts else None


def _chunks(messages: Iterable[Message]) -> Iterable[Sequence[Message]]:
    """``messages`` in chunks of bounded size; a list or tuple whole (no copy: one C-level pass
    over it)."""
    if isinstance(messages, (list, tuple)):
        return (messages,)
    found = iter(messages)
    return iter(lambda: list(itertools.islice(found, _CHUNK)), [])


def _frozen_cells(value: Mapping[CellKey, Cell]) -> Mapping[CellKey, Cell]:
    return MappingProxyType(dict(value))


def _frozen_engagement(
    value: Mapping[tuple[str, ...], Engagement],
) -> Mapping[tuple[str, ...], Engagement]:
    return MappingProxyType(dict(value))


def _frozen_providers(value: Mapping[str | None, int]) -> Mapping[str | None, int]:
    return MappingProxyType({name: count for name, count in value.items() if count})


@attrs.frozen
class CampaignCounts:
    """Message and engagement counts of one campaign (or of a part of one).

    ``cells`` maps (lists, status, reason, sent) to message and segment counts; ``engagement``
    maps a list combination to its repliers, replies and unsubscribers;
    ``compensable_providers`` maps a provider's name to how many of the compensable messages
    (``is_compensable``: sent, soft bounces of a platform-fault reason) it decided: the
    ``Attempt.provider`` of each one's last attempt, ``None`` for those with none recorded.
    """

    cells: Mapping[CellKey, Cell] = attrs.field(factory=dict, converter=_frozen_cells, hash=False)
    engagement: Mapping[tuple[str, ...], Engagement] = attrs.field(
        factory=dict, converter=_frozen_engagement, hash=False
    )
    compensable_providers: Mapping[str | None, int] = attrs.field(
        factory=dict, converter=_frozen_providers, hash=False
    )

    def __add__(self, other: object) -> CampaignCounts:
        if not isinstance(other, CampaignCounts):
            return NotImplemented
        return CampaignCounts.merge((self, other))

    @classmethod
    def merge(cls, parts: Iterable[CampaignCounts]) -> CampaignCounts:
        """The counts of all ``parts`` together."""
        cells: dict[CellKey, Cell] = {}
        engagement: dict[tuple[str, ...], Engagement] = {}
        providers: Counter[str | None] = Counter()
        for part in parts:
            for key, cell in part.cells.items():
                present = cells.get(key)
                cells[key] = cell if present is None else present + cell
            for lists, value in part.engagement.items():
                engagement[lists] = engagement.get(lists, _NO_ENGAGEMENT) + value
            providers.update(part.compensable_providers)
        return cls(cells, engagement, providers)

    @property
    def messages(self) -> int:
        """All messages counted, whatever their status."""
        return sum(cell.messages for cell in self.cells.values())

    @classmethod
    def of_messages(
        cls,
        messages: Iterable[Message],
        *,
        replies: Iterable[Reply] = (),
        unsubscribes: Iterable[Unsubscribe] = (),
    ) -> CampaignCounts:
        """Count messages in one pass, in bounded memory.

        A reply or an unsubscribe counts for the message of the same campaign and recipient;
        those not attributed to a campaign (``campaign_id is None``) or to a recipient of it
        are not counted. An unsubscriber counts only when their message was delivered: an
        unsubscribe is an answer to a message received, so unsubscribers never exceed
        deliveries.
        """
        reply_counts = Counter(
            (reply.campaign_id, reply.recipient)
            for reply in replies
            if reply.campaign_id is not None
        )
        unsubscribed = {
            (unsubscribe.campaign_id, unsubscribe.recipient)
            for unsubscribe in unsubscribes
            if unsubscribe.campaign_id is not None
        }
        engaged = reply_counts.keys() | unsubscribed
        # Counting interned shapes with C-level map and Counter keeps this close to the speed of
        # Counter(m.status for m in messages) on millions of messages (see _shape.py).
        shape = attrgetter("_shape")
        identity = attrgetter("campaign_id", "recipient")
        tally: Counter[MessageShape] = Counter()
        engagement: dict[tuple[str, ...], Engagement] = {}
        providers: Counter[str | None] = Counter()
        for chunk in _chunks(messages):
            counted = Counter(map(shape, chunk))  # C-level; a chunk has few distinct shapes
            tally.update(counted)
            compensable = {found for found in counted if _compensable_shape(found)}
            if compensable:  # rare: read the provider of just those messages
                providers.update(
                    map(
                        last_provider,
                        itertools.compress(chunk, map(compensable.__contains__, map(shape, chunk))),
                    )
                )
            if not engaged:
                continue
            for message in itertools.compress(
                chunk, map(engaged.__contains__, map(identity, chunk))
            ):
                who = (message.campaign_id, message.recipient)
                replies_here = reply_counts.get(who, 0)
                found = Engagement(
                    int(replies_here > 0),
                    replies_here,
                    int(who in unsubscribed and message.status is MessageStatus.DELIVERED),
                )
                engagement[message.list_ids] = (
                    engagement.get(message.list_ids, _NO_ENGAGEMENT) + found
                )
        cells: dict[CellKey, Cell] = {}
        for found_shape, count in tally.items():
            lists, status, reason, sent, segments, attempts, failed = found_shape.key
            key = CellKey(lists, status, reason, sent)
            cells[key] = cells.get(key, Cell(0, 0)) + Cell.of(count, segments, attempts, failed)
        return cls(cells, engagement, providers)
