"""The country modules and their registry agree, as the holidays library checks its own: every
module under ``send_time/countries/`` is registered, every registered module exists and holds
rules for exactly its regions, every row cites its sources, and the docs page lists them all."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import pytest

from sms_campaign_stats import ValidationError
from sms_campaign_stats.quiet_hours import CountryRule, Source, WeeklySchedule, rule_for
from sms_campaign_stats.send_time import countries
from sms_campaign_stats.send_time.countries import (
    BUILT_IN_RULES,
    FRENCH_TERRITORIES,
    RULE_MODULES,
    load_rules,
)

ROOT = Path(__file__).resolve().parent.parent
MODULE_NAMES = sorted(set(RULE_MODULES.values()))


def country_module(name: str) -> ModuleType:
    """A country module by its name, through its public path."""
    return importlib.import_module(f"sms_campaign_stats.send_time.countries.{name}")


def test_every_module_in_the_folder_is_registered() -> None:
    """The public modules of ``send_time/countries/`` are exactly the registry's modules."""
    on_disk = {
        info.name
        for info in pkgutil.iter_modules(countries.__path__)
        if not info.name.startswith("_")
    }
    assert on_disk == set(RULE_MODULES.values())


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_each_registered_module_holds_rules_for_exactly_its_regions(name: str) -> None:
    """A registered module exists, declares ``RULES`` in ``__all__`` (a non-empty tuple of
    ``CountryRule``), and its rules are for the regions the registry gives it, no others."""
    module = country_module(name)
    assert "RULES" in module.__all__
    rules = module.RULES
    assert isinstance(rules, tuple)
    assert rules
    assert all(isinstance(rule, CountryRule) for rule in rules)
    registered = {region for region, holder in RULE_MODULES.items() if holder == name}
    assert registered == {rule.country for rule in rules}


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_each_module_cites_a_source_beside_every_row(name: str) -> None:
    """Every rule names at least one source, each with a confidence tag and a link; the module
    says where its data comes from."""
    module = country_module(name)
    assert module.__doc__
    for rule in module.RULES:
        assert rule.sources, rule.id
        for source in rule.sources:
            assert source.confidence in {"LAW", "IND", "PROV", "VEND"}, rule.id
            assert "http" in source.citation, rule.id


def test_built_in_rules_are_the_modules_rules_in_the_registry_order() -> None:
    """``BUILT_IN_RULES`` is every module's ``RULES``, module by module in the registry's order,
    each module's in its own order; ids are unique."""
    expected = tuple(
        rule for name in dict.fromkeys(RULE_MODULES.values()) for rule in country_module(name).RULES
    )
    assert expected == BUILT_IN_RULES
    assert len(BUILT_IN_RULES) == len({rule.id for rule in BUILT_IN_RULES})
    assert expected == load_rules()


def test_load_rules_reads_the_regions_asked_for() -> None:
    """``load_rules`` gives the rules of the regions asked for, in the registry's order; a single
    region may be given as a string; an unknown region is refused, with the known ones."""
    assert ("in-2025-10", "in-legacy", "cn-smn") == tuple(
        rule.id for rule in load_rules(["CN", "IN"])
    )
    assert load_rules(["IT"]) == load_rules("IT")
    assert () == load_rules([])
    with pytest.raises(ValidationError, match=r"'DE'.*FR, US"):
        load_rules(["FR", "DE"])


def test_the_territories_are_rules_of_france_not_registry_rows() -> None:
    """The French territories are reached by their own region code, through France's module:
    each gets the French rule of its holiday subdivision."""
    assert not set(FRENCH_TERRITORIES) & set(RULE_MODULES)
    for region, subdivision in FRENCH_TERRITORIES.items():
        assert f"fr-af2m-2024/{subdivision}" == rule_for(region).id
    france = country_module("france")
    assert FRENCH_TERRITORIES is france.FRENCH_TERRITORIES


def test_the_docs_page_lists_every_module_and_rule() -> None:
    """docs/send-time-rules.md has a row per registry entry, and names every rule that is not a
    French subdivision's copy (those are described in a paragraph)."""
    page = (ROOT / "docs" / "send-time-rules.md").read_text(encoding="utf-8")
    for region, name in RULE_MODULES.items():
        assert f"| {region} | `countries/{name}.py` |" in page
    for rule in BUILT_IN_RULES:
        if rule.country != "FR" or rule.subdivision is None:
            assert f"| `{rule.id}` |" in page


# Issue 16: every rule names its source, a statute with its section number; a row without one
# fails here.
_SECTION = re.compile(
    r"§|\b(?:section|s\.|art(?:icle)?\.?|regulation|reg\.)\s*\d"
    r"|\b\d+(?:[.:-]\d+)+(?:\([0-9a-z]+\))*",
    re.IGNORECASE,
)


def _unsourced(source: Source) -> bool:
    return "http" not in source.citation or (
        source.confidence == "LAW" and _SECTION.search(source.citation) is None
    )


def unsourced(rules: Iterable[CountryRule]) -> list[str]:
    """The ids of rules with no source, a source without an address, or a statute (LAW)
    cited without a section number."""
    return [rule.id for rule in rules if not rule.sources or any(map(_unsourced, rule.sources))]


def test_every_rule_names_its_source_with_section_numbers() -> None:
    """Every built-in rule cites at least one source with its address; statutes give their
    section (47 CFR 64.1200(c)(1), N.J.S.A. 56:8-128(d), R.I. Gen. Laws 5-61-2(2), ...)."""
    assert [] == unsourced(BUILT_IN_RULES)


@pytest.mark.parametrize(
    ("sources", "refused"),
    [
        ((), True),
        ((Source("LAW", "a law somewhere: https://example.org/law"),), True),
        ((Source("PROV", "a provider's page, no address"),), True),
        ((Source("LAW", "Act 12 of 2008, section 12: https://example.org/act"),), False),
        ((Source("LAW", "N.J.S.A. 56:8-128(d): https://example.org/nj"),), False),
        ((Source("VEND", "a vendor table: https://example.org/table"),), False),
    ],
)
def test_a_rule_without_a_source_fails(sources: tuple[Source, ...], refused: bool) -> None:
    """The check above catches a row without a source, without an address, or a statute
    without its section."""
    rule = CountryRule(
        id="made-up",
        country="FR",
        title="t",
        schedule=WeeklySchedule.every_day("08:00", "20:00"),
        sources=sources,
    )
    assert (["made-up"] if refused else []) == unsourced([rule])


def test_the_docs_page_lists_every_source() -> None:
    """docs/send-time-rules.md quotes every citation of every built-in rule."""
    page = (ROOT / "docs" / "send-time-rules.md").read_text(encoding="utf-8")
    for rule in BUILT_IN_RULES:
        for source in rule.sources:
            assert f"[{source.confidence}] {source.citation.replace('|', chr(92) + '|')}" in page
