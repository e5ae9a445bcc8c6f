"""Retry scheduling: whether a failed message is sent again, when, and until when.

A retry policy is anything callable as ``policy(context)`` that returns ``RetryAt(at)`` (send the
message again at ``at``) or ``GiveUp(reason)`` (the message becomes final): a plain function
qualifies (``RetryPolicy``). The policy sees the message's attempts, what the last report meant,
``now`` and the recipient's send-time rules (``context.next_allowed``); it never reads the clock,
sleeps or draws random numbers, and running out of retries is an answer, not an exception.

``Retrying(whether=..., wait=..., stop=..., throttle=...)`` assembles a policy from blocks, in the
manner of tenacity: *whether* the failure may be retried, *when* (the wait before soft retry
``n``), *until when* (give up rather than retry at ``at``), and quick retries after throttling,
which do not use the retry budget. ``DEFAULT_RETRY_POLICY``: soft failures are retried at most
3 times, after 15 min, 2 h and 12 h (+ up to 10 % deterministic jitter), in allowed hours, within
72 h of the first failed attempt; throttling is retried every 30 s, up to 20 times in a row.
``docs/retry.md`` gives the source for every number.

>>> from datetime import datetime, timezone
>>> from sms_campaign_stats import Attempt, Classification, Outcome
>>> from sms_campaign_stats.bounces import CODE_TABLES
>>> failed = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
>>> context = RetryContext(
...     message_id="m-1",
...     attempts=[Attempt(number=1, submitted_at=failed, outcome=Outcome.SOFT_BOUNCE)],
...     classification=Classification.from_rule(CODE_TABLES["twilio"]["30003"]),
...     now=failed)
>>> Retrying(wait=DEFAULT_BACKOFF)(context).at.isoformat()
'2026-03-02T09:15:00+00:00'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeAlias, cast, runtime_checkable

import attrs

from ._enums import BounceReason, Outcome
from ._retry_blocks import (
    Stop,
    StopBlock,
    Throttle,
    ThrottleBlock,
    Wait,
    WaitBlock,
    Whether,
    WhetherBlock,
    block_name,
    check_block,
    checked_wait,
    describe_duration,
    explain_stop,
    jitter_from_id,
    retry_if_outcome,
    retry_if_reason,
    retry_if_retryable,
    stop_after,
    stop_after_retries,
    wait_exponential,
    wait_fixed,
    wait_schedule,
)
from ._validate import check_id, check_text, check_utc, describe, to_utc
from .bounces import Classification
from .errors import DeferralHorizonError, ValidationError
from .model import Attempt

__all__ = [
    "DEFAULT_BACKOFF",
    "DEFAULT_JITTER",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_RETRY_POLICY",
    "DEFAULT_STOP",
    "DEFAULT_THROTTLE",
    "DEFAULT_WAIT",
    "DEFAULT_WINDOW",
    "GiveUp",
    "RetryAt",
    "RetryContext",
    "RetryDecision",
    "RetryPolicy",
    "Retrying",
    "Stop",
    "StopBlock",
    "Throttle",
    "ThrottleBlock",
    "Wait",
    "WaitBlock",
    "Whether",
    "WhetherBlock",
    "always_allowed",
    "jitter_from_id",
    "retry_if_outcome",
    "retry_if_reason",
    "retry_if_retryable",
    "stop_after",
    "stop_after_retries",
    "wait_exponential",
    "wait_fixed",
    "wait_schedule",
]

_NOT_FAILED = frozenset({None, Outcome.DELIVERED, Outcome.PENDING})


def _field_check(field: str, check: Callable[[str, Any], object]) -> Any:
    def validate(instance: object, attribute: object, value: object) -> None:
        check(field, value)

    return validate


def _check_bool(field: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ValidationError(field, f"expected True or False, got {describe(value)}")


def _check_soft_reason(field: str, value: object) -> None:
    if value is not None and not (isinstance(value, BounceReason) and value.is_soft):
        raise ValidationError(field, f"expected a soft BounceReason or None, got {describe(value)}")


@attrs.frozen
class RetryAt:
    """Send the message again at ``at`` (aware, kept in UTC).

    ``throttled``: a quick retry after THROTTLED, which does not use the retry budget.
    """

    at: datetime = attrs.field(converter=to_utc, validator=_field_check("RetryAt.at", check_utc))
    throttled: bool = attrs.field(
        default=False, validator=_field_check("RetryAt.throttled", _check_bool)
    )
    explanation: str = attrs.field(
        default="", validator=_field_check("RetryAt.explanation", check_text)
    )


@attrs.frozen
class GiveUp:
    """Stop: the message becomes final.

    ``reason`` is the soft reason to record (the last failure's; PROVIDER_UNKNOWN_FAILURE after
    throttling), ``None`` when the outcome was not a temporary failure (a hard bounce, an
    opt-out, a rejected configuration: the classification says what to record).
    """

    reason: BounceReason | None = attrs.field(
        validator=_field_check("GiveUp.reason", _check_soft_reason)
    )
    explanation: str = attrs.field(validator=_field_check("GiveUp.explanation", check_text))


#: What a retry policy decides.
RetryDecision: TypeAlias = RetryAt | GiveUp


def always_allowed(at: datetime) -> datetime:
    """The ``next_allowed`` of a recipient without send-time rules: ``at`` itself."""
    return at


def _attempts(value: Iterable[Attempt]) -> tuple[Attempt, ...]:
    items: object = value
    if isinstance(items, Iterable) and not isinstance(items, (str, bytes)):
        return tuple(cast("Iterable[Attempt]", items))
    return cast("tuple[Attempt, ...]", items)  # not a sequence: the validator says so by name


def _check_attempts(field: str, value: object) -> None:
    if not isinstance(value, tuple) or not value:
        raise ValidationError(field, "expected a non-empty sequence of Attempt")
    for item in value:
        if not isinstance(item, Attempt):
            raise ValidationError(field, f"{describe(item)} is not an Attempt")


def _check_classification(field: str, value: object) -> None:
    if not isinstance(value, Classification):
        raise ValidationError(field, f"{describe(value)} is not a Classification")


@attrs.frozen(kw_only=True)
class RetryContext:
    """What a retry policy sees when an attempt has failed.

    ``attempts``: every attempt so far, the failed one last, with its outcome set (the one
    ``classification`` gives). ``now``: when the failure is handled (the policy never reads the
    clock). ``next_allowed``: the recipient's first allowed send time at or after an instant,
    from the send-time rules (default: ``always_allowed``); it may raise
    ``DeferralHorizonError`` when there is none.
    """

    message_id: str = attrs.field(validator=_field_check("RetryContext.message_id", check_id))
    attempts: tuple[Attempt, ...] = attrs.field(
        converter=_attempts, validator=_field_check("RetryContext.attempts", _check_attempts)
    )
    classification: Classification = attrs.field(
        validator=_field_check("RetryContext.classification", _check_classification)
    )
    now: datetime = attrs.field(
        converter=to_utc, validator=_field_check("RetryContext.now", check_utc)
    )
    next_allowed: Callable[[datetime], datetime] = attrs.field(
        default=always_allowed, validator=_field_check("RetryContext.next_allowed", check_block)
    )

    def __attrs_post_init__(self) -> None:
        last = self.attempts[-1].outcome
        if last is not self.classification.outcome:
            raise ValidationError(
                "RetryContext.attempts",
                f"the last attempt's outcome ({last}) must be the classification's "
                f"({self.classification.outcome})",
            )

    @property
    def soft_failures(self) -> int:
        """Attempts that ended in SOFT_BOUNCE: the number of the soft retry to schedule now."""
        return sum(1 for attempt in self.attempts if attempt.outcome is Outcome.SOFT_BOUNCE)

    @property
    def consecutive_throttled(self) -> int:
        """THROTTLED outcomes in a row at the end of the history."""
        count = 0
        for attempt in reversed(self.attempts):
            if attempt.outcome is not Outcome.THROTTLED:
                break
            count += 1
        return count

    @property
    def first_failure_at(self) -> datetime:
        """When the first failed attempt (not delivered, not pending) was submitted: the start of
        the retry window."""
        for attempt in self.attempts:
            if attempt.outcome not in _NOT_FAILED:
                return attempt.submitted_at
        return self.attempts[-1].submitted_at

    @property
    def give_up_reason(self) -> BounceReason | None:
        """The soft reason to record on giving up: the last failure's, PROVIDER_UNKNOWN_FAILURE
        after throttling (or a soft bounce without a reason); ``None`` for other outcomes."""
        found = self.classification
        if found.outcome is Outcome.THROTTLED:
            return BounceReason.PROVIDER_UNKNOWN_FAILURE
        if found.reason is not None and found.reason.is_soft:
            return found.reason
        return (
            BounceReason.PROVIDER_UNKNOWN_FAILURE if found.outcome is Outcome.SOFT_BOUNCE else None
        )

    def allowed_at(self, candidate: datetime) -> datetime:
        """``next_allowed(candidate)``, checked: an aware instant, not before ``candidate``."""
        candidate = check_utc("candidate", candidate)
        found = self.next_allowed(candidate)
        if not isinstance(found, datetime) or found.utcoffset() is None:
            raise ValidationError(
                "RetryContext.next_allowed", f"returned {describe(found)}, not an aware datetime"
            )
        found = check_utc("RetryContext.next_allowed", found)
        if found < candidate:
            raise ValidationError(
                "RetryContext.next_allowed",
                f"returned {found.isoformat()}, before {candidate.isoformat()}",
            )
        return found


@runtime_checkable
class RetryPolicy(Protocol):
    """Anything that decides a retry: ``policy(context)`` -> ``RetryAt`` or ``GiveUp``."""

    def __call__(self, context: RetryContext, /) -> RetryAt | GiveUp:
        """Decide what to do after the failed attempt ``context.attempts[-1]``."""
        ...


#: At most this many retries after soft failures (the product requirement).
DEFAULT_MAX_RETRIES = 3
#: Every retry within this window from the first failed attempt (the product requirement; the
#: default SMS time-to-live of Vonage and AWS End User Messaging).
DEFAULT_WINDOW = timedelta(hours=72)
#: The waits before soft retries 1, 2 and 3.
DEFAULT_BACKOFF = wait_schedule(timedelta(minutes=15), timedelta(hours=2), timedelta(hours=12))
#: Up to 10 % more, from a hash of the message id: spreads retries of messages that failed together.
DEFAULT_JITTER = jitter_from_id(0.1)
#: The default *when*: ``DEFAULT_BACKOFF + DEFAULT_JITTER``.
DEFAULT_WAIT = DEFAULT_BACKOFF + DEFAULT_JITTER
#: The default *until when*: after 3 retries, or past 72 hours.
DEFAULT_STOP = stop_after_retries(DEFAULT_MAX_RETRIES) | stop_after(DEFAULT_WINDOW)
#: Every 30 s, at most 20 times in a row (Jasmin's ESME_RTHROTTLED default).
DEFAULT_THROTTLE = Throttle()


def _describe(found: Classification) -> str:
    reason = f", {found.reason}" if found.reason is not None else ""
    return f"{found.rule.namespace} {found.rule.code!r} ({found.outcome}{reason})"


@attrs.frozen(kw_only=True)
class Retrying:
    """A retry policy assembled from blocks (each a built-in or a plain function):

    * ``whether(context) -> bool``: may the failure be retried? Only SOFT_BOUNCE and THROTTLED
      outcomes ever are: a hard bounce, an opt-out or a rejected configuration is final,
      whatever this block says.
    * ``wait(context, retry_number) -> timedelta``: the wait from ``now`` before soft retry
      ``retry_number`` (``context.soft_failures``: 1 for the first retry).
    * ``throttle(context, consecutive) -> timedelta | None``: after ``consecutive`` THROTTLED
      outcomes in a row, the wait before a quick retry, or ``None`` to give up (with
      PROVIDER_UNKNOWN_FAILURE).
    * ``stop(context, at) -> bool``: give up rather than retry at ``at``, the retry time after
      it was moved into allowed hours (``context.allowed_at``). Also asked for throttled retries.

    The defaults are ``DEFAULT_RETRY_POLICY``'s.
    """

    whether: WhetherBlock = attrs.field(
        default=retry_if_retryable, validator=_field_check("Retrying.whether", check_block)
    )
    wait: WaitBlock = attrs.field(
        default=DEFAULT_WAIT, validator=_field_check("Retrying.wait", check_block)
    )
    stop: StopBlock = attrs.field(
        default=DEFAULT_STOP, validator=_field_check("Retrying.stop", check_block)
    )
    throttle: ThrottleBlock = attrs.field(
        default=DEFAULT_THROTTLE, validator=_field_check("Retrying.throttle", check_block)
    )

    def __call__(self, context: RetryContext, /) -> RetryAt | GiveUp:
        """Retry at the first allowed instant after the wait, or give up, saying why."""
        if not isinstance(context, RetryContext):
            raise ValidationError("context", f"{describe(context)} is not a RetryContext")
        found, reason = context.classification, context.give_up_reason
        if found.outcome not in (Outcome.SOFT_BOUNCE, Outcome.THROTTLED):
            return GiveUp(reason, f"{_describe(found)} is final: it is never retried")
        if not self.whether(context):
            why = (
                "is not retryable"
                if not found.retryable
                else f"is not retried ({block_name(self.whether)})"
            )
            return GiveUp(reason, f"{_describe(found)} {why}")
        throttled = found.outcome is Outcome.THROTTLED
        if throttled:
            count = context.consecutive_throttled
            wait = self.throttle(context, count)
            if wait is None:
                return GiveUp(reason, f"throttled again ({count} in a row): no more quick retries")
            wait = checked_wait("Retrying.throttle", self.throttle, wait)
            what = f"throttled ({count} in a row): a quick retry, not counted as a retry"
        else:
            number = context.soft_failures
            wait = checked_wait("Retrying.wait", self.wait, self.wait(context, number))
            what = f"retry {number} after {_describe(found)}"
        try:
            at = context.allowed_at(context.now + wait)
        except OverflowError:
            return GiveUp(reason, f"a wait of {wait} goes past the calendar")
        except DeferralHorizonError as error:
            return GiveUp(reason, f"no allowed send time: {error}")
        if self.stop(context, at):
            return GiveUp(reason, explain_stop(self.stop, context, at))
        moved = at - (context.now + wait)
        allowed = f", moved {describe_duration(moved)} into allowed hours" if moved else ""
        return RetryAt(at, throttled, f"{what}: wait {describe_duration(wait)}{allowed}")


#: Soft failures retried at most 3 times, after 15 min, 2 h and 12 h (+ up to 10 % jitter), in
#: allowed hours, within 72 h of the first failed attempt; throttling every 30 s, 20 times in a row.
DEFAULT_RETRY_POLICY = Retrying()
