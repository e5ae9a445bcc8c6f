"""Retry scheduling: the default policy, strategies and their composition, validation and
properties."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_campaign_stats import BounceReason, Classification, Outcome, ValidationError
from sms_campaign_stats.bounces import CODE_TABLES
from sms_campaign_stats.errors import DeferralHorizonError
from sms_campaign_stats.model import Attempt
from sms_campaign_stats.retry import (
    DEFAULT_BACKOFF,
    DEFAULT_JITTER,
    DEFAULT_RETRY_POLICY,
    DEFAULT_WAIT,
    DEFAULT_WINDOW,
    GiveUp,
    RetryAt,
    RetryContext,
    Retrying,
    RetryPolicy,
    Stop,
    Throttle,
    always_allowed,
    jitter_from_id,
    retry_if_outcome,
    retry_if_reason,
    retry_if_retryable,
    stop_after,
    stop_after_retries,
    wait_exponential,
    wait_fixed,
    wait_schedule,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # a Monday
MINUTE = timedelta(minutes=1)
#: The default policy without its jitter: the documented schedule, to the second.
NO_JITTER = Retrying(wait=DEFAULT_BACKOFF)
SCHEDULE = (timedelta(minutes=15), timedelta(hours=2), timedelta(hours=12))


def classification(namespace: str, code: str) -> Classification:
    """What a code-table row means."""
    return Classification.from_row(CODE_TABLES[namespace][code])


HANDSET_OFF = classification("twilio", "30003")
UNKNOWN_FAILURE = classification("twilio", "30008")
THROTTLED = classification("smpp_command_status", "88")
OUTSIDE_HOURS = Classification.from_row(
    next(
        r
        for r in CODE_TABLES["brevo"].values()
        if r.reason is BounceReason.SENT_OUTSIDE_ALLOWED_HOURS
    )
)


def history(*outcomes: Outcome, start: datetime = T0, every: timedelta = MINUTE) -> list[Attempt]:
    """Attempts with these outcomes, submitted ``every`` apart from ``start``."""
    return [
        Attempt(number=n, submitted_at=start + (n - 1) * every, outcome=outcome)
        for n, outcome in enumerate(outcomes, start=1)
    ]


def context_for(
    attempts: Sequence[Attempt],
    found: Classification,
    *,
    now: datetime | None = None,
    message_id: str = "m-1",
    next_allowed: Callable[[datetime], datetime] = always_allowed,
) -> RetryContext:
    """A context; ``now`` defaults to a minute after the last attempt."""
    return RetryContext(
        message_id=message_id,
        attempts=attempts,
        classification=found,
        now=attempts[-1].submitted_at + MINUTE if now is None else now,
        next_allowed=next_allowed,
    )


def soft_context(
    failures: int,
    found: Classification = HANDSET_OFF,
    *,
    message_id: str = "m-1",
    now: datetime | None = None,
    next_allowed: Callable[[datetime], datetime] = always_allowed,
) -> RetryContext:
    """``failures`` soft bounces a minute apart, the last one being ``found``."""
    attempts = history(*[Outcome.SOFT_BOUNCE] * failures)
    return context_for(attempts, found, now=now, message_id=message_id, next_allowed=next_allowed)


def retry_at(decision: RetryAt | GiveUp) -> RetryAt:
    """The decision, which must be a retry."""
    assert isinstance(decision, RetryAt), decision
    return decision


def give_up(decision: RetryAt | GiveUp) -> GiveUp:
    """The decision, which must be a give-up."""
    assert isinstance(decision, GiveUp), decision
    return decision


def daytime(at: datetime) -> datetime:
    """Send-time rule for the tests: 08:00-22:00 UTC every day."""
    opening = at.replace(hour=8, minute=0, second=0, microsecond=0)
    if at < opening:
        return opening
    if at.hour >= 22:
        return opening + timedelta(days=1)
    return at


# -- table-driven: what each kind of report leads to -------------------------------------------


@pytest.mark.parametrize(
    ("namespace", "code", "retried", "reason"),
    [
        ("twilio", "30003", True, BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE),
        ("gsm_map", "27", True, BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE),
        ("twilio", "30008", True, BounceReason.PROVIDER_UNKNOWN_FAILURE),
        ("smpp_status", "EXPIRED", True, BounceReason.EXPIRED_AT_OPERATOR),
        ("smpp_command_status", "88", True, BounceReason.PROVIDER_UNKNOWN_FAILURE),
        ("twilio", "30006", False, BounceReason.LANDLINE_NUMBER),
        ("twilio", "21211", False, BounceReason.INVALID_NUMBER_OR_COUNTRY_CODE),
        ("twilio", "30005", False, None),
        ("twilio", "21610", False, None),
        ("twilio", "30002", False, None),
    ],
)
def test_each_kind_of_report(
    namespace: str, code: str, retried: bool, reason: BounceReason | None
) -> None:
    """Retryable soft bounces and throttling are retried; landlines, invalid numbers, hard
    bounces, opt-outs and rejected configurations give up, keeping a soft reason only."""
    found = classification(namespace, code)
    context = context_for(history(found.outcome), found)
    decision = DEFAULT_RETRY_POLICY(context)
    assert reason == context.give_up_reason
    if retried:
        assert isinstance(decision, RetryAt)
        assert (found.outcome is Outcome.THROTTLED) == decision.throttled
    else:
        assert isinstance(decision, GiveUp)
        assert reason == decision.reason


@pytest.mark.parametrize(
    "row",
    [row for table in CODE_TABLES.values() for row in table.values()],
    ids=lambda row: f"{row.namespace}:{row.code}",
)
def test_every_code_table_row(row: object) -> None:
    """Every row: retried exactly when retryable and temporary; a give-up records a reason
    exactly when the outcome was a soft bounce or throttling."""
    found = Classification.from_row(row)  # type: ignore[arg-type]
    decision = DEFAULT_RETRY_POLICY(context_for(history(found.outcome), found))
    temporary = found.outcome in (Outcome.SOFT_BOUNCE, Outcome.THROTTLED)
    assert (found.retryable and temporary) == isinstance(decision, RetryAt)
    if isinstance(decision, GiveUp):
        assert temporary == (decision.reason is not None)
        assert decision.explanation


# -- the default schedule ----------------------------------------------------------------------


def simulate(
    policy: RetryPolicy,
    reports: Sequence[Classification],
    *,
    delay: timedelta = MINUTE,
    message_id: str = "m-1",
    next_allowed: Callable[[datetime], datetime] = always_allowed,
) -> list[RetryAt | GiveUp]:
    """Send at T0, fail with each report ``delay`` after each send, resend when told."""
    attempts: list[Attempt] = []
    decisions: list[RetryAt | GiveUp] = []
    sent = T0
    for found in reports:
        attempts.append(Attempt(number=len(attempts) + 1, submitted_at=sent, outcome=found.outcome))
        decision = policy(
            context_for(
                attempts,
                found,
                now=sent + delay,
                message_id=message_id,
                next_allowed=next_allowed,
            )
        )
        decisions.append(decision)
        if isinstance(decision, GiveUp):
            break
        sent = decision.at
    return decisions


def test_default_schedule_without_jitter() -> None:
    """15 min, 2 h and 12 h after each failure is reported; the fourth failure gives up with
    its own reason."""
    reports = [HANDSET_OFF, HANDSET_OFF, HANDSET_OFF, UNKNOWN_FAILURE]
    decisions = simulate(NO_JITTER, reports)
    expected_times = [
        T0 + MINUTE + SCHEDULE[0],
        T0 + 2 * MINUTE + SCHEDULE[0] + SCHEDULE[1],
        T0 + 3 * MINUTE + sum(SCHEDULE, timedelta(0)),
    ]
    assert expected_times == [retry_at(d).at for d in decisions[:3]]
    assert (
        GiveUp(
            BounceReason.PROVIDER_UNKNOWN_FAILURE, "4 soft failures: the 3 retries allowed are used"
        )
        == decisions[3]
    )
    assert (
        "retry 2 after twilio '30003' (soft_bounce, handset_off_or_out_of_coverage): wait 2 h"
        == decisions[1].explanation
    )


def test_default_jitter_lengthens_by_at_most_ten_percent_and_is_pinned() -> None:
    """With jitter, each wait is the schedule's plus less than 10 %, in whole seconds; the
    value is a pure function of the message id and retry number (pinned here)."""
    for number, base in enumerate(SCHEDULE, start=1):
        wait = DEFAULT_WAIT(soft_context(number), number)
        assert base <= wait < base * 1.1
        assert 0 == wait.microseconds
    assert timedelta(minutes=16, seconds=1) == DEFAULT_WAIT(soft_context(1), 1)
    first = DEFAULT_RETRY_POLICY(soft_context(1))
    assert T0 + MINUTE + timedelta(minutes=16, seconds=1) == retry_at(first).at
    spread = {DEFAULT_WAIT(soft_context(1, message_id=f"m-{i}"), 1) for i in range(50)}
    assert len(spread) > 40  # messages failing together are spread out


def test_window_ends_retries() -> None:
    """A retry that would land past 72 h from the first failed attempt gives up, with the last
    reason, whether the wait or the send-time rules push it there."""
    late = context_for(
        history(Outcome.SOFT_BOUNCE, Outcome.SOFT_BOUNCE, start=T0, every=timedelta(hours=71)),
        HANDSET_OFF,
    )
    decision = NO_JITTER(late)  # 71 h + 1 min + 2 h > 72 h
    assert isinstance(decision, GiveUp)
    assert BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE == decision.reason
    assert "past the 72 h window" in decision.explanation

    def closed_for_four_days(at: datetime) -> datetime:
        return at + timedelta(days=4)

    pushed = NO_JITTER(soft_context(1, found=UNKNOWN_FAILURE, next_allowed=closed_for_four_days))
    assert BounceReason.PROVIDER_UNKNOWN_FAILURE == give_up(pushed).reason


def test_retry_exactly_at_the_end_of_the_window_is_allowed() -> None:
    """``at == first failure + 72 h`` is still inside the window."""
    first = T0
    now = first + DEFAULT_WINDOW - SCHEDULE[0]
    decision = NO_JITTER(context_for(history(Outcome.SOFT_BOUNCE), HANDSET_OFF, now=now))
    assert first + DEFAULT_WINDOW == retry_at(decision).at


def test_retries_are_moved_into_allowed_hours() -> None:
    """A retry due at night waits for the morning, and says so."""
    evening = T0.replace(hour=21, minute=50)
    decision = NO_JITTER(
        context_for(history(Outcome.SOFT_BOUNCE), OUTSIDE_HOURS, now=evening, next_allowed=daytime)
    )
    assert isinstance(decision, RetryAt)
    assert T0.replace(hour=8) + timedelta(days=1) == decision.at
    assert "moved 9 h 55 min into allowed hours" in decision.explanation


def test_no_allowed_time_at_all_gives_up() -> None:
    """A send-time rule that finds no allowed instant ends the retries."""

    def never(at: datetime) -> datetime:
        raise DeferralHorizonError("closed", at, timedelta(days=400))

    decision = DEFAULT_RETRY_POLICY(soft_context(1, next_allowed=never))
    assert isinstance(decision, GiveUp)
    assert BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE == decision.reason
    assert "no allowed send time" in decision.explanation


# -- throttling --------------------------------------------------------------------------------


def test_throttling_is_retried_quickly_up_to_the_bound() -> None:
    """Every 30 s, 20 times in a row; the 21st THROTTLED in a row gives up as an unknown
    provider failure."""
    for count in (1, 20):
        decision = DEFAULT_RETRY_POLICY(
            context_for(history(*[Outcome.THROTTLED] * count), THROTTLED, now=T0)
        )
        assert T0 + timedelta(seconds=30) == retry_at(decision).at
        assert retry_at(decision).throttled
    past = DEFAULT_RETRY_POLICY(context_for(history(*[Outcome.THROTTLED] * 21), THROTTLED))
    assert isinstance(past, GiveUp)
    assert BounceReason.PROVIDER_UNKNOWN_FAILURE == past.reason
    assert "throttled again (21 in a row)" in past.explanation


def test_throttling_does_not_use_the_retry_budget() -> None:
    """Throttled attempts neither count as retries nor stop a message whose budget is used;
    a run of throttling is counted afresh after a soft failure."""
    soft, throttled = Outcome.SOFT_BOUNCE, Outcome.THROTTLED
    after_budget = NO_JITTER(context_for(history(soft, soft, soft, throttled), THROTTLED))
    assert isinstance(after_budget, RetryAt)
    mixed = history(soft, *[throttled] * 5, soft)
    second = NO_JITTER(context_for(mixed, HANDSET_OFF))
    assert mixed[-1].submitted_at + MINUTE + SCHEDULE[1] == retry_at(second).at
    fresh = history(*[throttled] * 20, soft, throttled)
    assert isinstance(NO_JITTER(context_for(fresh, THROTTLED)), RetryAt)
    assert 1 == context_for(fresh, THROTTLED).consecutive_throttled


def test_throttled_retries_stay_in_allowed_hours_and_the_window() -> None:
    """A throttled retry is moved into allowed hours, and past the window it gives up."""
    night = T0.replace(hour=23)
    moved = NO_JITTER(
        context_for(history(Outcome.THROTTLED), THROTTLED, now=night, next_allowed=daytime)
    )
    assert T0.replace(hour=8) + timedelta(days=1) == retry_at(moved).at
    late = context_for(history(Outcome.THROTTLED), THROTTLED, now=T0 + DEFAULT_WINDOW)
    decision = NO_JITTER(late)
    assert isinstance(decision, GiveUp)
    assert BounceReason.PROVIDER_UNKNOWN_FAILURE == decision.reason


# -- composition and plain functions -----------------------------------------------------------


def test_whether_strategies_compose() -> None:
    """``&``, ``|`` and ``~`` combine built-ins and plain functions, flattening as they go."""
    not_at_night = retry_if_retryable & ~retry_if_reason(BounceReason.SENT_OUTSIDE_ALLOWED_HOURS)
    assert not not_at_night(soft_context(1, found=OUTSIDE_HOURS))
    assert not_at_night(soft_context(1))

    def is_first(context: RetryContext) -> bool:
        return 1 == context.soft_failures

    first_only = is_first & retry_if_retryable & retry_if_outcome(Outcome.SOFT_BOUNCE)
    assert 3 == len(first_only.parts)  # type: ignore[attr-defined]
    assert first_only(soft_context(1))
    assert not first_only(soft_context(2))
    either = is_first | retry_if_reason(BounceReason.PROVIDER_UNKNOWN_FAILURE) | is_first
    assert either(soft_context(2, found=UNKNOWN_FAILURE))
    assert not either(soft_context(2))
    policy = Retrying(whether=not_at_night)
    refused = policy(soft_context(1, found=OUTSIDE_HOURS))
    assert isinstance(refused, GiveUp)
    assert "is not retried (RetryAll(parts=(RetryIfRetryable(), RetryNot(" in refused.explanation
    by_name = Retrying(whether=is_first)(soft_context(2))
    assert "is not retried (is_first)" in give_up(by_name).explanation


def test_wait_strategies_add() -> None:
    """``+`` adds waits; a fraction jitter scales the other waits of its sum, a max_delta jitter
    stands alone; plain functions are waits."""
    context = soft_context(2)

    def one_minute_per_retry(context: RetryContext, retry_number: int) -> timedelta:
        return retry_number * MINUTE

    total = wait_fixed(60) + one_minute_per_retry + wait_fixed(timedelta(minutes=3))
    assert timedelta(minutes=6) == total(context, 2)
    assert timedelta(minutes=6) == (one_minute_per_retry + wait_fixed(240))(context, 2)
    assert timedelta(0) == jitter_from_id(0.5)(context, 1)
    alone = jitter_from_id(max_delta=timedelta(minutes=10))
    assert timedelta(0) <= alone(context, 1) < timedelta(minutes=10)
    assert alone(context, 1) == alone(soft_context(2), 1)
    jittered = wait_fixed(timedelta(hours=1)) + jitter_from_id(0.5) + wait_fixed(timedelta(hours=1))
    assert timedelta(hours=2) <= jittered(context, 1) < timedelta(hours=3)
    assert wait_fixed(900) == wait_fixed(timedelta(minutes=15))


def test_wait_schedule_repeats_its_last_value() -> None:
    """The n-th retry waits the n-th value; past the end, the last one."""
    schedule = wait_schedule(60, 120)
    assert [60, 120, 120, 120] == [schedule(soft_context(1), n).seconds for n in (1, 2, 3, 100)]
    assert DEFAULT_BACKOFF == wait_schedule(*SCHEDULE)


def test_wait_exponential_is_capped() -> None:
    """base * factor ** (n - 1), never above the maximum, even for absurd retry numbers."""
    wait = wait_exponential(timedelta(minutes=15), maximum=timedelta(hours=12))
    context = soft_context(1)
    assert [15, 30, 60, 120] == [wait(context, n) // MINUTE for n in (1, 2, 3, 4)]
    assert timedelta(hours=12) == wait(context, 10)
    assert timedelta(hours=12) == wait(context, 100_000)
    assert timedelta(seconds=10) == wait_exponential(10, 1, maximum=60)(context, 7)
    assert timedelta(seconds=60) == wait_exponential(10, 2.5, maximum=60)(context, 4)


def test_stop_strategies_compose_and_explain() -> None:
    """``|`` stops if any part does, ``&`` only if all do; each explains itself, plain functions
    by name."""
    at = T0 + timedelta(hours=1)

    def after_ten(context: RetryContext, at: datetime) -> bool:
        return at.hour >= 10

    any_stop = stop_after_retries(5) | after_ten
    assert any_stop(soft_context(1), at)
    assert "after_ten stops the retry at 2026-03-02T10:00:00+00:00" == any_stop.explain(
        soft_context(1), at
    )
    all_stop = after_ten & stop_after_retries(0) & stop_after(timedelta(minutes=30))
    assert all_stop(soft_context(1), at)
    assert not all_stop(soft_context(1), T0)
    explained = all_stop.explain(soft_context(1), at)
    assert "after_ten" in explained
    assert "0 retries allowed" in explained
    assert "30 min" in explained
    assert not stop_after_retries(0)(context_for(history(Outcome.THROTTLED), THROTTLED), at)
    assert "stops the retry" in (stop_after(0) | stop_after(1)).explain(soft_context(1), T0)
    assert (after_ten, stop_after(1)) == (after_ten | stop_after(1)).parts  # type: ignore[attr-defined]

    @attrs.frozen
    class Always(Stop):
        """A user's own stop strategy, explained by default."""

        def __call__(self, context: RetryContext, at: datetime, /) -> bool:
            return True

    assert (
        "Always() stops the retry at"
        in give_up(Retrying(stop=Always())(soft_context(1))).explanation
    )
    policy = Retrying(stop=after_ten, wait=wait_fixed(timedelta(hours=1)))
    assert "after_ten stops" in policy(soft_context(1)).explanation


