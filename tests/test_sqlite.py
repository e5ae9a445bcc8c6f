"""SQLite specifics: schema versioning, atomic batches, WAL, busy handling, processes."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from sms_campaign_stats import (
    BounceReason,
    Campaign,
    Message,
    SQLiteStorage,
    ValidationError,
    report_for,
)
from sms_campaign_stats.errors import (
    ConflictError,
    DuplicateError,
    NotFoundError,
    SchemaError,
    StorageBusyError,
    StorageError,
)
from sms_campaign_stats.model import Reply
from sms_campaign_stats.storage import Change, Evidence, Orphan
from sms_campaign_stats.storage.sqlite import APPLICATION_ID, SCHEMA_VERSION
from sms_campaign_stats.testing import T0, sample_campaign, sample_messages


def dump(path: Path) -> list[str]:
    """Every statement needed to rebuild the database: schema and rows."""
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def test_file_is_marked_and_in_wal_mode(tmp_path: Path) -> None:
    """A new file carries our application id, the schema version, and uses WAL."""
    path = tmp_path / "s.db"
    SQLiteStorage(path).close()
    connection = sqlite3.connect(path)
    assert APPLICATION_ID == connection.execute("PRAGMA application_id").fetchone()[0]
    assert SCHEMA_VERSION == connection.execute("PRAGMA user_version").fetchone()[0]
    assert "wal" == connection.execute("PRAGMA journal_mode").fetchone()[0]
    connection.close()


def test_new_file_has_small_pages_and_an_older_file_keeps_its_own(tmp_path: Path) -> None:
    """A new file is created with 1,024-byte pages (each event's commit writes whole pages); a
    file created with SQLite's default 4,096 (as before) keeps them, and is read and written."""
    path = tmp_path / "s.db"
    SQLiteStorage(path).close()
    older = tmp_path / "older.db"
    connection = sqlite3.connect(older)
    connection.execute("PRAGMA page_size = 4096")
    connection.execute("PRAGMA journal_mode = WAL")  # writes the header: the size is set
    connection.close()
    store = SQLiteStorage(older)
    campaign, created = sample_campaign()
    store.add_campaign(campaign, events=[created])
    messages = sample_messages(campaign, 10)
    store.add_messages(messages)
    store.close()
    reopened = SQLiteStorage(older)
    assert messages == [reopened.get_message(m.id) for m in messages]
    reopened.close()
    for file, expected in ((path, 1024), (older, 4096)):
        connection = sqlite3.connect(file)
        assert expected == connection.execute("PRAGMA page_size").fetchone()[0]
        assert [("ok",)] == connection.execute("PRAGMA integrity_check").fetchall()
        connection.close()


def test_data_survives_reopening(tmp_path: Path) -> None:
    """What one store object wrote, another one opening the file reads."""
    path = tmp_path / "s.db"
    campaign, created = sample_campaign()
    first = SQLiteStorage(path)
    first.add_campaign(campaign, events=[created])
    first.add_messages(sample_messages(campaign, 10))
    expected = report_for(first, campaign.id)
    first.close()
    second = SQLiteStorage(path)
    assert expected == report_for(second, campaign.id)
    assert [created] == second.timeline(campaign.id)
    second.close()


def set_pragma(path: Path, statement: str) -> None:
    """Run one PRAGMA on the file behind the library's back."""
    connection = sqlite3.connect(path)
    connection.execute(statement)
    connection.commit()
    connection.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    """A file written by a newer schema is refused, never migrated silently."""
    path = tmp_path / "s.db"
    SQLiteStorage(path).close()
    set_pragma(path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = dump(path)
    with pytest.raises(SchemaError, match="newer"):
        SQLiteStorage(path)
    assert before == dump(path)


def test_unknown_schema_is_refused(tmp_path: Path) -> None:
    """A schema version with no known migration is refused."""
    path = tmp_path / "s.db"
    SQLiteStorage(path).close()
    set_pragma(path, "PRAGMA user_version = 0")
    with pytest.raises(SchemaError, match="unknown schema version 0"):
        SQLiteStorage(path)


def test_damaged_schema_is_refused(tmp_path: Path) -> None:
    """A file with our marks but a missing table is reported as damaged."""
    path = tmp_path / "s.db"
    SQLiteStorage(path).close()
    set_pragma(path, "DROP TABLE replies")
    with pytest.raises(SchemaError, match="missing \\['replies'\\]"):
        SQLiteStorage(path)


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    """Another application's SQLite file is left alone."""
    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE notes (text TEXT)")
    connection.commit()
    connection.close()
    with pytest.raises(SchemaError, match="not an sms_campaign_stats database"):
        SQLiteStorage(path)
    assert ["notes"] == [
        row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")
    ]


def test_garbage_file_is_refused(tmp_path: Path) -> None:
    """A file that is not a database gives SchemaError, not a raw sqlite3 error."""
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database, just some text " * 200)
    with pytest.raises(SchemaError, match="not a readable SQLite database"):
        SQLiteStorage(path)


def test_unusable_paths(tmp_path: Path) -> None:
    """A directory, or a file in a missing directory, gives a StorageError naming the path."""
    with pytest.raises(StorageError, match="is a directory"):
        SQLiteStorage(tmp_path)
    with pytest.raises(StorageError, match="cannot open"):
        SQLiteStorage(tmp_path / "missing" / "s.db")


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"durability": "sometimes"}, "SQLiteStorage.durability"),
        ({"timeout": 0}, "SQLiteStorage.timeout"),
    ],
)
def test_bad_options(tmp_path: Path, options: dict[str, object], field: str) -> None:
    """Options are checked before the file is touched."""
    with pytest.raises(ValidationError) as caught:
        SQLiteStorage(tmp_path / "s.db", **options)  # type: ignore[arg-type]
    assert field == caught.value.field
    assert not (tmp_path / "s.db").exists()


