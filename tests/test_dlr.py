"""Delivery-report parsers: a corpus of real receipts, every quirk, and malformed input."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from sms_campaign_stats import (
    BounceReason,
    CampaignEngine,
    DeliveryReport,
    InMemoryStorage,
    MessageStatus,
    Outcome,
    SendMessage,
    classify,
    parse_brevo_event,
    parse_infobip_result,
    parse_kannel_dlr,
    parse_smpp_receipt,
    parse_twilio_callback,
    parse_vonage_receipt,
)
from sms_campaign_stats.bounces import UNKNOWN_ROW, TableClassifier
from sms_campaign_stats.engine import DEFAULT_STOP_WORDS, StopWords
from sms_campaign_stats.errors import MalformedReportError, UnknownTimeZoneError
from sms_campaign_stats.providers import (
    MAX_PAYLOAD_BYTES,
    OPT_OUT_KEYWORDS,
    ErrorCode,
    ErrorNamespace,
    ProviderTime,
    parse_smpp_submit_error,
)

from .campaigns import add_campaign

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
GSM = ErrorNamespace.GSM_MAP

# Receipts quoted in the team's delivery-code reference (sections 1.4, 2, 3, 5), most from
# Jasmin's tests [C-JAS]: (name, text, tlvs, expected id, status, outcome, reason).
SMPP_CORPUS: list[
    tuple[str, str | bytes | None, dict[str, Any] | None, str, str, Outcome, BounceReason | None]
] = [
    (
        "standard",
        "id:1891273321 sub:001 dlvrd:001 submit date:1305050826 done date:1305050826 "
        "stat:DELIVRD err:000 text:DLVRD TO MOBILE",
        None,
        "1891273321",
        "DELIVRD",
        Outcome.DELIVERED,
        None,
    ),
    (
        "empty text",
        "id:1891273321 sub:001 dlvrd:001 submit date:1305050826 done date:1305050826 "
        "stat:DELIVRD err:000 text:",
        None,
        "1891273321",
        "DELIVRD",
        Outcome.DELIVERED,
        None,
    ),
    (
        "clickatell 12 digits",
        "id:a29f6845555647139e5c8f3b817f2c9a sub:001 dlvrd:001 submit "
        "date:141023215253 done date:141023215259 stat:DELIVRD err:000 text:HOLA",
        None,
        "a29f6845555647139e5c8f3b817f2c9a",
        "DELIVRD",
        Outcome.DELIVERED,
        None,
    ),
    (
        "uuid id, dummy text",
        "id:4a38dc46-5125-4969-90be-72104c340d5c sub:001 dlvrd:001 submit "
        "date:150519232657 done date:150519232657 stat:DELIVRD err:000 text:-",
        None,
        "4a38dc46-5125-4969-90be-72104c340d5c",
        "DELIVRD",
        Outcome.DELIVERED,
        None,
    ),
    (
        "no sub, dlvrd, text; 4-digit year",
        "id:c87c2273-7edb-4bc7-8d3a-7f57f21b625e submit "
        "date:201506201641 done date:201506201641 stat:DELIVRD err:000",
        None,
        "c87c2273-7edb-4bc7-8d3a-7f57f21b625e",
        "DELIVRD",
        Outcome.DELIVERED,
        None,
    ),
    (
        "TLV-only, junk text",
        "362d9701 2",
        {"message_state": 2, "receipted_message_id": "362d9701"},
        "362d9701",
        "DELIVRD",
        Outcome.DELIVERED,
        None,
    ),
    (
        "data_sm, no text",
        None,
        {"message_state": "DELIVERED", "receipted_message_id": b"362d9701"},
        "362d9701",
        "DELIVRD",
        Outcome.DELIVERED,
        None,
    ),
    (
        "TLV id wins",
        "id:5000 submit date:201506201641 done date:201506201641 stat:DELIVRD err:000",
        {"message_state": 2, "receipted_message_id": "6000"},
        "6000",
        "DELIVRD",
        Outcome.DELIVERED,
        None,
    ),
    (
        "TLV state wins",
        "id:5000 submit date:201506201641 done date:201506201641 stat:DELIVRD err:000",
        {"message_state": 6, "receipted_message_id": "5000"},
        "5000",
        "ACCEPTD",
        Outcome.PENDING,
        None,
    ),
    (
        "GoIP Text:",
        "id:77 sub:1 dlvrd:1 submit date:1305050826 done date:1305050826 stat:DELIVRD "
        "err:0 Text:\x04\x1a",
        None,
        "77",
        "DELIVRD",
        Outcome.DELIVERED,
        None,
    ),
    (
        "non-ASCII bytes",
        b"id:88 sub:001 dlvrd:000 submit date:1305050826 done date:1305050826 "
        b"stat:UNDELIV err:000 text:\x84A\x89O\x88 ENTO\x84H",
        None,
        "88",
        "UNDELIV",
        Outcome.SOFT_BOUNCE,
        BounceReason.PROVIDER_UNKNOWN_FAILURE,
    ),
    (
        "payload TLV",
        "",
        {
            "message_payload": b"id:0000436949 submit date:1305050826 done "
            b"date:1305050826 stat:DELIVRD err:000\x00"
        },
        "0000436949",
        "DELIVRD",
        Outcome.DELIVERED,
        None,
    ),
    (
        "fields in another order",
        "stat:EXPIRED err:000 id:99 done date:1305050826 submit date:1305050820",
        None,
        "99",
        "EXPIRED",
        Outcome.SOFT_BOUNCE,
        BounceReason.EXPIRED_AT_OPERATOR,
    ),
    (
        "vendor err not decoded",
        "id:1 sub:001 dlvrd:000 submit date:1305050826 done "
        "date:1305050826 stat:UNDELIV err:075 text:",
        None,
        "1",
        "UNDELIV",
        Outcome.SOFT_BOUNCE,
        BounceReason.PROVIDER_UNKNOWN_FAILURE,
    ),
    (
        "GSM network error TLV",
        "id:2 stat:UNDELIV err:000",
        {"network_error_code": b"\x03\x00\x01"},
        "2",
        "UNDELIV",
        Outcome.HARD_BOUNCE,
        BounceReason.NUMBER_DOES_NOT_EXIST,
    ),
    (
        "network error as ASCII digits",
        "id:3 stat:UNDELIV",
        {"network_error_code": b"006"},
        "3",
        "UNDELIV",
        Outcome.SOFT_BOUNCE,
        BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE,
    ),
    (
        "intermediate UNKNOWN",
        "id:4 stat:UNKNOWN err:000",
        {"esm_class": 0x20},
        "4",
        "UNKNOWN",
        Outcome.PENDING,
        None,
    ),
    (
        "final UNKNOWN",
        "id:5 stat:UNKNOWN err:000",
        {"esm_class": 0x04},
        "5",
        "UNKNOWN",
        Outcome.SOFT_BOUNCE,
        BounceReason.PROVIDER_UNKNOWN_FAILURE,
    ),
    (
        "word nobody lists",  # kept pending, typed unknown (issue 16)
        "id:6 stat:NOPE err:000",
        None,
        "6",
        "NOPE",
        Outcome.PENDING,
        None,
    ),
]


@pytest.mark.parametrize("case", SMPP_CORPUS, ids=lambda case: case[0])
def test_smpp_corpus(case: tuple[Any, ...]) -> None:
    """Real receipts: id, status word, outcome and reason."""
    _, text, tlvs, ident, status, outcome, reason = case
    found = parse_smpp_receipt(text, tlvs=tlvs, received_at=NOW)
    assert (ident, status) == (found.provider_message_id, found.status)
    assert (outcome, reason) == (classify(found).outcome, classify(found).reason)
    assert NOW == found.received_at


def test_smpp_fields_and_dates() -> None:
    """Counts, dates (10, 12 and 12-with-4-digit-year), naive, and the raw payload kept."""
    text = "id:a29f sub:1 dlvrd:13 submit date:141023215253 done date:1410232153 stat:DELIVRD err:0"
    found = parse_smpp_receipt(text)
    assert (1, 13) == (found.segments_submitted, found.segments_delivered)
    assert ProviderTime(datetime(2014, 10, 23, 21, 52, 53), "141023215253") == found.submitted_at
    assert datetime(2014, 10, 23, 21, 53) == found.done_at.value  # type: ignore[union-attr]
    assert not found.done_at.zone_known  # type: ignore[union-attr]
    assert text == found.raw
    late = parse_smpp_receipt("id:x submit date:201506201641 done date:99999999999999 stat:DELIVRD")
    assert datetime(2015, 6, 20, 16, 41) == late.submitted_at.value  # type: ignore[union-attr]
    assert late.done_at is None
    assert "99999999999999" == late.done_text


def test_err_namespace_is_chosen_by_the_caller() -> None:
    """Nexmo's SMPP receipts carry Vonage codes in err: the caller says so."""
    text = (
        "id:1 sub:001 dlvrd:000 submit date:1305050826 done date:1305050826 stat:UNDELIV "
        "err:003 text:none"
    )
    assert ErrorCode(ErrorNamespace.PROVIDER, "3") == parse_smpp_receipt(text).error
    vonage = parse_smpp_receipt(text, err_namespace=ErrorNamespace.VONAGE)
    assert (Outcome.HARD_BOUNCE, BounceReason.NUMBER_DOES_NOT_EXIST) == (
        classify(vonage).outcome,
        classify(vonage).reason,
    )


