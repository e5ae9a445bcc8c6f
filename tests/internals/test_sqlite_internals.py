"""The SQLite store's connection wrapper: busy reads retried a bounded number of times, and the
errors of a transaction that cannot begin, typed; a commit failing at each of its statements."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sms_campaign_stats.errors import SchemaError, StorageBusyError, StorageError
from sms_campaign_stats.storage import Change, Evidence, SQLiteStorage
from sms_campaign_stats.storage.sqlite._database import (
    BUSY_ATTEMPTS,
    WAL_AUTOCHECKPOINT_PAGES,
    Database,
)
from sms_campaign_stats.storage.sqlite._view import (
    CACHED_CAMPAIGNS,
    CACHED_MESSAGES,
    CACHED_PROVIDER_IDS,
    ProviderIds,
    View,
)
from sms_campaign_stats.testing import T0, sample_campaign, sample_messages
from sms_campaign_stats.testing._storage import _World


def test_busy_reads_are_retried_a_bounded_number_of_times(tmp_path: Path) -> None:
    """A read that meets "database is locked" is run again, BUSY_ATTEMPTS times at most."""
    database = Database(str(tmp_path / "d.db"), timeout=0.1, synchronous="NORMAL")
    calls: list[int] = []

    def flaky(connection: sqlite3.Connection) -> int:
        calls.append(1)
        if len(calls) < BUSY_ATTEMPTS:
            raise sqlite3.OperationalError("database is locked")
        return int(connection.execute("SELECT 42").fetchone()[0])

    assert 42 == database.read(flaky)
    assert BUSY_ATTEMPTS == len(calls)

    def locked(connection: sqlite3.Connection) -> int:
        calls.append(1)
        raise sqlite3.OperationalError("database is locked")

    calls.clear()
    with pytest.raises(StorageBusyError):
        database.read(locked)
    assert BUSY_ATTEMPTS == len(calls)
    database.close()


def test_begin_errors_other_than_busy_are_typed(tmp_path: Path) -> None:
    """A transaction that cannot begin for another reason is a StorageError at once."""
    database = Database(str(tmp_path / "d.db"), timeout=0.1, synchronous="NORMAL")
    connection = database.connection()
    connection.execute("BEGIN")  # already in a transaction: BEGIN fails, not as busy
    with (
        pytest.raises(StorageError, match="within a transaction"),
        database.transaction(write=True),
    ):
        pass  # pragma: no cover - never reached
    connection.execute("ROLLBACK")
    database.close()


def test_begin_on_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    """A transaction that cannot begin because the file is garbage is a SchemaError."""
    path = tmp_path / "junk.db"
    path.write_bytes(b"not a database " * 300)
    database = Database(str(path), timeout=0.1, synchronous="NORMAL")
    with (
        pytest.raises(SchemaError, match="not a readable SQLite database"),
        database.transaction(write=True),
    ):
        pass  # pragma: no cover - never reached
    database.close()


# A failure at each statement of a commit: a trigger of the file raises there. The writes
# before it in the same transaction (and the rows before it in the same statement) are undone.
FAILING_STATEMENTS = {
    "new campaign": "BEFORE INSERT ON campaigns",
    "campaign compare-and-set": "BEFORE UPDATE ON campaigns",
    "the last new message": "BEFORE INSERT ON messages WHEN NEW.id = 'imported'",
    "provider id": "BEFORE INSERT ON provider_ids",
    "message compare-and-set": "BEFORE UPDATE OF status ON messages",
    "history": "BEFORE INSERT ON timeline",
    "reply": "BEFORE INSERT ON replies",
    "opt-out": "BEFORE INSERT ON unsubscribes",
    "block": "BEFORE INSERT ON blocklist",
    "orphan taken": "BEFORE DELETE ON orphans",
    "orphan kept": "BEFORE INSERT ON orphans",
    "evidence restarted": "BEFORE UPDATE ON evidence",
    "completion": "BEFORE UPDATE OF status ON campaigns WHEN NEW.status = 'completed'",
}


@pytest.mark.parametrize("statement", sorted(FAILING_STATEMENTS))
def test_a_commit_failing_at_any_statement_leaves_the_file_unchanged(
    tmp_path: Path, statement: str
) -> None:
    """A change of every kind of item whose commit fails at one statement (a trigger refuses
    it): a StorageError, the file exactly as before, and the same change written after."""
    path = tmp_path / "s.db"
    store = SQLiteStorage(path)
    campaign, created = sample_campaign()
    store.add_campaign(campaign, events=[created])
    world = _World.stored(store, campaign)
    change = world.everything()
    connection = sqlite3.connect(path)
    connection.execute(
        f"CREATE TRIGGER failing {FAILING_STATEMENTS[statement]} "
        "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
    )
    connection.commit()
    before = list(connection.iterdump())
    with pytest.raises(StorageError):
        store.commit(change)
    assert before == list(connection.iterdump())
    connection.execute("DROP TRIGGER failing")
    connection.commit()
    connection.close()
    committed = store.commit(change)
    assert (world.other.id,) == tuple(c.id for c in committed.completed)
    store.close()


def test_failures_the_database_finds_are_typed(tmp_path: Path) -> None:
    """A value SQLite refuses as it writes it is a StorageError saying nothing was written."""
    store = SQLiteStorage(tmp_path / "s.db")
    campaign, created = sample_campaign()
    store.add_campaign(campaign, events=[created])
    too_many = Change(evidence=[Evidence(campaign_id=campaign.id, delivered=2**63)])
    with pytest.raises(StorageError, match="nothing was written"):
        store.commit(too_many)
    assert Evidence(campaign_id=campaign.id) == store.evidence(campaign.id)
    store.close()


def _statements(store: SQLiteStorage) -> list[str]:
    """The statements the store's connection (this thread's) runs from now on."""
    seen: list[str] = []
    store._database.connection().set_trace_callback(seen.append)
    return seen


def test_writable_connections_checkpoint_every_10000_pages(tmp_path: Path) -> None:
    """The automatic checkpoint (three fdatasync calls) comes every WAL_AUTOCHECKPOINT_PAGES."""
    store = SQLiteStorage(tmp_path / "s.db", durability="normal")
    connection = store._database.connection()
    assert WAL_AUTOCHECKPOINT_PAGES == 10_000
    assert WAL_AUTOCHECKPOINT_PAGES == connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    assert 1 == connection.execute("PRAGMA synchronous").fetchone()[0]  # NORMAL, as asked
    assert 1 == connection.execute("PRAGMA secure_delete").fetchone()[0]
    assert 1 == connection.execute("PRAGMA foreign_keys").fetchone()[0]
    store.close()


def test_reads_again_are_one_statement_until_another_connection_commits(tmp_path: Path) -> None:
    """The engine's reads of one event (message, campaign, evidence, orphans, a provider id),
    read again with nothing committed meanwhile: one ``PRAGMA data_version`` each."""
    path = tmp_path / "s.db"
    store = SQLiteStorage(path)
    campaign, created = sample_campaign()
    store.add_campaign(campaign, events=[created])
    (message,) = sample_messages(campaign, 1)
    store.add_messages([message])
    store.commit(Change(messages=[message.submit(at=T0, provider_message_id="p1")]))

    def reads() -> None:
        store.get_message(message.id)
        store.get_campaign(campaign.id)
        store.evidence(campaign.id)
        store.orphans(["p1"])
        store.find_messages_by_provider_ids(["p1"])

    reads()
    seen = _statements(store)
    reads()
    assert ["PRAGMA data_version"] * 5 == seen
    other = sqlite3.connect(path)  # another connection commits: everything is read again
    other.execute("UPDATE campaigns SET name = 'renamed'")
    other.commit()
    other.close()
    seen.clear()
    reads()
    assert 5 < len(seen)
    assert "renamed" == store.get_campaign(campaign.id).name
    store.close()


def test_a_delivery_report_does_not_record_its_provider_id_again(tmp_path: Path) -> None:
    """A submission records its provider id; the report that follows keeps the attempt's id,
    which is known recorded: no statement on provider_ids."""
    store = SQLiteStorage(tmp_path / "s.db")
    campaign, created = sample_campaign()
    store.add_campaign(campaign, events=[created])
    (message,) = sample_messages(campaign, 1)
    store.add_messages([message])
    seen = _statements(store)
    (sent,) = store.commit(
        Change(messages=[message.submit(at=T0, provider_message_id="p1")])
    ).messages
    assert 1 == sum("provider_ids" in s for s in seen)
    seen.clear()
    store.commit(Change(messages=[sent.deliver(at=T0)]))
    assert not [s for s in seen if "provider_ids" in s]
    assert {"p1": store.get_message(message.id)} == SQLiteStorage(
        tmp_path / "s.db"
    ).find_messages_by_provider_ids(["p1"])
    store.close()


def test_a_failing_view_update_never_fails_a_committed_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Updating the view after COMMIT fails: the commit still returns, the view is emptied and
    the next reads read the file."""
    store = SQLiteStorage(tmp_path / "s.db")
    campaign, created = sample_campaign()
    store.add_campaign(campaign, events=[created])
    (message,) = sample_messages(campaign, 1)
    store.add_messages([message])
    store.get_message(message.id)

    def broken(*args: object) -> None:
        raise RuntimeError("a bug in the view")

    monkeypatch.setattr(SQLiteStorage, "_keep", broken)
    (sent,) = store.commit(
        Change(messages=[message.submit(at=T0, provider_message_id="p")])
    ).messages
    assert sent == store.get_message(message.id)
    store.close()


def test_views_and_provider_ids_are_bounded() -> None:
    """A view keeps the CACHED_MESSAGES messages used last; campaigns, evidence and provider
    ids are emptied when full."""
    campaign, _ = sample_campaign()
    view = View()
    messages = sample_messages(campaign, CACHED_MESSAGES + 1)
    for m in messages:
        view.keep_message(m)
        if m is messages[1]:
            assert messages[0] == view.message(messages[0].id)  # used: kept
    assert CACHED_MESSAGES == len(view.messages)
    assert view.message(messages[1].id) is None  # the least recently used
    assert messages[0] == view.message(messages[0].id)
    for index in range(CACHED_CAMPAIGNS + 1):
        view.keep_evidence(Evidence(campaign_id=f"c{index}"))
    assert len(view.evidence) <= CACHED_CAMPAIGNS
    owners = ProviderIds()
    for index in range(CACHED_PROVIDER_IDS + 1):
        owners.keep(f"p{index}", f"m{index}")
    assert len(owners) <= CACHED_PROVIDER_IDS
    view.clear()
    assert not view.messages
    assert not view.campaigns
    assert not view.evidence
    assert view.orphans_empty is None
