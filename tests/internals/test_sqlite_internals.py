"""The SQLite store's connection wrapper: busy reads retried a bounded number of times, and the
errors of a transaction that cannot begin, typed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sms_campaign_stats.errors import SchemaError, StorageBusyError, StorageError
from sms_campaign_stats.storage.sqlite._database import BUSY_ATTEMPTS, Database


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
