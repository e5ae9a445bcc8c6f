"""The suspension policy contract as tests: ``SuspensionPolicyConformance``.

Subclass it in a pytest module, provide a ``policy`` fixture (a fresh policy, nothing observed)
and state ``min_sample``, the fewest observations after which it may suspend (requires pytest
and hypothesis)::

    import pytest
    from sms_campaign_stats.testing import SuspensionPolicyConformance

    class TestMyPolicy(SuspensionPolicyConformance):
        min_sample = 100

        @pytest.fixture
        def policy(self):
            return MyPolicy(...)

The suite checks that observing never changes the policy it is called on; that
``observe_many`` (when the policy has it) and ``replay`` give the policy that observes the same
events one by one; and that no verdict is SUSPEND before ``min_sample`` observations, however bad.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from sms_campaign_stats._suspension.values import REPLAY_ORDER
from sms_campaign_stats.suspension import (
    AnyOf,
    Level,
    Metric,
    Observation,
    SuspensionPolicy,
    Verdict,
    replay,
)
from sms_campaign_stats.testing._properties import PropertySuite

if TYPE_CHECKING:
    from hypothesis import strategies as st

__all__ = ["SuspensionPolicyConformance", "observe_all", "played_as_replayed"]

#: ``replay``'s keyword for the count of each observation.
_REPLAY_KEYWORDS: Mapping[Observation, str] = {
    Observation.DELIVERED: "delivered",
    Observation.SOFT_BOUNCE: "soft_bounces",
    Observation.HARD_BOUNCE: "hard_bounces",
    Observation.UNSUBSCRIBE: "unsubscribes",
}


def _observe(policy: Any, observation: Observation) -> tuple[Any, Verdict]:
    found = policy.observe(observation)
    shape = f"observe({observation}) returned {found!r}, not (policy, verdict)"
    assert isinstance(found, tuple), shape
    assert len(found) == 2, shape
    updated, verdict = found
    assert isinstance(verdict, Verdict), f"observe({observation}) gave {verdict!r}, not a Verdict"
    return updated, verdict


def observe_all(
    policy: SuspensionPolicy, observations: Iterable[Observation]
) -> tuple[SuspensionPolicy, list[Verdict]]:
    """The policy after observing ``observations`` one by one, and each verdict on the way."""
    verdicts = []
    for observation in observations:
        policy, verdict = _observe(policy, observation)
        verdicts.append(verdict)
    return policy, verdicts


def played_as_replayed(
    policy: SuspensionPolicy, counts: Mapping[Observation, int]
) -> SuspensionPolicy:
    """The policy after observing ``counts`` one by one, in the order ``replay`` documents: the
    policy's metric's bad outcome first (``REPLAY_ORDER``), each policy of an ``AnyOf`` in its
    own order."""
    if isinstance(policy, AnyOf):
        return AnyOf(*(played_as_replayed(inner, counts) for inner in policy.policies))
    metric = getattr(policy, "metric", None)
    order = REPLAY_ORDER[metric if isinstance(metric, Metric) else None]
    played, _ = observe_all(policy, (item for item in order for _ in range(counts[item])))
    return played


def _has_equality(value: object) -> bool:
    return type(value).__eq__ is not object.__eq__


def _assert_same(expected: SuspensionPolicy, actual: SuspensionPolicy, what: str) -> None:
    """The same verdict and, for a policy that compares by value, an equal policy."""
    assert expected.verdict() == actual.verdict(), f"{what}: the verdicts differ"
    if _has_equality(expected):
        assert expected == actual, f"{what}: {expected!r} != {actual!r}"


class SuspensionPolicyConformance(PropertySuite):
    """The ``SuspensionPolicy`` contract as tests. Subclass it, provide a ``policy`` fixture and
    state ``min_sample`` (no SUSPEND verdict before that many observations, whatever they are).

    ``max_examples`` may be changed, as ``max_run`` (the longest run of one observation that
    ``observe_many`` and ``replay`` are checked with).
    """

    min_sample: ClassVar[int | None] = None
    max_run: ClassVar[int] = 60

    def required_min_sample(self) -> int:
        """``min_sample``, which a subclass must state."""
        if not isinstance(self.min_sample, int) or self.min_sample < 1:
            raise TypeError(
                f"{type(self).__name__} must state min_sample: the fewest observations after "
                "which the policy may suspend (at least 1)"
            )
        return self.min_sample

    def observations(self, max_size: int = 30) -> st.SearchStrategy[list[Observation]]:
        """Sequences of observations of every kind."""
        from hypothesis import strategies as st

        return st.lists(st.sampled_from(list(Observation)), max_size=max_size)

    def runs(self) -> st.SearchStrategy[list[tuple[Observation, int]]]:
        """Sequences of runs: an observation and how many times in a row (0 to ``max_run``)."""
        from hypothesis import strategies as st

        run = st.tuples(st.sampled_from(list(Observation)), st.integers(0, self.max_run))
        return st.lists(run, max_size=6)

    def counts(self) -> st.SearchStrategy[dict[Observation, int]]:
        """Stored counts of each observation, as ``replay`` takes them."""
        from hypothesis import strategies as st

        return st.fixed_dictionaries(
            {observation: st.integers(0, self.max_run) for observation in Observation}
        )

    def for_all(self, strategy: st.SearchStrategy[Any], check: Callable[[Any], None]) -> None:
        """Run ``check`` on ``max_examples`` values of ``strategy``."""
        from hypothesis import given

        @self.hypothesis_settings()
        @given(value=strategy)
        def run(value: Any) -> None:
            check(value)

        run()

    # the contract ------------------------------------------------------------------------

    def test_observing_leaves_the_policy_unchanged(self, policy: SuspensionPolicy) -> None:
        """observe, observe_many and replay return new policies: the one they are called on
        keeps its verdict (and its value), and observing it again gives the same verdicts."""
        try:
            snapshot: SuspensionPolicy | None = copy.deepcopy(policy)
        except Exception:  # a policy that cannot be copied is compared by its verdicts only
            snapshot = None
        before = policy.verdict()

        def check(observations: list[Observation]) -> None:
            _, verdicts = observe_all(policy, observations)
            for observation in observations:
                _observe(policy, observation)
            many = getattr(policy, "observe_many", None)
            if many is not None:
                for observation in Observation:
                    many(observation, 3)
            replay(policy, delivered=len(observations), hard_bounces=1, unsubscribes=1)
            assert before == policy.verdict(), "observing changed the policy's verdict"
            if snapshot is not None and _has_equality(policy):
                assert snapshot == policy, f"observing changed the policy: {policy!r}"
            assert verdicts == observe_all(policy, observations)[1], (
                "observing the same events from the same policy gave other verdicts"
            )

        self.for_all(self.observations(), check)

    def test_observe_many_is_observing_one_by_one(self, policy: SuspensionPolicy) -> None:
        """observe_many(o, n) is the policy that observes o n times (skipped for a policy
        without observe_many, which replay observes one by one)."""
        if not callable(getattr(policy, "observe_many", None)):
            pytest.skip("the policy has no observe_many")

        def check(runs: list[tuple[Observation, int]]) -> None:
            many: Any = policy
            one_by_one: SuspensionPolicy = policy
            for observation, count in runs:
                many = many.observe_many(observation, count)
                one_by_one, _ = observe_all(one_by_one, [observation] * count)
                _assert_same(one_by_one, many, f"observe_many({observation}, {count})")

        self.for_all(self.runs(), check)

    def test_replay_is_observing_one_by_one(self, policy: SuspensionPolicy) -> None:
        """replay(policy, counts) is the policy that observes those events one by one in the
        order replay documents (the metric's bad outcome first)."""

        def check(counts: dict[Observation, int]) -> None:
            rebuilt = replay(
                policy, **{_REPLAY_KEYWORDS[item]: count for item, count in counts.items()}
            )
            _assert_same(played_as_replayed(policy, counts), rebuilt, f"replay of {counts}")

        self.for_all(self.counts(), check)

    def test_no_suspension_before_the_minimum_sample(self, policy: SuspensionPolicy) -> None:
        """Fewer than min_sample observations never give a SUSPEND verdict: not the worst
        runs (min_sample - 1 of one kind, or of bounces alternating), nor any sequence."""
        below = self.required_min_sample() - 1

        def check(observations: list[Observation]) -> None:
            assert policy.verdict().level != Level.SUSPEND, "SUSPEND before any observation"
            _, verdicts = observe_all(policy, observations[:below])
            for seen, verdict in enumerate(verdicts, start=1):
                assert verdict.level != Level.SUSPEND, (
                    f"SUSPEND after {seen} observations, fewer than min_sample "
                    f"({self.min_sample}): {observations[:seen]}"
                )

        worst: list[list[Observation]] = [[observation] * below for observation in Observation]
        bounces = [Observation.SOFT_BOUNCE, Observation.HARD_BOUNCE]
        worst.append([bounces[index % 2] for index in range(below)])
        unsubscribes = [Observation.DELIVERED, Observation.UNSUBSCRIBE]
        worst.append([unsubscribes[index % 2] for index in range(below)])
        for observations in worst:
            check(observations)
        self.for_all(self.observations(max_size=min(below, 500)), check)
