"""Opt-out keywords that a regulation or a provider says a reply must be honoured for.

``OPT_OUT_KEYWORDS`` maps a source tag (one of ``SOURCES``) to the keywords it lists, as written
there. The engine's ``StopWords`` decide what an inbound text is; these lists are what they must
at least contain (``tests/test_dlr.py`` checks the engine's defaults against them).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["OPT_OUT_KEYWORDS"]

#: Source tag -> the opt-out keywords it lists.
OPT_OUT_KEYWORDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        # 47 CFR 64.1200(a)(10), in force since 11 April 2025: a reply of "stop", "quit", "end",
        # "revoke", "opt out", "cancel" or "unsubscribe" revokes consent to robotexts.
        "L-FCC-REVOKE": ("STOP", "QUIT", "END", "REVOKE", "OPT OUT", "CANCEL", "UNSUBSCRIBE"),
        # Twilio's default opt-out keywords for long codes and toll-free numbers.
        "W-TW-OPTOUT": (
            "STOP",
            "UNSUBSCRIBE",
            "END",
            "QUIT",
            "STOPALL",
            "REVOKE",
            "OPTOUT",
            "CANCEL",
        ),
    }
)
