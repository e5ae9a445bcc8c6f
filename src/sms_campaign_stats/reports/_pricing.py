"""How a campaign is billed: per submission (what SMS providers invoice) or per message sent.

A provider bills every submission it takes: a message retried after a soft bounce is billed
again, and a failed attempt costs what a delivered one costs. That is the default,
``Pricing.PER_SUBMISSION``. A platform that bills its own customers per message sent (Brevo:
"you pay for the number of messages sent, not delivered", its campaign report page) retries at
its own expense: ``Pricing.PER_MESSAGE_SENT`` counts each message sent once, whatever its
attempts. ``docs/concepts.md`` defines each money figure.
"""

from __future__ import annotations

import enum
from decimal import Decimal

import attrs

from sms_campaign_stats._core import validate as v
from sms_campaign_stats.reports._figures import DeliveryFigures

__all__ = ["Costs", "Pricing", "to_pricing"]


class Pricing(str, enum.Enum):
    """What a campaign's cost counts: every submission (default) or every message sent once."""

    PER_SUBMISSION = "per_submission"
    PER_MESSAGE_SENT = "per_message_sent"

    def __str__(self) -> str:
        return self.value


def to_pricing(value: Pricing | str) -> Pricing:
    """``value`` as a ``Pricing`` (a member or its value); ``ValidationError`` otherwise.

    >>> to_pricing("per_message_sent")
    <Pricing.PER_MESSAGE_SENT: 'per_message_sent'>
    """
    return v.check_member("pricing", Pricing, v.coerce_enum(Pricing, value))


@attrs.frozen(kw_only=True)
class Costs:
    """The money figures of a set of messages, at one unit price, under one pricing.

    ``total`` = ``first_sends`` + ``retries``; ``bounced`` is the part spent on submissions that
    failed (per message sent: on the messages that bounced), ``avoidable_bounced`` the part of
    that on messages that bounced for a reason the sender could have avoided.
    """

    total: Decimal
    first_sends: Decimal
    retries: Decimal
    bounced: Decimal
    avoidable_bounced: Decimal

    @classmethod
    def of(cls, figures: DeliveryFigures, unit_price: Decimal, pricing: Pricing) -> Costs:
        """The costs of ``figures`` at ``unit_price`` per segment, under ``pricing``."""
        first = unit_price * figures.segments_sent
        if pricing is Pricing.PER_MESSAGE_SENT:
            return cls(
                total=first,
                first_sends=first,
                retries=unit_price * 0,
                bounced=unit_price * figures.segments_bounced,
                avoidable_bounced=unit_price * figures.segments_avoidable_bounced,
            )
        return cls(
            total=unit_price * figures.segments_submitted,
            first_sends=first,
            retries=unit_price * (figures.segments_submitted - figures.segments_sent),
            bounced=unit_price * figures.segments_failed,
            avoidable_bounced=unit_price * figures.segments_avoidable_failed,
        )
