"""The suspension monitors: each campaign's suspension policy over the evidence in the store.

The evidence (the outcomes observed since the campaign last started or resumed) lives in the
store, so every engine, process and host decides from the same counts. A ``Monitor`` is the
policy after that evidence; ``MonitorCache`` keeps the last one per campaign with the evidence
it stands for, and rebuilds it by ``replay`` whenever the store's evidence differs (another
worker, a restart, a resume): a cache, never a second source of truth. What a verdict asks for
(``alarm``) and what a suspension does to a campaign (``suspend``) are pure decisions.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from sms_campaign_stats._suspension.values import copy_policy
from sms_campaign_stats.engine._actions import CampaignWarning, SuspendCampaign
from sms_campaign_stats.lifecycle._statuses import CampaignStatus
from sms_campaign_stats.model import Campaign, CampaignChange
from sms_campaign_stats.storage import Evidence
from sms_campaign_stats.suspension import (
    AnyOf,
    CusumPolicy,
    Level,
    Observation,
    SprtPolicy,
    SuspensionPolicy,
    ThresholdPolicy,
    WilsonPolicy,
    observe_level,
    replay,
)

__all__ = [
    "Monitor",
    "MonitorCache",
    "Suspension",
    "Watching",
    "advance",
    "alarm",
    "evidence_of",
    "monitor_of",
    "quiet_steps",
    "suspend",
    "suspension_of",
    "verdict_evidence",
    "watch",
]


@attrs.frozen
class Monitor:
    """A campaign's suspension policy after its evidence, and the level of its verdict."""

    policy: SuspensionPolicy
    level: Level


def monitor_of(policy: SuspensionPolicy, evidence: Evidence) -> Monitor:
    """``policy`` after the outcomes of ``evidence`` (``replay``, in its documented order)."""
    replayed = replay(
        policy,
        delivered=evidence.delivered,
        soft_bounces=evidence.soft_bounces,
        hard_bounces=evidence.hard_bounces,
        unsubscribes=evidence.unsubscribes,
    )
    return Monitor(replayed, replayed.verdict().level)


def evidence_of(campaign_id: str, observations: Iterable[Observation]) -> Evidence:
    """The evidence ``observations`` add to a campaign's."""
    counts = dict.fromkeys(Observation, 0)
    for observation in observations:
        counts[observation] += 1
    return Evidence(
        campaign_id=campaign_id,
        delivered=counts[Observation.DELIVERED],
        soft_bounces=counts[Observation.SOFT_BOUNCE],
        hard_bounces=counts[Observation.HARD_BOUNCE],
        unsubscribes=counts[Observation.UNSUBSCRIBE],
    )


def watch(
    monitor: Monitor, observations: Iterable[Observation], campaign_id: str, now: datetime
) -> tuple[Monitor, list[Suspension | CampaignWarning]]:
    """``monitor`` after ``observations``, and what its verdicts ask for, in order (a
    suspension, or a warning the first time the campaign reaches WARN)."""
    policy, level = monitor.policy, monitor.level
    raised: list[Suspension | CampaignWarning] = []
    for observation in observations:
        policy, new_level = observe_level(policy, observation)
        if new_level is not Level.OK:
            found = alarm(campaign_id, policy.verdict(), level, now)
            if found is not None:
                raised.append(found)
        level = new_level
    return Monitor(policy, level), raised


# Watching many outcomes at once ----------------------------------------------------------------
#
# Feeding the policy one outcome at a time copies each frozen policy per outcome. Most outcomes
# cannot change the level: a rate well below its warning level stays below it for a computable
# number of further outcomes, whatever they are. ``quiet_steps`` gives that number (a lower
# bound, for the built-in policies only); ``Watching`` sets those outcomes aside and applies them
# in one go (``advance``), and watches the others one by one as ``watch`` does. The policy and
# every verdict's level end up the same as one by one: nothing is raised while the level is OK.


def quiet_steps(monitor: Monitor) -> int:
    """How many more outcomes, of any kinds, surely leave ``monitor``'s level OK after each one
    (0 when not OK, or for a policy this function does not know)."""
    if monitor.level is not Level.OK:
        return 0
    return _quiet(monitor.policy)


def _quiet(policy: SuspensionPolicy) -> int:
    # exact types: a subclass may decide its level otherwise
    if type(policy) is AnyOf:
        return min(_quiet(each) for each in policy.policies)
    if type(policy) is ThresholdPolicy or type(policy) is WilsonPolicy:
        return _quiet_rate(policy)
    if type(policy) is SprtPolicy:
        return _quiet_walk(policy, policy.upper_boundary / 2)
    if type(policy) is CusumPolicy:
        return _quiet_walk(policy, policy.h / 2)
    return 0


def _quiet_rate(policy: ThresholdPolicy | WilsonPolicy) -> int:
    """Each outcome adds at most 1 to the numerator and never lowers the denominator; the level
    is OK below ``min_sample`` or below ``warn_at`` (<= ``suspend_at``). So after m outcomes,
    at a denominator d' >= D = max(denominator, min_sample, 1), the rate is at most
    (numerator + m) / D in floating point too (a rounded division is monotonic)."""
    floor = max(policy.denominator, policy.min_sample, 1)
    warn_at, numerator = policy.warn_at, policy.numerator
    steps = math.floor(warn_at * floor) - numerator
    while steps > 0 and (numerator + steps) / floor >= warn_at:
        steps -= 1
    return max(steps, 0)


