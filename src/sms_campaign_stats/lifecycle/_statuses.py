"""The small vocabularies of the domain: statuses, events, outcomes and bounce reasons.

All are ``str`` enums: their values are stable, lower-case words used in storage and JSON, and
hashing them costs what hashing a string costs (reports count millions of them).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

import attrs

__all__ = [
    "BOUNCE_REASON_TABLE",
    "BounceKind",
    "BounceReason",
    "BounceReasonInfo",
    "CampaignEvent",
    "CampaignStatus",
    "MessageEvent",
    "MessageStatus",
    "Outcome",
    "TimelineKind",
]


class CampaignStatus(str, enum.Enum):
    """Where a campaign is in its life. See ``CAMPAIGN_TRANSITIONS``."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value


class MessageStatus(str, enum.Enum):
    """Where one message is. DELIVERED, SOFT_BOUNCE, HARD_BOUNCE and CANCELLED are final."""

    QUEUED = "queued"
    PROCESSING = "processing"
    DELIVERED = "delivered"
    SOFT_BOUNCE = "soft_bounce"
    HARD_BOUNCE = "hard_bounce"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        """True for the states no event can leave."""
        return self in _FINAL_MESSAGE_STATUSES

    def __str__(self) -> str:
        return self.value


_FINAL_MESSAGE_STATUSES = frozenset(
    {
        MessageStatus.DELIVERED,
        MessageStatus.SOFT_BOUNCE,
        MessageStatus.HARD_BOUNCE,
        MessageStatus.CANCELLED,
    }
)


class MessageEvent(str, enum.Enum):
    """What can happen to a message; the lifecycle table says where each leads."""

    SUBMIT = "submit"  # handed to a provider (an attempt starts)
    DELIVER = "deliver"  # the provider confirmed delivery
    SOFT_BOUNCE = "soft_bounce"  # a temporary failure that will not be retried (any more)
    HARD_BOUNCE = "hard_bounce"  # a permanent failure
    REQUEUE = "requeue"  # a temporary failure that will be retried: back to the queue
    CANCEL = "cancel"  # withdrawn before it was handed to a provider

    def __str__(self) -> str:
        return self.value


class CampaignEvent(str, enum.Enum):
    """What can happen to a campaign; each one leaves a ``TimelineEvent`` in its history."""

    EDIT_CONTENT = "edit_content"
    SCHEDULE = "schedule"
    START = "start"
    SUSPEND = "suspend"
    RESUME = "resume"
    COMPLETE = "complete"
    CANCEL = "cancel"

    def __str__(self) -> str:
        return self.value


class TimelineKind(str, enum.Enum):
    """The kinds of entries in a campaign's history."""

    CREATED = "created"
    CONTENT_EDITED = "content_edited"
    SCHEDULED = "scheduled"
    STARTED = "started"
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value


class Outcome(str, enum.Enum):
    """What one delivery attempt came to, as a classifier reads the provider's report."""

    DELIVERED = "delivered"
    PENDING = "pending"  # an intermediate report: still on its way
    SOFT_BOUNCE = "soft_bounce"
    HARD_BOUNCE = "hard_bounce"
    UNSUBSCRIBED = "unsubscribed"  # the network or provider reports an opt-out
    REJECTED_CONFIG = "rejected_config"  # the sender's set-up is wrong (registration, credit)
    THROTTLED = "throttled"  # the provider asked us to slow down

    def __str__(self) -> str:
        return self.value


class BounceKind(str, enum.Enum):
    """Soft bounces are temporary failures, hard bounces permanent ones."""

    SOFT = "soft"
    HARD = "hard"

    def __str__(self) -> str:
        return self.value


