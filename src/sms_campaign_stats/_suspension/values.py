"""The suspension policies' vocabulary: metrics, observations, levels, the verdict, what each
observation counts for each metric, and the checks and copying the built-ins share.
``suspension`` is the public face; the arithmetic is in ``_sequential``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar, cast

import attrs

from sms_campaign_stats._core.validate import coerce_enum, describe, non_negative_int
from sms_campaign_stats.errors import ValidationError

__all__ = [
    "CONTRIBUTIONS",
    "REPLAY_ORDER",
    "Level",
    "Metric",
    "Observation",
    "Verdict",
    "check_bool",
    "check_metric",
    "check_min_sample",
    "check_p1",
    "check_positive",
    "check_probability",
    "check_rate",
    "check_times",
    "contribution",
    "copy_policy",
    "to_metric",
]


class Metric(str, enum.Enum):
    """A rate a policy watches. Denominators: see ``CONTRIBUTIONS``."""

    SOFT_BOUNCE_RATE = "soft_bounce_rate"  # soft bounces / finished messages
    HARD_BOUNCE_RATE = "hard_bounce_rate"  # hard bounces / finished messages
    UNSUBSCRIBE_RATE = "unsubscribe_rate"  # unsubscribes / delivered messages

    def __str__(self) -> str:
        return self.value


class Observation(str, enum.Enum):
    """One thing that happened to a campaign's message."""

    DELIVERED = "delivered"
    SOFT_BOUNCE = "soft_bounce"
    HARD_BOUNCE = "hard_bounce"
    UNSUBSCRIBE = "unsubscribe"  # a recipient of a delivered message opted out

    def __str__(self) -> str:
        return self.value


class Level(str, enum.Enum):
    """How bad it is: OK < WARN < SUSPEND (compare them, or their ``severity``)."""

    OK = "ok"
    WARN = "warn"
    SUSPEND = "suspend"

    @property
    def severity(self) -> int:
        """0 for OK, 1 for WARN, 2 for SUSPEND."""
        return _SEVERITY[self]

    def __str__(self) -> str:
        return self.value

    # A str enum would compare alphabetically ("ok" < "suspend" < "warn"): compare severities,
    # with Levels or with their values.
    def __lt__(self, other: object) -> bool:
        theirs = _severity_of(other)
        return NotImplemented if theirs is None else self.severity < theirs

    def __le__(self, other: object) -> bool:
        theirs = _severity_of(other)
        return NotImplemented if theirs is None else self.severity <= theirs

    def __gt__(self, other: object) -> bool:
        theirs = _severity_of(other)
        return NotImplemented if theirs is None else self.severity > theirs

    def __ge__(self, other: object) -> bool:
        theirs = _severity_of(other)
        return NotImplemented if theirs is None else self.severity >= theirs


_SEVERITY: Mapping[Level, int] = MappingProxyType({Level.OK: 0, Level.WARN: 1, Level.SUSPEND: 2})


def _severity_of(value: object) -> int | None:
    if not isinstance(value, str):
        return None  # NotImplemented: Python then raises TypeError
    if value not in _SEVERITY:
        # Refuse rather than let str compare alphabetically.
        raise TypeError(f"{value!r} is not a level: compare with one of ok, warn, suspend")
    return _SEVERITY[Level(value)]


@attrs.frozen(kw_only=True)
class Verdict:
    """What a policy says after an observation, and why.

    ``policy`` names the policy (``"wilson(hard_bounce_rate)"``); ``observed_rate`` is the
    metric's numerator over its denominator (``None`` while the denominator is 0);
    ``threshold`` the rate the policy guards (``suspend_at``, or p1 for the sequential tests);
    ``sample_size`` the denominator so far; ``evidence`` JSON-ready numbers: counts, bound,
    log-likelihood ratio, CUSUM statistic, ...
    """

    level: Level
    policy: str
    metric: Metric | None
    observed_rate: float | None
    threshold: float | None
    sample_size: int
    evidence: Mapping[str, Any] = attrs.field(hash=False)

    def to_dict(self) -> dict[str, Any]:
        """A plain JSON-ready dict (enums as their values)."""
        return {
            "level": self.level.value,
            "policy": self.policy,
            "metric": None if self.metric is None else self.metric.value,
            "observed_rate": self.observed_rate,
            "threshold": self.threshold,
            "sample_size": self.sample_size,
            "evidence": dict(self.evidence),
        }


def _table(rows: dict[Observation, tuple[int, int]]) -> Mapping[Observation, tuple[int, int]]:
    return MappingProxyType(rows)


