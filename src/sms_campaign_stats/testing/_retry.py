"""The retry policy contract as tests: ``RetryPolicyConformance``.

Subclass it in a pytest module and provide a ``policy`` fixture (requires pytest and
hypothesis)::

    import pytest
    from sms_campaign_stats.testing import RetryPolicyConformance

    class TestMyRetryPolicy(RetryPolicyConformance):
        window = timedelta(hours=48)  # your policy's promise; default 72 h

        @pytest.fixture
        def policy(self):
            return my_policy

For every valid ``RetryContext`` (attempts ending in any outcome of the code tables, recipients
with and without send-time rules), the policy answers ``RetryAt`` or ``GiveUp`` without raising,
the same answer for the same context, and a retry is never before ``now``, never past ``window``
from the first failure, and always at an instant ``context.next_allowed`` allows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, ClassVar

import attrs

from sms_campaign_stats.bounces import EXPIRED, Classification, classify
from sms_campaign_stats.lifecycle import Outcome
from sms_campaign_stats.model import Attempt
from sms_campaign_stats.quiet_hours import rule_for
from sms_campaign_stats.retry import (
    DEFAULT_WINDOW,
    GiveUp,
    RetryAt,
    RetryContext,
    RetryPolicy,
    always_allowed,
)
from sms_campaign_stats.send_time import CountryRule, SendTimeRule, Source, WeeklySchedule
from sms_campaign_stats.testing._classifiers import table_reports
from sms_campaign_stats.testing._properties import PropertySuite

if TYPE_CHECKING:
    from hypothesis import strategies as st

__all__ = ["RetryPolicyConformance", "RuleClock", "decide"]

UTC = timezone.utc
_HOUR = timedelta(hours=1)
_EARLIER_OUTCOMES = (Outcome.SOFT_BOUNCE, Outcome.THROTTLED)


@attrs.frozen
class RuleClock:
    """A context's ``next_allowed``: the first instant ``rule`` allows in ``zone``."""

    rule: SendTimeRule
    zone: str

    def __call__(self, at: datetime) -> datetime:
        """``rule.next_allowed(at, zone)``."""
        return self.rule.next_allowed(at, self.zone)


#: A narrow window (weekday mornings), so that retries are often moved, and far.
_OFFICE_HOURS = CountryRule(
    id="testing-office-hours",
    country="JP",
    title="weekday mornings only",
    schedule=WeeklySchedule.from_spec({"mon-fri": [("09:00", "12:00")]}),
    sources=(Source("LIB", "a narrow rule of the retry conformance suite"),),
)


@functools.lru_cache(maxsize=1)
def _clocks() -> tuple[Callable[[datetime], datetime], ...]:
    return (
        always_allowed,
        RuleClock(rule_for("FR"), "Europe/Paris"),
        RuleClock(rule_for("US", subdivision="TX"), "America/Chicago"),
        RuleClock(_OFFICE_HOURS, "Asia/Tokyo"),
    )


@functools.lru_cache(maxsize=1)
def _classifications() -> tuple[Classification, ...]:
    """What ``classify`` makes of every row of every code table (the fallback for codes no
    table knows included), and of a message that expired."""
    found: list[Classification] = [EXPIRED]
    for report in table_reports():
        classification = classify(report)
        if classification not in found:
            found.append(classification)
    return tuple(found)


def decide(policy: RetryPolicy, context: RetryContext) -> RetryAt | GiveUp:
    """``policy(context)``, which must be a ``RetryAt`` or a ``GiveUp``; an exception is a
    failure of the contract (an ``AssertionError`` saying so)."""
    try:
        found = policy(context)
    except Exception as error:
        raise AssertionError(f"the policy raised {error!r} for {context!r}") from error
    assert isinstance(found, (RetryAt, GiveUp)), (
        f"the policy returned {found!r}, not a RetryAt or a GiveUp, for {context!r}"
    )
    return found


