"""The built-in send-time rules for marketing SMS, each with its sources."""

from .united_states import BUILT_IN_RULES, FRENCH_TERRITORIES, US_STATE_WINDOWS

__all__ = ["BUILT_IN_RULES", "FRENCH_TERRITORIES", "US_STATE_WINDOWS"]
