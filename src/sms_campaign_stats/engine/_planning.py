"""Planning: which messages a campaign's lists give, and when each may be sent.

Pure decisions over what the driver read (the campaign, the checked recipients, the blocked
numbers, a message) and ``now``: nothing here reads or writes a store.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta

import attrs

from sms_campaign_stats.engine._actions import Action, NeedsZone, SendMessage
from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.lifecycle._statuses import BounceReason, CampaignStatus, MessageStatus
from sms_campaign_stats.model import Campaign, CampaignChange, Message
from sms_campaign_stats.phone_numbers import NumberCheck, RecipientSet, check_number
from sms_campaign_stats.quiet_hours import (
    OutsideWindow,
    RuleRegistry,
    SendTimeDecision,
    ZonePolicy,
    plan_send_time,
)

__all__ = [
    "Plan",
    "check_plannable",
    "message_id",
    "next_allowed_for",
    "plan_messages",
    "send_action",
    "start",
    "stored_number",
]

_PLANNABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING)


@functools.lru_cache(maxsize=65_536)
def stored_number(e164: str) -> NumberCheck:
    """The check of a stored recipient (its region and zones), for every send and retry: a pure
    function of the number and the numbering-plan data, so it is cached (bounded)."""
    return check_number(e164)


def message_id(campaign_id: str, index: int) -> str:
    """The id of a campaign's ``index``-th message."""
    # Deterministic (the same lists planned twice give the same ids: refused, not duplicated)
    # and carrying nothing of the number, not even a hash one could test guesses against once
    # the number is forgotten: the recipient's rank in the campaign.
    return f"{campaign_id}:{index:06d}"


@attrs.frozen(kw_only=True)
class Plan:
    """What planning decided: the ``messages`` to store, the ``actions`` to return, and how many
    were refused (one per refused number), dropped for the hour, wait for a zone, or were
    planned already (left as they are)."""

    messages: tuple[Message, ...]
    actions: tuple[Action, ...]
    refused: int
    dropped: int
    needs_zone: int
    already_planned: int = 0


def check_plannable(campaign: Campaign) -> None:
    """Refuse a campaign that can no longer be planned (completed, cancelled, suspended)."""
    if campaign.status not in _PLANNABLE:
        raise ValidationError(
            "plan", f"campaign {campaign.id!r} is {campaign.status.value}: it cannot be planned"
        )


def plan_messages(
    campaign: Campaign,
    recipients: RecipientSet,
    blocked: Collection[str],
    now: datetime,
    *,
    zones: Mapping[str, str],
    category: str,
    rules: RuleRegistry,
    zone_policy: ZonePolicy,
    outside_window: OutsideWindow,
    horizon: timedelta,
    planned: Collection[str] = frozenset(),
    first_rank: int = 0,
) -> Plan:
    """The messages of ``campaign`` to ``recipients`` (those in ``blocked`` left out, and those
    whose number, or refused text, is in ``planned`` already: counted, not planned again), each
    with its send time, or refused; ids are ranks from ``first_rank``. Raises (and so stores
    nothing) when a send-time policy refuses: RAISE outside the allowed hours, a deferral past
    ``horizon``."""
    messages: list[Message] = []
    actions: list[Action] = []
    dropped = needs_zone = already = 0

    def next_id() -> str:
        return message_id(campaign.id, first_rank + len(messages))

    # One message built (and checked) by the constructor per kind; the others are its siblings:
    # only what differs is checked, and the text's segments are counted once.
    queued = Message.for_campaign(
        campaign,
        id=message_id(campaign.id, 0),
        recipient="+10000000000",
        list_ids=(),
        queued_at=now,
    )
    refusals: dict[BounceReason, Message] = {}

    def refused_like(reason: BounceReason) -> Message:
        template = refusals.get(reason)
        if template is None:
            template = refusals[reason] = Message.refused(
                campaign,
                id=message_id(campaign.id, 0),
                recipient="+10000000000",
                list_ids=(),
                reason=reason,
                at=now,
            )
        return template

    decisions: dict[tuple[str | None, tuple[str, ...], str | None], SendTimeDecision] = {}

    # Refused numbers: one message per number (or per text, when it is not a number at all),
    # with every list it appears in, however it was spelt.
    refused: dict[str, tuple[set[str], BounceReason]] = {}
    for rejected in recipients.rejected:
        key = rejected.check.e164 or rejected.raw.strip()
        reason = rejected.check.reason or BounceReason.INVALID_NUMBER_OR_COUNTRY_CODE
        refused.setdefault(key, (set(), reason))[0].update(rejected.list_ids)
    for key, (list_ids, reason) in refused.items():
        if key in planned:
            already += 1
            continue
        messages.append(
            refused_like(reason).sibling(id=next_id(), recipient=key, list_ids=list_ids)
        )
    for recipient in recipients.recipients:
        if recipient.e164 in blocked:
            continue
        if recipient.e164 in planned:
            already += 1
            continue
        ident = next_id()
        zone = zones.get(recipient.e164)
        same = (recipient.check.region, recipient.check.time_zones, zone)
        decision = decisions.get(same)
        if decision is None:  # the same for every recipient of one region and zones, at `now`
            decision = decisions[same] = plan_send_time(
                now,
                country=recipient.check.region,
                candidate_zones=recipient.check.time_zones,
                explicit_zone=zone,
                category=category,
                registry=rules,
                zone_policy=zone_policy,
                action=outside_window,
                horizon=horizon,
            )
        if decision.action == "drop":
            dropped += 1
            messages.append(
                refused_like(BounceReason.SENT_OUTSIDE_ALLOWED_HOURS).sibling(
                    id=ident, recipient=recipient.e164, list_ids=recipient.list_ids
                )
            )
            continue
        messages.append(
            queued.sibling(
                id=ident,
                recipient=recipient.e164,
                list_ids=recipient.list_ids,
                due_at=decision.send_at,
                zone=zone,
            )
        )
        if decision.send_at is None:
            needs_zone += 1
            actions.append(
                NeedsZone(
                    message_id=ident,
                    campaign_id=campaign.id,
                    recipient=recipient.e164,
                    explanation=decision.explanation,
                )
            )
        else:
            actions.append(
                SendMessage(
                    message_id=ident,
                    campaign_id=campaign.id,
                    recipient=recipient.e164,
                    at=decision.send_at,
                )
            )
    return Plan(
        messages=tuple(messages),
        actions=tuple(actions),
        refused=len(refused) - sum(1 for key in refused if key in planned),
        dropped=dropped,
        needs_zone=needs_zone,
        already_planned=already,
    )


