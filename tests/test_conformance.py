"""The policy conformance suites of ``sms_campaign_stats.testing`` on the built-in policies, and
proof that each suite fails a broken policy."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
import pytest

from sms_campaign_stats.bounces import BounceClassifier, Classification, TableClassifier, classify
from sms_campaign_stats.lifecycle import BounceReason, Outcome
from sms_campaign_stats.providers import DeliveryReport
from sms_campaign_stats.quiet_hours import AllOf, CountryRule, NoRule, SendTimeRule, rule_for
from sms_campaign_stats.retry import (
    DEFAULT_RETRY_POLICY,
    GiveUp,
    RetryAt,
    RetryContext,
    Retrying,
    RetryPolicy,
    Throttle,
    stop_after,
    stop_after_retries,
    wait_exponential,
    wait_fixed,
)
from sms_campaign_stats.send_time import Source, WeeklySchedule
from sms_campaign_stats.suspension import (
    DEFAULT_SUSPENSION_POLICY,
    AnyOf,
    CusumPolicy,
    Level,
    Metric,
    Observation,
    SprtPolicy,
    SuspensionPolicy,
    ThresholdPolicy,
    Verdict,
    WilsonPolicy,
)
from sms_campaign_stats.testing import (
    ClassifierConformance,
    RetryPolicyConformance,
    SendTimeRuleConformance,
    SuspensionPolicyConformance,
)

# -- send-time rules ------------------------------------------------------------------------

LUNCH_BREAK = CountryRule(
    id="our-quiet-lunch",
    country="FR",
    title="our own rule: not at lunch time, not at night",
    schedule=WeeklySchedule.from_spec({"mon-sun": [("08:00", "12:00"), ("14:00", "21:30")]}),
    sources=(Source("LIB", "a user's own rule, in the conformance tests"),),
)


class TestFrenchRule(SendTimeRuleConformance):
    """France's rule (weekday windows, closed on public holidays) keeps the contract."""

    @pytest.fixture
    def rule(self) -> SendTimeRule:
        """The built-in rule for France."""
        return rule_for("FR")


class TestUsStateRule(SendTimeRuleConformance):
    """Texas (the federal rule and the state's, together) keeps the contract in every US zone."""

    @pytest.fixture
    def rule(self) -> SendTimeRule:
        """The built-in rule for Texas."""
        return rule_for("US", subdivision="TX")


class TestNoRule(SendTimeRuleConformance):
    """NoRule allows every instant; checked in the fallback zones (it names no country)."""

    @pytest.fixture
    def rule(self) -> SendTimeRule:
        """A NoRule without a country."""
        return NoRule(None, "no rule is known")


class TestAllOf(SendTimeRuleConformance):
    """A country's rule and a user's own quiet hours together keep the contract."""

    @pytest.fixture
    def rule(self) -> SendTimeRule:
        """France's rule and a lunch break."""
        return AllOf((rule_for("FR"), LUNCH_BREAK))


@attrs.frozen
class EarlyRule:
    """A broken rule: its next allowed instant is a minute before the one asked about."""

    id: str = "early"

    def is_allowed(self, at: datetime, zone: str) -> bool:
        """Always true."""
        return True

    def next_allowed(self, at: datetime, zone: str) -> datetime:
        """A minute too early."""
        return at - timedelta(minutes=1)


def test_send_time_suite_catches_an_early_rule() -> None:
    """A rule answering an instant before the one given fails the suite."""
    rule = EarlyRule()
    assert isinstance(rule, SendTimeRule)
    suite = SendTimeRuleConformance()
    with pytest.raises(AssertionError, match="early in Europe/Paris: next_allowed"):
        suite.test_next_allowed_is_allowed_minimal_and_idempotent(rule, ("Europe/Paris",))
    with pytest.raises(AssertionError, match="early in Europe/Paris: next_allowed"):
        suite.test_around_clock_changes(rule, ("Europe/Paris",))


# -- retry policies -------------------------------------------------------------------------


class TestDefaultRetryPolicy(RetryPolicyConformance):
    """The default policy keeps the contract, within its 72 hours."""

    @pytest.fixture
    def policy(self) -> RetryPolicy:
        """DEFAULT_RETRY_POLICY."""
        return DEFAULT_RETRY_POLICY


