"""Masking phone numbers wherever they might be shown: reprs, error messages, renderings."""

from __future__ import annotations

__all__ = ["mask_number"]


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
