"""When a marketing SMS may be sent: country rules, the recipient's zone, and what to do outside.

* ``rule_for(country, subdivision=..., category=...)`` returns the built-in ``SendTimeRule``
  (``is_allowed(at, zone)``, ``next_allowed(at, zone)``); a country without a rule gets a
  ``NoRule`` that allows every instant and says so, never an error. Rules are data
  (``CountryRule``: weekly windows, a holiday calendar, an id, a version, sources) and compose
  (``a & b``, i.e. ``AllOf(a, b)``: the strictest wins). ``RuleRegistry`` is a value you own
  (``with_rule`` copies). The built-in rules come from ``send_time.countries``, one module per
  country, through its registry (``RULE_MODULES``).
* ``resolve_zones`` picks the zones to honour: an explicit zone; else the number's candidates,
  intersected while their offsets span at most ``ZonePolicy.max_span``; else a representative
  zone or a refusal, as the policy says. No zone at all is a refusal with its reason, never a
  silent send.
* ``plan_send_time`` puts it together and applies the policy for an instant outside the allowed
  hours: DEFER (send at the next allowed instant, within a horizon), DROP (a soft bounce,
  SENT_OUTSIDE_ALLOWED_HOURS, never sent) or RAISE.

Sources and the reasoning behind every rule: ``docs/send-time-rules.md`` (generated from the data).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from types import MappingProxyType

import attrs

from sms_campaign_stats._core.defaults import default_name, named_default, repr_naming_defaults
from sms_campaign_stats._core.validate import check_utc, describe
from sms_campaign_stats.errors import (
    DeferralHorizonError,
    OutsideAllowedHoursError,
    ValidationError,
)
from sms_campaign_stats.lifecycle._statuses import BounceReason
from sms_campaign_stats.send_time._rules import (
    SEARCH_DAYS,
    AllOf,
    CountryRule,
    NoRule,
    SendTimeRule,
    Source,
    next_allowed_in_zones,
)
from sms_campaign_stats.send_time._windows import HolidayCalendar, WeeklySchedule, Window, pytz_zone
from sms_campaign_stats.send_time.countries import FRENCH_TERRITORIES, load_rules
from sms_campaign_stats.send_time.countries.france import ALSACE_MOSELLE

__all__ = [
    "DEFAULT_RULES",
    "DEFAULT_ZONE_POLICY",
    "REPRESENTATIVE_ZONES",
    "SEARCH_DAYS",
    "AllOf",
    "CountryRule",
    "HolidayCalendar",
    "NoRule",
    "OutsideWindow",
    "RuleRegistry",
    "SendTimeDecision",
    "SendTimeRule",
    "Source",
    "WeeklySchedule",
    "Window",
    "ZoneFallback",
    "ZonePolicy",
    "ZoneResolution",
    "next_allowed_in_zones",
    "plan_send_time",
    "resolve_zones",
    "rule_for",
]

_COUNTRY = re.compile(r"[A-Z]{2}")


def _check_country(country: object) -> str:
    if not isinstance(country, str) or _COUNTRY.fullmatch(country) is None:
        raise ValidationError(
            "country", f"{describe(country)} is not an ISO 3166 code such as 'FR'"
        )
    return country


def _effective(rule: SendTimeRule) -> date:
    return getattr(rule, "effective_from", None) or date.min


@attrs.frozen
class RuleRegistry:
    """The rules you use: each rule by id, and which one ``rule_for`` gives for a country.

    ``editions`` maps (country, subdivision, category) to the successive editions of its rule,
    oldest first: ``rule_for`` gives the newest in force on the day asked for. ``aliases`` maps
    a region code to a country and subdivision (Réunion, ``"RE"``, is France's ``"974"``).
    """

    rules: Mapping[str, SendTimeRule]
    editions: Mapping[tuple[str, str | None, str], tuple[str, ...]]
    aliases: Mapping[str, tuple[str, str]] = MappingProxyType({})

    def __repr__(self) -> str:
        """``DEFAULT_RULES``, or a count: the rules in full would be some 75,000 characters."""
        return default_name(self) or (
            f"RuleRegistry({len(self.rules)} rules, {len(self.editions)} editions, "
            f"{len(self.aliases)} aliases)"
        )

    def by_id(self, rule_id: str) -> SendTimeRule:
        """The rule with this id; ``ValidationError`` listing the known ids otherwise."""
        try:
            return self.rules[rule_id]
        except KeyError:
            raise ValidationError(
                "rule_id", f"{describe(rule_id)} is not one of: {', '.join(sorted(self.rules))}"
            ) from None

    def rule_for(
        self,
        country: str,
        *,
        subdivision: str | None = None,
        category: str = "marketing",
        on: date | None = None,
    ) -> SendTimeRule:
        """The rule for a recipient in ``country`` (and ``subdivision``), in force on ``on``
        (default: the newest). A subdivision without a rule of its own gets the country's; a
        country or category without any rule gets a ``NoRule`` saying so."""
        country = _check_country(country)
        if country in self.aliases:
            country, subdivision = self.aliases[country]
        for key in ((country, subdivision, category), (country, None, category)):
            ids = self.editions.get(key)
            if ids:
                rules = [self.rules[i] for i in ids]
                in_force = [r for r in rules if on is None or _effective(r) <= on]
                return (in_force or rules[:1])[-1]
        if category != "marketing":
            return NoRule(country, f"{category} messages are exempt from send-time rules")
        return NoRule(country, f"no send-time rule is known for {country}: allowed at any time")

    def with_rule(
        self,
        rule: SendTimeRule,
        *,
        country: str | None = None,
        subdivision: str | None = None,
        category: str = "marketing",
    ) -> RuleRegistry:
        """A copy that knows ``rule``, and gives it for ``country`` when one is named."""
        if not isinstance(rule, SendTimeRule):
            raise ValidationError("rule", f"{describe(rule)} is not a SendTimeRule")
        rules = {**self.rules, rule.id: rule}
        editions = dict(self.editions)
        if country is not None:
            key = (_check_country(country), subdivision, category)
            editions[key] = (*editions.get(key, ()), rule.id)
        return RuleRegistry(MappingProxyType(rules), MappingProxyType(editions), self.aliases)


def _default_registry(built_in: Sequence[CountryRule]) -> RuleRegistry:
    rules: dict[str, SendTimeRule] = {}
    editions: dict[tuple[str, str | None, str], list[str]] = {}
    federal = next(r for r in built_in if r.id == "us-tcpa")
    for rule in built_in:
        rules[rule.id] = rule
        if rule.id.startswith(("br-short-codes",)):
            continue  # a variant, selectable by id only
        chosen: SendTimeRule = rule
        if rule.country == "US" and rule.subdivision is not None:
            chosen = AllOf(federal, rule, id=f"us-tcpa+{rule.id}")
            rules[chosen.id] = chosen
        key = (rule.country, rule.subdivision, rule.category)
        editions.setdefault(key, []).append(chosen.id)
    for ids in editions.values():  # oldest edition first
        ids.sort(key=lambda i: _effective(rules[i]))
    aliases = {region: ("FR", subdivision) for region, subdivision in FRENCH_TERRITORIES.items()}
    for subdivision, calendar in ALSACE_MOSELLE.items():
        if subdivision != calendar:  # Bas-Rhin and Haut-Rhin use the Alsace calendar
            editions[("FR", subdivision, "marketing")] = editions[("FR", calendar, "marketing")]
    return RuleRegistry(
        MappingProxyType(rules),
        MappingProxyType({key: tuple(ids) for key, ids in editions.items()}),
        MappingProxyType(aliases),
    )


#: The built-in rules. Yours: ``DEFAULT_RULES.with_rule(my_rule, country="FR")``.
DEFAULT_RULES = named_default(_default_registry(load_rules()), "DEFAULT_RULES")


def rule_for(
    country: str,
    *,
    subdivision: str | None = None,
    category: str = "marketing",
    on: date | None = None,
) -> SendTimeRule:
    """The built-in rule for ``country``; see ``RuleRegistry.rule_for``.

    >>> from datetime import datetime, timezone
    >>> france = rule_for("FR")
    >>> france.id
    'fr-af2m-2024'
    >>> saturday_night = datetime(2026, 5, 9, 20, 30, tzinfo=timezone.utc)  # 22:30 in Paris
    >>> france.next_allowed(saturday_night, "Europe/Paris").isoformat()  # Sunday is closed
    '2026-05-11T06:00:00+00:00'
    >>> rule_for("DE").reason
    'no send-time rule is known for DE: allowed at any time'
    """
    return DEFAULT_RULES.rule_for(country, subdivision=subdivision, category=category, on=on)


class ZoneFallback(str, enum.Enum):
    """What to do when a number's candidate zones are too far apart to intersect."""

    REPRESENTATIVE = "representative"  # use the country's representative zone
    REFUSE = "refuse"  # ask for an explicit zone

    def __str__(self) -> str:
        return self.value


#: A zone to stand for a country whose numbers do not tell the zone: the capital's zone.
REPRESENTATIVE_ZONES: Mapping[str, str] = MappingProxyType(
    {
        "US": "America/New_York",
        "CA": "America/Toronto",
        "MX": "America/Mexico_City",
        "BR": "America/Sao_Paulo",
        "AR": "America/Argentina/Buenos_Aires",
        "RU": "Europe/Moscow",
        "KZ": "Asia/Almaty",
        "AU": "Australia/Sydney",
        "ID": "Asia/Jakarta",
        "CN": "Asia/Shanghai",
        "ES": "Europe/Madrid",
        "PT": "Europe/Lisbon",
        "RE": "Indian/Reunion",
        "PF": "Pacific/Tahiti",
        "CL": "America/Santiago",
        "EC": "America/Guayaquil",
        "CD": "Africa/Kinshasa",
        "MN": "Asia/Ulaanbaatar",
        "UA": "Europe/Kyiv",
    }
)


@attrs.frozen
class ZonePolicy:
    """How to choose zones from a number's candidates.

    Candidates whose UTC offsets span at most ``max_span`` are all honoured (a message must be
    allowed in each); wider spans fall back to ``fallback``.
    """

    max_span: timedelta = timedelta(hours=3)
    fallback: ZoneFallback = ZoneFallback.REFUSE
    representatives: Mapping[str, str] = attrs.field(
        default=REPRESENTATIVE_ZONES, repr=lambda zones: f"<{len(zones)} representative zones>"
    )

    __repr__ = repr_naming_defaults  # DEFAULT_ZONE_POLICY prints as its name

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.max_span, timedelta) or self.max_span < timedelta(0):
            raise ValidationError("ZonePolicy.max_span", "must be a non-negative timedelta")
        if not isinstance(self.fallback, ZoneFallback):
            raise ValidationError("ZonePolicy.fallback", "must be a ZoneFallback")


