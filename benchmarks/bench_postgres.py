"""PostgreSQL: the store against raw psycopg on the same server, in the same run (issue 14).

    python benchmarks/bench_postgres.py [PART ...] [--url URL] [--report N] [--insert N]
                                        [--receipts N] [--repeats R]

PART is any of ``report``, ``insert``, ``receipts``, ``workers``, ``sizes`` (default: all).
Without ``--url`` a throwaway server is started (``TemporaryPostgres(fast=False)``: the server's
default durability, ``fsync`` and ``synchronous_commit`` on) and removed at the end.

* ``report``: ``report_for`` on a campaign of ``--report`` messages (10,000,000 by default)
  against a raw ``SELECT status, COUNT(*) ... GROUP BY status`` on the same table. Bound 1.5.
* ``insert``: ``store.add_messages`` of ``--insert`` new ``Message`` values (1,000,000) against a
  raw psycopg ``COPY ... FROM STDIN`` (``write_row``) of the very rows the store wrote, as
  Python values, into an identical empty table. Bound 1.3.
* ``receipts``: ``CampaignEngine.handle_many`` on ``--receipts`` delivery reports (200,000; 97%
  delivered, 1% hard bounces, 2% retried) in batches of 1,000, against a raw ``executemany`` of
  ``UPDATE``s through the provider-id index in batches of the same size, one transaction per
  batch. Bound 2.
* ``workers``: the same receipts parsed and applied by 2 worker processes (each half,
  interleaved) against 1: throughput ratio. Bound: at least 1.6. Each process starts, imports
  the library and opens its store first; all then start together and the time runs from that
  signal to the last one's end (``run_workers``): throughput, not a new interpreter's start-up.
  The ratio with each process's start-up counted is printed beside it.

``--no-read-ahead``: the store of ``receipts`` and ``workers`` with ``read_ahead=False`` (by
default ``handle_many`` looks each next batch up on a second connection meanwhile: a lone worker
then uses part of the second core, which the workers' ratio compares against).
* ``sizes``: per-message bytes of the table and of each index (for docs/scaling.md).

Each contender starts from its own copy of one template database (``CREATE DATABASE ...
TEMPLATE``, outside the timing); rounds are interleaved and the best of ``--repeats`` kept.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import attrs
import psycopg
from _common import LISTS, best_of, campaign, messages, report_line
from psycopg import sql

from sms_campaign_stats import (
    CampaignEngine,
    DeliveryReport,
    Message,
    parse_smpp_receipt,
    report_for,
)
from sms_campaign_stats.providers import ErrorNamespace
from sms_campaign_stats.storage.postgres import PostgresStorage
from sms_campaign_stats.testing import T0, TemporaryPostgres

BATCH = 1000
SCHEMA = "sms_campaign_stats"
RAW_REPORT = "SELECT status, COUNT(*) FROM messages WHERE campaign_id = %s GROUP BY status"
RAW_UPDATE = (
    "UPDATE messages SET status = %s, reason = %s, final_at = %s, version = version + 1 "
    "WHERE id = (SELECT message_id FROM provider_ids WHERE provider_message_id = %s)"
)
RECEIPT = (
    "id:{id} sub:001 dlvrd:{dlvrd} submit date:2603021000 done date:2603021001 "
    "stat:{stat} err:{err}"
)
KINDS = {
    # kind: (receipt stat, err, what the raw loop writes: status, reason)
    "delivered": ("DELIVRD", "000", "delivered", None),
    "hard": ("UNDELIV", "001", "hard_bounce", "number_does_not_exist"),
    "soft": ("UNDELIV", "027", "queued", None),  # absent subscriber: retried, back to the queue
}


class Server:
    """Databases on one server: templates built once, fresh copies made from them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.admin = psycopg.connect(url, autocommit=True)

    def url_of(self, name: str) -> str:
        base, _, _ = self.url.rpartition("/")
        return f"{base}/{name}"

    def fresh(self, name: str, template: str | None = None) -> str:
        self.admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self.admin.execute(statement)
        return self.url_of(name)

    def vacuum(self, name: str) -> None:
        with psycopg.connect(self.url_of(name), autocommit=True) as connection:
            connection.execute(f"VACUUM ANALYZE {SCHEMA}.messages")


