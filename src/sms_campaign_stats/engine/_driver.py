"""``CampaignEngine``: every policy applied to every event, without doing any I/O.

Your service owns the clock, the provider and the network; for each event it calls the engine
with the time, and acts on the values returned:

* ``plan(campaign_id, lists, now)``: numbers checked and merged, blocked numbers left out,
  invalid numbers and landlines stored as avoidable soft bounces (never sent), send times chosen
  by the send-time rules; returns ``SendMessage`` (or ``NeedsZone``) actions.
* ``due(message_id, now)``: just before sending, is it still to be sent, and now?
* ``submitted(message_id, provider_message_id, at)``: the provider took it (orphan reports that
  arrived first are applied now).
* ``handle(report, now)``: a delivery report classified, the message moved along its lifecycle,
  the retry policy asked, the campaign's rates watched: ``RetryMessage``, ``BlockRecipient``,
  ``SuspendCampaign``, ``CampaignWarning`` actions.
* ``inbound(sender, text, at)``: a reply or an opt-out (STOP keywords), attributed to the most
  recent campaign sent to that number within ``reply_window``.
* ``expire(now)``: messages without a final report after ``pending_timeout``: retried or soft
  bounces (EXPIRED_AT_OPERATOR).
* ``resume``, ``cancel``, ``complete_if_done``: explicit campaign decisions, recorded.

Reliability: writes are compare-and-set, re-read and re-applied on conflict (two threads or two
processes on one SQLite file lose no update and count nothing twice); the same report twice
changes nothing; a final state never moves back (late intermediate reports are ignored); a
report for an unknown provider id is kept and applied when ``submitted`` records that id.
The suspension monitors live in this engine's memory: rebuilt from the store's counts on first
use, they see the outcomes this engine applies (see docs/engine.md for several processes).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from sms_campaign_stats._core.privacy import mask_number
from sms_campaign_stats._core.validate import check_text, check_utc
from sms_campaign_stats.bounces import BounceClassifier, Classification, classify
from sms_campaign_stats.engine._actions import (
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
from sms_campaign_stats.engine._inbound import DEFAULT_STOP_WORDS, StopWords
from sms_campaign_stats.errors import ConflictError, ValidationError
from sms_campaign_stats.lifecycle._statuses import (
    BounceReason,
    CampaignStatus,
    MessageStatus,
    Outcome,
)
from sms_campaign_stats.model import Block, Campaign, CampaignChange, Message, Reply, Unsubscribe
from sms_campaign_stats.phone_numbers import (
    NumberCheck,
    NumberValidator,
    build_recipients,
    check_number,
)
from sms_campaign_stats.providers import DeliveryReport
from sms_campaign_stats.providers._smpp_codes import STATUS_RULES as SMPP_STATUS_RULES
from sms_campaign_stats.quiet_hours import (
    DEFAULT_RULES,
    OutsideWindow,
    RuleRegistry,
    ZonePolicy,
    plan_send_time,
)
from sms_campaign_stats.retry import DEFAULT_RETRY_POLICY, GiveUp, RetryContext, RetryPolicy
from sms_campaign_stats.storage import Storage
from sms_campaign_stats.suspension import (
    DEFAULT_SUSPENSION_POLICY,
    Level,
    Observation,
    SuspensionPolicy,
    observe_level,
    replay,
)

_log = logging.getLogger(__name__)

__all__ = ["CampaignEngine"]

_EXPIRED = Classification.from_rule(SMPP_STATUS_RULES["EXPIRED"])
_ZONE_POLICY = ZonePolicy()
_PLANNABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING)
_OBSERVATION = {
    MessageStatus.DELIVERED: Observation.DELIVERED,
    MessageStatus.SOFT_BOUNCE: Observation.SOFT_BOUNCE,
    MessageStatus.HARD_BOUNCE: Observation.HARD_BOUNCE,
}


def _digest(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).hexdigest()


@functools.lru_cache(maxsize=65_536)
def _stored_number(e164: str) -> NumberCheck:
    """The check of a stored recipient (its region and zones), for every send and retry: a pure
    function of the number and the numbering-plan data, so it is cached (bounded)."""
    return check_number(e164)


def _message_id(campaign_id: str, index: int) -> str:
    # Deterministic (the same lists planned twice give the same ids: refused, not duplicated)
    # and carrying nothing of the number, not even a hash one could test guesses against once
    # the number is forgotten: the recipient's rank in the campaign.
    return f"{campaign_id}:{index:06d}"


@attrs.define
class _Monitor:
    policy: SuspensionPolicy
    level: Level


class CampaignEngine:
    """The sans-IO campaign engine over a ``Storage`` and replaceable policies."""

    def __init__(
        self,
        storage: Storage,
        *,
        validator: NumberValidator | None = None,
        default_region: str | None = None,
        rules: RuleRegistry = DEFAULT_RULES,
        zone_policy: ZonePolicy = _ZONE_POLICY,
        outside_window: OutsideWindow = OutsideWindow.DEFER,
        horizon: timedelta = timedelta(days=30),
        classifier: BounceClassifier | None = None,
        retry: RetryPolicy = DEFAULT_RETRY_POLICY,
        suspension: SuspensionPolicy = DEFAULT_SUSPENSION_POLICY,
        stop_words: StopWords = DEFAULT_STOP_WORDS,
        reply_window: timedelta = timedelta(days=7),
        pending_timeout: timedelta = timedelta(hours=72),
        conflict_retries: int = 50,
    ) -> None:
        for name, value in (("reply_window", reply_window), ("pending_timeout", pending_timeout)):
            if not isinstance(value, timedelta) or value <= timedelta(0):
                raise ValidationError(f"CampaignEngine.{name}", "must be a positive timedelta")
        if not isinstance(conflict_retries, int) or conflict_retries < 1:
            raise ValidationError("CampaignEngine.conflict_retries", "must be at least 1")
        self.storage = storage
        self.validator = validator
        self.default_region = default_region
        self.rules = rules
        self.zone_policy = zone_policy
        self.outside_window = outside_window
        self.horizon = horizon
        self.classifier = classifier
        self.retry = retry
        self.suspension = suspension
        self.stop_words = stop_words
        self.reply_window = reply_window
        self.pending_timeout = pending_timeout
        self._conflict_retries = conflict_retries
        self._monitors: dict[str, _Monitor] = {}
        self._lock = threading.Lock()

    # campaigns -----------------------------------------------------------------------------

    def _change_campaign(
        self, campaign_id: str, change: Callable[[Campaign], CampaignChange | None]
    ) -> Campaign:
        """Apply ``change`` by compare-and-set, re-reading on conflict."""
        for _ in range(self._conflict_retries):
            campaign = self.storage.get_campaign(campaign_id)
            changed = change(campaign)
            if changed is None:
                return campaign
            try:
                return self.storage.update_campaign(changed.campaign, events=[changed.event])
            except ConflictError:
                _log.debug("campaign %s changed concurrently: read again, re-apply", campaign_id)
                continue
        raise ConflictError("campaign", campaign_id, -1, -1)

    def plan(
        self,
        campaign_id: str,
        lists: Mapping[str, Iterable[str]],
        now: datetime,
        *,
        explicit_zones: Mapping[str, str] | None = None,
        category: str = "marketing",
    ) -> PlanResult:
        """Plan a campaign's messages to its contact lists and start it.

        Everything is decided before anything is stored: a refusal (a RAISE send-time policy, a
        deferral past the horizon, a campaign that cannot start) stores nothing.
        ``explicit_zones`` maps E.164 numbers to known IANA zones.
        """
        now = check_utc("now", now)
        campaign = self.storage.get_campaign(campaign_id)
        if campaign.status not in _PLANNABLE:
            raise ValidationError(
                "plan", f"campaign {campaign_id!r} is {campaign.status.value}: it cannot be planned"
            )
        zones = dict(explicit_zones or {})
        recipients = build_recipients(
            lists, default_region=self.default_region, validator=self.validator
        )
        blocked = self.storage.blocked(r.e164 for r in recipients.recipients)
        messages: list[Message] = []
        actions: list[Action] = []
        dropped = needs_zone = 0
        # Refused numbers: one message per number (or per text, when it is not a number at all),
        # with every list it appears in, however it was spelt.
        refused: dict[str, tuple[set[str], BounceReason]] = {}
        for rejected in recipients.rejected:
            key = rejected.check.e164 or rejected.raw.strip()
            reason = rejected.check.reason or BounceReason.INVALID_NUMBER_OR_COUNTRY_CODE
            refused.setdefault(key, (set(), reason))[0].update(rejected.list_ids)
        for key, (list_ids, reason) in refused.items():
            messages.append(
                Message.refused(
                    campaign,
                    id=_message_id(campaign.id, len(messages)),
                    recipient=key,
                    list_ids=list_ids,
                    reason=reason,
                    at=now,
                )
            )
        for recipient in recipients.recipients:
            if recipient.e164 in blocked:
                continue
            message_id = _message_id(campaign.id, len(messages))
            decision = plan_send_time(
                now,
                country=recipient.check.region,
                candidate_zones=recipient.check.time_zones,
                explicit_zone=zones.get(recipient.e164),
                category=category,
                registry=self.rules,
                zone_policy=self.zone_policy,
                action=self.outside_window,
                horizon=self.horizon,
            )
            if decision.action == "drop":
                dropped += 1
                messages.append(
                    Message.refused(
                        campaign,
                        id=message_id,
                        recipient=recipient.e164,
                        list_ids=recipient.list_ids,
                        reason=BounceReason.SENT_OUTSIDE_ALLOWED_HOURS,
                        at=now,
                    )
                )
                continue
            messages.append(
                Message.for_campaign(
                    campaign,
                    id=message_id,
                    recipient=recipient.e164,
                    list_ids=recipient.list_ids,
                    queued_at=now,
                )
            )
            if decision.send_at is None:
                needs_zone += 1
                actions.append(
                    NeedsZone(
                        message_id=message_id,
                        campaign_id=campaign.id,
                        recipient=recipient.e164,
                        explanation=decision.explanation,
                    )
                )
            else:
                actions.append(
                    SendMessage(
                        message_id=message_id,
                        campaign_id=campaign.id,
                        recipient=recipient.e164,
                        send_at=decision.send_at,
                    )
                )
        self.storage.add_messages(messages)
        _log.info(
            "campaign %s planned: %d messages, %d refused, %d dropped, %d need a zone, %d blocked",
            campaign.id,
            len(messages),
            len(refused),
            dropped,
            needs_zone,
            len(blocked),
        )
        started = self._change_campaign(
            campaign.id,
            lambda c: None if c.status is CampaignStatus.SENDING else c.start(at=now),
        )
        return PlanResult(
            campaign=started,
            actions=tuple(actions),
            messages=len(messages),
            refused=len(refused),
            dropped=dropped,
            needs_zone=needs_zone,
            blocked=len(blocked),
        )

    def schedule(self, message_id: str, zone: str, now: datetime) -> Action | None:
        """Give a queued message the zone it was missing: when to send it, in that zone."""
        message = self.storage.get_message(message_id)
        return self._send_action(message, now, explicit_zone=zone)

    def _send_action(
        self, message: Message, now: datetime, *, explicit_zone: str | None = None
    ) -> Action | None:
        now = check_utc("now", now)
        if message.status is not MessageStatus.QUEUED:
            return None
        campaign = self.storage.get_campaign(message.campaign_id)
        if campaign.status is not CampaignStatus.SENDING:
            return None
        check = _stored_number(message.recipient)
        decision = plan_send_time(
            now,
            country=check.region,
            candidate_zones=check.time_zones,
            explicit_zone=explicit_zone,
            registry=self.rules,
            zone_policy=self.zone_policy,
            horizon=self.horizon,
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
            send_at=decision.send_at,
        )

    def due(self, message_id: str, now: datetime) -> Action | None:
        """Just before sending: ``None`` if the message is no longer to be sent (its campaign
        was suspended or cancelled, it was already sent); else when to send it (``send_at ==
        now`` means now; a later time if the allowed hours moved on; ``NeedsZone`` if unknown)."""
        return self._send_action(self.storage.get_message(message_id), now)

    def resume(self, campaign_id: str, now: datetime, *, reason: str = "") -> list[Action]:
        """Resume a suspended campaign (recorded in its history) and send its queued messages.

        The rate monitors start afresh: resuming is a decision that the cause was dealt with.
        """
        now = check_utc("now", now)
        self._change_campaign(campaign_id, lambda c: c.resume(at=now, reason=reason))
        with self._lock:
            self._monitors.pop(campaign_id, None)
            self._monitors[campaign_id] = _Monitor(self.suspension, Level.OK)
        actions = []
        for message in self.storage.iter_messages(campaign_id):
            action = self._send_action(message, now)
            if action is not None:
                actions.append(action)
        return actions

    def cancel(self, campaign_id: str, now: datetime, *, reason: str = "") -> Campaign:
        """Cancel a campaign: recorded, and its queued messages cancelled (never sent)."""
        now = check_utc("now", now)
        campaign = self._change_campaign(campaign_id, lambda c: c.cancel(at=now, reason=reason))
        for message in self.storage.iter_messages(campaign_id):
            if message.status is MessageStatus.QUEUED:
                self._change_message(
                    message.id, lambda m: m.cancel(at=now) if not m.status.is_final else None
                )
        return campaign

    def complete_if_done(self, campaign_id: str, now: datetime) -> Campaign:
        """Mark a sending campaign completed when none of its messages is queued or processing."""
        now = check_utc("now", now)
        counts = self.storage.campaign_counts(campaign_id)
        busy = sum(
            cell.messages
            for key, cell in counts.cells.items()
            if key.status in (MessageStatus.QUEUED, MessageStatus.PROCESSING)
        )
        return self._change_campaign(
            campaign_id,
            lambda c: (
                c.complete(at=now) if busy == 0 and c.status is CampaignStatus.SENDING else None
            ),
        )

    # messages ------------------------------------------------------------------------------

    def _change_message(
        self,
        message_id: str,
        change: Callable[[Message], Message | None],
        blocks: Callable[[], Sequence[Block]] = tuple,
        *,
        read: Message | None = None,
    ) -> tuple[Message, bool]:
        """Apply ``change`` by compare-and-set, re-reading on conflict; (message, changed).
        ``blocks`` says which numbers the change blocklists, written with it. ``read`` is the
        message as just read from the store, if the caller has it: the first try uses it (a
        stale one only costs a conflict, and a read)."""
        for _ in range(self._conflict_retries):
            message = read if read is not None else self.storage.get_message(message_id)
            read = None
            changed = change(message)
            if changed is None:
                return message, False
            try:
                return self.storage.update_messages([changed], blocks=blocks())[0], True
            except ConflictError:
                _log.debug("message %s changed concurrently: read again, re-apply", message_id)
                continue
        raise ConflictError("message", message_id, -1, -1)

    def submitted(
        self, message_id: str, provider_message_id: str, at: datetime
    ) -> list[HandleResult]:
        """The provider accepted the message under ``provider_message_id``. Reports that
        arrived before (orphans) are applied now, in arrival order."""
        at = check_utc("at", at)
        message, changed = self._change_message(
            message_id,
            lambda m: (
                m.submit(at=at, provider_message_id=provider_message_id)
                if m.status is MessageStatus.QUEUED
                else None
            ),
        )
        if not changed and provider_message_id not in {
            a.provider_message_id for a in message.attempts
        }:
            raise ValidationError(
                "submitted", f"message {message_id!r} is {message.status.value}, not queued"
            )
        results = [
            HandleResult(
                effect="applied" if changed else "duplicate", message=message, classification=None
            )
        ]
        results.extend(
            self.handle(DeliveryReport.from_dict(stored), at)
            for stored in self.storage.take_orphans(provider_message_id)
        )
        return results

    def handle(self, report: DeliveryReport, now: datetime) -> HandleResult:
        """Apply one delivery report (parsed with ``sms_campaign_stats.providers``)."""
        now = check_utc("now", now)
        if not isinstance(report, DeliveryReport):
            raise ValidationError(
                "report", f"expected a DeliveryReport, got {type(report).__name__}"
            )
        found = classify(report, classifier=self.classifier)
        if report.provider_message_id is None:
            raise ValidationError("report", "a delivery report without a provider message id")
        message = self.storage.find_message_by_provider_id(report.provider_message_id)
        if message is None:
            return self._keep_orphan(report, found, now)
        attempt = next(
            i
            for i, a in enumerate(message.attempts)
            if a.provider_message_id == report.provider_message_id
        )
        return self._apply(message, attempt, found, report, now)

    def _keep_orphan(
        self, report: DeliveryReport, found: Classification, now: datetime
    ) -> HandleResult:
        """Keep a report whose provider id no message has, then look once more: ``submitted``
        may have recorded that id between the lookup and this write, and looked for orphans
        before this one was stored. Whoever takes an orphan applies it: exactly once."""
        provider_id = report.provider_message_id or ""
        self.storage.add_orphan(
            provider_id, report.to_dict(), received_at=report.received_at or now
        )
        if self.storage.find_message_by_provider_id(provider_id) is not None:
            ours, result = _as_json(report.to_dict()), None
            for stored in self.storage.take_orphans(provider_id):
                applied = self.handle(DeliveryReport.from_dict(stored), now)
                if result is None and _as_json(stored) == ours:
                    result = applied
            if result is not None:
                return result
        _log.info("report for unknown provider id %r kept as an orphan", provider_id)
        return HandleResult(effect="orphan", message=None, classification=found)

    def expire(self, now: datetime, *, batch_size: int = 1000) -> list[HandleResult]:
        """Messages still processing ``pending_timeout`` after their last attempt: retried, or
        soft bounces with EXPIRED_AT_OPERATOR, as the retry policy decides."""
        now = check_utc("now", now)
        stale = list(
            self.storage.iter_stale(
                submitted_before=now - self.pending_timeout, batch_size=batch_size
            )
        )
        return [self._apply(m, len(m.attempts) - 1, _EXPIRED, None, now) for m in stale]

    def _decide(
        self,
        message: Message,
        attempt: int,
        found: Classification,
        report: DeliveryReport | None,
        now: datetime,
        outcome: dict[str, Any],
    ) -> Message | None:
        """What a report does to ``message`` (``None``: nothing); ``outcome`` gets the effect
        and the actions. Pure: reads and writes nothing."""
        outcome.clear()
        if message.status.is_final or attempt != len(message.attempts) - 1:
            outcome["effect"] = "late"  # final already, or a report for a superseded attempt
            return None
        if message.status is MessageStatus.QUEUED and message.attempts[attempt].outcome is not None:
            outcome["effect"] = "duplicate"  # this attempt's failure was already applied
            return None
        if message.status is not MessageStatus.PROCESSING:
            outcome["effect"] = "late"
            return None
        return self._transition(message, found, report, now, outcome)

    def _apply(
        self,
        read: Message,
        attempt: int,
        found: Classification,
        report: DeliveryReport | None,
        now: datetime,
    ) -> HandleResult:
        """Apply ``found`` to the message ``read`` (as just read from the store)."""
        self._monitor(read.campaign_id)  # built from the counts before this outcome is stored
        outcome: dict[str, Any] = {}
        message, changed = self._change_message(
            read.id,
            lambda m: self._decide(m, attempt, found, report, now, outcome),
            lambda: _blocks(outcome.get("actions", ()), now),
            read=read,
        )
        if not changed:
            return HandleResult(
                effect=outcome.get("effect", "pending"), message=message, classification=found
            )
        actions = self._after(message, attempt, found, list(outcome.get("actions", ())), now)
        return HandleResult(
            effect="applied", message=message, classification=found, actions=tuple(actions)
        )

    def _after(
        self,
        message: Message,
        attempt: int,
        found: Classification,
        actions: list[Action],
        now: datetime,
    ) -> list[Action]:
        """The side effects of an applied outcome (its blocks are already written with it):
        opt-outs, suspension."""
        if found.outcome is Outcome.UNSUBSCRIBED:
            self.storage.record_unsubscribe(
                Unsubscribe(
                    id=f"carrier:{_digest(message.id, str(attempt))}",
                    recipient=message.recipient,
                    at=now,
                    keyword=f"carrier:{found.rule.namespace}:{found.rule.code}",
                    campaign_id=message.campaign_id,
                )
            )
        if found.outcome is Outcome.REJECTED_CONFIG:
            actions.extend(
                self._suspend(
                    message.campaign_id,
                    now,
                    "the provider refused the sender's configuration",
                    {"rule": f"{found.rule.namespace}:{found.rule.code}", "name": found.rule.name},
                )
            )
        observation = _OBSERVATION.get(message.status)
        if observation is not None:
            actions.extend(self._observe(message.campaign_id, observation, now))
        return actions

    def handle_many(
        self, reports: Sequence[DeliveryReport], now: datetime, *, batch_size: int = 1000
    ) -> list[HandleResult]:
        """Apply many reports, in order, with the same results as ``handle`` one by one, in
        batches: one lookup and one compare-and-set write per batch. A batch that meets a
        concurrent writer is applied again report by report."""
        now = check_utc("now", now)
        results: list[HandleResult] = []
        for start in range(0, len(reports), batch_size):
            results.extend(self._handle_batch(reports[start : start + batch_size], now))
        return results

    def _handle_batch(self, reports: Sequence[DeliveryReport], now: datetime) -> list[HandleResult]:
        for report in reports:
            if not isinstance(report, DeliveryReport) or report.provider_message_id is None:
                raise ValidationError("reports", "each must be a DeliveryReport with a provider id")
        current = self.storage.find_messages_by_provider_ids(
            r.provider_message_id for r in reports if r.provider_message_id is not None
        )
        for campaign_id in {m.campaign_id for m in current.values()}:
            self._monitor(campaign_id)
        original = {m.id: m for m in current.values()}
        by_id = dict(original)
        planned: list[tuple[DeliveryReport, Classification, Message | None, int, str, list[Action]]]
        planned = []
        for report in reports:
            found = classify(report, classifier=self.classifier)
            stored = current.get(report.provider_message_id or "")
            if stored is None:
                planned.append((report, found, None, -1, "orphan", []))
                continue
            message = by_id[stored.id]  # the latest state, after earlier reports of this batch
            attempt = next(
                i
                for i, a in enumerate(message.attempts)
                if a.provider_message_id == report.provider_message_id
            )
            outcome: dict[str, Any] = {}
            changed = self._decide(message, attempt, found, report, now, outcome)
            if changed is None:
                planned.append(
                    (report, found, message, attempt, outcome.get("effect", "pending"), [])
                )
                continue
            by_id[message.id] = changed
            planned.append(
                (report, found, changed, attempt, "applied", list(outcome.get("actions", ())))
            )
        changed_ids = [mid for mid, m in by_id.items() if m is not original[mid]]
        blocks = _blocks((a for *_, actions in planned for a in actions), now)
        try:
            written = self.storage.update_messages(
                [by_id[mid] for mid in changed_ids], blocks=blocks
            )
        except ConflictError:
            # Another writer touched one of these messages: nothing of the batch was written;
            # apply it report by report, each with its own compare-and-set.
            _log.debug("a batch of %d reports met a concurrent writer: one by one", len(reports))
            return [self.handle(report, now) for report in reports]
        latest = {m.id: m for m in written}
        results = []
        for report, found, after, attempt, effect, actions in planned:
            if after is None:
                results.append(self._keep_orphan(report, found, now))
            elif effect != "applied":
                results.append(HandleResult(effect=effect, message=after, classification=found))
            else:
                if by_id[after.id] is after:  # the last change of this message in the batch
                    after = latest[after.id]
                done = self._after(after, attempt, found, actions, now)
                results.append(
                    HandleResult(
                        effect="applied",
                        message=after,
                        classification=found,
                        actions=tuple(done),
                    )
                )
        return results

    def _transition(
        self,
        message: Message,
        found: Classification,
        report: DeliveryReport | None,
        now: datetime,
        outcome: dict[str, Any],
    ) -> Message | None:
        code = None if report is None or report.error is None else report.error.code
        result = found.outcome
        if result is Outcome.PENDING:
            outcome["effect"] = "pending"
            return None
        if result is Outcome.DELIVERED:
            return message.deliver(at=now, provider_error_code=code)
        if result is Outcome.HARD_BOUNCE:
            outcome["actions"] = [
                BlockRecipient(
                    recipient=message.recipient,
                    reason="hard_bounce",
                    campaign_id=message.campaign_id,
                )
            ]
            return message.hard_bounce(
                found.reason or BounceReason.NUMBER_DOES_NOT_EXIST, at=now, provider_error_code=code
            )
        if result is Outcome.UNSUBSCRIBED:
            outcome["actions"] = [
                BlockRecipient(
                    recipient=message.recipient,
                    reason="unsubscribed",
                    campaign_id=message.campaign_id,
                )
            ]
            return message.hard_bounce(
                BounceReason.BLOCKED_BY_RECIPIENT_OR_OPERATOR, at=now, provider_error_code=code
            )
        if result is Outcome.REJECTED_CONFIG:
            # Not the recipient's doing: back to the queue, the campaign stops (see _apply).
            return message.requeue(None, outcome=Outcome.REJECTED_CONFIG, provider_error_code=code)
        failed = message.requeue(found.reason, outcome=result, provider_error_code=code)
        decision = self.retry(
            RetryContext(
                message_id=message.id,
                attempts=failed.attempts,
                classification=found,
                now=now,
                next_allowed=self._next_allowed_for(message),
            )
        )
        if isinstance(decision, GiveUp):
            reason = decision.reason or found.reason or BounceReason.PROVIDER_UNKNOWN_FAILURE
            if not reason.is_soft:
                reason = BounceReason.PROVIDER_UNKNOWN_FAILURE
            return message.soft_bounce(reason, at=now, provider_error_code=code)
        outcome["actions"] = [
            RetryMessage(
                message_id=message.id,
                campaign_id=message.campaign_id,
                recipient=message.recipient,
                at=decision.at,
                throttled=decision.throttled,
                explanation=decision.explanation,
            )
        ]
        return failed

    def _next_allowed_for(self, message: Message) -> Callable[[datetime], datetime]:
        check = _stored_number(message.recipient)

        def next_allowed(at: datetime) -> datetime:
            decision = plan_send_time(
                at,
                country=check.region,
                candidate_zones=check.time_zones,
                registry=self.rules,
                zone_policy=self.zone_policy,
                horizon=timedelta(days=400),
            )
            return at if decision.send_at is None else decision.send_at

        return next_allowed

    # suspension ----------------------------------------------------------------------------

    def _monitor(self, campaign_id: str) -> None:
        with self._lock:
            if campaign_id in self._monitors:
                return
        counts = self.storage.campaign_counts(campaign_id)
        by_status = dict.fromkeys(MessageStatus, 0)
        for key, cell in counts.cells.items():
            if key.sent:  # refusals before sending (invalid numbers, landlines) never reach a
                by_status[key.status] += cell.messages  # carrier: they are not its rates
        unsubscribers = sum(e.unsubscribers for e in counts.engagement.values())
        policy = replay(
            self.suspension,
            delivered=by_status[MessageStatus.DELIVERED],
            soft_bounces=by_status[MessageStatus.SOFT_BOUNCE],
            hard_bounces=by_status[MessageStatus.HARD_BOUNCE],
            unsubscribes=unsubscribers,
        )
        with self._lock:
            self._monitors.setdefault(campaign_id, _Monitor(policy, policy.verdict().level))

    def _observe(self, campaign_id: str, observation: Observation, now: datetime) -> list[Action]:
        self._monitor(campaign_id)
        with self._lock:
            monitor = self._monitors[campaign_id]
            monitor.policy, level = observe_level(monitor.policy, observation)
            previous, monitor.level = monitor.level, level
            if level is Level.OK:
                return []
            verdict = monitor.policy.verdict()  # what observe() would have returned
        if verdict.level is Level.SUSPEND:
            return self._suspend(
                campaign_id, now, f"{verdict.policy}: {verdict.metric}", _evidence(verdict)
            )
        if verdict.level is Level.WARN and previous is Level.OK:
            _log.warning(
                "campaign %s: %s at WARN (%s)", campaign_id, verdict.policy, verdict.metric
            )
            return [CampaignWarning(campaign_id=campaign_id, at=now, evidence=_evidence(verdict))]
        return []

    def _suspend(
        self, campaign_id: str, now: datetime, reason: str, evidence: Mapping[str, Any]
    ) -> list[Action]:
        suspended: list[Action] = []

        def change(campaign: Campaign) -> CampaignChange | None:
            if campaign.status is not CampaignStatus.SENDING:
                return None
            suspended[:] = [
                SuspendCampaign(campaign_id=campaign_id, at=now, reason=reason, evidence=evidence)
            ]
            return campaign.suspend(at=now, reason=reason, evidence=evidence)

        self._change_campaign(campaign_id, change)
        if suspended:
            _log.warning("campaign %s suspended: %s", campaign_id, reason)
        return suspended

    def monitor_verdict(self, campaign_id: str) -> Any:
        """The current suspension verdict of a campaign (built from the store if needed)."""
        self._monitor(campaign_id)
        with self._lock:
            return self._monitors[campaign_id].policy.verdict()

    # inbound -------------------------------------------------------------------------------

    def inbound(
        self,
        sender: str,
        text: str,
        at: datetime,
        *,
        inbound_id: str | None = None,
        default_region: str | None = None,
    ) -> InboundResult:
        """An SMS from ``sender``: an opt-out if it is a STOP keyword, else a reply; attributed
        to the campaign most recently sent to that number within ``reply_window``."""
        at = check_utc("at", at)
        if not isinstance(text, str):
            raise ValidationError("text", "an inbound message is a text")
        check_text("text", text)  # bounded, encodable: before it is hashed for the inbound id
        check = check_number(sender, default_region=default_region or self.default_region)
        if check.e164 is None:
            raise ValidationError("sender", "not a phone number an SMS can come from")
        latest = self.storage.latest_message_to(check.e164, since=at - self.reply_window)
        campaign_id = None if latest is None else latest.campaign_id
        ident = inbound_id or f"in:{_digest(check.e164, at.isoformat(), text)}"
        keyword = self.stop_words.match(text)
        if keyword is not None:
            unsubscribe = Unsubscribe(
                id=ident, recipient=check.e164, at=at, keyword=keyword, campaign_id=campaign_id
            )
            recorded = self.storage.record_unsubscribe(unsubscribe)
            self.storage.block(check.e164, reason="unsubscribed", at=at)
            _log.info(
                "opt-out from %s (campaign %s): number blocked",
                mask_number(check.e164),
                campaign_id,
            )
            actions: list[Action] = [
                BlockRecipient(recipient=check.e164, reason="unsubscribed", campaign_id=campaign_id)
            ]
            if recorded and campaign_id is not None:
                actions.extend(self._observe(campaign_id, Observation.UNSUBSCRIBE, at))
            return InboundResult(
                kind="unsubscribe",
                campaign_id=campaign_id,
                reply=None,
                unsubscribe=unsubscribe,
                recorded=recorded,
                actions=tuple(actions),
            )
        reply = Reply(id=ident, recipient=check.e164, at=at, text=text, campaign_id=campaign_id)
        recorded = self.storage.record_reply(reply)
        return InboundResult(
            kind="reply", campaign_id=campaign_id, reply=reply, unsubscribe=None, recorded=recorded
        )


def _as_json(report: Mapping[str, Any]) -> str:
    """A report's mapping as canonical JSON text, to recognise it after a store's round trip."""
    return json.dumps(report, sort_keys=True, default=str)


def _blocks(actions: Iterable[Action], now: datetime) -> list[Block]:
    return [
        Block(recipient=a.recipient, reason=a.reason, at=now)
        for a in actions
        if isinstance(a, BlockRecipient)
    ]


def _evidence(verdict: Any) -> dict[str, Any]:
    return {
        "policy": verdict.policy,
        "metric": None if verdict.metric is None else str(verdict.metric.value),
        "observed_rate": verdict.observed_rate,
        "threshold": verdict.threshold,
        "sample_size": verdict.sample_size,
        "evidence": dict(verdict.evidence),
        "level": verdict.level.value,
    }
