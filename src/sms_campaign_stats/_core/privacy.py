"""Masking phone numbers wherever they might be shown: reprs, error messages, renderings, logs.

Free text is searched for numbers in two passes:

1. ``+`` then 8 digits or more, each optionally after one space, dot or dash (``+33612345678``,
   ``+33 6 12 34 56 78``, ``+1-202-555-0143``), masked as written with ``mask_number``'s rule
   (longer than E.164 allows: masked too, erring on the side of privacy);
2. phonenumbers' ``PhoneNumberMatcher`` (leniency ``VALID``) on the text normalised with NFKC
   (a full-width plus U+FF0B, full-width digits, no-break spaces U+00A0 and U+202F become their
   plain forms; positions are mapped back to the text as given), once per region of
   ``MASKING_REGIONS``: what it finds with 8 digits or more (``33612345678``,
   ``0033612345678``, ``06 12 34 56 78``, ``+33 (0)6 12 34 56 78``) is replaced by the masked
   E.164 form of the number, ``+336******78``.

``VALID`` rather than ``POSSIBLE``: with ``POSSIBLE``, dates, amounts and ids of 8 digits
(``2026-03-03``, ``1234.5678``) read as British or German numbers. A number that is not valid
is still masked when written ``+`` then digits (pass 1).

A text with fewer than 8 digits is returned as it is without running the matcher.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

__all__ = [
    "MASKING_REGIONS",
    "find_numbers",
    "mask_number",
    "mask_numbers_in",
    "mask_numbers_in_data",
]

# "+", a digit, then more digits each optionally after one space, dot or dash: "+33612345678",
# "+33 6 12 34 56 78", "+1-202-555-0143". Counted below: 8 digits or more is a phone number.
_NUMBER_LIKE = re.compile(r"\+\d(?:[ .\-]?\d)*")
_MIN_DIGITS = 8
#: The regions a number written without its "+" is read in, in this order (the first that
#: finds a number wins where two overlap): France first (the library's home: national "06 ..."
#: and "0033..." forms), then the United Kingdom, Germany and the United States. A number
#: written with "+" (or "00" in those regions) is found whatever its country.
MASKING_REGIONS = ("FR", "GB", "DE", "US")


def mask_number(number: object) -> str:
    """Hide the middle of a phone number, keeping what helps a human recognise its country.

    The first four characters (``+`` and up to three digits of country and area code) and the last
    two digits stay; the rest becomes ``*``. Anything that is not a string is shown by type only.

    >>> mask_number("+33612345678")
    '+336******78'
    >>> mask_number("+1234")
    '+***4'
    """
    if not isinstance(number, str):
        return f"<{type(number).__name__}>"
    if len(number) >= 8:
        return number[:4] + "*" * (len(number) - 6) + number[-2:]
    if len(number) >= 2:
        return number[0] + "*" * (len(number) - 2) + number[-1]
    return "*" * len(number)


def _mask_match(match: re.Match[str]) -> str:
    found = match.group()
    digits = sum(character.isdigit() for character in found)
    return mask_number(found) if digits >= _MIN_DIGITS else found


def _normalised(text: str) -> tuple[str, list[int] | None]:
    """``text`` in NFKC, and where each of its characters comes from in ``text`` (``None``:
    the same positions). Normalised character by character, so positions map back exactly."""
    if text.isascii():
        return text, None
    parts = [unicodedata.normalize("NFKC", character) for character in text]
    origin = [index for index, part in enumerate(parts) for _ in part]
    origin.append(len(text))
    return "".join(parts), origin


def _end_before_extension(match: phonenumbers.PhoneNumberMatch) -> int:
    """Where the number of ``match`` ends: its extension left out (the matcher reads
    ``33612345678, x12`` as a number with extension 12; the "x12" is something else)."""
    extension = match.number.extension
    if not extension:
        return match.end
    raw = match.raw_string
    index, digits = len(raw), 0
    while index > 0 and digits < len(extension):
        index -= 1
        digits += raw[index].isdigit()
    while index > 0 and not raw[index - 1].isdigit():
        index -= 1
    return match.start + index


def find_numbers(text: str) -> list[tuple[int, int, str]]:
    """The phone numbers ``PhoneNumberMatcher`` finds in ``text`` (see the module's doc), as
    ``(start, end, E.164)`` spans of ``text``, in order, not overlapping.

    >>> find_numbers("call 06 12 34 56 78 or 0033612345679")
    [(5, 19, '+33612345678'), (23, 36, '+33612345679')]
    """
    normal, origin = _normalised(text)
    if sum(map(str.isdigit, normal)) < _MIN_DIGITS:
        return []
    spans: list[list[Any]] = []
    for region in MASKING_REGIONS:
        for match in PhoneNumberMatcher(normal, region, leniency=Leniency.VALID):
            if sum(map(str.isdigit, match.raw_string)) < _MIN_DIGITS:
                continue
            start, end = match.start, _end_before_extension(match)
            for span in spans:
                if start < span[1] and span[0] < end:  # overlaps: one span for both
                    span[0], span[1] = min(span[0], start), max(span[1], end)
                    break
            else:
                e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
                spans.append([start, end, e164])
    spans.sort()
    found: list[tuple[int, int, str]] = []
    for start, end, e164 in spans:
        if origin is not None:
            start, end = origin[start], origin[end - 1] + 1
        if found and start < found[-1][1]:  # grown into each other
            found[-1] = (found[-1][0], max(end, found[-1][1]), found[-1][2])
        else:
            found.append((start, end, e164))
    return found


def mask_numbers_in(text: str) -> str:
    """Mask every phone number in free text (see the module's doc).

    ``+`` then at least 8 digits, possibly separated by single spaces, dots or dashes, is masked
    as written with ``mask_number``'s rule; shorter runs (``+15%``, ``+1234``) are left alone.
    Any other form a number is written in is replaced by its masked E.164 form.

    >>> mask_numbers_in("last bounce: +33612345678, then +33 6 12 34 56 79; rate +12.5")
    'last bounce: +336******78, then +33 ***********79; rate +12.5'
    >>> mask_numbers_in("to 06 12 34 56 78, 0033612345679 or \\uff0b33\\u00a0612345670")
    'to +336******78, +336******79 or +336******70'
    """
    masked = _NUMBER_LIKE.sub(_mask_match, text)
    spans = find_numbers(masked)
    if not spans:
        return masked
    pieces: list[str] = []
    done = 0
    for start, end, e164 in spans:
        pieces += (masked[done:start], mask_number(e164))
        done = end
    pieces.append(masked[done:])
    return "".join(pieces)


def mask_numbers_in_data(value: Any) -> Any:
    """A copy of JSON-like data with ``mask_numbers_in`` applied to every string, keys included.

    >>> mask_numbers_in_data({"to": ["+33612345678"], "rate": 0.1})
    {'to': ['+336******78'], 'rate': 0.1}
    """
    if isinstance(value, str):
        return mask_numbers_in(value)
    if isinstance(value, Mapping):
        return {mask_numbers_in(str(k)): mask_numbers_in_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_numbers_in_data(item) for item in value]
    return value