def test_failed_batch_leaves_the_file_unchanged(tmp_path: Path) -> None:
    """A batch that fails half-way (a duplicate at the end, a bad item, a raising iterator)
    leaves every table exactly as before."""
    path = tmp_path / "s.db"
    store = SQLiteStorage(path)
    campaign, created = sample_campaign()
    store.add_campaign(campaign, events=[created])
    store.add_messages(sample_messages(campaign, 50))
    before = dump(path)
    fresh = sample_messages(campaign, 500, start=50)

    def exploding() -> object:
        yield from fresh[:100]
        raise RuntimeError("the source of messages broke")

    with pytest.raises(DuplicateError):
        store.add_messages([*fresh, sample_messages(campaign, 1, start=3)[0]])
    with pytest.raises(ValidationError):
        store.add_messages([*fresh, "not a message"])  # type: ignore[list-item]
    with pytest.raises(RuntimeError):
        store.add_messages(exploding())  # type: ignore[arg-type]
    imported = [m.submit(at=T0, provider_message_id="dup") for m in fresh[:2]]
    with pytest.raises(DuplicateError, match="provider message id 'dup'"):
        store.add_messages(imported)
    with pytest.raises(NotFoundError):
        store.append_events([created, attrs.evolve(created, campaign_id="nope")])
    assert before == dump(path)
    store.close()


def test_busy_database_gives_a_typed_error(tmp_path: Path) -> None:
    """A writer that waits longer than the timeout gets StorageBusyError, and nothing is written."""
    path = tmp_path / "s.db"
    store = SQLiteStorage(path, timeout=0.2)
    campaign, _ = sample_campaign()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageBusyError) as caught:
            store.add_campaign(campaign)
        assert 0.2 == caught.value.waited_seconds
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    store.add_campaign(campaign)
    assert campaign == store.get_campaign(campaign.id)


def test_threads_use_their_own_connections(tmp_path: Path) -> None:
    """Threads writing different campaigns at once all succeed."""
    store = SQLiteStorage(tmp_path / "s.db", durability="normal")
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            campaign, created = sample_campaign(f"c{index}")
            store.add_campaign(campaign, events=[created])
            store.add_messages(sample_messages(campaign, 200))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [] == errors
    assert [200] * 6 == [report_for(store, f"c{i}").recipients for i in range(6)]


def _child_writes(store: SQLiteStorage) -> None:
    campaign, created = sample_campaign("from-child")
    store.add_campaign(campaign, events=[created])
    store.add_messages(sample_messages(campaign, 5))
    store.close()


def test_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    """A store inherited through fork() works in the child and the parent keeps working."""
    store = SQLiteStorage(tmp_path / "s.db")
    parent_campaign, _ = sample_campaign("from-parent")
    store.add_campaign(parent_campaign)
    child = multiprocessing.get_context("fork").Process(target=_child_writes, args=(store,))
    child.start()
    child.join(timeout=60)
    assert 0 == child.exitcode
    assert 5 == report_for(store, "from-child").recipients
    assert ["from-child", "from-parent"] == sorted(c.id for c in store.list_campaigns())