def test_network_error_code_types() -> None:
    """Type 3 is GSM MAP, type 7 an SMPP error, others stay the provider's."""

    def network(octets: bytes) -> DeliveryReport:
        return parse_smpp_receipt("id:1 stat:UNDELIV", tlvs={"network_error_code": octets})

    assert ErrorCode(GSM, "13") == network(b"\x03\x00\x0d").error
    assert ErrorCode(ErrorNamespace.SMPP_COMMAND_STATUS, "88") == network(b"\x07\x00\x58").error
    other = network(b"\x06\x01\x00")
    assert ErrorCode(ErrorNamespace.PROVIDER, "256") == other.error
    assert "6" == other.details["network_type"]
    assert network(b"\x03\x00\x00").error is None


@pytest.mark.parametrize(
    ("text", "tlvs", "problem"),
    [
        ("", None, "no id and stat"),
        ("hello world", None, "no id and stat"),
        ("01,0210021543,0210021500,30,447887123456,447700000000,", None, "no id and stat"),
        ("id:1 sub:001", None, "no stat"),
        ("stat:DELIVRD", None, "no id"),
        ("id:1 stat:DELIVRD", {"message_state": 300}, "one-octet"),
        ("id:1 stat:DELIVRD", {"message_state": "LOST"}, "one-octet"),
        ("id:1 stat:DELIVRD", {"esm_class": "x"}, "one-octet"),
        ("id:1 stat:DELIVRD", {"receipted_message_id": 5}, "usable text"),
        ("id:1 stat:DELIVRD", {"receipted_message_id": "   "}, "usable text"),
        ("id:1 stat:DELIVRD", {"network_error_code": b"\x03\x00"}, "3 octets"),
        ("id:1 stat:DELIVRD", {"network_error_code": 3}, "3 octets"),
        ("", {"message_payload": 5}, "message_payload"),
        ("id:1 stat:DELIVRD", ["not", "a", "mapping"], "mapping"),
        (12, None, "str or bytes"),
        ("id:" + "x" * 300 + " stat:DELIVRD", None, "longer"),
    ],
)
def test_smpp_malformed(text: Any, tlvs: Any, problem: str) -> None:
    """Anything that is not a receipt raises MalformedReportError saying why, with the raw."""
    with pytest.raises(MalformedReportError, match=problem) as caught:
        parse_smpp_receipt(text, tlvs=tlvs)
    assert caught.value.raw is not None or text is None


