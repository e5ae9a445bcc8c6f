"""Infobip: status objects (group and status ids) and error objects.

Groups and the intermediate DELIVERED_TO_OPERATOR: [W-IB]. Status and error ids, names and
``permanent`` flags: [C-IBYML] (harvested from Infobip's response codes page). Error ids 1-71 are
GSM MAP codes and fall back on the GSM MAP table. The ``permanent`` flag alone does not decide:
Infobip marks 628 EC_TEMPORARY_HANDSET_FAILURE permanent.
"""

from __future__ import annotations

from collections.abc import Mapping

from sms_campaign_stats.lifecycle._statuses import BounceReason, Outcome
from sms_campaign_stats.providers._rows import Rule, rule, table

__all__ = ["ERROR_RULES", "GROUP_RULES", "STATUS_RULES"]

_O, _R = Outcome, BounceReason
_G, _S, _E = "infobip_group", "infobip_status", "infobip"
_SOFT, _HARD = _O.SOFT_BOUNCE, _O.HARD_BOUNCE

#: Status groups, keyed by group name: what a status means when its own id is not listed.
GROUP_RULES: Mapping[str, Rule] = table(
    [
        rule(_G, "PENDING", "group 1", _O.PENDING, source="W-IB"),
        rule(_G, "UNDELIVERABLE", "group 2", _SOFT, _R.PROVIDER_UNKNOWN_FAILURE, source="W-IB"),
        rule(_G, "DELIVERED", "group 3", _O.DELIVERED, source="W-IB"),
        rule(_G, "EXPIRED", "group 4", _SOFT, _R.EXPIRED_AT_OPERATOR, source="W-IB", decision="D3"),
        rule(_G, "REJECTED", "group 5", _SOFT, _R.PROVIDER_UNKNOWN_FAILURE, source="W-IB"),
    ]
)

#: Statuses whose meaning differs from their group's, keyed by status name.
STATUS_RULES: Mapping[str, Rule] = table(
    [
        rule(_S, "DELIVERED_TO_OPERATOR", "status 2", _O.PENDING, source="W-IB"),
        rule(_S, "DELIVERED_TO_HANDSET", "status 5", _O.DELIVERED, source="W-IB"),
        rule(
            _S,
            "REJECTED_PREFIX_MISSING",
            "status 8",
            _SOFT,
            _R.INVALID_NUMBER_OR_COUNTRY_CODE,
            source="C-IBYML",
            decision="D5",
        ),
        rule(
            _S,
            "REJECTED_DND",
            "status 10",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-IBYML",
            decision="D11",
        ),
        rule(_S, "REJECTED_SOURCE", "status 11", _O.REJECTED_CONFIG, source="C-IBYML"),
        rule(_S, "REJECTED_NOT_ENOUGH_CREDITS", "status 12", _O.REJECTED_CONFIG, source="C-IBYML"),
        rule(
            _S,
            "REJECTED_SENDER",
            "status 13",
            _O.REJECTED_CONFIG,
            source="C-IBYML",
            decision="D9",
            sender_registration=True,
        ),
        rule(
            _S,
            "REJECTED_DESTINATION_BLOCKLISTED",
            "status 14",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-IBYML",
            decision="D11",
        ),
        rule(_S, "REJECTED_ROUTE_NOT_AVAILABLE", "status 19", _O.REJECTED_CONFIG, source="C-IBYML"),
        rule(_S, "REJECTED_FLOODING_FILTER", "status 20", _O.THROTTLED, source="C-IBYML"),
        rule(
            _S,
            "REJECTED_SYSTEM_ERROR",
            "status 21",
            _SOFT,
            _R.PROVIDER_UNKNOWN_FAILURE,
            source="C-IBYML",
        ),
        rule(
            _S,
            "REJECTED_DESTINATION",
            "status 52",
            _SOFT,
            _R.INVALID_NUMBER_OR_COUNTRY_CODE,
            source="C-IBYML",
            decision="D5",
        ),
    ]
)

