"""A webhook service, standard library only: authenticate, parse, hand over to the engine, answer.

Each provider posts to its own path. The service checks that the request is the provider's
(Twilio and Vonage sign their requests; Kannel, Infobip and Brevo sign nothing, so their paths
carry a secret segment, may ask for HTTP Basic credentials, and may be limited to the
provider's addresses), reads it with the library's parsers, hands delivery reports to
``engine.handle(report, now)`` and inbound messages (replies, STOPs) to
``engine.inbound(sender, text, at, inbound_id=...)``, and answers as each provider expects:

====================================  =================================================
path                                  answer
====================================  =================================================
``POST /twilio/status``               204
``POST /twilio/inbound``              200, an empty TwiML ``<Response/>`` (no reply SMS)
``GET|POST /vonage/receipt``          204 (Vonage resends anything else for 24 hours)
``GET|POST /vonage/inbound``          204; parts of a long message are kept until whole
``POST /infobip/<secret>/reports``    200
``POST /infobip/<secret>/inbound``    200
``GET /kannel/<secret>/dlr``          200, empty
``GET /kannel/<secret>/inbound``      200, empty (set ``omit-empty = true`` in Kannel)
``POST /brevo/<secret>/events``       200; a "Replied" event is an inbound message
====================================  =================================================

A request that fails authentication gets 403 and is never parsed; a payload the parsers refuse
gets 400. Run it: ``python examples/webhook_service.py``, with the secrets in the environment
(see ``main`` and ``docs/webhooks.md``).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import threading
from base64 import b64decode
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import attrs

from sms_campaign_stats import CampaignEngine, InMemoryStorage
from sms_campaign_stats.errors import MalformedReportError
from sms_campaign_stats.providers import (
    InboundMessage,
    join_parts,
    parse_brevo_event,
    parse_brevo_inbound,
    parse_infobip_inbound,
    parse_infobip_result,
    parse_kannel_dlr,
    parse_kannel_inbound,
    parse_twilio_callback,
    parse_twilio_inbound,
    parse_vonage_inbound,
    parse_vonage_receipt,
    verify_twilio_signature,
    verify_vonage_signature,
)

log = logging.getLogger("webhook_service")

EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The service's clock (the library never reads one: it is always given ``now``)."""
    return datetime.now(timezone.utc)


@attrs.frozen(kw_only=True)
class Settings:
    """What the service needs to know.

    ``public_url`` is the address the providers call (scheme and host, as configured at the
    provider: Twilio signs the URL it requested, not the one a proxy forwarded);
    ``twilio_auth_token`` and ``vonage_signature_secret`` (with ``vonage_algorithm``, as set in
    Vonage's dashboard) check the signed providers; ``path_secret`` is the secret path segment
    of the unsigned ones, ``basic_auth`` optional ``(user, password)`` credentials they must
    send too, ``allowed_sources`` the networks they may call from (empty: any).
    """

    public_url: str
    twilio_auth_token: str
    vonage_signature_secret: str
    vonage_algorithm: str = "sha256"
    vonage_max_age: timedelta = timedelta(minutes=5)
    path_secret: str
    basic_auth: tuple[str, str] | None = None
    allowed_sources: tuple[str, ...] = ()


