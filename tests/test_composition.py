"""One vocabulary for composing policies (docs/concepts.md): ``|`` means either (suspension
policies: the more severe verdict wins; classifiers: the first that answers; retry strategies:
retry or stop if either says so), ``&`` means all must agree (send-time rules, retry strategies),
``+`` adds waits. Each operator builds the named combinator, flattened."""

from __future__ import annotations

from sms_campaign_stats.suspension import (
    AnyOf,
    CusumPolicy,
    Metric,
    Observation,
    SprtPolicy,
    ThresholdPolicy,
    Verdict,
    WilsonPolicy,
)

HARD = Metric.HARD_BOUNCE_RATE


def _threshold() -> ThresholdPolicy:
    return ThresholdPolicy(metric=HARD, warn_at=0.02, suspend_at=0.05, min_sample=10)


def _wilson() -> WilsonPolicy:
    return WilsonPolicy(metric=HARD, warn_at=0.02, suspend_at=0.05, min_sample=10)


def test_either_suspension_policy_is_any_of() -> None:
    """``a | b`` is ``AnyOf(a, b)``; nested unions flatten, in order."""
    sprt = SprtPolicy(metric=HARD, p0=0.05, p1=0.10, alpha=0.01, beta=0.10)
    cusum = CusumPolicy(metric=HARD, p0=0.05, p1=0.10, h=4.0)
    assert AnyOf(_threshold(), _wilson()) == _threshold() | _wilson()
    assert AnyOf(_threshold(), _wilson(), sprt, cusum) == (_threshold() | _wilson()) | (
        sprt | cusum
    )


def test_either_observes_like_any_of() -> None:
    """The union decides exactly as the combinator it builds."""
    union, named = _threshold() | _wilson(), AnyOf(_threshold(), _wilson())
    for observation in [Observation.HARD_BOUNCE] * 3 + [Observation.DELIVERED] * 20:
        union, union_verdict = union.observe(observation)
        named, named_verdict = named.observe(observation)
        assert named_verdict == union_verdict


class _Mine:
    """A user's own suspension policy: no base class, no operators of its own."""

    def __init__(self, inner: ThresholdPolicy) -> None:
        self.inner = inner

    def observe(self, observation: Observation, /) -> tuple[_Mine, Verdict]:
        updated, verdict = self.inner.observe(observation)
        return _Mine(updated), verdict

    def verdict(self) -> Verdict:
        return self.inner.verdict()


def test_a_users_policy_joins_either_side() -> None:
    """A policy of one's own, without ``|``, still composes when a built-in is on the right."""
    mine = _Mine(_threshold())
    union = mine | _wilson()
    assert (mine, _wilson()) == union.policies
    assert (_wilson(), mine) == (_wilson() | mine).policies
