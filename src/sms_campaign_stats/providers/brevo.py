"""Brevo: SMS event records, and the tables of events and bounce reasons.

Event names in both published spellings [W-BR-SCHEMA], [C-BREVO], and Brevo's soft/hard bounce
reasons [W-BR-BOUNCE], recognised by key words in the ``reason`` text (Brevo gives a reason
text, not a code: the report's error code, of ``ErrorNamespace.BREVO``, is that text in lower
case). ``date`` is UTC per Brevo's schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sms_campaign_stats.errors import MalformedReportError
from sms_campaign_stats.lifecycle._statuses import BounceReason, Outcome
from sms_campaign_stats.providers._fields import (
    field,
    payload_fields,
    required,
    status_word,
    time_text,
)
from sms_campaign_stats.providers._provider import Provider
from sms_campaign_stats.providers._report import (
    NO_DETAILS,
    DeliveryReport,
    ErrorCode,
    ErrorNamespace,
    new_report,
)
from sms_campaign_stats.providers._rows import CodeRow, code_row, code_table

__all__ = [
    "EVENT_TABLE",
    "INBOUND_EVENTS",
    "PROVIDER",
    "REASON_TABLE",
    "event_key",
    "parse_brevo_event",
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
    reason = field(fields, ("reason",), payload)
    error = None
    if reason:
        details["reason"] = reason[:300]
        error = ErrorCode(ErrorNamespace.BREVO, reason[:300].lower())
    tag = field(fields, ("tag",), payload)
    if tag:
        details["tag"] = tag[:100]
    return new_report(
        "brevo",
        message_id,
        status,
        error,
        None,
        time_text(fields, "date", payload) or time_text(fields, "event_date", payload),
        True,
        received_at,
        None,
        None,
        False,
        details or NO_DETAILS,
        payload,
    )


#: Brevo in the registry: events by ``event_key``; reason texts of ``ErrorNamespace.BREVO``
#: searched with the reason table's patterns, in order.
PROVIDER = Provider(
    name="brevo",
    title="Brevo",
    parsers={"parse_brevo_event": parse_brevo_event},
    tables={"brevo_event": EVENT_TABLE, "brevo": REASON_TABLE},
    sources=("W-BR-SCHEMA", "C-BREVO", "W-BR-BOUNCE"),
    status_tables=("brevo_event",),
    status_key=event_key,
    error_tables={ErrorNamespace.BREVO: ("brevo",)},
    pattern_tables={"brevo"},
)
