"""HTTP providers' delivery reports: Twilio, Vonage, Brevo, Kannel and Infobip.

Each parser takes the payload as your web framework hands it over (a mapping of form fields, a
parsed JSON object, or the raw body text) and returns a ``DeliveryReport``, or raises
``MalformedReportError`` saying what was wrong. Field names follow each provider's documentation
as cited in the team's delivery-code reference (sections 2 to 5).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from sms_campaign_stats._core.validate import MAX_ID_LENGTH
from sms_campaign_stats.errors import MalformedReportError
from sms_campaign_stats.providers._other_codes import BREVO_INBOUND_EVENTS, brevo_event_key
from sms_campaign_stats.providers._report import (
    MAX_NESTING,
    NO_DETAILS,
    DeliveryReport,
    ErrorCode,
    ErrorNamespace,
    check_payload,
    describe,
    error_code,
    is_digits,
    new_report,
)
from sms_campaign_stats.providers._twilio_codes import INBOUND_STATUSES
from sms_campaign_stats.providers.smpp import parse_smpp_receipt

__all__ = [
    "parse_brevo_event",
    "parse_infobip_result",
    "parse_kannel_dlr",
    "parse_twilio_callback",
    "parse_vonage_receipt",
]

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_ -]{0,39}")
#: Integer fields (Brevo's numeric message ids) wider than this are refused, not written out.
_MAX_INT_BITS = 128


def _mapping(payload: object, what: str) -> Mapping[str, Any]:
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


def _value(fields: Mapping[str, Any], names: tuple[str, ...], raw: object) -> str | None:
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


def _required(fields: Mapping[str, Any], names: tuple[str, ...], raw: object, what: str) -> str:
    value = _value(fields, names, raw)
    if value is None:
        raise MalformedReportError(f"{what}: no {names[0]}", raw)
    if len(value) > MAX_ID_LENGTH:
        raise MalformedReportError(f"{what}: {names[0]} is too long to be an id", raw)
    return value


def _status(value: str, raw: object, what: str) -> str:
    if _WORD.fullmatch(value) is None:
        raise MalformedReportError(f"{what}: {describe(value)} is not a status word", raw)
    return value


def _code(namespace: ErrorNamespace, value: str | None, raw: object, what: str) -> ErrorCode | None:
    if value is None:
        return None
    if not is_digits(value) or len(value) > 10:
        raise MalformedReportError(f"{what}: error code {describe(value)} is not a number", raw)
    return error_code(namespace, value)


def _count(value: str | None) -> int | None:
    return int(value) if value is not None and is_digits(value) and len(value) <= 6 else None


def _time(fields: Mapping[str, Any], name: str, raw: object) -> str | None:
    """A time field as written (read on demand by the report), if it is short enough to be one."""
    value = _value(fields, (name,), raw)
    return value if value is not None and len(value) <= 40 else None


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
    fields = _mapping(form, what)
    sid = _required(fields, ("MessageSid", "SmsSid"), form, what)
    status = _status(_required(fields, ("MessageStatus", "SmsStatus"), form, what), form, what)
    if status.lower() in INBOUND_STATUSES:
        raise MalformedReportError(
            f"{what}: an inbound message (status {status!r}), not a delivery report", form
        )
    details: dict[str, str] = {}
    message = _value(fields, ("ErrorMessage",), form)
    if message:
        details["error_message"] = message[:200]
    return new_report(
        "twilio",
        sid,
        status,
        _code(ErrorNamespace.TWILIO, _value(fields, ("ErrorCode",), form), form, what),
        None,
        _time(fields, "RawDlrDoneDate", form),
        False,
        received_at,
        _count(_value(fields, ("NumSegments",), form)),
        None,
        False,
        details or NO_DETAILS,
        form,
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
    fields = _mapping(params, what)
    message_id = _required(fields, ("messageId", "message-id", "message_id"), params, what)
    status = _status(_required(fields, ("status",), params, what), params, what)
    details: dict[str, str] = {}
    for name in ("network-code", "price", "client-ref"):
        value = _value(fields, (name,), params)
        if value:
            details[name] = value[:64]
    timestamp = _value(fields, ("message-timestamp",), params)
    if timestamp:
        details["message-timestamp"] = timestamp[:40]
    return new_report(
        "vonage",
        message_id,
        status,
        _code(
            ErrorNamespace.VONAGE, _value(fields, ("err-code", "err_code"), params), params, what
        ),
        None,
        _time(fields, "scts", params),
        False,
        received_at,
        None,
        None,
        False,
        details or NO_DETAILS,
        params,
    )


def parse_brevo_event(
    payload: Mapping[str, Any] | str | bytes, *, received_at: datetime | None = None
) -> DeliveryReport:
    """A Brevo SMS event record. ``event`` may be spelt ``softBounce``, ``soft_bounce`` or
    ``softBounces``; field names in camelCase or snake_case. ``date`` is UTC per Brevo's schema.

    >>> r = parse_brevo_event({"messageId": 1511882900176220, "event": "soft_bounce",
    ...                        "reason": "Phone number or country code is invalid"})
    >>> r.status, r.error.namespace.value
    ('soft_bounce', 'brevo')
    """
    what = "Brevo SMS event"
    fields = _mapping(payload, what)
    message_id = _required(
        fields, ("messageId", "message_id", "msgId", "message-id"), payload, what
    )
    status = _status(
        _required(fields, ("event", "msg_status", "status"), payload, what), payload, what
    )
    if brevo_event_key(status) in BREVO_INBOUND_EVENTS:
        raise MalformedReportError(
            f"{what}: an inbound event ({status!r}), not a delivery report", payload
        )
    details: dict[str, str] = {}
    reason = _value(fields, ("reason",), payload)
    error = None
    if reason:
        details["reason"] = reason[:300]
        error = ErrorCode(ErrorNamespace.BREVO, reason[:300].lower())
    tag = _value(fields, ("tag",), payload)
    if tag:
        details["tag"] = tag[:100]
    return new_report(
        "brevo",
        message_id,
        status,
        error,
        None,
        _time(fields, "date", payload) or _time(fields, "event_date", payload),
        True,
        received_at,
        None,
        None,
        False,
        details or NO_DETAILS,
        payload,
    )


def parse_kannel_dlr(
    value: int | str,
    *,
    smsc_reply: str | bytes | None = None,
    message_id: str | None = None,
    received_at: datetime | None = None,
) -> DeliveryReport:
    """A Kannel ``dlr-url`` call: ``value`` is its ``%d`` (1 delivered, 2 failed, 4 buffered,
    8 accepted by the SMSC, 16 rejected by the SMSC), ``smsc_reply`` its ``%A`` (the SMSC's
    receipt text). When ``%A`` is an SMPP receipt, its id, ``stat``, ``err`` and dates refine the
    report. ``message_id`` is the id you put in the dlr-url, used when ``%A`` has none.

    >>> r = parse_kannel_dlr("2", smsc_reply="id:42 sub:001 dlvrd:000 submit date:2501011200 "
    ...                      "done date:2501011201 stat:EXPIRED err:000")
    >>> r.provider_message_id, r.status, r.details["kannel_dlr"]
    ('42', 'EXPIRED', '2')
    """
    raw = {"value": value, "smsc_reply": smsc_reply, "message_id": message_id}
    text = (
        str(value).strip()
        if isinstance(value, str)
        or (isinstance(value, int) and not isinstance(value, bool) and 0 < value < 256)
        else ""
    )
    if not is_digits(text) or len(text) > 3 or not 0 < int(text) < 256:
        raise MalformedReportError(f"Kannel DLR value {describe(value)} is not 1 to 255", raw)
    if message_id is not None and (
        not isinstance(message_id, str) or not message_id.strip() or len(message_id) > MAX_ID_LENGTH
    ):
        raise MalformedReportError(f"message_id {describe(message_id)} is not an id", raw)
    details = {"kannel_dlr": text}
    receipt = None
    if smsc_reply is not None:
        try:
            receipt = parse_smpp_receipt(smsc_reply)
        except MalformedReportError:
            details["smsc_reply"] = "not an SMPP receipt"
    ident = message_id.strip() if message_id else None
    if receipt is None:
        if ident is None:
            raise MalformedReportError(
                "Kannel DLR without a message id: pass message_id= (the id in your dlr-url) "
                "or the %A receipt text",
                raw,
            )
        return new_report(
            "kannel",
            ident,
            text,
            None,
            None,
            None,
            False,
            received_at,
            None,
            None,
            False,
            details,
            raw,
        )
    return new_report(
        "kannel",
        receipt.provider_message_id if ident is None else ident,
        receipt.status,
        receipt.error,
        receipt.submitted_text,
        receipt.done_text,
        False,
        received_at,
        receipt.segments_submitted,
        receipt.segments_delivered,
        False,
        {**receipt.details, **details},
        raw,
    )


def _object(fields: Mapping[str, Any], name: str, raw: object) -> Mapping[str, Any] | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise MalformedReportError(f"Infobip result: {name!r} is not an object", raw)
    return value


def parse_infobip_result(
    result: Mapping[str, Any] | str | bytes, *, received_at: datetime | None = None
) -> DeliveryReport:
    """One Infobip delivery report result: ``messageId``, ``status`` and ``error`` objects,
    ``sentAt``/``doneAt`` (ISO 8601 with an offset), ``smsCount``. For a webhook body, call it
    on each element of its ``results`` list.

    >>> r = parse_infobip_result({"messageId": "abc", "status": {"groupId": 3,
    ...     "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET"},
    ...     "error": {"id": 0, "name": "NO_ERROR", "permanent": False}})
    >>> r.status, r.error, r.details["group"]
    ('DELIVERED_TO_HANDSET', None, 'DELIVERED')
    """
    what = "Infobip result"
    fields = _mapping(result, what)
    message_id = _required(fields, ("messageId",), result, what)
    status = _object(fields, "status", result)
    if status is None:
        raise MalformedReportError(f"{what}: no status object", result)
    group = _value(status, ("groupName",), result)
    name = _value(status, ("name",), result) or group
    if name is None:
        raise MalformedReportError(f"{what}: the status has no name or groupName", result)
    details: dict[str, str] = {}
    if group is not None:
        details["group"] = _status(group, result, what)
    error_object = _object(fields, "error", result)
    error = None
    if error_object is not None:
        error = _code(ErrorNamespace.INFOBIP, _value(error_object, ("id",), result), result, what)
        error_name = _value(error_object, ("name",), result)
        if error is not None and error_name:
            details["error_name"] = error_name[:80]
    return new_report(
        "infobip",
        message_id,
        _status(name, result, what),
        error,
        _time(fields, "sentAt", result),
        _time(fields, "doneAt", result),
        False,
        received_at,
        _count(_value(fields, ("smsCount",), result)),
        None,
        False,
        details,
        result,
    )
