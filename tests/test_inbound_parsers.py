"""Inbound messages (replies, STOPs): each provider's webhook read into an ``InboundMessage``,
concatenated parts joined, typed errors for anything else, and any input is an
``InboundMessage`` or a ``MalformedInboundError`` (issue 16, "Inbound messages")."""

from __future__ import annotations

import importlib
import json
import pickle
from collections.abc import Callable
from datetime import datetime, timezone
from itertools import permutations
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_campaign_stats import providers
from sms_campaign_stats.errors import MalformedInboundError, MalformedReportError
from sms_campaign_stats.providers import (
    KANNEL_INBOUND_FIELDS,
    MAX_INBOUND_TEXT_LENGTH,
    MAX_PART_LENGTH,
    PROVIDERS,
    InboundMessage,
    InboundPart,
    join_parts,
    parse_brevo_inbound,
    parse_infobip_inbound,
    parse_kannel_inbound,
    parse_twilio_inbound,
    parse_vonage_inbound,
)

DATA = Path(__file__).parent / "data" / "webhooks"
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc)
Parser = Callable[..., InboundMessage]


def recorded(name: str) -> Any:
    """A recorded payload under tests/data/webhooks/ (JSON, or a form body as text)."""
    path = DATA / name
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else text.strip()


# Real-shaped payloads, each as its provider's documentation shows it.


def test_twilio_incoming_message() -> None:
    """Twilio's incoming-message webhook (https://www.twilio.com/docs/messaging/guides/
    webhook-request): a form body; no time in it, so the service's own is used."""
    found = parse_twilio_inbound(recorded("twilio_inbound.form"), received_at=NOW)
    assert ("+14155550100", "Stop", "+14155550199", "twilio") == (
        found.sender,
        found.text,
        found.to,
        found.provider,
    )
    assert "SM1f0e8ae6ade43cb3c0ce4525424e404f" == found.provider_message_id
    assert NOW == found.received_at
    assert "1" == found.details["NumSegments"]
    assert found.complete


def test_vonage_inbound_message() -> None:
    """Vonage's inbound SMS (https://developer.vonage.com/messaging/sms/guides/inbound-sms):
    ``msisdn`` gets its ``+``; ``message-timestamp`` is UTC."""
    found = parse_vonage_inbound(recorded("vonage_inbound.json"))
    assert ("+447700900001", "Hello!", "447700900000", "0A0000000123ABCD1") == (
        found.sender,
        found.text,
        found.to,
        found.provider_message_id,
    )
    assert datetime(2020, 1, 1, 14, 0, tzinfo=timezone.utc) == found.received_at
    assert "HELLO!" == found.details["keyword"]


def test_infobip_inbound_message() -> None:
    """Infobip's MO_JSON_2 webhook (https://www.infobip.com/docs/api/channels/sms/inbound-sms/
    receive-inbound-sms-messages): one message per element of ``results``."""
    body = recorded("infobip_inbound.json")
    found = [parse_infobip_inbound(result) for result in body["results"]]
    assert 1 == len(found)
    assert ("+385916242493", "QUIZ Correct answer is Paris", "385921004026") == (
        found[0].sender,
        found[0].text,
        found[0].to,
    )
    assert datetime(2019, 11, 9, 16, 0, tzinfo=timezone.utc) == found[0].received_at
    assert "Correct answer is Paris" == found[0].details["cleanText"]


def test_kannel_inbound_message() -> None:
    """A Kannel sms-service ``get-url`` with the escape codes of KANNEL_INBOUND_FIELDS (user
    guide: %p sender, %P receiver, %a text, %I SMS id, %T Unix time)."""
    found = parse_kannel_inbound(recorded("kannel_inbound.query"))
    assert ("+33612345678", "STOP", "36111", "a1b2c3") == (
        found.sender,
        found.text,
        found.to,
        found.provider_message_id,
    )
    assert datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc) == found.received_at
    national = parse_kannel_inbound(
        {"sender": "06 12 34 56 78", "body": "oui"},
        fields={"sender": "sender", "text": "body"},
        default_region="FR",
    )
    assert ("+33612345678", "oui", None) == (
        national.sender,
        national.text,
        national.provider_message_id,
    )
    assert {"sender", "to", "text", "id", "time"} == set(KANNEL_INBOUND_FIELDS)


def test_brevo_reply() -> None:
    """Brevo's "Replied" transactional SMS event (https://developers.brevo.com/docs/
    transactional-webhooks): ``reply`` is the text; the id is the SMS replied to and the
    reply's time, stable across retries."""
    found = parse_brevo_inbound(recorded("brevo_replied.json"))
    assert ("+33612345678", "STOP", "brevo") == (found.sender, found.text, found.provider)
    assert "1511882900176220:reply:1772528400" == found.provider_message_id
    assert "1511882900176220" == found.details["in_reply_to"]
    assert datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc) == found.received_at
    with pytest.raises(MalformedInboundError, match="not a reply"):
        parse_brevo_inbound({"messageId": 1, "event": "delivered", "to": "33612345678"})


# Concatenated messages: Vonage delivers each part on its own.

