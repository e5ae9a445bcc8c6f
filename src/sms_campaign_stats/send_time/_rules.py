"""Send-time rules as data: ``CountryRule`` (weekly windows minus holidays), ``NoRule`` and
``AllOf`` (the strictest of several rules), all answering ``is_allowed`` and ``next_allowed``.

The built-in rules compose with ``&``: ``a & b`` is ``AllOf(a, b)``, allowed only when both
allow, as ``&`` means "all must agree" for retry strategies too (``|`` is "either" or "the first
that answers", ``+`` sums waits).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Protocol, cast, overload, runtime_checkable

import attrs

from sms_campaign_stats._core.validate import check_id, check_utc, describe
from sms_campaign_stats.errors import DeferralHorizonError, ValidationError
from sms_campaign_stats.send_time._windows import (
    HolidayCalendar,
    Interval,
    WeeklySchedule,
    day_intervals,
    pytz_zone,
)

__all__ = [
    "SEARCH_DAYS",
    "AllOf",
    "CountryRule",
    "NoRule",
    "SendTimeRule",
    "Source",
    "next_allowed_in_zones",
]

#: How far ``next_allowed`` looks before concluding that a rule allows nothing (over a year,
#: so that any real calendar of holidays and weekly closures finds its next window).
SEARCH_DAYS = 400
_CACHE_LIMIT = 200_000
# Rules are applied between these instants: a local day and SEARCH_DAYS after it must exist.
_FIRST_INSTANT = datetime(1, 1, 3, tzinfo=timezone.utc)
_LAST_INSTANT = datetime(9999, 12, 31, tzinfo=timezone.utc) - timedelta(days=SEARCH_DAYS + 2)
_CONFIDENCE = frozenset({"LAW", "IND", "PROV", "VEND", "OBS", "LIB"})


@runtime_checkable
class SendTimeRule(Protocol):
    """When a message may be sent to a recipient in an IANA time zone.

    ``next_allowed(at, zone)`` is the first allowed instant at or after ``at``;
    ``is_allowed(at, zone)`` says whether ``at`` itself is allowed. ``at`` is an aware datetime.
    """

    @property
    def id(self) -> str:
        """A stable identifier, e.g. ``"fr-af2m-2024"``."""
        ...

    def is_allowed(self, at: datetime, zone: str) -> bool:
        """Whether sending at ``at`` is allowed in ``zone``."""
        ...

    def next_allowed(self, at: datetime, zone: str) -> datetime:
        """The first allowed instant at or after ``at`` in ``zone``."""
        ...


@attrs.frozen
class Source:
    """Where a rule comes from: a confidence tag (LAW, IND, PROV, VEND, OBS, LIB) and a citation."""

    confidence: str
    citation: str

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.confidence, str) or self.confidence not in _CONFIDENCE:
            raise ValidationError("Source.confidence", f"one of {sorted(_CONFIDENCE)}")
        if not isinstance(self.citation, str) or not self.citation.strip():
            raise ValidationError("Source.citation", "must say where the rule comes from")


def _sources(value: object) -> tuple[Source, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValidationError("CountryRule.sources", f"expected Sources, got {describe(value)}")
    found = tuple(value)
    for item in found:
        if not isinstance(item, Source):
            raise ValidationError("CountryRule.sources", f"{describe(item)} is not a Source")
    return found


def _check_rule(rule: CountryRule) -> None:
    """The types of a rule's plain fields (the id and sources are checked by their own)."""
    texts = {"country": rule.country, "title": rule.title, "category": rule.category}
    texts.update(version=rule.version, notes=rule.notes)
    for name, value in texts.items():
        if not isinstance(value, str) or len(value) > 4000:
            raise ValidationError(f"CountryRule.{name}", f"expected a text, got {describe(value)}")
    if rule.subdivision is not None and not isinstance(rule.subdivision, str):
        raise ValidationError("CountryRule.subdivision", f"got {describe(rule.subdivision)}")
    if not isinstance(rule.schedule, WeeklySchedule):
        raise ValidationError("CountryRule.schedule", f"got {describe(rule.schedule)}")
    if rule.holidays is not None and not isinstance(rule.holidays, HolidayCalendar):
        raise ValidationError("CountryRule.holidays", f"got {describe(rule.holidays)}")
    if rule.effective_from is not None and (
        not isinstance(rule.effective_from, date) or isinstance(rule.effective_from, datetime)
    ):
        raise ValidationError("CountryRule.effective_from", f"got {describe(rule.effective_from)}")