def test_plain_functions_everywhere() -> None:
    """A plain function is a policy, and a Retrying can be built from plain functions only."""

    def one_retry_after_an_hour(context: RetryContext, /) -> RetryAt | GiveUp:
        if context.classification.retryable and context.soft_failures == 1:
            return RetryAt(context.allowed_at(context.now + timedelta(hours=1)))
        return GiveUp(context.give_up_reason, "one retry only")

    policy: RetryPolicy = one_retry_after_an_hour
    assert isinstance(policy, RetryPolicy)
    assert isinstance(DEFAULT_RETRY_POLICY, RetryPolicy)
    assert T0 + MINUTE + timedelta(hours=1) == retry_at(policy(soft_context(1))).at

    def whether(context: RetryContext) -> bool:
        return True

    def wait(context: RetryContext, retry_number: int) -> timedelta:
        return retry_number * timedelta(hours=1)

    def stop(context: RetryContext, at: datetime) -> bool:
        return context.soft_failures > 2

    def throttle(context: RetryContext, consecutive: int) -> timedelta | None:
        return None

    custom = Retrying(whether=whether, wait=wait, stop=stop, throttle=throttle)
    decisions = simulate(custom, [HANDSET_OFF, HANDSET_OFF, HANDSET_OFF])
    assert [RetryAt, RetryAt, GiveUp] == [type(d) for d in decisions]
    first, second = retry_at(decisions[0]).at, retry_at(decisions[1]).at
    assert (T0 + MINUTE + timedelta(hours=1), first + MINUTE + timedelta(hours=2)) == (
        first,
        second,
    )
    assert "stop stops the retry" in decisions[2].explanation
    gave_up = custom(context_for(history(Outcome.THROTTLED), THROTTLED))
    assert (
        GiveUp(
            BounceReason.PROVIDER_UNKNOWN_FAILURE,
            "throttled again (1 in a row): no more quick retries",
        )
        == gave_up
    )


