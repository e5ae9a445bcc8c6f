"""The strategies of a ``Retrying`` policy: *whether*, *when* and *until when*, and throttling.

Each family is a plain callable signature; a plain function with that signature is a strategy, and
the built-in strategies (subclasses of ``Whether``, ``Wait`` and ``Stop``) compose with operators:

* *whether* ``(context) -> bool``: may this failure be retried at all? ``a & b`` (all),
  ``a | b`` (any), ``~a`` (not);
* *when* ``(context, retry_number) -> timedelta``: how long to wait, from ``context.now``, before
  soft retry number ``retry_number`` (1 for the first). ``a + b`` adds waits;
* *until when* ``(context, at) -> bool``: give up rather than retry at ``at`` (the retry time,
  already moved into allowed hours)? ``a | b`` (stop if any), ``a & b`` (stop if all);
* throttling ``(context, consecutive) -> timedelta | None``: the wait before the next quick retry
  after ``consecutive`` THROTTLED outcomes in a row, or ``None`` to stop.

Strategies never read the clock and never draw random numbers: jitter is a hash of the message id.
"""

from __future__ import annotations

import abc
import hashlib
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from sms_campaign_stats._core.validate import describe, non_negative_int
from sms_campaign_stats._retry.context import check_callable
from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.lifecycle import BounceReason, Outcome

if TYPE_CHECKING:
    from sms_campaign_stats._retry.context import RetryContext

__all__ = [
    "JitterFromId",
    "Stop",
    "StopStrategy",
    "Throttle",
    "ThrottleStrategy",
    "Wait",
    "WaitStrategy",
    "Whether",
    "WhetherStrategy",
    "checked_wait",
    "describe_duration",
    "duration",
    "explain_stop",
    "jitter_from_id",
    "retry_if_outcome",
    "retry_if_reason",
    "retry_if_retryable",
    "stop_after",
    "stop_after_retries",
    "strategy_name",
    "wait_exponential",
    "wait_fixed",
    "wait_schedule",
]

#: *whether*: may this failure be retried at all?
WhetherStrategy: TypeAlias = Callable[["RetryContext"], bool]
#: *when*: the wait, from ``context.now``, before soft retry number ``retry_number`` (from 1).
WaitStrategy: TypeAlias = Callable[["RetryContext", int], timedelta]
#: *until when*: give up rather than retry at ``at`` (already moved into allowed hours)?
StopStrategy: TypeAlias = Callable[["RetryContext", datetime], bool]
#: throttling: the wait before the next quick retry after ``consecutive`` THROTTLED outcomes in a
#: row (from 1), or ``None`` to give up.
ThrottleStrategy: TypeAlias = Callable[["RetryContext", int], "timedelta | None"]

_TEMPORARY = frozenset({Outcome.SOFT_BOUNCE, Outcome.THROTTLED})
_ZERO = timedelta(0)
_SECOND = timedelta(seconds=1)


def strategy_name(strategy: object) -> str:
    """A plain function's name, a built-in strategy's repr: stable text for explanations."""
    name = getattr(strategy, "__name__", None)
    return name if isinstance(name, str) else repr(strategy)


def duration(field: str, value: object) -> timedelta:
    """A non-negative ``timedelta`` from a ``timedelta`` or whole seconds (an ``int``)."""
    if isinstance(value, bool) or not isinstance(value, (timedelta, int)):
        raise ValidationError(
            field, f"expected a timedelta or whole seconds, got {describe(value)}"
        )
    try:
        found = timedelta(seconds=value) if isinstance(value, int) else value
    except OverflowError:
        raise ValidationError(field, f"{describe(value)} seconds is out of range") from None
    if found < _ZERO:
        raise ValidationError(field, f"{found} is negative")
    return found