def test_oversized_payloads_are_refused_quickly() -> None:
    """Megabyte texts and deep nesting are refused before parsing."""
    with pytest.raises(MalformedReportError, match="larger than"):
        parse_smpp_receipt("id:1 stat:DELIVRD text:" + "é" * MAX_PAYLOAD_BYTES)
    with pytest.raises(MalformedReportError, match="larger than") as caught:
        parse_smpp_receipt(b"x" * (5 * MAX_PAYLOAD_BYTES))
    assert "not kept" in str(caught.value.raw)
    nested: dict[str, Any] = {}
    node = nested
    for _ in range(40):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(MalformedReportError, match="nested"):
        parse_vonage_receipt(nested)
    with pytest.raises(MalformedReportError, match="larger than"):
        parse_twilio_callback({"MessageSid": "SM1", "MessageStatus": "sent", "x": "y" * 70_000})


@pytest.mark.parametrize(
    ("command_status", "name", "outcome"),
    [
        (0x58, "ESME_RTHROTTLED", Outcome.THROTTLED),
        ("0x00000014", "ESME_RMSGQFUL", Outcome.THROTTLED),
        ("ESME_RINVDSTADR", "ESME_RINVDSTADR", Outcome.SOFT_BOUNCE),
        ("69", "ESME_RSUBMITFAIL", Outcome.SOFT_BOUNCE),
        (0x0E, "ESME_RINVPASWD", Outcome.REJECTED_CONFIG),
        (0x400, "0x00000400", Outcome.SOFT_BOUNCE),
    ],
)
def test_submit_errors(command_status: int | str, name: str, outcome: Outcome) -> None:
    """submit_sm_resp failures: named, and classified by the command status table."""
    found = parse_smpp_submit_error(command_status, provider_message_id="local-1")
    assert (name, outcome) == (found.status, classify(found).outcome)
    assert "local-1" == found.provider_message_id


@pytest.mark.parametrize("command_status", [0, "ESME_ROK", "0x0", "junk", True, -1, 2**33, None])
def test_submit_errors_malformed(command_status: Any) -> None:
    """ESME_ROK is not a failure; anything else unreadable is refused."""
    with pytest.raises(MalformedReportError):
        parse_smpp_submit_error(command_status)


def test_twilio() -> None:
    """Status, error code, the naive carrier done date, inbound messages refused."""
    found = parse_twilio_callback(
        {
            "MessageSid": "SM1",
            "MessageStatus": "undelivered",
            "ErrorCode": "30006",
            "ErrorMessage": "Landline or unreachable carrier",
            "RawDlrDoneDate": "2403011205",
            "NumSegments": "2",
        }
    )
    assert (Outcome.SOFT_BOUNCE, BounceReason.LANDLINE_NUMBER, False) == (
        classify(found).outcome,
        classify(found).reason,
        classify(found).retryable,
    )
    assert datetime(2024, 3, 1, 12, 5) == found.done_at.value  # type: ignore[union-attr]
    assert (2, "Landline or unreachable carrier") == (
        found.segments_submitted,
        found.details["error_message"],
    )
    stop = parse_twilio_callback("MessageSid=SM2&MessageStatus=failed&ErrorCode=21610")
    opted_out = classify(stop)
    assert (Outcome.HARD_BOUNCE, BounceReason.OPTED_OUT_EARLIER) == (
        opted_out.outcome,
        opted_out.reason,
    )
    delivered = parse_twilio_callback(
        {"SmsSid": ["SM3"], "SmsStatus": ["delivered"], "ErrorCode": "0"}
    )
    assert (None, Outcome.DELIVERED) == (delivered.error, classify(delivered).outcome)
    with pytest.raises(MalformedReportError, match="inbound"):
        parse_twilio_callback({"MessageSid": "SM4", "MessageStatus": "received"})


