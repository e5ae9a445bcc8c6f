"""GSM MAP error codes (3GPP TS 29.002), as carried by SMPP ``network_error_code`` type 3.

Names from [C-JSS7] MAPErrorCode.java; Infobip's ``permanent`` flags [C-IBYML] informed the
classes where the reference notes a disagreement. These codes only apply when a provider says its
errors are MAP errors: an SMPP ``err:`` field is provider-specific unless you say otherwise
(``parse_smpp_receipt(..., err_namespace=ErrorNamespace.GSM_MAP)``). GSM MAP has no parser of
its own: SMPP and Infobip reports carry its codes (Infobip's error ids 1 to 71 are MAP codes).
"""

from __future__ import annotations

from collections.abc import Mapping

from sms_campaign_stats.lifecycle._statuses import BounceReason, Outcome
from sms_campaign_stats.providers._provider import Provider
from sms_campaign_stats.providers._report import ErrorNamespace
from sms_campaign_stats.providers._rows import CodeRow, code_row, code_table

__all__ = ["MAP_TABLE", "PROVIDER"]

_O, _R = Outcome, BounceReason
_N = "gsm_map"
_SOFT, _HARD = _O.SOFT_BOUNCE, _O.HARD_BOUNCE

#: MAP error code (decimal) -> what it means.
MAP_TABLE: Mapping[str, CodeRow] = code_table(
    [
        code_row(_N, 1, "unknownSubscriber", _HARD, _R.NUMBER_DOES_NOT_EXIST, source="C-JSS7"),
        code_row(
            _N,
            3,
            "unknownMSC",
            _SOFT,
            _R.TEMPORARY_OPERATOR_NETWORK_ISSUE,
            source="C-JSS7",
            decision="LIB",
        ),
        code_row(_N, 5, "unidentifiedSubscriber", _SOFT, _R.RECIPIENT_UNREACHABLE, source="C-JSS7"),
        code_row(
            _N, 6, "absentSubscriberSM", _SOFT, _R.HANDSET_OFF_OR_OUT_OF_COVERAGE, source="C-JSS7"
        ),
        code_row(_N, 7, "unknownEquipment", _SOFT, _R.HANDSET_TEMPORARY_ERROR, source="C-JSS7"),
        code_row(_N, 8, "roamingNotAllowed", _SOFT, _R.RECIPIENT_UNREACHABLE, source="C-JSS7"),
        code_row(
            _N,
            9,
            "illegalSubscriber",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-JSS7",
        ),
        code_row(
            _N,
            10,
            "bearerServiceNotProvisioned",
            _SOFT,
            _R.LANDLINE_NUMBER,
            source="C-JSS7",
            decision="D6",
        ),
        code_row(
            _N,
            11,
            "teleserviceNotProvisioned",
            _SOFT,
            _R.LANDLINE_NUMBER,
            source="C-JSS7",
            decision="D6",
        ),
        code_row(
            _N,
            12,
            "illegalEquipment",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-JSS7",
        ),
        code_row(
            _N,
            13,
            "callBarred",
            _HARD,
            _R.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
            source="C-JSS7",
            decision="D7",
        ),
        code_row(_N, 15, "cugReject", _SOFT, _R.UNDELIVERABLE_CONTENT, source="C-JSS7"),
        code_row(
            _N,
            21,
            "facilityNotSupported",
            _SOFT,
            _R.LANDLINE_NUMBER,
            source="C-JSS7",
            decision="D6",
        ),
        code_row(
            _N, 27, "absentSubscriber", _SOFT, _R.HANDSET_OFF_OR_OUT_OF_COVERAGE, source="C-JSS7"
        ),
        code_row(
            _N, 31, "subscriberBusyForMTSMS", _SOFT, _R.HANDSET_TEMPORARY_ERROR, source="C-JSS7"
        ),
        code_row(_N, 32, "smDeliveryFailure", _SOFT, _R.HANDSET_TEMPORARY_ERROR, source="C-JSS7"),
        code_row(
            _N,
            33,
            "messageWaitingListFull",
            _SOFT,
            _R.TEMPORARY_OPERATOR_NETWORK_ISSUE,
            source="C-JSS7",
        ),
        code_row(
            _N, 34, "systemFailure", _SOFT, _R.TEMPORARY_OPERATOR_NETWORK_ISSUE, source="C-JSS7"
        ),
        code_row(
            _N, 35, "dataMissing", _SOFT, _R.TEMPORARY_OPERATOR_NETWORK_ISSUE, source="C-JSS7"
        ),
        code_row(
            _N,
            36,
            "unexpectedDataValue",
            _SOFT,
            _R.TEMPORARY_OPERATOR_NETWORK_ISSUE,
            source="C-JSS7",
        ),
        code_row(
            _N,
            51,
            "resourceLimitation",
            _SOFT,
            _R.TEMPORARY_OPERATOR_NETWORK_ISSUE,
            source="C-JSS7",
        ),
        code_row(
            _N,
            71,
            "unknownAlphabet",
            _SOFT,
            _R.UNDELIVERABLE_CONTENT,
            source="C-JSS7",
            decision="LIB",
        ),
    ]
)

#: GSM MAP in the registry: no parser, one table, read for codes of ``ErrorNamespace.GSM_MAP``.
PROVIDER = Provider(
    name="gsm",
    title="GSM MAP (3GPP TS 29.002)",
    parsers={},
    tables={"gsm_map": MAP_TABLE},
    sources=("C-JSS7", "C-IBYML"),
    error_tables={ErrorNamespace.GSM_MAP: ("gsm_map",)},
)
