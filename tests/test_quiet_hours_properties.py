"""Properties of next_allowed over every IANA zone and instants from 2020 to 2035."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytz
from hypothesis import given
from hypothesis import strategies as st

from sms_campaign_stats.quiet_hours import (
    AllOf,
    CountryRule,
    NoRule,
    SendTimeRule,
    Source,
    WeeklySchedule,
    rule_for,
)

UTC = timezone.utc
MINUTE = timedelta(minutes=1)
MAX_SCAN = timedelta(days=3)

# Edges at midnight, inside usual DST gaps and overlaps (01:00-03:00), and late evening.
DST_STRESS = CountryRule(
    id="dst-stress",
    country="US",
    title="windows whose edges sit where clocks change",
    schedule=WeeklySchedule.from_spec(
        {
            "mon-fri": [("00:00", "01:30"), ("02:30", "03:00"), ("08:00", "23:00")],
            "sat": [("01:00", "02:00"), ("22:00", "24:00")],
            "sun": [("00:30", "02:30")],
        }
    ),
    sources=(Source("LIB", "a test rule"),),
)
RULES: list[SendTimeRule] = [
    rule_for("FR"),
    rule_for("TW"),
    rule_for("ZA"),
    rule_for("US", subdivision="TX"),
    rule_for("FR", subdivision="974"),
    DST_STRESS,
]
instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
zones = st.sampled_from(sorted(pytz.all_timezones))
rules = st.sampled_from(RULES)


@given(rules, zones, instants)
def test_next_allowed_is_allowed_minimal_and_idempotent(
    rule: SendTimeRule, zone: str, at: datetime
) -> None:
    """next_allowed(t) >= t, is allowed, nothing allowed strictly between (minute by minute,
    over up to three days), and applying it again changes nothing."""
    found = rule.next_allowed(at, zone)
    assert found >= at
    assert rule.is_allowed(found, zone)
    assert found == rule.next_allowed(found, zone)
    assert (found == at) == rule.is_allowed(at, zone)
    probe = at.replace(second=0, microsecond=0) + MINUTE
    end = min(found, at + MAX_SCAN)
    while probe < end:
        assert not rule.is_allowed(probe, zone), probe
        probe += MINUTE


@given(rules, zones, instants, st.integers(1, 10_000))
def test_next_allowed_is_monotone(
    rule: SendTimeRule, zone: str, at: datetime, minutes: int
) -> None:
    """A later request never gets an earlier send time."""
    later = at + timedelta(minutes=minutes)
    assert rule.next_allowed(at, zone) <= rule.next_allowed(later, zone)


def _transitions() -> list[tuple[str, datetime]]:
    """Every (zone, instant) where a zone's offset changes between 2020 and 2035."""
    found: list[tuple[str, datetime]] = []
    for name in sorted(pytz.all_timezones):
        moments = getattr(pytz.timezone(name), "_utc_transition_times", [])
        found.extend(
            (name, moment.replace(tzinfo=UTC))
            for moment in moments
            if datetime(2020, 1, 1) <= moment <= datetime(2035, 12, 31)
        )
    return found


TRANSITIONS = _transitions()


@given(
    rules,
    st.sampled_from(TRANSITIONS),
    st.integers(-48 * 60, 48 * 60).map(lambda minutes: timedelta(minutes=minutes)),
    st.integers(0, 59).map(lambda seconds: timedelta(seconds=seconds)),
)
def test_around_every_clock_change(
    rule: SendTimeRule, transition: tuple[str, datetime], shift: timedelta, seconds: timedelta
) -> None:
    """The same properties within two days of a daylight-saving change, in every zone."""
    zone, moment = transition
    test_next_allowed_is_allowed_minimal_and_idempotent.hypothesis.inner_test(  # type: ignore[attr-defined]
        rule, zone, moment + shift + seconds
    )


class LunchBreak:
    """A user's own rule, no base class: closed 12:00-14:00 UTC every day, whatever the zone."""

    id = "lunch-break"

    def is_allowed(self, at: datetime, zone: str) -> bool:
        """Outside 12:00-14:00 UTC."""
        return not 12 <= at.astimezone(UTC).hour < 14

    def next_allowed(self, at: datetime, zone: str) -> datetime:
        """14:00 UTC when ``at`` is in the break, else ``at``."""
        if self.is_allowed(at, zone):
            return at
        return at.astimezone(UTC).replace(hour=14, minute=0, second=0, microsecond=0)


def _built_in(rule: SendTimeRule) -> CountryRule | AllOf | NoRule:
    assert isinstance(rule, (CountryRule, AllOf, NoRule))
    return rule


BUILT_INS = [_built_in(rule) for rule in RULES]
OTHERS: list[SendTimeRule] = [*RULES, LunchBreak(), NoRule("DE", "no rule is known")]


@given(st.sampled_from(BUILT_INS), st.sampled_from(OTHERS), st.booleans(), zones, instants)
def test_and_allows_an_instant_iff_both_allow(
    built_in: CountryRule | AllOf | NoRule,
    other: SendTimeRule,
    built_in_first: bool,
    zone: str,
    at: datetime,
) -> None:
    """``a & b`` (either order, your own rule on either side) allows an instant exactly when both
    allow it, and its next allowed instant has every property above."""
    both = built_in & other if built_in_first else other & built_in
    assert (built_in.is_allowed(at, zone) and other.is_allowed(at, zone)) == both.is_allowed(
        at, zone
    )
    found = both.next_allowed(at, zone)
    assert built_in.is_allowed(found, zone)
    assert other.is_allowed(found, zone)
    test_next_allowed_is_allowed_minimal_and_idempotent.hypothesis.inner_test(  # type: ignore[attr-defined]
        both, zone, at
    )
