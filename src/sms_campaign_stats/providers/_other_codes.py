"""Brevo SMS events and bounce reasons; Kannel ``dlr-url`` values.

Brevo: event names in both published spellings [W-BR-SCHEMA], [C-BREVO], and its soft/hard
bounce reasons [W-BR-BOUNCE], matched by key words in the ``reason`` text. Kannel: the DLR values
of gw/dlr.h [C-KAN]; courier retries 2 and 16 [C-COURIER].
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sms_campaign_stats.lifecycle._statuses import BounceReason, Outcome
from sms_campaign_stats.providers._rows import Rule, rule, table

__all__ = [
    "BREVO_INBOUND_EVENTS",
    "BREVO_REASON_RULES",
    "BREVO_STATUS_RULES",
    "KANNEL_RULES",
    "brevo_event_key",
]

_O, _R = Outcome, BounceReason
_SOFT, _HARD = _O.SOFT_BOUNCE, _O.HARD_BOUNCE
_B, _BR, _K = "brevo_event", "brevo", "kannel"


def brevo_event_key(event: str) -> str:
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
BREVO_INBOUND_EVENTS = frozenset({"replied", "subscribe"})

BREVO_STATUS_RULES: Mapping[str, Rule] = table(
    [
        rule(_B, "sent", "sent", _O.PENDING, source="W-BR-SCHEMA"),
        rule(_B, "accepted", "accepted", _O.PENDING, source="W-BR-SCHEMA"),
        rule(_B, "delivered", "delivered", _O.DELIVERED, source="W-BR-SCHEMA"),
        rule(_B, "softbounce", "softBounce", _SOFT, _R.PROVIDER_UNKNOWN_FAILURE, source="C-BREVO"),
        rule(
            _B,
            "hardbounce",
            "hardBounce",
            _HARD,
            _R.NUMBER_DOES_NOT_EXIST,
            source="C-BREVO",
            decision="LIB",
        ),
        rule(_B, "unsubscribe", "unsubscribe", _O.UNSUBSCRIBED, source="W-BR-SCHEMA"),
        rule(_B, "blocked", "blocked", _O.REJECTED_CONFIG, source="C-BREVO", decision="LIB"),
        rule(_B, "rejected", "rejected", _O.REJECTED_CONFIG, source="W-BR-SCHEMA", decision="LIB"),
        rule(_B, "skip", "skip", _O.REJECTED_CONFIG, source="W-BR-SCHEMA", decision="LIB"),
    ]
)

#: Brevo's bounce reasons [W-BR-BOUNCE], each recognised by a pattern over the reason text
#: (lower case). The first pattern that matches decides; the code is the pattern.
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

#: (compiled pattern, rule) in order.
BREVO_REASON_RULES: tuple[tuple[re.Pattern[str], Rule], ...] = tuple(
    (
        re.compile(pattern),
        rule(
            _BR,
            pattern,
            name,
            outcome,
            reason,
            source="W-BR-BOUNCE",
            decision="D9" if registration else "",
            sender_registration=registration,
        ),
    )
    for pattern, name, outcome, reason, registration in _BREVO_REASONS
)

KANNEL_RULES: Mapping[str, Rule] = table(
    [
        rule(_K, 1, "DLR_SUCCESS: delivered to phone", _O.DELIVERED, source="C-KAN"),
        rule(
            _K,
            2,
            "DLR_FAIL: non-delivered to phone",
            _SOFT,
            _R.PROVIDER_UNKNOWN_FAILURE,
            source="C-KAN",
            decision="D13",
        ),
        rule(_K, 4, "DLR_BUFFERED: queued on SMSC", _O.PENDING, source="C-KAN"),
        rule(_K, 8, "DLR_SMSC_SUCCESS: accepted by the SMSC", _O.PENDING, source="C-KAN"),
        rule(
            _K,
            16,
            "DLR_SMSC_FAIL: rejected by the SMSC",
            _SOFT,
            _R.PROVIDER_UNKNOWN_FAILURE,
            source="C-KAN",
            decision="D13",
        ),
        rule(_K, 32, "DLR_INTERMEDIATE", _O.PENDING, source="C-KAN"),
    ]
)
