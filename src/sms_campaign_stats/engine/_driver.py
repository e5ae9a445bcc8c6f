"""``CampaignEngine``: every policy applied to every event, one atomic change per event.

Your service owns the clock, the provider and the network; for each event it calls the engine
with the time, and acts on the values returned:

* ``plan(campaign_id, lists, now)``: numbers checked and merged, blocked numbers left out,
  invalid numbers and landlines stored as avoidable soft bounces (never sent), send times chosen
  by the send-time rules and stored; returns ``SendMessage`` (or ``NeedsZone``) actions. Planning
  again adds only what is new.
* ``assign_zone(message_id, zone, now)``: the zone a ``NeedsZone`` asked for.
* ``due(message_id, now)``: just before sending, is it still to be sent, and now?
* ``due_retries(now)``: the stored retries whose time has come (after a restart).
* ``submitted(message_id, provider_message_id, at)``: the provider took it (orphan reports that
  arrived first are applied in the same change).
* ``handle(report, now)``: a delivery report classified, the message moved along its lifecycle,
  the retry policy asked and the retry stored, the campaign's evidence counted:
  ``RetryMessage``, ``BlockRecipient``, ``SuspendCampaign``, ``CampaignWarning`` actions.
* ``inbound(sender, text, at)``: a reply or an opt-out (STOP keywords), attributed to the campaign
  last sent to that number within ``reply_window`` before it.
* ``expire(now)``: messages without a final report after ``pending_timeout``: retried or soft
  bounces (EXPIRED_AT_OPERATOR).
* ``resume``, ``cancel``, ``complete_if_done``: explicit campaign decisions, recorded.

One event, one change: each call reads what it needs, decides with the pure functions of the
engine's other modules (planning, transitions, the suspension monitors, inbound messages), and
hands the store one ``Change`` that ``Storage.commit`` writes whole or not at all. On a conflict
(another writer changed what was read) it reads again and decides again. Replaying an event after
a crash decides nothing more: the message is final, its attempt known, its opt-out recorded.
What a restart needs is in the store: the due time and zone of every queued message, the
suspension evidence since the campaign last started or resumed. The monitors here are caches.

Sans-IO: each call's logic is written once, as a generator (``_Engine._plan``, ``_handle_batch``,
...) that yields what it needs of the store (``Call``: a read; ``Scan``: a scan, gathered by the
driver through the operation's own filter; ``Commit``: a change), receives the answer through
``send`` (or the store's exception through ``throw``) and returns the call's value. The read,
decide again on a conflict loop (``_commit``) is part of the generators too. A driver only
answers the requests: ``CampaignEngine._run`` from a ``Storage``, in the caller's thread;
``AsyncCampaignEngine`` (``engine._async_driver``) awaits them from an ``AsyncStorage``. Both
run the same decisions, so both give the same results and leave the same store.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any, Generic, TypeVar

import attrs

from sms_campaign_stats._core.privacy import mask_number, mask_numbers_in
from sms_campaign_stats._core.validate import check_instant, check_text
from sms_campaign_stats._core.validate import earlier as _earlier
from sms_campaign_stats.bounces import (
    EXPIRED,
    BounceClassifier,
    Classification,
    SoftBounceEscalation,
    classify,
)
from sms_campaign_stats.engine._actions import (
    Action,
    BlockRecipient,
    HandleResult,
    InboundResult,
    PlanResult,
    RetryMessage,
    SendMessage,
)
from sms_campaign_stats.engine._inbound import DEFAULT_STOP_WORDS, StopWords, attribute
from sms_campaign_stats.engine._monitors import (
    Monitor,
    MonitorCache,
    Suspension,
    Watching,
    evidence_of,
    monitor_of,
    suspend,
    suspension_of,
)
from sms_campaign_stats.engine._parts import (
    DEFAULT_PART_POLICY,
    PartPolicy,
    check_resubmission,
    expiry_report,
    provider_ids_argument,
    route,
    to_part_policy,
)
from sms_campaign_stats.engine._planning import (
    Plan,
    check_plannable,
    plan_messages,
    send_action,
    start,
)
from sms_campaign_stats.engine._transitions import (
    OPTED_OUT,
    Transition,
    aftermath,
    attempt_of,
    blocks_of,
    cancel,
    decide,
    opted_out,
    soft_reason,
    submit,
)
from sms_campaign_stats.errors import ConflictError, DuplicateError, NotFoundError, ValidationError
from sms_campaign_stats.lifecycle import CampaignStatus, MessageStatus, Outcome
from sms_campaign_stats.model import (
    Block,
    Campaign,
    CampaignChange,
    Message,
    Reply,
    TimelineEvent,
    Unsubscribe,
)
from sms_campaign_stats.phone_numbers import NumberValidator, build_recipients, check_number
from sms_campaign_stats.providers import DeliveryReport, InboundMessage
from sms_campaign_stats.quiet_hours import (
    DEFAULT_RULES,
    DEFAULT_ZONE_POLICY,
    OutsideWindow,
    RuleRegistry,
    ZonePolicy,
)
from sms_campaign_stats.retry import DEFAULT_RETRY_POLICY, DEFAULT_WINDOW, RetryPolicy
from sms_campaign_stats.storage import Change, Committed, Completion, Evidence, Orphan, Storage
from sms_campaign_stats.storage._threaded import claim_due, get_messages
from sms_campaign_stats.suspension import (
    DEFAULT_SUSPENSION_POLICY,
    Level,
    Observation,
    SuspensionPolicy,
)

_log = logging.getLogger(__name__)
_SEARCH_DAYS = 400  # how far a send-time rule looks for an allowed instant

__all__ = ["CampaignEngine"]

_NOTHING = Committed()
_OBSERVATION = {
    MessageStatus.DELIVERED: Observation.DELIVERED,
    MessageStatus.SOFT_BOUNCE: Observation.SOFT_BOUNCE,
    MessageStatus.HARD_BOUNCE: Observation.HARD_BOUNCE,
}
T = TypeVar("T")
S = TypeVar("S")  # the store a driver serves the requests from: Storage, or AsyncStorage


# What an operation asks of the store -----------------------------------------------------------


# Plain slotted classes, not frozen: an operation yields several per event, so they cost as
# little as a class can (an attrs frozen class or a NamedTuple costs twice as much to make).


@attrs.define
class Call:
    """``storage.<method>(*args, **kwargs)``: a read (``Commit`` writes)."""

    method: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] | None = None

    def serve(self, storage: Any) -> Any:
        """The call on ``storage``: its value (a ``Storage``), its awaitable (``AsyncStorage``)."""
        if self.kwargs is None:
            return getattr(storage, self.method)(*self.args)
        return getattr(storage, self.method)(*self.args, **self.kwargs)


@attrs.define
class Scan(Call):
    """A scan (``iter_messages``, ``iter_due``, ``iter_stale``: ``serve`` gives the iterator, or
    the asynchronous iterator), which the driver gathers into a list of ``keep(message)`` for
    each message where that is not ``None`` (every message without ``keep``): only what the
    operation keeps is held, the store's pages come and go."""

    keep: Callable[[Message], Any] | None = None


@attrs.define
class Commit:
    """``storage.commit(change)``: the operation receives the ``Committed``."""

    change: Change

    def serve(self, storage: Any) -> Any:
        """The commit on ``storage``: its ``Committed``, or the awaitable of it."""
        return storage.commit(self.change)


