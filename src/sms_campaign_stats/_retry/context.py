"""What a retry policy sees when an attempt has failed: ``RetryContext`` (public through
``sms_campaign_stats.retry``). It sits below the strategies and the policy that read it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, cast

import attrs

from sms_campaign_stats._core.validate import check_id, check_utc, describe, to_utc
from sms_campaign_stats.bounces import Classification
from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.lifecycle import BounceReason, Outcome
from sms_campaign_stats.model import Attempt

__all__ = ["RetryContext", "always_allowed", "check_callable", "field_check"]


def check_callable(field: str, value: object) -> Any:
    """``value`` if it is callable, else a ``ValidationError`` naming ``field``."""
    if not callable(value):
        raise ValidationError(field, f"{describe(value)} is not callable")
    return value


_NOT_FAILED = frozenset({None, Outcome.DELIVERED, Outcome.PENDING})


def field_check(field: str, check: Callable[[str, Any], object]) -> Any:
    def validate(instance: object, attribute: object, value: object) -> None:
        check(field, value)

    return validate


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

    message_id: str = attrs.field(validator=field_check("RetryContext.message_id", check_id))
    attempts: tuple[Attempt, ...] = attrs.field(
        converter=_attempts, validator=field_check("RetryContext.attempts", _check_attempts)
    )
    classification: Classification = attrs.field(
        validator=field_check("RetryContext.classification", _check_classification)
    )
    now: datetime = attrs.field(
        converter=to_utc, validator=field_check("RetryContext.now", check_utc)
    )
    next_allowed: Callable[[datetime], datetime] = attrs.field(
        default=always_allowed, validator=field_check("RetryContext.next_allowed", check_callable)
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