PARTS = [recorded(f"vonage_inbound_part{n}.json") for n in (1, 2, 3)]


def test_vonage_parts_are_joined_in_any_order() -> None:
    """``concat-ref``, ``concat-total``, ``concat-part``: the parts of one message, joined in
    part order whatever order they came in, spaces at their edges kept."""
    parts = [parse_vonage_inbound(payload) for payload in PARTS]
    assert all(not part.complete for part in parts)
    assert [InboundPart("7A3", 3, n) for n in (1, 2, 3)] == [part.part for part in parts]
    expected = "".join(payload["text"] for payload in PARTS)
    for order in permutations(parts):
        whole = join_parts(order)
        assert whole is not None
        assert (expected, parts[0].provider_message_id, True) == (
            whole.text,
            whole.provider_message_id,
            whole.complete,
        )
        assert "3" == whole.details["parts"]
    assert join_parts(parts[:2]) is None
    assert join_parts([parts[2], parts[0]]) is None


def test_a_part_delivered_twice_is_harmless() -> None:
    """A webhook retried: the same part twice is counted once; different texts for one part
    number, or parts of different messages, are refused."""
    parts = [parse_vonage_inbound(payload) for payload in PARTS]
    whole = join_parts([parts[0], parts[1], parts[1], parts[2], parts[0]])
    assert whole is not None
    assert "".join(p["text"] for p in PARTS) == whole.text
    forged = parse_vonage_inbound({**PARTS[1], "text": "something else"})
    with pytest.raises(MalformedInboundError, match="twice with different texts"):
        join_parts([parts[0], parts[1], forged])
    other = parse_vonage_inbound({**PARTS[1], "concat-ref": "8B4"})
    with pytest.raises(MalformedInboundError, match="not of one message"):
        join_parts([parts[0], other])
    with pytest.raises(MalformedInboundError, match="not a part"):
        join_parts([parse_vonage_inbound(recorded("vonage_inbound.json"))])
    with pytest.raises(MalformedInboundError, match="no parts"):
        join_parts([])


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"concat-part": "4"}, "not a part"),
        ({"concat-part": "0"}, "not a part"),
        ({"concat-total": "256"}, "not a part"),
        ({"concat-total": "x"}, "not a count"),
        ({"concat-ref": ""}, "no usable concatenation reference"),
        ({"text": "x" * (MAX_PART_LENGTH + 1)}, "more than the 160"),
    ],
)
def test_malformed_parts_are_refused(changes: dict[str, str], problem: str) -> None:
    """A part's position must make sense (1 to its total, at most 255 parts: 3GPP TS 23.040
    9.2.3.24.1) and its text fit one SMS (160 characters)."""
    with pytest.raises(MalformedInboundError, match=problem):
        parse_vonage_inbound({**PARTS[0], **changes})


# Typed errors for what is not an inbound message, or too long to be one.


@pytest.mark.parametrize(
    ("parse", "payload", "problem"),
    [
        (parse_twilio_inbound, {"MessageSid": "SM1", "Body": "x"}, "no sender"),
        (parse_twilio_inbound, {"MessageSid": "SM1", "From": "Twilio", "Body": "x"}, "sender"),
        (parse_twilio_inbound, {"From": "+14155550100", "Body": "x"}, "no MessageSid"),
        (
            parse_twilio_inbound,
            {"MessageSid": "SM1", "From": "+14155550100", "MessageStatus": "delivered"},
            "status callback",
        ),
        (parse_twilio_inbound, "{not json", "invalid JSON"),
        (parse_twilio_inbound, [1, 2], "expected fields"),
        (parse_vonage_inbound, {"messageId": "1", "msisdn": "0123", "text": "x"}, "sender"),
        (
            parse_vonage_inbound,
            {"messageId": "1", "msisdn": "447700900001", "type": "binary", "data": "00"},
            "binary",
        ),
        (parse_vonage_inbound, {"messageId": "1", "msisdn": "447700900001", "text": 5}, "text"),
        (parse_infobip_inbound, {"from": "385916242493", "text": "x"}, "no messageId"),
        (parse_kannel_inbound, {"text": "x"}, "no sender"),
        (parse_kannel_inbound, {"from": "0612345678", "text": "x"}, "international"),
        (parse_brevo_inbound, {"messageId": 1, "event": "replied"}, "no sender"),
    ],
)
def test_malformed_payloads_raise_the_typed_error(
    parse: Parser, payload: Any, problem: str
) -> None:
    """What is not an inbound message raises ``MalformedInboundError`` saying why, with the
    payload; it is a ``MalformedReportError`` too."""
    with pytest.raises(MalformedInboundError, match=problem) as raised:
        parse(payload)
    assert isinstance(raised.value, MalformedReportError)
    assert payload == raised.value.raw or isinstance(payload, str)