def test_final_outcomes_are_never_retried_whatever_whether_says() -> None:
    """A permissive whether strategy cannot retry an opt-out or a hard bounce."""
    everything = Retrying(whether=lambda context: True)
    for found in (classification("twilio", "21610"), classification("twilio", "30005")):
        decision = everything(context_for(history(found.outcome), found))
        assert GiveUp(None, decision.explanation) == decision
        assert "is final" in decision.explanation


def test_throttle_bound_and_strategy() -> None:
    """Throttle(max_retries=0) gives up at once; a plain throttle function is used as is."""
    context = context_for(history(Outcome.THROTTLED), THROTTLED)
    assert isinstance(Retrying(throttle=Throttle(max_retries=0))(context), GiveUp)
    slow = Retrying(throttle=lambda context, consecutive: timedelta(minutes=consecutive))
    assert context.now + MINUTE == retry_at(slow(context)).at
    assert Throttle(wait=timedelta(seconds=30)) == Throttle(30)


def test_context_helpers() -> None:
    """Counting and the window start read the history; delivered and pending are not failures."""
    attempts = history(Outcome.PENDING, Outcome.SOFT_BOUNCE, Outcome.THROTTLED, Outcome.THROTTLED)
    context = context_for(attempts, THROTTLED)
    assert (1, 2, attempts[1].submitted_at) == (
        context.soft_failures,
        context.consecutive_throttled,
        context.first_failure_at,
    )
    delivered = classification("twilio_status", "delivered")
    odd = context_for(history(Outcome.DELIVERED), delivered)
    assert (T0, None) == (odd.first_failure_at, odd.give_up_reason)
    assert isinstance(DEFAULT_RETRY_POLICY(odd), GiveUp)
    reasonless = attrs.evolve(HANDSET_OFF, reason=None)
    assert BounceReason.PROVIDER_UNKNOWN_FAILURE == soft_context(1, found=reasonless).give_up_reason


