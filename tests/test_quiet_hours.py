"""Send-time rules: worked examples, every country rule, DST, registries, zones and policies."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, ClassVar

import pytest
import pytz

from sms_campaign_stats import BounceReason, ValidationError
from sms_campaign_stats.errors import (
    DeferralHorizonError,
    OutsideAllowedHoursError,
    UnknownTimeZoneError,
)
from sms_campaign_stats.quiet_hours import (
    DEFAULT_RULES,
    AllOf,
    CountryRule,
    HolidayCalendar,
    NoRule,
    OutsideWindow,
    SendTimeRule,
    Source,
    WeeklySchedule,
    Window,
    ZoneFallback,
    ZonePolicy,
    next_allowed_in_zones,
    plan_send_time,
    resolve_zones,
    rule_for,
)

UTC = timezone.utc


def local(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall time in ``zone``, localized the pytz way."""
    return pytz.timezone(zone).localize(datetime(year, month, day, hour, minute), is_dst=None)


def wall(moment: datetime, zone: str) -> str:
    """``moment`` as ISO wall time with offset in ``zone``."""
    return moment.astimezone(pytz.timezone(zone)).isoformat(timespec="minutes")


class RuleContract:
    """Checks every country rule must pass; subclasses name the rule and their own cases.

    ``cases`` are (zone, local wall time as a tuple, expected next allowed wall time ISO).
    """

    rule_id: ClassVar[str]
    country: ClassVar[str]
    subdivision: ClassVar[str | None] = None
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = []

    @pytest.fixture
    def rule(self) -> SendTimeRule:
        """The rule under test, as rule_for gives it."""
        found = rule_for(self.country, subdivision=self.subdivision)
        assert self.rule_id == found.id
        return found

    def test_cases(self, rule: SendTimeRule) -> None:
        """The worked examples give the expected next allowed instants."""
        for zone, parts, expected in self.cases:
            at = local(zone, *parts)
            assert expected == wall(rule.next_allowed(at, zone), zone)

    def test_is_a_rule_with_sources(self, rule: SendTimeRule) -> None:
        """The rule satisfies the protocol and cites where it comes from."""
        assert isinstance(rule, SendTimeRule)
        parts = rule.rules if isinstance(rule, AllOf) else (rule,)
        for part in parts:
            assert isinstance(part, CountryRule)
            assert part.sources
            assert part.category == "marketing"

    def test_consistent_over_a_fortnight(self, rule: SendTimeRule) -> None:
        """At every half hour of two weeks: next_allowed is allowed, and equals the instant when
        the instant is allowed."""
        zone = self.cases[0][0] if self.cases else "UTC"
        start = datetime(2026, 3, 23, tzinfo=UTC)
        for step in range(14 * 48):
            at = start + timedelta(minutes=30 * step)
            found = rule.next_allowed(at, zone)
            assert found >= at
            assert rule.is_allowed(found, zone)
            assert (found == at) == rule.is_allowed(at, zone)


class TestFrance(RuleContract):
    """France since 1 Sept 2024 (af2m): Mon-Sat 08:00-22:00, no Sundays or public holidays."""

    rule_id, country = "fr-af2m-2024", "FR"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("Europe/Paris", (2026, 5, 9, 22, 30), "2026-05-11T08:00+02:00"),  # Saturday night
        ("Europe/Paris", (2026, 5, 13, 23, 0), "2026-05-15T08:00+02:00"),  # eve of Ascension
        ("Europe/Paris", (2026, 4, 2, 23, 0), "2026-04-03T08:00+02:00"),  # Good Friday: Paris
        ("Europe/Paris", (2026, 3, 28, 23, 0), "2026-03-30T08:00+02:00"),  # summer time night
        ("Europe/Paris", (2026, 5, 12, 10, 0), "2026-05-12T10:00+02:00"),  # allowed now
        ("Europe/Paris", (2026, 5, 12, 21, 59), "2026-05-12T21:59+02:00"),
        ("Europe/Paris", (2026, 5, 12, 22, 0), "2026-05-13T08:00+02:00"),  # end is exclusive
    ]


class TestMoselle(RuleContract):
    """Moselle adds Good Friday and 26 December to the French holidays."""

    rule_id, country, subdivision = "fr-af2m-2024/57", "FR", "57"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("Europe/Paris", (2026, 4, 2, 23, 0), "2026-04-04T08:00+02:00"),
        ("Europe/Paris", (2026, 12, 25, 9, 0), "2026-12-28T08:00+01:00"),
    ]


