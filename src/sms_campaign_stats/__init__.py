"""sms_campaign_stats: trustworthy statistics and safe sending decisions for SMS campaigns.

The public API is re-exported here; modules whose names start with ``_`` are private.
"""

from __future__ import annotations

from ._counts import CampaignCounts
from ._privacy import mask_number
from .errors import (
    ConflictError,
    DuplicateError,
    InvalidTransitionError,
    MalformedReportError,
    NotFoundError,
    SchemaError,
    SmsCampaignStatsError,
    StorageBusyError,
    StorageError,
    ValidationError,
)
from .model import (
    BOUNCE_REASON_TABLE,
    CAMPAIGN_TRANSITIONS,
    MESSAGE_TRANSITIONS,
    Attempt,
    BounceKind,
    BounceReason,
    Campaign,
    CampaignChange,
    CampaignEvent,
    CampaignStatus,
    Encoding,
    Message,
    MessageEvent,
    MessageStatus,
    Outcome,
    Reply,
    SegmentInfo,
    TimelineEvent,
    TimelineKind,
    Unsubscribe,
    segment_info,
)
from .reports import (
    CampaignReport,
    DeliveryFigures,
    Figure,
    GlobalStatistics,
    ListFigures,
    ReasonFigure,
    global_statistics,
    report_for,
    report_from_messages,
)
from .storage import InMemoryStorage, SQLiteStorage, Storage

__version__ = "0.1.0.dev0"

__all__ = [
    "BOUNCE_REASON_TABLE",
    "CAMPAIGN_TRANSITIONS",
    "MESSAGE_TRANSITIONS",
    "Attempt",
    "BounceKind",
    "BounceReason",
    "Campaign",
    "CampaignChange",
    "CampaignCounts",
    "CampaignEvent",
    "CampaignReport",
    "CampaignStatus",
    "ConflictError",
    "DeliveryFigures",
    "DuplicateError",
    "Encoding",
    "Figure",
    "GlobalStatistics",
    "InMemoryStorage",
    "InvalidTransitionError",
    "ListFigures",
    "MalformedReportError",
    "Message",
    "MessageEvent",
    "MessageStatus",
    "NotFoundError",
    "Outcome",
    "ReasonFigure",
    "Reply",
    "SQLiteStorage",
    "SchemaError",
    "SegmentInfo",
    "SmsCampaignStatsError",
    "Storage",
    "StorageBusyError",
    "StorageError",
    "TimelineEvent",
    "TimelineKind",
    "Unsubscribe",
    "ValidationError",
    "__version__",
    "global_statistics",
    "mask_number",
    "report_for",
    "report_from_messages",
    "segment_info",
]