def test_memory_database_is_shared_by_threads() -> None:
    """ ":memory:" is one database for all threads of the store."""
    store = SQLiteStorage(":memory:")
    campaign, _ = sample_campaign()
    store.add_campaign(campaign)
    seen: list[str] = []
    thread = threading.Thread(target=lambda: seen.append(store.get_campaign(campaign.id).id))
    thread.start()
    thread.join()
    assert [campaign.id] == seen


def test_timeline_round_trips_details(tmp_path: Path) -> None:
    """History details (nested, unicode, floats) read back equal."""
    store = SQLiteStorage(tmp_path / "s.db")
    campaign, created = sample_campaign()
    store.add_campaign(campaign, events=[created])
    sending = campaign.start(at=T0)
    campaign = store.update_campaign(sending.campaign, events=[sending.event])
    suspended = campaign.suspend(
        at=T0 + timedelta(hours=1),
        reason="taux de désinscription élevé",
        evidence={"rate": 0.031, "threshold": 0.02, "sample": 1200, "by_list": {"vip": [1, 2]}},
    )
    store.update_campaign(suspended.campaign, events=[suspended.event])
    assert [created, sending.event, suspended.event] == store.timeline(campaign.id)


def test_sql_looking_text_is_stored_verbatim(tmp_path: Path) -> None:
    """Text that looks like SQL is data: stored and read back unchanged, never executed."""
    store = SQLiteStorage(tmp_path / "s.db")
    evil = "x'); DROP TABLE messages; --"
    campaign, _ = sample_campaign(evil)
    campaign = attrs.evolve(campaign, name=evil, content=evil)
    store.add_campaign(campaign)
    message = Message.for_campaign(
        campaign, id=evil, recipient="+33612345678", list_ids=[evil], queued_at=T0
    )
    store.add_messages([message])
    assert campaign == store.get_campaign(evil)
    assert message == store.get_message(evil)


# schema versions 2 to 5: migrations from versions 1 to 4 ----------------------------------------


def make_version_4(path: Path) -> None:
    """Turn a current file into what version 4 of the schema wrote: no counts table, but the
    index of messages by (campaign, status, shape); no index of soft bounces."""
    for statement in (
        "DROP TABLE message_counts",
        "DROP INDEX messages_soft_bounces",
        "CREATE INDEX messages_counts ON messages (campaign_id, status, shape)",
        "PRAGMA user_version = 4",
    ):
        set_pragma(path, statement)


def make_version_3(path: Path) -> None:
    """Turn a current file into what version 3 of the schema wrote: shapes without the attempt
    counts (their low 24 bits), the index of engaged messages without their status."""
    make_version_4(path)
    for statement in (
        "UPDATE messages SET shape = shape >> 24",
        "DROP INDEX messages_engaged",
        "CREATE INDEX messages_engaged ON messages (campaign_id, list_set, replies, unsubscribed)"
        " WHERE replies > 0 OR unsubscribed > 0",
        "PRAGMA user_version = 3",
    ):
        set_pragma(path, statement)


def dump_as_version_3(path: Path) -> list[str]:
    """``dump(path)`` with each shape as version 3 wrote it (read from a copy in memory)."""
    source, copy = sqlite3.connect(path), sqlite3.connect(":memory:")
    try:
        source.backup(copy)
        copy.execute("UPDATE messages SET shape = shape >> 24")
        copy.execute("DROP TABLE IF EXISTS message_counts")  # version 5's
        return list(copy.iterdump())
    finally:
        source.close()
        copy.close()


def make_version_2(path: Path) -> None:
    """Turn a current file into what version 2 of the schema wrote: no zone nor due time on
    messages (and no index of due messages), no evidence table."""
    make_version_3(path)
    for statement in (
        "DROP INDEX messages_due",
        "ALTER TABLE messages DROP COLUMN due_at",
        "ALTER TABLE messages DROP COLUMN zone",
        "DROP TABLE evidence",
        "PRAGMA user_version = 2",
    ):
        set_pragma(path, statement)


def make_version_1(path: Path) -> None:
    """Turn a current file into what version 1 of the schema wrote (also no store_keys table)."""
    make_version_2(path)
    set_pragma(path, "DROP TABLE store_keys")
    set_pragma(path, "PRAGMA user_version = 1")


def as_version_2(line: str) -> str:
    """A dumped row of a migrated file as version 2 held it: a message without the zone and
    due time the migration added (unknown: NULL)."""
    if not line.startswith('INSERT INTO "messages"'):
        return line
    assert line.endswith(",NULL,NULL);")
    return line.removesuffix(",NULL,NULL);") + ");"


