"""The campaign engine: the driver that reads, decides with the policies and writes, and the values
it returns (actions for your service, results of each call).

Actions: ``SendMessage``, ``RetryMessage``, ``NeedsZone``, ``SuspendCampaign``,
``CampaignWarning``, ``BlockRecipient``. Results: ``PlanResult``, ``HandleResult``,
``InboundResult``. ``docs/engine.md`` lists every field.
"""

from ._actions import (
    Action,
    BlockRecipient,
    CampaignWarning,
    HandleResult,
    InboundResult,
    NeedsZone,
    PlanResult,
    RetryMessage,
    SendMessage,
    SuspendCampaign,
)
from ._driver import CampaignEngine
from ._inbound import DEFAULT_STOP_WORDS, StopWords

__all__ = [
    "DEFAULT_STOP_WORDS",
    "Action",
    "BlockRecipient",
    "CampaignEngine",
    "CampaignWarning",
    "HandleResult",
    "InboundResult",
    "NeedsZone",
    "PlanResult",
    "RetryMessage",
    "SendMessage",
    "StopWords",
    "SuspendCampaign",
]
