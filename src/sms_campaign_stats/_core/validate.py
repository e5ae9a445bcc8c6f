"""Converters and checks shared by the domain objects: one place that coerces loose input.

Each factory takes the qualified field name (``"Message.recipient"``) so that a ``ValidationError``
says exactly where the bad value was.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sms_campaign_stats._core.privacy import mask_number
from sms_campaign_stats.errors import ValidationError

__all__ = [
    "MAX_AMOUNT",
    "MAX_ID_LENGTH",
    "MAX_JSON_DEPTH",
    "MAX_TEXT_LENGTH",
    "check_e164",
    "check_id",
    "check_instant",
    "check_list_ids",
    "check_member",
    "check_money",
    "check_text",
    "check_utc",
    "coerce_enum",
    "describe",
    "earlier",
    "ensure",
    "list_ids_argument",
    "non_negative_int",
    "optional_to_utc",
    "plain_json",
    "to_decimal",
    "to_list_ids",
    "to_utc",
]

#: Ids longer than this are refused: an id is a key, not a document.
MAX_ID_LENGTH = 256
#: Free texts (names, inbound SMS, keywords) longer than this are refused. A concatenated SMS
#: carries at most 255 x 153 = 39,015 GSM-7 characters.
MAX_TEXT_LENGTH = 40_000
#: Nesting bound for the JSON-like details of history events.
MAX_JSON_DEPTH = 32

UTC = timezone.utc
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")  # ITU-T E.164: at most 15 digits, no leading zero

E = TypeVar("E")


#: Amounts at or above this are refused: a price per segment, not a national debt (and far from
#: what ``Decimal`` arithmetic in the default context can overflow).
MAX_AMOUNT = Decimal(10) ** 15


def describe(value: object, limit: int = 80) -> str:
    """A short ``repr`` of any value for an error message; never raises (an int of more than
    4300 digits cannot be written in decimal, a broken ``__repr__`` may raise anything)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return f"<an int of {value.bit_length()} bits>"
    try:
        text = repr(value)
    except Exception:  # a hostile or broken __repr__: the type is enough to say what was wrong
        return f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


_describe = describe


def _unencodable(value: str) -> bool:
    """True when ``value`` holds a lone surrogate: not Unicode text, it cannot be stored as UTF-8.
    (``isascii`` is O(1): the common case costs nothing.)"""
    if value.isascii():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def to_utc(value: datetime) -> datetime:
    """Converter: an aware datetime in UTC. Anything else is passed on for a validator to refuse
    with the field's name (attrs converters do not know which field they convert)."""
    if isinstance(value, datetime) and value.tzinfo is not UTC and value.utcoffset() is not None:
        try:
            return value.astimezone(UTC)
        except OverflowError:
            return value
    return value


def optional_to_utc(value: datetime | None) -> datetime | None:
    """Like ``to_utc``; ``None`` stays ``None``."""
    return None if value is None else to_utc(value)


def check_utc(field: str, value: object) -> datetime:
    """An aware datetime, returned in UTC; naive datetimes and other types refused."""
    if not isinstance(value, datetime):
        raise ValidationError(field, f"expected an aware datetime, got {_describe(value)}")
    if value.utcoffset() is None:
        raise ValidationError(
            field,
            f"naive datetime {value.isoformat()} refused: give a time zone "
            "(the library never guesses one)",
        )
    converted = to_utc(value)
    if converted.tzinfo is not UTC:
        raise ValidationError(
            field, f"{value.isoformat()} is outside the representable range in UTC"
        )
    return converted


def check_instant(
    field: str,
    value: object,
    *,
    before: timedelta = timedelta(0),
    after: timedelta = timedelta(0),
) -> datetime:
    """Like ``check_utc``, and the instants ``before`` earlier and ``after`` later must exist
    (year 1 to 9999): a caller that computes ``value - before`` or ``value + after`` is given a
    ``ValidationError`` naming ``field`` instead of an ``OverflowError``."""
    at = check_utc(field, value)
    try:
        at - before
        at + after
    except OverflowError:
        raise ValidationError(
            field,
            f"{at.isoformat()} is too near year 1 or year 9999: instants from {before} before "
            f"it to {after} after it must exist",
        ) from None
    return at


def earlier(at: datetime, delta: timedelta) -> datetime:
    """``at - delta``, or the first representable instant when that is before year 1: the start
    of a window that reaches back further than the calendar (never an ``OverflowError``)."""
    try:
        return at - delta
    except OverflowError:
        return datetime.min.replace(tzinfo=at.tzinfo)


def check_id(field: str, value: object) -> str:
    """A non-empty identifier of bounded length, without surrounding whitespace."""
    if not isinstance(value, str):
        raise ValidationError(field, f"expected a string id, got {_describe(value)}")
    if not value or value.strip() != value:
        raise ValidationError(
            field, f"an id must be non-empty without surrounding spaces, got {_describe(value)}"
        )
    if len(value) > MAX_ID_LENGTH:
        raise ValidationError(field, f"an id has at most {MAX_ID_LENGTH} characters")
    if _unencodable(value):
        raise ValidationError(field, "an id must be valid Unicode text (it has a lone surrogate)")
    return value