@attrs.define
class Claim:
    """``storage.claim_due(now, until=until, limit=limit)`` (``StorageBase``'s, through the
    store's contract, for a store without one): the due messages leased to this worker, as
    stored. ``serve`` claims from a ``Storage``; the async driver awaits ``claim_due_async``."""

    now: datetime
    until: datetime
    limit: int

    def serve(self, storage: Any) -> Any:
        """The claim on a ``Storage``: the messages claimed."""
        return claim_due(storage, self.now, until=self.until, limit=self.limit)


@attrs.define
class Messages:
    """``storage.get_messages(ids)`` (``StorageBase``'s, a ``get_message`` per id, for a store
    without one): each stored message of these ids, by id. ``serve`` reads from a ``Storage``;
    the async driver awaits ``get_messages_async``."""

    message_ids: list[str]

    def serve(self, storage: Any) -> Any:
        """The messages read from a ``Storage``."""
        return get_messages(storage, self.message_ids)


@attrs.define
class Prefetch:
    """A hint, answered with ``None``: ``find_messages_by_provider_ids`` of these ids comes
    soon. A store that offers ``prefetch_messages_by_provider_ids`` starts the read meanwhile
    (``PostgresStorage``: on another connection); the others are not asked. Results are the
    same either way."""

    provider_message_ids: list[str]

    def serve(self, storage: Any) -> Any:
        """The hint to ``storage`` (``None``, or the awaitable an ``AsyncStorage`` returns)."""
        hint = getattr(storage, "prefetch_messages_by_provider_ids", None)
        return None if hint is None else hint(self.provider_message_ids)


#: What an operation yields: the driver answers each with ``send`` (its value) or ``throw``
#: (the store's exception).
Request = Call | Scan | Commit | Claim | Messages | Prefetch
#: One engine operation: a generator of requests that returns the operation's value.
Operation = Generator[Request, Any, T]


def gather(items: Iterable[Message], keep: Callable[[Message], Any] | None) -> list[Any]:
    """A scan's items as ``Scan`` keeps them."""
    if keep is None:
        return list(items)
    return [kept for item in items if (kept := keep(item)) is not None]


def _queued(message: Message) -> Message | None:
    return message if message.status is MessageStatus.QUEUED else None


_recipient = attrgetter("recipient")


# One event's decisions ---------------------------------------------------------------------------


class _Step:
    """What one event decides, gathered while it is decided: the ``Change`` to commit and the
    monitors it leaves (kept in the cache once the change is written)."""

    def __init__(self, engine: _Engine[Any], now: datetime) -> None:
        self._engine = engine
        self.now = now
        self.campaigns: dict[str, Campaign] = {}  # as read, or as this event changes them
        self.changed_campaigns: set[str] = set()
        self.messages: dict[str, Message] = {}  # as this event leaves them
        self.read_messages: dict[str, Message] = {}
        self.events: list[TimelineEvent] = []
        self.unsubscribes: list[Unsubscribe] = []
        self.replies: list[Reply] = []
        self.blocks: list[Block] = []
        self.orphans: list[Orphan] = []
        self.taken_orphans: list[str] = []
        self.completions: list[str] = []
        self.new_messages: tuple[Message, ...] = ()
        self.restarts: list[str] = []  # campaigns whose evidence starts afresh (start, resume)
        self._evidence: dict[str, Evidence] = {}  # the store's, as read
        self._monitors: dict[str, Watching] = {}
        self._observed: dict[str, list[Observation]] = {}

    def campaign(self, campaign_id: str) -> Operation[Campaign]:
        """The campaign, as read once per event or as this event changed it."""
        found = self.campaigns.get(campaign_id)
        if found is None:
            found = self.campaigns[campaign_id] = yield Call("get_campaign", (campaign_id,))
        return found

    def change_campaign(self, changed: CampaignChange) -> None:
        self.campaigns[changed.campaign.id] = changed.campaign
        self.changed_campaigns.add(changed.campaign.id)
        self.events.append(changed.event)

    def message(self, read: Message) -> Message:
        """The latest state of a message this event read (``read``) or changed."""
        self.read_messages.setdefault(read.id, read)
        return self.messages.get(read.id, self.read_messages[read.id])

    def set_message(self, message: Message) -> None:
        self.messages[message.id] = message

    def observe(self, campaign_id: str, observation: Observation) -> Operation[list[Action]]:
        """Feed the campaign's monitor (from the store's evidence) one outcome; what it asks."""
        watching = self._monitors.get(campaign_id)
        if watching is None:
            read: Evidence = yield Call("evidence", (campaign_id,))
            self._evidence[campaign_id] = read
            monitor = self._engine._monitors.get(self._engine.suspension, read)
            watching = self._monitors[campaign_id] = Watching(monitor)
        raised = watching.observe(observation, campaign_id, self.now)
        self._observed.setdefault(campaign_id, []).append(observation)
        actions: list[Action] = []
        for found in raised:
            if isinstance(found, Suspension):
                actions.extend((yield from self.suspend(campaign_id, found)))
            else:
                actions.append(found)
        return actions

    def suspend(self, campaign_id: str, suspension: Suspension) -> Operation[list[Action]]:
        campaign = yield from self.campaign(campaign_id)
        decided = suspend(campaign, suspension, self.now)
        if decided is None:
            return []
        change, action = decided
        self.change_campaign(change)
        return [action]

    def complete_if_last(self, message: Message) -> None:
        """Complete the campaign with this change if this final outcome was its last one."""
        if message.status.is_final and message.campaign_id not in self.completions:
            self.completions.append(message.campaign_id)

    def change(self) -> Change:
        evidence = [Evidence(campaign_id=cid, restart=True) for cid in self.restarts]
        evidence.extend(evidence_of(cid, seen) for cid, seen in self._observed.items())
        return Change(
            new_messages=self.new_messages,
            campaigns=tuple(self.campaigns[cid] for cid in self.changed_campaigns),
            messages=tuple(self.messages.values()),
            events=tuple(self.events),
            replies=tuple(self.replies),
            unsubscribes=tuple(self.unsubscribes),
            blocks=tuple(self.blocks),
            orphans=tuple(self.orphans),
            taken_orphans=tuple(self.taken_orphans),
            evidence=tuple(evidence),
            completions=tuple(  # an event reads a campaign before it completes it
                Completion(campaign_id=cid, at=self.now)
                for cid in self.completions
                if self.campaigns[cid].status is CampaignStatus.SENDING
            ),
        )

    def written(self, committed: Committed) -> list[tuple[str, Monitor]]:
        """The change is committed: its monitors stand for the store's evidence now.

        Where the store's evidence after the change (``committed.evidence``) also counts
        outcomes that other writers committed between this event's read and its commit, the
        monitor is rebuilt from it; those whose verdict then asks to suspend a campaign that this
        change left sending are returned: neither writer's outcomes reached it alone."""
        stored = {e.campaign_id: e for e in committed.evidence}
        late: list[tuple[str, Monitor]] = []
        for campaign_id, watching in self._monitors.items():
            ours = self._evidence[campaign_id].plus(
                evidence_of(campaign_id, self._observed[campaign_id])
            )
            after = stored.get(campaign_id, ours)
            if after == ours:
                self._engine._monitors.put(after, watching.monitor)
                continue
            monitor = monitor_of(self._engine.suspension, after)
            self._engine._monitors.put(after, monitor)
            ours_left = self.campaigns.get(campaign_id)
            if monitor.level is Level.SUSPEND and (
                ours_left is None or ours_left.status is CampaignStatus.SENDING
            ):
                late.append((campaign_id, monitor))
        return late