class TestHourlyRetryWithinADay(RetryPolicyConformance):
    """Hourly retries, five at most, within 24 hours, keep the contract with that window."""

    window = timedelta(hours=24)

    @pytest.fixture
    def policy(self) -> RetryPolicy:
        """A fixed wait and a shorter window."""
        return Retrying(
            wait=wait_fixed(timedelta(hours=1)),
            stop=stop_after_retries(5) | stop_after(timedelta(hours=24)),
        )


class TestExponentialRetryWithSlowThrottling(RetryPolicyConformance):
    """Exponential waits and slow, few quick retries after throttling keep the contract."""

    @pytest.fixture
    def policy(self) -> RetryPolicy:
        """Waits doubling from 10 minutes up to 8 hours; throttling every 5 minutes, 5 times."""
        return Retrying(
            wait=wait_exponential(timedelta(minutes=10), maximum=timedelta(hours=8)),
            throttle=Throttle(wait=timedelta(minutes=5), max_retries=5),
        )


def retry_in_the_past(context: RetryContext) -> RetryAt | GiveUp:
    """A broken policy: it retries a minute before now."""
    return RetryAt(context.now - timedelta(minutes=1))


def test_retry_suite_catches_a_retry_in_the_past() -> None:
    """A policy that retries before now fails the suite."""
    assert isinstance(retry_in_the_past, RetryPolicy)
    with pytest.raises(AssertionError, match="before now"):
        RetryPolicyConformance().test_never_retries_before_now(retry_in_the_past)


def test_retry_suite_catches_an_exception() -> None:
    """A policy that raises fails the suite, with the exception named."""

    def raising(context: RetryContext) -> RetryAt | GiveUp:
        raise KeyError(context.message_id)

    with pytest.raises(AssertionError, match="the policy raised KeyError"):
        RetryPolicyConformance().test_never_raises(raising)


# -- suspension policies --------------------------------------------------------------------

HARD = Metric.HARD_BOUNCE_RATE
SOFT = Metric.SOFT_BOUNCE_RATE
UNSUBSCRIBE = Metric.UNSUBSCRIBE_RATE


def threshold() -> ThresholdPolicy:
    """Hard bounces against 2 % and 5 %, from 50 finished messages."""
    return ThresholdPolicy(metric=HARD, warn_at=0.02, suspend_at=0.05, min_sample=50)


def sprt() -> SprtPolicy:
    """Soft bounces, 5 % against 15 %: three soft bounces in a row are enough evidence."""
    return SprtPolicy(metric=SOFT, p0=0.05, p1=0.15, alpha=0.05, beta=0.1)


def wilson() -> WilsonPolicy:
    """Unsubscribes against 2 % and 3 %, from 30 delivered messages."""
    return WilsonPolicy(metric=UNSUBSCRIBE, warn_at=0.02, suspend_at=0.03, min_sample=30)


def cusum() -> CusumPolicy:
    """Hard bounces, 2 % against 8 %, h = 4: three hard bounces in a row reach h."""
    return CusumPolicy(metric=HARD, p0=0.02, p1=0.08, h=4.0)


class TestThresholdPolicy(SuspensionPolicyConformance):
    """ThresholdPolicy keeps the contract: nothing before its min_sample."""

    min_sample = 50

    @pytest.fixture
    def policy(self) -> SuspensionPolicy:
        """Hard bounces, from 50 finished messages."""
        return threshold()


class TestWilsonPolicy(SuspensionPolicyConformance):
    """WilsonPolicy keeps the contract on the unsubscribe rate (over delivered messages)."""

    min_sample = 30

    @pytest.fixture
    def policy(self) -> SuspensionPolicy:
        """Unsubscribes against 2 % and 3 %, from 30 delivered messages."""
        return wilson()


class TestSprtPolicy(SuspensionPolicyConformance):
    """The SPRT keeps the contract, restarts included; it may suspend at the third bounce."""

    min_sample = 3

    @pytest.fixture
    def policy(self) -> SuspensionPolicy:
        """Soft bounces, 5 % against 15 %."""
        return sprt()


class TestCusumPolicy(SuspensionPolicyConformance):
    """The CUSUM keeps the contract; it may suspend at the third hard bounce."""

    min_sample = 3

    @pytest.fixture
    def policy(self) -> SuspensionPolicy:
        """Hard bounces, 2 % against 8 %, h = 4."""
        return cusum()


class TestAnyOf(SuspensionPolicyConformance):
    """AnyOf keeps the contract; its minimum sample is its members' smallest."""

    min_sample = 3

    @pytest.fixture
    def policy(self) -> SuspensionPolicy:
        """The threshold on hard bounces and the SPRT on soft bounces."""
        return AnyOf(threshold(), sprt())