class TestReunion(RuleContract):
    """Réunion: French rule, local time, its own abolition day (20 December)."""

    rule_id, country = "fr-af2m-2024/974", "RE"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("Indian/Reunion", (2026, 12, 18, 23, 0), "2026-12-19T08:00+04:00"),
        ("Indian/Reunion", (2026, 12, 19, 23, 0), "2026-12-21T08:00+04:00"),
    ]


class TestMartinique(RuleContract):
    """Martinique: its abolition day is 22 May."""

    rule_id, country = "fr-af2m-2024/972", "MQ"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("America/Martinique", (2026, 5, 21, 23, 0), "2026-05-23T08:00-04:00"),
    ]


class TestUnitedStates(RuleContract):
    """US federal (TCPA): 08:00-21:00 every day."""

    rule_id, country = "us-tcpa", "US"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("America/New_York", (2026, 7, 4, 21, 30), "2026-07-05T08:00-04:00"),
        ("America/Los_Angeles", (2026, 3, 8, 7, 0), "2026-03-08T08:00-07:00"),  # DST day
    ]


class TestTexas(RuleContract):
    """Texas: Mon-Sat 09:00-21:00, Sunday 12:00-21:00, with the federal rule."""

    rule_id, country, subdivision = "us-tcpa+us-tx", "US", "TX"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("America/Chicago", (2026, 5, 10, 8, 0), "2026-05-10T12:00-05:00"),  # Sunday
        ("America/Chicago", (2026, 5, 11, 8, 0), "2026-05-11T09:00-05:00"),
    ]


class TestFlorida(RuleContract):
    """Florida: 08:00-20:00."""

    rule_id, country, subdivision = "us-tcpa+us-fl", "US", "FL"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("America/New_York", (2026, 5, 11, 20, 30), "2026-05-12T08:00-04:00"),
    ]


class TestRhodeIsland(RuleContract):
    """Rhode Island, R.I. Gen. Laws 5-61-2(2) and 5-61-3.6: Mon-Fri 09:00-18:00, Saturday
    10:00-17:00, no Sunday, closed on state and federal holidays (issue 16, correction 2)."""

    rule_id, country, subdivision = "us-tcpa+us-ri", "US", "RI"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("America/New_York", (2026, 5, 9, 17, 0), "2026-05-11T09:00-04:00"),  # Sat 17:00: Mon
        ("America/New_York", (2026, 5, 10, 12, 0), "2026-05-11T09:00-04:00"),  # no Sunday
        ("America/New_York", (2026, 5, 9, 9, 30), "2026-05-09T10:00-04:00"),  # Saturday 10:00
        ("America/New_York", (2026, 5, 8, 17, 59), "2026-05-08T17:59-04:00"),  # Friday
        ("America/New_York", (2026, 5, 25, 10, 0), "2026-05-26T09:00-04:00"),  # Memorial Day
        ("America/New_York", (2026, 8, 10, 10, 0), "2026-08-11T09:00-04:00"),  # Victory Day (RI)
    ]


class TestNewJersey(RuleContract):
    """New Jersey, N.J.S.A. 56:8-128(d): nothing from 21:00 to 08:00, so 08:00-21:00 (issue 16,
    correction 3: the statute, not the vendors' 20:00)."""

    rule_id, country, subdivision = "us-tcpa+us-nj", "US", "NJ"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("America/New_York", (2026, 5, 11, 20, 30), "2026-05-11T20:30-04:00"),  # allowed
        ("America/New_York", (2026, 5, 11, 21, 0), "2026-05-12T08:00-04:00"),
        ("America/New_York", (2026, 5, 10, 7, 59), "2026-05-10T08:00-04:00"),  # Sunday too
    ]


class TestMississippi(RuleContract):
    """Mississippi, Miss. Code Ann. 77-3-723(1): 08:00-20:00, no Sunday; holidays open since
    the 2024 repeal of the commission's holiday rule (issue 16)."""

    rule_id, country, subdivision = "us-tcpa+us-ms", "US", "MS"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("America/Chicago", (2026, 5, 10, 12, 0), "2026-05-11T08:00-05:00"),  # Sunday
        ("America/Chicago", (2026, 5, 25, 12, 0), "2026-05-25T12:00-05:00"),  # Memorial Day
        ("America/Chicago", (2026, 5, 11, 20, 0), "2026-05-12T08:00-05:00"),
    ]