class _Engine(Generic[S]):
    """The engine's configuration and its operations, each written once as a generator of
    requests to the store (``Call``, ``Scan``, ``Commit``, ``Claim``) that returns the
    operation's value: ``CampaignEngine`` serves them from a ``Storage``,
    ``AsyncCampaignEngine`` awaits them from an ``AsyncStorage``."""

    _NAME = "CampaignEngine"  # how the constructor's errors name the engine

    def __init__(
        self,
        storage: S,
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
        escalation: SoftBounceEscalation | None = None,
        retry_window: timedelta = DEFAULT_WINDOW,
        parts: PartPolicy | str = DEFAULT_PART_POLICY,
    ) -> None:
        for name, value in (
            ("reply_window", reply_window),
            ("pending_timeout", pending_timeout),
            ("retry_window", retry_window),
        ):
            if not isinstance(value, timedelta) or value <= timedelta(0):
                raise ValidationError(f"{self._NAME}.{name}", "must be a positive timedelta")
        if not isinstance(conflict_retries, int) or conflict_retries < 1:
            raise ValidationError(f"{self._NAME}.conflict_retries", "must be at least 1")
        if escalation is not None and not isinstance(escalation, SoftBounceEscalation):
            raise ValidationError(
                f"{self._NAME}.escalation", "must be a SoftBounceEscalation or None"
            )
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
        self.escalation = escalation
        self.retry_window = retry_window
        self.parts = to_part_policy(parts)
        self._conflict_retries = conflict_retries
        self._monitors = MonitorCache()
        self._before, self._after = self._margins()

    def _margins(self) -> tuple[timedelta, timedelta]:
        """How far before and after ``now`` an event computes instants: a local day either side
        (time zones), the send-time search of 400 days ahead, and the escalation window back
        (``SoftBounceEscalation`` subtracts it). The engine's own windows back (replies,
        pending reports) start at year 1 at the earliest (``earlier``)."""
        spare = timedelta(days=2)
        back = spare
        if self.escalation is not None:
            try:
                back = self.escalation.window + spare
            except OverflowError:
                back = timedelta.max  # every instant is refused, with a typed error
        return back, timedelta(days=_SEARCH_DAYS) + spare

    def _now(self, now: datetime, field: str = "now") -> datetime:
        """``now`` in UTC, far enough from year 1 and year 9999 for every instant an event
        computes from it: else a ``ValidationError`` naming ``field`` (never an OverflowError)."""
        return check_instant(field, now, before=self._before, after=self._after)

    # one change per event: decide, commit, decide again on a conflict -------------------------

    def _commit(
        self,
        decide: Callable[[], Operation[tuple[_Step, T]]],
        *,
        also: tuple[type[Exception], ...] = (),
        late: list[Action] | None = None,
    ) -> Operation[tuple[Committed, T]]:
        """Decide and commit, reading again and deciding again when another writer got there
        first (``ConflictError``, and ``also``). A suspension that only the evidence as stored
        after the commit reaches (other writers' outcomes with this event's) follows in a
        change of its own; its actions are added to ``late``."""
        catch: tuple[type[Exception], ...] = (ConflictError, *also)
        for _ in range(self._conflict_retries):
            step, value = yield from decide()
            change = step.change()
            if change.is_empty:
                return _NOTHING, value
            try:
                committed: Committed = yield Commit(change)
            except catch:
                _log.debug("a concurrent writer changed what this event read: decide again")
                continue
            reached = step.written(committed)
            if reached:  # rare: outcomes of other writers brought the campaign to a suspension
                suspended = yield from self._suspend_late(reached, step.now)
                (late if late is not None else []).extend(suspended)  # a caller without outcomes
            for campaign in committed.completed:
                _log.info("campaign %s completed", campaign.id)
            for campaign in committed.campaigns:
                if campaign.status is CampaignStatus.SUSPENDED:
                    _log.warning("campaign %s suspended", campaign.id)
            return committed, value
        raise ConflictError("event", "change", -1, -1)

    def _suspend_late(
        self, reached: list[tuple[str, Monitor]], now: datetime
    ) -> Operation[list[Action]]:
        """Suspend each campaign whose evidence, as stored after a commit, asks for it: one
        change each (the campaign read again: another writer may have suspended it already)."""
        actions: list[Action] = []
        for campaign_id, monitor in reached:
            found = suspension_of(monitor.policy.verdict())
            _log.info("campaign %s: the evidence of several writers asks to suspend", campaign_id)

            def decide(
                campaign_id: str = campaign_id, found: Suspension = found
            ) -> Operation[tuple[_Step, list[Action]]]:
                step = _Step(self, now)
                return step, (yield from step.suspend(campaign_id, found))

            actions.extend((yield from self._commit(decide))[1])
        return actions

    def _handled(
        self, results: Sequence[_Result], committed: Committed, late: Sequence[Action] = ()
    ) -> Operation[list[HandleResult]]:
        """Each result with its message as stored: from ``committed``, else read; a late
        suspension's action goes with the last result of its campaign."""
        handled: list[HandleResult] = []
        for result in results:
            message = committed.message(result.message_id) or (
                yield Call("get_message", (result.message_id,))
            )
            handled.append(result.handled(message))
        return _with_late(handled, late)

    # planning and sending --------------------------------------------------------------------

    def _plan(
        self,
        campaign_id: str,
        lists: Mapping[str, Iterable[str]],
        now: datetime,
        explicit_zones: Mapping[str, str] | None,
        category: str,
    ) -> Operation[PlanResult]:
        now = self._now(now)
        zones = dict(explicit_zones or {})
        recipients = build_recipients(
            lists, default_region=self.default_region, validator=self.validator
        )

        def decide() -> Operation[tuple[_Step, tuple[Plan, frozenset[str]]]]:
            step = _Step(self, now)
            campaign = yield from step.campaign(campaign_id)
            blocked = yield Call("blocked", ((r.e164 for r in recipients.recipients),))
            existing = yield Scan("iter_messages", (campaign_id,), keep=_recipient)
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
                planned=frozenset(existing),
                first_rank=len(existing),
            )
            if not planned.messages and campaign.status is not CampaignStatus.DRAFT:
                return step, (planned, blocked)  # nothing new: a replayed plan changes nothing
            check_plannable(campaign)
            started = start(campaign, now)
            if started is not None:
                step.change_campaign(started)
                step.restarts.append(campaign_id)
            step.new_messages = planned.messages
            return step, (planned, blocked)

        committed, (planned, blocked) = yield from self._commit(decide, also=(DuplicateError,))
        campaign = next(iter(committed.campaigns), None) or (
            yield Call("get_campaign", (campaign_id,))
        )
        _log.info(
            "campaign %s planned: %d messages, %d refused, %d dropped, %d need a zone, "
            "%d blocked, %d planned already",
            campaign_id,
            len(planned.messages),
            planned.refused,
            planned.dropped,
            planned.needs_zone,
            len(blocked),
            planned.already_planned,
        )
        return PlanResult(
            campaign=campaign,
            actions=planned.actions,
            messages=len(planned.messages),
            refused=planned.refused,
            dropped=planned.dropped,
            needs_zone=planned.needs_zone,
            blocked=len(blocked),
            already_planned=planned.already_planned,
        )

    def _assign_zone(self, message_id: str, zone: str, now: datetime) -> Operation[Action | None]:
        now = self._now(now)

        def decide() -> Operation[tuple[_Step, Action | None]]:
            step = _Step(self, now)
            message: Message = yield Call("get_message", (message_id,))
            if message.status is not MessageStatus.QUEUED:
                return step, None
            action = yield from self._send_action(step, message, now, explicit_zone=zone)
            if isinstance(action, SendMessage):
                step.set_message(step.message(message).wait_until(action.at, zone=zone))
            return step, action

        return (yield from self._commit(decide))[1]

    def _send_action(
        self, step: _Step, message: Message, now: datetime, *, explicit_zone: str | None = None
    ) -> Operation[Action | None]:
        campaign = step.campaigns.get(message.campaign_id) or (
            yield from step.campaign(message.campaign_id)
        )
        return send_action(
            message,
            campaign,
            now,
            explicit_zone=explicit_zone,
            rules=self.rules,
            zone_policy=self.zone_policy,
            horizon=self.horizon,
        )

    def _due(self, message_id: str, now: datetime) -> Operation[Action | None]:
        now = self._now(now)
        message: Message = yield Call("get_message", (message_id,))
        if message.status is not MessageStatus.QUEUED:
            return None  # not to be sent, whatever its campaign: no need to read it
        return (yield from self._send_action(_Step(self, now), message, now))

    def _due_many(
        self, message_ids: Iterable[str], now: datetime, batch_size: int
    ) -> Operation[dict[str, Action | None]]:
        now = self._now(now)
        size = _batch_size(batch_size)
        if isinstance(message_ids, str | bytes) or not isinstance(message_ids, Iterable):
            raise ValidationError("message_ids", "an iterable of message ids (not one id)")
        given = list(message_ids)
        for message_id in given:
            _check_message_id("message_ids", message_id)
        wanted = list(dict.fromkeys(given))
        due: dict[str, Action | None] = {}
        for first in range(0, len(wanted), size):
            chunk = wanted[first : first + size]
            stored: dict[str, Message] = yield Messages(chunk)
            step = _Step(self, now)  # each campaign read once per batch
            for message_id in chunk:
                message = stored.get(message_id)
                if message is None:
                    raise NotFoundError("message", message_id)
                if message.status is not MessageStatus.QUEUED:
                    due[message_id] = None
                else:
                    due[message_id] = yield from self._send_action(step, message, now)
        return due

    def _due_retries(self, now: datetime, batch_size: int) -> Operation[list[RetryMessage]]:
        now = self._now(now)

        def retry(message: Message) -> RetryMessage | None:
            if not message.attempts or message.due_at is None:
                return None
            return self._retry_action(message, message.due_at, "a stored retry whose time has come")

        retries: list[RetryMessage] = yield Scan(
            "iter_due", (now,), {"batch_size": batch_size}, retry
        )
        return retries

    def _claim_due_retries(
        self, now: datetime, lease: timedelta, limit: int
    ) -> Operation[list[RetryMessage | SendMessage]]:
        now = self._now(now)
        if not isinstance(lease, timedelta) or lease <= timedelta(0):
            raise ValidationError("lease", "must be a positive timedelta")
        try:
            until = now + lease
        except OverflowError:
            raise ValidationError("lease", "ends after the calendar's last instant") from None
        claimed: list[Message] = yield Claim(now, until, limit)
        why = f"a due retry, claimed until {until.isoformat()}"
        return [
            self._retry_action(message, now, why)
            if message.attempts
            else SendMessage(
                message_id=message.id,
                campaign_id=message.campaign_id,
                recipient=message.recipient,
                at=now,
            )
            for message in claimed
        ]

    # campaign decisions ----------------------------------------------------------------------

    def _resume(self, campaign_id: str, now: datetime, reason: str) -> Operation[list[Action]]:
        now = self._now(now)

        def decide() -> Operation[tuple[_Step, list[Action]]]:
            step = _Step(self, now)
            campaign = yield from step.campaign(campaign_id)
            step.change_campaign(campaign.resume(at=now, reason=reason))
            step.restarts.append(campaign_id)
            actions: list[Action] = []
            queued: list[Message] = yield Scan("iter_messages", (campaign_id,), keep=_queued)
            for read in queued:
                message = step.message(read)
                planned = yield from self._replan(step, message, now)
                if planned is None:
                    continue
                if isinstance(planned, Message):  # given up
                    step.set_message(planned)
                    step.complete_if_last(planned)
                    continue
                actions.append(planned)
            return step, actions

        return (yield from self._commit(decide))[1]

    def _replan(
        self, step: _Step, message: Message, now: datetime
    ) -> Operation[Action | Message | None]:
        """A queued message of a resumed campaign: its action (its time kept, or moved to now
        in allowed hours, and stored), or the message given up (a retry past its window)."""
        if message.due_at is not None and message.due_at > now:
            if message.attempts:
                return self._retry_action(message, message.due_at, "the retry planned before")
            return SendMessage(
                message_id=message.id,
                campaign_id=message.campaign_id,
                recipient=message.recipient,
                at=message.due_at,
            )
        action = yield from self._send_action(
            step, message.wait_until(None, zone=message.zone), now
        )
        if not isinstance(action, SendMessage):
            return action  # a zone still to be given
        if message.attempts:
            opened = _first_failure(message)
            if action.at - opened > self.retry_window:
                return message.soft_bounce(soft_reason(message.bounce_reason), at=now)
            step.set_message(message.wait_until(action.at, zone=message.zone))
            return self._retry_action(message, action.at, "planned again on resume")
        step.set_message(message.wait_until(action.at, zone=message.zone))
        return action

    @staticmethod
    def _retry_action(message: Message, at: datetime, why: str) -> RetryMessage:
        return RetryMessage(
            message_id=message.id,
            campaign_id=message.campaign_id,
            recipient=message.recipient,
            at=at,
            throttled=bool(message.attempts) and message.attempts[-1].outcome is Outcome.THROTTLED,
            explanation=why,
        )

    def _cancel(self, campaign_id: str, now: datetime, reason: str) -> Operation[Campaign]:
        now = self._now(now)

        def decide() -> Operation[tuple[_Step, None]]:
            step = _Step(self, now)
            campaign = yield from step.campaign(campaign_id)
            step.change_campaign(campaign.cancel(at=now, reason=reason))
            queued: list[Message] = yield Scan("iter_messages", (campaign_id,), keep=_queued)
            for read in queued:
                cancelled = cancel(step.message(read), now)
                if cancelled is not None:
                    step.set_message(cancelled)
            return step, None

        committed, _ = yield from self._commit(decide)
        return committed.campaigns[0]

    def _complete_if_done(self, campaign_id: str, now: datetime) -> Operation[Campaign]:
        now = self._now(now)
        yield Call("get_campaign", (campaign_id,))  # NotFoundError for an unknown campaign
        yield Commit(Change(completions=(Completion(campaign_id=campaign_id, at=now),)))
        campaign: Campaign = yield Call("get_campaign", (campaign_id,))
        return campaign

    # reports ---------------------------------------------------------------------------------

    def _submitted(
        self, message_id: str, provider_message_id: str | Sequence[str], at: datetime
    ) -> Operation[list[HandleResult]]:
        at = self._now(at, "at")
        ids = provider_ids_argument(provider_message_id)
        return (yield from self._submitted_batch(((message_id, ids),), at))[message_id]

    def _submitted_many(
        self, acknowledged: Mapping[str, str | Sequence[str]], at: datetime, batch_size: int
    ) -> Operation[dict[str, list[HandleResult]]]:
        at = self._now(at, "at")
        size = _batch_size(batch_size)
        if not isinstance(acknowledged, Mapping):
            raise ValidationError("acknowledged", "a mapping of message ids to their provider ids")
        items: list[tuple[str, tuple[str, ...]]] = []
        owners: dict[str, str] = {}  # provider id -> the message it was given for
        for message_id, given in acknowledged.items():
            _check_message_id("acknowledged", message_id)
            ids = provider_ids_argument(given)
            for pid in ids:
                other = owners.setdefault(pid, message_id)
                if other != message_id:
                    raise ValidationError(
                        "acknowledged",
                        f"provider id {pid!r} is given for messages {other!r} and {message_id!r}",
                    )
            items.append((message_id, ids))
        results: dict[str, list[HandleResult]] = {}
        for first in range(0, len(items), size):
            results.update((yield from self._submitted_batch(items[first : first + size], at)))
        return results

    def _submitted_batch(
        self, items: Sequence[tuple[str, tuple[str, ...]]], at: datetime
    ) -> Operation[dict[str, list[HandleResult]]]:
        """Each (message id, provider ids) submitted in one change, each with the reports that
        arrived before it (orphans): what ``submitted`` decides for each, in this order."""

        owner = {pid: message_id for message_id, ids in items for pid in ids}

        def decide() -> Operation[tuple[_Step, list[list[_Result]]]]:
            step = _Step(self, at)
            # The messages first, then their orphans: an orphan seen was still kept after the
            # messages were read, so whoever took it since changed a message read here, and
            # this change's compare-and-set fails (read again, decided again), never applying
            # that orphan a second time.
            stored: dict[str, Message] = yield Messages([message_id for message_id, _ in items])
            found: list[Orphan] = yield Call("orphans", (list(owner),))
            kept = [o for o in found if o.provider_message_id in owner]  # only those asked for
            step.taken_orphans.extend(dict.fromkeys(o.provider_message_id for o in kept))
            waiting: dict[str, list[Orphan]] = {}  # per message, in arrival order
            for orphan in kept:
                waiting.setdefault(owner[orphan.provider_message_id], []).append(orphan)
            decided: list[list[_Result]] = []
            for message_id, ids in items:
                read = stored.get(message_id)
                if read is None:
                    raise NotFoundError("message", message_id)
                message = step.message(read)
                submitted = submit(message, ids, at)
                if submitted is None:
                    check_resubmission(message, ids)
                results = [_Result("applied" if submitted is not None else "duplicate", read.id)]
                if submitted is not None:
                    step.set_message(submitted)
                for orphan in waiting.get(message_id, ()):
                    report = DeliveryReport.from_dict(orphan.report)
                    results.append(
                        (yield from self._apply(step, read, report, self._classify(report), at))
                    )
                decided.append(results)
            return step, decided

        late: list[Action] = []
        committed, decided = yield from self._commit(decide, late=late)
        handled = yield from self._handled([r for rs in decided for r in rs], committed, late)
        split: dict[str, list[HandleResult]] = {}
        first = 0
        for (message_id, _), results in zip(items, decided, strict=True):
            split[message_id] = handled[first : first + len(results)]
            first += len(results)
        recorded = {  # the provider ids of the attempts this change made
            pid: message_id
            for pid, message_id in owner.items()
            if split[message_id][0].effect == "applied"
        }
        if recorded:
            taken = yield from self._kept_meanwhile(recorded, at)
            for message_id, more in taken.items():
                split[message_id].extend(more)
        return split

    def _kept_meanwhile(
        self, recorded: Mapping[str, str], at: datetime
    ) -> Operation[dict[str, list[HandleResult]]]:
        """Reports kept as orphans for the provider ids an acknowledgement has just recorded
        (``recorded``: provider id -> message id) by a handler that looked for those ids before
        the acknowledgement committed, then again before it committed: taken and applied now,
        in a change of their own. Each side commits, then looks: one of them finds the report."""
        found: list[Orphan] = yield Call("orphans", (list(recorded),))
        if not found:
            return {}
        # Only those seen: one kept after this look is the handler's to find (it looks again
        # after its own commit, which comes after this acknowledgement's).
        owners = {o.provider_message_id: recorded[o.provider_message_id] for o in found}
        committed, applied, late = yield from self._take_orphans(owners, at)
        handled = yield from self._handled([result for *_, result in applied], committed, late)
        taken: dict[str, list[HandleResult]] = {}
        for (message_id, _, _), result in zip(applied, handled, strict=True):
            taken.setdefault(message_id, []).append(result)
        return taken

    def _take_orphans(
        self, owners: Mapping[str, str], now: datetime
    ) -> Operation[tuple[Committed, list[tuple[str, Orphan, _Result]], list[Action]]]:
        """The orphans kept for recorded provider ids (``owners``: provider id -> its message
        id) taken and applied in one change: (message id, orphan, result) for each, in arrival
        order, and the late actions. Whoever takes an orphan applies it, in the change that
        takes it: exactly once."""

        def decide() -> Operation[tuple[_Step, list[tuple[str, Orphan, _Result]]]]:
            step = _Step(self, now)
            # The messages first, then the orphans (as ``_submitted_batch``): a taker that
            # changed a message since it was read makes this change's compare-and-set fail.
            stored: dict[str, Message] = yield Messages(list(dict.fromkeys(owners.values())))
            found: list[Orphan] = yield Call("orphans", (list(owners),))
            kept = [o for o in found if o.provider_message_id in owners]
            step.taken_orphans.extend(dict.fromkeys(o.provider_message_id for o in kept))
            applied: list[tuple[str, Orphan, _Result]] = []
            for orphan in kept:
                message_id = owners[orphan.provider_message_id]
                read = stored.get(message_id)
                if read is None:  # deleted by a store of yours (ours never delete a message)
                    raise NotFoundError("message", message_id)
                report = DeliveryReport.from_dict(orphan.report)
                result = yield from self._apply(step, read, report, self._classify(report), now)
                applied.append((message_id, orphan, result))
            return step, applied

        late: list[Action] = []
        committed, applied = yield from self._commit(decide, late=late)
        return committed, applied, late

    def _classify(self, report: DeliveryReport) -> Classification:
        return classify(report, classifier=self.classifier)

    def _handle(self, report: DeliveryReport, now: datetime) -> Operation[list[HandleResult]]:
        """The report checked, and the operation of its batch of one (not a generator itself:
        one level less for the requests of the most frequent call to pass through)."""
        now = self._now(now)
        if not isinstance(report, DeliveryReport):
            raise ValidationError(
                "report", f"expected a DeliveryReport, got {type(report).__name__}"
            )
        if report.provider_message_id is None:
            raise ValidationError("report", "a delivery report without a provider message id")
        return self._handle_batch((report,), (report.provider_message_id,), now)

    def _expire(self, now: datetime, batch_size: int) -> Operation[list[HandleResult]]:
        now = self._now(now)
        cutoff = _earlier(now, self.pending_timeout)
        stale: list[Message] = yield Scan(
            "iter_stale", (), {"submitted_before": cutoff, "batch_size": batch_size}
        )
        if not stale:
            return []

        def decide() -> Operation[tuple[_Step, list[_Result]]]:
            step = _Step(self, now)
            results = []
            for message in stale:
                read: Message = yield Call("get_message", (message.id,))
                results.append((yield from self._apply(step, read, None, EXPIRED, now)))
            return step, results

        late: list[Action] = []
        committed, results = yield from self._commit(decide, late=late)
        return (yield from self._handled(results, committed, late))

    def _apply(
        self,
        step: _Step,
        read: Message,
        report: DeliveryReport | None,
        found: Classification,
        now: datetime,
    ) -> Operation[_Result]:
        """Decide what ``found`` (of ``report``, or an expiry) does to the message ``read``,
        as this event has left it so far; gather it into ``step``."""
        message = step.message(read)
        pid = None if report is None else report.provider_message_id
        attempt = len(message.attempts) - 1 if report is None else attempt_of(message, pid)
        if report is None:
            stored = expiry_report(self.parts, message)  # a part that failed worse than silence
        else:
            routed = route(self.parts, message, attempt, pid, found, report)
            stored = None
            if routed is not None:
                if routed.effect is not None:
                    if routed.message is not None:
                        step.set_message(routed.message)
                    return _Result(routed.effect, read.id, found)
                message = routed.message or message
                stored = routed.decider
        if stored is not None:  # an earlier part's receipt decides: as it is classified
            report = DeliveryReport.from_dict(stored)
            found = self._classify(report)
        if self.escalation is not None:
            found = yield from self._escalate(step, message, attempt, found, now)
        campaign = step.campaigns.get(message.campaign_id) or (
            yield from step.campaign(message.campaign_id)
        )
        decided = decide(
            message,
            attempt,
            found,
            report,
            now,
            campaign=campaign.status,
            retry=self.retry,
            rules=self.rules,
            zone_policy=self.zone_policy,
        )
        if decided.message is None:
            return _Result(decided.effect, read.id, found)
        if decided.effect == OPTED_OUT:
            return (yield from self._opted_out(step, read, decided, found, now))
        changed = decided.message
        step.set_message(changed)
        actions = list(decided.actions)
        if actions:
            step.blocks.extend(blocks_of(actions, now))
        effects = aftermath(
            changed, attempt, found, max(now, changed.attempts[attempt].submitted_at)
        )
        if effects.unsubscribe is not None:
            step.unsubscribes.append(effects.unsubscribe)
        if effects.suspension is not None:
            actions.extend((yield from step.suspend(changed.campaign_id, effects.suspension)))
        if effects.observation is not None:
            actions.extend((yield from step.observe(changed.campaign_id, effects.observation)))
        if effects.unsubscribe is not None:  # observed as a STOP reply is (its replay: "duplicate")
            actions.extend((yield from step.observe(changed.campaign_id, Observation.UNSUBSCRIBE)))
        step.complete_if_last(changed)
        return _Result("applied", read.id, found, tuple(actions))

    def _opted_out(
        self, step: _Step, read: Message, decided: Transition, found: Classification, now: datetime
    ) -> Operation[_Result]:
        """A provider's unsubscribe event for a message delivered already: the unsubscribe, the
        block and the observation, with the message as it is (compare-and-set: a concurrent
        handler of the same event decides again), unless the unsubscribe is recorded."""
        assert decided.message is not None
        message = decided.message
        unsubscribe = opted_out(message, found, now)
        stored: list[Unsubscribe] = yield Call(
            "unsubscribes", (message.campaign_id,), {"recipient": unsubscribe.recipient}
        )
        if any(u.id == unsubscribe.id for u in (*stored, *step.unsubscribes)):
            return _Result("duplicate", read.id, found)
        step.set_message(message)
        step.unsubscribes.append(unsubscribe)
        step.blocks.extend(blocks_of(decided.actions, now))
        actions = list(decided.actions)
        actions.extend((yield from step.observe(message.campaign_id, Observation.UNSUBSCRIBE)))
        return _Result("applied", read.id, found, tuple(actions))

    def _escalate(
        self, step: _Step, message: Message, attempt: int, found: Classification, now: datetime
    ) -> Operation[Classification]:
        """``found``, a hard bounce if this number soft-bounced too often lately (any campaign):
        its messages as stored, or as this event has changed them (a batch's earlier reports)."""
        assert self.escalation is not None
        if found.outcome is not Outcome.SOFT_BOUNCE:
            return found
        current = message.attempts[attempt]
        since = _earlier(now, self.escalation.window)
        stored: list[Message] = yield Call(
            "messages_to", (message.recipient,), {"since": since, "before": now}
        )
        latest = {other.id: step.messages.get(other.id, other) for other in stored}
        for changed in step.messages.values():  # sent in this window, changed by this event
            sent = changed.last_attempt_at
            if changed.recipient == message.recipient and sent is not None and since <= sent <= now:
                latest.setdefault(changed.id, changed)
        others = list(latest.values())
        earlier = [
            a.submitted_at
            for other in others
            for a in other.attempts
            if a.outcome is Outcome.SOFT_BOUNCE
            and a is not current
            and not (other.id == message.id and a.number == current.number)
        ]
        return self.escalation.apply(found, earlier_soft_bounces=earlier, now=now)

    def _handle_many(
        self, reports: Sequence[DeliveryReport], now: datetime, batch_size: int
    ) -> Operation[list[HandleResult]]:
        now = self._now(now)
        batch_size = _batch_size(batch_size)
        ids: list[str] = []  # each report's provider id, read once
        for report in reports:
            if not isinstance(report, DeliveryReport) or report.provider_message_id is None:
                raise ValidationError("reports", "each must be a DeliveryReport with a provider id")
            ids.append(report.provider_message_id)
        results: list[HandleResult] = []
        for first in range(0, len(reports), batch_size):
            following = ids[first + batch_size : first + 2 * batch_size]
            if following:  # looked up while this batch is decided and written, where it can be
                yield Prefetch(following)
            last = first + batch_size
            results.extend(
                (yield from self._handle_batch(reports[first:last], ids[first:last], now))
            )
        return results

    def _handle_batch(
        self, reports: Sequence[DeliveryReport], ids: Sequence[str], now: datetime
    ) -> Operation[list[HandleResult]]:
        """``reports`` (``ids``: their provider ids, in order) in one change."""
        found = [self._classify(report) for report in reports]

        def decide() -> Operation[tuple[_Step, list[_Result | None]]]:
            step = _Step(self, now)
            current: dict[str, Message] = yield Call("find_messages_by_provider_ids", (ids,))
            results: list[_Result | None] = []
            for report, pid, classification in zip(reports, ids, found, strict=True):
                read = current.get(pid)
                if read is None:
                    step.orphans.append(
                        Orphan(
                            provider_message_id=pid,
                            report=report.to_dict(),
                            received_at=report.received_at or now,
                        )
                    )
                    results.append(None)
                    continue
                results.append((yield from self._apply(step, read, report, classification, now)))
            return step, results

        late: list[Action] = []
        committed, decided = yield from self._commit(decide, late=late)
        handled: list[HandleResult] = []
        for report, classification, result in zip(reports, found, decided, strict=True):
            if result is None:
                handled.append((yield from self._after_orphan(report, classification, now)))
            else:
                message = committed.message(result.message_id) or (
                    yield Call("get_message", (result.message_id,))
                )
                handled.append(result.handled(message))
        return _with_late(handled, late)

    def _after_orphan(
        self, report: DeliveryReport, found: Classification, now: datetime
    ) -> Operation[HandleResult]:
        """A kept report: look once more, since ``submitted`` may have recorded its provider id
        between the lookup and the write, and looked for orphans before this one was kept.
        Whoever takes an orphan applies it, in the change that takes it: exactly once."""
        pid = report.provider_message_id or ""
        known: dict[str, Message] = yield Call("find_messages_by_provider_ids", ([pid],))
        if pid in known:
            ours = _as_json(report.to_dict())
            committed, applied, late = yield from self._take_orphans({pid: known[pid].id}, now)
            for _, orphan, result in applied:
                if _as_json(orphan.report) == ours:
                    return (yield from self._handled((result,), committed, late))[0]
        _log.info("report for unknown provider id %r kept as an orphan", mask_numbers_in(pid))
        return HandleResult(effect="orphan", message=None, classification=found)

    # suspension ------------------------------------------------------------------------------

    def _monitor_verdict(self, campaign_id: str) -> Operation[Any]:
        evidence: Evidence = yield Call("evidence", (campaign_id,))
        return self._monitors.get(self.suspension, evidence).policy.verdict()

    # inbound ---------------------------------------------------------------------------------

    def _inbound(
        self,
        sender: str | InboundMessage,
        text: str | None,
        at: datetime | None,
        inbound_id: str | None,
        default_region: str | None,
    ) -> Operation[InboundResult]:
        if isinstance(sender, InboundMessage):
            sender, text, at, inbound_id = _from_inbound_message(sender, text, at, inbound_id)
        if at is None:
            raise ValidationError("at", "when the message was received is required")
        at = self._now(at, "at")
        if not isinstance(text, str):
            raise ValidationError("text", "an inbound message is a text")
        check_text("text", text)  # bounded, encodable: before it is hashed for the inbound id
        check = check_number(sender, default_region=default_region or self.default_region)
        if check.e164 is None:
            raise ValidationError("sender", "not a phone number an SMS can come from")
        e164 = check.e164

        def decide() -> Operation[tuple[_Step, tuple[Reply | Unsubscribe, list[Action]]]]:
            step = _Step(self, at)
            sent: list[Message] = yield Call(
                "messages_to", (e164,), {"since": _earlier(at, self.reply_window), "before": at}
            )
            received = attribute(
                e164,
                text,
                at,
                latest=sent[-1] if sent else None,
                stop_words=self.stop_words,
                inbound_id=inbound_id,
            )
            actions: list[Action] = []
            if isinstance(received, Reply):
                step.replies.append(received)
                return step, (received, actions)
            step.unsubscribes.append(received)
            step.blocks.append(Block(recipient=e164, reason="unsubscribed", at=at))
            actions.append(
                BlockRecipient(
                    recipient=e164, reason="unsubscribed", campaign_id=received.campaign_id
                )
            )
            campaign_id = received.campaign_id
            if campaign_id is not None:
                stored: list[Unsubscribe] = yield Call(
                    "unsubscribes", (campaign_id,), {"recipient": e164}
                )
                if all(u.id != received.id for u in stored):
                    actions.extend((yield from step.observe(campaign_id, Observation.UNSUBSCRIBE)))
            return step, (received, actions)

        late: list[Action] = []
        committed, (received, actions) = yield from self._commit(decide, late=late)
        actions.extend(late)
        if isinstance(received, Reply):
            return InboundResult(
                kind="reply",
                campaign_id=received.campaign_id,
                reply=received,
                unsubscribe=None,
                recorded=any(r.id == received.id for r in committed.replies),
            )
        recorded = any(u.id == received.id for u in committed.unsubscribes)
        _log.info(
            "opt-out from %s (campaign %s): number blocked",
            mask_number(e164),
            received.campaign_id,
        )
        return InboundResult(
            kind="unsubscribe",
            campaign_id=received.campaign_id,
            reply=None,
            unsubscribe=received,
            recorded=recorded,
            actions=tuple(actions if recorded else actions[:1]),
        )