#: Error ids (other than the GSM MAP range 1-71, which the GSM MAP table answers).
ERROR_RULES: Mapping[str, Rule] = table(
    [
        rule(
            _E,
            256,
            "EC_SM_DF_MEMORYCAPACITYEXCEEDED",
            _SOFT,
            _R.HANDSET_TEMPORARY_ERROR,
            source="C-IBYML",
        ),
        rule(
            _E,
            257,
            "EC_SM_DF_EQUIPMENTPROTOCOLERROR",
            _SOFT,
            _R.HANDSET_TEMPORARY_ERROR,
            source="C-IBYML",
        ),
        rule(
            _E,
            258,
            "EC_SM_DF_EQUIPMENTNOTSM_EQUIPPED",
            _SOFT,
            _R.LANDLINE_NUMBER,
            source="C-IBYML",
            decision="D6",
        ),
        rule(
            _E,
            259,
            "EC_SM_DF_UNKNOWNSERVICECENTRE",
            _SOFT,
            _R.TEMPORARY_OPERATOR_NETWORK_ISSUE,
            source="C-IBYML",
        ),
        rule(
            _E,
            260,
            "EC_SM_DF_SC_CONGESTION",
            _SOFT,
            _R.TEMPORARY_OPERATOR_NETWORK_ISSUE,
            source="C-IBYML",
        ),
        rule(
            _E,
            261,
            "EC_SM_DF_INVALIDSME_ADDRESS",
            _SOFT,
            _R.INVALID_NUMBER_OR_COUNTRY_CODE,
            source="C-IBYML",
            decision="LIB",
        ),
        rule(
            _E,
            262,
            "EC_SM_DF_SUBSCRIBERNOTSC_SUBSCRIBER",
            _SOFT,
            _R.RECIPIENT_UNREACHABLE,
            source="C-IBYML",
            decision="LIB",
        ),
        rule(
            _E,
            351,
            "EC_INVALID_DESTINATION_ADDRESS",
            _SOFT,
            _R.INVALID_NUMBER_OR_COUNTRY_CODE,
            source="C-IBYML",
            decision="D5",
        ),
        rule(
            _E,
            352,
            "EC_INVALID_REQUEST_DESTINATION",
            _SOFT,
            _R.INVALID_NUMBER_OR_COUNTRY_CODE,
            source="C-IBYML",
            decision="D5",
        ),
        rule(
            _E,
            568,
            "EC_DESTINATION_NOT_SMS_PROVISIONED",
            _SOFT,
            _R.LANDLINE_NUMBER,
            source="C-IBYML",
            decision="D6",
        ),
        rule(
            _E,
            569,
            "EC_DEST_ADDRESS_SUSPENDED",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-IBYML",
            decision="D11",
        ),
        rule(
            _E,
            573,
            "EC_SC_BLOCKED_BY_END_USER",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-IBYML",
            decision="D11",
        ),
        rule(_E, 581, "EC_USER_OUT_OF_CREDIT", _SOFT, _R.RECIPIENT_UNREACHABLE, source="C-IBYML"),
        rule(_E, 603, "EC_CONTENT_BLOCKED", _O.UNSUBSCRIBED, source="C-IBYML"),
        rule(
            _E,
            607,
            "EC_REJECTED_SPAM_BY_OPERATOR",
            _SOFT,
            _R.SPAM_FILTERED_BY_OPERATOR,
            source="C-IBYML",
            decision="D10",
        ),
        rule(
            _E,
            628,
            "EC_TEMPORARY_HANDSET_FAILURE",
            _SOFT,
            _R.HANDSET_TEMPORARY_ERROR,
            source="C-IBYML",
            decision="LIB",
        ),
        rule(
            _E,
            629,
            "EC_DEST_ADDRESS_UNABLE_TO_RECEIVE_SMS",
            _SOFT,
            _R.LANDLINE_NUMBER,
            source="C-IBYML",
            decision="D6",
        ),
        rule(
            _E,
            811,
            "EC_MESSAGE_EXPIRED",
            _SOFT,
            _R.EXPIRED_AT_OPERATOR,
            source="C-IBYML",
            decision="D3",
        ),
        rule(_E, 2048, "EC_TIME_OUT", _SOFT, _R.TEMPORARY_OPERATOR_NETWORK_ISSUE, source="C-IBYML"),
        rule(
            _E,
            2050,
            "EC_DEST_ADDRESS_BLACKLISTED",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-IBYML",
            decision="D11",
        ),
        rule(_E, 3041, "EC_DEACTIVATED_LIST", _HARD, _R.NUMBER_DOES_NOT_EXIST, source="C-IBYML"),
        rule(
            _E,
            4098,
            "EC_VP_EXPIRED",
            _SOFT,
            _R.EXPIRED_AT_OPERATOR,
            source="C-IBYML",
            decision="D3",
        ),
        rule(
            _E,
            4101,
            "EC_VALIDITY_EXPIRED",
            _SOFT,
            _R.EXPIRED_AT_OPERATOR,
            source="C-IBYML",
            decision="D3",
        ),
    ]
)