def test_vonage() -> None:
    """The documented JSON body, the query-string form, and err 9 as an earlier opt-out."""
    body = (
        '{"err-code":"0","message-timestamp":"2018-10-25 12:10:29","messageId":'
        '"0B00000127FDBC63","msisdn":"447547232824","network-code":"23410","price":'
        '"0.03330000","scts":"1810251310","status":"delivered","to":"Nexmo CLI"}'
    )
    found = parse_vonage_receipt(body)
    assert ("0B00000127FDBC63", Outcome.DELIVERED) == (
        found.provider_message_id,
        classify(found).outcome,
    )
    assert datetime(2018, 10, 25, 13, 10) == found.done_at.value  # type: ignore[union-attr]
    assert {
        "network-code": "23410",
        "price": "0.03330000",
        "message-timestamp": "2018-10-25 12:10:29",
    } == dict(found.details)
    query = (
        "msisdn=447700900000&to=Tak&network-code=23820&messageId=0C0000002EEBDA56&price="
        "0.01820000&status=delivered&scts=1705021324&err-code=0&message-timestamp="
        "2017-05-02+11%3A24%3A03"
    )
    assert Outcome.DELIVERED == classify(parse_vonage_receipt(query.encode())).outcome
    opted_out = parse_vonage_receipt({"messageId": "x", "status": "rejected", "err-code": 9})
    found_out = classify(opted_out)
    assert (Outcome.HARD_BOUNCE, BounceReason.OPTED_OUT_EARLIER) == (
        found_out.outcome,
        found_out.reason,
    )
    with pytest.raises(MalformedReportError, match="invalid JSON"):
        parse_vonage_receipt('{"messageId": ')


@pytest.mark.parametrize(
    "event",
    [
        {"messageId": 7, "event": "softBounce"},
        {"message_id": "7", "event": "soft_bounce"},
        {"msgId": "7", "event": "softBounces"},
    ],
)
def test_brevo_spellings(event: dict[str, Any]) -> None:
    """camelCase, snake_case and plural spellings read the same."""
    found = parse_brevo_event(
        {
            **event,
            "reason": "Sent to a landline number",
            "date": "2024-05-02T10:11:12.000Z",
            "tag": "spring",
        }
    )
    assert ("7", Outcome.SOFT_BOUNCE, BounceReason.LANDLINE_NUMBER) == (
        found.provider_message_id,
        classify(found).outcome,
        classify(found).reason,
    )
    assert found.done_at is not None
    assert found.done_at.zone_known
    assert "spring" == found.details["tag"]


def test_brevo_outcomes() -> None:
    """Delivered, hard bounces by reason, unsubscriptions; replies are not delivery reports."""

    def outcome(event: str, reason: str | None = None) -> tuple[Outcome, BounceReason | None]:
        payload = {"messageId": "1", "event": event, "date": "2024-05-02 10:11:12"}
        if reason:
            payload["reason"] = reason
        found = classify(parse_brevo_event(payload))
        return found.outcome, found.reason

    assert (Outcome.DELIVERED, None) == outcome("delivered")
    assert (Outcome.HARD_BOUNCE, BounceReason.BLOCKED_BY_RECIPIENT_OR_OPERATOR) == outcome(
        "hardBounces", "The recipient blocked your number"
    )
    assert (Outcome.UNSUBSCRIBED, None) == outcome("unsubscription")
    assert (Outcome.REJECTED_CONFIG, None) == outcome(
        "hardBounce", "Account not linked to a registered Sender ID"
    )
    with pytest.raises(MalformedReportError, match="inbound"):
        parse_brevo_event({"messageId": "1", "event": "replied", "reply": "hello"})


def test_kannel() -> None:
    """%d values, refined by the %A receipt text when it is one."""
    plain = parse_kannel_dlr(1, message_id="app-42")
    assert ("app-42", "1", Outcome.DELIVERED) == (
        plain.provider_message_id,
        plain.status,
        classify(plain).outcome,
    )
    refined = parse_kannel_dlr(
        "2",
        smsc_reply=b"id:42 sub:001 dlvrd:000 submit date:2501011200 done date:2501011201 "
        b"stat:EXPIRED err:000",
    )
    assert (Outcome.SOFT_BOUNCE, BounceReason.EXPIRED_AT_OPERATOR) == (
        classify(refined).outcome,
        classify(refined).reason,
    )
    unreadable = parse_kannel_dlr(16, smsc_reply="Throttling error", message_id="app-43")
    assert "not an SMPP receipt" == unreadable.details["smsc_reply"]
    assert Outcome.SOFT_BOUNCE == classify(unreadable).outcome
    assert Outcome.PENDING == classify(parse_kannel_dlr(8, message_id="a")).outcome
    for bad in (0, 256, "x", True, None):
        with pytest.raises(MalformedReportError):
            parse_kannel_dlr(bad, message_id="a")  # type: ignore[arg-type]
    with pytest.raises(MalformedReportError, match="without a message id"):
        parse_kannel_dlr(1)
    with pytest.raises(MalformedReportError, match="not an id"):
        parse_kannel_dlr(1, message_id="  ")