def _from_inbound_message(
    message: InboundMessage, text: str | None, at: datetime | None, inbound_id: str | None
) -> tuple[str, str, datetime | None, str | None]:
    """What ``inbound`` takes from an ``InboundMessage``: its sender, its text (``text``, when
    given, must be the same), when (``at``, else its ``received_at``), and an inbound id (given,
    else its provider and provider message id)."""
    if not message.complete:
        raise ValidationError(
            "InboundMessage", "a part of a longer message: join the parts first (join_parts)"
        )
    if text is not None and text != message.text:
        raise ValidationError("text", "give the text or an InboundMessage, not both")
    if inbound_id is None and message.provider_message_id:
        inbound_id = f"{message.provider}:{message.provider_message_id}"
    return message.sender, message.text, at or message.received_at, inbound_id


@attrs.frozen
class _Result:
    """One report's result as decided, before the commit gives its message's stored version."""

    effect: str
    message_id: str
    classification: Classification | None = None
    actions: tuple[Action, ...] = ()

    def handled(self, message: Message) -> HandleResult:
        return HandleResult(
            effect=self.effect,
            message=message,
            classification=self.classification,
            actions=self.actions,
        )


def _with_late(handled: list[HandleResult], late: Sequence[Action]) -> list[HandleResult]:
    """``handled`` with each late action added to the last result of its campaign (a late
    suspension follows a change that observed an outcome of it: there is one)."""
    for action in late:
        campaign_id = getattr(action, "campaign_id", None)
        where = max(
            index
            for index, result in enumerate(handled)
            if result.message is not None and result.message.campaign_id == campaign_id
        )
        result = handled[where]
        handled[where] = attrs.evolve(result, actions=(*result.actions, action))
    return handled