def _quiet_walk(policy: SprtPolicy | CusumPolicy, warn_at: float) -> int:
    """Each outcome adds at most r2 to the walk's statistic, which is OK below ``warn_at``:
    after m outcomes it is at most (bad + m)·r2 - trials·r1 without a restart, m·r2 after one
    (rounded products and differences are monotonic)."""
    r2, r1 = policy._weights  # the walk's own weights
    bad, trials = policy.numerator_since_restart, policy.denominator_since_restart

    def quiet(steps: int) -> bool:
        return (bad + steps) * r2 - trials * r1 < warn_at and steps * r2 < warn_at

    if not r2 > 0.0:  # pragma: no cover - p1 > p0 is validated
        return 0
    steps = min(math.floor((warn_at - policy.llr) / r2), math.floor(warn_at / r2))
    while steps > 0 and not quiet(steps):  # pragma: no cover - rounding, never met
        steps -= 1
    return max(steps, 0)


def advance(policy: SuspensionPolicy, observations: list[Observation]) -> Any:
    """``policy`` after ``observations`` in order, through ``observe_many``: a rate policy
    counts each kind once, a walk each run of equal outcomes (a restart depends on the order).
    For the policies ``quiet_steps`` knows."""
    if type(policy) is AnyOf:
        each = policy.policies
        return copy_policy(policy, policies=tuple(advance(one, observations) for one in each))
    if type(policy) is ThresholdPolicy or type(policy) is WilsonPolicy:
        for observation, count in Counter(observations).items():
            policy = policy.observe_many(observation, count)
        return policy
    start = 0
    for index in range(1, len(observations) + 1):
        if index == len(observations) or observations[index] is not observations[start]:
            policy = policy.observe_many(observations[start], index - start)  # type: ignore[attr-defined]
            start = index
    return policy


class Watching:
    """A campaign's monitor while one change is decided: ``watch`` one outcome at a time, with
    the outcomes that surely leave the level OK set aside and applied in one go."""

    def __init__(self, monitor: Monitor) -> None:
        self._monitor = monitor
        self._quiet = quiet_steps(monitor)
        self._pending: list[Observation] = []

    def observe(
        self, observation: Observation, campaign_id: str, now: datetime
    ) -> list[Suspension | CampaignWarning]:
        """What ``observation`` asks for, as ``watch`` would say."""
        if self._quiet:
            self._quiet -= 1
            self._pending.append(observation)
            return []
        monitor, raised = watch(self.monitor, (observation,), campaign_id, now)
        self._monitor = monitor
        self._quiet = quiet_steps(monitor)
        return raised

    @property
    def monitor(self) -> Monitor:
        """The monitor after every outcome observed so far."""
        if self._pending:
            policy = advance(self._monitor.policy, self._pending)
            self._monitor = Monitor(policy, Level.OK)
            self._pending = []
        return self._monitor


class MonitorCache:
    """The last monitor of each campaign, with the evidence it stands for (thread-safe)."""

    def __init__(self) -> None:
        self._by_campaign: dict[str, tuple[Evidence, Monitor]] = {}
        self._lock = threading.Lock()

    def get(self, policy: SuspensionPolicy, evidence: Evidence) -> Monitor:
        """The monitor for the store's ``evidence``: the cached one if it stands for exactly
        that evidence, else ``policy`` replayed over it."""
        with self._lock:
            cached = self._by_campaign.get(evidence.campaign_id)
        if cached is not None and cached[0] == evidence:
            return cached[1]
        return monitor_of(policy, evidence)

    def put(self, evidence: Evidence, monitor: Monitor) -> None:
        """Remember ``monitor`` as standing for ``evidence`` (after a commit wrote it)."""
        with self._lock:
            self._by_campaign[evidence.campaign_id] = (evidence, monitor)


@attrs.frozen(kw_only=True)
class Suspension:
    """A campaign is to be suspended, and why."""

    reason: str
    evidence: Mapping[str, Any]


def alarm(
    campaign_id: str, verdict: Any, previous: Level, now: datetime
) -> Suspension | CampaignWarning | None:
    """What a verdict that is not OK asks for: a suspension, or a warning the first time a
    campaign reaches WARN (``previous`` is the level before)."""
    if verdict.level is Level.SUSPEND:
        return suspension_of(verdict)
    if verdict.level is Level.WARN and previous is Level.OK:
        return CampaignWarning(campaign_id=campaign_id, at=now, evidence=verdict_evidence(verdict))
    return None


def suspension_of(verdict: Any) -> Suspension:
    """The suspension a verdict at SUSPEND asks for."""
    return Suspension(
        reason=f"{verdict.policy}: {verdict.metric}", evidence=verdict_evidence(verdict)
    )


def suspend(
    campaign: Campaign, suspension: Suspension, now: datetime
) -> tuple[CampaignChange, SuspendCampaign] | None:
    """The change and the action of suspending ``campaign`` (``None``: it is not sending)."""
    if campaign.status is not CampaignStatus.SENDING:
        return None
    action = SuspendCampaign(
        campaign_id=campaign.id,
        at=now,
        reason=suspension.reason,
        evidence=suspension.evidence,
    )
    change = campaign.suspend(at=now, reason=suspension.reason, evidence=suspension.evidence)
    return change, action


def verdict_evidence(verdict: Any) -> dict[str, Any]:
    """A verdict as the evidence a suspension or a warning carries."""
    return {
        "policy": verdict.policy,
        "metric": None if verdict.metric is None else str(verdict.metric.value),
        "observed_rate": verdict.observed_rate,
        "threshold": verdict.threshold,
        "sample_size": verdict.sample_size,
        "evidence": dict(verdict.evidence),
        "level": verdict.level.value,
    }
