"""The example webhook service (examples/webhook_service.py) against recorded, real-shaped
payloads (tests/data/webhooks/): it authenticates, parses, hands over to the engine and answers
as each provider expects (issue 16, "Only authentic webhooks")."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import pytest

from sms_campaign_stats import (
    Campaign,
    CampaignEngine,
    InMemoryStorage,
    MessageStatus,
    SendMessage,
)
from sms_campaign_stats.providers import twilio_signature, vonage_signature

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "webhooks"
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc)  # a Tuesday, 10:00 in Paris
PUBLIC = "https://hooks.example.org"
TOKEN = "twilio-auth-token"  # noqa: S105 - a test's own secret
VONAGE_SECRET = "vonage-signature-secret"  # noqa: S105
PATH_SECRET = "Zq8v-path-secret"  # noqa: S105
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}

# Which recorded receipt reports on which recipient, under which provider id.
RECIPIENTS = {
    "+33612345001": "SM5c8b0f3e1a2d4e6f8a0b1c2d3e4f5a6b",  # twilio_status.form
    "+33612345002": "0B00000127FDBC63",  # vonage_receipt.json
    "+33612345003": "2033247207850523792",  # infobip_reports.json
    "+33612345004": "kannel-0004",  # kannel_dlr.query
    "+33612345005": "1511882900176221",  # brevo_delivered.json
    "+33612345678": "kannel-0678",  # sends STOP through Kannel
    "+447400123456": "0A0000000123XYZ",  # replies in three parts through Vonage
}


def load_example() -> ModuleType:
    """examples/webhook_service.py, imported by path."""
    spec = importlib.util.spec_from_file_location(
        "webhook_service", ROOT / "examples" / "webhook_service.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["webhook_service"] = module
    spec.loader.exec_module(module)
    return module


example = load_example()


def recorded(name: str) -> str:
    """A recorded payload, as text."""
    return (DATA / name).read_text(encoding="utf-8").strip()


class World:
    """A campaign sent to ``RECIPIENTS``, its engine and store, and the service in front."""

    def __init__(self, **settings: Any) -> None:
        self.store = InMemoryStorage()
        campaign, created = Campaign.create(
            id="spring",
            name="Spring",
            sender="Shop",
            content="-20% today! STOP 36111",
            list_ids=["vip"],
            at=NOW - timedelta(hours=1),
            unit_price=Decimal("0.05"),
        )
        self.store.add_campaign(campaign, events=[created])
        self.engine = CampaignEngine(self.store, default_region="FR")
        planned = self.engine.plan("spring", {"vip": list(RECIPIENTS)}, NOW)
        self.messages: dict[str, str] = {}
        for action in planned.actions:
            assert isinstance(action, SendMessage)
            self.engine.submitted(action.message_id, RECIPIENTS[action.recipient], action.at)
            self.messages[action.recipient] = action.message_id
        assert set(RECIPIENTS) == set(self.messages)
        self.clock = NOW + timedelta(minutes=1)
        self.settings = example.Settings(
            public_url=PUBLIC,
            twilio_auth_token=TOKEN,
            vonage_signature_secret=VONAGE_SECRET,
            vonage_algorithm="sha256",
            path_secret=PATH_SECRET,
            **settings,
        )
        self.service = example.WebhookService(self.engine, self.settings, clock=lambda: self.clock)

    def status(self, recipient: str) -> MessageStatus:
        return self.store.get_message(self.messages[recipient]).status

    def post(
        self, target: str, body: str, headers: dict[str, str], client: str = "127.0.0.1"
    ) -> Any:
        return self.service.handle("POST", target, headers, body.encode(), client)

    def get(
        self, target: str, headers: dict[str, str] | None = None, client: str = "127.0.0.1"
    ) -> Any:
        return self.service.handle("GET", target, headers or {}, b"", client)

    def twilio(self, path: str, form: str, signature: str | None = None) -> Any:
        params = dict(pair.split("=", 1) for pair in form.split("&"))
        from urllib.parse import unquote_plus

        decoded = {k: unquote_plus(v) for k, v in params.items()}
        sig = signature or twilio_signature(PUBLIC + path, decoded, TOKEN)
        return self.post(path, form, {**FORM, "X-Twilio-Signature": sig})

    def vonage_signed(self, payload: dict[str, Any], at: datetime) -> dict[str, Any]:
        """``payload`` as Vonage sends it at ``at``: its times, a nonce, and its signature."""
        stamped = {**payload, "timestamp": str(int(at.timestamp())), "nonce": "6c1c4e2b"}
        if "message-timestamp" in stamped:
            stamped["message-timestamp"] = at.strftime("%Y-%m-%d %H:%M:%S")
        return {**stamped, "sig": vonage_signature(stamped, VONAGE_SECRET, "sha256")}


@pytest.fixture
def world() -> World:
    return World()


def test_twilio_status_callback_and_reply(world: World) -> None:
    """A signed status callback is applied (204); an inbound STOP is an opt-out, answered with
    an empty TwiML document so that Twilio sends nothing back."""
    answer = world.twilio("/twilio/status", recorded("twilio_status.form"))
    assert 204 == answer.status
    assert MessageStatus.DELIVERED == world.status("+33612345001")
    reply = world.twilio("/twilio/inbound", recorded("twilio_inbound.form"))
    assert (200, example.EMPTY_TWIML) == (reply.status, reply.body)
    assert reply.content_type.startswith("text/xml")
    assert "+14155550100" in world.store.blocked(["+14155550100"])


def test_a_forged_twilio_request_is_refused_unread(world: World) -> None:
    """Without Twilio's signature: 403, nothing applied; a forged STOP blocks nobody."""
    assert 403 == world.twilio("/twilio/status", recorded("twilio_status.form"), "AAAA").status
    assert MessageStatus.PROCESSING == world.status("+33612345001")
    forged = recorded("twilio_inbound.form").replace("%2B14155550100", "%2B33612345001")
    answer = world.post("/twilio/inbound", forged, {**FORM, "X-Twilio-Signature": "x"})
    assert 403 == answer.status
    assert not world.store.blocked(["+33612345001"])