def mixed_messages(count: int, campaign_id: str = "bench") -> Iterator[Message]:
    """``count`` messages in the realistic mix of ``_common.messages``, 100,000 at a time, with
    ids and numbers of their own."""
    for first in range(0, count, 100_000):
        size = min(100_000, count - first)
        for message in messages(size, campaign_id, seed=first + 1):
            index = int(message.id[1:]) + first
            attempts = tuple(
                attrs.evolve(a, provider_message_id=f"p{index}") for a in message.attempts
            )
            yield attrs.evolve(
                message, id=f"m{index}", recipient=f"+33{index:09d}", attempts=attempts
            )


def build(url: str, fill: Iterator[Message]) -> PostgresStorage:
    store = PostgresStorage(url)
    sent = campaign()
    store.add_campaign(sent)
    store.update_campaign(sent.start(at=T0).campaign)
    store.add_messages(fill)
    return store


# report ---------------------------------------------------------------------------------------


def bench_report(server: Server, count: int, repeats: int) -> None:
    url = server.fresh("bench_report")
    started = time.perf_counter()
    store = build(url, mixed_messages(count))
    server.vacuum("bench_report")
    print(f"report: {count:,} messages stored in {time.perf_counter() - started:.1f} s")
    raw = psycopg.connect(url, autocommit=True)
    raw.execute(f"SET search_path TO {SCHEMA}")

    def ours() -> None:
        assert report_for(store, "bench").recipients == count

    def baseline() -> None:
        assert sum(n for _, n in raw.execute(RAW_REPORT, ("bench",)).fetchall()) == count

    ours_time, raw_time = best_of(repeats, ours, baseline)
    print(report_line(f"report_for, {count:,} messages", ours_time, raw_time, "raw GROUP BY", 1.5))
    raw.close()
    store.close()


# insert ---------------------------------------------------------------------------------------


def bench_insert(server: Server, count: int, repeats: int) -> None:
    template = server.fresh("bench_insert_template")
    build(template, iter(())).close()
    batch = list(mixed_messages(count))
    # The rows the store writes, as Python values: what a raw COPY would be given.
    probe = server.fresh("bench_insert_probe", "bench_insert_template")
    build_store = PostgresStorage(probe)
    build_store.add_messages(batch)
    build_store.close()
    with psycopg.connect(probe) as connection:
        described = connection.execute(
            "SELECT column_name, udt_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = 'messages' AND column_name <> 'seq' "
            "ORDER BY ordinal_position",
            (SCHEMA,),
        ).fetchall()
        columns = [name for name, _ in described]
        types = [kind for _, kind in described]
        listed = ", ".join(columns)
        # Column names read from the catalogue, the schema a constant: no outside text.
        rows = connection.execute(
            f"SELECT {listed} FROM {SCHEMA}.messages ORDER BY seq"  # noqa: S608
        ).fetchall()
        pairs = connection.execute(
            f"SELECT provider_message_id, message_id FROM {SCHEMA}.provider_ids"  # noqa: S608
        ).fetchall()
    copy_messages = f"COPY {SCHEMA}.messages ({listed}) FROM STDIN"
    copy_pairs = f"COPY {SCHEMA}.provider_ids (provider_message_id, message_id) FROM STDIN"

    def ours() -> None:
        store = PostgresStorage(server.url_of("bench_insert_ours"))
        assert store.add_messages(batch) == count
        store.close()

    def baseline() -> None:
        with (
            psycopg.connect(server.url_of("bench_insert_raw")) as connection,
            connection.cursor() as cursor,
        ):
            with cursor.copy(copy_messages) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
            with cursor.copy(copy_pairs) as copy:
                for pair in pairs:
                    copy.write_row(pair)

    ours_time, raw_time = best_of(
        repeats,
        ours,
        baseline,
        setup={
            ours: lambda: server.fresh("bench_insert_ours", "bench_insert_template"),
            baseline: lambda: server.fresh("bench_insert_raw", "bench_insert_template"),
        },
    )
    print(
        report_line(
            f"add_messages, {count:,} messages", ours_time, raw_time, "raw COPY of its rows", 1.3
        )
    )


# receipts and workers -------------------------------------------------------------------------