class RetryPolicyConformance(PropertySuite):
    """The ``RetryPolicy`` contract as tests. Subclass it and provide a ``policy`` fixture.

    Class attributes a subclass may change: ``window`` (no retry later than this after the
    first failed attempt; default 72 h, ``DEFAULT_WINDOW``), ``max_examples``, and
    ``first_instant`` / ``last_instant`` (when the first failure is drawn, UTC).
    """

    window: ClassVar[timedelta] = DEFAULT_WINDOW
    first_instant: ClassVar[datetime] = datetime(2020, 1, 1, tzinfo=UTC)
    last_instant: ClassVar[datetime] = datetime(2035, 12, 31, tzinfo=UTC)

    def next_allowed_functions(self) -> Sequence[Callable[[datetime], datetime]]:
        """The recipients' ``next_allowed`` the contexts use: no rule, the French rule in
        Paris, Texas (federal and state rules) in Chicago, and weekday mornings in Tokyo.
        Override to add your recipients' rules (each must be idempotent: the suite checks that
        a retry time ``t`` has ``next_allowed(t) == t``)."""
        return _clocks()

    def contexts(self) -> st.SearchStrategy[RetryContext]:
        """Valid contexts: soft and throttled failures (runs of throttling too), then a last
        attempt with any classification of the code tables, ``now`` from at once to days
        after it, and one of ``next_allowed_functions``."""
        from hypothesis import strategies as st

        instants = st.datetimes(
            min_value=self.first_instant.replace(tzinfo=None),
            max_value=self.last_instant.replace(tzinfo=None),
            timezones=st.just(UTC),
        )
        earlier_outcomes = st.one_of(
            st.lists(st.sampled_from(_EARLIER_OUTCOMES), max_size=6),
            st.integers(15, 24).map(lambda count: [Outcome.THROTTLED] * count),
        )
        gaps = st.one_of(st.integers(0, 120), st.integers(0, 40 * 3600))
        clocks = st.sampled_from(tuple(self.next_allowed_functions()))

        @st.composite
        def contexts(draw: st.DrawFn) -> RetryContext:
            classification = draw(st.sampled_from(_classifications()))
            outcomes = [*draw(earlier_outcomes), classification.outcome]
            at = draw(instants)
            attempts = []
            for number, outcome in enumerate(outcomes, start=1):
                if number > 1:
                    at += timedelta(seconds=draw(gaps))
                attempts.append(Attempt(number=number, submitted_at=at, outcome=outcome))
            return RetryContext(
                message_id=f"m-{draw(st.integers(0, 10**6))}",
                attempts=attempts,
                classification=classification,
                now=at + timedelta(seconds=draw(gaps)),
                next_allowed=draw(clocks),
            )

        return contexts()

    def for_all_contexts(self, check: Callable[[RetryContext], object]) -> None:
        """Run ``check`` on ``max_examples`` contexts."""
        from hypothesis import given

        @self.hypothesis_settings()
        @given(context=self.contexts())
        def run(context: RetryContext) -> None:
            check(context)

        run()

    # the contract ------------------------------------------------------------------------

    def test_never_raises(self, policy: RetryPolicy) -> None:
        """Every valid context gets a RetryAt or a GiveUp, never an exception."""
        self.for_all_contexts(functools.partial(decide, policy))

    def test_never_retries_before_now(self, policy: RetryPolicy) -> None:
        """A retry is at ``now`` or later."""

        def check(context: RetryContext) -> None:
            found = decide(policy, context)
            if isinstance(found, RetryAt):
                assert found.at >= context.now, (
                    f"retry at {found.at.isoformat()}, before now {context.now.isoformat()}"
                )

        self.for_all_contexts(check)

    def test_never_retries_past_the_window(self, policy: RetryPolicy) -> None:
        """A retry is at most ``window`` after the first failed attempt was submitted."""

        def check(context: RetryContext) -> None:
            found = decide(policy, context)
            if isinstance(found, RetryAt):
                limit = context.first_failure_at + self.window
                assert found.at <= limit, (
                    f"retry at {found.at.isoformat()}, past the {self.window / _HOUR:g} h window "
                    f"from the first failure (until {limit.isoformat()})"
                )

        self.for_all_contexts(check)

    def test_retries_at_an_allowed_instant(self, policy: RetryPolicy) -> None:
        """A retry is at an instant the recipient's ``next_allowed`` allows (it leaves it
        where it is)."""

        def check(context: RetryContext) -> None:
            found = decide(policy, context)
            if isinstance(found, RetryAt):
                allowed = context.next_allowed(found.at)
                assert allowed == found.at, (
                    f"retry at {found.at.isoformat()}, which is not allowed: "
                    f"next_allowed gives {allowed.isoformat()}"
                )

        self.for_all_contexts(check)

    def test_is_deterministic(self, policy: RetryPolicy) -> None:
        """The same context (the same value, or an equal copy) gets the same answer."""

        def check(context: RetryContext) -> None:
            first = decide(policy, context)
            assert first == decide(policy, context), "two answers to one context"
            assert first == decide(policy, attrs.evolve(context)), "two answers to equal contexts"

        self.for_all_contexts(check)
