"""What the HTTP providers' parsers share: reading a payload's fields, checked and bounded.

A payload comes as your web framework hands it over: a mapping of form fields, a parsed JSON
object, or the raw body text (JSON or a query string). Every helper raises
``MalformedReportError`` saying what was wrong, never a bare ``KeyError`` or ``ValueError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from sms_campaign_stats._core.validate import MAX_ID_LENGTH
from sms_campaign_stats.errors import MalformedReportError
from sms_campaign_stats.providers._report import (
    MAX_NESTING,
    ErrorCode,
    ErrorNamespace,
    check_payload,
    describe,
    error_code,
    is_digits,
)

__all__ = [
    "count",
    "field",
    "numeric_code",
    "payload_fields",
    "required",
    "status_word",
    "time_text",
]

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_ -]{0,39}")
#: Integer fields (Brevo's numeric message ids) wider than this are refused, not written out.
_MAX_INT_BITS = 128


def payload_fields(payload: object, what: str) -> Mapping[str, Any]:
    """The payload as a mapping: a mapping as is, JSON text, or a query string / form body."""
    check_payload(payload)
    if isinstance(payload, (bytes, bytearray)):
        payload = bytes(payload).decode("utf-8", "replace")
    if isinstance(payload, str):
        text = payload.strip()
        if text.startswith("{"):
            try:
                parsed = json.loads(text)
            except ValueError as error:
                raise MalformedReportError(f"{what}: invalid JSON ({error})", payload) from None
            except RecursionError:  # json's C decoder stops at the interpreter's recursion limit
                raise MalformedReportError(
                    f"{what}: JSON nested more than {MAX_NESTING} levels deep", payload
                ) from None
            check_payload(parsed)  # the nesting bound holds for JSON text as for mappings
        else:
            parsed = {key: values[0] for key, values in parse_qs(text).items()}
        payload = parsed
    if not isinstance(payload, Mapping):
        raise MalformedReportError(f"{what}: expected fields, got {describe(payload)}", payload)
    return payload


def field(fields: Mapping[str, Any], names: tuple[str, ...], raw: object) -> str | None:
    """The first of ``names`` present, as text (a form's one-element list is unwrapped)."""
    for name in names:
        if name not in fields:
            continue
        value = fields[name]
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, (str, int))
            or (isinstance(value, int) and value.bit_length() > _MAX_INT_BITS)
        ):
            raise MalformedReportError(
                f"field {describe(name)} is not a text: {describe(value)}", raw
            )
        text = str(value).strip()
        return text or None
    return None


def required(fields: Mapping[str, Any], names: tuple[str, ...], raw: object, what: str) -> str:
    """The first of ``names`` present, which must be there and short enough to be an id."""
    value = field(fields, names, raw)
    if value is None:
        raise MalformedReportError(f"{what}: no {names[0]}", raw)
    if len(value) > MAX_ID_LENGTH:
        raise MalformedReportError(f"{what}: {names[0]} is too long to be an id", raw)
    return value


def status_word(value: str, raw: object, what: str) -> str:
    """``value`` if it looks like a status word (a letter, then up to 39 word characters)."""
    if _WORD.fullmatch(value) is None:
        raise MalformedReportError(f"{what}: {describe(value)} is not a status word", raw)
    return value


def numeric_code(
    namespace: ErrorNamespace, value: str | None, raw: object, what: str
) -> ErrorCode | None:
    """A numeric error code of ``namespace``; ``None`` for none (absent, empty or zero)."""
    if value is None:
        return None
    if not is_digits(value) or len(value) > 10:
        raise MalformedReportError(f"{what}: error code {describe(value)} is not a number", raw)
    return error_code(namespace, value)


def count(value: str | None) -> int | None:
    """A segment count, if ``value`` is one (up to six digits); ``None`` otherwise."""
    return int(value) if value is not None and is_digits(value) and len(value) <= 6 else None


def time_text(fields: Mapping[str, Any], name: str, raw: object) -> str | None:
    """A time field as written (read on demand by the report), if it is short enough to be one."""
    value = field(fields, (name,), raw)
    return value if value is not None and len(value) <= 40 else None
