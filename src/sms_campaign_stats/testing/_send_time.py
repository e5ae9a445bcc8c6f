"""The send-time rule contract as tests: ``SendTimeRuleConformance``.

Subclass it in a pytest module and provide a ``rule`` fixture (requires pytest and hypothesis)::

    import pytest
    from sms_campaign_stats.testing import SendTimeRuleConformance

    class TestMyRule(SendTimeRuleConformance):
        @pytest.fixture
        def rule(self):
            return MyRule(...)

Every property is then checked on your rule, in the zones of its country (override the ``zones``
fixture to choose others): ``next_allowed(at, zone)`` is at or after ``at``, allowed, minimal
(nothing allowed strictly between, minute by minute) and idempotent; it never moves back when
``at`` moves forward; and all of that holds around every clock change of those zones.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, ClassVar

import pytest
import pytz

from sms_campaign_stats.send_time import AllOf, SendTimeRule
from sms_campaign_stats.testing._properties import PropertySuite

if TYPE_CHECKING:
    from hypothesis import strategies as st

__all__ = ["FALLBACK_ZONES", "SendTimeRuleConformance", "clock_changes", "zones_of"]

UTC = timezone.utc
_MINUTE = timedelta(minutes=1)

#: The zones a rule is checked in when it names no country: zones with and without daylight
#: saving time, north and south, whole-hour and half-hour shifts.
FALLBACK_ZONES = (
    "America/New_York",
    "America/Santiago",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Europe/London",
    "Europe/Paris",
    "Pacific/Chatham",
    "UTC",
)


def _countries(rule: object) -> set[str]:
    if isinstance(rule, AllOf):
        return {country for inner in rule.rules for country in _countries(inner)}
    country = getattr(rule, "country", None)
    return {country.upper()} if isinstance(country, str) else set()


def zones_of(rule: SendTimeRule) -> tuple[str, ...]:
    """The IANA zones of the rule's country (every country of an ``AllOf``), or
    ``FALLBACK_ZONES`` when it names none that the zone database knows."""
    found = {
        zone for country in _countries(rule) for zone in pytz.country_timezones.get(country, ())
    }
    return tuple(sorted(found)) or FALLBACK_ZONES


@functools.lru_cache(maxsize=64)
def clock_changes(
    zones: tuple[str, ...], first: datetime, last: datetime
) -> tuple[tuple[str, datetime], ...]:
    """Every ``(zone, instant)`` between ``first`` and ``last`` where one of ``zones`` changes
    its offset (daylight saving time starts or ends, or the zone moves)."""
    found: list[tuple[str, datetime]] = []
    for name in zones:
        moments: Iterable[datetime] = getattr(pytz.timezone(name), "_utc_transition_times", ())
        found.extend(
            (name, moment.replace(tzinfo=UTC))
            for moment in moments
            if first <= moment.replace(tzinfo=UTC) <= last
        )
    return tuple(found)


def _name(rule: object) -> str:
    return str(getattr(rule, "id", None) or type(rule).__name__)


class SendTimeRuleConformance(PropertySuite):
    """The ``SendTimeRule`` contract as tests. Subclass it and provide a ``rule`` fixture.

    Class attributes a subclass may change: ``max_examples`` (hypothesis examples per property),
    ``first_instant`` / ``last_instant`` (the instants drawn, UTC) and ``scan`` (how far after
    an instant minimality is checked, minute by minute).
    """

    first_instant: ClassVar[datetime] = datetime(2020, 1, 1, tzinfo=UTC)
    last_instant: ClassVar[datetime] = datetime(2035, 12, 31, tzinfo=UTC)
    scan: ClassVar[timedelta] = timedelta(days=3)

    @pytest.fixture
    def zones(self, rule: SendTimeRule) -> Sequence[str]:
        """The zones the rule is checked in: its country's (``zones_of``). Override to choose."""
        return zones_of(rule)

    # helpers -----------------------------------------------------------------------------

    def instants(self) -> st.SearchStrategy[datetime]:
        """Aware UTC instants between ``first_instant`` and ``last_instant``."""
        from hypothesis import strategies as st

        return st.datetimes(
            min_value=self.first_instant.replace(tzinfo=None),
            max_value=self.last_instant.replace(tzinfo=None),
            timezones=st.just(UTC),
        )

    def check_next_allowed(self, rule: SendTimeRule, zone: str, at: datetime) -> None:
        """``next_allowed(at, zone)`` is aware, at or after ``at``, allowed, idempotent, equal to
        ``at`` exactly when ``at`` is allowed, and minimal: no minute strictly between ``at`` and
        it (within ``scan``) is allowed."""
        where = f"{_name(rule)} in {zone}"
        found = rule.next_allowed(at, zone)
        assert isinstance(found, datetime), f"{where}: next_allowed returned {found!r}"
        assert found.utcoffset() is not None, f"{where}: next_allowed returned naive {found}"
        assert found >= at, f"{where}: next_allowed({at.isoformat()}) = {found.isoformat()}"
        assert rule.is_allowed(found, zone), f"{where}: {found.isoformat()} is not allowed"
        again = rule.next_allowed(found, zone)
        assert found == again, f"{where}: next_allowed({found.isoformat()}) = {again.isoformat()}"
        assert (found == at) == rule.is_allowed(at, zone), (
            f"{where}: is_allowed({at.isoformat()}) disagrees with next_allowed, "
            f"{found.isoformat()}"
        )
        probe = at.replace(second=0, microsecond=0) + _MINUTE
        end = min(found, at + self.scan)
        while probe < end:
            assert not rule.is_allowed(probe, zone), (
                f"{where}: {probe.isoformat()} is allowed, before next_allowed"
                f"({at.isoformat()}) = {found.isoformat()}"
            )
            probe += _MINUTE

    # the contract ------------------------------------------------------------------------

    def test_next_allowed_is_allowed_minimal_and_idempotent(
        self, rule: SendTimeRule, zones: Sequence[str]
    ) -> None:
        """next_allowed(t) >= t, is allowed, nothing is allowed strictly between (minute by
        minute), and applying it again changes nothing."""
        from hypothesis import given
        from hypothesis import strategies as st

        @self.hypothesis_settings()
        @given(zone=st.sampled_from(tuple(zones)), at=self.instants())
        def check(zone: str, at: datetime) -> None:
            self.check_next_allowed(rule, zone, at)

        check()

    def test_next_allowed_is_monotone(self, rule: SendTimeRule, zones: Sequence[str]) -> None:
        """A later request never gets an earlier send time."""
        from hypothesis import given
        from hypothesis import strategies as st

        @self.hypothesis_settings()
        @given(
            zone=st.sampled_from(tuple(zones)),
            at=self.instants(),
            minutes=st.integers(1, 10_000),
        )
        def check(zone: str, at: datetime, minutes: int) -> None:
            later = at + timedelta(minutes=minutes)
            first, second = rule.next_allowed(at, zone), rule.next_allowed(later, zone)
            assert first <= second, (
                f"{_name(rule)} in {zone}: next_allowed({at.isoformat()}) = {first.isoformat()}"
                f" is after next_allowed({later.isoformat()}) = {second.isoformat()}"
            )

        check()

    def test_around_clock_changes(self, rule: SendTimeRule, zones: Sequence[str]) -> None:
        """The same properties within two days of every clock change of the zones."""
        from hypothesis import given
        from hypothesis import strategies as st

        changes = clock_changes(tuple(zones), self.first_instant, self.last_instant)
        if not changes:
            pytest.skip(f"no clock changes in {', '.join(zones)}")

        @self.hypothesis_settings()
        @given(
            change=st.sampled_from(changes),
            minutes=st.integers(-48 * 60, 48 * 60),
            seconds=st.integers(0, 59),
        )
        def check(change: tuple[str, datetime], minutes: int, seconds: int) -> None:
            zone, moment = change
            at = moment + timedelta(minutes=minutes, seconds=seconds)
            self.check_next_allowed(rule, zone, at)

        check()
