"""A Twilio status-callback receiver on asyncio, with the standard library alone.

    python examples/webhook_receiver.py [--db PATH_OR_URL] [--host HOST] [--port PORT]
                                        [--auth-token TOKEN --url PUBLIC_URL]

Twilio POSTs a form (``MessageSid``, ``MessageStatus``, ``ErrorCode``, ...) to your status
callback URL each time a message moves. Each one is parsed here with ``parse_twilio_callback``
and applied with ``await engine.handle(report, now)``: the delivery recorded, the retry planned,
the number blocked, the campaign suspended or completed, in one change. The event loop never
waits on the database: ``AsyncCampaignEngine`` awaits the store, which is
``ThreadedAsyncStorage(SQLiteStorage(path))`` by default (each call in a worker thread) and
``AsyncPostgresStorage(url)`` for a ``postgresql://`` URL (the ``postgres`` extra).

With ``--auth-token`` (your Twilio auth token; or ``TWILIO_AUTH_TOKEN``) a callback is applied
only if its ``X-Twilio-Signature`` is Twilio's for ``--url``, the URL Twilio calls (behind a
proxy it is not this server's own): ``verify_twilio_signature``. A real service sets it.

The service owns the clock: ``now`` is read here, once per callback (the library never reads
it). Answers: 204 when the report is recorded (a report for a message not yet submitted is kept
until ``submitted`` takes it), 400 for a body that is not a status callback, 403 for a wrong
signature, 404 and 405 for another path or method, 413 for a body over 64 KiB, 503 when the
store failed (Twilio then tries again later; a report applied twice decides nothing more). It
prints ``listening on HOST:PORT`` when it is ready (``--port 0``: a free port), one line per
callback, and stops on SIGINT or SIGTERM, closing the store. Left out, as an example may: HTTPS
(put it behind your proxy) and keep-alive (one request per connection).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Protocol
from urllib.parse import parse_qsl

from sms_campaign_stats import SQLiteStorage, parse_twilio_callback
from sms_campaign_stats.engine import AsyncCampaignEngine
from sms_campaign_stats.errors import MalformedReportError, StorageError
from sms_campaign_stats.providers import verify_twilio_signature
from sms_campaign_stats.storage import AsyncStorage, ThreadedAsyncStorage

PATH = "/twilio/status"
MAX_BODY = 64 * 1024
REASONS = {
    204: "No Content",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    503: "Service Unavailable",
}


class Store(AsyncStorage, Protocol):
    """An async store the service closes when it stops (both stores here can be)."""

    async def close(self) -> None: ...


def utc_now() -> datetime:
    """The service's clock: the library is given the time, it never reads it."""
    return datetime.now(timezone.utc)


def open_store(target: str) -> Store:
    """``AsyncPostgresStorage`` for a PostgreSQL URL, else an SQLite file in worker threads."""
    if target.startswith(("postgresql://", "postgres://")):
        from sms_campaign_stats.storage.postgres import AsyncPostgresStorage

        return AsyncPostgresStorage(target)
    return ThreadedAsyncStorage(SQLiteStorage(target))


class Receiver:
    """The callbacks' handler: the engine, the clock, and what a signature is checked with."""

    def __init__(
        self,
        engine: AsyncCampaignEngine,
        *,
        clock: Callable[[], datetime] = utc_now,
        auth_token: str | None = None,
        url: str = "",
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.auth_token = auth_token
        self.url = url

    async def callback(self, body: bytes, signature: str | None) -> int:
        """Apply one status callback; the HTTP status to answer."""
        if self.auth_token is not None:
            form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            if not verify_twilio_signature(self.url, form, signature, self.auth_token):
                print("refused: not signed by Twilio", flush=True)
                return 403
        now = self.clock()
        try:
            report = parse_twilio_callback(body, received_at=now)
        except MalformedReportError as error:
            print(f"refused: {error}", flush=True)
            return 400
        try:
            result = await self.engine.handle(report, now)
        except StorageError as error:  # busy, or down: Twilio retries the callback later
            print(f"store failed: {error}", flush=True)
            return 503
        status = "-" if result.message is None else result.message.status.value
        print(f"{report.provider_message_id} {report.status}: {result.effect} {status}", flush=True)
        return 204

    async def request(self, reader: asyncio.StreamReader) -> int:
        """Read one HTTP/1.1 request (its line, headers and body); the status to answer."""
        method, target, _ = (await reader.readline()).decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        if length < 0:
            raise ValueError("a negative Content-Length")
        if target.split("?", 1)[0] != PATH:
            return 404
        if method != "POST":
            return 405
        if length > MAX_BODY:
            return 413
        body = await reader.readexactly(length)
        return await self.callback(body, headers.get("x-twilio-signature"))

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection, one request, one answer."""
        try:
            try:
                status = await self.request(reader)
            except (ValueError, asyncio.IncompleteReadError):
                status = 400  # not HTTP as this receiver reads it
            writer.write(
                f"HTTP/1.1 {status} {REASONS[status]}\r\n"
                "Content-Length: 0\r\nConnection: close\r\n\r\n".encode("ascii")
            )
            with contextlib.suppress(ConnectionError):  # the client left: nothing to answer
                await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def serve(
    target: str, host: str, port: int, *, auth_token: str | None = None, url: str = ""
) -> None:
    """Receive callbacks until SIGINT or SIGTERM, then close the store."""
    store = open_store(target)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C stops it anyway
            loop.add_signal_handler(number, stop.set)
    try:
        receiver = Receiver(AsyncCampaignEngine(store), auth_token=auth_token, url=url)
        server = await asyncio.start_server(receiver.connection, host, port)
        async with server:
            bound = server.sockets[0].getsockname()
            receiver.url = url or f"http://{bound[0]}:{bound[1]}{PATH}"
            print(f"listening on {bound[0]}:{bound[1]}", flush=True)
            await stop.wait()
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--db", default="webhooks.db", help="an SQLite file or a postgresql:// URL")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0: any free port")
    parser.add_argument(
        "--auth-token",
        default=os.environ.get("TWILIO_AUTH_TOKEN"),
        help="check X-Twilio-Signature with it (default: $TWILIO_AUTH_TOKEN, else no check)",
    )
    parser.add_argument("--url", default="", help="the URL Twilio calls (default: this server's)")
    options = parser.parse_args(argv)
    asyncio.run(
        serve(
            options.db, options.host, options.port, auth_token=options.auth_token, url=options.url
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
