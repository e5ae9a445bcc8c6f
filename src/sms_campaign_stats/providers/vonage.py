"""Vonage (Nexmo) SMS API: delivery receipts, and the tables of ``status`` and ``err-code`` values.

Statuses and codes 0-15 and 99 with their descriptions: Vonage's documentation source
[C-VONAGEDOC]; err 9 as an opt-out: [W-VN-OPTOUT]; codes 16 and 50-54 by name only, from
courier's ``dlrErrorCodes`` [C-COURIER]. Vonage's SMPP help [W-NEXMO-SMPP] reads err 9 and 11
otherwise (decisions D11, D12). ``scts`` and ``message-timestamp`` carry no zone and stay naive.

Inbound messages [W-VN-INBOUND]: ``msisdn`` (the sender), ``to``, ``messageId``, ``text``,
``message-timestamp`` (UTC), and ``concat``, ``concat-ref``, ``concat-total``, ``concat-part``
for the parts of a long message, each delivered on its own (``join_parts`` puts them together).
Signed webhooks (the ``sig`` parameter): computed as Vonage's own SDKs compute it [W-VN-SIG].
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from sms_campaign_stats._core.validate import check_utc
from sms_campaign_stats.errors import MalformedInboundError, MalformedReportError, ValidationError
from sms_campaign_stats.lifecycle._statuses import BounceReason, Outcome
from sms_campaign_stats.providers._fields import (
    field,
    numeric_code,
    payload_fields,
    required,
    status_word,
    time_text,
)
from sms_campaign_stats.providers._inbound import (
    MAX_INBOUND_TEXT_LENGTH,
    MAX_PART_LENGTH,
    InboundMessage,
    epoch_utc,
    inbound_parser,
    inbound_sender,
    inbound_text,
    optional_name,
    part_of,
    raw_field,
    text_utc,
)
from sms_campaign_stats.providers._provider import Provider
from sms_campaign_stats.providers._report import (
    NO_DETAILS,
    DeliveryReport,
    ErrorNamespace,
    check_payload,
    new_report,
)
from sms_campaign_stats.providers._rows import CodeRow, code_row, code_table

__all__ = [
    "ERROR_TABLE",
    "PROVIDER",
    "SIGNATURE_ALGORITHMS",
    "STATUS_TABLE",
    "parse_vonage_inbound",
    "parse_vonage_receipt",
    "verify_vonage_signature",
    "vonage_signature",
]

#: The signature methods of Vonage's dashboard [W-VN-SIG]: ``md5hash`` is MD5 over the
#: parameters followed by the secret; the others are HMACs keyed by the secret.
SIGNATURE_ALGORITHMS = frozenset({"md5hash", "md5", "sha1", "sha256", "sha512"})

_O, _R = Outcome, BounceReason
_S, _E = "vonage_status", "vonage"
_SOFT, _HARD = _O.SOFT_BOUNCE, _O.HARD_BOUNCE

#: Receipt ``status`` values (lower case).
STATUS_TABLE: Mapping[str, CodeRow] = code_table(
    [
        code_row(_S, "delivered", "delivered", _O.DELIVERED, source="C-VONAGEDOC"),
        code_row(_S, "accepted", "accepted", _O.PENDING, source="C-VONAGEDOC"),
        code_row(_S, "buffered", "buffered", _O.PENDING, source="C-VONAGEDOC"),
        code_row(_S, "unknown", "unknown", _O.PENDING, source="C-COURIER", decision="D2"),
        code_row(_S, "expired", "expired", _SOFT, _R.EXPIRED_AT_OPERATOR, source="C-VONAGEDOC"),
        code_row(_S, "failed", "failed", _SOFT, _R.PROVIDER_UNKNOWN_FAILURE, source="C-VONAGEDOC"),
        code_row(
            _S, "rejected", "rejected", _SOFT, _R.PROVIDER_UNKNOWN_FAILURE, source="C-VONAGEDOC"
        ),
    ]
)

#: ``err-code`` values (decimal).
ERROR_TABLE: Mapping[str, CodeRow] = code_table(
    [
        code_row(_E, 1, "Unknown", _SOFT, _R.PROVIDER_UNKNOWN_FAILURE, source="C-VONAGEDOC"),
        code_row(
            _E,
            2,
            "Absent Subscriber - Temporary",
            _SOFT,
            _R.HANDSET_OFF_OR_OUT_OF_COVERAGE,
            source="C-VONAGEDOC",
        ),
        code_row(
            _E,
            3,
            "Absent Subscriber - Permanent",
            _HARD,
            _R.NUMBER_DOES_NOT_EXIST,
            source="C-VONAGEDOC",
        ),
        code_row(
            _E,
            4,
            "Call Barred by User",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-VONAGEDOC",
            decision="D7",
        ),
        code_row(
            _E,
            5,
            "Portability Error",
            _SOFT,
            _R.TEMPORARY_OPERATOR_NETWORK_ISSUE,
            source="C-VONAGEDOC",
        ),
        code_row(
            _E,
            6,
            "Anti-Spam Rejection",
            _SOFT,
            _R.SPAM_FILTERED_BY_OPERATOR,
            source="C-VONAGEDOC",
            decision="D10",
        ),
        code_row(_E, 7, "Handset Busy", _SOFT, _R.HANDSET_TEMPORARY_ERROR, source="C-VONAGEDOC"),
        code_row(
            _E,
            8,
            "Network Error",
            _SOFT,
            _R.TEMPORARY_OPERATOR_NETWORK_ISSUE,
            source="C-VONAGEDOC",
        ),
        code_row(
            _E,
            9,
            "Illegal Number",
            _HARD,
            _R.OPTED_OUT_EARLIER,
            source="W-VN-OPTOUT",
            decision="D11",
        ),
        code_row(_E, 10, "Illegal Message", _SOFT, _R.UNDELIVERABLE_CONTENT, source="C-VONAGEDOC"),
        code_row(
            _E,
            11,
            "Unroutable",
            _SOFT,
            _R.PROVIDER_UNKNOWN_FAILURE,
            source="C-VONAGEDOC",
            decision="D12",
        ),
        code_row(
            _E,
            12,
            "Destination Unreachable",
            _SOFT,
            _R.RECIPIENT_UNREACHABLE,
            source="C-VONAGEDOC",
        ),
        code_row(
            _E,
            13,
            "Subscriber Age Restriction",
            _SOFT,
            _R.UNDELIVERABLE_CONTENT,
            source="C-VONAGEDOC",
        ),
        code_row(
            _E,
            14,
            "Number Blocked by Carrier",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-VONAGEDOC",
        ),
        code_row(
            _E,
            15,
            "Prepaid Insufficient Funds",
            _SOFT,
            _R.RECIPIENT_UNREACHABLE,
            source="C-VONAGEDOC",
        ),
        code_row(_E, 16, "Gateway Quota Exceeded", _O.THROTTLED, source="C-COURIER"),
        code_row(_E, 50, "Entity Filter", _O.REJECTED_CONFIG, source="C-COURIER", decision="LIB"),
        code_row(_E, 51, "Header Filter", _O.REJECTED_CONFIG, source="C-COURIER", decision="LIB"),
        code_row(
            _E,
            52,
            "Content Filter",
            _SOFT,
            _R.SPAM_FILTERED_BY_OPERATOR,
            source="C-COURIER",
            decision="D10",
        ),
        code_row(
            _E,
            53,
            "Consent Filter",
            _HARD,
            _R.OPTED_OUT_EARLIER,
            source="C-COURIER",
            decision="OPTED-OUT-EARLIER",
        ),
        code_row(
            _E, 54, "Regulation Error", _O.REJECTED_CONFIG, source="C-COURIER", decision="LIB"
        ),
        code_row(_E, 99, "General Error", _SOFT, _R.PROVIDER_UNKNOWN_FAILURE, source="C-VONAGEDOC"),
    ]
)


def parse_vonage_receipt(
    params: Mapping[str, Any] | str | bytes, *, received_at: datetime | None = None
) -> DeliveryReport:
    """A Vonage SMS API delivery receipt, as a JSON body or query-string parameters.

    ``scts`` (``YYMMDDhhmm``) and ``message-timestamp`` carry no zone and stay naive.

    >>> parse_vonage_receipt("messageId=0C0000002EEBDA56&status=failed&err-code=9").error
    ErrorCode(namespace=<ErrorNamespace.VONAGE: 'vonage'>, code='9')
    """
    what = "Vonage delivery receipt"
    fields = payload_fields(params, what)
    message_id = required(fields, ("messageId", "message-id", "message_id"), params, what)
    status = status_word(required(fields, ("status",), params, what), params, what)
    details: dict[str, str] = {}
    for name in ("network-code", "price", "client-ref"):
        value = field(fields, (name,), params)
        if value:
            details[name] = value[:64]
    timestamp = field(fields, ("message-timestamp",), params)
    if timestamp:
        details["message-timestamp"] = timestamp[:40]
    return new_report(
        "vonage",
        message_id,
        status,
        numeric_code(
            ErrorNamespace.VONAGE, field(fields, ("err-code", "err_code"), params), params, what
        ),
        None,
        time_text(fields, "scts", params),
        False,
        received_at,
        None,
        None,
        False,
        details or NO_DETAILS,
        params,
    )


@inbound_parser
def parse_vonage_inbound(
    payload: Mapping[str, Any] | str | bytes, *, received_at: datetime | None = None
) -> InboundMessage:
    """A Vonage inbound SMS [W-VN-INBOUND], as a JSON body or query-string parameters.

    ``msisdn`` is the sender (international digits, given a ``+``), ``to`` your number,
    ``message-timestamp`` when Vonage pushed it (UTC), else ``timestamp`` (Unix), else your
    ``received_at``. A part of a concatenated message (``concat=true``) carries its ``part``
    (``concat-ref``, ``concat-total``, ``concat-part``): keep the parts and call
    ``join_parts`` until it returns the whole message. A part's text is at most
    ``MAX_PART_LENGTH`` characters; a binary message (``type=binary``) has no text and is
    refused.

    >>> m = parse_vonage_inbound("msisdn=447700900001&to=447700900000&messageId=0A0000001"
    ...     "&text=Hello&type=text&concat=true&concat-ref=5&concat-total=2&concat-part=1")
    >>> m.sender, m.part.total, m.complete
    ('+447700900001', 2, False)
    """
    what = "Vonage inbound message"
    fields = payload_fields(payload, what)
    message_id = required(fields, ("messageId", "message-id", "message_id"), payload, what)
    kind = field(fields, ("type",), payload)
    if kind is not None and kind.lower() == "binary":
        raise MalformedInboundError(f"{what}: a binary message has no text", payload)
    part = None
    concat = field(fields, ("concat",), payload)
    if concat is not None and concat.lower() in ("true", "1"):
        part = part_of(
            field(fields, ("concat-ref", "concat_ref"), payload),
            field(fields, ("concat-total", "concat_total"), payload),
            field(fields, ("concat-part", "concat_part"), payload),
            payload,
            what,
        )
    limit = MAX_PART_LENGTH if part is not None else MAX_INBOUND_TEXT_LENGTH
    details: dict[str, str] = {}
    for name in ("keyword", "type", "message-timestamp"):
        value = field(fields, (name,), payload)
        if value:
            details[name] = value[:40]
    return InboundMessage(
        sender=inbound_sender(field(fields, ("msisdn",), payload), payload, what),
        text=inbound_text(raw_field(fields, ("text",), payload, what), payload, what, limit=limit),
        to=optional_name(field(fields, ("to",), payload), payload, what, "to"),
        provider="vonage",
        provider_message_id=message_id,
        received_at=text_utc(field(fields, ("message-timestamp",), payload))
        or epoch_utc(field(fields, ("timestamp",), payload))
        or received_at,
        part=part,
        details=details,
        raw=payload,
    )


def vonage_signature(params: Mapping[str, Any], signature_secret: str, algorithm: str) -> str:
    """The ``sig`` Vonage computes for ``params`` (``sig`` itself left out): ``&key=value`` for
    each parameter in key order, ``&`` and ``=`` in text values made ``_``; then MD5 of that
    text followed by the secret (``md5hash``), or its HMAC keyed by the secret (``md5``,
    ``sha1``, ``sha256``, ``sha512``); lower-case hexadecimal. As Vonage's Python SDK computes
    it [W-VN-SIG].

    >>> vonage_signature({"a": "1", "b": "2", "timestamp": "1461605396"}, "secret", "md5hash")
    '6af838ef94998832dbfc29020b564830'
    """
    if algorithm not in SIGNATURE_ALGORITHMS:
        raise ValidationError(
            "algorithm", f"{algorithm!r} is not one of {', '.join(sorted(SIGNATURE_ALGORITHMS))}"
        )
    text = ""
    for key in sorted(params):
        if key == "sig":
            continue
        value = params[key]
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, str):
            value = value.replace("&", "_").replace("=", "_")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"parameter {key} is not a text or a number")
        text += f"&{key}={value}"
    if algorithm == "md5hash":
        return hashlib.md5((text + signature_secret).encode("utf-8")).hexdigest()  # noqa: S324
    return hmac.new(signature_secret.encode("utf-8"), text.encode("utf-8"), algorithm).hexdigest()


def _signed_fields(params: Mapping[str, Any] | str | bytes) -> Mapping[str, Any]:
    """The request's parameters; a query string keeps its empty values (they are signed too)."""
    if isinstance(params, (str, bytes)):
        check_payload(params)
        text = params.decode("utf-8") if isinstance(params, bytes) else params
        if not text.strip().startswith("{"):
            return dict(parse_qsl(text.strip(), keep_blank_values=True))
    return payload_fields(params, "Vonage signed request")