@attrs.frozen
class Response:
    """An HTTP answer."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"


FORBIDDEN = Response(HTTPStatus.FORBIDDEN, b"forbidden")
NOT_FOUND = Response(HTTPStatus.NOT_FOUND, b"not found")
NO_CONTENT = Response(HTTPStatus.NO_CONTENT)
OK = Response(HTTPStatus.OK)


class PartsBuffer:
    """Parts of concatenated messages until each message is whole. In memory: a service with
    several processes keeps them in a shared store instead, keyed the same way."""

    def __init__(self) -> None:
        self._parts: dict[tuple[str, str, str | None, str], list[InboundMessage]] = {}
        self._lock = threading.Lock()

    def add(self, part: InboundMessage) -> InboundMessage | None:
        """The whole message once this part completes it, else ``None``."""
        assert part.part is not None
        key = (part.provider, part.sender, part.to, part.part.reference)
        with self._lock:
            parts = [*self._parts.get(key, []), part]
            whole = join_parts(parts)
            if whole is None:
                self._parts[key] = parts
            else:
                self._parts.pop(key, None)
            return whole


@attrs.define
class WebhookService:
    """The routes: authenticate, parse, hand over, answer (see the module's table)."""

    engine: CampaignEngine
    settings: Settings
    clock: Clock = utc_now
    parts: PartsBuffer = attrs.field(factory=PartsBuffer)

    def handle(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        client: str = "127.0.0.1",
    ) -> Response:
        """Answer one request: ``target`` is the path and query string as received."""
        url = urlsplit(target)
        parts = [part for part in url.path.split("/") if part]
        query = url.query
        form = self._form(method, headers, body, query)
        try:
            if parts == ["twilio", "status"] and method == "POST":
                return self._twilio(target, headers, body, form, inbound=False)
            if parts == ["twilio", "inbound"] and method == "POST":
                return self._twilio(target, headers, body, form, inbound=True)
            if parts in (["vonage", "receipt"], ["vonage", "inbound"]):
                return self._vonage(parts[1], form)
            if len(parts) == 3 and parts[0] in ("infobip", "kannel", "brevo"):
                if not self._unsigned_allowed(parts[1], headers, client):
                    return FORBIDDEN
                return self._unsigned(parts[0], parts[2], method, body, form)
        except MalformedReportError as error:  # MalformedInboundError included
            log.warning("refused a %s payload: %s", parts[0] if parts else "?", error.problem)
            return Response(HTTPStatus.BAD_REQUEST, b"malformed payload")
        return NOT_FOUND

    # The signed providers ----------------------------------------------------------------

    def _twilio(
        self,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        form: Mapping[str, Any],
        *,
        inbound: bool,
    ) -> Response:
        url = self.settings.public_url.rstrip("/") + target
        json_body = _header(headers, "Content-Type").startswith("application/json")
        params: Mapping[str, Any] | str = body.decode("utf-8", "replace") if json_body else form
        signature = _header(headers, "X-Twilio-Signature")
        if not verify_twilio_signature(url, params, signature, self.settings.twilio_auth_token):
            return FORBIDDEN
        now = self.clock()
        if inbound:
            self._inbound(parse_twilio_inbound(form, received_at=now), now)
            return Response(HTTPStatus.OK, EMPTY_TWIML, "text/xml; charset=utf-8")
        self.engine.handle(parse_twilio_callback(form, received_at=now), now)
        return NO_CONTENT

    def _vonage(self, kind: str, form: Mapping[str, Any]) -> Response:
        now = self.clock()
        if not verify_vonage_signature(
            form,
            self.settings.vonage_signature_secret,
            algorithm=self.settings.vonage_algorithm,
            now=now,
            max_age=self.settings.vonage_max_age,
        ):
            return FORBIDDEN
        if kind == "receipt":
            self.engine.handle(parse_vonage_receipt(form, received_at=now), now)
            return NO_CONTENT
        message = parse_vonage_inbound(form, received_at=now)
        whole = message if message.complete else self.parts.add(message)
        if whole is not None:
            self._inbound(whole, now)
        return NO_CONTENT

    # The providers that sign nothing ----------------------------------------------------

    def _unsigned_allowed(self, secret: str, headers: Mapping[str, str], client: str) -> bool:
        """The secret path segment, the Basic credentials if configured, the source address if
        an allowlist is configured: all must hold (compared in constant time)."""
        good = hmac.compare_digest(secret.encode(), self.settings.path_secret.encode())
        if self.settings.basic_auth is not None:
            good &= _basic_auth_matches(_header(headers, "Authorization"), self.settings.basic_auth)
        if self.settings.allowed_sources:
            good &= _allowed(client, self.settings.allowed_sources)
        return good

    def _unsigned(
        self, provider: str, kind: str, method: str, body: bytes, form: Mapping[str, Any]
    ) -> Response:
        now = self.clock()
        if provider == "infobip" and method == "POST" and kind in ("reports", "inbound"):
            results = _json(body).get("results")
            if not isinstance(results, list):
                raise MalformedReportError("Infobip webhook: no results list", body)
            for result in results:
                if kind == "reports":
                    self.engine.handle(parse_infobip_result(result, received_at=now), now)
                else:
                    self._inbound(parse_infobip_inbound(result, received_at=now), now)
            return OK
        if provider == "kannel" and method == "GET" and kind == "dlr":
            report = parse_kannel_dlr(
                form.get("status", ""),
                smsc_reply=form.get("reply"),
                message_id=form.get("id"),
                received_at=now,
            )
            self.engine.handle(report, now)
            return OK
        if provider == "kannel" and method == "GET" and kind == "inbound":
            self._inbound(parse_kannel_inbound(form, received_at=now), now)
            return OK
        if provider == "brevo" and method == "POST" and kind == "events":
            event = _json(body)
            name = str(event.get("event") or event.get("msg_status") or "")
            if name.lower() in ("replied", "reply", "replies"):
                self._inbound(parse_brevo_inbound(event, received_at=now), now)
            else:
                self.engine.handle(parse_brevo_event(event, received_at=now), now)
            return OK
        return NOT_FOUND

    # Shared ------------------------------------------------------------------------------

    def _inbound(self, message: InboundMessage, now: datetime) -> None:
        """An inbound message to the engine: its provider id makes a resent webhook harmless."""
        inbound_id = (
            f"{message.provider}:{message.provider_message_id}"
            if message.provider_message_id
            else None
        )
        self.engine.inbound(
            message.sender, message.text, message.received_at or now, inbound_id=inbound_id
        )

    @staticmethod
    def _form(method: str, headers: Mapping[str, str], body: bytes, query: str) -> dict[str, Any]:
        """The request's parameters: the query string, then a form body (blank values kept:
        providers sign them too), or a JSON object's fields (Vonage may post JSON)."""
        fields: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        content_type = _header(headers, "Content-Type")
        if method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
            fields.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        elif method == "POST" and content_type.startswith("application/json"):
            fields.update(_json_or_none(body) or {})
        return fields


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""


def _json_or_none(body: bytes) -> dict[str, Any] | None:
    try:
        found = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeError, RecursionError):
        return None
    return found if isinstance(found, dict) else None