def infobip(status: dict[str, Any], error: dict[str, Any] | None = None) -> DeliveryReport:
    """An Infobip result with this status and error."""
    result: dict[str, Any] = {
        "messageId": "ib-1",
        "status": status,
        "sentAt": "2019-11-09T16:00:00.000+0000",
        "doneAt": "2019-11-09T16:00:05.000+0000",
        "smsCount": 2,
    }
    if error is not None:
        result["error"] = error
    return parse_infobip_result(result)


def test_infobip() -> None:
    """Statuses by name then group; error ids, including the GSM MAP range."""
    handset = infobip(
        {"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET"},
        {"id": 0, "name": "NO_ERROR", "permanent": False},
    )
    assert (Outcome.DELIVERED, None, 2) == (
        classify(handset).outcome,
        handset.error,
        handset.segments_submitted,
    )
    assert handset.done_at is not None
    assert handset.done_at.zone_known
    assert timedelta(seconds=5) == handset.done_at.value - handset.submitted_at.value  # type: ignore[union-attr]
    operator = infobip(
        {"groupId": 3, "groupName": "DELIVERED", "id": 2, "name": "DELIVERED_TO_OPERATOR"}
    )
    assert Outcome.PENDING == classify(operator).outcome
    dnd = infobip({"groupId": 5, "groupName": "REJECTED", "id": 10, "name": "REJECTED_DND"})
    assert Outcome.HARD_BOUNCE == classify(dnd).outcome
    stop = infobip(
        {
            "groupId": 2,
            "groupName": "UNDELIVERABLE",
            "id": 9,
            "name": "UNDELIVERABLE_NOT_DELIVERED",
        },
        {"id": 603, "name": "EC_CONTENT_BLOCKED", "permanent": True},
    )
    stopped = classify(stop)
    assert (Outcome.HARD_BOUNCE, BounceReason.OPTED_OUT_EARLIER) == (
        stopped.outcome,
        stopped.reason,
    )
    absent = infobip(
        {
            "groupId": 2,
            "groupName": "UNDELIVERABLE",
            "id": 9,
            "name": "UNDELIVERABLE_NOT_DELIVERED",
        },
        {"id": 27, "name": "EC_ABSENT_SUBSCRIBER", "permanent": False},
    )
    assert BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE == classify(absent).reason
    assert "EC_ABSENT_SUBSCRIBER" == absent.details["error_name"]
    expired = infobip({"groupId": 4, "groupName": "EXPIRED", "id": 15, "name": "EXPIRED_EXPIRED"})
    assert BounceReason.EXPIRED_AT_OPERATOR == classify(expired).reason
    for bad in (
        {"messageId": "x"},
        {"messageId": "x", "status": "DELIVERED"},
        {"messageId": "x", "status": {"id": 5}},
        {"messageId": "x", "status": {"name": "A"}, "error": 5},
        {"messageId": "x", "status": {"name": "A"}, "error": {"id": "abc"}},
        [1, 2],
    ):
        with pytest.raises(MalformedReportError):
            parse_infobip_result(bad)  # type: ignore[arg-type]


def test_provider_times() -> None:
    """Digits or ISO 8601; naive unless an offset is given or the provider documents UTC."""

    def times(text: str, utc: bool) -> ProviderTime | None:
        return DeliveryReport(
            provider="x", provider_message_id="1", status="s", done_text=text, times_in_utc=utc
        ).done_at

    assert datetime(2024, 5, 2, 10, 11, 12) == times("2024-05-02 10:11:12", False).value  # type: ignore[union-attr]
    utc = times("2024-05-02 10:11:12", True)
    assert utc is not None
    assert utc.zone_known
    assert times("240502101112", True).zone_known  # type: ignore[union-attr]
    offset = times("2019-11-09T16:00:00.000+0100", False)
    assert offset is not None
    assert timedelta(hours=1) == offset.value.utcoffset()
    assert times("not a date", False) is None
    assert times("2024-13-45", False) is None
    assert times("x" * 50, False) is None


def test_received_at_must_be_aware() -> None:
    """The time a report was received is an aware datetime, kept in UTC."""
    from sms_campaign_stats import ValidationError

    with pytest.raises(ValidationError):
        parse_twilio_callback(
            {"MessageSid": "S", "MessageStatus": "sent"}, received_at=datetime(2024, 1, 1)
        )
    paris = datetime(2024, 1, 1, 10, tzinfo=timezone(timedelta(hours=1)))
    got = parse_twilio_callback({"MessageSid": "S", "MessageStatus": "sent"}, received_at=paris)
    assert timezone.utc is got.received_at.tzinfo  # type: ignore[union-attr]


