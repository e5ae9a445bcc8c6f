"""Lifecycles as tables: statuses, events, outcomes, bounce reasons and the legal transitions.

``MESSAGE_TRANSITIONS[status][event]`` and ``CAMPAIGN_TRANSITIONS[status][event]`` give the next
status; an illegal pair raises ``InvalidTransitionError`` and changes nothing.
``docs/lifecycles.md`` is generated from these tables.
"""

from ._statuses import (
    BOUNCE_REASON_TABLE,
    BounceKind,
    BounceReason,
    BounceReasonInfo,
    CampaignEvent,
    CampaignStatus,
    MessageEvent,
    MessageStatus,
    Outcome,
    TimelineKind,
)
from ._transitions import (
    CAMPAIGN_EVENT_TIMELINE_KIND,
    CAMPAIGN_TRANSITIONS,
    MESSAGE_TRANSITIONS,
    next_campaign_status,
    next_message_status,
)

__all__ = [
    "BOUNCE_REASON_TABLE",
    "CAMPAIGN_EVENT_TIMELINE_KIND",
    "CAMPAIGN_TRANSITIONS",
    "MESSAGE_TRANSITIONS",
    "BounceKind",
    "BounceReason",
    "BounceReasonInfo",
    "CampaignEvent",
    "CampaignStatus",
    "MessageEvent",
    "MessageStatus",
    "Outcome",
    "TimelineKind",
    "next_campaign_status",
    "next_message_status",
]