def test_vonage_signed_receipt(world: World) -> None:
    """A signed receipt (query string, as Vonage's GET) is applied with 204; unsigned, badly
    signed or stale (replayed) ones are 403."""
    signed = world.vonage_signed(json.loads(recorded("vonage_receipt.json")), world.clock)
    assert 403 == world.get("/vonage/receipt?" + urlencode({**signed, "sig": "0" * 64})).status
    stale = world.vonage_signed(
        json.loads(recorded("vonage_receipt.json")), NOW - timedelta(hours=1)
    )
    assert 403 == world.get("/vonage/receipt?" + urlencode(stale)).status
    unsigned = json.loads(recorded("vonage_receipt.json"))
    assert 403 == world.get("/vonage/receipt?" + urlencode(unsigned)).status
    assert MessageStatus.PROCESSING == world.status("+33612345002")
    assert 204 == world.get("/vonage/receipt?" + urlencode(signed)).status
    assert MessageStatus.DELIVERED == world.status("+33612345002")


def test_vonage_reply_in_three_parts(world: World) -> None:
    """The parts of a long reply, posted as JSON out of order and one of them twice, become
    one reply once the last part is in."""
    parts = [json.loads(recorded(f"vonage_inbound_part{n}.json")) for n in (1, 2, 3)]
    for payload in (parts[2], parts[0], parts[2]):
        answer = world.post(
            "/vonage/inbound", json.dumps(world.vonage_signed(payload, world.clock)), JSON
        )
        assert 204 == answer.status
        assert [] == world.store.replies("spring")
    last = world.post(
        "/vonage/inbound", json.dumps(world.vonage_signed(parts[1], world.clock)), JSON
    )
    assert 204 == last.status
    replies = world.store.replies("spring")
    assert ["".join(p["text"] for p in parts)] == [reply.text for reply in replies]
    assert "+447400123456" == replies[0].recipient