# Issue 16, "Provider truth": each correction with the source that settles it.

FCC_REVOKE = "47 CFR 64.1200(a)(10)"
TWILIO_OPT_OUT = "Twilio support article 223134027, opt-out keywords"


@pytest.mark.parametrize(
    ("keyword", "source"),
    [
        *((word, FCC_REVOKE) for word in OPT_OUT_KEYWORDS["L-FCC-REVOKE"]),
        *((word, TWILIO_OPT_OUT) for word in OPT_OUT_KEYWORDS["W-TW-OPTOUT"]),
        ("revoke", FCC_REVOKE),
        ("Revoke.", FCC_REVOKE),
        ("opt-out", FCC_REVOKE),
    ],
)
def test_the_sourced_opt_out_keywords_are_opt_outs(keyword: str, source: str) -> None:
    """Correction 1: every keyword the FCC rule (47 CFR 64.1200(a)(10), in force 2025-04-11) and
    Twilio's default list name is an opt-out, whatever its case or punctuation, for stop words
    built from the sourced lists."""
    words = StopWords(dict(OPT_OUT_KEYWORDS))
    assert words.match(keyword) is not None, source


@pytest.mark.parametrize(
    "keyword", sorted({w for words in OPT_OUT_KEYWORDS.values() for w in words})
)
def test_the_default_stop_words_cover_the_sourced_keywords(keyword: str) -> None:
    """Correction 1: the engine's default STOP words include every sourced opt-out keyword."""
    assert DEFAULT_STOP_WORDS.match(keyword) is not None


# Infobip's own descriptions [W-IB-CODES]: account or request problems, not platform faults.
INFOBIP_ACCOUNT_SIDE = [
    (6, "REJECTED_NETWORK", Outcome.REJECTED_CONFIG, None),
    (17, "REJECTED_PREPAID_PACKAGE_EXPIRED", Outcome.REJECTED_CONFIG, None),
    (18, "REJECTED_DESTINATION_NOT_REGISTERED", Outcome.REJECTED_CONFIG, None),
    (23, "REJECTED_DUPLICATE_MESSAGE_ID", Outcome.REJECTED_CONFIG, None),
    (24, "REJECTED_INVALID_UDH", Outcome.SOFT_BOUNCE, BounceReason.UNDELIVERABLE_CONTENT),
    (25, "REJECTED_MESSAGE_TOO_LONG", Outcome.SOFT_BOUNCE, BounceReason.UNDELIVERABLE_CONTENT),
    (51, "MISSING_TO", Outcome.REJECTED_CONFIG, None),
]


@pytest.mark.parametrize(("status_id", "name", "outcome", "reason"), INFOBIP_ACCOUNT_SIDE)
def test_infobip_account_and_request_rejections_are_not_platform_faults(
    status_id: int, name: str, outcome: Outcome, reason: BounceReason | None
) -> None:
    """Correction 4 (source: https://www.infobip.com/docs/essentials/api-essentials/
    response-status-and-error-codes, group REJECTED): these REJECTED statuses are the sender's
    account or request, so they are neither platform faults nor retried."""
    found = classify(
        parse_infobip_result(
            {
                "messageId": "m",
                "status": {"groupId": 5, "groupName": "REJECTED", "id": status_id, "name": name},
                "error": {"id": 0, "name": "NO_ERROR"},
            }
        )
    )
    assert (outcome, reason) == (found.outcome, found.reason)
    assert not found.platform_fault
    assert not found.retryable
    assert "W-IB-CODES" == found.row.source


@pytest.mark.parametrize(
    ("status_id", "name", "registration"),
    [(11, "REJECTED_SOURCE", True), (13, "REJECTED_SENDER", False)],
)
def test_infobip_sender_registration_flag(status_id: int, name: str, registration: bool) -> None:
    """Correction 5 ([W-IB-CODES]): 11 REJECTED_SOURCE is the sender ID not registered on the
    account; 13 REJECTED_SENDER is a sender ID blocklisted on the account, not a registration."""
    report = parse_infobip_result(
        {"messageId": "m", "status": {"groupName": "REJECTED", "id": status_id, "name": name}}
    )
    found = classify(report)
    assert Outcome.REJECTED_CONFIG == found.outcome
    assert registration == found.row.sender_registration
    brevo_way = classify(
        report, classifier=TableClassifier(sender_registration_is_hard_bounce=True)
    )
    assert (Outcome.HARD_BOUNCE if registration else Outcome.REJECTED_CONFIG) == brevo_way.outcome


