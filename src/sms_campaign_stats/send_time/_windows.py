"""Weekly windows, holiday calendars, and the UTC intervals they allow on a local date.

Everything that touches wall-clock time is here. The rule: work in UTC, and turn a local date's
windows into UTC intervals once, resolving daylight-saving gaps and overlaps the conservative way
the team's send-time reference recommends (section 4.3):

* a window start in a gap (a wall time that does not exist) opens at the transition instant, the
  first instant whose wall time is at or after the start; in an overlap (a wall time that occurs
  twice), at the later occurrence;
* a window end in a gap closes at the transition instant; in an overlap, at the earlier
  occurrence.

Zones are pytz zones, used as pytz requires: ``localize(naive, is_dst=None)`` to find out whether a
wall time is in a gap or an overlap, conversions with ``astimezone``, never ``tzinfo=zone``.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone

import attrs
import holidays
import pytz

from sms_campaign_stats._core.validate import describe
from sms_campaign_stats.errors import UnknownTimeZoneError, ValidationError

__all__ = [
    "WEEKDAYS",
    "HolidayCalendar",
    "Interval",
    "WeeklySchedule",
    "Window",
    "day_intervals",
    "pytz_zone",
]

UTC = timezone.utc
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MINUTES_PER_DAY = 24 * 60
_MICROSECOND = timedelta(microseconds=1)
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")

Interval = tuple[datetime, datetime]  # [start, end) in UTC


def _minutes(field: str, value: str) -> int:
    if not isinstance(value, str) or _CLOCK.fullmatch(value) is None:
        raise ValidationError(
            field, f"{describe(value)} is not a time of day such as '08:00' (or '24:00')"
        )
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@attrs.frozen
class Window:
    """An allowed period of a day, half-open: ``[start, end)``, in minutes since local midnight.

    ``end`` may be 1440 (24:00). A window does not wrap past midnight: write a night window as two.
    """

    start: int
    end: int

    def __attrs_post_init__(self) -> None:
        for edge in (self.start, self.end):
            if isinstance(edge, bool) or not isinstance(edge, int):
                raise ValidationError("Window", f"{describe(edge)} is not a number of minutes")
        if not 0 <= self.start < self.end <= _MINUTES_PER_DAY:
            raise ValidationError(
                "Window",
                f"{describe(self.start)}..{describe(self.end)} is not 0 <= start < end <= 1440",
            )

    @classmethod
    def parse(cls, start: str, end: str) -> Window:
        """A window from ``"HH:MM"`` texts, e.g. ``Window.parse("08:00", "22:00")``."""
        return cls(_minutes("Window.start", start), _minutes("Window.end", end))

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def _day_names(spec: str) -> list[int]:
    """``"mon"``, ``"mon-sat"``, ``"sat,sun"`` -> weekday numbers (Monday is 0)."""
    if not isinstance(spec, str) or len(spec) > 100:
        raise ValidationError("WeeklySchedule", f"{describe(spec)} is not days such as 'mon-sat'")
    days: list[int] = []
    for part in spec.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValidationError(
                "WeeklySchedule", f"{describe(spec)} is not days such as 'mon-sat'"
            )
        a, b = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if b < a:
            raise ValidationError("WeeklySchedule", f"{describe(spec)} runs backwards")
        days.extend(range(a, b + 1))
    return days


@attrs.frozen
class WeeklySchedule:
    """The allowed windows of each weekday (Monday first); a day with none allows nothing."""

    days: tuple[tuple[Window, ...], ...]

    def __attrs_post_init__(self) -> None:
        if len(self.days) != 7:
            raise ValidationError("WeeklySchedule", "needs the windows of 7 days")
        for number, windows in enumerate(self.days):
            for before, after in itertools.pairwise(windows):
                if after.start < before.end:
                    raise ValidationError(
                        "WeeklySchedule", f"{WEEKDAYS[number]}: windows overlap or are not sorted"
                    )

    @classmethod
    def from_spec(cls, spec: Mapping[str, Sequence[Sequence[str]]]) -> WeeklySchedule:
        """From plain data: ``{"mon-fri": [("08:00", "20:00")], "sat": [("09:00", "13:00")]}``.

        Days not named allow nothing. A day named twice is refused.
        """
        if not isinstance(spec, Mapping):
            raise ValidationError("WeeklySchedule", "expected a mapping of days to windows")
        days: list[tuple[Window, ...] | None] = [None] * 7
        for names, windows in spec.items():
            days_named = _day_names(names)
            if not isinstance(windows, (list, tuple)):
                raise ValidationError("WeeklySchedule", f"{names}: expected a list of windows")
            parsed = []
            for pair in windows:
                if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
                    raise ValidationError(
                        "WeeklySchedule", f"{names}: {describe(pair)} is not a window"
                    )
                parsed.append(Window.parse(pair[0], pair[1]))
            for day in days_named:
                if days[day] is not None:
                    raise ValidationError("WeeklySchedule", f"{WEEKDAYS[day]} is given twice")
                days[day] = tuple(sorted(parsed, key=lambda w: w.start))
        return cls(tuple(day or () for day in days))

    @classmethod
    def every_day(cls, start: str, end: str) -> WeeklySchedule:
        """The same window every day."""
        window = Window.parse(start, end)
        return cls(tuple((window,) for _ in range(7)))

    def describe(self) -> str:
        """A compact text: ``mon-sat 08:00-22:00; sun none``."""
        groups: list[tuple[int, int, str]] = []
        for number, windows in enumerate(self.days):
            text = ", ".join(str(w) for w in windows) or "none"
            if groups and groups[-1][2] == text:
                groups[-1] = (groups[-1][0], number, text)
            else:
                groups.append((number, number, text))
        return "; ".join(
            (WEEKDAYS[a] if a == b else f"{WEEKDAYS[a]}-{WEEKDAYS[b]}") + f" {text}"
            for a, b, text in groups
        )


_COUNTRY = re.compile(r"[A-Z]{2,3}")
_SUBDIVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}")


def _dates(value: Iterable[date]) -> frozenset[date]:
    """Converter: a frozenset from any collection of dates; anything else is passed on for the
    check to refuse by name."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        return value  # type: ignore[return-value]
    try:
        return frozenset(value)
    except TypeError:  # unhashable items
        return value  # type: ignore[return-value]


