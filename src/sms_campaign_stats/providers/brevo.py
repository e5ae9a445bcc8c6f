"""Brevo: SMS event records, and the tables of events and bounce reasons.

Event names in both published spellings [W-BR-SCHEMA], [C-BREVO], and Brevo's soft/hard bounce
reasons [W-BR-BOUNCE], recognised by key words in the ``reason`` text (Brevo gives a reason
text, not a code: the report's error code, of ``ErrorNamespace.BREVO``, is that text in lower
case).

Times [W-BR-WH]: in Brevo's webhooks "ts_epoch, ts_event: UTC Timezone; date: CET/CEST
Timezone". The report's time is ``ts_event`` (seconds) when present, else ``ts_epoch``
(milliseconds), else ``date`` read as Europe/Paris wall time when it carries no offset (a date
with an offset, as the event-report API writes, is read as written).

Inbound messages: Brevo's transactional SMS webhooks include a "Replied" event [W-BR-WH] whose
``reply`` is the recipient's text; ``parse_brevo_inbound`` reads it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import pytz

from sms_campaign_stats.errors import (
    MalformedInboundError,
    MalformedReportError,
    UnknownTimeZoneError,
)
from sms_campaign_stats.lifecycle._statuses import BounceReason, Outcome
from sms_campaign_stats.providers._fields import (
    field,
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
    raw_field,
    text_utc,
)
from sms_campaign_stats.providers._provider import Provider
from sms_campaign_stats.providers._report import (
    NO_DETAILS,
    DeliveryReport,
    ErrorCode,
    ErrorNamespace,
    describe,
    is_digits,
    new_report,
    provider_time,
)
from sms_campaign_stats.providers._rows import CodeRow, code_row, code_table

__all__ = [
    "DATE_ZONE",
    "EVENT_TABLE",
    "INBOUND_EVENTS",
    "PROVIDER",
    "REASON_TABLE",
    "event_key",
    "parse_brevo_event",
    "parse_brevo_inbound",
]

_O, _R = Outcome, BounceReason
_SOFT, _HARD = _O.SOFT_BOUNCE, _O.HARD_BOUNCE
_B, _BR = "brevo_event", "brevo"


def event_key(event: str) -> str:
    """One key for all spellings: ``softBounce``, ``soft_bounce``, ``softBounces``: "softbounce"."""
    key = re.sub(r"[^a-z]", "", event.lower())
    return {
        "bounces": "softbounce",
        "softbounces": "softbounce",
        "hardbounces": "hardbounce",
        "unsubscription": "unsubscribe",
        "unsubscribed": "unsubscribe",
        "unsubscriptions": "unsubscribe",
        "skipped": "skip",
        "replies": "replied",
        "reply": "replied",
        "subscribed": "subscribe",
    }.get(key, key)


#: Brevo events that are inbound messages, not delivery reports.
INBOUND_EVENTS = frozenset({"replied", "subscribe"})

#: Events, keyed by ``event_key`` (one key for every spelling).
EVENT_TABLE: Mapping[str, CodeRow] = code_table(
    [
        code_row(_B, "sent", "sent", _O.PENDING, source="W-BR-SCHEMA"),
        code_row(_B, "accepted", "accepted", _O.PENDING, source="W-BR-SCHEMA"),
        code_row(_B, "delivered", "delivered", _O.DELIVERED, source="W-BR-SCHEMA"),
        code_row(
            _B, "softbounce", "softBounce", _SOFT, _R.PROVIDER_UNKNOWN_FAILURE, source="C-BREVO"
        ),
        code_row(
            _B,
            "hardbounce",
            "hardBounce",
            _HARD,
            _R.NUMBER_DOES_NOT_EXIST,
            source="C-BREVO",
            decision="LIB",
        ),
        code_row(_B, "unsubscribe", "unsubscribe", _O.UNSUBSCRIBED, source="W-BR-SCHEMA"),
        code_row(_B, "blocked", "blocked", _O.REJECTED_CONFIG, source="C-BREVO", decision="LIB"),
        code_row(
            _B, "rejected", "rejected", _O.REJECTED_CONFIG, source="W-BR-SCHEMA", decision="LIB"
        ),
        code_row(_B, "skip", "skip", _O.REJECTED_CONFIG, source="W-BR-SCHEMA", decision="LIB"),
    ]
)

#: Brevo's bounce reasons [W-BR-BOUNCE], each recognised by a pattern over the reason text
#: (lower case): (pattern, name, outcome, reason, whether it is a sender registration problem).
_BREVO_REASONS: tuple[tuple[str, str, Outcome, BounceReason | None, bool], ...] = (
    (
        r"sender id|toll.?free|registration|registered",
        "not registered",
        _O.REJECTED_CONFIG,
        None,
        True,
    ),
    (
        r"unauthori[sz]ed time|allowed hours|outside.*hours|time or date",
        "unauthorized time",
        _SOFT,
        _R.SENT_OUTSIDE_ALLOWED_HOURS,
        False,
    ),
    (r"landline", "landline", _SOFT, _R.LANDLINE_NUMBER, False),
    (r"invalid", "invalid number or country code", _SOFT, _R.INVALID_NUMBER_OR_COUNTRY_CODE, False),
    (
        r"turned off|switched off|no service|out of coverage|powered off",
        "turned off",
        _SOFT,
        _R.HANDSET_OFF_OR_OUT_OF_COVERAGE,
        False,
    ),
    (r"expired", "expired", _SOFT, _R.EXPIRED_AT_OPERATOR, False),
    (r"spam", "spam", _SOFT, _R.SPAM_FILTERED_BY_OPERATOR, False),
    (
        r"current form|undeliverable",
        "undeliverable in its current form",
        _SOFT,
        _R.UNDELIVERABLE_CONTENT,
        False,
    ),
    (
        r"temporary condition|operator network|network",
        "operator network",
        _SOFT,
        _R.TEMPORARY_OPERATOR_NETWORK_ISSUE,
        False,
    ),
    (r"unreachable", "unreachable", _SOFT, _R.RECIPIENT_UNREACHABLE, False),
    (
        r"\bsim\b|memory|busy|phone.related|handset",
        "temporary phone error",
        _SOFT,
        _R.HANDSET_TEMPORARY_ERROR,
        False,
    ),
    (
        r"does not exist|doesn.t exist|unknown (number|subscriber)|not exist",
        "does not exist",
        _HARD,
        _R.NUMBER_DOES_NOT_EXIST,
        False,
    ),
    (r"block", "blocked", _HARD, _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR, False),
    (r"unknown", "unknown reasons", _SOFT, _R.PROVIDER_UNKNOWN_FAILURE, False),
)

#: Reasons, keyed by pattern, in order: the first pattern found in the reason text decides.
REASON_TABLE: Mapping[str, CodeRow] = code_table(
    code_row(
        _BR,
        pattern,
        name,
        outcome,
        reason,
        source="W-BR-BOUNCE",
        decision="D9" if registration else "",
        sender_registration=registration,
    )
    for pattern, name, outcome, reason, registration in _BREVO_REASONS
)


#: The zone of a webhook's ``date`` [W-BR-WH]: "date: CET/CEST Timezone".
DATE_ZONE = "Europe/Paris"


def _epoch_text(value: str | None, scale: int) -> str | None:
    """An epoch count (seconds, or milliseconds with ``scale`` 1000) as ISO 8601 UTC text."""
    if value is None or not is_digits(value) or len(value) > 16:
        return None
    try:
        moment = datetime.fromtimestamp(int(value) / scale, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat()


def _local_date_text(value: str | None, zone: str) -> str | None:
    """``date`` as ISO 8601 text with its offset: as written when it has one, else read as wall
    time in ``zone`` (an hour that occurs twice, when clocks go back, is taken the first time)."""
    if value is None:
        return None
    found = provider_time(value)
    if found is None:
        return value  # kept as written: ``done_at`` reads it as None
    if found.zone_known:
        return value
    tz = pytz.timezone(zone)
    try:
        try:
            aware = tz.localize(found.value, is_dst=None)
        except pytz.AmbiguousTimeError:
            aware = tz.localize(found.value, is_dst=True)
        except pytz.NonExistentTimeError:
            aware = tz.localize(found.value, is_dst=False)
    except (OverflowError, ValueError):  # a date at the ends of the calendar
        return value
    return aware.isoformat()


def _tags(fields: Mapping[str, Any], raw: object) -> str | None:
    """``tag`` as one text: a list of tags (as the SMS webhooks send it) joined by ", "."""
    value = fields.get("tag", fields.get("tags"))
    if isinstance(value, list) and len(value) != 1:
        if not all(isinstance(item, str) for item in value):
            raise MalformedReportError(
                f"Brevo SMS event: tags {describe(value)} are not texts", raw
            )
        return ", ".join(item.strip() for item in value if item.strip()) or None
    return field({"tag": value}, ("tag",), raw) if value is not None else None


def _zone(value: object) -> str:
    if not isinstance(value, str) or len(value) > 64:
        raise UnknownTimeZoneError(str(value)[:64])
    try:
        pytz.timezone(value)
    except (pytz.UnknownTimeZoneError, ValueError, UnicodeError):
        raise UnknownTimeZoneError(value) from None
    return value


def parse_brevo_event(
    payload: Mapping[str, Any] | str | bytes,
    *,
    received_at: datetime | None = None,
    date_zone: str = DATE_ZONE,
) -> DeliveryReport:
    """A Brevo SMS event record. ``event`` may be spelt ``softBounce``, ``soft_bounce`` or
    ``softBounces``; field names in camelCase or snake_case.

    The report's time (``done_at``, always with its offset) is ``ts_event`` (UTC seconds) when
    present, else ``ts_epoch`` (UTC milliseconds), else ``date``: a ``date`` without an offset
    is wall time in ``date_zone``, Europe/Paris as Brevo's webhooks document ([W-BR-WH]); pass
    ``"UTC"`` for records that write UTC without saying so. The fields are kept in ``details``.

    >>> r = parse_brevo_event({"messageId": 1511882900176220, "event": "soft_bounce",
    ...                        "reason": "Phone number or country code is invalid"})
    >>> r.status, r.error.namespace.value
    ('soft_bounce', 'brevo')
    """
    what = "Brevo SMS event"
    zone = _zone(date_zone)
    fields = payload_fields(payload, what)
    message_id = required(fields, ("messageId", "message_id", "msgId", "message-id"), payload, what)
    status = status_word(
        required(fields, ("event", "msg_status", "status"), payload, what), payload, what
    )
    if event_key(status) in INBOUND_EVENTS:
        raise MalformedReportError(
            f"{what}: an inbound event ({status!r}), not a delivery report", payload
        )
    details: dict[str, str] = {}
    # The event-report API writes ``reason``; the SMS webhooks write ``description`` and
    # ``bounce_type`` ([W-BR-WH]; decision BREVO-FIELDS). The first present is the reason.
    reason = field(fields, ("reason", "description"), payload)
    error = None
    if reason:
        details["reason"] = reason[:300]
        error = ErrorCode(ErrorNamespace.BREVO, reason[:300].lower())
    bounce_type = field(fields, ("bounce_type", "bounceType"), payload)
    if bounce_type:
        details["bounce_type"] = bounce_type[:40]
    tag = _tags(fields, payload)
    if tag:
        details["tag"] = tag[:100]
    ts_event = field(fields, ("ts_event",), payload)
    ts_epoch = field(fields, ("ts_epoch",), payload)
    date = time_text(fields, "date", payload) or time_text(fields, "event_date", payload)
    for name, value in (("ts_event", ts_event), ("ts_epoch", ts_epoch), ("date", date)):
        if value:
            details[name] = value[:40]
    done = _epoch_text(ts_event, 1) or _epoch_text(ts_epoch, 1000) or _local_date_text(date, zone)
    return new_report(
        "brevo",
        message_id,
        status,
        error,
        None,
        done,
        False,
        received_at,
        None,
        None,
        False,
        details or NO_DETAILS,
        payload,
    )


@inbound_parser
def parse_brevo_inbound(
    payload: Mapping[str, Any] | str | bytes,
    *,
    received_at: datetime | None = None,
    date_zone: str = DATE_ZONE,
) -> InboundMessage:
    """A Brevo "Replied" SMS event [W-BR-WH]: ``reply`` is the text, the number that replied
    is ``phoneNumber`` (event reports) or ``to`` (webhooks: the recipient of your SMS). Brevo
    gives no id of the reply itself: the message's id is the SMS replied to (``messageId``,
    kept as ``details["in_reply_to"]``) and the reply's time, so a webhook delivered twice has
    one id. Other events are not inbound messages (``MalformedInboundError``).

    >>> m = parse_brevo_inbound({"messageId": 1511882900176220, "msg_status": "replied",
    ...     "to": "33612345678", "reply": "STOP", "ts_event": 1767225600})
    >>> m.sender, m.text, m.provider_message_id
    ('+33612345678', 'STOP', '1511882900176220:reply:1767225600')
    """
    what = "Brevo SMS reply"
    zone = _zone(date_zone)
    fields = payload_fields(payload, what)
    message_id = required(fields, ("messageId", "message_id", "msgId", "message-id"), payload, what)
    status = status_word(
        required(fields, ("event", "msg_status", "status"), payload, what), payload, what
    )
    if event_key(status) != "replied":
        raise MalformedInboundError(f"{what}: event {status!r} is not a reply", payload)
    ts_event = field(fields, ("ts_event",), payload)
    date = time_text(fields, "date", payload)
    moment = _epoch_text(ts_event, 1) or _local_date_text(date, zone)
    stamp = ts_event or date or ""
    return InboundMessage(
        sender=inbound_sender(
            field(fields, ("phoneNumber", "phone_number", "to"), payload), payload, what
        ),
        text=inbound_text(
            raw_field(fields, ("reply", "text"), payload, what),
            payload,
            what,
            limit=MAX_INBOUND_TEXT_LENGTH,
        ),
        provider="brevo",
        provider_message_id=f"{message_id}:reply:{stamp}"[:200] if stamp else message_id,
        received_at=text_utc(moment) or received_at,
        details={"in_reply_to": message_id},
        raw=payload,
    )


#: Brevo in the registry: events by ``event_key``; reason texts of ``ErrorNamespace.BREVO``
#: searched with the reason table's patterns, in order.
PROVIDER = Provider(
    name="brevo",
    title="Brevo",
    parsers={"parse_brevo_event": parse_brevo_event},
    inbound_parsers={"parse_brevo_inbound": parse_brevo_inbound},
    tables={"brevo_event": EVENT_TABLE, "brevo": REASON_TABLE},
    sources=("W-BR-SCHEMA", "C-BREVO", "W-BR-BOUNCE", "W-BR-WH"),
    status_tables=("brevo_event",),
    status_key=event_key,
    error_tables={ErrorNamespace.BREVO: ("brevo",)},
    pattern_tables={"brevo"},
)