BREVO_WH = "https://developers.brevo.com/docs/transactional-webhooks: date is CET/CEST"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"date": "2024-07-02 10:11:12"}, datetime(2024, 7, 2, 8, 11, 12, tzinfo=timezone.utc)),
        ({"date": "2024-01-15 10:11:12"}, datetime(2024, 1, 15, 9, 11, 12, tzinfo=timezone.utc)),
        (
            {"date": "2024-07-02 10:11:12", "ts_event": 1719907800},
            datetime(2024, 7, 2, 8, 10, tzinfo=timezone.utc),
        ),
        (
            {"date": "2024-07-02 10:11:12", "ts_event": "1719907800", "ts_epoch": 1},
            datetime(2024, 7, 2, 8, 10, tzinfo=timezone.utc),
        ),
        (
            {"date": "2024-07-02 10:11:12", "ts_epoch": 1719907800500},
            datetime(2024, 7, 2, 8, 10, 0, 500000, tzinfo=timezone.utc),
        ),
        (
            {"date": "2024-05-02T10:11:12.000Z"},
            datetime(2024, 5, 2, 10, 11, 12, tzinfo=timezone.utc),
        ),
        (  # clocks go back at 03:00 in Paris: 02:30 happens twice, the first is taken
            {"date": "2024-10-27 02:30:00"},
            datetime(2024, 10, 27, 0, 30, tzinfo=timezone.utc),
        ),
    ],
)
def test_brevo_webhook_times(fields: dict[str, Any], expected: datetime) -> None:
    """Correction 6 ([W-BR-WH], ``BREVO_WH``): ``ts_event`` (UTC seconds) first, then
    ``ts_epoch`` (UTC milliseconds), then ``date`` as Europe/Paris wall time; the raw fields are
    kept."""
    found = parse_brevo_event({"messageId": "1", "msg_status": "delivered", **fields})
    assert found.done_at is not None
    assert expected == found.done_at.value
    for name, value in fields.items():
        assert str(value) == found.details[name]


def test_brevo_date_zone_is_a_choice() -> None:
    """Records that write UTC without saying so are read with ``date_zone="UTC"``; a zone that
    does not exist is refused."""
    found = parse_brevo_event(
        {"messageId": "1", "event": "delivered", "date": "2024-07-02 10:11:12"}, date_zone="UTC"
    )
    assert datetime(2024, 7, 2, 10, 11, 12, tzinfo=timezone.utc) == found.done_at.value  # type: ignore[union-attr]
    with pytest.raises(UnknownTimeZoneError):
        parse_brevo_event({"messageId": "1", "event": "delivered"}, date_zone="Mars/Olympus")


# Issue 16, doubtful points: each decision beside its row, with its source.


@pytest.mark.parametrize(
    ("word", "outcome"),
    [
        ("DELIVERED", Outcome.DELIVERED),
        ("UNDELIVERABLE", Outcome.SOFT_BOUNCE),
        ("ACCEPTED", Outcome.PENDING),
        ("REJECTED", Outcome.SOFT_BOUNCE),
        ("delivered", Outcome.DELIVERED),
    ],
)
def test_smpp_state_names_spelt_out(word: str, outcome: Outcome) -> None:
    """``stat:DELIVERED`` (decision SMPP-NAMES): the message_state names [C-RUSMPP], as public
    SMSC simulators write them, mean what their seven-letter words mean; a delivery is never a
    platform-fault soft bounce."""
    text = f"id:1 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:{word} err:000"
    found = classify(parse_smpp_receipt(text))
    assert outcome == found.outcome
    assert "C-RUSMPP" == found.row.source
    state = {"DELIVERED": 2, "UNDELIVERABLE": 5, "ACCEPTED": 6, "REJECTED": 8}[word.upper()]
    by_tlv = classify(
        parse_smpp_receipt("", tlvs={"receipted_message_id": "1", "message_state": state})
    )
    assert by_tlv.outcome == found.outcome


@pytest.mark.parametrize(
    ("err", "code", "hexadecimal"),
    [
        ("00B", "11", True),  # MAP 11 teleserviceNotProvisioned
        ("00b", "11", True),
        ("01A", "26", True),
        ("0FF", "255", True),
        ("075", "75", False),  # digits only: decimal, as Kannel reads them
        ("011", "11", False),
        ("000", None, False),
    ],
)
def test_hexadecimal_err_values(err: str, code: str | None, hexadecimal: bool) -> None:
    """Decision HEX-ERR: three hexadecimal characters with a letter are hexadecimal; digits only
    are decimal ([C-KAN] reads ``err`` with ``%d``). The text as written is kept."""
    for text in (
        "id:1 sub:001 dlvrd:000 submit date:2501011200 done date:2501011201 "
        f"stat:UNDELIV err:{err}",
        f"stat:UNDELIV id:1 err:{err}",  # the tolerant reading
    ):
        found = parse_smpp_receipt(text, err_namespace=GSM)
        assert code == (found.error.code if found.error else None)
        assert (err if hexadecimal else None) == found.details.get("err")
    teleservice = classify(parse_smpp_receipt("id:1 stat:UNDELIV err:00B", err_namespace=GSM))
    assert BounceReason.LANDLINE_NUMBER == teleservice.reason


