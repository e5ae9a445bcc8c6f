"""Webhook signatures (issue 16, "Only authentic webhooks"): Twilio's X-Twilio-Signature and
Vonage's signed requests, checked against the providers' published examples, their own SDKs'
test vectors, and our own independent computations; junk is False, never an exception."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_campaign_stats import ValidationError
from sms_campaign_stats.providers import (
    twilio_signature,
    verify_twilio_signature,
    verify_vonage_signature,
    vonage_signature,
)

# Twilio ---------------------------------------------------------------------------------------

URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
#: Twilio's documentation example (https://www.twilio.com/docs/usage/webhooks/webhooks-security):
#: auth token 12345, this URL and these parameters give 0/KCTR6DLpKmkAf8muzZqo1nDgQ=.
DOCS_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
DOCS_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
#: twilio/twilio-python @ 306691e7, tests/unit/test_request_validator.py.
SDK_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
SDK_BODY = '{"property": "value", "boolean": true}'
SDK_BODY_HASH = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"


def by_hand(url: str, params: dict[str, str], token: str) -> str:
    """Our own computation, written from Twilio's description: the URL, then each name and
    value in name order, HMAC-SHA1 with the auth token, base64."""
    text = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), text.encode(), hashlib.sha1).digest()).decode()


def test_twilios_documented_example() -> None:
    """Twilio's published example verifies, and our independent computation agrees."""
    assert DOCS_SIGNATURE == twilio_signature(URL, DOCS_PARAMS, "12345")
    assert DOCS_SIGNATURE == by_hand(URL, DOCS_PARAMS, "12345")
    assert verify_twilio_signature(URL, DOCS_PARAMS, DOCS_SIGNATURE, "12345")


@pytest.mark.parametrize(
    ("url", "params", "signature"),
    [
        (URL, SDK_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        (URL.replace(".com", ".com:1234"), SDK_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        (URL, SDK_PARAMS, "kvajT1Ptam85bY51eRf/AJRuM3w="),  # signed with :443
        (URL.replace("https", "http"), SDK_PARAMS, "0ZXoZLH/DfblKGATFgpif+LLRf4="),  # :80
        (
            URL.replace(".com", ".com:1234").replace("https", "http"),
            SDK_PARAMS,
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=",
        ),
        (URL + "&bodySHA256=" + SDK_BODY_HASH, SDK_BODY, "a9nBmqA0ju/hNViExpshrM61xv4="),
        (
            URL,
            [
                ("Sid", "CA123"),
                ("SidAccount", "AC123"),
                ("Digits", "5678"),
                ("Digits", "1234"),
                ("Digits", "1234"),
            ],
            "IK+Dwps556ElfBT0I3Rgjkr1wJU=",
        ),
        (
            URL,
            {"Sid": "CA123", "SidAccount": "AC123", "Digits": ["5678", "1234", "1234"]},
            "IK+Dwps556ElfBT0I3Rgjkr1wJU=",
        ),
    ],
)
def test_twilio_sdk_vectors(url: str, params: Any, signature: str) -> None:
    """The vectors of Twilio's own Python SDK: with and without the port, the bodySHA256
    variant for JSON bodies, a parameter with several values (sorted, duplicates once)."""
    assert verify_twilio_signature(url, params, signature, "12345")
    assert not verify_twilio_signature(url, params, signature, "54321")


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (URL, {**DOCS_PARAMS, "Digits": "9999"}),  # a changed value
        (URL, {**DOCS_PARAMS, "Body": "STOP"}),  # an added parameter
        (URL.replace("foo=1", "foo=2"), DOCS_PARAMS),  # another URL
        ("https://evil.example/myapp.php?foo=1&bar=2", DOCS_PARAMS),
        (URL + "&bodySHA256=" + SDK_BODY_HASH, SDK_BODY + " "),  # a changed JSON body
        (URL, SDK_BODY),  # a body without its hash in the URL
    ],
)
def test_a_forged_request_is_refused(url: str, params: Any) -> None:
    """A forged or altered request does not carry Twilio's signature."""
    assert not verify_twilio_signature(url, params, DOCS_SIGNATURE, "12345")


JUNK = [None, "", " ", "not base64!", "0/KCTR6DLpKmkAf8muzZqo1nDgQ", "é" * 28, 42, b"", ["x"]]


@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_twilio_junk_signatures_are_false(junk: Any) -> None:
    """A missing, empty, truncated, non-ASCII or non-text signature is False."""
    assert verify_twilio_signature(URL, DOCS_PARAMS, junk, "12345") is False


