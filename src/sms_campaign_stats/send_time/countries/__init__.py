"""The built-in send-time rules for marketing SMS: one module per country, each rule with its
sources.

``france`` (metropolitan France, Alsace-Moselle and the territories, in local time with local
holidays), ``united_states`` (the federal TCPA window and the stricter states), and a module
for each other country with a rule of its own (``south_africa``, ``india``, ...). Each module's
``RULES`` is a tuple of ``CountryRule``; ``RULE_MODULES`` maps each region code to its module,
and ``load_rules`` reads them, in that table's order, into ``BUILT_IN_RULES``.

Everything here comes from the team's send-time reference (sections 1 and 2), whose confidence
tags are kept: LAW (statute or regulator), IND (industry or operator code), PROV (a messaging
provider's documentation), VEND (a vendor summary, lowest confidence). Nothing here is legal
advice; rules change (France in 2024, India in 2025), which is why every rule has an id, a
version and, where known, the date it took effect.
"""

from ._registry import BUILT_IN_RULES, RULE_MODULES, load_rules
from .france import FRENCH_TERRITORIES
from .united_states import US_STATE_WINDOWS

__all__ = [
    "BUILT_IN_RULES",
    "FRENCH_TERRITORIES",
    "RULE_MODULES",
    "US_STATE_WINDOWS",
    "load_rules",
]
