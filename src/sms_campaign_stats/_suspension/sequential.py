"""The arithmetic behind the suspension policies: Wilson bounds, Wald's SPRT constants, a
log-likelihood-ratio walk that restarts at a floor (with an O(1) closed form for a run of equal
observations), and the counting the built-ins share (``RateCounts``, ``LikelihoodWalk``).

Formulas from the reference ``suspension-and-retry.md`` §3: statsmodels ``proportion_confint``
(Wilson), Wald 1945 via ``copperheadCrotch/Sequential-Probability-Ratio-Test`` (A, B), Reynolds
& Stoumbos 1999 (the Bernoulli CUSUM's W).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from sms_campaign_stats._core.validate import non_negative_int
from sms_campaign_stats._suspension.values import (
    Level,
    Metric,
    Observation,
    Verdict,
    check_probability,
    check_times,
    contribution,
    copy_policy,
)
from sms_campaign_stats.errors import ValidationError

__all__ = [
    "LikelihoodWalk",
    "RateCounts",
    "Walk",
    "llr_weights",
    "normal_quantile",
    "rate_or_none",
    "sprt_boundaries",
    "walk_many",
    "walk_step",
    "wilson_bounds",
    "wilson_interval",
]


def normal_quantile(probability: float) -> float:
    """The standard normal quantile: 1.6449 for 0.95, 1.9600 for 0.975."""
    return NormalDist().inv_cdf(probability)


def wilson_bounds(count: int, total: int, z: float) -> tuple[float, float]:
    """The Wilson score interval's (lower, upper) bounds at quantile ``z``, clipped to [0, 1].

    statsmodels ``proportion_confint(method="wilson")``: with p = count/total and
    d = 1 + z²/n, centre = (p + z²/2n) / d, half-width = z·√(p(1-p)/n + z²/4n²) / d, for
    ``total`` > 0. ``count`` above ``total`` (an unsubscribe counted before its delivery) is
    read as ``total``.
    """
    rate = min(count, total) / total
    z2_over_n = z * z / total
    denominator = 1.0 + z2_over_n
    centre = (rate + z2_over_n / 2.0) / denominator
    half_width = z * math.sqrt(rate * (1.0 - rate) / total + z2_over_n / (4.0 * total))
    half_width /= denominator
    return max(0.0, centre - half_width), min(1.0, centre + half_width)


def wilson_interval(
    count: int,
    total: int,
    *,
    confidence: float = 0.95,
    two_sided: bool = True,
    z: float | None = None,
) -> tuple[float, float]:
    """The Wilson score interval for ``count`` bad outcomes in ``total``.

    Two-sided: both bounds at the (1 + confidence)/2 normal quantile (1.959964 for 95 %).
    One-sided: each bound at the ``confidence`` quantile (1.644854 for 95 %); the lower one is
    what ``WilsonPolicy`` compares with ``suspend_at``. ``z`` overrides the quantile: published
    tables often use z = 1.96.

    >>> [round(bound, 7) for bound in wilson_interval(10, 100, z=1.96)]
    [0.0552285, 0.1743673]
    """
    count = non_negative_int("wilson_interval.count", count)
    total = non_negative_int("wilson_interval.total", total)
    if count > total:
        raise ValidationError("wilson_interval.count", f"{count} is more than total ({total})")
    if total == 0:
        raise ValidationError("wilson_interval.total", "no interval for 0 trials")
    if z is None:
        confidence = check_probability("wilson_interval.confidence", confidence)
        z = normal_quantile((1.0 + confidence) / 2.0 if two_sided else confidence)
    elif isinstance(z, bool) or not isinstance(z, (int, float)) or not 0.0 < z < math.inf:
        raise ValidationError("wilson_interval.z", f"expected a positive finite number, got {z!r}")
    return wilson_bounds(count, total, z)


def sprt_boundaries(alpha: float, beta: float) -> tuple[float, float]:
    """Wald's boundaries (A, B): A = ln((1-beta)/alpha), at or above accept H1;
    B = ln(beta/(1-alpha)), at or below accept H0."""
    return math.log((1.0 - beta) / alpha), math.log(beta / (1.0 - alpha))


def llr_weights(p0: float, p1: float) -> tuple[float, float]:
    """(weight of a bad outcome, cost of a trial) in the Bernoulli log-likelihood ratio.

    With r2 = ln[p1(1-p0) / (p0(1-p1))] and r1 = ln[(1-p0)/(1-p1)], one message's increment is
    l(x) = x·r2 - r1 (the reference's W_n), and after k bad outcomes in n trials
    Λ = k·r2 - n·r1 = k·ln(p1/p0) + (n-k)·ln((1-p1)/(1-p0)). Splitting the increment lets an
    unsubscribe (numerator only) and a delivery (denominator only) each add their part.
    """
    return math.log(p1 * (1.0 - p0) / (p0 * (1.0 - p1))), math.log((1.0 - p0) / (1.0 - p1))


# The walk: the statistic is bad·r2 - trials·r1 over the counts since the last restart, kept as
# two integers so that it never drifts and a run of observations has a closed form. After each
# step, a value at or below ``floor`` restarts it at 0: B for the SPRT (accept H0, test again),
# 0 for the CUSUM (S = max(0, S + W)). A walk state is (bad, trials, restarts).

Walk = tuple[int, int, int]


def walk_step(
    state: Walk, bad: int, trials: int, r2: float, r1: float, floor: float | None
) -> Walk:
    """The walk after one observation adding ``bad`` to the numerator, ``trials`` to the
    denominator; ``floor=None`` never restarts."""
    count, total, restarts = state
    count += bad
    total += trials
    if floor is not None and count * r2 - total * r1 <= floor:
        return 0, 0, restarts + 1
    return count, total, restarts


def _steps_to_floor(count: int, total: int, trials: int, r2: float, r1: float, floor: float) -> int:
    """The fewest steps (at least 1) of ``trials`` trials each that bring the statistic at or
    below ``floor``, by the same float expression ``walk_step`` tests, so that the closed form
    and the loop agree to the last bit."""
    step_cost = trials * r1
    steps = max(1, math.ceil((count * r2 - total * r1 - floor) / step_cost))
    while steps > 1 and count * r2 - (total + (steps - 1) * trials) * r1 <= floor:
        steps -= 1
    while count * r2 - (total + steps * trials) * r1 > floor:  # pragma: no cover - rounding
        steps += 1  # the estimate one short: possible in principle, never met in 2 M draws
    return steps


def walk_many(
    state: Walk, bad: int, trials: int, times: int, r2: float, r1: float, floor: float | None
) -> Walk:
    """``walk_step`` applied ``times`` times, in O(1).

    A step that does not lower the statistic (a bad outcome) cannot restart the walk. A step of
    trials alone lowers it, restarts it after a computable number of steps, then again every
    ``_steps_to_floor(0, 0, ...)`` steps.
    """
    count, total, restarts = state
    if times == 0 or (bad == 0 and trials == 0):
        return state
    if floor is None or bad > 0:
        # Every step with a bad outcome raises the statistic: weights give r2 > r1 > 0.
        return count + bad * times, total + trials * times, restarts
    first = _steps_to_floor(count, total, trials, r2, r1, floor)
    if times < first:
        return count, total + trials * times, restarts
    cycle = _steps_to_floor(0, 0, trials, r2, r1, floor)
    cycles, remainder = divmod(times - first, cycle)
    return 0, remainder * trials, restarts + 1 + cycles


# -- counting shared by the built-in policies -------------------------------------------------


def rate_or_none(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or ``None`` for a zero denominator."""
    return numerator / denominator if denominator else None


def counts_verdict(
    policy: Any, level: Level, name: str, threshold: float, **evidence: Any
) -> Verdict:
    """The verdict of a policy that counts its metric's numerator and denominator: those counts
    first in the evidence, then the policy's own ``evidence``."""
    numerator, denominator = policy.numerator, policy.denominator
    return Verdict(
        level=level,
        policy=name,
        metric=policy.metric,
        observed_rate=rate_or_none(numerator, denominator),
        threshold=threshold,
        sample_size=denominator,
        evidence=MappingProxyType({"numerator": numerator, "denominator": denominator, **evidence}),
    )


R = TypeVar("R", bound="RateCounts")


class RateCounts:
    """The counting ThresholdPolicy and WilsonPolicy share (each declares the attrs fields, so
    that constructor arguments come before counts in the repr)."""

    __slots__ = ()
    metric: Metric
    warn_at: float
    suspend_at: float
    min_sample: int
    numerator: int
    denominator: int

    def __attrs_post_init__(self) -> None:
        if self.warn_at > self.suspend_at:
            raise ValidationError(
                f"{type(self).__name__}.warn_at",
                f"{self.warn_at} is above suspend_at ({self.suspend_at})",
            )

    if TYPE_CHECKING:  # each policy defines them

        def verdict(self) -> Verdict: ...

        def level(self) -> Level: ...

    def observe(self: R, observation: Observation, /) -> tuple[R, Verdict]:
        """The policy after ``observation``, and its verdict."""
        policy = self._counted(observation)
        return policy, policy.verdict()

    def observe_level(self: R, observation: Observation, /) -> tuple[R, Level]:
        """``observe`` without building the verdict: the policy after ``observation`` and the
        level of its verdict."""
        policy = self._counted(observation)
        return policy, policy.level()

    def _counted(self: R, observation: Observation) -> R:
        bad, trials = contribution(self.metric, observation)
        if not (bad or trials):
            return self
        return copy_policy(
            self, numerator=self.numerator + bad, denominator=self.denominator + trials
        )

    def observe_many(self: R, observation: Observation, count: int, /) -> R:
        """The policy after observing ``observation`` ``count`` times, in O(1)."""
        bad, trials = contribution(self.metric, observation)
        times = check_times(count)
        if not times or not (bad or trials):
            return self
        return copy_policy(
            self,
            numerator=self.numerator + bad * times,
            denominator=self.denominator + trials * times,
        )

    def _verdict(self, level: Level, name: str, **more: Any) -> Verdict:
        return counts_verdict(
            self,
            level,
            name,
            self.suspend_at,
            min_sample=self.min_sample,
            warn_at=self.warn_at,
            suspend_at=self.suspend_at,
            **more,
        )


# -- the likelihood-ratio walk of the sequential tests -------------------------------------

W = TypeVar("W", bound="LikelihoodWalk")


class LikelihoodWalk:
    """The log-likelihood-ratio walk SprtPolicy and CusumPolicy share: a bad outcome adds
    r2 = ln[p1(1-p0)/(p0(1-p1))], a trial subtracts r1 = ln[(1-p0)/(1-p1)]; at or below the
    floor it restarts at 0. Kept as integer counts since the restart: no drift, O(1) runs."""

    __slots__ = ()
    metric: Metric
    p0: float
    p1: float
    numerator: int
    denominator: int
    numerator_since_restart: int
    denominator_since_restart: int
    restarts: int
    _weights: tuple[float, float]

    if TYPE_CHECKING:  # each policy defines them

        def _floor(self) -> float | None: ...

        def verdict(self) -> Verdict: ...

        def level(self) -> Level: ...

    @property
    def llr(self) -> float:
        """The log-likelihood ratio since the last restart (the CUSUM's S)."""
        r2, r1 = self._weights
        return self.numerator_since_restart * r2 - self.denominator_since_restart * r1

    def _walked(self: W, bad: int, trials: int, times: int) -> W:
        walk = (self.numerator_since_restart, self.denominator_since_restart, self.restarts)
        r2, r1 = self._weights
        if times == 1:
            walk = walk_step(walk, bad, trials, r2, r1, self._floor())
        else:
            walk = walk_many(walk, bad, trials, times, r2, r1, self._floor())
        return copy_policy(
            self,
            numerator=self.numerator + bad * times,
            denominator=self.denominator + trials * times,
            numerator_since_restart=walk[0],
            denominator_since_restart=walk[1],
            restarts=walk[2],
        )

    def observe(self: W, observation: Observation, /) -> tuple[W, Verdict]:
        """The policy after ``observation``, and its verdict."""
        bad, trials = contribution(self.metric, observation)
        policy = self._walked(bad, trials, 1) if bad or trials else self
        return policy, policy.verdict()

    def observe_level(self: W, observation: Observation, /) -> tuple[W, Level]:
        """``observe`` without building the verdict: the policy after ``observation`` and the
        level of its verdict."""
        bad, trials = contribution(self.metric, observation)
        policy = self._walked(bad, trials, 1) if bad or trials else self
        return policy, policy.level()

    def observe_many(self: W, observation: Observation, count: int, /) -> W:
        """The policy after observing ``observation`` ``count`` times, in O(1)."""
        bad, trials = contribution(self.metric, observation)
        times = check_times(count)
        return self._walked(bad, trials, times) if times and (bad or trials) else self

    def _verdict(self, level: Level, name: str, **more: Any) -> Verdict:
        return counts_verdict(
            self,
            level,
            name,
            self.p1,
            p0=self.p0,
            p1=self.p1,
            restarts=self.restarts,
            numerator_since_restart=self.numerator_since_restart,
            denominator_since_restart=self.denominator_since_restart,
            **more,
        )