def layout(path: Path) -> list[Any]:
    """The columns of every table and the indexes of the file, as SQLite reports them."""
    connection = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return [
            (
                table,
                connection.execute("SELECT * FROM pragma_table_info(?)", (table,)).fetchall(),
                connection.execute(
                    'SELECT name, "unique", partial FROM pragma_index_list(?) ORDER BY name',
                    (table,),
                ).fetchall(),
            )
            for table in tables
        ]
    finally:
        connection.close()


def assert_like_a_new_file(path: Path, new: Path) -> None:
    """A migrated file is of the current version, intact, and laid out as a new file (made at
    ``new``): the same tables, columns, indexes and index columns."""
    connection = sqlite3.connect(path)
    assert SCHEMA_VERSION == 5 == connection.execute("PRAGMA user_version").fetchone()[0]
    assert [("ok",)] == connection.execute("PRAGMA integrity_check").fetchall()
    connection.close()
    SQLiteStorage(new).close()
    assert layout(new) == layout(path)
    assert index_columns(new) == index_columns(path)


def test_version_1_file_is_migrated_on_opening(tmp_path: Path) -> None:
    """A version-1 file opens: its data is kept, it gets a salt and the current version, and
    forget() works on it; reopening keeps the same salt (forgotten numbers stay blocked)."""
    path = tmp_path / "old.db"
    campaign, created = sample_campaign()
    store = SQLiteStorage(path)
    store.add_campaign(campaign, events=[created])
    store.add_messages(sample_messages(campaign, 10))
    store.block("+33600000001", reason="hard_bounce", at=T0)
    expected = report_for(store, campaign.id).to_dict()
    store.close()
    make_version_1(path)
    rows = [line for line in dump(path) if line.startswith("INSERT")]

    migrated = SQLiteStorage(path)
    assert expected == report_for(migrated, campaign.id).to_dict()
    assert rows == [
        as_version_2(line)
        for line in dump_as_version_3(path)
        if line.startswith("INSERT") and "store_keys" not in line
    ]
    assert 2 == migrated.forget("+33600000001")  # a message and a block
    migrated.close()
    connection = sqlite3.connect(path)
    assert SCHEMA_VERSION == 5 == connection.execute("PRAGMA user_version").fetchone()[0]
    assert 1 == connection.execute("SELECT COUNT(*) FROM store_keys").fetchone()[0]
    assert [("ok",)] == connection.execute("PRAGMA integrity_check").fetchall()
    connection.close()
    reopened = SQLiteStorage(path)
    assert frozenset({"+33600000001"}) == reopened.blocked(["+33600000001", "+33600000002"])
    reopened.close()


def test_version_2_file_is_migrated_on_opening(tmp_path: Path) -> None:
    """A version-2 file opens: its rows are kept (its messages with no zone nor due time), its
    campaigns' evidence starts at zero, its layout becomes a new file's, and what version 3
    adds is written and read back, also after reopening."""
    path = tmp_path / "old.db"
    campaign, created = sample_campaign()
    store = SQLiteStorage(path)
    store.add_campaign(campaign, events=[created])
    messages = sample_messages(campaign, 10)
    store.add_messages(messages)
    store.update_message(messages[0].submit(at=T0, provider_message_id="p-0"))
    store.record_reply(
        Reply(id="r", recipient=messages[1].recipient, at=T0, text="hi", campaign_id=campaign.id)
    )
    store.block(messages[1].recipient, reason="hard_bounce", at=T0)
    expected = report_for(store, campaign.id).to_dict()
    store.close()
    make_version_2(path)
    rows = [line for line in dump(path) if line.startswith("INSERT")]

    migrated = SQLiteStorage(path)
    assert expected == report_for(migrated, campaign.id).to_dict()
    assert rows == [
        as_version_2(line) for line in dump_as_version_3(path) if line.startswith("INSERT")
    ]
    assert Evidence(campaign_id=campaign.id) == migrated.evidence(campaign.id)
    stored = migrated.get_message(messages[2].id)
    assert (None, None) == (stored.zone, stored.due_at)
    started = campaign.start(at=T0)
    migrated.update_campaign(started.campaign, events=[started.event])
    due = migrated.update_message(stored.wait_until(T0, zone="Europe/Paris"))
    migrated.commit(Change(evidence=[Evidence(campaign_id=campaign.id, delivered=4)]))
    migrated.close()
    SQLiteStorage(tmp_path / "new.db").close()
    assert layout(tmp_path / "new.db") == layout(path)
    connection = sqlite3.connect(path)
    assert SCHEMA_VERSION == connection.execute("PRAGMA user_version").fetchone()[0]
    assert [("ok",)] == connection.execute("PRAGMA integrity_check").fetchall()
    connection.close()
    reopened = SQLiteStorage(path)
    assert [due] == list(reopened.iter_due(T0))
    assert Evidence(campaign_id=campaign.id, delivered=4) == reopened.evidence(campaign.id)
    assert 3 == reopened.forget(messages[1].recipient)  # a message, a reply and a block
    reopened.close()


