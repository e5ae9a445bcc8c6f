"""Masking phone numbers wherever they might be shown: reprs, error messages, renderings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["mask_number", "mask_numbers_in", "mask_numbers_in_data"]

# "+", a digit, then more digits each optionally after one space, dot or dash: "+33612345678",
# "+33 6 12 34 56 78", "+1-202-555-0143". Counted below: 8 digits or more is a phone number.
_NUMBER_LIKE = re.compile(r"\+\d(?:[ .\-]?\d)*")
_MIN_DIGITS = 8


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


def mask_numbers_in(text: str) -> str:
    """Mask every E.164-looking phone number in free text with ``mask_number``'s rule.

    A number is ``+`` then at least 8 digits, possibly separated by single spaces, dots or
    dashes. E.164 allows 15 digits at most; longer runs are masked too, erring on the side of
    privacy. Shorter runs (``+15%``, ``+1234``) are left alone.

    >>> mask_numbers_in("last bounce: +33612345678, then +33 6 12 34 56 79; rate +12.5")
    'last bounce: +336******78, then +33 ***********79; rate +12.5'
    """
    return _NUMBER_LIKE.sub(_mask_match, text)


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
