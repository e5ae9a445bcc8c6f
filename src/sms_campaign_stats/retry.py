"""Retry scheduling: whether a failed message is sent again, when, and until when.

A retry policy is anything callable as ``policy(context)`` that returns ``RetryAt(at)`` (send the
message again at ``at``) or ``GiveUp(reason)`` (the message becomes final): a plain function
qualifies (``RetryPolicy``). The policy sees the message's attempts, what the last report meant,
``now`` and the recipient's send-time rules (``context.next_allowed``); it never reads the clock,
sleeps or draws random numbers, and running out of retries is an answer, not an exception.

``Retrying(whether=..., wait=..., stop=..., throttle=...)`` assembles a policy from strategies, in
the manner of tenacity: *whether* the failure may be retried, *when* (the wait before soft retry
``n``), *until when* (give up rather than retry at ``at``), and quick retries after throttling,
which do not use the retry budget. ``DEFAULT_RETRY_POLICY``: soft failures are retried at most
3 times, after 15 min, 2 h and 12 h (+ up to 10 % deterministic jitter), in allowed hours, within
72 h of the first failed attempt; throttling is retried every 30 s, up to 20 times in a row.
``docs/retry.md`` gives the source for every number.

>>> from datetime import datetime, timezone
>>> from sms_campaign_stats import Classification, Outcome
>>> from sms_campaign_stats.model import Attempt
>>> from sms_campaign_stats.bounces import CODE_TABLES
>>> failed = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
>>> context = RetryContext(
...     message_id="m-1",
...     attempts=[Attempt(number=1, submitted_at=failed, outcome=Outcome.SOFT_BOUNCE)],
...     classification=Classification.from_row(CODE_TABLES["twilio"]["30003"]),
...     now=failed)
>>> Retrying(wait=DEFAULT_BACKOFF)(context).at.isoformat()
'2026-03-02T09:15:00+00:00'
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, TypeAlias, runtime_checkable

import attrs

from sms_campaign_stats._core.defaults import name_or_repr, named_default, repr_naming_defaults
from sms_campaign_stats._core.validate import check_text, check_utc, describe, to_utc
from sms_campaign_stats._retry.context import (
    RetryContext,
    always_allowed,
    check_callable,
    field_check,
)
from sms_campaign_stats._retry.strategies import (
    Stop,
    StopStrategy,
    Throttle,
    ThrottleStrategy,
    Wait,
    WaitStrategy,
    Whether,
    WhetherStrategy,
    checked_wait,
    describe_duration,
    explain_stop,
    jitter_from_id,
    retry_if_outcome,
    retry_if_reason,
    retry_if_retryable,
    stop_after,
    stop_after_retries,
    strategy_name,
    wait_exponential,
    wait_fixed,
    wait_schedule,
)
from sms_campaign_stats.bounces import Classification
from sms_campaign_stats.errors import DeferralHorizonError, ValidationError
from sms_campaign_stats.lifecycle._statuses import BounceReason, Outcome

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
    "StopStrategy",
    "Throttle",
    "ThrottleStrategy",
    "Wait",
    "WaitStrategy",
    "Whether",
    "WhetherStrategy",
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

    at: datetime = attrs.field(converter=to_utc, validator=field_check("RetryAt.at", check_utc))
    throttled: bool = attrs.field(
        default=False, validator=field_check("RetryAt.throttled", _check_bool)
    )
    explanation: str = attrs.field(
        default="", validator=field_check("RetryAt.explanation", check_text)
    )


@attrs.frozen
class GiveUp:
    """Stop: the message becomes final.

    ``reason`` is the soft reason to record (the last failure's; PROVIDER_UNKNOWN_FAILURE after
    throttling), ``None`` when the outcome was not a temporary failure (a hard bounce, an
    opt-out, a rejected configuration: the classification says what to record).
    """

    reason: BounceReason | None = attrs.field(
        validator=field_check("GiveUp.reason", _check_soft_reason)
    )
    explanation: str = attrs.field(validator=field_check("GiveUp.explanation", check_text))


#: What a retry policy decides.
RetryDecision: TypeAlias = RetryAt | GiveUp


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
DEFAULT_BACKOFF = named_default(
    wait_schedule(timedelta(minutes=15), timedelta(hours=2), timedelta(hours=12)), "DEFAULT_BACKOFF"
)
#: Up to 10 % more, from a hash of the message id: spreads retries of messages that failed together.
DEFAULT_JITTER = named_default(jitter_from_id(0.1), "DEFAULT_JITTER")
#: The default *when*: ``DEFAULT_BACKOFF + DEFAULT_JITTER``.
DEFAULT_WAIT = named_default(DEFAULT_BACKOFF + DEFAULT_JITTER, "DEFAULT_WAIT")
#: The default *until when*: after 3 retries, or past 72 hours.
DEFAULT_STOP = named_default(
    stop_after_retries(DEFAULT_MAX_RETRIES) | stop_after(DEFAULT_WINDOW), "DEFAULT_STOP"
)
#: Every 30 s, at most 20 times in a row (Jasmin's ESME_RTHROTTLED default).
DEFAULT_THROTTLE = named_default(Throttle(), "DEFAULT_THROTTLE")


def _describe(found: Classification) -> str:
    reason = f", {found.reason}" if found.reason is not None else ""
    return f"{found.row.namespace} {found.row.code!r} ({found.outcome}{reason})"


@attrs.frozen(kw_only=True)
class Retrying:
    """A retry policy assembled from strategies (each a built-in or a plain function):

    * ``whether(context) -> bool``: may the failure be retried? Only SOFT_BOUNCE and THROTTLED
      outcomes ever are: a hard bounce, an opt-out or a rejected configuration is final,
      whatever this strategy says.
    * ``wait(context, retry_number) -> timedelta``: the wait from ``now`` before soft retry
      ``retry_number`` (``context.soft_failures``: 1 for the first retry).
    * ``throttle(context, consecutive) -> timedelta | None``: after ``consecutive`` THROTTLED
      outcomes in a row, the wait before a quick retry, or ``None`` to give up (with
      PROVIDER_UNKNOWN_FAILURE).
    * ``stop(context, at) -> bool``: give up rather than retry at ``at``, the retry time after
      it was moved into allowed hours (``context.allowed_at``). Also asked for throttled retries.

    The defaults are ``DEFAULT_RETRY_POLICY``'s.
    """

    whether: WhetherStrategy = attrs.field(
        default=retry_if_retryable, validator=field_check("Retrying.whether", check_callable)
    )
    wait: WaitStrategy = attrs.field(
        default=DEFAULT_WAIT,
        validator=field_check("Retrying.wait", check_callable),
        repr=name_or_repr,
    )
    stop: StopStrategy = attrs.field(
        default=DEFAULT_STOP,
        validator=field_check("Retrying.stop", check_callable),
        repr=name_or_repr,
    )
    throttle: ThrottleStrategy = attrs.field(
        default=DEFAULT_THROTTLE,
        validator=field_check("Retrying.throttle", check_callable),
        repr=name_or_repr,
    )

    __repr__ = repr_naming_defaults  # DEFAULT_RETRY_POLICY prints as its name

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
                else f"is not retried ({strategy_name(self.whether)})"
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
DEFAULT_RETRY_POLICY = named_default(Retrying(), "DEFAULT_RETRY_POLICY")
