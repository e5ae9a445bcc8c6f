"""Twilio Programmable Messaging: status callbacks, and the tables of statuses and error codes.

Statuses: [W-TW-STATUS], [W-TW-CB], [W-TW-ENUM]. Error names: Twilio's error list as copied in
[C-COURIER] handlers/twiml/errors.json; meanings and retry advice from [W-TW-ERR] where quoted.
``RawDlrDoneDate`` (the carrier's receipt time, ``YYMMDDhhmm``, no zone) is kept naive
[W-TW-RAWDLR]. Inbound messages: the webhook's form fields [W-TW-WEBHOOK]. Webhook signatures
(``X-Twilio-Signature``): Twilio's scheme as its own SDK computes it [W-TW-SIG].
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sms_campaign_stats.errors import MalformedReportError, ValidationError
from sms_campaign_stats.lifecycle._statuses import BounceReason, Outcome
from sms_campaign_stats.providers._fields import (
    count,
    field,
    numeric_code,
    payload_fields,
    required,
    status_word,
    time_text,
)
from sms_campaign_stats.providers._inbound import (
    MAX_INBOUND_TEXT_LENGTH,
    InboundMessage,
    inbound_parser,
    inbound_sender,
    inbound_text,
    optional_name,
    raw_field,
)
from sms_campaign_stats.providers._provider import Provider
from sms_campaign_stats.providers._report import (
    NO_DETAILS,
    DeliveryReport,
    ErrorNamespace,
    new_report,
)
from sms_campaign_stats.providers._rows import CodeRow, code_row, code_table

__all__ = [
    "ERROR_TABLE",
    "INBOUND_STATUSES",
    "PROVIDER",
    "STATUS_TABLE",
    "parse_twilio_callback",
    "parse_twilio_inbound",
    "twilio_signature",
    "verify_twilio_signature",
]

_O, _R = Outcome, BounceReason
_S, _E = "twilio_status", "twilio"
_SOFT, _HARD = _O.SOFT_BOUNCE, _O.HARD_BOUNCE

#: Statuses of inbound messages: a status callback never carries them.
INBOUND_STATUSES = frozenset({"receiving", "received"})

#: Message statuses (lower case).
STATUS_TABLE: Mapping[str, CodeRow] = code_table(
    [
        code_row(_S, "accepted", "accepted", _O.PENDING, source="W-TW-CB"),
        code_row(_S, "scheduled", "scheduled", _O.PENDING, source="W-TW-CB"),
        code_row(_S, "queued", "queued", _O.PENDING, source="W-TW-STATUS"),
        code_row(_S, "sending", "sending", _O.PENDING, source="W-TW-STATUS"),
        code_row(_S, "sent", "sent", _O.PENDING, source="W-TW-STATUS"),
        code_row(_S, "delivered", "delivered", _O.DELIVERED, source="W-TW-STATUS"),
        code_row(_S, "read", "read", _O.DELIVERED, source="W-TW-CB"),
        code_row(
            _S,
            "undelivered",
            "undelivered",
            _SOFT,
            _R.PROVIDER_UNKNOWN_FAILURE,
            source="W-TW-STATUS",
        ),
        code_row(_S, "failed", "failed", _SOFT, _R.PROVIDER_UNKNOWN_FAILURE, source="W-TW-STATUS"),
        # A scheduled message (Messaging Service) the account cancelled before sending
        # [W-TW-30409]: never sent, no bounce, nothing the sender should have avoided, never
        # retried, not a platform fault. The library has no "cancelled" outcome yet: it stays
        # REJECTED_CONFIG (not a bounce) with avoidable_by_sender False (decision
        # TWILIO-CANCELED).
        code_row(
            _S,
            "canceled",
            "canceled: a scheduled message the account cancelled",
            _O.REJECTED_CONFIG,
            source="W-TW-30409",
            decision="TWILIO-CANCELED",
            avoidable_by_sender=False,
        ),
        code_row(
            _S,
            "partially_delivered",
            "partially delivered",
            _O.PENDING,
            source="W-TW-ENUM",
            decision="LIB",
        ),
    ]
)

#: Error codes (decimal).
ERROR_TABLE: Mapping[str, CodeRow] = code_table(
    [
        code_row(_E, 30001, "Queue overflow", _O.THROTTLED, source="C-COURIER"),
        code_row(_E, 30002, "Account suspended", _O.REJECTED_CONFIG, source="C-COURIER"),
        code_row(
            _E,
            30003,
            "Unreachable destination handset",
            _SOFT,
            _R.HANDSET_OFF_OR_OUT_OF_COVERAGE,
            source="W-TW-ERR",
        ),
        code_row(
            _E,
            30004,
            "Message blocked",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-COURIER",
            decision="D8",
        ),
        code_row(
            _E,
            30005,
            "Unknown destination handset",
            _HARD,
            _R.NUMBER_DOES_NOT_EXIST,
            source="C-COURIER",
            decision="D8",
        ),
        code_row(
            _E,
            30006,
            "Landline or unreachable carrier",
            _SOFT,
            _R.LANDLINE_NUMBER,
            source="W-TW-ERR",
            decision="D6",
        ),
        code_row(
            _E,
            30007,
            "Message filtered",
            _SOFT,
            _R.SPAM_FILTERED_BY_OPERATOR,
            source="C-COURIER",
            decision="D10",
        ),
        code_row(
            _E, 30008, "Unknown error", _SOFT, _R.PROVIDER_UNKNOWN_FAILURE, source="C-COURIER"
        ),
        code_row(
            _E, 30010, "Message price exceeds max price", _O.REJECTED_CONFIG, source="C-COURIER"
        ),
        code_row(
            _E,
            30017,
            "Carrier network congestion",
            _SOFT,
            _R.TEMPORARY_OPERATOR_NETWORK_ISSUE,
            source="C-COURIER",
        ),
        code_row(
            _E,
            30018,
            "Destination carrier requires sender ID pre-registration",
            _O.REJECTED_CONFIG,
            source="C-COURIER",
            decision="D9",
            sender_registration=True,
        ),
        code_row(
            _E,
            30019,
            "Content size exceeds carrier limit",
            _SOFT,
            _R.UNDELIVERABLE_CONTENT,
            source="C-COURIER",
        ),
        code_row(
            _E, 30022, "US A2P 10DLC - Rate Limits Exceeded", _O.THROTTLED, source="C-COURIER"
        ),
        code_row(
            _E,
            30023,
            "US A2P 10DLC - Daily Message Cap Reached",
            _O.THROTTLED,
            source="C-COURIER",
        ),
        code_row(
            _E,
            30024,
            "Numeric Sender ID Not Provisioned on Carrier",
            _O.REJECTED_CONFIG,
            source="W-TW-ERR",
            decision="D9",
            sender_registration=True,
        ),
        code_row(
            _E,
            30032,
            "Toll-Free Number Has Not Been Verified",
            _O.REJECTED_CONFIG,
            source="C-COURIER",
            decision="D9",
            sender_registration=True,
        ),
        code_row(
            _E,
            30034,
            "US A2P 10DLC - Message from an Unregistered Number",
            _O.REJECTED_CONFIG,
            source="LIB",
            decision="D9",
            sender_registration=True,
        ),
        code_row(
            _E,
            21211,
            "Invalid 'To' Phone Number",
            _SOFT,
            _R.INVALID_NUMBER_OR_COUNTRY_CODE,
            source="C-COURIER",
            decision="D5",
        ),
        code_row(
            _E,
            21408,
            "Permission to send an SMS has not been enabled for the region",
            _O.REJECTED_CONFIG,
            source="C-COURIER",
        ),
        code_row(
            _E,
            21606,
            "The 'From' number is not a valid message-capable Twilio number",
            _O.REJECTED_CONFIG,
            source="C-COURIER",
        ),
        code_row(
            _E,
            21610,
            "Attempt to send to unsubscribed recipient",
            _HARD,
            _R.OPTED_OUT_EARLIER,
            source="C-COURIER",
            decision="OPTED-OUT-EARLIER",
        ),
        # Twilio now names 21612 "Message cannot be sent with the current combination of 'To'
        # and/or 'From' parameters" [W-TW-TESTCRED]: the sender's number cannot reach that
        # destination (geography, number type, trial account). Sender set-up, not the
        # recipient: REJECTED_CONFIG (decision TWILIO-21612; courier's older name was "not
        # currently reachable via SMS").
        code_row(
            _E,
            21612,
            "Message cannot be sent with the current combination of 'To' and/or 'From'",
            _O.REJECTED_CONFIG,
            source="W-TW-TESTCRED",
            decision="TWILIO-21612",
        ),
        code_row(
            _E,
            21614,
            "'To' number is not a valid mobile number",
            _SOFT,
            _R.LANDLINE_NUMBER,
            source="C-COURIER",
            decision="D6",
        ),
        code_row(
            _E,
            21635,
            "'To' number cannot be a landline",
            _SOFT,
            _R.LANDLINE_NUMBER,
            source="W-TW-ERR",
            decision="D6",
        ),
        code_row(
            _E,
            63014,
            "Channel message blocked by user action",
            _HARD,
            _R.OPTED_OUT_EARLIER,
            source="W-TW-ERR",
            decision="OPTED-OUT-EARLIER",
        ),
        code_row(_E, 63018, "Rate limit exceeded for Channel", _O.THROTTLED, source="C-COURIER"),
    ]
)


def parse_twilio_callback(
    form: Mapping[str, Any] | str | bytes, *, received_at: datetime | None = None
) -> DeliveryReport:
    """A Twilio status callback: ``MessageSid``, ``MessageStatus``, ``ErrorCode``, ...

    ``RawDlrDoneDate`` (``YYMMDDhhmm``, carrier local time, no zone) is kept naive.

    >>> r = parse_twilio_callback({"MessageSid": "SM1", "MessageStatus": "undelivered",
    ...                            "ErrorCode": "30003"})
    >>> r.status, r.error
    ('undelivered', ErrorCode(namespace=<ErrorNamespace.TWILIO: 'twilio'>, code='30003'))
    """
    what = "Twilio status callback"
    fields = payload_fields(form, what)
    sid = required(fields, ("MessageSid", "SmsSid"), form, what)
    status = status_word(required(fields, ("MessageStatus", "SmsStatus"), form, what), form, what)
    if status.lower() in INBOUND_STATUSES:
        raise MalformedReportError(
            f"{what}: an inbound message (status {status!r}), not a delivery report", form
        )
    details: dict[str, str] = {}
    message = field(fields, ("ErrorMessage",), form)
    if message:
        details["error_message"] = message[:200]
    return new_report(
        "twilio",
        sid,
        status,
        numeric_code(ErrorNamespace.TWILIO, field(fields, ("ErrorCode",), form), form, what),
        None,
        time_text(fields, "RawDlrDoneDate", form),
        False,
        received_at,
        count(field(fields, ("NumSegments",), form)),
        None,
        False,
        details or NO_DETAILS,
        form,
    )


@inbound_parser
def parse_twilio_inbound(
    form: Mapping[str, Any] | str | bytes, *, received_at: datetime | None = None
) -> InboundMessage:
    """A Twilio incoming-message webhook [W-TW-WEBHOOK]: ``MessageSid``, ``From`` (the
    sender), ``To`` (your number), ``Body``, ``NumSegments``, ``NumMedia``. Twilio gives no
    time: ``received_at`` is yours (when your service received it), if you pass it.

    >>> m = parse_twilio_inbound({"MessageSid": "SM1", "From": "+14158675309",
    ...                           "To": "+18005551212", "Body": "STOP", "SmsStatus": "received"})
    >>> m.sender, m.text, m.provider_message_id
    ('+14158675309', 'STOP', 'SM1')
    """
    what = "Twilio inbound message"
    fields = payload_fields(form, what)
    sid = required(fields, ("MessageSid", "SmsMessageSid", "SmsSid"), form, what)
    status = field(fields, ("SmsStatus", "MessageStatus"), form)
    if status is not None and status.lower() not in INBOUND_STATUSES:
        raise MalformedReportError(
            f"{what}: a status callback (status {status[:40]!r}), not an inbound message", form
        )
    details: dict[str, str] = {}
    for name in ("NumSegments", "NumMedia", "AccountSid", "MessagingServiceSid"):
        value = field(fields, (name,), form)
        if value:
            details[name] = value[:64]
    return InboundMessage(
        sender=inbound_sender(field(fields, ("From",), form), form, what),
        text=inbound_text(
            raw_field(fields, ("Body",), form, what), form, what, limit=MAX_INBOUND_TEXT_LENGTH
        ),
        to=optional_name(field(fields, ("To",), form), form, what, "To"),
        provider="twilio",
        provider_message_id=sid,
        received_at=received_at,
        details=details,
        raw=form,
    )


Params = Mapping[str, Any] | Iterable[tuple[str, str]]


def _values(params: Params) -> dict[str, list[str]]:
    """Every parameter's values: a mapping (a value may be a list, as ``parse_qs`` gives; a
    Django ``QueryDict`` or a ``MultiDict`` gives its lists too) or ``(name, value)`` pairs."""
    found: dict[str, list[str]] = {}
    if isinstance(params, Mapping):
        getlist = getattr(params, "getlist", None) or getattr(params, "getall", None)
        for name in params:
            value = getlist(name) if callable(getlist) else params[name]
            items = value if isinstance(value, (list, tuple)) else [value]
            found.setdefault(str(name), []).extend(items)
    else:
        for name, value in params:
            found.setdefault(str(name), []).append(value)
    for name, items in found.items():
        if not all(isinstance(item, str) for item in items):
            raise TypeError(f"parameter {name} is not text")
    return found


def twilio_signature(url: str, params: Params | None, auth_token: str) -> str:
    """The ``X-Twilio-Signature`` Twilio computes for a request to ``url`` with ``params``: the
    URL, then each parameter name followed by its value (names sorted, a name's distinct values
    sorted), signed with HMAC-SHA1 keyed by the auth token, in base64 [W-TW-SIG].

    >>> twilio_signature("https://mycompany.com/myapp.php?foo=1&bar=2",
    ...     {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
    ...      "From": "+12349013030", "To": "+18005551212"}, "12345")
    '0/KCTR6DLpKmkAf8muzZqo1nDgQ='
    """
    text = url
    for name, values in sorted(_values(params or {}).items()):
        for value in sorted(set(values)):
            text += name + value
    digest = hmac.new(auth_token.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _with_and_without_port(url: str) -> tuple[str, str]:
    """The URL without its port and with its default one (443, 80): Twilio signs either, so
    its SDK checks both."""
    parts = urlsplit(url)
    if parts.port is not None:
        return parts._replace(netloc=parts.netloc.rsplit(":", 1)[0]).geturl(), url
    port = 443 if parts.scheme == "https" else 80
    return url, parts._replace(netloc=f"{parts.netloc}:{port}").geturl()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def verify_twilio_signature(
    url: str, params: Params | str | bytes | None, signature: object, auth_token: str
) -> bool:
    """Whether ``signature`` (the ``X-Twilio-Signature`` header) is Twilio's for this request.

    ``url`` is the full URL Twilio requested (scheme, host, path and query string, as
    configured in Twilio); ``params`` the POST parameters (a mapping, lists of values allowed,
    or ``(name, value)`` pairs). For a JSON body, ``url`` carries ``bodySHA256`` and
    ``params`` is the raw body: its SHA-256 must match too, and the signature covers the URL
    alone. The URL is checked with and without its default port, as Twilio's SDK does.
    Comparisons are constant-time; a signature that is junk (missing, not text) is ``False``,
    never an exception. An empty ``auth_token`` is a ``ValidationError``.

    >>> url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    >>> params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
    ...           "From": "+12349013030", "To": "+18005551212"}
    >>> verify_twilio_signature(url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "12345")
    True
    >>> verify_twilio_signature(url, {**params, "Digits": "9"}, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
    ...                         "12345")
    False
    """
    if not isinstance(auth_token, str) or not auth_token:
        raise ValidationError("verify_twilio_signature.auth_token", "must be a non-empty text")
    if not isinstance(signature, str) or not isinstance(url, str) or len(signature) > 256:
        return False
    try:
        body_hash = True
        if isinstance(params, (str, bytes)):
            body = params.encode("utf-8") if isinstance(params, str) else params
            expected = parse_qs(urlsplit(url).query).get("bodySHA256", [""])[0]
            body_hash = _same(hashlib.sha256(body).hexdigest(), expected.lower())
            params = {}
        without_port, with_port = _with_and_without_port(url)
        signed = _same(twilio_signature(without_port, params, auth_token), signature) | _same(
            twilio_signature(with_port, params, auth_token), signature
        )
    except (TypeError, ValueError, UnicodeError):
        return False
    return body_hash and signed


#: Twilio in the registry: status words in lower case, error codes of ``ErrorNamespace.TWILIO``.
PROVIDER = Provider(
    name="twilio",
    title="Twilio",
    parsers={"parse_twilio_callback": parse_twilio_callback},
    inbound_parsers={"parse_twilio_inbound": parse_twilio_inbound},
    tables={"twilio_status": STATUS_TABLE, "twilio": ERROR_TABLE},
    sources=(
        "W-TW-STATUS",
        "W-TW-CB",
        "W-TW-ENUM",
        "W-TW-ERR",
        "W-TW-30409",
        "W-TW-TESTCRED",
        "W-TW-RAWDLR",
        "W-TW-WEBHOOK",
        "W-TW-SIG",
        "C-COURIER",
        "LIB",
    ),
    status_tables=("twilio_status",),
    status_key=str.lower,
    error_tables={ErrorNamespace.TWILIO: ("twilio",)},
)
