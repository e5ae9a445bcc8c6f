"""What a message counts as in a report, precomputed and shared.

Counting a million messages by ``(lists, status, reason, sent, segments, attempts, failed)``
means hashing a million 7-tuples: several times slower than counting their statuses. Instead
each message holds a reference to an interned ``MessageShape`` whose hash and equality are its
identity, so that
``Counter(map(attrgetter("_shape"), messages))`` runs at the speed of ``Counter`` over statuses.
Counting code merges shapes by value afterwards, so correctness never depends on the interning
(which stops growing at ``MAX_INTERNED`` distinct shapes).
"""

from __future__ import annotations

from sms_campaign_stats.lifecycle._statuses import BounceReason, MessageStatus

__all__ = ["MAX_INTERNED", "MessageShape", "shape_of"]

MAX_INTERNED = 65_536

_Key = tuple[tuple[str, ...], MessageStatus, "BounceReason | None", bool, int, int, int]


class MessageShape:
    """The counted attributes of a message. Compared by identity: use ``key`` for values."""

    __slots__ = (
        "attempts",
        "bounce_reason",
        "failed_attempts",
        "key",
        "list_ids",
        "segments",
        "sent",
        "status",
    )

    def __init__(self, key: _Key) -> None:
        self.key = key
        (
            self.list_ids,
            self.status,
            self.bounce_reason,
            self.sent,
            self.segments,
            self.attempts,
            self.failed_attempts,
        ) = key

    def __repr__(self) -> str:
        return f"MessageShape{self.key!r}"


_INTERNED: dict[_Key, MessageShape] = {}


def shape_of(
    list_ids: tuple[str, ...],
    status: MessageStatus,
    bounce_reason: BounceReason | None,
    sent: bool,
    segments: int,
    attempts: int = 0,
    failed_attempts: int = 0,
) -> MessageShape:
    """The shared shape for these values (a fresh one once the intern table is full).

    ``attempts`` counts the message's submissions to a provider, ``failed_attempts`` those that
    came to a soft or hard bounce: what a provider bills per submission."""
    key = (list_ids, status, bounce_reason, sent, segments, attempts, failed_attempts)
    shape = _INTERNED.get(key)
    if shape is None:
        shape = MessageShape(key)
        if len(_INTERNED) < MAX_INTERNED:
            _INTERNED[key] = shape
    return shape
