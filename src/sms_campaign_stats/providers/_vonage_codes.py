"""Vonage (Nexmo) SMS API delivery receipts: ``status`` values and ``err-code`` values.

Statuses and codes 0-15 and 99 with their descriptions: Vonage's documentation source
[C-VONAGEDOC]; err 9 as an opt-out: [W-VN-OPTOUT]; codes 16 and 50-54 by name only, from
courier's ``dlrErrorCodes`` [C-COURIER].
"""

from __future__ import annotations

from collections.abc import Mapping

from sms_campaign_stats.lifecycle._statuses import BounceReason, Outcome
from sms_campaign_stats.providers._rows import Rule, rule, table

__all__ = ["ERROR_RULES", "STATUS_RULES"]

_O, _R = Outcome, BounceReason
_S, _E = "vonage_status", "vonage"
_SOFT, _HARD = _O.SOFT_BOUNCE, _O.HARD_BOUNCE

STATUS_RULES: Mapping[str, Rule] = table(
    [
        rule(_S, "delivered", "delivered", _O.DELIVERED, source="C-VONAGEDOC"),
        rule(_S, "accepted", "accepted", _O.PENDING, source="C-VONAGEDOC"),
        rule(_S, "buffered", "buffered", _O.PENDING, source="C-VONAGEDOC"),
        rule(_S, "unknown", "unknown", _O.PENDING, source="C-COURIER", decision="D2"),
        rule(_S, "expired", "expired", _SOFT, _R.EXPIRED_AT_OPERATOR, source="C-VONAGEDOC"),
        rule(_S, "failed", "failed", _SOFT, _R.PROVIDER_UNKNOWN_FAILURE, source="C-VONAGEDOC"),
        rule(_S, "rejected", "rejected", _SOFT, _R.PROVIDER_UNKNOWN_FAILURE, source="C-VONAGEDOC"),
    ]
)

ERROR_RULES: Mapping[str, Rule] = table(
    [
        rule(_E, 1, "Unknown", _SOFT, _R.PROVIDER_UNKNOWN_FAILURE, source="C-VONAGEDOC"),
        rule(
            _E,
            2,
            "Absent Subscriber - Temporary",
            _SOFT,
            _R.HANDSET_OFF_OR_OUT_OF_COVERAGE,
            source="C-VONAGEDOC",
        ),
        rule(
            _E,
            3,
            "Absent Subscriber - Permanent",
            _HARD,
            _R.NUMBER_DOES_NOT_EXIST,
            source="C-VONAGEDOC",
        ),
        rule(
            _E,
            4,
            "Call Barred by User",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-VONAGEDOC",
            decision="D7",
        ),
        rule(
            _E,
            5,
            "Portability Error",
            _SOFT,
            _R.TEMPORARY_OPERATOR_NETWORK_ISSUE,
            source="C-VONAGEDOC",
        ),
        rule(
            _E,
            6,
            "Anti-Spam Rejection",
            _SOFT,
            _R.SPAM_FILTERED_BY_OPERATOR,
            source="C-VONAGEDOC",
            decision="D10",
        ),
        rule(_E, 7, "Handset Busy", _SOFT, _R.HANDSET_TEMPORARY_ERROR, source="C-VONAGEDOC"),
        rule(
            _E,
            8,
            "Network Error",
            _SOFT,
            _R.TEMPORARY_OPERATOR_NETWORK_ISSUE,
            source="C-VONAGEDOC",
        ),
        rule(_E, 9, "Illegal Number", _O.UNSUBSCRIBED, source="W-VN-OPTOUT", decision="D11"),
        rule(_E, 10, "Illegal Message", _SOFT, _R.UNDELIVERABLE_CONTENT, source="C-VONAGEDOC"),
        rule(
            _E,
            11,
            "Unroutable",
            _SOFT,
            _R.PROVIDER_UNKNOWN_FAILURE,
            source="C-VONAGEDOC",
            decision="D12",
        ),
        rule(
            _E,
            12,
            "Destination Unreachable",
            _SOFT,
            _R.RECIPIENT_UNREACHABLE,
            source="C-VONAGEDOC",
        ),
        rule(
            _E,
            13,
            "Subscriber Age Restriction",
            _SOFT,
            _R.UNDELIVERABLE_CONTENT,
            source="C-VONAGEDOC",
        ),
        rule(
            _E,
            14,
            "Number Blocked by Carrier",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-VONAGEDOC",
        ),
        rule(
            _E,
            15,
            "Prepaid Insufficient Funds",
            _SOFT,
            _R.RECIPIENT_UNREACHABLE,
            source="C-VONAGEDOC",
        ),
        rule(_E, 16, "Gateway Quota Exceeded", _O.THROTTLED, source="C-COURIER"),
        rule(_E, 50, "Entity Filter", _O.REJECTED_CONFIG, source="C-COURIER", decision="LIB"),
        rule(_E, 51, "Header Filter", _O.REJECTED_CONFIG, source="C-COURIER", decision="LIB"),
        rule(
            _E,
            52,
            "Content Filter",
            _SOFT,
            _R.SPAM_FILTERED_BY_OPERATOR,
            source="C-COURIER",
            decision="D10",
        ),
        rule(_E, 53, "Consent Filter", _O.UNSUBSCRIBED, source="C-COURIER", decision="LIB"),
        rule(_E, 54, "Regulation Error", _O.REJECTED_CONFIG, source="C-COURIER", decision="LIB"),
        rule(_E, 99, "General Error", _SOFT, _R.PROVIDER_UNKNOWN_FAILURE, source="C-VONAGEDOC"),
    ]
)