_D, _S, _H, _U = (
    Observation.DELIVERED,
    Observation.SOFT_BOUNCE,
    Observation.HARD_BOUNCE,
    Observation.UNSUBSCRIBE,
)

#: What one observation adds to each metric's (numerator, denominator). Bounce rates are over
#: finished messages (Brevo, SES count bounces over messages sent and finished); the unsubscribe
#: rate is over delivered messages (Klaviyo: "divided by the number of SMS received").
CONTRIBUTIONS: Mapping[Metric, Mapping[Observation, tuple[int, int]]] = MappingProxyType(
    {
        Metric.SOFT_BOUNCE_RATE: _table({_D: (0, 1), _S: (1, 1), _H: (0, 1), _U: (0, 0)}),
        Metric.HARD_BOUNCE_RATE: _table({_D: (0, 1), _S: (0, 1), _H: (1, 1), _U: (0, 0)}),
        Metric.UNSUBSCRIBE_RATE: _table({_D: (0, 1), _S: (0, 0), _H: (0, 0), _U: (1, 0)}),
    }
)

#: The order in which ``replay`` observes stored counts: the metric's bad outcome first. Rates do
#: not care; for the sequential statistics this order gives the lowest value any order of the
#: same counts can give, so a replay never invents a suspension (see ``replay``).
REPLAY_ORDER: Mapping[Metric | None, tuple[Observation, ...]] = MappingProxyType(
    {
        Metric.SOFT_BOUNCE_RATE: (_S, _H, _D, _U),
        Metric.HARD_BOUNCE_RATE: (_H, _S, _D, _U),
        Metric.UNSUBSCRIBE_RATE: (_U, _D, _S, _H),
        None: (_U, _H, _S, _D),
    }
)


def contribution(metric: Metric, observation: Observation) -> tuple[int, int]:
    """``CONTRIBUTIONS[metric][observation]``, or a ValidationError for a non-observation."""
    try:
        return CONTRIBUTIONS[metric][observation]
    except (KeyError, TypeError):
        choices = ", ".join(item.value for item in Observation)
        raise ValidationError(
            "observation", f"{describe(observation)} is not one of: {choices}"
        ) from None


def check_probability(field: str, value: object) -> float:
    """A float (or int) strictly between 0 and 1."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0.0 < value < 1.0  # also refuses NaN
    ):
        raise ValidationError(
            field, f"expected a number strictly between 0 and 1, got {describe(value)}"
        )
    return float(value)


P = TypeVar("P")
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def copy_policy(policy: P, **changes: Any) -> P:
    """A copy of a frozen attrs policy with some fields changed, skipping validation.

    ``observe`` only changes counts that it computed itself; re-running the constructor's
    checks on every message would triple its cost.
    """
    cls = type(policy)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(item.name for item in attrs.fields(cast(Any, cls)))
    new: P = object.__new__(cls)
    for name in names:
        object.__setattr__(new, name, changes[name] if name in changes else getattr(policy, name))
    return new


# -- attrs validators for the built-ins: each names the field (``WilsonPolicy.suspend_at``) ----


def _where(instance: object, attribute: attrs.Attribute[Any]) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def to_metric(value: Metric | str) -> Metric:
    """Converter: a Metric from a member or its value; anything else is passed on."""
    return coerce_enum(Metric, value)  # type: ignore[return-value]  # the validator refuses


def check_metric(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A Metric."""
    if not isinstance(value, Metric):
        choices = ", ".join(item.value for item in Metric)
        raise ValidationError(
            _where(instance, attribute), f"{describe(value)} is not one of: {choices}"
        )


def check_rate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A number strictly between 0 and 1."""
    check_probability(_where(instance, attribute), value)


def check_p1(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """A rate above the instance's ``p0``."""
    check_rate(instance, attribute, value)
    if cast(float, value) <= instance.p0:
        raise ValidationError(
            _where(instance, attribute), f"{value} must be above p0 ({instance.p0})"
        )


def check_min_sample(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An int, at least 1."""
    if non_negative_int(_where(instance, attribute), value) < 1:
        raise ValidationError(_where(instance, attribute), "must be at least 1")


def check_positive(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A positive finite number."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0.0 < value < math.inf  # also refuses NaN
    ):
        raise ValidationError(
            _where(instance, attribute), f"expected a positive finite number, got {describe(value)}"
        )


def check_bool(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """True or False."""
    if not isinstance(value, bool):
        raise ValidationError(
            _where(instance, attribute), f"expected True or False, got {describe(value)}"
        )


def check_times(count: object) -> int:
    """``observe_many``'s count: a non-negative int."""
    return non_negative_int("observe_many.count", count)