class BounceReason(str, enum.Enum):
    """Why a message bounced. ``BOUNCE_REASON_TABLE`` gives each one's kind and avoidability.

    The list is Brevo's published soft/hard taxonomy: "What is a soft bounce and a hard bounce in
    SMS?", https://help.brevo.com/hc/en-us/articles/12355366391442 (``[W-BR-BOUNCE]`` in
    ``shared/reference/delivery-codes.md`` section 4.3).
    """

    SENT_OUTSIDE_ALLOWED_HOURS = "sent_outside_allowed_hours"
    LANDLINE_NUMBER = "landline_number"
    INVALID_NUMBER_OR_COUNTRY_CODE = "invalid_number_or_country_code"
    HANDSET_OFF_OR_OUT_OF_COVERAGE = "handset_off_or_out_of_coverage"
    EXPIRED_AT_OPERATOR = "expired_at_operator"
    PROVIDER_UNKNOWN_FAILURE = "provider_unknown_failure"
    SPAM_FILTERED_BY_OPERATOR = "spam_filtered_by_operator"
    UNDELIVERABLE_CONTENT = "undeliverable_content"
    TEMPORARY_OPERATOR_NETWORK_ISSUE = "temporary_operator_network_issue"
    RECIPIENT_UNREACHABLE = "recipient_unreachable"
    HANDSET_TEMPORARY_ERROR = "handset_temporary_error"
    BLOCKED_BY_RECIPIENT_OR_OPERATOR = "blocked_by_recipient_or_operator"
    NUMBER_DOES_NOT_EXIST = "number_does_not_exist"
    OPTED_OUT_EARLIER = "opted_out_earlier"

    @property
    def kind(self) -> BounceKind:
        """SOFT (temporary) or HARD (permanent)."""
        return BOUNCE_REASON_TABLE[self].kind

    @property
    def is_soft(self) -> bool:
        """True for temporary failures."""
        return BOUNCE_REASON_TABLE[self].kind is BounceKind.SOFT

    @property
    def avoidable_by_sender(self) -> bool:
        """True when checking before sending would have prevented the bounce."""
        return BOUNCE_REASON_TABLE[self].avoidable_by_sender

    @property
    def description(self) -> str:
        """A sentence a marketer understands."""
        return BOUNCE_REASON_TABLE[self].description

    def __str__(self) -> str:
        return self.value


@attrs.frozen
class BounceReasonInfo:
    """One row of the bounce-reason table."""

    kind: BounceKind
    avoidable_by_sender: bool
    description: str


_SOFT = BounceKind.SOFT
_HARD = BounceKind.HARD

#: The bounce reasons as data. Kinds and descriptions follow [W-BR-BOUNCE] (Brevo, "What is a
#: soft bounce and a hard bounce in SMS?"); "avoidable" marks the three reasons a sender can
#: prevent by checking numbers and send-time rules before sending (this library's definition).
BOUNCE_REASON_TABLE: Mapping[BounceReason, BounceReasonInfo] = MappingProxyType(
    {
        BounceReason.SENT_OUTSIDE_ALLOWED_HOURS: BounceReasonInfo(
            _SOFT, True, "sent at a time or date the recipient's country does not allow"
        ),
        BounceReason.LANDLINE_NUMBER: BounceReasonInfo(
            _SOFT, True, "sent to a landline number, which cannot receive SMS"
        ),
        BounceReason.INVALID_NUMBER_OR_COUNTRY_CODE: BounceReasonInfo(
            _SOFT, True, "the phone number or its country code is invalid"
        ),
        BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE: BounceReasonInfo(
            _SOFT, False, "the recipient's phone was off or had no service"
        ),
        BounceReason.EXPIRED_AT_OPERATOR: BounceReasonInfo(
            _SOFT, False, "the message expired within the operator's network"
        ),
        BounceReason.PROVIDER_UNKNOWN_FAILURE: BounceReasonInfo(
            _SOFT, False, "the provider failed to deliver for an unknown reason"
        ),
        BounceReason.SPAM_FILTERED_BY_OPERATOR: BounceReasonInfo(
            _SOFT, False, "the operator rejected the message as suspected spam"
        ),
        BounceReason.UNDELIVERABLE_CONTENT: BounceReasonInfo(
            _SOFT, False, "the message cannot be delivered in its current form"
        ),
        BounceReason.TEMPORARY_OPERATOR_NETWORK_ISSUE: BounceReasonInfo(
            _SOFT, False, "a temporary condition on the operator's network"
        ),
        BounceReason.RECIPIENT_UNREACHABLE: BounceReasonInfo(
            _SOFT, False, "the recipient was unreachable"
        ),
        BounceReason.HANDSET_TEMPORARY_ERROR: BounceReasonInfo(
            _SOFT, False, "a temporary error on the phone (SIM full, memory exceeded, busy)"
        ),
        BounceReason.BLOCKED_BY_RECIPIENT_OR_OPERATOR: BounceReasonInfo(
            _HARD, False, "the recipient or the operator blocked the sender"
        ),
        BounceReason.NUMBER_DOES_NOT_EXIST: BounceReasonInfo(
            _HARD, False, "the phone number does not exist"
        ),
        # Not one of Brevo's bounce reasons: a provider refusing a number that opted out before
        # this campaign (Twilio 21610, Vonage 9). Brevo counts an unsubscribe only for a contact
        # who unsubscribed after receiving the campaign ([W-BR-REPORT]); this library keeps the
        # refusal apart, as a hard bounce. Avoidable: the sender's opt-out list knew the number.
        BounceReason.OPTED_OUT_EARLIER: BounceReasonInfo(
            _HARD, True, "the recipient had opted out of the sender's messages before"
        ),
    }
)
