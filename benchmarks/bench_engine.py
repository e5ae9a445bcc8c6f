"""The engine applying 1,000,000 delivery reports through SQLite, against raw UPDATEs.

    python benchmarks/bench_engine.py [COUNT] [DIRECTORY] [REPEATS]

Bound from issue 5: ratio at most 3. One campaign of ``COUNT`` messages, all with the provider
(one attempt each, its provider id indexed), receives one report per message: 97% delivered,
1% hard bounces (GSM MAP 1, unknown subscriber), 2% temporary failures (GSM MAP 27, absent
subscriber) the retry policy schedules again.

* ours: ``CampaignEngine.handle_many`` (batches of 1,000): for each batch one lookup by provider
  id, each report classified, each transition decided and checked, one compare-and-set write;
  then the side effects (blocking each hard-bounced number) and the suspension monitor fed with
  every outcome.
* baseline: a raw loop of parameterized ``UPDATE``s on the same table, one per report, setting
  the status, reason and time of the message found through the same provider-id index, one
  transaction per 1,000 reports. It checks nothing, keeps no attempt history, blocks nobody and
  watches no rate: it is the floor a hand-written service would stand on.

Both start from byte-identical copies of the same store file (copied outside the timing).
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import attrs
from _common import best_of, campaign, report_line

from sms_campaign_stats import (
    CampaignEngine,
    DeliveryReport,
    Message,
    SQLiteStorage,
    parse_smpp_receipt,
)
from sms_campaign_stats.providers import ErrorNamespace
from sms_campaign_stats.testing import T0

BATCH = 1000
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
RAW_UPDATE = (
    "UPDATE messages SET status = ?, reason = ?, final_at = ?, version = version + 1 "
    "WHERE id = (SELECT message_id FROM provider_ids WHERE provider_message_id = ?)"
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


def store_file(path: Path, count: int) -> list[Message]:
    """Write the campaign and ``count`` messages, each submitted once, to ``path``."""
    store = SQLiteStorage(path)
    sent = campaign()
    store.add_campaign(sent)
    store.update_campaign(sent.start(at=T0).campaign)
    submitted = T0 + timedelta(minutes=1)
    messages = [
        Message.for_campaign(
            sent,
            id=f"m{index}",
            recipient=f"+336{index:08d}",
            list_ids=("newsletter",),
            queued_at=T0,
        ).submit(at=submitted, provider_message_id=f"p{index}")
        for index in range(count)
    ]
    store.add_messages(messages)
    store.close()
    return messages


def reports(count: int, seed: int = 5) -> list[tuple[str, DeliveryReport]]:
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


def micros(moment: datetime) -> int:
    """``moment`` as the SQLite store writes it: microseconds since the Unix epoch (the store's
    private encoding, repeated here: benchmarks use public paths only)."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def main(count: int = 1_000_000, directory: str | None = None, repeats: int = 3) -> None:
    """Time both on fresh copies of one store file, interleaved."""
    with tempfile.TemporaryDirectory(dir=directory) as where:
        base = Path(where)
        store_file(base / "template.db", count)
        arrived = reports(count)
        parsed = [report for _, report in arrived]
        now = T0 + timedelta(hours=1)
        rows = [
            (KINDS[kind][2], KINDS[kind][3], micros(now), report.provider_message_id)
            for kind, report in arrived
        ]

        def fresh(name: str) -> Path:
            target = base / name
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(base / "template.db", target)
            return target

        def ours() -> None:
            store = SQLiteStorage(base / "ours.db")
            engine = CampaignEngine(store)
            results = engine.handle_many(parsed, now, batch_size=BATCH)
            store.close()
            assert len(results) == count

        def raw() -> None:
            connection = sqlite3.connect(base / "raw.db", isolation_level=None)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")
            for start in range(0, count, BATCH):
                connection.execute("BEGIN IMMEDIATE")
                for row in rows[start : start + BATCH]:
                    connection.execute(RAW_UPDATE, row)
                connection.execute("COMMIT")
            connection.close()

        ours_time, baseline_time = best_of(
            repeats, ours, raw, setup={ours: lambda: fresh("ours.db"), raw: lambda: fresh("raw.db")}
        )
        check = sqlite3.connect(base / "ours.db")
        by_status = dict(check.execute("SELECT status, COUNT(*) FROM messages GROUP BY status"))
        blocked = check.execute("SELECT COUNT(*) FROM blocklist").fetchone()[0]
        check.close()
        print(f"reports: {count:,} in batches of {BATCH:,}, best of {repeats}")
        print(f"after ours: {by_status}, {blocked:,} numbers blocked")
        print(report_line("handle_many on SQLite", ours_time, baseline_time, "raw UPDATEs", 3))


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000,
        sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None,
        int(sys.argv[3]) if len(sys.argv) > 3 else 3,
    )