class TestDefaultSuspensionPolicy(SuspensionPolicyConformance):
    """The default keeps the contract: nothing before 200 finished (or delivered) messages."""

    min_sample = 200

    @pytest.fixture
    def policy(self) -> SuspensionPolicy:
        """DEFAULT_SUSPENSION_POLICY."""
        return DEFAULT_SUSPENSION_POLICY


@pytest.mark.parametrize(
    ("policy", "suite", "observation"),
    [
        (threshold(), TestThresholdPolicy, Observation.HARD_BOUNCE),
        (wilson(), TestWilsonPolicy, Observation.UNSUBSCRIBE),
        (sprt(), TestSprtPolicy, Observation.SOFT_BOUNCE),
        (cusum(), TestCusumPolicy, Observation.HARD_BOUNCE),
        (AnyOf(threshold(), sprt()), TestAnyOf, Observation.SOFT_BOUNCE),
        (DEFAULT_SUSPENSION_POLICY, TestDefaultSuspensionPolicy, Observation.HARD_BOUNCE),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_stated_minimum_samples_are_tight(
    policy: SuspensionPolicy, suite: type[SuspensionPolicyConformance], observation: Observation
) -> None:
    """Each min_sample stated above is the policy's real one: that many bad observations (and,
    for the unsubscribe rate, as many deliveries) suspend it."""
    assert suite.min_sample is not None
    for _ in range(suite.min_sample):
        if observation is Observation.UNSUBSCRIBE:
            policy, _verdict = policy.observe(Observation.DELIVERED)
        policy, verdict = policy.observe(observation)
    assert Level.SUSPEND is verdict.level


@attrs.frozen
class Trigger:
    """A broken policy: it suspends at the first observation."""

    seen: int = 0

    def observe(self, observation: Observation, /) -> tuple[Trigger, Verdict]:
        """One more observation."""
        updated = Trigger(self.seen + 1)
        return updated, updated.verdict()

    def verdict(self) -> Verdict:
        """SUSPEND once anything was observed."""
        return Verdict(
            level=Level.SUSPEND if self.seen else Level.OK,
            policy="trigger",
            metric=None,
            observed_rate=None,
            threshold=None,
            sample_size=self.seen,
            evidence={},
        )


def test_suspension_suite_catches_a_suspension_at_the_first_observation() -> None:
    """A policy that suspends at once fails the suite's minimum sample, as stated."""
    assert isinstance(Trigger(), SuspensionPolicy)

    class Stated(SuspensionPolicyConformance):
        min_sample = 10

    with pytest.raises(AssertionError, match="SUSPEND after 1 observations"):
        Stated().test_no_suspension_before_the_minimum_sample(Trigger())


def test_suspension_suite_needs_a_minimum_sample() -> None:
    """Forgetting to state min_sample gives a clear error, not a silent pass."""
    with pytest.raises(TypeError, match="must state min_sample"):
        SuspensionPolicyConformance().test_no_suspension_before_the_minimum_sample(threshold())


# -- classifiers ----------------------------------------------------------------------------


class TestClassify(ClassifierConformance):
    """classify, the default classifier, answers every report."""

    @pytest.fixture
    def classifier(self) -> BounceClassifier:
        """classify itself."""
        return classify


class TestTableClassifierWithOverrides(ClassifierConformance):
    """A TableClassifier with an override and Brevo's reading of registrations answers every
    report."""

    @pytest.fixture
    def classifier(self) -> BounceClassifier:
        """Twilio 30003 read as a hard bounce; missing registrations as hard bounces."""
        return TableClassifier(sender_registration_is_hard_bounce=True).with_override(
            "twilio",
            "30003",
            Outcome.HARD_BOUNCE,
            BounceReason.NUMBER_DOES_NOT_EXIST,
            source="our provider's account manager",
        )


def raising_classifier(report: DeliveryReport) -> Classification | None:
    """A broken classifier: it raises on every report."""
    raise ValueError(f"cannot read {report.provider}")


def test_classifier_suite_catches_an_exception() -> None:
    """A classifier that raises fails the suite, with the exception named."""
    assert isinstance(raising_classifier, BounceClassifier)
    suite = ClassifierConformance()
    with pytest.raises(AssertionError, match="the classifier raised ValueError"):
        suite.test_answers_any_report(raising_classifier)
    with pytest.raises(AssertionError, match="the classifier raised ValueError"):
        suite.test_answers_every_table_row(raising_classifier)