class TestNevada(RuleContract):
    """Nevada, NRS 597.814(2)(a): nothing between 21:00 and 09:00 (issue 16: 21:00, not the
    vendor table's 20:00)."""

    rule_id, country, subdivision = "us-tcpa+us-nv", "US", "NV"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("America/Los_Angeles", (2026, 5, 11, 20, 30), "2026-05-11T20:30-07:00"),
        ("America/Los_Angeles", (2026, 5, 11, 8, 30), "2026-05-11T09:00-07:00"),
    ]


class TestSouthAfrica(RuleContract):
    """South Africa: Mon-Fri 08:00-20:00, Sat 09:00-13:00, no Sundays or public holidays."""

    rule_id, country = "za-cpa-2011", "ZA"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("Africa/Johannesburg", (2026, 5, 9, 13, 0), "2026-05-11T08:00+02:00"),
        ("Africa/Johannesburg", (2026, 4, 26, 10, 0), "2026-04-28T08:00+02:00"),  # 27 Apr
    ]


class TestIndia(RuleContract):
    """India since October 2025: 10:00-21:00 IST."""

    rule_id, country = "in-2025-10", "IN"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("Asia/Kolkata", (2026, 5, 11, 9, 0), "2026-05-11T10:00+05:30"),
    ]


class TestItaly(RuleContract):
    """Italy: 08:00-22:00, no Sundays."""

    rule_id, country = "it-twilio", "IT"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("Europe/Rome", (2026, 5, 9, 22, 0), "2026-05-11T08:00+02:00"),
    ]


class TestBrazil(RuleContract):
    """Brazil: 09:00-22:00, no Sundays, in the recipient's own zone."""

    rule_id, country = "br-twilio", "BR"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("America/Manaus", (2026, 5, 11, 8, 0), "2026-05-11T09:00-04:00"),
    ]


class TestUnitedArabEmirates(RuleContract):
    """UAE: 07:00-21:00 every day."""

    rule_id, country = "ae-tdra", "AE"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("Asia/Dubai", (2026, 5, 8, 21, 0), "2026-05-09T07:00+04:00"),
    ]


class TestSaudiArabia(RuleContract):
    """Saudi Arabia: 09:00-22:00, the stricter of CITC 395/1439 as quoted (22:00-08:00
    forbidden) and Unifonic's CST compliance page (09:00-22:00) (issue 16)."""

    rule_id, country = "sa-citc", "SA"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("Asia/Riyadh", (2026, 5, 8, 7, 0), "2026-05-08T09:00+03:00"),
        ("Asia/Riyadh", (2026, 5, 8, 21, 59), "2026-05-08T21:59+03:00"),
        ("Asia/Riyadh", (2026, 5, 8, 22, 0), "2026-05-09T09:00+03:00"),
    ]


class TestVietnam(RuleContract):
    """Vietnam: 07:00-22:00."""

    rule_id, country = "vn-decree-91-2020", "VN"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("Asia/Ho_Chi_Minh", (2026, 5, 8, 22, 0), "2026-05-09T07:00+07:00"),
    ]


class TestThailand(RuleContract):
    """Thailand: 09:00-21:00."""

    rule_id, country = "th-twilio", "TH"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("Asia/Bangkok", (2026, 5, 8, 21, 0), "2026-05-09T09:00+07:00"),
    ]


class TestTaiwan(RuleContract):
    """Taiwan: two windows a day, 09:00-12:30 and 13:30-21:00."""

    rule_id, country = "tw-twilio", "TW"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("Asia/Taipei", (2026, 5, 8, 12, 45), "2026-05-08T13:30+08:00"),
        ("Asia/Taipei", (2026, 5, 8, 12, 29), "2026-05-08T12:29+08:00"),
        ("Asia/Taipei", (2026, 5, 8, 21, 0), "2026-05-09T09:00+08:00"),
    ]


class TestColombia(RuleContract):
    """Colombia: Mon-Fri 07:00-19:00, Sat 08:00-15:00, no Sundays or holidays."""

    rule_id, country = "co-ley-2300-2023", "CO"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("America/Bogota", (2026, 5, 9, 15, 0), "2026-05-11T07:00-05:00"),
    ]


