"""Infobip: delivery report results, and the tables of status groups, statuses and error ids.

Groups and the intermediate DELIVERED_TO_OPERATOR: [W-IB]. The REJECTED group's account and
request statuses, with Infobip's own descriptions: [W-IB-CODES]. Status and error ids, names and
``permanent`` flags: [C-IBYML] (harvested from Infobip's response codes page). Error ids 1-71 are
GSM MAP codes and fall back on the GSM MAP table. The ``permanent`` flag alone does not decide:
Infobip marks 628 EC_TEMPORARY_HANDSET_FAILURE permanent. courier treats an EXPIRED result as
sent [C-COURIER] (decision D3). Inbound messages: the MO_JSON_2 webhook's results
[W-IB-INBOUND].
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sms_campaign_stats.errors import MalformedReportError
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
    text_utc,
)
from sms_campaign_stats.providers._provider import Provider
from sms_campaign_stats.providers._report import DeliveryReport, ErrorNamespace, new_report
from sms_campaign_stats.providers._rows import CodeRow, code_row, code_table

__all__ = [
    "ERROR_TABLE",
    "GROUP_TABLE",
    "PROVIDER",
    "STATUS_TABLE",
    "parse_infobip_inbound",
    "parse_infobip_result",
]

_O, _R = Outcome, BounceReason
_G, _S, _E = "infobip_group", "infobip_status", "infobip"
_SOFT, _HARD = _O.SOFT_BOUNCE, _O.HARD_BOUNCE

#: Status groups, keyed by group name: what a status means when its own id is not listed.
GROUP_TABLE: Mapping[str, CodeRow] = code_table(
    [
        code_row(_G, "PENDING", "group 1", _O.PENDING, source="W-IB"),
        code_row(_G, "UNDELIVERABLE", "group 2", _SOFT, _R.PROVIDER_UNKNOWN_FAILURE, source="W-IB"),
        code_row(_G, "DELIVERED", "group 3", _O.DELIVERED, source="W-IB"),
        code_row(
            _G, "EXPIRED", "group 4", _SOFT, _R.EXPIRED_AT_OPERATOR, source="W-IB", decision="D3"
        ),
        code_row(_G, "REJECTED", "group 5", _SOFT, _R.PROVIDER_UNKNOWN_FAILURE, source="W-IB"),
    ]
)

#: Statuses whose meaning differs from their group's, keyed by status name.
STATUS_TABLE: Mapping[str, CodeRow] = code_table(
    [
        code_row(_S, "DELIVERED_TO_OPERATOR", "status 2", _O.PENDING, source="W-IB"),
        code_row(_S, "DELIVERED_TO_HANDSET", "status 5", _O.DELIVERED, source="W-IB"),
        code_row(
            _S,
            "REJECTED_PREFIX_MISSING",
            "status 8",
            _SOFT,
            _R.INVALID_NUMBER_OR_COUNTRY_CODE,
            source="C-IBYML",
            decision="D5",
        ),
        code_row(
            _S,
            "REJECTED_DND",
            "status 10",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-IBYML",
            decision="D11",
        ),
        # Account-side and request-side rejections [W-IB-CODES]: the sender's account or the
        # request is wrong, not the recipient and not Infobip's platform. None of them is a
        # platform fault (they do not count toward compensation), none is retried as is.
        code_row(
            _S,
            "REJECTED_NETWORK",
            "status 6: network not covered or not set up on the account",
            _O.REJECTED_CONFIG,
            source="W-IB-CODES",
        ),
        # 11 is the unregistered sender ID ("Your account is set to accept only registered
        # sender IDs, and the sender ID ... has not been registered"): the registration flag.
        code_row(
            _S,
            "REJECTED_SOURCE",
            "status 11: sender ID not registered on the account",
            _O.REJECTED_CONFIG,
            source="W-IB-CODES",
            decision="D9",
            sender_registration=True,
        ),
        code_row(
            _S, "REJECTED_NOT_ENOUGH_CREDITS", "status 12", _O.REJECTED_CONFIG, source="C-IBYML"
        ),
        # 13 is a sender ID blocklisted on the sender's own account ("blocklisted on your
        # account through the web interface"): an account setting, not a missing registration.
        code_row(
            _S,
            "REJECTED_SENDER",
            "status 13: sender ID blocklisted on the account",
            _O.REJECTED_CONFIG,
            source="W-IB-CODES",
        ),
        code_row(
            _S,
            "REJECTED_DESTINATION_BLOCKLISTED",
            "status 14",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-IBYML",
            decision="D11",
        ),
        code_row(
            _S,
            "REJECTED_PREPAID_PACKAGE_EXPIRED",
            "status 17: account credits past their validity",
            _O.REJECTED_CONFIG,
            source="W-IB-CODES",
        ),
        code_row(
            _S,
            "REJECTED_DESTINATION_NOT_REGISTERED",
            "status 18: a test account limited to registered numbers",
            _O.REJECTED_CONFIG,
            source="W-IB-CODES",
        ),
        code_row(
            _S, "REJECTED_ROUTE_NOT_AVAILABLE", "status 19", _O.REJECTED_CONFIG, source="C-IBYML"
        ),
        code_row(_S, "REJECTED_FLOODING_FILTER", "status 20", _O.THROTTLED, source="C-IBYML"),
        code_row(
            _S,
            "REJECTED_SYSTEM_ERROR",
            "status 21",
            _SOFT,
            _R.PROVIDER_UNKNOWN_FAILURE,
            source="C-IBYML",
        ),
        code_row(
            _S,
            "REJECTED_DUPLICATE_MESSAGE_ID",
            "status 23: the request reused a message id",
            _O.REJECTED_CONFIG,
            source="W-IB-CODES",
        ),
        # 24 and 25: the message as built cannot be sent (a malformed UDH; over 25 parts or
        # 4000 bytes). Sending it again unchanged fails the same way: never retried, and a
        # content problem, as Twilio's 30019 is.
        code_row(
            _S,
            "REJECTED_INVALID_UDH",
            "status 24: the user data header is malformed",
            _SOFT,
            _R.UNDELIVERABLE_CONTENT,
            source="W-IB-CODES",
        ),
        code_row(
            _S,
            "REJECTED_MESSAGE_TOO_LONG",
            "status 25: more than 25 parts or 4000 bytes",
            _SOFT,
            _R.UNDELIVERABLE_CONTENT,
            source="W-IB-CODES",
        ),
        code_row(
            _S,
            "MISSING_TO",
            "status 51: the request has no recipient",
            _O.REJECTED_CONFIG,
            source="W-IB-CODES",
        ),
        code_row(
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
ERROR_TABLE: Mapping[str, CodeRow] = code_table(
    [
        code_row(
            _E,
            256,
            "EC_SM_DF_MEMORYCAPACITYEXCEEDED",
            _SOFT,
            _R.HANDSET_TEMPORARY_ERROR,
            source="C-IBYML",
        ),
        code_row(
            _E,
            257,
            "EC_SM_DF_EQUIPMENTPROTOCOLERROR",
            _SOFT,
            _R.HANDSET_TEMPORARY_ERROR,
            source="C-IBYML",
        ),
        code_row(
            _E,
            258,
            "EC_SM_DF_EQUIPMENTNOTSM_EQUIPPED",
            _SOFT,
            _R.LANDLINE_NUMBER,
            source="C-IBYML",
            decision="D6",
        ),
        code_row(
            _E,
            259,
            "EC_SM_DF_UNKNOWNSERVICECENTRE",
            _SOFT,
            _R.TEMPORARY_OPERATOR_NETWORK_ISSUE,
            source="C-IBYML",
        ),
        code_row(
            _E,
            260,
            "EC_SM_DF_SC_CONGESTION",
            _SOFT,
            _R.TEMPORARY_OPERATOR_NETWORK_ISSUE,
            source="C-IBYML",
        ),
        code_row(
            _E,
            261,
            "EC_SM_DF_INVALIDSME_ADDRESS",
            _SOFT,
            _R.INVALID_NUMBER_OR_COUNTRY_CODE,
            source="C-IBYML",
            decision="LIB",
        ),
        code_row(
            _E,
            262,
            "EC_SM_DF_SUBSCRIBERNOTSC_SUBSCRIBER",
            _SOFT,
            _R.RECIPIENT_UNREACHABLE,
            source="C-IBYML",
            decision="LIB",
        ),
        code_row(
            _E,
            351,
            "EC_INVALID_DESTINATION_ADDRESS",
            _SOFT,
            _R.INVALID_NUMBER_OR_COUNTRY_CODE,
            source="C-IBYML",
            decision="D5",
        ),
        code_row(
            _E,
            352,
            "EC_INVALID_REQUEST_DESTINATION",
            _SOFT,
            _R.INVALID_NUMBER_OR_COUNTRY_CODE,
            source="C-IBYML",
            decision="D5",
        ),
        code_row(
            _E,
            568,
            "EC_DESTINATION_NOT_SMS_PROVISIONED",
            _SOFT,
            _R.LANDLINE_NUMBER,
            source="C-IBYML",
            decision="D6",
        ),
        code_row(
            _E,
            569,
            "EC_DEST_ADDRESS_SUSPENDED",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-IBYML",
            decision="D11",
        ),
        code_row(
            _E,
            573,
            "EC_SC_BLOCKED_BY_END_USER",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-IBYML",
            decision="D11",
        ),
        code_row(
            _E, 581, "EC_USER_OUT_OF_CREDIT", _SOFT, _R.RECIPIENT_UNREACHABLE, source="C-IBYML"
        ),
        code_row(
            _E,
            603,
            "EC_CONTENT_BLOCKED",
            _HARD,
            _R.OPTED_OUT_EARLIER,
            source="C-IBYML",
            decision="OPTED-OUT-EARLIER",
        ),
        code_row(
            _E,
            607,
            "EC_REJECTED_SPAM_BY_OPERATOR",
            _SOFT,
            _R.SPAM_FILTERED_BY_OPERATOR,
            source="C-IBYML",
            decision="D10",
        ),
        code_row(
            _E,
            628,
            "EC_TEMPORARY_HANDSET_FAILURE",
            _SOFT,
            _R.HANDSET_TEMPORARY_ERROR,
            source="C-IBYML",
            decision="LIB",
        ),
        code_row(
            _E,
            629,
            "EC_DEST_ADDRESS_UNABLE_TO_RECEIVE_SMS",
            _SOFT,
            _R.LANDLINE_NUMBER,
            source="C-IBYML",
            decision="D6",
        ),
        code_row(
            _E,
            811,
            "EC_MESSAGE_EXPIRED",
            _SOFT,
            _R.EXPIRED_AT_OPERATOR,
            source="C-IBYML",
            decision="D3",
        ),
        code_row(
            _E, 2048, "EC_TIME_OUT", _SOFT, _R.TEMPORARY_OPERATOR_NETWORK_ISSUE, source="C-IBYML"
        ),
        code_row(
            _E,
            2050,
            "EC_DEST_ADDRESS_BLACKLISTED",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-IBYML",
            decision="D11",
        ),
        code_row(
            _E, 3041, "EC_DEACTIVATED_LIST", _HARD, _R.NUMBER_DOES_NOT_EXIST, source="C-IBYML"
        ),
        code_row(
            _E,
            4098,
            "EC_VP_EXPIRED",
            _SOFT,
            _R.EXPIRED_AT_OPERATOR,
            source="C-IBYML",
            decision="D3",
        ),
        code_row(
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
    fields = payload_fields(result, what)
    message_id = required(fields, ("messageId",), result, what)
    status = _object(fields, "status", result)
    if status is None:
        raise MalformedReportError(f"{what}: no status object", result)
    group = field(status, ("groupName",), result)
    name = field(status, ("name",), result) or group
    if name is None:
        raise MalformedReportError(f"{what}: the status has no name or groupName", result)
    details: dict[str, str] = {}
    if group is not None:
        details["group"] = status_word(group, result, what)
    error_object = _object(fields, "error", result)
    error = None
    if error_object is not None:
        error = numeric_code(
            ErrorNamespace.INFOBIP, field(error_object, ("id",), result), result, what
        )
        error_name = field(error_object, ("name",), result)
        if error is not None and error_name:
            details["error_name"] = error_name[:80]
    return new_report(
        "infobip",
        message_id,
        status_word(name, result, what),
        error,
        time_text(fields, "sentAt", result),
        time_text(fields, "doneAt", result),
        False,
        received_at,
        count(field(fields, ("smsCount",), result)),
        None,
        False,
        details,
        result,
    )


@inbound_parser
def parse_infobip_inbound(
    result: Mapping[str, Any] | str | bytes, *, received_at: datetime | None = None
) -> InboundMessage:
    """One inbound SMS of Infobip's webhook [W-IB-INBOUND]: ``messageId``, ``from`` (the
    sender, international digits), ``to``, ``text``, ``keyword``, ``cleanText``,
    ``receivedAt`` (ISO 8601 with an offset), ``smsCount``. The webhook body holds a
    ``results`` list: call it on each element.

    >>> m = parse_infobip_inbound({"messageId": "817790313235066447", "from": "385916242493",
    ...     "to": "385921004026", "text": "QUIZ Correct answer is Paris",
    ...     "receivedAt": "2019-11-09T16:00:00.000+0000", "smsCount": 1})
    >>> m.sender, m.received_at.isoformat()
    ('+385916242493', '2019-11-09T16:00:00+00:00')
    """
    what = "Infobip inbound message"
    fields = payload_fields(result, what)
    message_id = required(fields, ("messageId",), result, what)
    details: dict[str, str] = {}
    for name in ("keyword", "cleanText", "smsCount", "callbackData"):
        value = field(fields, (name,), result)
        if value:
            details[name] = value[:160]
    received = field(fields, ("receivedAt",), result)
    return InboundMessage(
        sender=inbound_sender(field(fields, ("from",), result), result, what),
        text=inbound_text(
            raw_field(fields, ("text",), result, what), result, what, limit=MAX_INBOUND_TEXT_LENGTH
        ),
        to=optional_name(field(fields, ("to",), result), result, what, "to"),
        provider="infobip",
        provider_message_id=message_id,
        received_at=text_utc(_iso_offset(received)) or received_at,
        details=details,
        raw=result,
    )


def _iso_offset(value: str | None) -> str | None:
    """Infobip writes offsets as ``+0000``; ``datetime.fromisoformat`` before 3.11 needs
    ``+00:00``."""
    if value is not None and len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        return f"{value[:-2]}:{value[-2:]}"
    return value


#: Infobip in the registry: status names in upper case, then the status group; error ids of
#: ``ErrorNamespace.INFOBIP``, then the GSM MAP table (ids 1-71 are MAP codes).
PROVIDER = Provider(
    name="infobip",
    title="Infobip",
    parsers={"parse_infobip_result": parse_infobip_result},
    inbound_parsers={"parse_infobip_inbound": parse_infobip_inbound},
    tables={"infobip_group": GROUP_TABLE, "infobip_status": STATUS_TABLE, "infobip": ERROR_TABLE},
    sources=("W-IB", "W-IB-CODES", "C-IBYML", "C-COURIER", "W-IB-INBOUND"),
    status_tables=("infobip_status",),
    group_table="infobip_group",
    error_tables={ErrorNamespace.INFOBIP: ("infobip", "gsm_map")},
)
