"""``CampaignEngine``: every policy applied to every event, without doing any I/O.

Your service owns the clock, the provider and the network; for each event it calls the engine
with the time, and acts on the values returned:

* ``plan(campaign_id, lists, now)``: numbers checked and merged, blocked numbers left out,
  invalid numbers and landlines stored as avoidable soft bounces (never sent), send times chosen
  by the send-time rules; returns ``SendMessage`` (or ``NeedsZone``) actions.
* ``assign_zone(message_id, zone, now)``: the zone a ``NeedsZone`` asked for.
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

Each call reads, decides and writes: the decisions are the engine's other modules (planning,
transitions, the suspension monitors, inbound messages); this one reads what they need, writes
what they decided, and logs.

Reliability: writes are compare-and-set, re-read and re-applied on conflict (two threads or two
processes on one SQLite file lose no update and count nothing twice); the same report twice
changes nothing; a final state never moves back (late intermediate reports are ignored); a
report for an unknown provider id is kept and applied when ``submitted`` records that id.
The suspension monitors live in this engine's memory: rebuilt from the store's counts on first
use, they see the outcomes this engine applies (see docs/engine.md for several processes).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sms_campaign_stats._core.privacy import mask_number
from sms_campaign_stats._core.validate import check_text, check_utc
from sms_campaign_stats.bounces import EXPIRED, BounceClassifier, Classification, classify
from sms_campaign_stats.engine._actions import (
    Action,
    BlockRecipient,
    CampaignWarning,
    HandleResult,
    InboundResult,
    PlanResult,
)
from sms_campaign_stats.engine._inbound import DEFAULT_STOP_WORDS, StopWords, attribute
from sms_campaign_stats.engine._monitors import (
    Monitors,
    Suspension,
    alarm,
    monitor_from_counts,
    suspend,
)
from sms_campaign_stats.engine._planning import (
    check_plannable,
    plan_messages,
    send_action,
    start,
)
from sms_campaign_stats.engine._transitions import (
    Transition,
    aftermath,
    attempt_of,
    blocks_of,
    cancel,
    decide,
    submit,
)
from sms_campaign_stats.errors import ConflictError, ValidationError
from sms_campaign_stats.lifecycle._statuses import CampaignStatus, MessageStatus
from sms_campaign_stats.model import Block, Campaign, CampaignChange, Message, Unsubscribe
from sms_campaign_stats.phone_numbers import NumberValidator, build_recipients, check_number
from sms_campaign_stats.providers import DeliveryReport
from sms_campaign_stats.quiet_hours import (
    DEFAULT_RULES,
    DEFAULT_ZONE_POLICY,
    OutsideWindow,
    RuleRegistry,
    ZonePolicy,
)
from sms_campaign_stats.retry import DEFAULT_RETRY_POLICY, RetryPolicy
from sms_campaign_stats.storage import Storage
from sms_campaign_stats.suspension import DEFAULT_SUSPENSION_POLICY, Observation, SuspensionPolicy

_log = logging.getLogger(__name__)

__all__ = ["CampaignEngine"]


class CampaignEngine:
    """The sans-IO campaign engine over a ``Storage`` and replaceable policies."""

    def __init__(
        self,
        storage: Storage,
        *,
        validator: NumberValidator | None = None,
        default_region: str | None = None,
        rules: RuleRegistry = DEFAULT_RULES,
        zone_policy: ZonePolicy = DEFAULT_ZONE_POLICY,
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
        self._monitors = Monitors()

    # writes: compare-and-set, read again on a conflict ---------------------------------------

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

    # planning and sending --------------------------------------------------------------------

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
        check_plannable(campaign)
        zones = dict(explicit_zones or {})
        recipients = build_recipients(
            lists, default_region=self.default_region, validator=self.validator
        )
        blocked = self.storage.blocked(r.e164 for r in recipients.recipients)
        planned = plan_messages(
            campaign,
            recipients,
            blocked,
            now,
            zones=zones,
            category=category,
            rules=self.rules,
            zone_policy=self.zone_policy,
            outside_window=self.outside_window,
            horizon=self.horizon,
        )
        self.storage.add_messages(planned.messages)
        _log.info(
            "campaign %s planned: %d messages, %d refused, %d dropped, %d need a zone, %d blocked",
            campaign.id,
            len(planned.messages),
            planned.refused,
            planned.dropped,
            planned.needs_zone,
            len(blocked),
        )
        started = self._change_campaign(campaign.id, lambda c: start(c, now))
        return PlanResult(
            campaign=started,
            actions=planned.actions,
            messages=len(planned.messages),
            refused=planned.refused,
            dropped=planned.dropped,
            needs_zone=planned.needs_zone,
            blocked=len(blocked),
        )

    def assign_zone(self, message_id: str, zone: str, now: datetime) -> Action | None:
        """Give a queued message the zone it was missing: when to send it, in that zone."""
        message = self.storage.get_message(message_id)
        return self._send_action(message, now, explicit_zone=zone)

    def _send_action(
        self, message: Message, now: datetime, *, explicit_zone: str | None = None
    ) -> Action | None:
        now = check_utc("now", now)
        if message.status is not MessageStatus.QUEUED:
            return None  # not to be sent, whatever its campaign: no need to read it
        return send_action(
            message,
            self.storage.get_campaign(message.campaign_id),
            now,
            explicit_zone=explicit_zone,
            rules=self.rules,
            zone_policy=self.zone_policy,
            horizon=self.horizon,
        )

    def due(self, message_id: str, now: datetime) -> Action | None:
        """Just before sending: ``None`` if the message is no longer to be sent (its campaign
        was suspended or cancelled, it was already sent); else when to send it (``at == now``
        means now; a later time if the allowed hours moved on; ``NeedsZone`` if unknown)."""
        return self._send_action(self.storage.get_message(message_id), now)

    # campaign decisions ----------------------------------------------------------------------

    def resume(self, campaign_id: str, now: datetime, *, reason: str = "") -> list[Action]:
        """Resume a suspended campaign (recorded in its history) and send its queued messages.

        The rate monitors start afresh: resuming is a decision that the cause was dealt with.
        """
        now = check_utc("now", now)
        self._change_campaign(campaign_id, lambda c: c.resume(at=now, reason=reason))
        self._monitors.restart(campaign_id, self.suspension)
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
                self._change_message(message.id, lambda m: cancel(m, now))
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

    # reports ---------------------------------------------------------------------------------

    def submitted(
        self, message_id: str, provider_message_id: str, at: datetime
    ) -> list[HandleResult]:
        """The provider accepted the message under ``provider_message_id``: the first result is
        the submission's own (``"applied"``, or ``"duplicate"`` when it was already recorded;
        no classification), then one per report that arrived before (orphans), applied now in
        arrival order."""
        at = check_utc("at", at)
        message, changed = self._change_message(
            message_id, lambda m: submit(m, provider_message_id, at)
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
        return self._apply(
            message, attempt_of(message, report.provider_message_id), found, report, now
        )

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
        return [self._apply(m, len(m.attempts) - 1, EXPIRED, None, now) for m in stale]

    def _decide(
        self,
        message: Message,
        attempt: int,
        found: Classification,
        report: DeliveryReport | None,
        now: datetime,
    ) -> Transition:
        return decide(
            message,
            attempt,
            found,
            report,
            now,
            retry=self.retry,
            rules=self.rules,
            zone_policy=self.zone_policy,
        )

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
        decided = Transition(effect="pending")

        def change(message: Message) -> Message | None:
            nonlocal decided
            decided = self._decide(message, attempt, found, report, now)
            return decided.message

        message, changed = self._change_message(
            read.id, change, lambda: blocks_of(decided.actions, now), read=read
        )
        if not changed:
            return HandleResult(effect=decided.effect, message=message, classification=found)
        actions = self._after(message, attempt, found, list(decided.actions), now)
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
        effects = aftermath(message, attempt, found, now)
        if effects.unsubscribe is not None:
            self.storage.record_unsubscribe(effects.unsubscribe)
        if effects.suspension is not None:
            actions.extend(self._suspend(message.campaign_id, now, effects.suspension))
        if effects.observation is not None:
            actions.extend(self._observe(message.campaign_id, effects.observation, now))
        return actions

    def handle_many(
        self, reports: Sequence[DeliveryReport], now: datetime, *, batch_size: int = 1000
    ) -> list[HandleResult]:
        """Apply many reports, in order, with the same results as ``handle`` one by one, in
        batches: one lookup and one compare-and-set write per batch. A batch that meets a
        concurrent writer is applied again report by report."""
        now = check_utc("now", now)
        results: list[HandleResult] = []
        for start_at in range(0, len(reports), batch_size):
            results.extend(self._handle_batch(reports[start_at : start_at + batch_size], now))
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
        # Per report: (report, classification, message after it or as it stands, attempt,
        # transition); no message for an orphan.
        decided: list[
            tuple[DeliveryReport, Classification, Message | None, int, Transition | None]
        ] = []
        for report in reports:
            found = classify(report, classifier=self.classifier)
            stored = current.get(report.provider_message_id or "")
            if stored is None:
                decided.append((report, found, None, -1, None))
                continue
            message = by_id[stored.id]  # the latest state, after earlier reports of this batch
            attempt = attempt_of(message, report.provider_message_id)
            decision = self._decide(message, attempt, found, report, now)
            if decision.message is not None:
                message = by_id[message.id] = decision.message
            decided.append((report, found, message, attempt, decision))
        changed_ids = [mid for mid, m in by_id.items() if m is not original[mid]]
        batch_blocks = blocks_of((a for *_, t in decided if t is not None for a in t.actions), now)
        try:
            written = self.storage.update_messages(
                [by_id[mid] for mid in changed_ids], blocks=batch_blocks
            )
        except ConflictError:
            # Another writer touched one of these messages: nothing of the batch was written;
            # apply it report by report, each with its own compare-and-set.
            _log.debug("a batch of %d reports met a concurrent writer: one by one", len(reports))
            return [self.handle(report, now) for report in reports]
        latest = {m.id: m for m in written}
        results = []
        for report, found, after, attempt, transition in decided:
            if after is None or transition is None:
                results.append(self._keep_orphan(report, found, now))
            elif transition.effect != "applied":
                results.append(
                    HandleResult(effect=transition.effect, message=after, classification=found)
                )
            else:
                if by_id[after.id] is after:  # the last change of this message in the batch
                    after = latest[after.id]
                done = self._after(after, attempt, found, list(transition.actions), now)
                results.append(
                    HandleResult(
                        effect="applied",
                        message=after,
                        classification=found,
                        actions=tuple(done),
                    )
                )
        return results

    # suspension ------------------------------------------------------------------------------

    def _monitor(self, campaign_id: str) -> None:
        if campaign_id in self._monitors:
            return
        counts = self.storage.campaign_counts(campaign_id)
        self._monitors.add(campaign_id, monitor_from_counts(self.suspension, counts))

    def _observe(self, campaign_id: str, observation: Observation, now: datetime) -> list[Action]:
        self._monitor(campaign_id)
        verdict, previous = self._monitors.observe(campaign_id, observation)
        if verdict is None:
            return []
        raised = alarm(campaign_id, verdict, previous, now)
        if isinstance(raised, Suspension):
            return self._suspend(campaign_id, now, raised)
        if isinstance(raised, CampaignWarning):
            _log.warning(
                "campaign %s: %s at WARN (%s)", campaign_id, verdict.policy, verdict.metric
            )
            return [raised]
        return []

    def _suspend(self, campaign_id: str, now: datetime, suspension: Suspension) -> list[Action]:
        suspended: list[Action] = []

        def change(campaign: Campaign) -> CampaignChange | None:
            decided = suspend(campaign, suspension, now)
            if decided is None:
                return None
            change, action = decided
            suspended[:] = [action]
            return change

        self._change_campaign(campaign_id, change)
        if suspended:
            _log.warning("campaign %s suspended: %s", campaign_id, suspension.reason)
        return suspended

    def monitor_verdict(self, campaign_id: str) -> Any:
        """The current suspension verdict of a campaign (built from the store if needed)."""
        self._monitor(campaign_id)
        return self._monitors.verdict(campaign_id)

    # inbound ---------------------------------------------------------------------------------

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
        received = attribute(
            check.e164,
            text,
            at,
            latest=latest,
            stop_words=self.stop_words,
            inbound_id=inbound_id,
        )
        campaign_id = received.campaign_id
        if isinstance(received, Unsubscribe):
            recorded = self.storage.record_unsubscribe(received)
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
                unsubscribe=received,
                recorded=recorded,
                actions=tuple(actions),
            )
        recorded = self.storage.record_reply(received)
        return InboundResult(
            kind="reply",
            campaign_id=campaign_id,
            reply=received,
            unsubscribe=None,
            recorded=recorded,
        )


def _as_json(report: Mapping[str, Any]) -> str:
    """A report's mapping as canonical JSON text, to recognise it after a store's round trip."""
    return json.dumps(report, sort_keys=True, default=str)