@pytest.mark.parametrize(
    ("parse", "payload"),
    [
        (parse_twilio_inbound, {"MessageSid": "SM1", "From": "+14155550100"}),
        (parse_vonage_inbound, {"messageId": "1", "msisdn": "447700900001"}),
        (parse_infobip_inbound, {"messageId": "1", "from": "385916242493"}),
        (parse_kannel_inbound, {"from": "+33612345678"}),
        (parse_brevo_inbound, {"messageId": 1, "event": "replied", "to": "33612345678"}),
    ],
)
def test_texts_over_the_bound_are_refused(parse: Parser, payload: dict[str, Any]) -> None:
    """A text longer than the longest concatenated SMS (255 parts of 153 characters, 3GPP TS
    23.040) is refused; one at the bound is read."""
    key = {
        parse_twilio_inbound: "Body",
        parse_vonage_inbound: "text",
        parse_infobip_inbound: "text",
        parse_kannel_inbound: "text",
        parse_brevo_inbound: "reply",
    }[parse]
    assert MAX_INBOUND_TEXT_LENGTH == 255 * 153
    assert MAX_INBOUND_TEXT_LENGTH == len(
        parse({**payload, key: "a" * MAX_INBOUND_TEXT_LENGTH}).text
    )
    with pytest.raises(MalformedInboundError, match="more than the 39015"):
        parse({**payload, key: "a" * (MAX_INBOUND_TEXT_LENGTH + 1)})


def test_senders_are_e164_and_masked() -> None:
    """International digits get their ``+``, ``00`` becomes ``+``; the repr masks the number
    and leaves the text out."""
    for raw in ("+33612345678", "33612345678", "0033612345678", "+33 6 12 34 56 78"):
        found = parse_vonage_inbound({"messageId": "1", "msisdn": raw, "text": "secret"})
        assert "+33612345678" == found.sender
    shown = repr(found)
    assert "612345678" not in shown
    assert "secret" not in shown


def test_the_error_pickles_and_is_drawn_in_the_tree() -> None:
    """The new error crosses process boundaries and sits under MalformedReportError."""
    from sms_campaign_stats import errors

    error = MalformedInboundError("no From", {"Body": "STOP +33612345678"})
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object, in a test
    assert (type(error), str(error), vars(error)) == (type(copy), str(copy), vars(copy))
    assert "malformed inbound message: no From" == str(error)
    assert "MalformedInboundError" in (errors.__doc__ or "")


@pytest.mark.parametrize("provider", [p for p in PROVIDERS if p.inbound_parsers], ids=str)
def test_inbound_parsers_are_registered_and_public(provider: providers.Provider) -> None:
    """Each provider registers its inbound parsers; each is a public name of its module and of
    the package."""
    module = importlib.import_module(f"sms_campaign_stats.providers.{provider.name}")
    for name, parser in provider.inbound_parsers.items():
        assert parser is getattr(module, name)
        assert name in module.__all__
        assert parser is getattr(providers, name)
        assert name in providers.__all__
    assert {"twilio", "vonage", "infobip", "kannel", "brevo"} == {
        p.name for p in PROVIDERS if p.inbound_parsers
    }


# Any input: an InboundMessage or the typed error, nothing else.

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary()
json_like = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = [
    "MessageSid",
    "From",
    "To",
    "Body",
    "SmsStatus",
    "messageId",
    "msisdn",
    "to",
    "text",
    "type",
    "concat",
    "concat-ref",
    "concat-total",
    "concat-part",
    "message-timestamp",
    "timestamp",
    "from",
    "receivedAt",
    "keyword",
    "id",
    "ts",
    "event",
    "msg_status",
    "reply",
    "phoneNumber",
    "ts_event",
    "date",
]
phone_like = st.from_regex(r"(\+|00)?[0-9 ]{1,18}", fullmatch=True)
values = json_like | phone_like | st.sampled_from(["true", "1", "2", "binary", "replied"])
field_maps = st.dictionaries(st.sampled_from(KEYS), values, max_size=10)
payloads = json_like | field_maps | st.text() | st.binary()
PARSERS = [
    parse_twilio_inbound,
    parse_vonage_inbound,
    parse_infobip_inbound,
    parse_kannel_inbound,
    parse_brevo_inbound,
]


@pytest.mark.parametrize("parse", PARSERS, ids=lambda p: p.__name__)
@given(payload=payloads)
def test_never_crashes_except_with_the_typed_error(parse: Parser, payload: Any) -> None:
    """Whatever comes in: an ``InboundMessage`` whose sender is E.164 and whose text fits, or
    ``MalformedInboundError``; never a bare KeyError, ValueError, TypeError or UnicodeError."""
    try:
        found = parse(payload)
    except MalformedInboundError:
        return
    assert isinstance(found, InboundMessage)
    assert found.sender.startswith("+")
    assert len(found.text) <= MAX_INBOUND_TEXT_LENGTH


@given(st.lists(st.sampled_from(PARTS) | field_maps, max_size=6))
def test_joining_never_crashes_except_with_the_typed_error(payloads: list[Any]) -> None:
    """Any mix of parts and junk: a whole message, ``None``, or ``MalformedInboundError``."""
    try:
        parts = [parse_vonage_inbound(payload) for payload in payloads]
        found = join_parts(parts)
    except MalformedInboundError:
        return
    assert found is None or (found.complete and found.sender.startswith("+"))