def check_text(field: str, value: object, *, allow_empty: bool = True) -> str:
    """A string of bounded length."""
    if not isinstance(value, str):
        raise ValidationError(field, f"expected a string, got {_describe(value)}")
    if not allow_empty and not value.strip():
        raise ValidationError(field, "must not be empty")
    if len(value) > MAX_TEXT_LENGTH:
        raise ValidationError(
            field, f"{len(value)} characters is more than the {MAX_TEXT_LENGTH} allowed"
        )
    if _unencodable(value):
        raise ValidationError(field, "must be valid Unicode text (it has a lone surrogate)")
    return value


def check_e164(field: str, value: object) -> str:
    """An E.164 number: ``+``, then 2 to 15 digits, the first not 0. The value is masked."""
    if not isinstance(value, str) or _E164.fullmatch(value) is None:
        shown = mask_number(value) if isinstance(value, str) else _describe(value)
        raise ValidationError(
            field, f"{shown} is not an E.164 number ('+' then 2 to 15 digits, no leading 0)"
        )
    return value


def non_negative_int(field: str, value: object) -> int:
    """An int (not a bool) that is at least 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(field, f"expected a non-negative integer, got {_describe(value)}")
    return value


def coerce_enum(enum_type: type[E], value: object) -> E | object:
    """A member of ``enum_type`` from a member or its value; anything else is passed on."""
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type(value)  # type: ignore[call-arg]
    except ValueError:
        return value


def check_member(field: str, enum_type: type[E], value: object) -> E:
    """``value`` if it is a member of ``enum_type``, else a ValidationError listing the choices."""
    if not isinstance(value, enum_type):
        choices = ", ".join(str(m.value) for m in enum_type)  # type: ignore[attr-defined]
        raise ValidationError(field, f"{_describe(value)} is not one of: {choices}")
    return value


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Converter: a Decimal from an int or a numeric string; anything else is passed on."""
    if isinstance(value, (Decimal, bool)) or not isinstance(value, (int, str)):
        return value  # type: ignore[return-value]  # the validator names the problem
    try:
        return Decimal(value)
    except InvalidOperation:
        return value  # type: ignore[return-value]


def check_money(field: str, value: object) -> Decimal:
    """A finite, non-negative ``Decimal``. Floats are refused: 0.1 is not exact, money must be."""
    if isinstance(value, float):
        raise ValidationError(
            field, f"{value!r} refused: give money as Decimal or str, floats are inexact"
        )
    if not isinstance(value, Decimal):
        raise ValidationError(field, f"expected a Decimal amount, got {_describe(value)}")
    if not value.is_finite():
        raise ValidationError(field, f"{value} is not a finite amount")
    if value < 0:
        raise ValidationError(field, f"{value} is negative")
    if value >= MAX_AMOUNT:
        raise ValidationError(field, f"{describe(value)} is not below the {MAX_AMOUNT:,} allowed")
    return value


@functools.lru_cache(maxsize=4096)
def _interned(ids: tuple[str, ...]) -> tuple[str, ...]:
    # The cache hands back the first tuple it saw equal to ``ids``: a million messages in three
    # lists share a handful of tuples instead of holding a million.
    return ids


@functools.lru_cache(maxsize=4096)
def _canonical_list_ids(ids: tuple[str, ...]) -> tuple[str, ...]:
    return _interned(tuple(sorted(set(ids))))


def to_list_ids(value: Iterable[str]) -> tuple[str, ...]:
    """Converter: list ids sorted and without repeats; anything odd is passed on, as a tuple if
    it is a collection, for ``check_list_ids`` to refuse."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        return value  # type: ignore[return-value]
    ids = tuple(value)
    if all(isinstance(item, str) for item in ids):
        return _canonical_list_ids(ids)
    return ids


def list_ids_argument(field: str, value: object) -> tuple[Any, ...]:
    """The list ids a factory was given, as a tuple for the constructor to check: a string or a
    non-iterable is refused here (``tuple("abc")`` would be three list ids)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValidationError(field, f"expected a collection of list ids, got {describe(value)}")
    return tuple(value)


def check_list_ids(field: str, value: object) -> tuple[str, ...]:
    """A tuple of valid ids."""
    if not isinstance(value, tuple):
        raise ValidationError(field, f"expected a collection of list ids, got {_describe(value)}")
    for item in value:
        check_id(field, item)
    return value


def _freeze(field: str, value: object, depth: int) -> Any:
    if depth > MAX_JSON_DEPTH:
        raise ValidationError(field, f"nested more than {MAX_JSON_DEPTH} levels deep")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(field, f"{value!r} is not a finite number")
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return check_utc(field, value).isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Mapping):
        frozen: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(field, f"keys must be strings, got {_describe(key)}")
            frozen[key] = _freeze(field, item, depth + 1)
        return frozen
    if isinstance(value, (list, tuple)):
        return [_freeze(field, item, depth + 1) for item in value]
    raise ValidationError(field, f"{_describe(value)} cannot be stored as JSON")


def plain_json(value: Mapping[str, Any]) -> dict[str, Any]:
    """Converter for history details: a plain JSON copy (Decimals, datetimes, timedeltas made
    plain). Refuses, naming the field, what JSON cannot hold."""
    field = "TimelineEvent.details"
    if not isinstance(value, Mapping):
        raise ValidationError(field, f"expected a mapping, got {_describe(value)}")
    result: dict[str, Any] = _freeze(field, value, 0)
    return result


def ensure(field: str, condition: bool, problem: str) -> None:
    """Raise ``ValidationError(field, problem)`` unless ``condition`` holds."""
    if not condition:
        raise ValidationError(field, problem)