@given(
    signature=st.none() | st.text() | st.binary() | st.integers(),
    url=st.text(max_size=60),
    params=st.dictionaries(st.text(max_size=8), st.text(max_size=8) | st.integers(), max_size=4)
    | st.text(max_size=40)
    | st.binary(max_size=40),
)
def test_twilio_never_raises(signature: Any, url: str, params: Any) -> None:
    """Whatever the request, the answer is a bool."""
    assert verify_twilio_signature(url, params, signature, "12345") in (True, False)


def test_twilio_needs_a_token() -> None:
    """An empty auth token is a configuration mistake, said loudly."""
    for token in ("", None, 12345):
        with pytest.raises(ValidationError, match="auth_token"):
            verify_twilio_signature(URL, DOCS_PARAMS, DOCS_SIGNATURE, token)  # type: ignore[arg-type]


# Vonage ---------------------------------------------------------------------------------------

#: Vonage/vonage-python-sdk @ 2b8d988, tests/test_signature.py: secret "secret", these
#: parameters, one signature per method ("md5hash" is the SDK's default, a plain MD5).
VONAGE_PARAMS = {"a": "1", "b": "2", "timestamp": "1461605396"}
VONAGE_VECTORS = {
    "md5hash": "6af838ef94998832dbfc29020b564830",
    "md5": "c15c21ced558c93a226c305f58f902f2",
    "sha1": "3e19a4e6880fdc2c1426bfd0587c98b9532f0210",
    "sha256": "a321e824b9b816be7c3f28859a31749a098713d39f613c80d455bbaffae1cd24",
    "sha512": "812a18f76680fa0fe1b8bd9ee1625466ceb1bd96242e4d050d2cfd9a7b40166c63ed26ec9702168781b6"
    "edcf1633db8ff95af9341701004eec3fcf9550572ee8",
}
SIGNED_AT = datetime.fromtimestamp(1461605396, tz=timezone.utc)


def vonage_by_hand(params: dict[str, str], secret: str, algorithm: str) -> str:
    """Our own computation from Vonage's description: ``&key=value`` in key order (``&`` and
    ``=`` in values made ``_``), then MD5 with the secret appended, or an HMAC."""
    text = "".join(
        f"&{key}={params[key].replace('&', '_').replace('=', '_')}" for key in sorted(params)
    )
    if algorithm == "md5hash":
        return hashlib.md5((text + secret).encode()).hexdigest()  # noqa: S324
    return hmac.new(secret.encode(), text.encode(), algorithm).hexdigest()


@pytest.mark.parametrize(("algorithm", "signature"), list(VONAGE_VECTORS.items()))
def test_vonage_sdk_vectors(algorithm: str, signature: str) -> None:
    """Each method of Vonage's dashboard, as its SDK's tests give it; our independent
    computation agrees; the SDK lower-cases the received ``sig``, so upper case passes."""
    assert signature == vonage_signature(VONAGE_PARAMS, "secret", algorithm)
    assert signature == vonage_by_hand(VONAGE_PARAMS, "secret", algorithm)
    signed = {**VONAGE_PARAMS, "sig": signature}
    assert verify_vonage_signature(signed, "secret", algorithm=algorithm)
    assert verify_vonage_signature(
        {**signed, "sig": signature.upper()}, "secret", algorithm=algorithm
    )
    assert not verify_vonage_signature(signed, "wrong", algorithm=algorithm)
    assert not verify_vonage_signature({**signed, "b": "3"}, "secret", algorithm=algorithm)


def test_vonage_current_sdk_vectors() -> None:
    """Vonage/vonage-python-sdk @ b308cb1e, http_client/tests/test_auth.py: integer
    timestamps, and ``&`` and ``=`` in values made ``_``."""
    params: dict[str, Any] = {"param1": "value1", "param2": "value2", "timestamp": 1234567890}
    assert "724c2bf6ca423c36e20631b11d1c5753" == vonage_signature(params, "signature_secret", "md5")
    assert "280c4320703dbc98bfa22db676655ed2acfbfe8792b062ff7622e67f1183c287" == vonage_signature(
        params, "signature_secret", "sha256"
    )
    special: dict[str, Any] = {"param1": "value&1", "param2": "value=2", "timestamp": 1234567890}
    assert "2bbf0abafb2c55e5af6231513896a2ac" == vonage_signature(
        special, "signature_secret", "md5"
    )
    assert verify_vonage_signature(
        {"param": "value", "timestamp": 1234567890, "sig": "655a4d0b7f064dff438defc52b012cf5"},
        "signature_secret",
        algorithm="md5",
    )


