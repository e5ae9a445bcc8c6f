"""The suspension monitors: each campaign's suspension policy over the evidence in the store.

The evidence (the outcomes observed since the campaign last started or resumed) lives in the
store, so every engine, process and host decides from the same counts. A ``Monitor`` is the
policy after that evidence; ``MonitorCache`` keeps the last one per campaign with the evidence
it stands for, and rebuilds it by ``replay`` whenever the store's evidence differs (another
worker, a restart, a resume): a cache, never a second source of truth. What a verdict asks for
(``alarm``) and what a suspension does to a campaign (``suspend``) are pure decisions.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from sms_campaign_stats.engine._actions import CampaignWarning, SuspendCampaign
from sms_campaign_stats.lifecycle._statuses import CampaignStatus
from sms_campaign_stats.model import Campaign, CampaignChange
from sms_campaign_stats.storage import Evidence
from sms_campaign_stats.suspension import (
    Level,
    Observation,
    SuspensionPolicy,
    observe_level,
    replay,
)

__all__ = [
    "Monitor",
    "MonitorCache",
    "Suspension",
    "alarm",
    "evidence_of",
    "monitor_of",
    "suspend",
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
        return Suspension(
            reason=f"{verdict.policy}: {verdict.metric}", evidence=verdict_evidence(verdict)
        )
    if verdict.level is Level.WARN and previous is Level.OK:
        return CampaignWarning(campaign_id=campaign_id, at=now, evidence=verdict_evidence(verdict))
    return None


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