#: The zone policy the engine uses unless told otherwise.
DEFAULT_ZONE_POLICY = named_default(ZonePolicy(), "DEFAULT_ZONE_POLICY")


@attrs.frozen
class ZoneResolution:
    """The zones to honour, how they were chosen, or why none could be."""

    zones: tuple[str, ...]
    basis: str  # "explicit", "number", "intersection", "representative", or "none"
    refused: str | None = None


def resolve_zones(
    candidates: Iterable[str],
    *,
    at: datetime,
    country: str | None = None,
    explicit: str | None = None,
    policy: ZonePolicy = ZonePolicy(),
) -> ZoneResolution:
    """The zones a send time must respect for one recipient.

    >>> from datetime import datetime, timezone
    >>> june = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    >>> resolve_zones(("America/Boise", "America/Los_Angeles"), at=june).basis
    'intersection'
    >>> resolve_zones(("Etc/Unknown",), at=june).refused
    'no time zone is known for this recipient: give one explicitly'
    """
    at = check_utc("at", at)
    if explicit is not None:
        pytz_zone(explicit)
        return ZoneResolution((explicit,), "explicit")
    zones = tuple(dict.fromkeys(z for z in candidates if z and z != "Etc/Unknown"))
    for zone in zones:
        pytz_zone(zone)
    if not zones:
        return ZoneResolution(
            (), "none", "no time zone is known for this recipient: give one explicitly"
        )
    if len(zones) == 1:
        return ZoneResolution(zones, "number")
    offsets = [at.astimezone(pytz_zone(zone)).utcoffset() or timedelta(0) for zone in zones]
    span = max(offsets) - min(offsets)
    if span <= policy.max_span:
        return ZoneResolution(zones, "intersection")
    if (
        policy.fallback is ZoneFallback.REPRESENTATIVE
        and country is not None
        and country in policy.representatives
    ):
        return ZoneResolution((policy.representatives[country],), "representative")
    return ZoneResolution(
        (),
        "none",
        f"the number's {len(zones)} candidate zones span {span} (more than {policy.max_span}): "
        "give the recipient's zone explicitly",
    )