def receipts(count: int, seed: int = 5) -> list[tuple[str, DeliveryReport]]:
    """One receipt per message, in a shuffled arrival order: (kind, parsed report)."""
    draw = random.Random(seed)
    kinds = draw.choices(list(KINDS), weights=[97, 1, 2], k=count)
    templates = {
        kind: parse_smpp_receipt(
            RECEIPT.format(id="x", dlvrd="001" if stat == "DELIVRD" else "000", stat=stat, err=err),
            err_namespace=ErrorNamespace.GSM_MAP,
        )
        for kind, (stat, err, _, _) in KINDS.items()
    }
    found = [
        (kind, attrs.evolve(templates[kind], provider_message_id=f"p{index}"))
        for index, kind in enumerate(kinds)
    ]
    draw.shuffle(found)
    return found


def submitted(count: int) -> Iterator[Message]:
    sent = campaign()
    for index in range(count):
        yield Message.for_campaign(
            sent,
            id=f"m{index}",
            recipient=f"+33{index:09d}",
            list_ids=(LISTS[index % 3],),
            queued_at=T0,
        ).submit(at=T0 + timedelta(minutes=1), provider_message_id=f"p{index}")


def _worker(url: str, texts: list[tuple[str, str]], read_ahead: bool, ready: Any, go: Any) -> None:
    """A worker process: open its store, say it is ready, wait for the start, then parse its
    receipts (kind, provider id) and apply them; it puts the instant it finished on ``ready``."""
    store = PostgresStorage(url, read_ahead=read_ahead)
    engine = CampaignEngine(store)
    store.get_campaign("bench")  # a connection is open
    ready.put(None)
    go.wait()
    reports = [_parse(kind, pid) for kind, pid in texts]
    engine.handle_many(reports, T0 + timedelta(hours=1), batch_size=BATCH)
    ready.put(time.monotonic())
    store.close()


def run_workers(
    url: str, parts: list[list[tuple[str, str]]], read_ahead: bool
) -> tuple[float, float]:
    """One worker process per part, on ``url``. Each opens its store, then all start together.
    Returns (from the start signal to the last worker's end, from the first spawn to the last
    exit): the first is the throughput's; the second adds each process's start-up (a new
    interpreter, the library's imports, the store's pool opened)."""
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Queue()
    go = spawn.Event()
    processes = [
        spawn.Process(target=_worker, args=(url, part, read_ahead, ready, go)) for part in parts
    ]
    spawned = time.monotonic()
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=600)
    started = time.monotonic()
    go.set()
    ended = max(ready.get(timeout=3600) for _ in processes)
    for process in processes:
        process.join()
        assert process.exitcode == 0
    return ended - started, time.monotonic() - spawned


def _parse(kind: str, provider_id: str) -> DeliveryReport:
    stat, err, _, _ = KINDS[kind]
    text = RECEIPT.format(
        id=provider_id, dlvrd="001" if stat == "DELIVRD" else "000", stat=stat, err=err
    )
    return parse_smpp_receipt(text, err_namespace=ErrorNamespace.GSM_MAP)


def _apply(url: str, reports: list[DeliveryReport], read_ahead: bool = True) -> None:
    store = PostgresStorage(url, read_ahead=read_ahead)
    engine = CampaignEngine(store)
    engine.handle_many(reports, T0 + timedelta(hours=1), batch_size=BATCH)
    store.close()


