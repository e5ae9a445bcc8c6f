"""How many SMS segments a text takes: GSM 03.38 / 3GPP TS 23.038 and TS 23.040 rules.

A text that uses only the GSM 7-bit default alphabet and its extension table is sent in GSM-7:
160 septets fit in one SMS; a longer text is split into parts of 153 septets (7 septets go to the
concatenation header), and an extension-table character (two septets: ESC + character) is never
split across two parts. Any other character forces UCS-2: 70 UTF-16 code units in one SMS, 67 per
part, a surrogate pair never split. National language shift tables (TS 23.038 section 6.2.1.2.4)
are not used: most providers do not apply them, so counting without them never undercounts.

Sources: 3GPP TS 23.038 section 6.2.1 (default alphabet and extension table),
https://www.3gpp.org/ftp/Specs/archive/23_series/23.038/ ; 3GPP TS 23.040 section 9.2.3.24.1
(concatenation information element: 6 octets of user data header, leaving 153 septets / 134
octets = 67 UCS-2 units), https://www.3gpp.org/ftp/Specs/archive/23_series/23.040/ .
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable

import attrs

__all__ = ["MAX_SEGMENTS", "Encoding", "SegmentInfo", "segment_info"]

#: The concatenation reference number is one octet: at most 255 parts (TS 23.040 9.2.3.24.1).
MAX_SEGMENTS = 255

# The GSM 7-bit default alphabet (TS 23.038 6.2.1, table 6.2.1.1), minus ESC (0x1B).
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The default alphabet extension table (TS 23.038 6.2.1.1, table 6.2.1.2): ESC + character.
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

_GSM7_SINGLE, _GSM7_PART = 160, 153
_UCS2_SINGLE, _UCS2_PART = 70, 67


class Encoding(str, enum.Enum):
    """The data coding an SMS text needs."""

    GSM7 = "gsm7"
    UCS2 = "ucs2"

    def __str__(self) -> str:
        return self.value


@attrs.frozen
class SegmentInfo:
    """The encoding of a text, its length in units of that encoding, and its segment count.

    ``units`` counts septets for GSM-7 (an extension character counts two) and UTF-16 code
    units for UCS-2 (a character outside the Basic Multilingual Plane counts two).
    """

    encoding: Encoding
    units: int
    segments: int


def _gsm7_units(char: str) -> int:
    return 2 if char in _GSM7_EXTENSION else 1


def _ucs2_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _split_count(text: str, per_part: int, unit_of: Callable[[str], int]) -> int:
    """Parts needed when no character may straddle two parts."""
    parts, used = 1, 0
    for char in text:
        size = unit_of(char)
        if used + size > per_part:
            parts += 1
            used = 0
        used += size
    return parts


@functools.lru_cache(maxsize=1024)
def segment_info(text: str) -> SegmentInfo:
    """Encoding, length and number of SMS segments for ``text``: a pure function of the text,
    cached (a campaign's one text is counted once, however many messages and reads need it).

    >>> segment_info("Hello!")
    SegmentInfo(encoding=<Encoding.GSM7: 'gsm7'>, units=6, segments=1)
    >>> segment_info("x" * 161).segments
    2
    >>> segment_info("Prix: 10€").units  # the euro sign is an extension character
    10
    >>> segment_info("Ça coûte 10 €").encoding  # "û" is not in the GSM alphabet
    <Encoding.UCS2: 'ucs2'>
    """
    if all(char in _GSM7_BASIC or char in _GSM7_EXTENSION for char in text):
        units = sum(_gsm7_units(char) for char in text)
        if units <= _GSM7_SINGLE:
            return SegmentInfo(Encoding.GSM7, units, 1)
        return SegmentInfo(Encoding.GSM7, units, _split_count(text, _GSM7_PART, _gsm7_units))
    units = sum(_ucs2_units(char) for char in text)
    if units <= _UCS2_SINGLE:
        return SegmentInfo(Encoding.UCS2, units, 1)
    return SegmentInfo(Encoding.UCS2, units, _split_count(text, _UCS2_PART, _ucs2_units))