def test_a_wait_past_the_calendar_gives_up() -> None:
    """A wait that overflows the calendar is a give-up, not a crash."""
    policy = Retrying(wait=wait_fixed(timedelta.max), stop=lambda context, at: False)
    decision = policy(soft_context(1))
    assert isinstance(decision, GiveUp)
    assert "past the calendar" in decision.explanation


# -- validation --------------------------------------------------------------------------------


def _naive_now() -> object:
    return soft_context(1, now=datetime(2026, 3, 2, 9, 0))


def _context_with(**changes: object) -> Callable[[], object]:
    fields: dict[str, object] = {
        "message_id": "m-1",
        "attempts": history(Outcome.SOFT_BOUNCE),
        "classification": HANDSET_OFF,
        "now": T0,
    }
    fields.update(changes)
    return lambda: RetryContext(**fields)  # type: ignore[arg-type]


def _returns(value: object) -> Callable[[], object]:
    def next_allowed(at: datetime) -> datetime:
        return value  # type: ignore[return-value]

    return lambda: DEFAULT_RETRY_POLICY(soft_context(1, next_allowed=next_allowed))


def _five(context: RetryContext, retry_number: int) -> timedelta:
    return 5  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (_naive_now, "RetryContext.now"),
        (_context_with(message_id=" "), "RetryContext.message_id"),
        (_context_with(attempts=[]), "RetryContext.attempts"),
        (_context_with(attempts="abc"), "RetryContext.attempts"),
        (_context_with(attempts=[1]), "RetryContext.attempts"),
        (_context_with(attempts=history(Outcome.THROTTLED)), "RetryContext.attempts"),
        (_context_with(classification="soft"), "RetryContext.classification"),
        (_context_with(next_allowed=3), "RetryContext.next_allowed"),
        (_returns(datetime(2026, 3, 2, 9, 20)), "RetryContext.next_allowed"),
        (_returns("tomorrow"), "RetryContext.next_allowed"),
        (_returns(T0), "RetryContext.next_allowed"),
        (lambda: RetryAt(datetime(2026, 3, 2)), "RetryAt.at"),
        (lambda: RetryAt(T0, throttled=1), "RetryAt.throttled"),  # type: ignore[arg-type]
        (lambda: GiveUp(BounceReason.NUMBER_DOES_NOT_EXIST, "x"), "GiveUp.reason"),
        (lambda: GiveUp(None, 3), "GiveUp.explanation"),  # type: ignore[arg-type]
        (lambda: wait_fixed(timedelta(seconds=-1)), "wait_fixed.wait"),
        (lambda: wait_fixed(-5), "wait_fixed.wait"),
        (lambda: wait_fixed(1.5), "wait_fixed.wait"),  # type: ignore[arg-type]
        (lambda: wait_fixed(True), "wait_fixed.wait"),
        (lambda: wait_fixed(10**20), "wait_fixed.wait"),
        (lambda: wait_schedule(), "wait_schedule.waits"),
        (lambda: wait_schedule(60, -60), "wait_schedule.waits"),
        (lambda: wait_exponential(-1, maximum=60), "wait_exponential.base"),
        (lambda: wait_exponential(1, 0.5, maximum=60), "wait_exponential.factor"),
        (lambda: wait_exponential(1, "2", maximum=60), "wait_exponential.factor"),  # type: ignore[arg-type]
        (lambda: wait_exponential(1, maximum=-60), "wait_exponential.maximum"),
        (lambda: jitter_from_id(), "jitter_from_id"),
        (lambda: jitter_from_id(0.1, max_delta=60), "jitter_from_id"),
        (lambda: jitter_from_id(1.5), "jitter_from_id.fraction"),
        (lambda: jitter_from_id("10%"), "jitter_from_id.fraction"),  # type: ignore[arg-type]
        (lambda: jitter_from_id(max_delta=-1), "jitter_from_id.max_delta"),
        (lambda: stop_after_retries(-1), "stop_after_retries.n"),
        (lambda: stop_after(timedelta(hours=-72)), "stop_after.window"),
        (lambda: retry_if_reason("landline_number"), "retry_if_reason.reasons"),  # type: ignore[arg-type]
        (lambda: retry_if_outcome("throttled"), "retry_if_outcome.outcomes"),  # type: ignore[arg-type]
        (lambda: Throttle(wait=-30), "Throttle.wait"),
        (lambda: Throttle(max_retries=-1), "Throttle.max_retries"),
        (lambda: Retrying(whether=True), "Retrying.whether"),  # type: ignore[arg-type]
        (lambda: Retrying(wait=timedelta(minutes=5)), "Retrying.wait"),  # type: ignore[arg-type]
        (lambda: Retrying(stop=3), "Retrying.stop"),  # type: ignore[arg-type]
        (lambda: Retrying(throttle=None), "Retrying.throttle"),  # type: ignore[arg-type]
        (lambda: retry_if_retryable & 3, "whether"),  # type: ignore[operator]
        (lambda: wait_fixed(1) + 3, "wait"),  # type: ignore[operator]
        (lambda: stop_after(1) | 3, "stop"),  # type: ignore[operator]
        (lambda: Retrying(wait=lambda c, n: -MINUTE)(soft_context(1)), "Retrying.wait"),
        (lambda: Retrying(wait=wait_fixed(1) + _five)(soft_context(1)), "Retrying.wait"),
        (
            lambda: Retrying(throttle=lambda c, n: 30)(  # type: ignore[arg-type, return-value]
                context_for(history(Outcome.THROTTLED), THROTTLED)
            ),
            "Retrying.throttle",
        ),
        (lambda: DEFAULT_RETRY_POLICY("context"), "context"),  # type: ignore[arg-type]
        (lambda: wait_fixed(1)(soft_context(1), 0), "retry_number"),
        (lambda: DEFAULT_BACKOFF(soft_context(1), True), "retry_number"),
    ],
)
def test_bad_inputs_name_their_field(build: Callable[[], object], field: str) -> None:
    """Bad input raises ValidationError (a ValueError) naming the field."""
    with pytest.raises(ValidationError) as raised:
        build()
    assert field == raised.value.field
    assert isinstance(raised.value, ValueError)


