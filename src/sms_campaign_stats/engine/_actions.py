"""What the campaign engine asks your service to do, and what each call did: frozen values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from sms_campaign_stats._core.privacy import mask_number
from sms_campaign_stats.bounces import Classification
from sms_campaign_stats.model import Campaign, Message, Reply, Unsubscribe

__all__ = [
    "Action",
    "BlockRecipient",
    "CampaignWarning",
    "HandleResult",
    "InboundResult",
    "NeedsZone",
    "PlanResult",
    "RetryMessage",
    "SendMessage",
    "SuspendCampaign",
]


@attrs.frozen(kw_only=True)
class SendMessage:
    """Hand this message to your provider at ``at`` (then call ``engine.submitted``)."""

    message_id: str
    campaign_id: str
    recipient: str = attrs.field(repr=mask_number)
    at: datetime


@attrs.frozen(kw_only=True)
class RetryMessage:
    """A temporary failure: hand the message to your provider again at ``at``."""

    message_id: str
    campaign_id: str
    recipient: str = attrs.field(repr=mask_number)
    at: datetime
    throttled: bool
    explanation: str


@attrs.frozen(kw_only=True)
class NeedsZone:
    """The recipient's time zone is unknown or ambiguous: nothing is sent until you give one
    (``engine.assign_zone(message_id, zone, now)``)."""

    message_id: str
    campaign_id: str
    recipient: str = attrs.field(repr=mask_number)
    explanation: str


@attrs.frozen(kw_only=True)
class SuspendCampaign:
    """The campaign was suspended: stop sending its messages. ``evidence`` says why."""

    campaign_id: str
    at: datetime
    reason: str
    evidence: Any


@attrs.frozen(kw_only=True)
class CampaignWarning:
    """A rate crossed a warning level (once per level reached): no action taken yet."""

    campaign_id: str
    at: datetime
    evidence: Any


@attrs.frozen(kw_only=True)
class BlockRecipient:
    """Never send to this number again (a hard bounce, or an opt-out)."""

    recipient: str = attrs.field(repr=mask_number)
    reason: str
    campaign_id: str | None


#: Anything the engine asks for.
Action = SendMessage | RetryMessage | NeedsZone | SuspendCampaign | CampaignWarning | BlockRecipient


@attrs.frozen(kw_only=True)
class PlanResult:
    """What ``plan`` stored and asks for.

    ``messages`` stored in all; ``refused`` of them invalid numbers or landlines (soft bounces,
    never sent); ``dropped`` refused for the hour; ``needs_zone`` waiting for a zone; ``blocked``
    numbers left out because they are on the blocklist (no message); ``already_planned``
    numbers left as they were because an earlier ``plan`` of the campaign planned them.
    """

    campaign: Campaign
    actions: tuple[Action, ...]
    messages: int
    refused: int
    dropped: int
    needs_zone: int
    blocked: int
    already_planned: int = 0


@attrs.frozen(kw_only=True)
class HandleResult:
    """What one event did. ``effect`` is one of: ``"applied"`` (the message changed; or, for a
    provider's unsubscribe event for a message delivered already, the unsubscribe recorded and
    the number blocklisted, the message left delivered), ``"pending"`` (an intermediate report,
    or the receipt of a part the ``parts`` policy does not read: recorded nowhere),
    ``"duplicate"`` (already applied; an unsubscribe event already recorded), ``"part"`` (a
    part's receipt recorded: the message waits for its other parts, ``PartPolicy.EVERY_PART``),
    ``"late"`` (a report for a message already final, an unsubscribe event for a bounce
    included, or for a superseded attempt: ignored), ``"orphan"`` (no message has that provider
    id yet: kept until ``submitted`` records it)."""

    effect: str
    message: Message | None
    classification: Classification | None
    actions: tuple[Action, ...] = ()


@attrs.frozen(kw_only=True)
class InboundResult:
    """An inbound SMS: a reply, or an opt-out, attributed to a campaign when one was found."""

    kind: str  # "reply" or "unsubscribe"
    campaign_id: str | None
    reply: Reply | None
    unsubscribe: Unsubscribe | None
    recorded: bool  # False when the same inbound message was already recorded
    actions: tuple[Action, ...] = ()