def _in_calendar(at: datetime) -> datetime:
    """``at`` if rules can be applied to it: the local days around it and the search for the next
    allowed time stay within the calendar (years 1 to 9999)."""
    if not _FIRST_INSTANT <= at <= _LAST_INSTANT:
        raise ValidationError(
            "at", f"{at.isoformat()} is too close to the ends of the calendar to apply a rule"
        )
    return at


class _AllMustAgree:
    """``a & b``: allowed only when both allow, i.e. ``AllOf(a, b)``. Nested ``AllOf`` are
    flattened (``(a & b) & c`` is ``AllOf(a, b, c)``, with the id ``"a+b+c"``); either side may be
    any ``SendTimeRule``, your own included."""

    __slots__ = ()

    def __and__(self, other: SendTimeRule) -> AllOf:
        return AllOf(*_parts(self), *_parts(other))

    def __rand__(self, other: SendTimeRule) -> AllOf:
        return AllOf(*_parts(other), *_parts(self))


def _parts(rule: object) -> tuple[SendTimeRule, ...]:
    if isinstance(rule, AllOf):
        return rule.rules
    return (cast(SendTimeRule, rule),)  # AllOf checks that it is a rule


@attrs.frozen(kw_only=True)
class CountryRule(_AllMustAgree):
    """Weekly allowed windows, minus a holiday calendar, in the recipient's local time.

    ``category`` is the kind of message it applies to (``"marketing"``); ``version`` and
    ``effective_from`` say which edition of the rule this is; ``sources`` where it comes from.
    """

    id: str = attrs.field(validator=lambda _, __, value: check_id("CountryRule.id", value))
    country: str
    title: str
    schedule: WeeklySchedule
    holidays: HolidayCalendar | None = None
    subdivision: str | None = None
    category: str = "marketing"
    version: str = ""
    effective_from: date | None = None
    sources: tuple[Source, ...] = attrs.field(default=(), converter=_sources)
    notes: str = ""
    _cache: dict[tuple[str, date], tuple[Interval, ...]] = attrs.field(
        factory=dict, init=False, eq=False, repr=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        _check_rule(self)

    def intervals(self, zone: str, day: date) -> tuple[Interval, ...]:
        """The UTC intervals allowed on local ``day`` in ``zone`` (computed once, then cached)."""
        key = (zone, day)
        found = self._cache.get(key)
        if found is None:
            found = day_intervals(self.schedule, self.holidays, pytz_zone(zone), day)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = found
        return found

    def is_allowed(self, at: datetime, zone: str) -> bool:
        """Whether ``at`` falls in an allowed window of its local day in ``zone``."""
        at = _in_calendar(check_utc("at", at))
        day = at.astimezone(pytz_zone(zone)).date()
        return any(start <= at < end for start, end in self.intervals(zone, day))

    def next_allowed(self, at: datetime, zone: str) -> datetime:
        """The first allowed instant at or after ``at``; ``DeferralHorizonError`` if none within
        ``SEARCH_DAYS`` days."""
        at = _in_calendar(check_utc("at", at))
        day = at.astimezone(pytz_zone(zone)).date()
        for _ in range(SEARCH_DAYS):
            for start, end in self.intervals(zone, day):
                if end > at:
                    return start if start > at else at
            day += timedelta(days=1)
        raise DeferralHorizonError(self.id, at, timedelta(days=SEARCH_DAYS))

    def describe(self) -> str:
        """The schedule and holidays in a line."""
        closed = ""
        if self.holidays is not None:
            place = self.holidays.country + (
                f"/{self.holidays.subdivision}" if self.holidays.subdivision else ""
            )
            closed = f"; closed on {place} public holidays"
        return self.schedule.describe() + closed


@attrs.frozen
class NoRule(_AllMustAgree):
    """No send-time rule is known: every instant is allowed. ``reason`` says why."""

    country: str | None
    reason: str

    @property
    def id(self) -> str:
        """``"none"`` or ``"none:XX"``."""
        return "none" if self.country is None else f"none:{self.country}"

    def is_allowed(self, at: datetime, zone: str) -> bool:
        """Always true."""
        check_utc("at", at)
        return True

    def next_allowed(self, at: datetime, zone: str) -> datetime:
        """``at`` itself."""
        return check_utc("at", at)


def _rules(value: Sequence[SendTimeRule]) -> tuple[SendTimeRule, ...]:
    rules = tuple(value)
    if not rules:
        raise ValidationError("AllOf.rules", "needs at least one rule")
    for rule in rules:
        if not isinstance(rule, SendTimeRule):
            raise ValidationError("AllOf.rules", f"{describe(rule)} is not a SendTimeRule")
    return rules


@attrs.frozen(init=False)
class AllOf(_AllMustAgree):
    """Several rules at once: allowed only when every one allows (the strictest wins).

    E.g. a country's rule and your own quiet hours, or US federal and state rules:
    ``AllOf(rule_for("FR"), mine)``, or ``rule_for("FR") & mine``. ``id`` defaults to the rules'
    ids joined by ``+``. The rules may also be given as one sequence, ``AllOf((a, b))``.
    """

    rules: tuple[SendTimeRule, ...] = attrs.field(converter=_rules)
    id: str = ""

    @overload
    def __init__(self, rules: Sequence[SendTimeRule], /, *, id: str = "") -> None: ...

    @overload
    def __init__(self, *rules: SendTimeRule, id: str = "") -> None: ...

    def __init__(self, *rules: SendTimeRule | Sequence[SendTimeRule], id: str = "") -> None:
        given: Sequence[object] = rules
        if len(rules) == 1 and isinstance(rules[0], (tuple, list)):
            given = rules[0]
        self.__attrs_init__(rules=cast(Sequence[SendTimeRule], given), id=id)

    def __attrs_post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", "+".join(rule.id for rule in self.rules))

    def is_allowed(self, at: datetime, zone: str) -> bool:
        """Whether every rule allows ``at``."""
        return all(rule.is_allowed(at, zone) for rule in self.rules)

    def next_allowed(self, at: datetime, zone: str) -> datetime:
        """The first instant every rule allows: each rule moves the candidate forward until none
        needs to (each step only moves forward, to an instant that rule allows)."""
        return _fixed_point(at, [(rule, zone) for rule in self.rules], self.id)


def _fixed_point(at: datetime, pairs: Sequence[tuple[SendTimeRule, str]], rule_id: str) -> datetime:
    candidate = _in_calendar(check_utc("at", at))  # the search's end stays in the calendar
    limit = candidate + timedelta(days=SEARCH_DAYS)
    while candidate <= limit:
        moved = False
        for rule, zone in pairs:
            found = rule.next_allowed(candidate, zone)
            if found != candidate:
                candidate, moved = found, True
        if not moved:
            return candidate
    raise DeferralHorizonError(rule_id, at, timedelta(days=SEARCH_DAYS))


def next_allowed_in_zones(rule: SendTimeRule, at: datetime, zones: Sequence[str]) -> datetime:
    """The first instant ``rule`` allows in every one of ``zones`` at once (a recipient whose zone
    is only known to be one of them)."""
    if not zones:
        raise ValidationError("zones", "at least one zone is needed")
    return _fixed_point(at, [(rule, zone) for zone in zones], rule.id)
