"""Which module holds each country's built-in send-time rules, and the loader that reads them.

As in the holidays library, a table is the one list of what is built in: a region code (ISO
3166, as phonenumbers reports it) and the module under ``send_time/countries/`` whose ``RULES``
are that region's rules. The modules are imported here by their names, never by a name read
from data (``tests/test_source_safety.py`` forbids that), and the loader reads them in the
table's order. Adding a country is one module (its ``RULES``, each row citing its sources), its
import here and one row in the table; a test checks that the table and the modules agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType, ModuleType

from sms_campaign_stats._core.validate import describe
from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.send_time._rules import CountryRule
from sms_campaign_stats.send_time.countries import (
    brazil,
    china,
    colombia,
    france,
    india,
    italy,
    jordan,
    saudi_arabia,
    south_africa,
    taiwan,
    thailand,
    united_arab_emirates,
    united_states,
    vietnam,
)

__all__ = ["BUILT_IN_RULES", "RULE_MODULES", "load_rules"]

_BY_REGION: Mapping[str, ModuleType] = {
    "FR": france,
    "US": united_states,
    "ZA": south_africa,
    "IN": india,
    "IT": italy,
    "BR": brazil,
    "AE": united_arab_emirates,
    "SA": saudi_arabia,
    "VN": vietnam,
    "TH": thailand,
    "TW": taiwan,
    "CO": colombia,
    "JO": jordan,
    "CN": china,
}

#: Region code -> the name of the module (under ``send_time/countries/``) that holds its rules,
#: in the order ``BUILT_IN_RULES`` lists them. The French territories (Réunion, ...) are rules of
#: ``FR``, reached by their region code through ``FRENCH_TERRITORIES``.
RULE_MODULES: Mapping[str, str] = MappingProxyType(
    {region: module.__name__.rpartition(".")[2] for region, module in _BY_REGION.items()}
)

_MODULES: Mapping[str, ModuleType] = {
    module.__name__.rpartition(".")[2]: module for module in _BY_REGION.values()
}


def _module_rules(name: str) -> tuple[CountryRule, ...]:
    rules = getattr(_MODULES[name], "RULES", None)
    if not isinstance(rules, tuple) or not all(isinstance(rule, CountryRule) for rule in rules):
        raise TypeError(f"{name}.RULES is not a tuple of CountryRule")
    return rules


def load_rules(regions: Iterable[str] | str | None = None) -> tuple[CountryRule, ...]:
    """The built-in rules of ``regions`` (one region code, several, or by default every region
    in ``RULE_MODULES``), in the table's order whatever the order asked for, each region's in
    its module's order.

    >>> [rule.id for rule in load_rules(["IN", "CN"])]
    ['in-2025-10', 'in-legacy', 'cn-smn']
    """
    wanted = set(RULE_MODULES) if regions is None else set()
    for region in (regions,) if isinstance(regions, str) else regions or ():
        if not isinstance(region, str) or region not in RULE_MODULES:
            raise ValidationError(
                "regions",
                f"no built-in rules for {describe(region)}; the regions with rules are: "
                + ", ".join(RULE_MODULES),
            )
        wanted.add(region)
    return tuple(
        rule
        for region, name in RULE_MODULES.items()
        if region in wanted
        for rule in _module_rules(name)
        if rule.country == region
    )


#: Every built-in rule, region by region in the order of ``RULE_MODULES``.
BUILT_IN_RULES: tuple[CountryRule, ...] = load_rules()