def test_vonage_requests_as_sent() -> None:
    """A query string (empty values kept: they are signed too) and a JSON body verify alike."""
    inbound = {
        "msisdn": "447700900001",
        "to": "447700900000",
        "messageId": "0A0000000123ABCD1",
        "text": "Hello & welcome=yes",
        "type": "text",
        "keyword": "",
        "message-timestamp": "2020-01-01 14:00:00",
        "timestamp": "1577887200",
        "nonce": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
    }
    sig = vonage_by_hand(inbound, "s3cret", "sha256")
    query = urlencode({**inbound, "sig": sig})
    assert verify_vonage_signature(query, "s3cret", algorithm="sha256")
    assert verify_vonage_signature(query.encode(), "s3cret", algorithm="sha256")
    assert verify_vonage_signature(
        json.dumps({**inbound, "sig": sig}), "s3cret", algorithm="sha256"
    )
    assert not verify_vonage_signature(
        query.replace("Hello", "Howdy"), "s3cret", algorithm="sha256"
    )


@pytest.mark.parametrize(
    ("now", "max_age", "accepted"),
    [
        (SIGNED_AT, timedelta(minutes=5), True),
        (SIGNED_AT + timedelta(minutes=5), timedelta(minutes=5), True),
        (SIGNED_AT + timedelta(minutes=5, seconds=1), timedelta(minutes=5), False),
        (SIGNED_AT - timedelta(minutes=6), timedelta(minutes=5), False),  # from the future
        (SIGNED_AT + timedelta(hours=1), timedelta(hours=2), True),
        (None, timedelta(minutes=5), True),  # no clock given: no freshness check
    ],
)
def test_vonage_stale_requests_are_refused(
    now: datetime | None, max_age: timedelta, accepted: bool
) -> None:
    """With ``now``, a ``timestamp`` more than ``max_age`` away is refused: a replayed request
    is not authentic however good its signature."""
    signed = {**VONAGE_PARAMS, "sig": VONAGE_VECTORS["md5hash"]}
    assert accepted == verify_vonage_signature(signed, "secret", now=now, max_age=max_age)


def test_vonage_freshness_needs_a_timestamp() -> None:
    """With ``now``, a request without a usable ``timestamp`` is refused."""
    params = {"a": "1", "b": "2"}
    signed = {**params, "sig": vonage_by_hand(params, "secret", "md5hash")}
    assert verify_vonage_signature(signed, "secret")
    assert not verify_vonage_signature(signed, "secret", now=SIGNED_AT)
    bad = {**signed, "timestamp": "soon"}
    bad["sig"] = vonage_by_hand({k: v for k, v in bad.items() if k != "sig"}, "secret", "md5hash")
    assert not verify_vonage_signature(bad, "secret", now=SIGNED_AT)


@pytest.mark.parametrize("junk", [*JUNK, "6AF838EF94998832DBFC29020B56483"], ids=repr)
def test_vonage_junk_signatures_are_false(junk: Any) -> None:
    """A missing, empty, truncated, non-ASCII or non-text ``sig`` is False."""
    params: dict[str, Any] = dict(VONAGE_PARAMS)
    if junk is not None:
        params["sig"] = junk
    assert verify_vonage_signature(params, "secret") is False


@given(
    params=st.dictionaries(
        st.sampled_from(["sig", "timestamp", "a", "msisdn", "text"]) | st.text(max_size=6),
        st.text(max_size=12) | st.integers() | st.none() | st.lists(st.text(max_size=3)),
        max_size=6,
    )
    | st.text(max_size=60)
    | st.binary(max_size=60),
    algorithm=st.sampled_from(sorted(VONAGE_VECTORS)),
)
def test_vonage_never_raises(params: Any, algorithm: str) -> None:
    """Whatever the request, the answer is a bool."""
    assert verify_vonage_signature(params, "secret", algorithm=algorithm, now=SIGNED_AT) in (
        True,
        False,
    )


def test_vonage_configuration_mistakes_are_said() -> None:
    """An empty secret, an unknown method or a negative age are configuration mistakes."""
    signed = {**VONAGE_PARAMS, "sig": VONAGE_VECTORS["md5hash"]}
    with pytest.raises(ValidationError, match="signature_secret"):
        verify_vonage_signature(signed, "")
    with pytest.raises(ValidationError, match="md5hash"):
        verify_vonage_signature(signed, "secret", algorithm="sha3")
    with pytest.raises(ValidationError, match="max_age"):
        verify_vonage_signature(signed, "secret", max_age=timedelta(seconds=-1))


@pytest.mark.parametrize(
    "name", ["_inbound", "twilio", "vonage", "infobip", "kannel", "brevo", "smpp", "gsm"]
)
def test_the_provider_modules_examples_run(name: str) -> None:
    """The ``>>>`` examples of the provider modules (signatures, inbound parsers) run as
    written (the package-level docstring test reaches only top-level modules)."""
    import doctest
    import importlib

    module = importlib.import_module(f"sms_campaign_stats.providers.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert 0 == result.failed