def start(campaign: Campaign, now: datetime) -> CampaignChange | None:
    """A planned campaign starts sending (``None``: it already is)."""
    return None if campaign.status is CampaignStatus.SENDING else campaign.start(at=now)


def send_action(
    message: Message,
    campaign: Campaign,
    now: datetime,
    *,
    explicit_zone: str | None,
    rules: RuleRegistry,
    zone_policy: ZonePolicy,
    horizon: timedelta,
) -> Action | None:
    """When to send ``message`` of ``campaign``, from ``now``: ``None`` if it is not to be sent
    (no longer queued, or its campaign is not sending); ``NeedsZone`` if its zone is unknown; at
    its stored due time when that is still to come (a retry's backoff), else at the first
    allowed instant from ``now`` in its zone (``explicit_zone``, or the one it was given)."""
    if message.status is not MessageStatus.QUEUED:
        return None
    if campaign.status is not CampaignStatus.SENDING:
        return None
    zone = explicit_zone if explicit_zone is not None else message.zone
    if explicit_zone is None and message.due_at is not None and message.due_at > now:
        return SendMessage(
            message_id=message.id,
            campaign_id=message.campaign_id,
            recipient=message.recipient,
            at=message.due_at,
        )
    check = stored_number(message.recipient)
    decision = plan_send_time(
        now,
        country=check.region,
        candidate_zones=check.time_zones,
        explicit_zone=zone,
        registry=rules,
        zone_policy=zone_policy,
        horizon=horizon,
    )
    if decision.send_at is None:
        return NeedsZone(
            message_id=message.id,
            campaign_id=message.campaign_id,
            recipient=message.recipient,
            explanation=decision.explanation,
        )
    return SendMessage(
        message_id=message.id,
        campaign_id=message.campaign_id,
        recipient=message.recipient,
        at=decision.send_at,
    )


def next_allowed_for(
    recipient: str, *, zone: str | None = None, rules: RuleRegistry, zone_policy: ZonePolicy
) -> Callable[[datetime], datetime]:
    """The next instant a stored ``recipient`` may be sent to, from a given one, in ``zone``
    when the message was given one (a retry policy moves its retries there)."""
    check = stored_number(recipient)

    def next_allowed(at: datetime) -> datetime:
        decision = plan_send_time(
            at,
            country=check.region,
            candidate_zones=check.time_zones,
            explicit_zone=zone,
            registry=rules,
            zone_policy=zone_policy,
            horizon=timedelta(days=400),
        )
        return at if decision.send_at is None else decision.send_at

    return next_allowed