@functools.lru_cache(maxsize=1024)
def _country_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


@attrs.frozen
class HolidayCalendar:
    """Public holidays from the ``holidays`` package, plus days you add or remove.

    ``subdivision`` is the package's code (``"57"`` Moselle, ``"974"`` Réunion, ``"TX"``).
    """

    country: str
    subdivision: str | None = None
    extra: frozenset[date] = attrs.field(default=frozenset(), converter=_dates)
    removed: frozenset[date] = attrs.field(default=frozenset(), converter=_dates)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.country, str) or _COUNTRY.fullmatch(self.country) is None:
            raise ValidationError(
                "HolidayCalendar.country",
                f"{describe(self.country)} is not a country code such as 'FR'",
            )
        if self.subdivision is not None and (
            not isinstance(self.subdivision, str)
            or _SUBDIVISION.fullmatch(self.subdivision) is None
        ):
            raise ValidationError(
                "HolidayCalendar.subdivision",
                f"{describe(self.subdivision)} is not a subdivision code such as '57' or 'TX'",
            )
        for name, days in (("extra", self.extra), ("removed", self.removed)):
            if not isinstance(days, frozenset) or not all(
                isinstance(day, date) and not isinstance(day, datetime) for day in days
            ):
                raise ValidationError(
                    f"HolidayCalendar.{name}", f"expected dates, got {describe(days)}"
                )
        try:
            _country_holidays(self.country, self.subdivision, 2026)
        except (NotImplementedError, KeyError, ValueError, AttributeError) as error:
            raise ValidationError(
                "HolidayCalendar",
                f"the holidays package has no calendar for {self.country}"
                f"{'/' + self.subdivision if self.subdivision else ''} ({error})",
            ) from None

    def is_holiday(self, day: date) -> bool:
        """True when ``day`` is a public holiday of this calendar."""
        if day in self.removed:
            return False
        return day in self.extra or day in _country_holidays(
            self.country, self.subdivision, day.year
        )

    def with_days(
        self, extra: Iterable[date] = (), removed: Iterable[date] = ()
    ) -> HolidayCalendar:
        """A copy with one-off days added (a decree, a bridge day) or removed."""
        return attrs.evolve(
            self, extra=self.extra | frozenset(extra), removed=self.removed | frozenset(removed)
        )


def pytz_zone(name: str) -> pytz.BaseTzInfo:
    """The pytz zone of an IANA name; ``UnknownTimeZoneError`` (a ValidationError) otherwise."""
    if not isinstance(name, str) or name in ("", "Etc/Unknown") or len(name) > 64:
        raise UnknownTimeZoneError(name if isinstance(name, str) else describe(name))
    return _pytz_zone(name)


@functools.lru_cache(maxsize=1024)
def _pytz_zone(name: str) -> pytz.BaseTzInfo:
    try:
        return pytz.timezone(name)
    except (pytz.UnknownTimeZoneError, ValueError, UnicodeError):
        raise UnknownTimeZoneError(name) from None


def _wall(moment: datetime, zone: pytz.BaseTzInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _resolve(zone: pytz.BaseTzInfo, wall: datetime, *, start: bool) -> datetime:
    """The UTC instant of a window edge at local ``wall`` time, DST gaps and overlaps resolved."""
    try:
        return zone.localize(wall, is_dst=None).astimezone(UTC)
    except pytz.AmbiguousTimeError:
        a = zone.localize(wall, is_dst=True).astimezone(UTC)
        b = zone.localize(wall, is_dst=False).astimezone(UTC)
        return max(a, b) if start else min(a, b)  # start: later occurrence; end: earlier
    except pytz.NonExistentTimeError:
        a = zone.localize(wall, is_dst=True).astimezone(UTC)
        b = zone.localize(wall, is_dst=False).astimezone(UTC)
        low, high = min(a, b), max(a, b)
        # The transition instant: the first instant whose wall time is at or after ``wall``
        # (the wall time at ``low`` is before the gap, at ``high`` after it).
        while high - low > _MICROSECOND:
            middle = low + (high - low) // 2
            if _wall(middle, zone) >= wall:
                high = middle
            else:
                low = middle
        return high


def day_intervals(
    schedule: WeeklySchedule,
    calendar: HolidayCalendar | None,
    zone: pytz.BaseTzInfo,
    day: date,
) -> tuple[Interval, ...]:
    """The UTC intervals ``schedule`` allows on local ``day`` in ``zone``; none on holidays."""
    if calendar is not None and calendar.is_holiday(day):
        return ()
    midnight = datetime.combine(day, time())
    intervals = []
    for window in schedule.days[day.weekday()]:
        start = _resolve(zone, midnight + timedelta(minutes=window.start), start=True)
        end = _resolve(zone, midnight + timedelta(minutes=window.end), start=False)
        if start < end:
            intervals.append((start, end))
    return tuple(intervals)