def test_infobip_behind_a_secret_path_and_basic_auth() -> None:
    """Infobip signs nothing: the secret path segment, Basic credentials and the source address
    are checked, all of them, before anything is read."""
    world = World(basic_auth=("infobip", "pw"), allowed_sources=("10.1.0.0/16",))
    reports = recorded("infobip_reports.json")
    good = {**JSON, "Authorization": "Basic " + base64.b64encode(b"infobip:pw").decode()}
    assert 403 == world.post("/infobip/wrong-secret/reports", reports, good, "10.1.2.3").status
    assert 403 == world.post(f"/infobip/{PATH_SECRET}/reports", reports, JSON, "10.1.2.3").status
    assert 403 == world.post(f"/infobip/{PATH_SECRET}/reports", reports, good, "192.0.2.7").status
    assert MessageStatus.PROCESSING == world.status("+33612345003")
    assert 200 == world.post(f"/infobip/{PATH_SECRET}/reports", reports, good, "10.1.2.3").status
    assert MessageStatus.DELIVERED == world.status("+33612345003")
    inbound = world.post(
        f"/infobip/{PATH_SECRET}/inbound", recorded("infobip_inbound.json"), good, "10.1.2.3"
    )
    assert 200 == inbound.status


def test_kannel_receipt_and_stop(world: World) -> None:
    """Kannel's dlr-url and sms-service get-url, behind the secret path: the receipt is applied,
    the STOP unsubscribes the recipient from the campaign."""
    assert 200 == world.get(f"/kannel/{PATH_SECRET}/dlr?" + recorded("kannel_dlr.query")).status
    assert MessageStatus.DELIVERED == world.status("+33612345004")
    stop = world.get(f"/kannel/{PATH_SECRET}/inbound?" + recorded("kannel_inbound.query"))
    assert (200, b"") == (stop.status, stop.body)
    assert ["+33612345678"] == [u.recipient for u in world.store.unsubscribes("spring")]
    again = world.get(f"/kannel/{PATH_SECRET}/inbound?" + recorded("kannel_inbound.query"))
    assert 200 == again.status  # the same message twice: one opt-out
    assert 1 == len(world.store.unsubscribes("spring"))


def test_brevo_events_and_replies(world: World) -> None:
    """Brevo's event webhook: a delivery is applied; a "Replied" event is an inbound message."""
    path = f"/brevo/{PATH_SECRET}/events"
    assert 200 == world.post(path, recorded("brevo_delivered.json"), JSON).status
    assert MessageStatus.DELIVERED == world.status("+33612345005")
    assert 200 == world.post(path, recorded("brevo_replied.json"), JSON).status
    assert "+33612345678" in world.store.blocked(["+33612345678"])


def test_malformed_payloads_are_400_and_unknown_paths_404(world: World) -> None:
    """Authenticated but unreadable: 400. Anything else: 404."""
    bad = world.post(f"/brevo/{PATH_SECRET}/events", '{"event": "delivered"}', JSON)
    assert 400 == bad.status
    junk = world.post(f"/infobip/{PATH_SECRET}/reports", "not json", JSON)
    assert 400 == junk.status
    assert 404 == world.get("/nowhere").status
    assert 404 == world.get(f"/brevo/{PATH_SECRET}/events").status


@pytest.fixture
def server(world: World) -> Iterator[tuple[World, str]]:
    httpd = example.serve(world.service, "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield world, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_over_http(server: tuple[World, str]) -> None:
    """The same service over a real HTTP server on the loopback interface."""
    world, base = server
    form = recorded("twilio_status.form")
    from urllib.parse import parse_qsl

    signature = twilio_signature(PUBLIC + "/twilio/status", dict(parse_qsl(form)), TOKEN)
    request = urllib.request.Request(  # noqa: S310 - loopback
        base + "/twilio/status",
        data=form.encode(),
        headers={**FORM, "X-Twilio-Signature": signature},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        assert 204 == response.status
    assert MessageStatus.DELIVERED == world.status("+33612345001")
    forged = urllib.request.Request(  # noqa: S310 - loopback
        base + "/twilio/inbound",
        data=recorded("twilio_inbound.form").encode(),
        headers={**FORM, "X-Twilio-Signature": "forged"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=10)  # noqa: S310 - loopback
    assert 403 == refused.value.code
    refused.value.close()