class OutsideWindow(str, enum.Enum):
    """What to do with a message asked for outside the allowed hours."""

    DEFER = "defer"  # send at the next allowed instant (within the horizon)
    DROP = "drop"  # do not send: a soft bounce, SENT_OUTSIDE_ALLOWED_HOURS, no cost
    RAISE = "raise"  # raise OutsideAllowedHoursError

    def __str__(self) -> str:
        return self.value


@attrs.frozen(kw_only=True)
class SendTimeDecision:
    """When to send one message, and why.

    ``action`` is ``"send"`` (allowed now), ``"defer"`` (send at ``send_at``), ``"drop"`` (never
    sent; ``reason`` is SENT_OUTSIDE_ALLOWED_HOURS) or ``"refuse"`` (no zone could be chosen; the
    explanation says why). ``send_at`` is ``None`` for the last two.
    """

    action: str
    send_at: datetime | None
    requested_at: datetime
    rule_id: str
    zones: tuple[str, ...]
    zone_basis: str
    reason: BounceReason | None
    explanation: str

    @property
    def allowed_now(self) -> bool:
        """True when the message may go at the requested time."""
        return self.action == "send"


def plan_send_time(
    at: datetime,
    *,
    country: str | None,
    candidate_zones: Sequence[str] = (),
    subdivision: str | None = None,
    explicit_zone: str | None = None,
    category: str = "marketing",
    rule: SendTimeRule | None = None,
    registry: RuleRegistry = DEFAULT_RULES,
    zone_policy: ZonePolicy = ZonePolicy(),
    action: OutsideWindow = OutsideWindow.DEFER,
    horizon: timedelta = timedelta(days=30),
) -> SendTimeDecision:
    """Decide when a message to one recipient may go, asked for at ``at``.

    ``country`` and ``candidate_zones`` usually come from a number check (its region and time
    zones); ``rule`` overrides the registry's choice (e.g. ``rule_for("FR") & mine``).
    """
    at = check_utc("at", at)
    if not isinstance(horizon, timedelta) or horizon <= timedelta(0):
        raise ValidationError("horizon", "must be a positive timedelta")
    if rule is None:
        rule = (
            registry.rule_for(country, subdivision=subdivision, category=category)
            if country is not None
            else NoRule(None, "no country is known for this recipient: no rule applies")
        )
    if isinstance(rule, NoRule):
        return SendTimeDecision(
            action="send",
            send_at=at,
            requested_at=at,
            rule_id=rule.id,
            zones=(),
            zone_basis="none",
            reason=None,
            explanation=rule.reason,
        )
    zones = resolve_zones(
        candidate_zones, at=at, country=country, explicit=explicit_zone, policy=zone_policy
    )
    chosen_rule, chosen = rule, zones

    def decided(
        action: str, send_at: datetime | None, reason: BounceReason | None, explanation: str
    ) -> SendTimeDecision:
        return SendTimeDecision(
            action=action,
            send_at=send_at,
            requested_at=at,
            rule_id=chosen_rule.id,
            zones=chosen.zones,
            zone_basis=chosen.basis,
            reason=reason,
            explanation=explanation,
        )

    if zones.refused is not None:
        return decided("refuse", None, None, zones.refused)
    try:
        next_allowed = next_allowed_in_zones(rule, at, zones.zones)
    except DeferralHorizonError:
        next_allowed = None
    if next_allowed == at:
        return decided("send", at, None, f"allowed now by {rule.id} in {', '.join(zones.zones)}")
    if action is OutsideWindow.RAISE:
        raise OutsideAllowedHoursError(rule.id, at, next_allowed)
    if action is OutsideWindow.DROP:
        return decided(
            "drop",
            None,
            BounceReason.SENT_OUTSIDE_ALLOWED_HOURS,
            f"outside the hours {rule.id} allows; dropped, never sent",
        )
    if next_allowed is None or next_allowed - at > horizon:
        raise DeferralHorizonError(rule.id, at, horizon)
    return decided(
        "defer",
        next_allowed,
        None,
        f"outside the hours {rule.id} allows; deferred by {next_allowed - at}",
    )