def _check_message_id(field: str, message_id: object) -> None:
    """A message id of a bulk call: a non-empty string, else a ``ValidationError(field, ...)``."""
    if not isinstance(message_id, str) or not message_id:
        raise ValidationError(field, "each message id must be a non-empty string")


def _batch_size(value: object) -> int:
    """A batch size: a positive int, else a ``ValidationError``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValidationError("batch_size", "must be a positive integer")
    return value


def _first_failure(message: Message) -> datetime:
    """When the first failed attempt was submitted: the start of the retry window."""
    for attempt in message.attempts:
        if attempt.outcome not in (None, Outcome.DELIVERED, Outcome.PENDING):
            return attempt.submitted_at
    return message.attempts[-1].submitted_at


def _as_json(report: Mapping[str, Any]) -> str:
    """A report's mapping as canonical JSON text, to recognise it after a store's round trip."""
    return json.dumps(report, sort_keys=True, default=str)


class CampaignEngine(_Engine[Storage]):
    """The sans-IO campaign engine over a ``Storage`` and replaceable policies.

    Every call reads what it needs, decides with pure functions of what it read and ``now``, and
    hands the store one ``Change``, committed whole (``Storage.commit``); on a conflict it reads
    again and decides again. ``escalation``: a ``SoftBounceEscalation`` turning a number's
    repeated soft bounces across campaigns into a hard bounce (off by default).
    ``retry_window``: the longest a waiting retry is held, from the first failure, before
    ``resume`` gives it up (the default retry policy's 72 hours). ``parts``: which receipts of
    a message sent in several parts decide it (``PartPolicy``; ``FIRST_TO_REPORT`` by default).
    """

    def _run(self, operation: Operation[T]) -> T:
        """Serve the operation's requests from the store, in this thread, until it returns."""
        storage = self.storage
        send, throw = operation.send, operation.throw
        result: Any = None
        try:
            request = send(None)
            while True:
                try:
                    if type(request) is Scan:
                        result = gather(request.serve(storage), request.keep)
                    else:
                        result = request.serve(storage)
                except Exception as error:
                    failure = error
                else:
                    request = send(result)
                    continue
                # Thrown outside the handler: what the operation raises is not chained to it.
                request = throw(failure)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

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
        """Plan a campaign's messages to its contact lists and start it, in one change.

        Everything is decided before anything is stored: a refusal (a RAISE send-time policy, a
        deferral past the horizon, a campaign that cannot start) stores nothing. Planning again
        adds what is new (other lists, more numbers): numbers already planned are left as they
        are and counted in ``already_planned`` (a plan with nothing new changes nothing, whatever
        the campaign's status: a replay). ``explicit_zones`` maps E.164 numbers to known
        IANA zones, kept with their messages (their retries are planned in the same zone).
        """
        return self._run(self._plan(campaign_id, lists, now, explicit_zones, category))

    def assign_zone(self, message_id: str, zone: str, now: datetime) -> Action | None:
        """Give a queued message the zone it was missing: when to send it, in that zone (kept
        with the message: its retries are planned in the same zone)."""
        return self._run(self._assign_zone(message_id, zone, now))

    def due(self, message_id: str, now: datetime) -> Action | None:
        """Just before sending: ``None`` if the message is no longer to be sent (its campaign
        was suspended or cancelled, it was already sent); else when to send it (``at == now``
        means now; its stored due time if that is later, a retry's backoff; a later time if the
        allowed hours moved on; ``NeedsZone`` if its zone is unknown). Reads only."""
        return self._run(self._due(message_id, now))

    def due_many(
        self, message_ids: Iterable[str], now: datetime, *, batch_size: int = 1000
    ) -> dict[str, Action | None]:
        """``due`` for many messages at one instant (a bulk send about to go out), keyed by
        message id in the order given (an id given twice, once): the same answers as ``due`` one
        by one, from one read of the messages and one of each campaign per batch of
        ``batch_size``. An unknown message raises ``NotFoundError``, as ``due`` does, and no
        answer is given. Reads only."""
        return self._run(self._due_many(message_ids, now, batch_size))

    def due_retries(self, now: datetime, *, batch_size: int = 1000) -> list[RetryMessage]:
        """The retries whose time has come (at or before ``now``), of campaigns that are
        sending, as stored: what a restarted service sends first. Reads only."""
        return self._run(self._due_retries(now, batch_size))

    def claim_due_retries(
        self, now: datetime, *, lease: timedelta = timedelta(minutes=5), limit: int = 100
    ) -> list[RetryMessage | SendMessage]:
        """Claim at most ``limit`` due messages (as ``due_retries``: queued, due at or before
        ``now``, of campaigns that are sending) for this worker alone, until ``now + lease``,
        with the store's ``claim_due``: each is stored as due only at the lease's end, by a
        compare-and-set (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so workers claiming at once
        never share one. A retry comes back as a ``RetryMessage``, a first send whose time came
        (a planned message no one sent) as a ``SendMessage``, both ``at=now``: send them now,
        then call ``submitted``. A worker that dies before ``submitted`` leaves its messages due
        again when the lease ends, for any worker to claim: a message is sent at most once per
        lease, never twice by two live workers (choose a lease longer than sending one takes).
        Messages are claimed only here: what ``plan``, ``handle`` and ``due_retries`` return is
        not leased, so workers that share a store send what they claim."""
        return self._run(self._claim_due_retries(now, lease, limit))

    # campaign decisions ----------------------------------------------------------------------

    def resume(self, campaign_id: str, now: datetime, *, reason: str = "") -> list[Action]:
        """Resume a suspended campaign and plan its queued messages again, in one change.

        The suspension evidence starts afresh in the store (resuming is a decision that the
        cause was dealt with), for every engine. A message whose due time is still to come keeps
        it; one whose time passed while the campaign was suspended is planned at the first
        allowed instant from ``now``; a waiting retry that could then only be sent more than
        ``retry_window`` after its first failure is given up (a soft bounce, its reason kept).
        """
        return self._run(self._resume(campaign_id, now, reason))

    def cancel(self, campaign_id: str, now: datetime, *, reason: str = "") -> Campaign:
        """Cancel a campaign and its queued messages (never sent), in one change. Its messages
        still processing take their outcomes as they come, final: nothing is retried."""
        return self._run(self._cancel(campaign_id, now, reason))

    def complete_if_done(self, campaign_id: str, now: datetime) -> Campaign:
        """Mark a sending campaign completed when none of its messages is queued or processing.
        (A campaign completes by itself with its last final outcome; this is for a campaign
        whose last message was settled some other way.)"""
        return self._run(self._complete_if_done(campaign_id, now))

    # reports ---------------------------------------------------------------------------------

    def submitted(
        self, message_id: str, provider_message_id: str | Sequence[str], at: datetime
    ) -> list[HandleResult]:
        """The provider accepted the message under ``provider_message_id``, in one change with
        the reports that arrived before it (orphans), applied in arrival order: the first
        result is the submission's own (``"applied"``, or ``"duplicate"`` when that provider id
        was already recorded: no second attempt; no classification), then one per orphan.
        Once that change is written, it looks for orphans of those ids once more: a receipt
        whose handler kept it while this call was deciding is applied then, in a change of its
        own, and its result follows.

        A message sent in several parts: give every part's id, in part order (a list); each
        part's receipt then finds the message, and the engine's ``parts`` policy
        (``PartPolicy``) says which receipts decide it."""
        return self._run(self._submitted(message_id, provider_message_id, at))

    def submitted_many(
        self,
        acknowledged: Mapping[str, str | Sequence[str]],
        at: datetime,
        *,
        batch_size: int = 1000,
    ) -> dict[str, list[HandleResult]]:
        """Many messages the provider accepted at ``at`` (a bulk send's response: each message
        id with its provider id, or every part's), with the same results as ``submitted`` one by
        one in this order, keyed by message id: one change per batch of ``batch_size`` (every
        attempt, and every orphan applied with its message, all or nothing), with one lookup of
        orphans before it and one after it. Bad arguments (an empty message id, bad provider
        ids, a provider id given for two messages) are refused before anything is written. A
        message that is not stored, or not queued under other ids, raises before anything of its
        batch is written; the batches before it stay committed, and calling again with the same
        acknowledgements gives them as ``"duplicate"``."""
        return self._run(self._submitted_many(acknowledged, at, batch_size))

    def handle(self, report: DeliveryReport, now: datetime) -> HandleResult:
        """Apply one delivery report (parsed with ``sms_campaign_stats.providers``), in one
        change: the message, its retry, the numbers it blocks, a carrier's opt-out, the
        campaign's suspension evidence, its suspension or its completion."""
        return self._run(self._handle(report, now))[0]

    def handle_many(
        self, reports: Sequence[DeliveryReport], now: datetime, *, batch_size: int = 1000
    ) -> list[HandleResult]:
        """Apply many reports, in order, with the same results as ``handle`` one by one, in
        batches: one lookup and one change per batch (every message, retry, block, opt-out,
        evidence, suspension and completion of the batch, all or nothing)."""
        return self._run(self._handle_many(reports, now, batch_size))

    def expire(self, now: datetime, *, batch_size: int = 1000) -> list[HandleResult]:
        """Messages still processing ``pending_timeout`` after their last attempt: retried, or
        soft bounces with EXPIRED_AT_OPERATOR, as the retry policy decides; one change."""
        return self._run(self._expire(now, batch_size))

    # suspension ------------------------------------------------------------------------------

    def monitor_verdict(self, campaign_id: str) -> Any:
        """The campaign's current suspension verdict, from the store's evidence."""
        return self._run(self._monitor_verdict(campaign_id))

    # inbound ---------------------------------------------------------------------------------

    def inbound(
        self,
        sender: str | InboundMessage,
        text: str | None = None,
        at: datetime | None = None,
        *,
        inbound_id: str | None = None,
        default_region: str | None = None,
    ) -> InboundResult:
        """An SMS from ``sender``, in one change: an opt-out if it is a STOP keyword (recorded,
        the number blocked, the campaign's evidence counted), else a reply; attributed to the
        campaign last sent to that number within ``reply_window`` before ``at``. Idempotent on
        ``inbound_id`` (or, without one, on the sender, the instant and the text).

        ``sender`` may be an ``InboundMessage`` parsed from a provider's webhook
        (``providers.parse_twilio_inbound`` ...): its text, and its ``received_at`` unless ``at``
        is given; idempotent on its provider message id (``"<provider>:<id>"``) unless
        ``inbound_id`` is given. A part of a longer message is refused: join the parts first
        (``providers.join_parts``)."""
        return self._run(self._inbound(sender, text, at, inbound_id, default_region))
