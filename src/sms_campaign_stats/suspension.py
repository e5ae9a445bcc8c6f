"""Automatic campaign suspension: watch a campaign's bad-outcome rates as messages finish, and
say when to warn and when to suspend.

A policy is a value. ``policy.observe(observation)`` returns the updated policy (a new frozen
object) and the ``Verdict`` after that observation: ``Level.OK``, ``WARN`` or ``SUSPEND``, which
policy said it, and the evidence (counts, bound, log-likelihood ratio, ...). A policy never
suspends anything: the campaign engine acts on the first SUSPEND and records it. Work and state
are O(1) per observation: a few counts, never a list of events.

Denominators (``CONTRIBUTIONS``): soft- and hard-bounce rates are over FINISHED messages
(delivered + soft bounces + hard bounces); the unsubscribe rate is over DELIVERED messages, an
UNSUBSCRIBE adding to its numerator only.

The built-ins: ``ThresholdPolicy`` (the observed rate against two levels, as SES, GC Notify and
HighLevel do), ``WilsonPolicy`` (SUSPEND only when the one-sided Wilson lower bound exceeds the
level), ``SprtPolicy`` (Wald's sequential test), ``CusumPolicy`` (the Bernoulli CUSUM chart) and
``AnyOf`` (several at once; the most severe verdict wins; ``a | b`` builds it). ``replay``
rebuilds a policy from stored counts. ``DEFAULT_SUSPENSION_POLICY`` is Wilson on the three
metrics at ``DEFAULT_THRESHOLDS``. Formulas, defaults and their sources: ``docs/suspension.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

import attrs

from sms_campaign_stats._core.defaults import named_default, repr_naming_defaults
from sms_campaign_stats._core.validate import describe, non_negative_int
from sms_campaign_stats._suspension.sequential import (
    LikelihoodWalk,
    RateCounts,
    llr_weights,
    normal_quantile,
    sprt_boundaries,
    wilson_bounds,
    wilson_interval,
)
from sms_campaign_stats._suspension.values import (
    CONTRIBUTIONS,
    REPLAY_ORDER,
    Level,
    Metric,
    Observation,
    Verdict,
    check_bool,
    check_metric,
    check_min_sample,
    check_p1,
    check_positive,
    check_rate,
    check_times,
    copy_policy,
    to_metric,
)
from sms_campaign_stats.errors import ValidationError

__all__ = [
    "CONTRIBUTIONS",
    "DEFAULT_SUSPENSION_POLICY",
    "DEFAULT_THRESHOLDS",
    "AnyOf",
    "CusumPolicy",
    "Level",
    "Metric",
    "Observation",
    "ReplayablePolicy",
    "SprtPolicy",
    "SuspensionPolicy",
    "SuspensionThresholds",
    "ThresholdPolicy",
    "Verdict",
    "WilsonPolicy",
    "observe_level",
    "replay",
    "wilson_interval",
]


@runtime_checkable
class SuspensionPolicy(Protocol):
    """Anything that watches a campaign: ``observe`` returns the updated policy and its verdict
    (the policy itself never changes); ``verdict`` says where it stands now."""

    def observe(self, observation: Observation, /) -> tuple[SuspensionPolicy, Verdict]:
        """The policy after ``observation``, and its verdict."""
        ...

    def verdict(self) -> Verdict:
        """The verdict on what was observed so far."""
        ...


@runtime_checkable
class ReplayablePolicy(SuspensionPolicy, Protocol):
    """A policy that takes ``count`` equal observations at once, in O(1); ``replay`` uses it
    (other policies are replayed one observation at a time)."""

    def observe(self, observation: Observation, /) -> tuple[ReplayablePolicy, Verdict]:
        """The policy after ``observation``, and its verdict."""
        ...

    def observe_many(self, observation: Observation, count: int, /) -> ReplayablePolicy:
        """The policy after observing ``observation`` ``count`` times."""
        ...


# -- rates against levels ---------------------------------------------------------------------


class _Either:
    """``a | b``: both policies watch the campaign and the more severe verdict wins, i.e.
    ``AnyOf(a, b)`` (nested ``AnyOf`` are flattened). The same ``|`` means "either" for retry
    strategies and "the first that answers" for classifiers; ``&`` means "all must agree"."""

    __slots__ = ()

    def __or__(self, other: SuspensionPolicy) -> AnyOf:
        return AnyOf(*_members(self), *_members(other))

    def __ror__(self, other: SuspensionPolicy) -> AnyOf:
        return AnyOf(*_members(other), *_members(self))


def _members(policy: object) -> tuple[SuspensionPolicy, ...]:
    if isinstance(policy, AnyOf):
        return policy.policies
    return (cast(SuspensionPolicy, policy),)


@attrs.frozen(kw_only=True)
class ThresholdPolicy(RateCounts, _Either):
    """The observed rate against two levels, once the denominator reaches ``min_sample``.

    SUSPEND when rate >= ``suspend_at``, WARN when rate >= ``warn_at`` (">=" as SES, GC Notify
    and resilience4j compare); OK below ``min_sample``.
    """

    metric: Metric = attrs.field(converter=to_metric, validator=check_metric)
    warn_at: float = attrs.field(validator=check_rate)
    suspend_at: float = attrs.field(validator=check_rate)
    min_sample: int = attrs.field(validator=check_min_sample)
    numerator: int = attrs.field(init=False, default=0)
    denominator: int = attrs.field(init=False, default=0)

    @property
    def name(self) -> str:
        """``threshold(<metric>)``."""
        return f"threshold({self.metric.value})"

    def level(self) -> Level:
        """The level of ``verdict()``, without building the verdict."""
        if not self.denominator or self.denominator < self.min_sample:
            return Level.OK
        rate = self.numerator / self.denominator
        if rate >= self.suspend_at:
            return Level.SUSPEND
        return Level.WARN if rate >= self.warn_at else Level.OK

    def verdict(self) -> Verdict:
        """The verdict on what was observed so far."""
        return self._verdict(self.level(), self.name)


@attrs.frozen(kw_only=True)
class WilsonPolicy(RateCounts, _Either):
    """SUSPEND only with evidence: when the one-sided Wilson lower bound at ``confidence``
    exceeds ``suspend_at`` (the true rate is above it, with that confidence).

    WARN when the observed rate >= ``warn_at``, as ``ThresholdPolicy`` does: a warning asks a
    person to look and needs no proof. OK below ``min_sample``.
    """

    metric: Metric = attrs.field(converter=to_metric, validator=check_metric)
    warn_at: float = attrs.field(validator=check_rate)
    suspend_at: float = attrs.field(validator=check_rate)
    min_sample: int = attrs.field(validator=check_min_sample)
    confidence: float = attrs.field(default=0.95, validator=check_rate)
    numerator: int = attrs.field(init=False, default=0)
    denominator: int = attrs.field(init=False, default=0)
    _z: float = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        object.__setattr__(self, "_z", normal_quantile(self.confidence))

    @property
    def name(self) -> str:
        """``wilson(<metric>)``."""
        return f"wilson({self.metric.value})"

    @property
    def lower_bound(self) -> float | None:
        """The one-sided Wilson lower bound on the rate (``None`` while the denominator is 0)."""
        if not self.denominator:
            return None
        return wilson_bounds(self.numerator, self.denominator, self._z)[0]

    def level(self) -> Level:
        """The level of ``verdict()``, without building the verdict."""
        if not self.denominator or self.denominator < self.min_sample:
            return Level.OK
        rate = self.numerator / self.denominator
        # The Wilson interval holds the observed rate: its lower bound can exceed suspend_at
        # only when the rate does, so most observations skip computing it.
        if rate > self.suspend_at and self.lower_bound > self.suspend_at:  # type: ignore[operator]
            return Level.SUSPEND
        return Level.WARN if rate >= self.warn_at else Level.OK

    def verdict(self) -> Verdict:
        """The verdict on what was observed so far."""
        return self._verdict(
            self.level(), self.name, lower_bound=self.lower_bound, confidence=self.confidence
        )


# -- sequential tests -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SprtPolicy(LikelihoodWalk, _Either):
    """Wald's sequential probability ratio test of H0: rate = ``p0`` (acceptable) against
    H1: rate = ``p1`` (bad).

    Each counted message adds x·ln(p1/p0) + (1 - x)·ln((1 - p1)/(1 - p0)) to the
    log-likelihood ratio ``llr`` (for unsubscribes, the delivery adds the second term and the
    unsubscribe the difference). SUSPEND while llr >= A = ln((1 - beta)/alpha); WARN while
    llr >= A/2, half way to the evidence needed. At B = ln(beta/(1 - alpha)) or below, the
    test has accepted H0: it restarts from 0 (``restarts`` counts them), so a campaign that
    turns bad later is still caught; each new test may err with chance alpha, so false alarms
    add up over a long campaign. ``restart=False`` ignores B: the LLR keeps its credit, and
    (Ville's inequality) the chance of ever suspending at p0 stays below alpha/(1 - beta)
    however long the campaign, but a long clean start delays the detection of a later rise.
    """

    metric: Metric = attrs.field(converter=to_metric, validator=check_metric)
    p0: float = attrs.field(validator=check_rate)
    p1: float = attrs.field(validator=check_p1)
    alpha: float = attrs.field(validator=check_rate)
    beta: float = attrs.field(validator=check_rate)
    restart: bool = attrs.field(default=True, validator=check_bool)
    numerator: int = attrs.field(init=False, default=0)
    denominator: int = attrs.field(init=False, default=0)
    numerator_since_restart: int = attrs.field(init=False, default=0)
    denominator_since_restart: int = attrs.field(init=False, default=0)
    restarts: int = attrs.field(init=False, default=0)
    _weights: tuple[float, float] = attrs.field(init=False, repr=False, eq=False)
    _boundaries: tuple[float, float] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.alpha + self.beta >= 1.0:
            raise ValidationError("SprtPolicy.beta", "alpha + beta must be below 1")
        object.__setattr__(self, "_weights", llr_weights(self.p0, self.p1))
        object.__setattr__(self, "_boundaries", sprt_boundaries(self.alpha, self.beta))

    @property
    def name(self) -> str:
        """``sprt(<metric>)``."""
        return f"sprt({self.metric.value})"

    @property
    def upper_boundary(self) -> float:
        """A = ln((1 - beta)/alpha): SUSPEND at or above."""
        return self._boundaries[0]

    @property
    def lower_boundary(self) -> float:
        """B = ln(beta/(1 - alpha)): accept H0 and restart at or below (when ``restart``)."""
        return self._boundaries[1]

    def _floor(self) -> float | None:
        return self._boundaries[1] if self.restart else None

    def level(self) -> Level:
        """The level of ``verdict()``, without building the verdict."""
        llr, upper = self.llr, self._boundaries[0]
        return Level.SUSPEND if llr >= upper else Level.WARN if llr >= upper / 2 else Level.OK

    def verdict(self) -> Verdict:
        """The verdict on what was observed so far."""
        upper, lower = self._boundaries
        return self._verdict(
            self.level(),
            self.name,
            llr=self.llr,
            upper_boundary=upper,
            lower_boundary=lower if self.restart else None,
        )


@attrs.frozen(kw_only=True)
class CusumPolicy(LikelihoodWalk, _Either):
    """The Bernoulli CUSUM chart (Reynolds & Stoumbos 1999): S = max(0, S + W) with
    W = x·ln[p1(1-p0)/(p0(1-p1))] + ln[(1-p1)/(1-p0)]; SUSPEND while S >= ``h``, WARN while
    S >= h/2.

    An SPRT that restarts at 0 instead of B (``statistic`` is its ``llr``; ``restarts`` counts
    the returns to 0): no credit from a clean past, so a rise late in a long campaign is caught
    as fast as an early one. ``h`` sets the false-alarm rate: larger, fewer false alarms and
    later detection (docs/suspension-study.md shows how to choose it).
    """

    metric: Metric = attrs.field(converter=to_metric, validator=check_metric)
    p0: float = attrs.field(validator=check_rate)
    p1: float = attrs.field(validator=check_p1)
    h: float = attrs.field(validator=check_positive)
    numerator: int = attrs.field(init=False, default=0)
    denominator: int = attrs.field(init=False, default=0)
    numerator_since_restart: int = attrs.field(init=False, default=0)
    denominator_since_restart: int = attrs.field(init=False, default=0)
    restarts: int = attrs.field(init=False, default=0)
    _weights: tuple[float, float] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_weights", llr_weights(self.p0, self.p1))

    @property
    def name(self) -> str:
        """``cusum(<metric>)``."""
        return f"cusum({self.metric.value})"

    @property
    def statistic(self) -> float:
        """S, the chart's statistic."""
        return self.llr

    def _floor(self) -> float | None:
        return 0.0

    def level(self) -> Level:
        """The level of ``verdict()``, without building the verdict."""
        statistic = self.llr
        if statistic >= self.h:
            return Level.SUSPEND
        return Level.WARN if statistic >= self.h / 2 else Level.OK

    def verdict(self) -> Verdict:
        """The verdict on what was observed so far."""
        return self._verdict(self.level(), self.name, statistic=self.llr, h=self.h)


# -- composition, replay, defaults ------------------------------------------------------------


def _most_severe(verdicts: tuple[Verdict, ...]) -> Verdict:
    best = verdicts[0]
    for verdict in verdicts[1:]:
        if verdict.level.severity > best.level.severity:  # ties: the first
            best = verdict
    return best


_SEVERITY_OF = {level: level.severity for level in Level}


def observe_level(policy: SuspensionPolicy, observation: Observation) -> tuple[Any, Level]:
    """``policy.observe(observation)`` with only the level of its verdict: through the policy's
    ``observe_level`` when it has one (the built-ins do: no verdict is built), else ``observe``.
    """
    fast = getattr(policy, "observe_level", None)
    if fast is not None:
        return cast(tuple[Any, Level], fast(observation))
    updated, verdict = policy.observe(observation)
    return updated, verdict.level


def _observe_many(policy: SuspensionPolicy, observation: Observation, count: int) -> Any:
    many = getattr(policy, "observe_many", None)  # cheaper than isinstance(ReplayablePolicy)
    if many is not None:
        return many(observation, count)
    for _ in range(count):  # a policy without observe_many: one at a time
        policy, _verdict = policy.observe(observation)
    return policy


@attrs.frozen(init=False)
class AnyOf(_Either):
    """Several policies at once: each observes everything; the verdict is the most severe one
    (ties: the first listed), with the deciding policy's name and evidence."""

    policies: tuple[SuspensionPolicy, ...]

    __repr__ = repr_naming_defaults  # DEFAULT_SUSPENSION_POLICY prints as its name

    def __init__(self, *policies: SuspensionPolicy) -> None:
        if not policies:
            raise ValidationError("AnyOf.policies", "give at least one policy")
        for policy in policies:
            if not isinstance(policy, SuspensionPolicy):
                raise ValidationError(
                    "AnyOf.policies", f"{describe(policy)} has no observe() and verdict()"
                )
        self.__attrs_init__(policies=tuple(policies))

    @property
    def name(self) -> str:
        """``any_of(<each policy's name>)``."""
        names = (getattr(policy, "name", type(policy).__name__) for policy in self.policies)
        return f"any_of({', '.join(names)})"

    def observe(self, observation: Observation, /) -> tuple[AnyOf, Verdict]:
        """Every policy after ``observation``, and the most severe verdict."""
        pairs = tuple(policy.observe(observation) for policy in self.policies)
        updated = copy_policy(self, policies=tuple(policy for policy, _ in pairs))
        return updated, _most_severe(tuple(verdict for _, verdict in pairs))

    def observe_level(self, observation: Observation, /) -> tuple[AnyOf, Level]:
        """``observe`` without building the verdicts: every policy after ``observation``, and
        the most severe level."""
        pairs = tuple(observe_level(policy, observation) for policy in self.policies)
        updated = copy_policy(self, policies=tuple(policy for policy, _ in pairs))
        return updated, max((level for _, level in pairs), key=_SEVERITY_OF.__getitem__)

    def observe_many(self, observation: Observation, count: int, /) -> AnyOf:
        """Every policy after observing ``observation`` ``count`` times."""
        times = check_times(count)
        return copy_policy(
            self, policies=tuple(_observe_many(p, observation, times) for p in self.policies)
        )

    def verdicts(self) -> tuple[Verdict, ...]:
        """Each policy's verdict, in order."""
        return tuple(policy.verdict() for policy in self.policies)

    def verdict(self) -> Verdict:
        """The most severe verdict (ties: the first policy's)."""
        return _most_severe(self.verdicts())


P = TypeVar("P", bound=SuspensionPolicy)


def replay(
    policy: P,
    *,
    delivered: int = 0,
    soft_bounces: int = 0,
    hard_bounces: int = 0,
    unsubscribes: int = 0,
) -> P:
    """``policy`` (freshly built) after observing stored counts: for an engine that restarts.

    O(number of kinds) for policies with ``observe_many`` (the built-ins, ``AnyOf``); others
    observe the events one by one. Each policy sees its metric's bad outcome first, then the
    rest (``REPLAY_ORDER``). Threshold and Wilson depend on the counts only: exact. The SPRT
    comes back with the LLR of the counts: exact if the live test never restarted (always,
    with ``restart=False``), and never above the live LLR otherwise (a restart only discards
    negative evidence); counts whose LLR is at or below B restart it. The CUSUM comes back as
    max(0, LLR of the counts), the lowest statistic any order of those events gives: a replay
    never invents a suspension, and suspends when every order of the events would end there.
    """
    counts = {
        Observation.DELIVERED: non_negative_int("replay.delivered", delivered),
        Observation.SOFT_BOUNCE: non_negative_int("replay.soft_bounces", soft_bounces),
        Observation.HARD_BOUNCE: non_negative_int("replay.hard_bounces", hard_bounces),
        Observation.UNSUBSCRIBE: non_negative_int("replay.unsubscribes", unsubscribes),
    }
    if not isinstance(policy, SuspensionPolicy):
        raise ValidationError("replay.policy", f"{describe(policy)} has no observe() and verdict()")
    return cast(P, _replay(policy, counts))


def _replay(policy: SuspensionPolicy, counts: Mapping[Observation, int]) -> SuspensionPolicy:
    if isinstance(policy, AnyOf):
        return copy_policy(policy, policies=tuple(_replay(p, counts) for p in policy.policies))
    metric = getattr(policy, "metric", None)
    for observation in REPLAY_ORDER[metric if isinstance(metric, Metric) else None]:
        policy = _observe_many(policy, observation, counts[observation])
    return policy


@attrs.frozen(kw_only=True)
class SuspensionThresholds:
    """A metric's default levels, and where they come from."""

    warn_at: float
    suspend_at: float
    min_sample: int
    sources: str


#: The defaults, each anchored in published practice (details in docs/suspension.md).
DEFAULT_THRESHOLDS: Mapping[Metric, SuspensionThresholds] = MappingProxyType(
    {
        Metric.HARD_BOUNCE_RATE: SuspensionThresholds(
            warn_at=0.02,
            suspend_at=0.05,
            min_sample=200,
            sources="warn: Brevo suspends e-mail campaigns above 2 % hard bounces; suspend: "
            "SES review, GC Notify warning, Mailgun, Kulea hold at 5 % (SES and GC Notify "
            "pause at 10 %); 200 finished: coss.com's minimum volume",
        ),
        Metric.SOFT_BOUNCE_RATE: SuspensionThresholds(
            warn_at=0.08,
            suspend_at=0.125,
            min_sample=200,
            sources="HighLevel: warning at 8 % errors, block at 12.5 % (Captivation Hub 6 % / "
            "10 %; healthy below 6 % HighLevel, 10 % Chekkit); 200 finished: coss.com",
        ),
        Metric.UNSUBSCRIBE_RATE: SuspensionThresholds(
            warn_at=0.02,
            suspend_at=0.03,
            min_sample=200,
            sources="HighLevel and Captivation Hub: opt-out warning at 2 %, block at 3 %, below "
            "the carriers' 5 % monitoring flag (Flowroute); Klaviyo's SMS campaign benchmark is "
            "0.6-1 %; 200 delivered: coss.com",
        ),
    }
)

#: Wilson at 95 % on the three metrics, hard bounces first (a tie reports the hard bounces).
DEFAULT_SUSPENSION_POLICY = named_default(
    AnyOf(
        *(
            WilsonPolicy(
                metric=metric,
                warn_at=levels.warn_at,
                suspend_at=levels.suspend_at,
                min_sample=levels.min_sample,
                confidence=0.95,
            )
            for metric, levels in DEFAULT_THRESHOLDS.items()
        )
    ),
    "DEFAULT_SUSPENSION_POLICY",
)
