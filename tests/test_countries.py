"""The country modules and their registry agree, as the holidays library checks its own: every
module under ``send_time/countries/`` is registered, every registered module exists and holds
rules for exactly its regions, every row cites its sources, and the docs page lists them all."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest

from sms_campaign_stats import ValidationError
from sms_campaign_stats.quiet_hours import CountryRule, rule_for
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
