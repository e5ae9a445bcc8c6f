"""The campaign engine: the driver that reads, decides with the policies and writes, and the values
it returns (actions for your service, results of each call).

Actions: ``SendMessage``, ``RetryMessage``, ``NeedsZone``, ``SuspendCampaign``,
``CampaignWarning``, ``BlockRecipient``. Results: ``PlanResult``, ``HandleResult``,
``InboundResult``. ``docs/engine.md`` lists every field.

``AsyncCampaignEngine`` is the same engine for asyncio services: the same calls, awaited, over
an ``AsyncStorage`` (``AsyncPostgresStorage``, or any store behind ``ThreadedAsyncStorage``).

The parts: ``_driver`` (every call written once as a generator of requests to the store, which
reads, asks the decisions and writes; ``CampaignEngine``, which answers them from a
``Storage``), ``_async_driver`` (``AsyncCampaignEngine``, which awaits them from an
``AsyncStorage``), ``_planning`` (the messages a campaign's lists give and when each may be
sent), ``_transitions`` (what a report or an expiry does to a message), ``_parts`` (which
receipts of a message sent in several parts decide it: ``PartPolicy``), ``_monitors`` (the
suspension monitors), ``_inbound`` (replies and opt-outs attributed, the stop words),
``_actions`` (the values returned).
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
from ._async_driver import AsyncCampaignEngine
from ._driver import CampaignEngine
from ._inbound import DEFAULT_STOP_WORDS, StopWords
from ._parts import DEFAULT_PART_POLICY, PartPolicy

__all__ = [
    "DEFAULT_PART_POLICY",
    "DEFAULT_STOP_WORDS",
    "Action",
    "AsyncCampaignEngine",
    "BlockRecipient",
    "CampaignEngine",
    "CampaignWarning",
    "HandleResult",
    "InboundResult",
    "NeedsZone",
    "PartPolicy",
    "PlanResult",
    "RetryMessage",
    "SendMessage",
    "StopWords",
    "SuspendCampaign",
]