class TestJordan(RuleContract):
    """Jordan: 07:00-21:00."""

    rule_id, country = "jo-trc", "JO"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("Asia/Amman", (2026, 5, 8, 6, 0), "2026-05-08T07:00+03:00"),
    ]


class TestChina(RuleContract):
    """China: 07:00-21:00."""

    rule_id, country = "cn-smn", "CN"
    cases: ClassVar[list[tuple[str, tuple[int, ...], str]]] = [
        ("Asia/Shanghai", (2026, 5, 8, 21, 0), "2026-05-09T07:00+08:00"),
    ]


def test_every_built_in_default_has_a_test_class() -> None:
    """Each country's default rule is covered by a RuleContract subclass above."""
    tested = {cls.rule_id for cls in RuleContract.__subclasses__()}
    defaults = {
        DEFAULT_RULES.rules[ids[-1]].id
        for (country, subdivision, _), ids in DEFAULT_RULES.editions.items()
        if subdivision is None
    }
    assert defaults <= tested


def test_versions_and_variants() -> None:
    """rule_for gives the edition in force on a day; older and variant rules by id."""
    assert "fr-legacy-20h" == rule_for("FR", on=date(2024, 8, 31)).id
    assert "fr-af2m-2024" == rule_for("FR", on=date(2024, 9, 1)).id
    assert "in-legacy" == rule_for("IN", on=date(2025, 10, 12)).id
    legacy = DEFAULT_RULES.by_id("fr-legacy-20h")
    assert "2026-05-12T08:00+02:00" == wall(
        legacy.next_allowed(local("Europe/Paris", 2026, 5, 11, 20, 0), "Europe/Paris"),
        "Europe/Paris",
    )
    short_codes = DEFAULT_RULES.by_id("br-short-codes")
    assert not short_codes.is_allowed(
        local("America/Sao_Paulo", 2026, 5, 11, 18, 30), "America/Sao_Paulo"
    )
    assert "fr-af2m-2024/6AE" == rule_for("FR", subdivision="67").id
    assert "fr-af2m-2024" == rule_for("FR", subdivision="75").id  # no rule of its own
    assert "us-tcpa" == rule_for("US", subdivision="CA").id
    with pytest.raises(ValidationError, match="not one of"):
        DEFAULT_RULES.by_id("xx")


def test_countries_without_rules_and_exempt_categories() -> None:
    """No rule: allowed at any time, said, never an error. Transactional messages are exempt."""
    germany = rule_for("DE")
    assert isinstance(germany, NoRule)
    at = datetime(2026, 5, 10, 3, 0, tzinfo=UTC)
    assert germany.is_allowed(at, "Europe/Berlin")
    assert at == germany.next_allowed(at, "Europe/Berlin")
    assert "none:DE" == germany.id
    assert "exempt" in rule_for("FR", category="transactional").reason  # type: ignore[attr-defined]
    for bad in ("fr", "FRA", "", 33):
        with pytest.raises(ValidationError):
            rule_for(bad)  # type: ignore[arg-type]


def test_registry_is_yours_to_extend() -> None:
    """with_rule returns a copy; the default registry is untouched."""
    quiet = CountryRule(
        id="my-shop-quiet",
        country="DE",
        title="our own quiet hours",
        schedule=WeeklySchedule.every_day("10:00", "19:00"),
        sources=(Source("LIB", "our policy"),),
    )
    mine = DEFAULT_RULES.with_rule(quiet, country="DE")
    assert "my-shop-quiet" == mine.rule_for("DE").id
    assert isinstance(rule_for("DE"), NoRule)
    stricter = mine.with_rule(AllOf((rule_for("FR"), quiet), id="fr+mine"), country="FR")
    assert "fr+mine" == stricter.rule_for("FR").id
    with pytest.raises(ValidationError):
        DEFAULT_RULES.with_rule("not a rule")  # type: ignore[arg-type]