def test_version_3_file_is_migrated_on_opening(tmp_path: Path) -> None:
    """A version-3 file opens: each message's shape gains its attempts and failed attempts,
    counted from its stored attempts, so the report bills every submission (a retry after a
    soft bounce, the failed first send of a message a retry delivered) as a new file does;
    the other columns are kept, and the counts equal a new file's."""
    path = tmp_path / "old.db"
    campaign, created = sample_campaign()
    store = SQLiteStorage(path)
    store.add_campaign(campaign, events=[created])
    messages = sample_messages(campaign, 6)
    store.add_messages(messages)
    retried = (
        messages[0]
        .submit(at=T0, provider_message_id="p-0")
        .requeue(BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE)
        .submit(at=T0, provider_message_id="p-0b")
        .deliver(at=T0)
    )
    failed = (
        messages[1]
        .submit(at=T0, provider_message_id="p-1")
        .requeue(BounceReason.PROVIDER_UNKNOWN_FAILURE)
        .submit(at=T0, provider_message_id="p-1b")
        .soft_bounce(BounceReason.PROVIDER_UNKNOWN_FAILURE, at=T0)
    )
    hard = messages[2].submit(at=T0, provider_message_id="p-2")
    hard = hard.hard_bounce(BounceReason.OPTED_OUT_EARLIER, at=T0)
    for message in (retried, failed, hard):
        store.update_message(message)
    expected = report_for(store, campaign.id)
    counts = store.campaign_counts(campaign.id)
    store.close()
    assert (5, 4, 1) == (
        expected.totals.submissions,
        expected.totals.failed_submissions,
        expected.compensable.count if expected.compensable else None,
    )
    make_version_3(path)
    rows = [line for line in dump(path) if line.startswith("INSERT")]

    migrated = SQLiteStorage(path)
    assert expected.to_dict() == report_for(migrated, campaign.id).to_dict()
    assert counts == migrated.campaign_counts(campaign.id)
    migrated.close()
    assert rows == [line for line in dump_as_version_3(path) if line.startswith("INSERT")]
    assert_like_a_new_file(path, tmp_path / "new.db")


