"""The engine's monitors set aside the outcomes that cannot change a campaign's level and apply
them in one go (``Watching``): every verdict, warning and suspension stays the one that watching
the outcomes one by one gives."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from sms_campaign_stats.engine._monitors import (
    Monitor,
    Watching,
    advance,
    monitor_of,
    quiet_steps,
    watch,
)
from sms_campaign_stats.storage import Evidence
from sms_campaign_stats.suspension import (
    DEFAULT_SUSPENSION_POLICY,
    AnyOf,
    CusumPolicy,
    Level,
    Metric,
    Observation,
    SprtPolicy,
    ThresholdPolicy,
    WilsonPolicy,
)

NOW = datetime(2026, 3, 2, 10, tzinfo=timezone.utc)
D, S, H, U = (
    Observation.DELIVERED,
    Observation.SOFT_BOUNCE,
    Observation.HARD_BOUNCE,
    Observation.UNSUBSCRIBE,
)

metrics = st.sampled_from(list(Metric))
rates = st.floats(0.001, 0.4)


@st.composite
def rate_policies(draw: Any) -> Any:
    warn_at = draw(rates)
    suspend_at = draw(st.floats(warn_at, 0.5))
    kind = draw(st.sampled_from([ThresholdPolicy, WilsonPolicy]))
    return kind(
        metric=draw(metrics),
        warn_at=warn_at,
        suspend_at=suspend_at,
        min_sample=draw(st.integers(1, 60)),
    )


@st.composite
def walk_policies(draw: Any) -> Any:
    p0 = draw(st.floats(0.005, 0.2))
    p1 = draw(st.floats(p0 * 1.2, min(0.9, p0 * 6)))
    if draw(st.booleans()):
        return CusumPolicy(metric=draw(metrics), p0=p0, p1=p1, h=draw(st.floats(0.5, 8.0)))
    return SprtPolicy(
        metric=draw(metrics),
        p0=p0,
        p1=p1,
        alpha=draw(st.floats(0.01, 0.2)),
        beta=draw(st.floats(0.01, 0.3)),
        restart=draw(st.booleans()),
    )


@attrs.frozen(kw_only=True)
class StrictThreshold(ThresholdPolicy):
    """A user's subclass: it may decide its level otherwise, so nothing is set aside for it."""


single = st.one_of(
    rate_policies(),
    walk_policies(),
    st.just(
        StrictThreshold(metric=Metric.HARD_BOUNCE_RATE, warn_at=0.1, suspend_at=0.2, min_sample=5)
    ),
)
policies = st.one_of(
    single,
    st.lists(single, min_size=1, max_size=3).map(lambda found: AnyOf(*found)),
    st.just(DEFAULT_SUSPENSION_POLICY),
)
# Mostly deliveries, as campaigns go, with runs of bad outcomes now and then.
outcomes = st.lists(
    st.one_of(
        st.sampled_from([D, D, D, D, D, D, S, H, U]),
        st.sampled_from([S, H, U]),
    ),
    max_size=400,
)
evidence = st.builds(
    Evidence,
    campaign_id=st.just("c"),
    delivered=st.integers(0, 400),
    soft_bounces=st.integers(0, 40),
    hard_bounces=st.integers(0, 40),
    unsubscribes=st.integers(0, 40),
)


@settings(max_examples=400, deadline=None)
@given(policy=policies, before=evidence, seen=outcomes)
def test_batched_watching_raises_what_one_by_one_does(
    policy: Any, before: Evidence, seen: list[Observation]
) -> None:
    """After any stored evidence, for any outcomes: the same warnings and suspensions after the
    same outcomes, and the same policy at the end, as ``watch`` one outcome at a time."""
    one_by_one = monitor_of(policy, before)
    watching = Watching(one_by_one)
    for observation in seen:
        one_by_one, expected = watch(one_by_one, (observation,), "c", NOW)
        assert expected == watching.observe(observation, "c", NOW)
    assert one_by_one == watching.monitor
    assert one_by_one.policy.verdict() == watching.monitor.policy.verdict()


@settings(max_examples=400, deadline=None)
@given(policy=policies, before=evidence, seen=outcomes)
def test_quiet_steps_are_quiet(policy: Any, before: Evidence, seen: list[Observation]) -> None:
    """Whatever the next ``quiet_steps`` outcomes are, the level stays OK after each of them."""
    monitor = monitor_of(policy, before)
    steps = quiet_steps(monitor)
    current = monitor.policy
    for observation in seen[:steps]:
        current, verdict = current.observe(observation)
        assert Level.OK == verdict.level


@given(policy=policies, before=evidence, seen=outcomes)
def test_advance_is_observing_in_order(
    policy: Any, before: Evidence, seen: list[Observation]
) -> None:
    """``advance`` gives the policy that observing the outcomes in order gives."""
    start = monitor_of(policy, before).policy
    if quiet_steps(Monitor(start, Level.OK)) == 0 and type(start) is not AnyOf:
        return  # a policy advance does not serve
    expected = start
    for observation in seen:
        expected, _verdict = expected.observe(observation)
    assert expected == advance(start, seen)


def test_nothing_is_set_aside_for_unknown_policies_or_levels_above_ok() -> None:
    """A user's policy, or a campaign already at WARN, is watched one outcome at a time."""
    strict = StrictThreshold(
        metric=Metric.HARD_BOUNCE_RATE, warn_at=0.1, suspend_at=0.2, min_sample=5
    )
    assert 0 == quiet_steps(Monitor(strict, Level.OK))
    assert 0 == quiet_steps(Monitor(AnyOf(DEFAULT_SUSPENSION_POLICY, strict), Level.OK))
    warned = monitor_of(
        DEFAULT_SUSPENSION_POLICY, Evidence(campaign_id="c", delivered=300, hard_bounces=9)
    )
    assert Level.WARN == warned.level
    assert 0 == quiet_steps(warned)


def test_a_clean_campaign_sets_aside_its_outcomes() -> None:
    """Far below every warning level, outcomes wait and are applied in one go, once read."""
    clean = monitor_of(DEFAULT_SUSPENSION_POLICY, Evidence(campaign_id="c", delivered=10_000))
    assert quiet_steps(clean) > 100
    watching = Watching(clean)
    for _ in range(100):
        assert [] == watching.observe(D, "c", NOW)
    expected = monitor_of(DEFAULT_SUSPENSION_POLICY, Evidence(campaign_id="c", delivered=10_100))
    assert expected == watching.monitor