def test_composition_takes_the_strictest() -> None:
    """France and 'never before 10:00' together: 10:00 on Monday."""
    late = CountryRule(
        id="not-before-10",
        country="FR",
        title="mine",
        schedule=WeeklySchedule.every_day("10:00", "24:00"),
        sources=(Source("LIB", "ours"),),
    )
    both = AllOf((rule_for("FR"), late))
    assert "fr-af2m-2024+not-before-10" == both.id
    at = local("Europe/Paris", 2026, 5, 9, 22, 30)
    assert "2026-05-11T10:00+02:00" == wall(both.next_allowed(at, "Europe/Paris"), "Europe/Paris")
    assert not both.is_allowed(local("Europe/Paris", 2026, 5, 11, 9, 0), "Europe/Paris")
    with pytest.raises(ValidationError):
        AllOf(())
    with pytest.raises(ValidationError):
        AllOf(("nope",))  # type: ignore[arg-type]


class ClosedOnTheFirst:
    """A user's own rule, no base class: nothing on the first day of a month (UTC)."""

    id = "closed-on-the-first"

    def is_allowed(self, at: datetime, zone: str) -> bool:
        """Every day but the first of the month."""
        return at.astimezone(UTC).day != 1

    def next_allowed(self, at: datetime, zone: str) -> datetime:
        """Midnight on the 2nd, when ``at`` is on the 1st."""
        if self.is_allowed(at, zone):
            return at
        return at.astimezone(UTC).replace(day=2, hour=0, minute=0, second=0, microsecond=0)


def test_and_is_all_of() -> None:
    """``a & b`` is ``AllOf(a, b)`` for every built-in rule class; nested ``AllOf`` are flattened;
    a rule of your own may be on either side; anything else is refused."""
    france = DEFAULT_RULES.rules["fr-af2m-2024"]
    late = custom({"mon-sun": [("10:00", "24:00")]}, "not-before-10")
    assert isinstance(france, CountryRule)
    assert AllOf(france, late) == france & late
    assert "fr-af2m-2024+not-before-10" == (france & late).id
    assert AllOf((france, late)) == AllOf(france, late)  # one sequence, as before
    none = NoRule("DE", "no rule")
    assert AllOf(none, late) == none & late
    texas = rule_for("US", subdivision="TX")
    assert isinstance(texas, AllOf)
    federal, state = texas.rules
    assert AllOf(federal, state, late) == texas & late
    assert AllOf(late, federal, state) == late & texas
    assert AllOf(federal, state, federal, state) == texas & texas
    assert (france & late) & none == france & (late & none) == AllOf(france, late, none)
    assert "us-tcpa+us-tx+not-before-10" == (AllOf(federal, state, id="tx") & late).id
    mine = ClosedOnTheFirst()
    assert AllOf(france, mine) == france & mine
    assert AllOf(mine, france) == mine & france
    assert AllOf(federal, state, mine) == texas & mine
    for bad in ("FR", 3, None, (france,)):
        with pytest.raises(ValidationError, match="not a SendTimeRule"):
            france & bad  # type: ignore[operator]
        with pytest.raises(ValidationError, match="not a SendTimeRule"):
            bad & france  # type: ignore[operator]


def test_and_takes_the_strictest() -> None:
    """France ``&`` not before 10:00 ``&`` never on the 1st (UTC): Saturday 31 October at 22:30
    waits for Monday 2 November at 10:00 (Sunday 1 November is closed by all three); Sunday
    28 February at 23:00 waits past Monday 1 March, for Tuesday at 10:00."""
    late = custom({"mon-sun": [("10:00", "24:00")]}, "not-before-10")
    france = DEFAULT_RULES.rules["fr-af2m-2024"]
    assert isinstance(france, CountryRule)
    strict = france & late & ClosedOnTheFirst()
    paris = "Europe/Paris"
    saturday = local(paris, 2026, 10, 31, 22, 30)
    assert "2026-11-02T10:00+01:00" == wall(strict.next_allowed(saturday, paris), paris)
    monday_first = local(paris, 2027, 2, 28, 23, 0)  # Sunday 28 February, then Monday 1 March
    assert "2027-03-02T10:00+01:00" == wall(strict.next_allowed(monday_first, paris), paris)
    assert not strict.is_allowed(local(paris, 2027, 3, 1, 12, 0), paris)
    assert strict.is_allowed(local(paris, 2027, 3, 2, 12, 0), paris)


def custom(spec: dict[str, list[tuple[str, str]]], rule_id: str = "custom") -> CountryRule:
    """A rule built from plain data."""
    return CountryRule(
        id=rule_id,
        country="US",
        title="test",
        schedule=WeeklySchedule.from_spec(spec),
        sources=(Source("LIB", "a test"),),
    )


