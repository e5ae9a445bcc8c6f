"""SQLite: bulk insert and the aggregate report on 1,000,000 messages, against raw sqlite3.

    python benchmarks/bench_sqlite.py [COUNT] [DIRECTORY]

Bounds from issue 2, each ratio measured in the same run:
* ``store.add_messages`` vs a raw ``executemany`` of the same rows into the same schema: <= 1.5.
  Measured for a plan (queued messages, the usual bulk insert), a plan whose messages know when
  they are due (``due_at``: two more columns, and the index of due messages) and an import of
  messages that were already sent (with attempts, whose provider ids are indexed too). The raw
  insert binds the columns the rows use: without a zone nor a due time, it leaves them out
  (``NULL``), as the store does.
* ``report_for`` vs a raw ``SELECT status, COUNT(*) ... GROUP BY status`` on the same file: <= 1.5.
  Since schema version 5 the store reads the campaign's counts from its ``message_counts`` table,
  while the raw query groups the campaign's rows (the file has no covering index for it any more):
  the ratio shows what the table saves, not a like-for-like query.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import attrs
from _common import best_of, campaign, messages, report_line

from sms_campaign_stats import Message, MessageStatus, SQLiteStorage, report_for
from sms_campaign_stats.model import Reply, Unsubscribe
from sms_campaign_stats.testing import T0

# The columns of the store's messages table but its rowid ``seq``, in the schema's order (copied
# from the store's private schema module: benchmarks use public paths only); the last two, a
# message's zone and due time, are left out of rows that have neither.
UNTIMED_COLUMNS = (
    "id, campaign_id, recipient, list_set, status, reason, shape, attempts, segments, queued_at, "
    "submitted_at, final_at, sent, version, last_attempt_at"
)
MESSAGE_COLUMNS = UNTIMED_COLUMNS + ", zone, due_at"
ANY_TIMED = "SELECT 1 FROM messages WHERE zone IS NOT NULL OR due_at IS NOT NULL LIMIT 1"
RAW_REPORT = "SELECT status, COUNT(*) FROM messages WHERE campaign_id = ? GROUP BY status"


def fresh_store(path: Path) -> SQLiteStorage:
    """A new store file holding the benchmark campaign and no message."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = SQLiteStorage(path)
    store.add_campaign(campaign())
    return store


def insert_pair(where: Path, found: list[Message]) -> tuple[Callable[[], None], Callable[[], None]]:
    """Our insert, and a raw executemany of the very rows ours wrote, into the same schema."""

    def ours() -> None:
        store = fresh_store(where / "ours.db")
        store.add_messages(found)
        store.close()

    ours()  # once, to read back the exact rows and the list sets they refer to
    source = sqlite3.connect(where / "ours.db")
    timed = source.execute(ANY_TIMED).fetchone() is not None
    columns, count = (MESSAGE_COLUMNS, 17) if timed else (UNTIMED_COLUMNS, 15)
    rows = source.execute(f"SELECT {columns} FROM messages ORDER BY seq").fetchall()  # noqa: S608
    insert = f"INSERT INTO messages ({columns}) VALUES ({', '.join('?' * count)})"  # noqa: S608
    list_sets = source.execute("SELECT id, list_ids FROM list_sets").fetchall()
    provider_ids = source.execute("SELECT * FROM provider_ids").fetchall()
    source.close()

    def raw() -> None:
        fresh_store(where / "raw.db").close()
        connection = sqlite3.connect(where / "raw.db", isolation_level=None)
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany("INSERT INTO list_sets (id, list_ids) VALUES (?, ?)", list_sets)
        connection.executemany(insert, rows)
        connection.executemany("INSERT INTO provider_ids VALUES (?, ?)", provider_ids)
        connection.execute("COMMIT")
        connection.close()

    return ours, raw


def planned(found: list[Message]) -> list[Message]:
    """The same recipients as freshly planned, queued messages."""
    return [
        attrs.evolve(
            m,
            status=MessageStatus.QUEUED,
            bounce_reason=None,
            attempts=(),
            submitted_at=None,
            final_at=None,
            sent=False,
        )
        for m in found
    ]


def main(count: int = 1_000_000, directory: str | None = None) -> None:
    """Insert benchmarks, then the report benchmark on the imported file."""
    where = Path(directory or tempfile.mkdtemp(prefix="scs-bench-"))
    found = messages(count)
    print(f"messages: {count:,}; files in {where}")

    plan = planned(found)
    due = [m.wait_until(T0 + timedelta(minutes=i % 600)) for i, m in enumerate(plan)]
    for name, batch in (("plan", plan), ("plan, due times", due), ("import", found)):
        ours, raw = insert_pair(where, batch)
        ours_time, raw_time = best_of(3, ours, raw)
        print(report_line(f"add_messages ({name})", ours_time, raw_time, "raw executemany", 1.5))

    store = SQLiteStorage(where / "ours.db")
    raw_connection = sqlite3.connect(where / "ours.db")

    def compare(label: str) -> None:
        ours_time, raw_time = best_of(
            9,
            lambda: report_for(store, "bench"),
            lambda: raw_connection.execute(RAW_REPORT, ("bench",)).fetchall(),
        )
        print(report_line(label, ours_time, raw_time, "raw GROUP BY status", 1.5))

    compare("report_for")
    # The same with engagement: 1% of recipients replied, 0.2% unsubscribed.
    for index in range(0, count, 100):
        store.record_reply(
            Reply(
                id=f"r{index}",
                recipient=found[index].recipient,
                at=T0 + timedelta(hours=1),
                text="ok",
                campaign_id="bench",
            )
        )
    for index in range(0, count, 500):
        store.record_unsubscribe(
            Unsubscribe(
                id=f"u{index}",
                recipient=found[index].recipient,
                at=T0,
                keyword="STOP",
                campaign_id="bench",
            )
        )
    compare("report_for, 1% repliers")
    store.close()
    raw_connection.close()


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000,
        sys.argv[2] if len(sys.argv) > 2 else None,
    )