# -- properties --------------------------------------------------------------------------------

message_ids = st.from_regex(r"[A-Za-z0-9_-]{1,24}", fullmatch=True)
gaps = st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(hours=30))
soft_rows = st.sampled_from([HANDSET_OFF, UNKNOWN_FAILURE, classification("gsm_map", "27")])
starts = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(timezone.utc)
)


@given(
    message_id=message_ids,
    start=starts,
    steps=st.lists(gaps, min_size=1, max_size=4),
    wait_before_now=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=30)),
    found=soft_rows,
)
def test_retries_are_in_time_in_window_and_allowed(
    message_id: str,
    start: datetime,
    steps: list[timedelta],
    wait_before_now: timedelta,
    found: Classification,
) -> None:
    """Any history of 1-4 soft failures: a retry is at or after now, within 72 h of the first
    failure, in allowed hours; a fourth failure gives up; the decision is deterministic."""
    times = [start]
    for step in steps[1:]:
        times.append(times[-1] + step)
    attempts = [
        Attempt(number=n, submitted_at=at, outcome=Outcome.SOFT_BOUNCE)
        for n, at in enumerate(times, start=1)
    ]
    now = times[-1] + wait_before_now
    context = context_for(attempts, found, now=now, message_id=message_id, next_allowed=daytime)
    decision = DEFAULT_RETRY_POLICY(context)
    if isinstance(decision, RetryAt):
        assert decision.at >= now + SCHEDULE[min(len(attempts), 3) - 1]
        assert decision.at <= start + DEFAULT_WINDOW
        assert decision.at == daytime(decision.at)
        assert not decision.throttled
        assert len(attempts) <= 3
    else:
        assert found.reason == decision.reason
    again = context_for(attempts, found, now=now, message_id=message_id, next_allowed=daytime)
    assert decision == DEFAULT_RETRY_POLICY(again)


