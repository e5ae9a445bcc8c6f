"""Every parser, any input: a DeliveryReport or MalformedReportError, nothing else, quickly."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sms_campaign_stats import (
    DeliveryReport,
    classify,
    parse_brevo_event,
    parse_infobip_result,
    parse_kannel_dlr,
    parse_smpp_receipt,
    parse_twilio_callback,
    parse_vonage_receipt,
)
from sms_campaign_stats.errors import MalformedReportError
from sms_campaign_stats.providers import parse_smpp_submit_error

TIME_BOUND_SECONDS = 0.25

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary()
json_like = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
KEYS = [
    "MessageSid",
    "MessageStatus",
    "ErrorCode",
    "SmsSid",
    "RawDlrDoneDate",
    "messageId",
    "status",
    "err-code",
    "scts",
    "event",
    "reason",
    "date",
    "message_id",
    "error",
    "doneAt",
    "sentAt",
    "smsCount",
    "name",
    "groupName",
    "id",
    "NumSegments",
    "msgId",
]
field_maps = st.dictionaries(st.sampled_from(KEYS), json_like, max_size=8)
infobip_like = st.fixed_dictionaries(
    {
        "messageId": json_like,
        "status": st.dictionaries(st.sampled_from(KEYS), json_like) | json_like,
    },
    optional={
        "error": st.dictionaries(st.sampled_from(KEYS), json_like) | json_like,
        "doneAt": json_like,
    },
)
payloads = json_like | field_maps | st.text() | st.binary()

SMPP_FIELDS = [
    "id:",
    "sub:",
    "dlvrd:",
    "submit date:",
    "done date:",
    "stat:",
    "err:",
    "text:",
    "Text:",
    "ID:",
    " ",
    "\x00",
    "DELIVRD",
    "UNDELIV",
    "000",
    "1305050826",
    "201506201641",
    "999999999999",
    "é",
    "\x84",
]
receipts = st.lists(st.sampled_from(SMPP_FIELDS) | st.text(max_size=8), max_size=20).map("".join)
tlvs = st.dictionaries(
    st.sampled_from(
        [
            "receipted_message_id",
            "message_state",
            "network_error_code",
            "esm_class",
            "message_payload",
            "other",
        ]
    ),
    json_like | st.integers(-1, 300) | st.binary(max_size=4),
    max_size=5,
)


def outcome(parse: Callable[[], DeliveryReport]) -> None:
    """Run a parser: it returns a classifiable report or raises MalformedReportError, in time."""
    start = time.perf_counter()
    problem = "parsed"
    try:
        found = parse()
    except MalformedReportError as error:
        problem = error.problem
    else:
        assert isinstance(found, DeliveryReport)
        classify(found)
    assert problem  # a refusal always says what was wrong
    assert time.perf_counter() - start < TIME_BOUND_SECONDS


@given(receipts | st.text() | st.binary(), st.none() | tlvs)
def test_smpp_receipt_any_input(text: Any, extra: Any) -> None:
    """SMPP receipt texts (structured and random) with or without TLVs."""
    outcome(lambda: parse_smpp_receipt(text, tlvs=extra))


@given(json_like | st.text(max_size=12))
def test_smpp_submit_error_any_input(value: Any) -> None:
    """Any command status."""
    outcome(lambda: parse_smpp_submit_error(value))


@given(payloads)
def test_twilio_any_input(value: Any) -> None:
    """Any form."""
    outcome(lambda: parse_twilio_callback(value))


@given(payloads)
def test_vonage_any_input(value: Any) -> None:
    """Any JSON body, query string or mapping."""
    outcome(lambda: parse_vonage_receipt(value))


@given(payloads)
def test_brevo_any_input(value: Any) -> None:
    """Any event record."""
    outcome(lambda: parse_brevo_event(value))


@given(json_like, st.none() | receipts | st.binary(), st.none() | st.text(max_size=20) | json_like)
def test_kannel_any_input(value: Any, reply: Any, message_id: Any) -> None:
    """Any %d, %A and message id."""
    outcome(lambda: parse_kannel_dlr(value, smsc_reply=reply, message_id=message_id))


@given(infobip_like | payloads)
def test_infobip_any_input(value: Any) -> None:
    """Any result object."""
    outcome(lambda: parse_infobip_result(value))
