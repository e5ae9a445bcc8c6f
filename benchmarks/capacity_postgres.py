"""Per-event costs on PostgreSQL, for the capacity estimate of docs/scaling.md.

    python benchmarks/capacity_postgres.py [MESSAGES] [--url URL]

One campaign of MESSAGES (default 20,000) is planned, each message submitted (one event each,
as a sending service reports them), then one delivery report per message is applied twice: one
report per call (``handle``: a webhook per request) and in batches of 1,000 (``handle_many``: a
queue consumer), each on its own copy of the database. For each kind of event it prints the wall
time, this process's CPU time and the server's CPU time (the sum over every server process of
``/proc/<pid>/stat``'s user and system time, read before and after), per event. The server is
a throwaway one (``TemporaryPostgres(fast=False)``: default durability) unless ``--url`` names
one on this machine (its postmaster is the parent of this run's own server process).
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import attrs
import psycopg
from _common import LISTS, campaign
from psycopg import sql

from sms_campaign_stats import CampaignEngine, DeliveryReport, SendMessage, parse_smpp_receipt
from sms_campaign_stats.providers import ErrorNamespace
from sms_campaign_stats.storage.postgres import PostgresStorage
from sms_campaign_stats.testing import T0, TemporaryPostgres

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
RECEIPT = (
    "id:{id} sub:001 dlvrd:001 submit date:2603021000 done date:2603021001 stat:DELIVRD err:000"
)


def server_cpu(postmaster: int) -> float:
    """Seconds of CPU used so far by the server whose postmaster is ``postmaster``: its own, its
    children's, and those of its children that ended (cutime, cstime)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid, parent = int(entry.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
        elif parent == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


POSTMASTER = 0  # the server's main process, found in main()


def measure(name: str, events: int, run: Callable[[], object]) -> tuple[float, float, float]:
    wall, mine, theirs = time.perf_counter(), time.process_time(), server_cpu(POSTMASTER)
    run()
    wall = time.perf_counter() - wall
    mine = time.process_time() - mine
    theirs = server_cpu(POSTMASTER) - theirs
    print(
        f"{name:34} {events:>7,} events  wall {wall * 1e6 / events:7.0f} us/event  "
        f"client CPU {mine * 1e6 / events:6.0f} us  server CPU {theirs * 1e6 / events:6.0f} us"
        f"  -> {events / wall:7.0f} events/s on one worker"
    )
    return wall, mine, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("messages", nargs="?", type=int, default=20_000)
    parser.add_argument("--url")
    args = parser.parse_args()
    count = args.messages
    temporary = None
    url = args.url
    if url is None:
        temporary = TemporaryPostgres(fast=False).start()
        url = temporary.url
    admin = psycopg.connect(url, autocommit=True)
    base = url.rpartition("/")[0]
    global POSTMASTER
    row = admin.execute("SELECT pg_backend_pid()").fetchone()
    backend = row[0] if row else 0
    POSTMASTER = int((Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1]).split()[1])
    try:
        admin.execute("CREATE DATABASE capacity")
        store = PostgresStorage(f"{base}/capacity")
        sent = campaign()
        store.add_campaign(sent)
        engine = CampaignEngine(store, default_region="FR")
        numbers = [f"+3361{index:07d}" for index in range(count)]
        lists = {LISTS[0]: numbers}
        planned = measure("plan (per message)", count, lambda: _plan(engine, lists))
        del planned
        actions = [a for a in engine.due_retries(T0) if isinstance(a, SendMessage)] or _queued(
            store, sent.id
        )
        measure(
            "submitted (one per message)",
            len(actions),
            lambda: [
                engine.submitted(a.message_id, f"p{i}", T0 + timedelta(minutes=1))
                for i, a in enumerate(actions)
            ],
        )
        store.close()
        for copy in ("capacity_one", "capacity_batch"):
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE capacity").format(sql.Identifier(copy))
            )
        reports = _reports(len(actions))
        now = T0 + timedelta(hours=1)
        one = PostgresStorage(f"{base}/capacity_one")
        single = CampaignEngine(one)
        measure("handle (one report per call)", len(reports), lambda: _each(single, reports, now))
        one.close()
        batch = PostgresStorage(f"{base}/capacity_batch")
        many = CampaignEngine(batch)
        measure(
            "handle_many (batches of 1,000)",
            len(reports),
            lambda: many.handle_many(reports, now, batch_size=1000),
        )
        batch.close()
    finally:
        admin.close()
        if temporary is not None:
            temporary.stop()


def _plan(engine: CampaignEngine, lists: dict[str, list[str]]) -> None:
    engine.plan("bench", lists, T0)


def _queued(store: PostgresStorage, campaign_id: str) -> list[SendMessage]:
    return [
        SendMessage(message_id=m.id, campaign_id=m.campaign_id, recipient=m.recipient, at=T0)
        for m in store.iter_messages(campaign_id)
    ]


def _reports(count: int) -> list[DeliveryReport]:
    template = parse_smpp_receipt(RECEIPT.format(id="x"), err_namespace=ErrorNamespace.GSM_MAP)
    found = [attrs.evolve(template, provider_message_id=f"p{i}") for i in range(count)]
    random.Random(3).shuffle(found)
    return found


def _each(engine: CampaignEngine, reports: list[DeliveryReport], now: object) -> None:
    for report in reports:
        engine.handle(report, now)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