@given(
    message_id=message_ids,
    start=starts,
    reports=st.lists(
        st.tuples(st.sampled_from([HANDSET_OFF, UNKNOWN_FAILURE, THROTTLED]), gaps),
        min_size=1,
        max_size=30,
    ),
)
def test_retries_along_a_history_increase_and_respect_every_bound(
    message_id: str, start: datetime, reports: list[tuple[Classification, timedelta]]
) -> None:
    """Drive a message through failures reported after random delays: retry times strictly
    increase, stay allowed and inside the window; at most 3 soft retries and 20 throttled
    retries in a row are granted."""
    attempts: list[Attempt] = []
    sent, previous = start, None
    soft_retries = throttled_in_a_row = 0
    for found, delay in reports:
        attempts.append(Attempt(number=len(attempts) + 1, submitted_at=sent, outcome=found.outcome))
        now = sent + delay
        decision = DEFAULT_RETRY_POLICY(
            context_for(attempts, found, now=now, message_id=message_id, next_allowed=daytime)
        )
        if isinstance(decision, GiveUp):
            assert decision.reason is not None
            break
        assert now <= decision.at <= attempts[0].submitted_at + DEFAULT_WINDOW
        assert decision.at == daytime(decision.at)
        assert previous is None or previous < decision.at
        if decision.throttled:
            throttled_in_a_row += 1
        else:
            soft_retries, throttled_in_a_row = soft_retries + 1, 0
        assert soft_retries <= 3
        assert throttled_in_a_row <= 20
        sent = previous = decision.at


@given(message_id=message_ids, retry_number=st.integers(1, 1000))
def test_jitter_is_a_bounded_pure_function_of_id_and_retry(
    message_id: str, retry_number: int
) -> None:
    """The default wait is the schedule's, plus less than 10 %, the same every time."""
    context = soft_context(1, message_id=message_id)
    base = DEFAULT_BACKOFF(context, retry_number)
    wait = DEFAULT_WAIT(context, retry_number)
    assert base <= wait < base * 1.1 + timedelta(seconds=1)
    assert wait == DEFAULT_WAIT(soft_context(3, message_id=message_id), retry_number)
    assert wait - base == (wait_fixed(base) + DEFAULT_JITTER)(context, retry_number) - base


def test_a_window_of_any_length_never_overflows() -> None:
    """``stop_after`` compares a difference: a window of two million years is no OverflowError."""
    failed = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    context = RetryContext(
        message_id="m-1",
        attempts=[Attempt(number=1, submitted_at=failed, outcome=Outcome.SOFT_BOUNCE)],
        classification=Classification.from_row(CODE_TABLES["twilio"]["30003"]),
        now=failed,
    )
    decision = Retrying(stop=stop_after(timedelta(days=999_999_000)))(context)
    assert isinstance(decision, RetryAt)
