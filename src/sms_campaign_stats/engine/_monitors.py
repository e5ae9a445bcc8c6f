"""The suspension monitors: each campaign's suspension policy, fed the outcomes the engine applies.

The monitors live in the engine's memory: rebuilt from the store's counts on first use
(``monitor_from_counts``), then fed one observation per final outcome or opt-out. What a
monitor's verdict asks for (``alarm``) and what a suspension does to a campaign (``suspend``)
are pure decisions; ``Monitors`` only keeps the state, behind a lock (handlers may run on
several threads).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from sms_campaign_stats.engine._actions import CampaignWarning, SuspendCampaign
from sms_campaign_stats.lifecycle._statuses import CampaignStatus, MessageStatus
from sms_campaign_stats.model import Campaign, CampaignChange
from sms_campaign_stats.storage import CampaignCounts
from sms_campaign_stats.suspension import (
    Level,
    Observation,
    SuspensionPolicy,
    observe_level,
    replay,
)

__all__ = [
    "Monitor",
    "Monitors",
    "Suspension",
    "alarm",
    "evidence",
    "monitor_from_counts",
    "suspend",
]


@attrs.define
class Monitor:
    """A campaign's suspension policy and the level of its last verdict."""

    policy: SuspensionPolicy
    level: Level


def monitor_from_counts(policy: SuspensionPolicy, counts: CampaignCounts) -> Monitor:
    """``policy`` after the outcomes already in a campaign's ``counts``."""
    by_status = dict.fromkeys(MessageStatus, 0)
    for key, cell in counts.cells.items():
        if key.sent:  # refusals before sending (invalid numbers, landlines) never reach a
            by_status[key.status] += cell.messages  # carrier: they are not its rates
    unsubscribers = sum(e.unsubscribers for e in counts.engagement.values())
    replayed = replay(
        policy,
        delivered=by_status[MessageStatus.DELIVERED],
        soft_bounces=by_status[MessageStatus.SOFT_BOUNCE],
        hard_bounces=by_status[MessageStatus.HARD_BOUNCE],
        unsubscribes=unsubscribers,
    )
    return Monitor(replayed, replayed.verdict().level)


class Monitors:
    """The engine's monitors, by campaign id."""

    def __init__(self) -> None:
        self._by_campaign: dict[str, Monitor] = {}
        self._lock = threading.Lock()

    def __contains__(self, campaign_id: object) -> bool:
        with self._lock:
            return campaign_id in self._by_campaign

    def add(self, campaign_id: str, monitor: Monitor) -> None:
        """Keep ``monitor`` for the campaign, unless another thread added one first."""
        with self._lock:
            self._by_campaign.setdefault(campaign_id, monitor)

    def restart(self, campaign_id: str, policy: SuspensionPolicy) -> None:
        """Start the campaign's monitor afresh with ``policy`` (at OK)."""
        with self._lock:
            self._by_campaign.pop(campaign_id, None)
            self._by_campaign[campaign_id] = Monitor(policy, Level.OK)

    def observe(self, campaign_id: str, observation: Observation) -> tuple[Any, Level]:
        """Feed the campaign's monitor; (its verdict, ``None`` when the level is OK; the level
        before)."""
        with self._lock:
            monitor = self._by_campaign[campaign_id]
            monitor.policy, level = observe_level(monitor.policy, observation)
            previous, monitor.level = monitor.level, level
            if level is Level.OK:
                return None, previous
            return monitor.policy.verdict(), previous  # what observe() would have returned

    def verdict(self, campaign_id: str) -> Any:
        """The campaign's current verdict."""
        with self._lock:
            return self._by_campaign[campaign_id].policy.verdict()


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
        return Suspension(reason=f"{verdict.policy}: {verdict.metric}", evidence=evidence(verdict))
    if verdict.level is Level.WARN and previous is Level.OK:
        return CampaignWarning(campaign_id=campaign_id, at=now, evidence=evidence(verdict))
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


def evidence(verdict: Any) -> dict[str, Any]:
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
