"""The figures a report is made of: a count and its base, and the figures of a set of messages.

Definitions are in ``reports``; ``DeliveryFigures.from_cells`` adds up counted cells.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs

from sms_campaign_stats.lifecycle._statuses import BounceKind, BounceReason, MessageStatus
from sms_campaign_stats.storage._counts import Cell, CellKey, Engagement

__all__ = [
    "BOUNCES",
    "REPORT_SCHEMA_VERSION",
    "DeliveryFigures",
    "Figure",
    "ListFigures",
    "ReasonFigure",
]

#: Version of the ``to_dict()`` shapes; bumped on any incompatible change.
REPORT_SCHEMA_VERSION = 1

#: The statuses that are bounces.
BOUNCES = frozenset({MessageStatus.SOFT_BOUNCE, MessageStatus.HARD_BOUNCE})


@attrs.frozen
class Figure:
    """A count and the base its percentage is taken of."""

    count: int
    base: int

    @property
    def percentage(self) -> float | None:
        """``100 * count / base``; ``None`` when the base is zero (no percentage exists)."""
        return 100.0 * self.count / self.base if self.base else None

    def to_dict(self) -> dict[str, Any]:
        """``{"count": int, "percentage": float | None}``, percentage rounded to 2 decimals."""
        percentage = self.percentage
        return {
            "count": self.count,
            "percentage": None if percentage is None else round(percentage, 2),
        }


@attrs.frozen(kw_only=True)
class DeliveryFigures:
    """The figures of a set of messages: a campaign, one of its lists, or many campaigns."""

    recipients: int
    delivered: Figure
    soft_bounces: Figure
    hard_bounces: Figure
    processing: Figure
    cancelled: int
    replies: Figure
    reply_messages: int
    unsubscribes: Figure
    sent: int
    segments_sent: int
    segments_bounced: int
    segments_avoidable_bounced: int
    #: Soft bounces that were never handed to a provider (an invalid number, a landline, a
    #: forbidden hour under the DROP policy): counted in ``soft_bounces``, as Brevo counts them.
    soft_bounces_never_sent: int = 0
    #: Submissions to a provider (attempts: first sends and retries) and their segments: what a
    #: provider that bills per submission charges.
    submissions: int = 0
    segments_submitted: int = 0
    #: The submissions that came to a soft or hard bounce, and their segments (a failed first
    #: send of a message that a retry delivered included); those of messages that finally
    #: bounced for a reason the sender could have avoided.
    failed_submissions: int = 0
    segments_failed: int = 0
    segments_avoidable_failed: int = 0

    @property
    def retries(self) -> int:
        """Submissions after a message's first: ``submissions - sent``."""
        return self.submissions - self.sent

    @classmethod
    def from_cells(
        cls, cells: Iterable[tuple[CellKey, Cell]], engagement: Iterable[Engagement]
    ) -> DeliveryFigures:
        """Add up counted cells and engagement."""
        by_status = dict.fromkeys(MessageStatus, 0)
        sent = segments_sent = segments_bounced = segments_avoidable = never_sent = 0
        submissions = segments_submitted = failed = segments_failed = avoidable_failed = 0
        for key, cell in cells:
            by_status[key.status] += cell.messages
            submissions += cell.attempts
            segments_submitted += cell.attempt_segments
            failed += cell.failed_attempts
            segments_failed += cell.failed_segments
            if not key.sent and key.status is MessageStatus.SOFT_BOUNCE:
                never_sent += cell.messages
            if key.sent:
                sent += cell.messages
                segments_sent += cell.segments
                if key.status in BOUNCES:
                    segments_bounced += cell.segments
                    if key.reason is not None and key.reason.avoidable_by_sender:
                        segments_avoidable += cell.segments
                        avoidable_failed += cell.failed_segments
        repliers = replies = unsubscribers = 0
        for found in engagement:
            repliers += found.repliers
            replies += found.replies
            unsubscribers += found.unsubscribers
        cancelled = by_status[MessageStatus.CANCELLED]
        recipients = sum(by_status.values()) - cancelled
        delivered = by_status[MessageStatus.DELIVERED]
        return cls(
            recipients=recipients,
            delivered=Figure(delivered, recipients),
            soft_bounces=Figure(by_status[MessageStatus.SOFT_BOUNCE], recipients),
            hard_bounces=Figure(by_status[MessageStatus.HARD_BOUNCE], recipients),
            processing=Figure(
                by_status[MessageStatus.QUEUED] + by_status[MessageStatus.PROCESSING], recipients
            ),
            cancelled=cancelled,
            replies=Figure(repliers, delivered),
            reply_messages=replies,
            unsubscribes=Figure(unsubscribers, delivered),
            sent=sent,
            segments_sent=segments_sent,
            segments_bounced=segments_bounced,
            segments_avoidable_bounced=segments_avoidable,
            soft_bounces_never_sent=never_sent,
            submissions=submissions,
            segments_submitted=segments_submitted,
            failed_submissions=failed,
            segments_failed=segments_failed,
            segments_avoidable_failed=avoidable_failed,
        )

    def to_dict(self) -> dict[str, Any]:
        """The figures as plain JSON-ready data."""
        return {
            "recipients": self.recipients,
            "delivered": self.delivered.to_dict(),
            "soft_bounces": {
                **self.soft_bounces.to_dict(),
                "never_sent": self.soft_bounces_never_sent,
            },
            "hard_bounces": self.hard_bounces.to_dict(),
            "processing": self.processing.to_dict(),
            "cancelled": self.cancelled,
            "replies": {**self.replies.to_dict(), "messages": self.reply_messages},
            "unsubscribes": self.unsubscribes.to_dict(),
            "sent": self.sent,
            "segments_sent": self.segments_sent,
            "submissions": self.submissions,
            "retries": self.retries,
            "failed_submissions": self.failed_submissions,
            "segments_submitted": self.segments_submitted,
        }


@attrs.frozen(kw_only=True)
class ListFigures:
    """One contact list's figures within a campaign, with what its sent messages cost."""

    list_id: str
    figures: DeliveryFigures
    cost: Decimal
    bounced_cost: Decimal


@attrs.frozen(kw_only=True)
class ReasonFigure:
    """How many recipients bounced for one reason, and what the sent ones cost."""

    reason: BounceReason
    kind: BounceKind
    avoidable_by_sender: bool
    recipients: Figure
    sent: int
    cost: Decimal