def counted(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The file's message_counts rows (but empty cells), and its messages grouped the same way."""
    connection = sqlite3.connect(path)
    try:
        return (
            connection.execute(
                "SELECT campaign_id, status, shape, messages FROM message_counts "
                "WHERE messages > 0 ORDER BY 1, 2, 3"
            ).fetchall(),
            connection.execute(
                "SELECT campaign_id, status, shape, COUNT(*) FROM messages "
                "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
            ).fetchall(),
        )
    finally:
        connection.close()


def test_version_4_file_is_migrated_on_opening(tmp_path: Path) -> None:
    """A version-4 file opens: its messages are counted per campaign, status and shape into the
    counts table, which the report then reads; its rows are kept, its layout becomes a new
    file's, and later changes keep the counts equal to the messages."""
    path = tmp_path / "old.db"
    store = SQLiteStorage(path)
    campaigns = []
    for name in ("first", "second"):
        campaign, created = sample_campaign(name)
        store.add_campaign(campaign, events=[created])
        messages = sample_messages(campaign, 8)
        store.add_messages(messages)
        store.update_message(messages[0].submit(at=T0, provider_message_id=f"{name}-0"))
        store.update_message(
            messages[1].submit(at=T0, provider_message_id=f"{name}-1").deliver(at=T0)
        )
        store.update_message(
            messages[2]
            .submit(at=T0, provider_message_id=f"{name}-2")
            .soft_bounce(BounceReason.PROVIDER_UNKNOWN_FAILURE, at=T0)
        )
        campaigns.append((campaign, messages))
    expected = {c.id: report_for(store, c.id).to_dict() for c, _ in campaigns}
    store.close()
    make_version_4(path)
    rows = [line for line in dump(path) if line.startswith("INSERT")]

    migrated = SQLiteStorage(path)
    assert expected == {c.id: report_for(migrated, c.id).to_dict() for c, _ in campaigns}
    migrated.close()
    assert rows == [
        line for line in dump(path) if line.startswith("INSERT") and "message_counts" not in line
    ]
    cells, grouped = counted(path)
    assert cells == grouped
    assert 16 == sum(n for *_, n in cells)
    assert {"queued", "processing", "delivered", "soft_bounce"} == {c[1] for c in cells}
    assert_like_a_new_file(path, tmp_path / "new.db")
    reopened = SQLiteStorage(path)
    (campaign, messages) = campaigns[0]
    sent = reopened.update_message(reopened.get_message(messages[0].id).deliver(at=T0))
    reopened.close()
    assert "delivered" == sent.status.value
    assert counted(path)[0] == counted(path)[1]


def opened_with_messages(path: Path, count: int) -> tuple[SQLiteStorage, Campaign, list[Message]]:
    """A new store at ``path`` with the sample campaign and ``count`` of its messages, queued."""
    store = SQLiteStorage(path)
    campaign, created = sample_campaign()
    store.add_campaign(campaign, events=[created])
    messages = sample_messages(campaign, count)
    store.add_messages(messages)
    return store, campaign, messages


def test_counts_follow_every_write_of_a_message(tmp_path: Path) -> None:
    """message_counts equals the messages grouped by campaign, status and shape after inserts,
    single and batch compare-and-sets (known to the connection or read from the file), a
    refused batch (nothing counted) and a change of lists."""
    path = tmp_path / "s.db"
    store, _, messages = opened_with_messages(path, 12)
    cells, grouped = counted(path)
    assert cells == grouped
    assert [12] == [sum(c[3] for c in cells if c[1] == "queued")]
    submitted = [m.submit(at=T0, provider_message_id=f"p-{n}") for n, m in enumerate(messages)]
    store.commit(Change(messages=submitted[:6]))  # read from the file: the store never saw them
    store.commit(Change(messages=submitted[6:7]))
    assert counted(path)[0] == counted(path)[1]
    stored = store.get_messages([m.id for m in submitted[:6]])
    store.commit(Change(messages=[m.deliver(at=T0) for m in stored.values()]))  # known
    other = SQLiteStorage(path)  # another connection: this one's view is of no use to it
    stale = store.get_message(submitted[6].id)
    other.update_message(other.get_message(submitted[6].id).deliver(at=T0))
    with pytest.raises(ConflictError):
        store.commit(Change(messages=[stale.deliver(at=T0), store.get_message(submitted[7].id)]))
    fresh = SQLiteStorage(path)  # knows none of them: their stored cells are read
    with pytest.raises(ConflictError):
        fresh.commit(Change(messages=[stale.deliver(at=T0), store.get_message(submitted[7].id)]))
    fresh.close()
    assert counted(path)[0] == counted(path)[1]
    moved = store.get_message(submitted[8].id)
    store.update_message(attrs.evolve(moved, list_ids=("another list",)))
    other.close()
    store.close()
    cells, grouped = counted(path)
    assert cells == grouped
    assert {"queued": 5, "processing": 0, "delivered": 7} == {
        status: sum(n for _, s, _, n in cells if s == status)
        for status in ("queued", "processing", "delivered")
    }


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        ("DELETE FROM message_counts", "a count to lower is missing"),
        ("UPDATE message_counts SET messages = 0", "CHECK constraint failed"),
    ],
)
def test_counts_that_no_longer_match_refuse_the_change(
    tmp_path: Path, damage: str, match: str
) -> None:
    """A counts table changed behind the store's back (a row deleted, a count lowered) cannot
    drift further: a change that would lower a missing or empty count is refused whole, with
    StorageError, and the message is left as it was."""
    path = tmp_path / "s.db"
    store, _, (message,) = opened_with_messages(path, 1)
    set_pragma(path, damage)
    with pytest.raises(StorageError, match=match):
        store.update_message(message.submit(at=T0, provider_message_id="p-0"))
    assert message == store.get_message(message.id)
    store.close()


def index_columns(path: Path) -> dict[str, list[str]]:
    """The columns of each index of the messages table."""
    connection = sqlite3.connect(path)
    try:
        names = [row[1] for row in connection.execute("PRAGMA index_list(messages)")]
        return {
            name: [
                row[2] for row in connection.execute("SELECT * FROM pragma_index_info(?)", (name,))
            ]
            for name in names
        }
    finally:
        connection.close()


def test_damaged_version_1_file_is_refused(tmp_path: Path) -> None:
    """A version-1 file missing a table is refused before any migration, unchanged."""
    refused_before_migrating(tmp_path / "old.db", make_version_1)


def test_damaged_version_4_file_is_refused(tmp_path: Path) -> None:
    """A version-4 file missing a table is refused before any migration, unchanged."""
    refused_before_migrating(tmp_path / "old.db", make_version_4)