def test_dst_gap_and_overlap_edges() -> None:
    """Start in a gap: the transition instant; start in an overlap: the later occurrence; end in
    an overlap: the earlier occurrence."""
    ny = "America/New_York"
    gap = custom({"mon-sun": [("02:30", "05:00")]})
    spring = datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # 00:00 EST, the day clocks go forward
    assert "2026-03-08T03:00-04:00" == wall(gap.next_allowed(spring, ny), ny)
    overlap = custom({"mon-sun": [("01:30", "03:00")]})
    autumn = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # 00:00 EDT, the day clocks go back
    assert "2026-11-01T01:30-05:00" == wall(overlap.next_allowed(autumn, ny), ny)
    ends_in_overlap = custom({"mon-sun": [("00:30", "01:30")]})
    first_0130 = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, the earlier one
    assert not ends_in_overlap.is_allowed(first_0130, ny)
    assert ends_in_overlap.is_allowed(first_0130 - timedelta(minutes=1), ny)


def test_midnight_transitions_give_the_right_day() -> None:
    """Havana skips midnight on its DST day; the Azores change at midnight: days stay right."""
    havana = "America/Havana"
    night = custom({"mon-sun": [("00:00", "06:00")]})
    day_of_change = datetime(2026, 3, 8, 4, 0, tzinfo=UTC)  # 23:00 CST on 7 March
    assert "2026-03-08T01:00-04:00" == wall(night.next_allowed(day_of_change, havana), havana)
    sunday_only = custom({"sun": [("00:00", "24:00")]})
    azores = "Atlantic/Azores"
    saturday_late = local(azores, 2026, 3, 28, 23, 30)  # clocks go forward at midnight
    assert "2026-03-29T01:00+00:00" == wall(sunday_only.next_allowed(saturday_late, azores), azores)


def test_us_number_in_two_zones() -> None:
    """A +1 208 number may be in Boise or Los Angeles: 08:00 Los Angeles is the first allowed."""
    at = datetime(2026, 6, 1, 14, 30, tzinfo=UTC)
    zones = resolve_zones(("America/Boise", "America/Los_Angeles"), at=at)
    assert ("America/Boise", "America/Los_Angeles") == zones.zones
    found = next_allowed_in_zones(rule_for("US"), at, zones.zones)
    assert datetime(2026, 6, 1, 15, 0, tzinfo=UTC) == found
    with pytest.raises(ValidationError):
        next_allowed_in_zones(rule_for("US"), at, ())


def test_zone_resolution() -> None:
    """Explicit wins; Etc/Unknown is no zone; wide spans refuse or use the representative."""
    at = datetime(2026, 6, 1, 12, tzinfo=UTC)
    russia = ("Europe/Moscow", "Asia/Kamchatka", "Etc/Unknown")
    assert ("Asia/Tokyo",) == resolve_zones(russia, at=at, explicit="Asia/Tokyo").zones
    refused = resolve_zones(russia, at=at, country="RU")
    assert ((), "none") == (refused.zones, refused.basis)
    assert "give the recipient's zone explicitly" in str(refused.refused)
    lenient = ZonePolicy(fallback=ZoneFallback.REPRESENTATIVE)
    assert ("Europe/Moscow",) == resolve_zones(russia, at=at, country="RU", policy=lenient).zones
    assert "none" == resolve_zones(russia, at=at, country="XX", policy=lenient).basis
    assert "number" == resolve_zones(("Europe/Paris", "Etc/Unknown"), at=at).basis
    with pytest.raises(UnknownTimeZoneError):
        resolve_zones(("Mars/Olympus",), at=at)
    with pytest.raises(UnknownTimeZoneError):
        resolve_zones((), at=at, explicit="Etc/Unknown")
    for bad in ({"max_span": timedelta(hours=-1)}, {"fallback": "refuse"}):
        with pytest.raises(ValidationError):
            ZonePolicy(**bad)


