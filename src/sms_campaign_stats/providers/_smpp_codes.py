"""SMPP: receipt ``stat`` words, ``message_state`` values and ``submit_sm_resp`` command statuses.

Sources: SMPP 3.4 / 5.0 states as quoted by [C-RUSMPP], [C-SMPP5], [C-SMPPLIB]; real-world words
from Kannel [C-KAN], SMS Central [W-SMSCENTRAL], Huawei [W-HUAWEI]; command statuses and their
descriptions from python-smpplib [C-SMPPLIB]; Jasmin's default submit retries [C-JAS].
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from sms_campaign_stats.lifecycle._statuses import BounceReason, Outcome
from sms_campaign_stats.providers._rows import Rule, rule, table

__all__ = ["COMMAND_STATUS_NAMES", "COMMAND_STATUS_RULES", "MESSAGE_STATES", "STATUS_RULES"]

_O, _R = Outcome, BounceReason

#: SMPP ``message_state`` (TLV 0x0427) -> the receipt's ``stat`` word. [C-RUSMPP], [C-SMPP5];
#: Jasmin's ``message_state_map`` for the words [C-JAS].
MESSAGE_STATES: Mapping[int, str] = MappingProxyType(
    {
        0: "SCHEDULED",
        1: "ENROUTE",
        2: "DELIVRD",
        3: "EXPIRED",
        4: "DELETED",
        5: "UNDELIV",
        6: "ACCEPTD",
        7: "UNKNOWN",
        8: "REJECTD",
        9: "SKIPPED",
    }
)

_S = "smpp_status"
#: Receipt ``stat`` words (upper case). Words not listed are final failures of unknown cause.
STATUS_RULES: Mapping[str, Rule] = table(
    [
        rule(_S, "DELIVRD", "delivered", _O.DELIVERED, source="C-RUSMPP"),
        rule(_S, "ENROUTE", "en route", _O.PENDING, source="C-RUSMPP"),
        rule(_S, "SCHEDULED", "scheduled (5.0)", _O.PENDING, source="C-SMPP5"),
        rule(_S, "ACCEPTD", "accepted", _O.PENDING, source="C-KAN", decision="D1"),
        rule(_S, "BUFFRED", "buffered", _O.PENDING, source="C-KAN"),
        rule(_S, "BUFFERD", "buffered", _O.PENDING, source="C-KAN"),
        rule(_S, "ACKED", "acknowledged", _O.PENDING, source="C-KAN"),
        rule(
            _S,
            "UNKNOWN",
            "unknown",
            _O.SOFT_BOUNCE,
            _R.PROVIDER_UNKNOWN_FAILURE,
            source="C-RUSMPP",
            decision="D2",
        ),
        rule(
            _S,
            "EXPIRED",
            "expired",
            _O.SOFT_BOUNCE,
            _R.EXPIRED_AT_OPERATOR,
            source="C-RUSMPP",
            decision="D3",
        ),
        rule(
            _S,
            "DELETED",
            "deleted by the SMSC",
            _O.SOFT_BOUNCE,
            _R.PROVIDER_UNKNOWN_FAILURE,
            source="C-RUSMPP",
        ),
        rule(
            _S,
            "UNDELIV",
            "undeliverable",
            _O.SOFT_BOUNCE,
            _R.PROVIDER_UNKNOWN_FAILURE,
            source="C-RUSMPP",
            decision="D4",
        ),
        rule(
            _S,
            "REJECTD",
            "rejected",
            _O.SOFT_BOUNCE,
            _R.PROVIDER_UNKNOWN_FAILURE,
            source="C-RUSMPP",
            decision="D4",
        ),
        rule(
            _S,
            "SKIPPED",
            "skipped (5.0)",
            _O.SOFT_BOUNCE,
            _R.PROVIDER_UNKNOWN_FAILURE,
            source="C-SMPP5",
        ),
        rule(
            _S,
            "FAILED",
            "failed",
            _O.SOFT_BOUNCE,
            _R.PROVIDER_UNKNOWN_FAILURE,
            source="W-SMSCENTRAL",
        ),
        rule(
            _S,
            "SYSERR",
            "system error",
            _O.SOFT_BOUNCE,
            _R.PROVIDER_UNKNOWN_FAILURE,
            source="W-SMSCENTRAL",
        ),
        rule(_S, "NOCRED", "no credit", _O.REJECTED_CONFIG, source="W-SMSCENTRAL"),
        rule(
            _S,
            "NOROUTE",
            "no route",
            _O.SOFT_BOUNCE,
            _R.PROVIDER_UNKNOWN_FAILURE,
            source="W-HUAWEI",
        ),
    ]
)

#: ``command_status`` value -> ESME name, for the codes a ``submit_sm_resp`` may carry.
#: [C-SMPPLIB] consts.py; same hex values in SMPP 3.4 section 5.1.3.
COMMAND_STATUS_NAMES: Mapping[int, str] = MappingProxyType(
    {
        0x00: "ESME_ROK",
        0x01: "ESME_RINVMSGLEN",
        0x02: "ESME_RINVCMDLEN",
        0x03: "ESME_RINVCMDID",
        0x04: "ESME_RINVBNDSTS",
        0x05: "ESME_RALYBND",
        0x06: "ESME_RINVPRTFLG",
        0x07: "ESME_RINVREGDLVFLG",
        0x08: "ESME_RSYSERR",
        0x0A: "ESME_RINVSRCADR",
        0x0B: "ESME_RINVDSTADR",
        0x0C: "ESME_RINVMSGID",
        0x0D: "ESME_RBINDFAIL",
        0x0E: "ESME_RINVPASWD",
        0x0F: "ESME_RINVSYSID",
        0x11: "ESME_RCANCELFAIL",
        0x13: "ESME_RREPLACEFAIL",
        0x14: "ESME_RMSGQFUL",
        0x15: "ESME_RINVSERTYP",
        0x33: "ESME_RINVNUMDESTS",
        0x34: "ESME_RINVDLNAME",
        0x40: "ESME_RINVDESTFLAG",
        0x42: "ESME_RINVSUBREP",
        0x43: "ESME_RINVESMCLASS",
        0x44: "ESME_RCNTSUBDL",
        0x45: "ESME_RSUBMITFAIL",
        0x48: "ESME_RINVSRCTON",
        0x49: "ESME_RINVSRCNPI",
        0x50: "ESME_RINVDSTTON",
        0x51: "ESME_RINVDSTNPI",
        0x53: "ESME_RINVSYSTYP",
        0x54: "ESME_RINVREPFLAG",
        0x55: "ESME_RINVNUMMSGS",
        0x58: "ESME_RTHROTTLED",
        0x61: "ESME_RINVSCHED",
        0x62: "ESME_RINVEXPIRY",
        0x63: "ESME_RINVDFTMSGID",
        0x64: "ESME_RX_T_APPN",
        0x65: "ESME_RX_P_APPN",
        0x66: "ESME_RX_R_APPN",
        0x67: "ESME_RQUERYFAIL",
        0xC0: "ESME_RINVOPTPARSTREAM",
        0xC1: "ESME_ROPTPARNOTALLWD",
        0xC2: "ESME_RINVPARLEN",
        0xC3: "ESME_RMISSINGOPTPARAM",
        0xC4: "ESME_RINVOPTPARAMVAL",
        0xFE: "ESME_RDELIVERYFAILURE",
        0xFF: "ESME_RUNKNOWNERR",
    }
)

_C = "smpp_command_status"
_THROTTLED = {0x08: "C-JAS", 0x14: "C-JAS", 0x58: "C-JAS"}  # Jasmin retries these by default
_INVALID_NUMBER = {0x0B: "D5", 0x50: "", 0x51: ""}
_UNKNOWN_FAILURE = (0x45, 0x64, 0xFE, 0xFF)


def _command_rule(value: int, name: str) -> Rule:
    if value in _THROTTLED:
        return rule(_C, value, name, _O.THROTTLED, source="C-JAS")
    if value in _INVALID_NUMBER:
        return rule(
            _C,
            value,
            name,
            _O.SOFT_BOUNCE,
            _R.INVALID_NUMBER_OR_COUNTRY_CODE,
            source="C-SMPPLIB",
            decision=_INVALID_NUMBER[value],
        )
    if value in _UNKNOWN_FAILURE:
        return rule(
            _C, value, name, _O.SOFT_BOUNCE, _R.PROVIDER_UNKNOWN_FAILURE, source="C-SMPPLIB"
        )
    # A request, account or sender problem: not the recipient's fault, not a bounce.
    return rule(_C, value, name, _O.REJECTED_CONFIG, source="C-SMPPLIB")


#: Failures a ``submit_sm_resp`` may report, keyed by the decimal value of ``command_status``.
COMMAND_STATUS_RULES: Mapping[str, Rule] = table(
    _command_rule(value, name) for value, name in COMMAND_STATUS_NAMES.items() if value != 0
)