def test_damaged_version_2_file_is_refused(tmp_path: Path) -> None:
    """A version-2 file missing a table is refused before any migration, unchanged."""
    refused_before_migrating(tmp_path / "old.db", make_version_2)


def refused_before_migrating(path: Path, make_old: Callable[[Path], None]) -> None:
    """An older file (``make_old``) missing a table: SchemaError, and the file unchanged."""
    SQLiteStorage(path).close()
    make_old(path)
    set_pragma(path, "DROP TABLE orphans")
    before = dump(path)
    with pytest.raises(SchemaError, match="missing \\['orphans'\\]"):
        SQLiteStorage(path)
    assert before == dump(path)


def test_missing_salt_is_refused(tmp_path: Path) -> None:
    """A current file whose salt was deleted is damaged: forgotten numbers could no longer be
    recognised, so it is refused rather than given a new salt."""
    path = tmp_path / "s.db"
    SQLiteStorage(path).close()
    set_pragma(path, "DELETE FROM store_keys")
    with pytest.raises(SchemaError, match="salt is missing"):
        SQLiteStorage(path)


def test_each_store_has_its_own_salt(tmp_path: Path) -> None:
    """Two stores give one number different pseudonyms: hashes cannot be compared across."""
    aliases = []
    for name in ("a.db", "b.db"):
        store = SQLiteStorage(tmp_path / name)
        campaign, _ = sample_campaign()
        store.add_campaign(campaign)
        (message,) = sample_messages(campaign, 1)
        store.add_messages([message])
        store.forget(message.recipient)
        aliases.append(store.get_message(message.id).recipient)
        store.close()
    assert aliases[0] != aliases[1]


# waiting for other writers: bounded, then a typed error ------------------------------------


def test_busy_wait_is_bounded_by_the_timeout(tmp_path: Path) -> None:
    """A write against a lock that is never released fails with StorageBusyError after about
    ``timeout`` seconds in all (BUSY_ATTEMPTS attempts of timeout / BUSY_ATTEMPTS each), never
    with sqlite3's "database is locked", and writes nothing."""
    path = tmp_path / "s.db"
    timeout = 1.0
    store = SQLiteStorage(path, timeout=timeout)
    campaign, _ = sample_campaign()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(StorageBusyError) as caught:
            store.add_campaign(campaign)
        waited = time.monotonic() - started
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert timeout * 0.9 <= waited <= timeout + 1.5
    assert timeout == caught.value.waited_seconds
    assert "nothing was written" in str(caught.value)
    assert [] == store.list_campaigns()
    store.close()


def test_busy_writer_retries_until_the_lock_is_free(tmp_path: Path) -> None:
    """A lock held longer than one attempt's wait but less than the timeout: the write is
    retried and succeeds."""
    path = tmp_path / "s.db"
    store = SQLiteStorage(path, timeout=4.0)  # 1 s per attempt
    campaign, _ = sample_campaign()
    blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    release = threading.Timer(1.5, lambda: blocker.execute("ROLLBACK"))
    release.start()
    try:
        store.add_campaign(campaign)
    finally:
        release.join()
        blocker.close()
    assert campaign == store.get_campaign(campaign.id)
    store.close()


def test_reads_see_what_another_store_on_the_file_committed(tmp_path: Path) -> None:
    """A store answers its reads from what it read or wrote last only while no other connection
    has committed: a campaign, a message, its provider id, evidence and orphans changed through
    another store on the same file are read as they are now."""
    path = tmp_path / "s.db"
    mine, theirs = SQLiteStorage(path), SQLiteStorage(path)
    campaign, created = sample_campaign()
    mine.add_campaign(campaign, events=[created])
    (message,) = sample_messages(campaign, 1)
    mine.add_messages([message])
    sent = mine.commit(Change(messages=[message.submit(at=T0, provider_message_id="p1")])).messages[
        0
    ]
    # Read (and written) through mine: now changed through theirs.
    assert mine.get_campaign(campaign.id) == campaign
    assert mine.get_message(message.id) == sent
    assert mine.find_messages_by_provider_ids(["p1"]) == {"p1": sent}
    assert mine.evidence(campaign.id) == Evidence(campaign_id=campaign.id)
    assert mine.orphans(["p2"]) == []
    started = campaign.start(at=T0)
    delivered = sent.deliver(at=T0 + timedelta(seconds=5))
    theirs.commit(
        Change(
            campaigns=[started.campaign],
            messages=[delivered],
            evidence=[Evidence(campaign_id=campaign.id, delivered=1)],
            orphans=[Orphan(provider_message_id="p2", report={"id": "p2"}, received_at=T0)],
        )
    )
    assert mine.get_campaign(campaign.id) == theirs.get_campaign(campaign.id)
    assert mine.get_campaign(campaign.id).version == campaign.version + 1
    assert mine.get_message(message.id) == delivered._replace(version=delivered.version + 1)
    assert mine.find_messages_by_provider_ids(["p1"]) == {"p1": mine.get_message(message.id)}
    assert mine.evidence(campaign.id) == Evidence(campaign_id=campaign.id, delivered=1)
    assert [o.provider_message_id for o in mine.orphans(["p2"])] == ["p2"]
    mine.close()
    theirs.close()