def describe_duration(value: timedelta) -> str:
    """``72 h``, ``2 h 30 min``, ``15 min``, ``30 s``: durations as people write them."""
    seconds = value.total_seconds()
    hours, rest = divmod(int(seconds), 3600)
    minutes, whole = divmod(rest, 60)
    fraction = seconds - int(seconds)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    if whole or fraction or not (hours or minutes):
        parts.append(f"{whole + fraction:g} s")
    return " ".join(part for part in parts if part)


def _retry_number(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(
            "retry_number", f"soft retries are numbered from 1, got {describe(value)}"
        )
    return value


def _flatten(kind: type[Any], field: str, items: tuple[Any, ...]) -> tuple[Any, ...]:
    parts: list[Any] = []
    for item in items:
        parts.extend(item.parts if isinstance(item, kind) else [check_callable(field, item)])
    return tuple(parts)


# -- whether ------------------------------------------------------------------------------------


class Whether(abc.ABC):
    """A built-in *whether* strategy: ``a & b`` (all), ``a | b`` (any), ``~a`` (not)."""

    __slots__ = ()

    @abc.abstractmethod
    def __call__(self, context: RetryContext, /) -> bool:
        """True if the failure may be retried."""

    def __and__(self, other: WhetherStrategy) -> Whether:
        return RetryAll(_flatten(RetryAll, "whether", (self, other)))

    def __rand__(self, other: WhetherStrategy) -> Whether:
        return RetryAll(_flatten(RetryAll, "whether", (other, self)))

    def __or__(self, other: WhetherStrategy) -> Whether:
        return RetryAny(_flatten(RetryAny, "whether", (self, other)))

    def __ror__(self, other: WhetherStrategy) -> Whether:
        return RetryAny(_flatten(RetryAny, "whether", (other, self)))

    def __invert__(self) -> Whether:
        return RetryNot(self)


@attrs.frozen
class RetryAll(Whether):
    """Retry only if every part says so."""

    parts: tuple[WhetherStrategy, ...]

    def __call__(self, context: RetryContext, /) -> bool:
        return all(part(context) for part in self.parts)


@attrs.frozen
class RetryAny(Whether):
    """Retry if any part says so."""

    parts: tuple[WhetherStrategy, ...]

    def __call__(self, context: RetryContext, /) -> bool:
        return any(part(context) for part in self.parts)


@attrs.frozen
class RetryNot(Whether):
    """Retry if ``condition`` says not to."""

    condition: WhetherStrategy

    def __call__(self, context: RetryContext, /) -> bool:
        return not self.condition(context)


@attrs.frozen
class RetryIfRetryable(Whether):
    """The classification says a retry can help, and the outcome is a soft bounce or throttling."""

    def __call__(self, context: RetryContext, /) -> bool:
        found = context.classification
        return found.retryable and found.outcome in _TEMPORARY


@attrs.frozen
class RetryIfReason(Whether):
    """The last failure's bounce reason is one of ``reasons``."""

    reasons: tuple[BounceReason, ...]

    def __call__(self, context: RetryContext, /) -> bool:
        return context.classification.reason in self.reasons


@attrs.frozen
class RetryIfOutcome(Whether):
    """The last attempt's outcome is one of ``outcomes``."""

    outcomes: tuple[Outcome, ...]

    def __call__(self, context: RetryContext, /) -> bool:
        return context.classification.outcome in self.outcomes


#: Retry what the classification marks retryable, if it is a soft bounce or throttling.
retry_if_retryable: Whether = RetryIfRetryable()


def retry_if_reason(*reasons: BounceReason) -> Whether:
    """True when the last failure's reason is one of ``reasons``."""
    for reason in reasons:
        if not isinstance(reason, BounceReason):
            raise ValidationError(
                "retry_if_reason.reasons", f"{describe(reason)} is not a BounceReason"
            )
    return RetryIfReason(tuple(sorted(set(reasons), key=lambda r: r.value)))


def retry_if_outcome(*outcomes: Outcome) -> Whether:
    """True when the last attempt's outcome is one of ``outcomes``."""
    for outcome in outcomes:
        if not isinstance(outcome, Outcome):
            raise ValidationError(
                "retry_if_outcome.outcomes", f"{describe(outcome)} is not an Outcome"
            )
    return RetryIfOutcome(tuple(sorted(set(outcomes), key=lambda o: o.value)))


# -- when ---------------------------------------------------------------------------------------


class Wait(abc.ABC):
    """A built-in *when* strategy: ``a + b`` adds the waits."""

    __slots__ = ()

    @abc.abstractmethod
    def __call__(self, context: RetryContext, retry_number: int, /) -> timedelta:
        """The wait before soft retry ``retry_number`` (1 for the first)."""

    def __add__(self, other: WaitStrategy) -> Wait:
        return WaitSum(_flatten(WaitSum, "wait", (self, other)))

    def __radd__(self, other: WaitStrategy) -> Wait:
        return WaitSum(_flatten(WaitSum, "wait", (other, self)))


@attrs.frozen
class WaitFixed(Wait):
    """The same wait before every retry."""

    wait: timedelta

    def __call__(self, context: RetryContext, retry_number: int, /) -> timedelta:
        _retry_number(retry_number)
        return self.wait


@attrs.frozen
class WaitSchedule(Wait):
    """Retry ``n`` waits ``waits[n - 1]``; the last wait repeats."""

    waits: tuple[timedelta, ...]

    def __call__(self, context: RetryContext, retry_number: int, /) -> timedelta:
        return self.waits[min(_retry_number(retry_number), len(self.waits)) - 1]


@attrs.frozen
class WaitExponential(Wait):
    """``min(maximum, base * factor ** (retry_number - 1))``, as tenacity's ``wait_exponential``."""

    base: timedelta
    factor: float
    maximum: timedelta

    def __call__(self, context: RetryContext, retry_number: int, /) -> timedelta:
        exponent = _retry_number(retry_number) - 1
        try:
            seconds = self.base.total_seconds() * self.factor**exponent
        except OverflowError:
            return self.maximum
        if seconds >= self.maximum.total_seconds():
            return self.maximum
        return timedelta(seconds=seconds)


@attrs.frozen
class JitterFromId(Wait):
    """A deterministic extra wait in ``[0, span)`` whole seconds, drawn from a hash of the message
    id and the retry number: the same message gets the same jitter on every run and machine.

    ``span`` is ``fraction`` of the other waits it is added to (``wait + jitter``), or
    ``max_delta``. Alone, a ``fraction`` jitter has nothing to scale and waits 0.
    """

    fraction: float | None
    max_delta: timedelta | None

    def __call__(self, context: RetryContext, retry_number: int, /) -> timedelta:
        return self.spread(context, retry_number, _ZERO)

    def spread(self, context: RetryContext, retry_number: int, base: timedelta) -> timedelta:
        """The jitter for a wait of ``base``."""
        span = base * self.fraction if self.fraction is not None else self.max_delta or _ZERO
        key = f"{context.message_id}\x00{_retry_number(retry_number)}".encode()
        digest = hashlib.blake2b(key, digest_size=8, person=b"sms-retry-jitter").digest()
        # A 64-bit hash as a fraction of the span, in whole seconds (exact integer arithmetic).
        seconds = (int.from_bytes(digest, "big") * (span // _SECOND)) >> 64
        return timedelta(seconds=seconds)


@attrs.frozen
class WaitSum(Wait):
    """The sum of the parts' waits; each ``JitterFromId`` part jitters the sum of the others."""

    parts: tuple[WaitStrategy, ...]

    def __call__(self, context: RetryContext, retry_number: int, /) -> timedelta:
        jitters = [part for part in self.parts if isinstance(part, JitterFromId)]
        base = sum(
            (
                checked_wait("Retrying.wait", part, part(context, retry_number))
                for part in self.parts
                if not isinstance(part, JitterFromId)
            ),
            _ZERO,
        )
        return base + sum((j.spread(context, retry_number, base) for j in jitters), _ZERO)


def checked_wait(field: str, strategy: object, value: object) -> timedelta:
    """``value`` if it is a wait (a ``timedelta`` >= 0) that ``strategy`` returned, else an
    error."""
    if not isinstance(value, timedelta) or value < _ZERO:
        raise ValidationError(
            field, f"{describe(strategy)} returned {describe(value)}, not a wait >= 0"
        )
    return value


def wait_fixed(wait: timedelta | int) -> Wait:
    """Wait ``wait`` (a ``timedelta`` or whole seconds) before every retry."""
    return WaitFixed(duration("wait_fixed.wait", wait))


def wait_schedule(*waits: timedelta | int) -> Wait:
    """Retry ``n`` waits the ``n``-th value; after the last value, the last value repeats."""
    if not waits:
        raise ValidationError("wait_schedule.waits", "give at least one wait")
    return WaitSchedule(tuple(duration("wait_schedule.waits", wait) for wait in waits))


def wait_exponential(base: timedelta | int, factor: float = 2, *, maximum: timedelta | int) -> Wait:
    """``base``, then ``base * factor``, ``base * factor ** 2``, ..., at most ``maximum``."""
    if isinstance(factor, bool) or not isinstance(factor, (int, float)):
        raise ValidationError(
            "wait_exponential.factor", f"expected a number, got {describe(factor)}"
        )
    if (isinstance(factor, int) and factor.bit_length() > 64) or not math.isfinite(factor):
        raise ValidationError("wait_exponential.factor", f"{describe(factor)} is not finite")
    if factor < 1:
        raise ValidationError(
            "wait_exponential.factor", f"{describe(factor)} is not a finite number >= 1"
        )
    return WaitExponential(
        duration("wait_exponential.base", base),
        float(factor),
        duration("wait_exponential.maximum", maximum),
    )


def jitter_from_id(
    fraction: float | None = None, *, max_delta: timedelta | int | None = None
) -> Wait:
    """A deterministic jitter, up to ``fraction`` of the waits it is added to, or up to
    ``max_delta``: give exactly one. It only lengthens waits: ``wait + jitter >= wait``."""
    if (fraction is None) == (max_delta is None):
        raise ValidationError("jitter_from_id", "give exactly one of fraction and max_delta")
    if fraction is not None:
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
            raise ValidationError(
                "jitter_from_id.fraction", f"expected a number, got {describe(fraction)}"
            )
        if not 0 <= fraction <= 1:
            raise ValidationError(
                "jitter_from_id.fraction", f"{describe(fraction)} is not between 0 and 1"
            )
        return JitterFromId(float(fraction), None)
    return JitterFromId(None, duration("jitter_from_id.max_delta", max_delta))


# -- until when ---------------------------------------------------------------------------------


class Stop(abc.ABC):
    """A built-in *until when* strategy: ``a | b`` (stop if any), ``a & b`` (stop if all)."""

    __slots__ = ()

    @abc.abstractmethod
    def __call__(self, context: RetryContext, at: datetime, /) -> bool:
        """True to give up rather than retry at ``at``."""

    def explain(self, context: RetryContext, at: datetime) -> str:
        """Why it stops (called only when it does)."""
        return f"{self!r} stops the retry at {at.isoformat()}"

    def __or__(self, other: StopStrategy) -> Stop:
        return StopAny(_flatten(StopAny, "stop", (self, other)))

    def __ror__(self, other: StopStrategy) -> Stop:
        return StopAny(_flatten(StopAny, "stop", (other, self)))

    def __and__(self, other: StopStrategy) -> Stop:
        return StopAll(_flatten(StopAll, "stop", (self, other)))

    def __rand__(self, other: StopStrategy) -> Stop:
        return StopAll(_flatten(StopAll, "stop", (other, self)))


def explain_stop(part: StopStrategy, context: RetryContext, at: datetime) -> str:
    """Why ``part`` stops the retry at ``at``: its ``explain`` if it is a ``Stop``."""
    if isinstance(part, Stop):
        return part.explain(context, at)
    return f"{strategy_name(part)} stops the retry at {at.isoformat()}"


@attrs.frozen
class StopAny(Stop):
    """Stop if any part says stop."""

    parts: tuple[StopStrategy, ...]

    def __call__(self, context: RetryContext, at: datetime, /) -> bool:
        return any(part(context, at) for part in self.parts)

    def explain(self, context: RetryContext, at: datetime) -> str:
        """The first stopping part's reason."""
        reasons = (explain_stop(part, context, at) for part in self.parts if part(context, at))
        return next(reasons, f"{self!r} stops the retry at {at.isoformat()}")


@attrs.frozen
class StopAll(Stop):
    """Stop only if every part says stop."""

    parts: tuple[StopStrategy, ...]

    def __call__(self, context: RetryContext, at: datetime, /) -> bool:
        return all(part(context, at) for part in self.parts)

    def explain(self, context: RetryContext, at: datetime) -> str:
        """Every part's reason."""
        return "; and ".join(explain_stop(part, context, at) for part in self.parts)


@attrs.frozen
class StopAfterRetries(Stop):
    """Stop a soft failure once ``retries`` retries after soft failures were scheduled; throttled
    retries do not count, and a throttled outcome is never stopped by this strategy."""

    retries: int

    def __call__(self, context: RetryContext, at: datetime, /) -> bool:
        throttled = context.classification.outcome is Outcome.THROTTLED
        return not throttled and context.soft_failures > self.retries

    def explain(self, context: RetryContext, at: datetime) -> str:
        """How many soft failures, how many retries allowed."""
        return f"{context.soft_failures} soft failures: the {self.retries} retries allowed are used"


@attrs.frozen
class StopAfter(Stop):
    """Stop when the retry would be later than ``window`` after the first failed attempt was
    submitted (``context.first_failure_at``)."""

    window: timedelta

    def __call__(self, context: RetryContext, at: datetime, /) -> bool:
        # A difference, never a sum: a window of any length cannot overflow the calendar.
        return at - context.first_failure_at > self.window

    def explain(self, context: RetryContext, at: datetime) -> str:
        """The retry time, the window and its end."""
        # Only a retry time past the window is explained, so the window ends before it.
        limit = context.first_failure_at + min(self.window, at - context.first_failure_at)
        return (
            f"the retry time {at.isoformat()} is past the {describe_duration(self.window)} "
            f"window from the first failed attempt (until {limit.isoformat()})"
        )


def stop_after_retries(n: int) -> Stop:
    """Give up on a soft failure once ``n`` retries after soft failures were used (the
    ``n + 1``-th soft failure is final). Throttled retries are not counted."""
    return StopAfterRetries(non_negative_int("stop_after_retries.n", n))


def stop_after(window: timedelta | int) -> Stop:
    """Give up when the retry time would be more than ``window`` after the first failed attempt
    was submitted."""
    return StopAfter(duration("stop_after.window", window))


# -- throttling ---------------------------------------------------------------------------------


def _throttle_wait(value: timedelta | int) -> timedelta:
    return duration("Throttle.wait", value)


def _throttle_retries(instance: object, attribute: object, value: object) -> None:
    non_negative_int("Throttle.max_retries", value)


@attrs.frozen
class Throttle:
    """Quick retries after THROTTLED outcomes: every ``wait``, up to ``max_retries`` in a row.

    The defaults are Jasmin's for ESME_RTHROTTLED (``count`` 20, ``delay`` 30 s). A throttled
    retry does not use the recipient's retry budget: the provider asked the sender to slow down,
    which says nothing about the recipient.
    """

    wait: timedelta = attrs.field(default=timedelta(seconds=30), converter=_throttle_wait)
    max_retries: int = attrs.field(default=20, validator=_throttle_retries)

    def __call__(self, context: RetryContext, consecutive: int, /) -> timedelta | None:
        """``wait`` while ``consecutive`` (THROTTLED outcomes in a row) is at most
        ``max_retries``; ``None`` after."""
        return self.wait if consecutive <= self.max_retries else None