def verify_vonage_signature(
    params: Mapping[str, Any] | str | bytes,
    signature_secret: str,
    *,
    algorithm: str = "md5hash",
    now: datetime | None = None,
    max_age: timedelta = timedelta(minutes=5),
) -> bool:
    """Whether a signed Vonage webhook is Vonage's: its ``sig`` parameter is the signature of
    the other parameters under ``signature_secret`` with ``algorithm`` (the dashboard's
    setting: ``md5hash``, ``md5``, ``sha1``, ``sha256`` or ``sha512``), compared in constant
    time. ``params`` are the request's parameters (a mapping, the query string, or the JSON
    body). With ``now``, a ``timestamp`` missing or more than ``max_age`` away from ``now`` is
    refused (a replayed request). A missing or junk signature is ``False``, never an
    exception; an empty secret or an unknown algorithm is a ``ValidationError``.

    >>> signed = {"a": "1", "b": "2", "timestamp": "1461605396",
    ...           "sig": "6af838ef94998832dbfc29020b564830"}
    >>> verify_vonage_signature(signed, "secret")
    True
    >>> from datetime import datetime, timezone
    >>> verify_vonage_signature(signed, "secret", now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    False
    """
    if not isinstance(signature_secret, str) or not signature_secret:
        raise ValidationError(
            "verify_vonage_signature.signature_secret", "must be a non-empty text"
        )
    if algorithm not in SIGNATURE_ALGORITHMS:
        raise ValidationError(
            "algorithm", f"{algorithm!r} is not one of {', '.join(sorted(SIGNATURE_ALGORITHMS))}"
        )
    if not isinstance(max_age, timedelta) or max_age < timedelta(0):
        raise ValidationError("max_age", "must be a non-negative timedelta")
    if now is not None:
        now = check_utc("now", now)
    try:
        fields = _signed_fields(params)
        sig = fields.get("sig")
        if isinstance(sig, list) and len(sig) == 1:
            sig = sig[0]
        if not isinstance(sig, str) or not 0 < len(sig) <= 256:
            return False
        if now is not None:
            stamp = fields.get("timestamp")
            if isinstance(stamp, list) and len(stamp) == 1:
                stamp = stamp[0]
            text = (
                str(stamp) if isinstance(stamp, (str, int)) and not isinstance(stamp, bool) else ""
            )
            if not (text.isascii() and text.isdigit()) or len(text) > 12:
                return False
            age = abs(now.timestamp() - int(text))
            if age > max_age.total_seconds():
                return False
        expected = vonage_signature(fields, signature_secret, algorithm)
    except (MalformedReportError, TypeError, ValueError, UnicodeError):
        return False
    return hmac.compare_digest(expected.encode("ascii"), sig.lower().encode("utf-8"))


#: Vonage in the registry: status words in lower case, error codes of ``ErrorNamespace.VONAGE``.
PROVIDER = Provider(
    name="vonage",
    title="Vonage (Nexmo)",
    parsers={"parse_vonage_receipt": parse_vonage_receipt},
    inbound_parsers={"parse_vonage_inbound": parse_vonage_inbound},
    tables={"vonage_status": STATUS_TABLE, "vonage": ERROR_TABLE},
    sources=("C-VONAGEDOC", "W-VN-OPTOUT", "C-COURIER", "W-NEXMO-SMPP", "W-VN-INBOUND", "W-VN-SIG"),
    status_tables=("vonage_status",),
    status_key=str.lower,
    error_tables={ErrorNamespace.VONAGE: ("vonage",)},
)
