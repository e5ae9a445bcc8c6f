"""``DeliveryReport``: what every provider's receipt is normalised to, and the shared checks.

A report keeps what the provider said, as it said it: the status word, the error code with the
vocabulary (namespace) it belongs to, the provider's own times (naive when the provider gives no
zone, never assumed to be UTC), segment counts when given, and the raw payload untouched.
Deciding what the report *means* is the classifier's job (``bounces.py``).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

import attrs
from dateutil.parser import isoparse

from sms_campaign_stats._core import validate as v
from sms_campaign_stats.errors import MalformedReportError, ValidationError

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_NESTING",
    "MAX_PAYLOAD_BYTES",
    "MAX_SEGMENTS",
    "NO_DETAILS",
    "DeliveryReport",
    "ErrorCode",
    "ErrorNamespace",
    "ProviderTime",
    "check_payload",
    "describe",
    "error_code",
    "is_digits",
    "new_report",
    "parser_name",
    "provider_time",
    "smpp_time",
]

#: Payloads larger than this (in bytes of UTF-8, or of the mapping's keys and values) are refused
#: before any parsing: a delivery receipt is a few hundred bytes.
MAX_PAYLOAD_BYTES = 64 * 1024
#: Mappings and lists nested deeper than this are refused.
MAX_NESTING = 16
#: A report's ``provider``, ``provider_message_id`` and ``status`` are names, not documents: at
#: most this many characters (the parsers' id bound; their status words are shorter still).
MAX_NAME_LENGTH = v.MAX_ID_LENGTH
#: Segment counts at or above this are refused (the parsers read at most nine digits).
MAX_SEGMENTS = 10**9


class ErrorNamespace(str, enum.Enum):
    """Whose vocabulary an error code belongs to. A code means nothing without it."""

    SMPP_COMMAND_STATUS = "smpp_command_status"  # ESME_R* codes of a submit_sm_resp
    GSM_MAP = "gsm_map"  # 3GPP TS 29.002 MAP errors (network_error_code type 3)
    TWILIO = "twilio"
    VONAGE = "vonage"
    INFOBIP = "infobip"
    BREVO = "brevo"  # Brevo gives a reason text, not a code
    PROVIDER = "provider"  # a provider's own codes, unknown to the library

    def __str__(self) -> str:
        return self.value


@attrs.frozen
class ErrorCode:
    """An error code and its namespace. Numeric codes are kept as decimal text ("27", not "027")."""

    namespace: ErrorNamespace
    code: str


@functools.lru_cache(maxsize=4096)
def error_code(namespace: ErrorNamespace, code: str) -> ErrorCode | None:
    """The shared ``ErrorCode`` for a raw code; ``None`` for "no error" (empty, or zero)."""
    text = code.strip()
    if text.isascii() and text.isdigit():  # "²" is a digit to isdigit, and not to int()
        text = text.lstrip("0") or "0"  # str(int(text)), without int's 4300-digit limit
        if text == "0":
            return None
    if not text:
        return None
    return ErrorCode(namespace, text)


@attrs.frozen
class ProviderTime:
    """A time as the provider gave it.

    ``value`` is naive when the provider gave no zone (SMPP dates, Twilio's RawDlrDoneDate): it is
    the provider's or carrier's local time, and the library never pretends it is UTC.
    """

    value: datetime
    raw: str

    @property
    def zone_known(self) -> bool:
        """True when ``value`` is aware."""
        return self.value.utcoffset() is not None


def _received(value: datetime | None) -> datetime | None:
    return None if value is None else v.check_utc("DeliveryReport.received_at", value)


def _check_name(name: str, value: object, *, optional: bool) -> None:
    field = f"DeliveryReport.{name}"
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise ValidationError(field, f"expected a string, got {describe(value)}")
    if len(value) > MAX_NAME_LENGTH:
        raise ValidationError(
            field, f"{len(value)} characters is more than the {MAX_NAME_LENGTH} allowed"
        )


def _check_text(name: str, value: object) -> None:
    field = f"DeliveryReport.{name}"
    if value is None:
        return
    if not isinstance(value, str):
        raise ValidationError(field, f"expected a string, got {describe(value)}")
    if len(value) > MAX_PAYLOAD_BYTES or (
        len(value) > MAX_PAYLOAD_BYTES // 4
        and len(value.encode("utf-8", "surrogatepass")) > MAX_PAYLOAD_BYTES
    ):
        raise ValidationError(field, f"larger than the {MAX_PAYLOAD_BYTES} bytes allowed")


def _check_flag(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ValidationError(f"DeliveryReport.{name}", f"expected a bool, got {describe(value)}")


def _check_count(name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_SEGMENTS:
        raise ValidationError(
            f"DeliveryReport.{name}",
            f"expected a count from 0 to {MAX_SEGMENTS - 1}, got {describe(value)}",
        )


def _check_details(value: object) -> None:
    field = "DeliveryReport.details"
    if not isinstance(value, Mapping):
        raise ValidationError(field, f"expected a mapping, got {describe(value)}")
    for key in value:
        if not isinstance(key, str):
            raise ValidationError(field, f"keys must be strings, got {describe(key)}")
    try:
        size = _size(value, 1, None)
    except MalformedReportError as error:
        raise ValidationError(field, error.problem) from None
    if size > MAX_PAYLOAD_BYTES:
        raise ValidationError(field, f"larger than the {MAX_PAYLOAD_BYTES} bytes allowed")


def parser_name(what: str, value: object, raw: object, *, optional: bool) -> str | None:
    """A parser's own argument that becomes a report's ``provider`` or ``provider_message_id``:
    a string of at most ``MAX_NAME_LENGTH`` characters, else ``MalformedReportError``."""
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_LENGTH:
        raise MalformedReportError(
            f"{what} {describe(value)} is not a name of at most {MAX_NAME_LENGTH} characters", raw
        )
    return value


def check_report(report: DeliveryReport) -> None:
    """Every field of ``report`` of its type and within its bound, else a ``ValidationError``
    naming the field: a report built directly is held to what the parsers ensure."""
    _check_name("provider", report.provider, optional=False)
    _check_name("provider_message_id", report.provider_message_id, optional=True)
    _check_name("status", report.status, optional=True)
    error = report.error
    if error is not None:
        if not isinstance(error, ErrorCode) or not isinstance(error.namespace, ErrorNamespace):
            raise ValidationError(
                "DeliveryReport.error", f"expected an ErrorCode or None, got {describe(error)}"
            )
        if error.code is None:
            raise ValidationError("DeliveryReport.error", "the code must be a string")
        _check_text("error", error.code)
    _check_text("submitted_text", report.submitted_text)
    _check_text("done_text", report.done_text)
    _check_flag("times_in_utc", report.times_in_utc)
    _check_flag("intermediate", report.intermediate)
    _check_count("segments_submitted", report.segments_submitted)
    _check_count("segments_delivered", report.segments_delivered)
    _check_details(report.details)


@attrs.frozen(kw_only=True, slots=False)
class DeliveryReport:
    """One provider receipt, normalised but not interpreted.

    ``status`` is the status word as sent (``"DELIVRD"``, ``"undelivered"``, ``"softBounce"``);
    ``error`` the error code and its namespace; ``submitted_text`` / ``done_text`` the
    provider's times exactly as written, read on demand by ``submitted_at`` / ``done_at`` (naive
    unless the provider gives an offset, or documents UTC: ``times_in_utc``); ``received_at``
    when your service received it (you pass it: the library never reads the clock);
    ``segments_submitted`` / ``segments_delivered`` the counts a receipt may carry;
    ``intermediate`` whether the provider marked it as an intermediate notification; ``details``
    other fields worth keeping (texts, names, network codes); ``raw`` the payload untouched.
    """

    provider: str
    provider_message_id: str | None
    status: str | None
    error: ErrorCode | None = None
    submitted_text: str | None = None
    done_text: str | None = None
    times_in_utc: bool = False
    received_at: datetime | None = attrs.field(default=None, converter=_received)
    segments_submitted: int | None = None
    segments_delivered: int | None = None
    intermediate: bool = False
    details: Mapping[str, str] = attrs.field(factory=dict, hash=False, repr=False)
    raw: object = attrs.field(default=None, hash=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        check_report(self)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data, without ``raw`` (kept as given, possibly not JSON)."""
        return {
            "provider": self.provider,
            "provider_message_id": self.provider_message_id,
            "status": self.status,
            "error": None
            if self.error is None
            else {"namespace": self.error.namespace.value, "code": self.error.code},
            "submitted_text": self.submitted_text,
            "done_text": self.done_text,
            "times_in_utc": self.times_in_utc,
            "received_at": None if self.received_at is None else self.received_at.isoformat(),
            "segments_submitted": self.segments_submitted,
            "segments_delivered": self.segments_delivered,
            "intermediate": self.intermediate,
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeliveryReport:
        """The report ``to_dict`` gave; ``MalformedReportError`` if ``data`` is not one."""
        try:
            error = data["error"]
            received = data["received_at"]
            return cls(
                provider=str(data["provider"]),
                provider_message_id=data["provider_message_id"],
                status=data["status"],
                error=None
                if error is None
                else ErrorCode(ErrorNamespace(error["namespace"]), str(error["code"])),
                submitted_text=data["submitted_text"],
                done_text=data["done_text"],
                times_in_utc=bool(data["times_in_utc"]),
                received_at=None if received is None else datetime.fromisoformat(received),
                segments_submitted=data["segments_submitted"],
                segments_delivered=data["segments_delivered"],
                intermediate=bool(data["intermediate"]),
                details=dict(data["details"]),
                raw=data,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise MalformedReportError(f"not a stored delivery report ({error})", data) from None

    @property
    def submitted_at(self) -> ProviderTime | None:
        """When the provider says the message was submitted; ``None`` if not given or unreadable."""
        return provider_time(self.submitted_text, self.times_in_utc)

    @property
    def done_at(self) -> ProviderTime | None:
        """When the provider says the message reached its state; ``None`` if not given or
        unreadable (``done_text`` keeps what was written)."""
        return provider_time(self.done_text, self.times_in_utc)


_new = object.__new__
_set = object.__setattr__
NO_DETAILS: Mapping[str, str] = MappingProxyType({})


def new_report(
    provider: str,
    provider_message_id: str | None,
    status: str | None,
    error: ErrorCode | None,
    submitted_text: str | None,
    done_text: str | None,
    times_in_utc: bool,
    received_at: datetime | None,
    segments_submitted: int | None,
    segments_delivered: int | None,
    intermediate: bool,
    details: Mapping[str, str],
    raw: object,
) -> DeliveryReport:
    """The parsers' constructor: the object ``DeliveryReport(...)`` builds, in one assignment
    (parsers build millions; a test checks both ways agree, field by field)."""
    report: DeliveryReport = _new(DeliveryReport)
    _set(
        report,
        "__dict__",
        {
            "provider": provider,
            "provider_message_id": provider_message_id,
            "status": status,
            "error": error,
            "submitted_text": submitted_text,
            "done_text": done_text,
            "times_in_utc": times_in_utc,
            "received_at": None if received_at is None else _received(received_at),
            "segments_submitted": segments_submitted,
            "segments_delivered": segments_delivered,
            "intermediate": intermediate,
            "details": details,
            "raw": raw,
        },
    )
    return report


def _size(value: object, depth: int, raw: object) -> int:
    if depth > MAX_NESTING:
        raise MalformedReportError(f"nested more than {MAX_NESTING} levels deep", raw)
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, Mapping):
        total = 0
        for key, item in value.items():
            total += _size(key, depth + 1, raw) + _size(item, depth + 1, raw)
            if total > MAX_PAYLOAD_BYTES:
                break
        return total
    if isinstance(value, (list, tuple)):
        total = 0
        for item in value:
            total += _size(item, depth + 1, raw)
            if total > MAX_PAYLOAD_BYTES:
                break
        return total
    return 8


def check_payload(payload: object) -> None:
    """Refuse, quickly, a payload over ``MAX_PAYLOAD_BYTES`` or nested over ``MAX_NESTING``."""
    size = _size(payload, 0, payload)
    if isinstance(payload, str) and MAX_PAYLOAD_BYTES // 4 < size <= MAX_PAYLOAD_BYTES:
        size = len(payload.encode("utf-8", "surrogatepass"))
    if size > MAX_PAYLOAD_BYTES:
        raise MalformedReportError(
            f"payload larger than the {MAX_PAYLOAD_BYTES} bytes a receipt may take",
            payload if size <= 4 * MAX_PAYLOAD_BYTES else f"<{size} bytes, not kept>",
        )


def _naive(digits: str, layout: tuple[int, ...]) -> datetime | None:
    parts, start = [], 0
    for width in layout:
        parts.append(int(digits[start : start + width]))
        start += width
    if layout[0] == 2:
        parts[0] += 2000  # SMPP's two-digit years are this century's
    parts += [0] * (6 - len(parts))  # seconds, when the layout has none
    try:
        return datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
    except ValueError:
        return None


@functools.lru_cache(maxsize=8192)
def smpp_time(digits: str) -> ProviderTime | None:
    """An SMPP receipt date: ``YYMMDDhhmm``, ``YYMMDDhhmmss`` or ``YYYYMMDDhhmmss``.

    Twelve digits are read as ``YYMMDDhhmmss`` first and, when that is not a real date, as
    ``YYYYMMDDhhmm`` (a real Jasmin receipt has ``201506201641``: 2015-06-20 16:41). The result
    is naive: SMPP dates carry no zone. ``None`` when no reading gives a real date.
    """
    layouts: tuple[tuple[int, ...], ...] = {
        10: ((2, 2, 2, 2, 2),),
        12: ((2, 2, 2, 2, 2, 2), (4, 2, 2, 2, 2)),
        14: ((4, 2, 2, 2, 2, 2),),
    }.get(len(digits), ())
    if not (digits.isascii() and digits.isdigit()):
        return None
    for layout in layouts:
        value = _naive(digits, layout)
        if value is not None:
            return ProviderTime(value, digits)
    return None


@functools.lru_cache(maxsize=8192)
def _iso(text: str, utc: bool) -> ProviderTime | None:
    if len(text) > 40:
        return None
    try:
        value = isoparse(text.replace(" ", "T", 1))
    except (ValueError, OverflowError):
        return None
    if utc and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return ProviderTime(value, text)


def provider_time(text: str | None, utc: bool = False) -> ProviderTime | None:
    """A provider's time as written: SMPP-style digits (``YYMMDDhhmm``...) or ISO 8601.

    Naive unless the text has an offset, or ``utc`` says the provider documents its times as UTC.
    """
    if text is None:
        return None
    if text.isdigit():
        found = smpp_time(text)
        if found is not None and utc:
            return ProviderTime(found.value.replace(tzinfo=timezone.utc), text)
        return found
    return _iso(text, utc)


def describe(value: Any) -> str:
    """A short description of a payload for an error message (never raises)."""
    return v.describe(value, 60)


def is_digits(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts "²" and "①", which ``int`` refuses."""
    return text.isascii() and text.isdigit()