def bench_receipts(
    server: Server, count: int, repeats: int, *, workers: bool, read_ahead: bool = True
) -> None:
    template = server.fresh("bench_receipts_template")
    build(template, submitted(count)).close()
    server.vacuum("bench_receipts_template")
    arrived = receipts(count)
    parsed = [report for _, report in arrived]
    now = T0 + timedelta(hours=1)
    rows = [(KINDS[k][2], KINDS[k][3], now, r.provider_message_id) for k, r in arrived]

    def ours() -> None:
        _apply(server.url_of("bench_ours"), parsed, read_ahead)

    def baseline() -> None:
        with psycopg.connect(server.url_of("bench_raw")) as connection:
            connection.execute(f"SET search_path TO {SCHEMA}")
            for first in range(0, count, BATCH):
                with connection.transaction(), connection.cursor() as cursor:
                    cursor.executemany(RAW_UPDATE, rows[first : first + BATCH])

    texts = [(kind, report.provider_message_id or "") for kind, report in arrived]

    if not workers:
        ours_time, raw_time = best_of(
            repeats,
            ours,
            baseline,
            setup={
                ours: lambda: server.fresh("bench_ours", "bench_receipts_template"),
                baseline: lambda: server.fresh("bench_raw", "bench_receipts_template"),
            },
        )
        print(
            report_line(
                f"handle_many, {count:,} receipts in batches of {BATCH:,}",
                ours_time,
                raw_time,
                "raw executemany UPDATEs",
                2,
            )
        )
        return
    one: list[tuple[float, float]] = []
    two: list[tuple[float, float]] = []
    for _ in range(repeats):  # interleaved, each on a fresh copy; the best round of each kept
        server.fresh("bench_one", "bench_receipts_template")
        one.append(run_workers(server.url_of("bench_one"), [texts], read_ahead))
        server.fresh("bench_two", "bench_receipts_template")
        two.append(run_workers(server.url_of("bench_two"), [texts[0::2], texts[1::2]], read_ahead))
    one_time, two_time = min(t for t, _ in one), min(t for t, _ in two)
    ratio = one_time / two_time
    print(
        f"workers: {count:,} receipts parsed and applied by 1 process in {one_time:.2f} s, by 2 "
        f"in {two_time:.2f} s -> {ratio:.2f}x the throughput of one "
        f"({'within' if ratio >= 1.6 else 'UNDER'} the 1.6 bound)"
    )
    one_whole, two_whole = min(w for _, w in one), min(w for _, w in two)
    print(
        f"  with each process's start-up (spawn, imports, store opened): {one_whole:.2f} s "
        f"against {two_whole:.2f} s -> {one_whole / two_whole:.2f}x"
    )


# sizes ----------------------------------------------------------------------------------------


def bench_sizes(server: Server, count: int) -> None:
    """Bytes per message of the messages table and of each of its indexes, and of provider ids."""
    url = server.fresh("bench_sizes")
    build(url, mixed_messages(count)).close()
    server.vacuum("bench_sizes")
    with psycopg.connect(url) as connection:
        found = connection.execute(
            "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
            "AND c.relkind IN ('r', 'i') ORDER BY 2 DESC",
            (SCHEMA,),
        ).fetchall()
    print(f"sizes, per message, over {count:,} messages (85% with a provider id):")
    for name, size in found:
        if size > 8192 * 4:
            print(f"  {name:32} {size / count:8.1f} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("parts", nargs="*", default=["report", "insert", "receipts", "workers"])
    parser.add_argument("--url")
    parser.add_argument("--report", type=int, default=10_000_000)
    parser.add_argument("--insert", type=int, default=1_000_000)
    parser.add_argument("--receipts", type=int, default=200_000)
    parser.add_argument("--sizes", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--no-read-ahead",
        dest="read_ahead",
        action="store_false",
        help="receipts and workers: stores with read_ahead=False (one connection per call)",
    )
    args = parser.parse_args()
    temporary = None
    url = args.url
    if url is None:
        temporary = TemporaryPostgres(fast=False, settings={"shared_buffers": "1GB"}).start()
        url = temporary.url
    server = Server(url)
    try:
        with server.admin.cursor() as cursor:
            version = cursor.execute("SHOW server_version").fetchone()
        print(f"PostgreSQL {version[0] if version else '?'}, psycopg {psycopg.__version__}")
        for part in args.parts:
            if part == "report":
                bench_report(server, args.report, args.repeats)
            elif part == "insert":
                bench_insert(server, args.insert, args.repeats)
            elif part == "receipts":
                bench_receipts(
                    server, args.receipts, args.repeats, workers=False, read_ahead=args.read_ahead
                )
            elif part == "workers":
                bench_receipts(
                    server, args.receipts, args.repeats, workers=True, read_ahead=args.read_ahead
                )
            elif part == "sizes":
                bench_sizes(server, args.sizes)
            else:
                parser.error(f"unknown part {part!r}")
    finally:
        server.admin.close()
        if temporary is not None:
            temporary.stop()


if __name__ == "__main__":
    main()