def test_a_store_reads_its_own_commits_exactly(tmp_path: Path) -> None:
    """After each commit, what the store reads is what a fresh store opening the file reads:
    messages and campaigns as stored, evidence added up, restarted, and after a failed
    commit and a forget()."""
    path = tmp_path / "s.db"
    store = SQLiteStorage(path)
    campaign, created = sample_campaign()
    store.add_campaign(campaign, events=[created])
    messages = sample_messages(campaign, 3)
    store.add_messages(messages)

    def same_as_fresh() -> None:
        fresh = SQLiteStorage(path)
        assert fresh.get_campaign(campaign.id) == store.get_campaign(campaign.id)
        assert fresh.evidence(campaign.id) == store.evidence(campaign.id)
        for m in messages:
            assert fresh.get_message(m.id) == store.get_message(m.id)
        ids = [f"p{i}" for i in range(3)]
        assert fresh.find_messages_by_provider_ids(ids) == store.find_messages_by_provider_ids(ids)
        fresh.close()

    started = campaign.start(at=T0)
    store.commit(Change(campaigns=[started.campaign], events=[started.event]))
    store.evidence(campaign.id)  # read: then added to by the commits below
    for index, message in enumerate(messages):
        sent = store.commit(
            Change(messages=[message.submit(at=T0, provider_message_id=f"p{index}")])
        ).messages[0]
        store.commit(
            Change(
                messages=[sent.deliver(at=T0 + timedelta(seconds=1))],
                evidence=[Evidence(campaign_id=campaign.id, delivered=1)],
            )
        )
        same_as_fresh()
    assert store.evidence(campaign.id).delivered == 3
    store.commit(Change(evidence=[Evidence(campaign_id=campaign.id, hard_bounces=2, restart=True)]))
    assert store.evidence(campaign.id) == Evidence(campaign_id=campaign.id, hard_bounces=2)
    same_as_fresh()
    stale = messages[0]  # version 0: refused, nothing written
    with pytest.raises(ConflictError):
        store.commit(
            Change(
                messages=[stale],
                evidence=[Evidence(campaign_id=campaign.id, delivered=5)],
            )
        )
    same_as_fresh()
    store.forget(messages[0].recipient)
    assert store.get_message(messages[0].id).recipient != messages[0].recipient
    same_as_fresh()
    store.close()


def test_attempt_rows_of_every_length_read(tmp_path: Path) -> None:
    """An attempt is a JSON array of five elements (the first rows), six (a message sent in
    parts) or seven (the provider that decided it, after the parts or a ``null``): rows of
    each length, as earlier versions wrote them, read (no schema change)."""
    campaign, created = sample_campaign("rows")
    at = T0 + timedelta(minutes=1)
    first, second, third = (
        m.submit(at=at, provider_message_id=f"{m.id}-1") for m in sample_messages(campaign, 3)
    )
    path = tmp_path / "rows.db"
    store = SQLiteStorage(path)
    store.add_campaign(campaign, events=[created])
    store.add_messages([first, second, third])
    store.close()
    written = {
        first.id: f'[[1,1772528400000000,"{first.id}-1",null,null]]',
        second.id: f'[[1,1772528400000000,"{second.id}-1",null,null,'
        f'[["{second.id}-1",null,null],["{second.id}-2",null,null]]]]',
        third.id: f'[[1,1772528400000000,"{third.id}-1","pending","27",null,"brevo"]]',
    }
    connection = sqlite3.connect(path)
    with connection:
        for message_id, attempts in written.items():
            connection.execute(
                "UPDATE messages SET attempts = ? WHERE id = ?", (attempts, message_id)
            )
    connection.close()
    store = SQLiteStorage(path)
    read = [store.get_message(m.id).attempts[0] for m in (first, second, third)]
    store.close()
    assert [(None, 0), (None, 2), ("brevo", 0)] == [(a.provider, len(a.parts)) for a in read]
    assert "27" == read[2].provider_error_code
