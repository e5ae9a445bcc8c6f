"""Transitions: what a classified report, or an expiry, does to a message.

Pure decisions over the message as read, the classification and ``now``: ``decide`` says whether
the report applies (``"late"``, ``"duplicate"``, ``"pending"``: nothing changes) and, when it
does, the message after it and the actions (a retry, a block), asking the retry policy for a
temporary failure. ``aftermath`` says what an applied outcome does beyond the message: a
carrier's opt-out to record, a suspension, an observation for the campaign's monitor.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from sms_campaign_stats.bounces import Classification
from sms_campaign_stats.engine._actions import Action, BlockRecipient, RetryMessage
from sms_campaign_stats.engine._inbound import digest
from sms_campaign_stats.engine._monitors import Suspension
from sms_campaign_stats.engine._planning import next_allowed_for
from sms_campaign_stats.lifecycle._statuses import (
    BounceReason,
    CampaignStatus,
    MessageStatus,
    Outcome,
)
from sms_campaign_stats.model import Block, Message, Unsubscribe
from sms_campaign_stats.providers import DeliveryReport
from sms_campaign_stats.quiet_hours import RuleRegistry, ZonePolicy
from sms_campaign_stats.retry import GiveUp, RetryContext, RetryPolicy
from sms_campaign_stats.suspension import Observation

__all__ = [
    "OPTED_OUT",
    "Aftermath",
    "Transition",
    "aftermath",
    "attempt_of",
    "blocks_of",
    "cancel",
    "decide",
    "opted_out",
    "soft_reason",
    "submit",
]

_OBSERVATION = {
    MessageStatus.DELIVERED: Observation.DELIVERED,
    MessageStatus.SOFT_BOUNCE: Observation.SOFT_BOUNCE,
    MessageStatus.HARD_BOUNCE: Observation.HARD_BOUNCE,
}


@attrs.frozen(kw_only=True)
class Transition:
    """What a report does to a message. ``effect`` is ``"applied"`` (``message`` is the message
    after it, ``actions`` what it asks for), or ``"pending"``, ``"duplicate"``, ``"late"``
    (nothing changes: ``message`` is ``None``)."""

    effect: str
    message: Message | None = None
    actions: tuple[Action, ...] = ()


#: The effect ``decide`` gives a provider's unsubscribe event for a message delivered already:
#: the driver records it (``opted_out``) unless it is recorded (``"duplicate"``); the message
#: stays as it is.
OPTED_OUT = "opted-out"

# The transitions that change nothing, made once (a late or duplicate report is common).
_LATE = Transition(effect="late")
_DUPLICATE = Transition(effect="duplicate")
_PENDING = Transition(effect="pending")


def submit(message: Message, provider_message_ids: tuple[str, ...], at: datetime) -> Message | None:
    """The provider took a queued message under ``provider_message_ids`` (one, or each part's in
    part order) (``None``: it is not queued, or an attempt already has one of those ids: a
    repeated acknowledgement opens no second attempt)."""
    if message.status is not MessageStatus.QUEUED or any(
        pid in provider_message_ids for a in message.attempts for pid in a.provider_ids
    ):
        return None
    return message.submit(
        at=at, provider_message_id=provider_message_ids[0], part_ids=provider_message_ids
    )


def cancel(message: Message, now: datetime) -> Message | None:
    """A message of a cancelled campaign (``None``: it is final already)."""
    return None if message.status.is_final else message.cancel(at=now)


def attempt_of(message: Message, provider_message_id: str | None) -> int:
    """The index of the attempt the provider knows as ``provider_message_id`` (any part's)."""
    attempts = message.attempts
    if attempts and provider_message_id is not None:
        last = attempts[-1]  # the usual case: the last attempt, sent whole, and no other has it
        if (
            not last.parts
            and last.provider_message_id == provider_message_id
            and not any(provider_message_id in a.provider_ids for a in attempts[:-1])
        ):
            return len(attempts) - 1
    return next(i for i, a in enumerate(attempts) if provider_message_id in a.provider_ids)


def decide(
    message: Message,
    attempt: int,
    found: Classification,
    report: DeliveryReport | None,
    now: datetime,
    *,
    campaign: CampaignStatus,
    retry: RetryPolicy,
    rules: RuleRegistry,
    zone_policy: ZonePolicy,
) -> Transition:
    """What ``found`` (the classification of ``report``, or ``EXPIRED`` without one) does to
    ``message``'s attempt number ``attempt``, its campaign being ``campaign``.

    A report handled at an instant before the attempt's submission (a clock that went back) is
    applied as of the submission: never ``final_at < submitted_at``, never a retry before it. A
    cancelled campaign never retries: a temporary failure is final. A suspended one holds its
    retries: the message waits in the queue with its due time, and no ``RetryMessage`` is asked
    for until ``resume``. A retry is planned in the zone the message was given, if any.
    """
    if found.outcome is Outcome.UNSUBSCRIBED and message.status is MessageStatus.DELIVERED:
        # A provider's unsubscribe event after the delivery (the usual order: the receipt, then
        # the recipient's opt-out), for any attempt of the message: the unsubscribe is recorded
        # and the number blocklisted, the message stays delivered (``opted_out``).
        return Transition(
            effect=OPTED_OUT, message=message, actions=(_block(message, "unsubscribed"),)
        )
    if message.status.is_final or attempt != len(message.attempts) - 1:
        return _LATE  # final already (a bounce stays one), or a report for a superseded attempt
    if message.status is MessageStatus.QUEUED and message.attempts[attempt].outcome is not None:
        return _DUPLICATE  # this attempt's failure was already applied
    if message.status is not MessageStatus.PROCESSING:
        return _LATE
    now = max(now, message.attempts[attempt].submitted_at)
    code = None if report is None or report.error is None else report.error.code
    by = None if report is None else report.provider  # whose report decides: kept on the attempt
    result = found.outcome
    if result is Outcome.PENDING:
        return _PENDING
    if result is Outcome.DELIVERED:
        return _applied(message.deliver(at=now, provider_error_code=code, provider=by))
    if result is Outcome.HARD_BOUNCE:
        return _applied(
            message.hard_bounce(
                found.reason or BounceReason.NUMBER_DOES_NOT_EXIST,
                at=now,
                provider_error_code=code,
                provider=by,
            ),
            _block(message, "hard_bounce"),
        )
    if result is Outcome.UNSUBSCRIBED:
        # A provider's unsubscribe event for this message (Brevo's ``unsubscribe``): the
        # recipient received it and opted out in answer (an error meaning "opted out earlier"
        # is a hard bounce instead, see bounces.py). Delivered, the number blocklisted, the
        # unsubscribe recorded for this campaign (``aftermath``).
        return _applied(
            message.deliver(at=now, provider_error_code=code, provider=by),
            _block(message, "unsubscribed"),
        )
    if campaign is CampaignStatus.CANCELLED:  # nothing more is sent: the failure is final
        return _applied(
            message.soft_bounce(
                soft_reason(found.reason), at=now, provider_error_code=code, provider=by
            )
        )
    if result is Outcome.REJECTED_CONFIG:
        # Not the recipient's doing: back to the queue, held (no due time) while the campaign
        # is suspended (see aftermath); ``resume`` plans it again.
        return _applied(
            message.requeue(
                None, outcome=Outcome.REJECTED_CONFIG, provider_error_code=code, provider=by
            )
        )
    failed = message.requeue(found.reason, outcome=result, provider_error_code=code, provider=by)
    decision = retry(
        RetryContext(
            message_id=message.id,
            attempts=failed.attempts,
            classification=found,
            now=now,
            next_allowed=next_allowed_for(
                message.recipient, zone=message.zone, rules=rules, zone_policy=zone_policy
            ),
        )
    )
    if isinstance(decision, GiveUp):
        reason = soft_reason(decision.reason or found.reason)
        return _applied(message.soft_bounce(reason, at=now, provider_error_code=code, provider=by))
    retry_at = max(decision.at, now)
    waiting = failed.wait_until(retry_at, zone=message.zone)
    if campaign is not CampaignStatus.SENDING:
        return _applied(waiting)  # held: the retry is stored, asked for on resume
    return _applied(
        waiting,
        RetryMessage(
            message_id=message.id,
            campaign_id=message.campaign_id,
            recipient=message.recipient,
            at=retry_at,
            throttled=decision.throttled,
            explanation=decision.explanation,
        ),
    )


def soft_reason(reason: BounceReason | None) -> BounceReason:
    """A soft reason to record: ``reason`` if it is one, else PROVIDER_UNKNOWN_FAILURE."""
    return (
        reason if reason is not None and reason.is_soft else BounceReason.PROVIDER_UNKNOWN_FAILURE
    )


def _applied(message: Message, *actions: Action) -> Transition:
    return Transition(effect="applied", message=message, actions=actions)


def _block(message: Message, reason: str) -> BlockRecipient:
    return BlockRecipient(
        recipient=message.recipient, reason=reason, campaign_id=message.campaign_id
    )


def blocks_of(actions: Iterable[Action], now: datetime) -> list[Block]:
    """The blocklist entries among ``actions``: written with the outcome that asks for them."""
    return [
        Block(recipient=a.recipient, reason=a.reason, at=now)
        for a in actions
        if isinstance(a, BlockRecipient)
    ]


@attrs.frozen(kw_only=True)
class Aftermath:
    """What an applied outcome does beyond its message: a carrier's opt-out to record, a
    suspension of the campaign, an observation for its suspension monitor."""

    unsubscribe: Unsubscribe | None
    suspension: Suspension | None
    observation: Observation | None


def opted_out(message: Message, found: Classification, now: datetime) -> Unsubscribe:
    """The unsubscribe a provider's event (``found``, UNSUBSCRIBED) records for ``message``,
    delivered: one per message, whichever attempt the event names and whether it delivered the
    message or came after (its id is made of the message's and its last attempt's, the one
    delivered), so a replay records nothing more."""
    return Unsubscribe(
        id=f"carrier:{digest(message.id, str(len(message.attempts) - 1))}",
        recipient=message.recipient,
        at=max(now, message.attempts[-1].submitted_at),
        keyword=f"carrier:{found.row.namespace}:{found.row.code}",
        campaign_id=message.campaign_id,
    )


def aftermath(message: Message, attempt: int, found: Classification, now: datetime) -> Aftermath:
    """The aftermath of ``found`` applied to ``message`` (as written) at ``attempt``."""
    unsubscribe = suspension = None
    if found.outcome is Outcome.UNSUBSCRIBED:  # delivered (``decide``): ``attempt`` is the last
        unsubscribe = opted_out(message, found, now)
    if found.outcome is Outcome.REJECTED_CONFIG:
        suspension = Suspension(
            reason="the provider refused the sender's configuration",
            evidence={"rule": f"{found.row.namespace}:{found.row.code}", "name": found.row.name},
        )
    return Aftermath(
        unsubscribe=unsubscribe,
        suspension=suspension,
        observation=_OBSERVATION.get(message.status),
    )