@pytest.mark.parametrize(
    ("report", "provider"),
    [
        (lambda: parse_twilio_callback({"MessageSid": "SM1", "MessageStatus": "bogus"}), "twilio"),
        (lambda: parse_vonage_receipt({"messageId": "1", "status": "bogus"}), "vonage"),
        (lambda: parse_brevo_event({"messageId": "1", "event": "smsTeleported"}), "brevo"),
        (lambda: parse_smpp_receipt("id:1 stat:BOGUS err:075"), "smpp"),
        (lambda: parse_kannel_dlr(64, message_id="k1"), "kannel"),
        (
            lambda: parse_infobip_result({"messageId": "1", "status": {"name": "BRAND_NEW"}}),
            "infobip",
        ),
    ],
)
def test_unknown_status_words_stay_pending_and_are_logged(
    report: Any, provider: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Decision UNKNOWN: a word no table knows is PENDING, typed unknown, logged; never a final,
    retryable platform-fault soft bounce (issue 16)."""
    with caplog.at_level(logging.WARNING, logger="sms_campaign_stats.bounces"):
        found = classify(report())
    assert (Outcome.PENDING, True, False, False) == (
        found.outcome,
        found.unknown,
        found.retryable,
        found.platform_fault,
    )
    assert UNKNOWN_ROW is found.row
    assert any(
        provider in r.getMessage() and "kept pending" in r.getMessage() for r in caplog.records
    )


def test_an_unlisted_code_of_a_known_vocabulary_is_still_a_failure() -> None:
    """A ``submit_sm_resp`` command status nobody lists is a refused submission: a soft bounce
    of unknown cause, not pending."""
    found = classify(parse_smpp_submit_error(0x400))
    assert (Outcome.SOFT_BOUNCE, False) == (found.outcome, found.unknown)
    assert not classify(parse_twilio_callback({"MessageSid": "S", "MessageStatus": "sent"})).unknown


def test_an_unknown_word_leaves_the_message_processing() -> None:
    """End to end: the engine keeps a message pending on an unknown word, and the pending
    timeout, not the word, ends it."""
    store = InMemoryStorage()
    add_campaign(store, "c", at=NOW, lists=("l",), sender="Shop", content="Hi")
    engine = CampaignEngine(store, default_region="FR")
    at = datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc)  # a Tuesday, 10:00 in Paris
    send = next(
        a
        for a in engine.plan("c", {"l": ["06 12 34 56 78"]}, at).actions
        if isinstance(a, SendMessage)
    )
    engine.submitted(send.message_id, "SM1", send.at)
    engine.handle(parse_twilio_callback({"MessageSid": "SM1", "MessageStatus": "bogus"}), send.at)
    assert MessageStatus.PROCESSING == store.get_message(send.message_id).status


@pytest.mark.parametrize(
    ("code", "outcome", "source"),
    [
        ("21612", Outcome.REJECTED_CONFIG, "W-TW-TESTCRED"),  # To/From combination: set-up
        ("30003", Outcome.SOFT_BOUNCE, "W-TW-ERR"),
    ],
)
def test_twilio_21612_is_sender_set_up(code: str, outcome: Outcome, source: str) -> None:
    """Decision TWILIO-21612: "Message cannot be sent with the current combination of 'To'
    and/or 'From' parameters" (Twilio's test credentials, +15005550002) is the sender's set-up,
    not the recipient."""
    found = classify(
        parse_twilio_callback({"MessageSid": "S", "MessageStatus": "failed", "ErrorCode": code})
    )
    assert (outcome, source) == (found.outcome, found.row.source)
    assert not found.platform_fault


def test_twilio_canceled_is_not_an_avoidable_bounce() -> None:
    """Decision TWILIO-CANCELED (Twilio error 30409's page: a scheduled message the account
    cancels): not a bounce, not avoidable by the sender, not a platform fault, not retried."""
    found = classify(parse_twilio_callback({"MessageSid": "S", "MessageStatus": "canceled"}))
    assert (Outcome.REJECTED_CONFIG, None, False, False, False) == (
        found.outcome,
        found.reason,
        found.avoidable_by_sender,
        found.platform_fault,
        found.retryable,
    )
    assert "W-TW-30409" == found.row.source


@pytest.mark.parametrize(
    "fields",
    [
        {"reason": "Sent to a landline number"},
        {"description": "Sent to a landline number", "bounce_type": "soft"},
        {"description": "Sent to a landline number", "tag": ["spring", "vip"]},
        {"reason": "Sent to a landline number", "tag": "spring"},
    ],
)
def test_brevo_bounce_reason_fields(fields: dict[str, Any]) -> None:
    """Decision BREVO-FIELDS ([W-BR-WH] webhooks write ``description``, ``bounce_type`` and
    ``tag`` as a list; [C-BREVO] the event report writes ``reason``): the reason is read from
    either, the rest kept."""
    found = parse_brevo_event({"messageId": "1", "msg_status": "soft_bounce", **fields})
    assert BounceReason.LANDLINE_NUMBER == classify(found).reason
    if "tag" in fields:
        tags = fields["tag"]
        assert (", ".join(tags) if isinstance(tags, list) else tags) == found.details["tag"]
    if "bounce_type" in fields:
        assert "soft" == found.details["bounce_type"]
    with pytest.raises(MalformedReportError, match="tags"):
        parse_brevo_event({"messageId": "1", "event": "sent", "tag": ["a", 1]})