def test_outside_window_policies() -> None:
    """DEFER gives the next allowed time, DROP a soft bounce, RAISE an error; refusals explain."""
    at = local("Europe/Paris", 2026, 5, 9, 22, 30)
    common: dict[str, Any] = {"country": "FR", "candidate_zones": ("Europe/Paris",)}
    deferred = plan_send_time(at, **common)
    assert ("defer", "2026-05-11T08:00+02:00") == (
        deferred.action,
        wall(deferred.send_at, "Europe/Paris"),  # type: ignore[arg-type]
    )
    assert not deferred.allowed_now
    dropped = plan_send_time(at, action=OutsideWindow.DROP, **common)
    assert ("drop", None, BounceReason.SENT_OUTSIDE_ALLOWED_HOURS) == (
        dropped.action,
        dropped.send_at,
        dropped.reason,
    )
    with pytest.raises(OutsideAllowedHoursError) as caught:
        plan_send_time(at, action=OutsideWindow.RAISE, **common)
    assert "fr-af2m-2024" == caught.value.rule_id
    with pytest.raises(DeferralHorizonError):
        plan_send_time(at, horizon=timedelta(hours=1), **common)
    now_ok = plan_send_time(local("Europe/Paris", 2026, 5, 11, 9, 0), **common)
    assert now_ok.allowed_now
    no_zone = plan_send_time(at, country="FR")
    assert ("refuse", None) == (no_zone.action, no_zone.send_at)
    anywhere = plan_send_time(at, country="DE")
    assert ("send", at) == (anywhere.action, anywhere.send_at)
    assert "send" == plan_send_time(at, country=None).action
    with pytest.raises(ValidationError):
        plan_send_time(at, horizon=timedelta(0), **common)


def test_a_rule_that_never_allows() -> None:
    """A rule with no window at all: a typed error, not an endless search."""
    never = custom({})
    with pytest.raises(DeferralHorizonError):
        never.next_allowed(datetime(2026, 1, 1, tzinfo=UTC), "UTC")
    with pytest.raises(DeferralHorizonError):
        AllOf((never, rule_for("US"))).next_allowed(datetime(2026, 1, 1, tzinfo=UTC), "UTC")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(DeferralHorizonError):
        plan_send_time(at, country="US", candidate_zones=("UTC",), rule=never)
    dropped = plan_send_time(
        at, country="US", candidate_zones=("UTC",), rule=never, action=OutsideWindow.DROP
    )
    assert "drop" == dropped.action


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"mon": [("08:00", "07:00")]}, "start < end"),
        ({"mon": [("8:00", "09:00")]}, "time of day"),
        ({"mon": [("08:00", "24:01")]}, "time of day"),
        ({"mon": [("08:00", "12:00"), ("11:00", "13:00")]}, "overlap"),
        ({"mon": [("08:00", "12:00")], "mon-fri": [("09:00", "10:00")]}, "twice"),
        ({"monday": [("08:00", "12:00")]}, "days such as"),
        ({"fri-mon": [("08:00", "12:00")]}, "backwards"),
        ({"mon": "08:00-12:00"}, "list of windows"),
        ({"mon": [("08:00",)]}, "not a window"),
    ],
)
def test_schedules_from_plain_data_are_checked(spec: Any, problem: str) -> None:
    """Bad plain data is refused with what was wrong."""
    with pytest.raises(ValidationError, match=problem):
        WeeklySchedule.from_spec(spec)


def test_schedule_building_blocks() -> None:
    """Windows print as HH:MM; schedules describe themselves; a mapping is required."""
    assert "08:00-24:00" == str(Window.parse("08:00", "24:00"))
    schedule = WeeklySchedule.from_spec(
        {"mon-fri": [("08:00", "20:00")], "sat": [("09:00", "13:00")]}
    )
    assert "mon-fri 08:00-20:00; sat 09:00-13:00; sun none" == schedule.describe()
    with pytest.raises(ValidationError):
        WeeklySchedule.from_spec([("mon", "08:00")])  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        WeeklySchedule(((),) * 6)
    with pytest.raises(ValidationError):
        Source("RUMOUR", "somebody said")
    with pytest.raises(ValidationError):
        Source("LAW", " ")


def test_holiday_calendars() -> None:
    """Holidays come from the holidays package; one-off days can be added or removed."""
    france = HolidayCalendar("FR")
    assert france.is_holiday(date(2026, 7, 14))
    bridge = france.with_days(extra=[date(2026, 7, 13)], removed=[date(2026, 7, 14)])
    assert (True, False) == (
        bridge.is_holiday(date(2026, 7, 13)),
        bridge.is_holiday(date(2026, 7, 14)),
    )
    with pytest.raises(ValidationError, match="no calendar"):
        HolidayCalendar("XX")