def _json(body: bytes) -> dict[str, Any]:
    found = _json_or_none(body)
    if found is None:
        raise MalformedReportError("expected a JSON object", body[:200])
    return found


def _basic_auth_matches(header: str, expected: tuple[str, str]) -> bool:
    scheme, _, encoded = header.partition(" ")
    try:
        given = b64decode(encoded.strip(), validate=True)
    except ValueError:
        return False
    wanted = f"{expected[0]}:{expected[1]}".encode()
    return scheme.lower() == "basic" and hmac.compare_digest(given, wanted)


def _allowed(client: str, networks: Iterable[str]) -> bool:
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network) for network in networks)


def serve(
    service: WebhookService, host: str = "127.0.0.1", port: int = 8080
) -> ThreadingHTTPServer:
    """An HTTP server for ``service`` (call ``serve_forever()`` on it, or run it in a thread)."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 256 * 1024))
            answer = service.handle(
                self.command, self.path, dict(self.headers.items()), body, self.client_address[0]
            )
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = _answer  # noqa: N815 - the names http.server calls
        do_POST = _answer  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            log.info("%s " + format, self.address_string(), *args)

    return ThreadingHTTPServer((host, port), Handler)


def main() -> None:
    """Serve on localhost:8080 with an in-memory store; the secrets come from the environment
    (``PUBLIC_URL``, ``TWILIO_AUTH_TOKEN``, ``VONAGE_SIGNATURE_SECRET``,
    ``WEBHOOK_PATH_SECRET``)."""
    logging.basicConfig(level=logging.INFO)
    engine = CampaignEngine(InMemoryStorage(), default_region="FR")
    settings = Settings(
        public_url=os.environ["PUBLIC_URL"],
        twilio_auth_token=os.environ["TWILIO_AUTH_TOKEN"],
        vonage_signature_secret=os.environ["VONAGE_SIGNATURE_SECRET"],
        path_secret=os.environ["WEBHOOK_PATH_SECRET"],
    )
    server = serve(WebhookService(engine, settings))
    log.info("listening on http://%s:%s", *server.server_address[:2])
    server.serve_forever()


if __name__ == "__main__":
    main()
