"""Connections and transactions for ``SQLiteStorage``: per thread, per process, bounded waits.

Waiting for other writers is bounded: a transaction is begun at most ``BUSY_ATTEMPTS`` times, each
attempt letting SQLite's busy handler wait up to ``timeout / BUSY_ATTEMPTS`` seconds for the lock
(SQLite can also answer "busy" at once, without waiting, e.g. while another connection recovers
the WAL: the next attempt covers that). A read that meets a busy database is run again the same
number of times. After the last attempt ``StorageBusyError`` is raised and nothing was written:
the whole wait is bounded by ``timeout`` (plus the time of the statements themselves), and no
clock is read here, SQLite does the waiting.

Every sqlite3 error leaves here as one of the library's errors: ``StorageBusyError`` when the lock
was not obtained in time, ``SchemaError`` for a file that is not a database, ``StorageError``
for anything else the database refused (integrity errors are left to the caller, which knows
what they mean).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from sms_campaign_stats.errors import SchemaError, StorageBusyError, StorageError
from sms_campaign_stats.storage.sqlite._view import View

__all__ = ["BUSY_ATTEMPTS", "PAGE_SIZE", "WAL_AUTOCHECKPOINT_PAGES", "Database", "Transaction"]

T = TypeVar("T")

# Stands for the lock of a file's store, which has none (a connection per thread).
_UNLOCKED = contextlib.nullcontext()

#: How many times a transaction is begun (and a read run) before ``StorageBusyError``.
BUSY_ATTEMPTS = 4

#: Bytes per page of a file this library creates (SQLite's default is 4,096; a file keeps the
#: size it was created with, so older files keep theirs). A commit writes every page it changed,
#: whole, to the WAL and checksums it: the engine commits every event, and an event changes 6 to 8
#: pages of 4 KiB (the message's row, its entries in several indexes, its provider id, the
#: evidence), 7 to 10 of 1 KiB: a third of the bytes to write and checksum (about 5 us a page at
#: 4,096 bytes, 2 at 1,024, measured). The demo at 10,000 recipients: 6.6 -> 6.1 s. Scans read
#: more pages: on 200,000 messages, ``report_for`` 20.5 -> 23.8 ms and ``add_messages`` about
#: 8% longer (see docs/performance.md).
PAGE_SIZE = 1024

#: Pages the WAL may hold before a commit copies them into the database file (SQLite's
#: automatic checkpoint; its default is 1,000). A checkpoint syncs the WAL and the database
#: file, and the first commit after it syncs the new WAL header: three ``fdatasync`` calls of a
#: few milliseconds each, mostly whatever the number of pages. The engine commits every event
#: (about seven pages each), so at 1,000 pages a checkpoint came every ~150 events: the demo at
#: 10,000 recipients made 457 ``fdatasync`` calls (1.5 s of waiting on a loaded machine); at
#: 10,000 pages, 55 (0.55 s), and pages written many times between two checkpoints are copied
#: once. The WAL file grows to about 10 MB (``PAGE_SIZE``; 40 MB in a file of 4 KiB pages) while
#: the store is open. Durability is unchanged: a committed change is in the WAL (synced at commit
#: with ``durability="full"``) whether or not it has been copied yet.
WAL_AUTOCHECKPOINT_PAGES = 10_000


def _is_busy(error: sqlite3.DatabaseError) -> bool:
    if not isinstance(error, sqlite3.OperationalError):
        return False
    text = str(error).lower()
    return "locked" in text or "busy" in text


#: SQLite's extended codes for a read-only WAL database whose shared-memory file cannot be
#: created (SQLITE_READONLY_CANTINIT, SQLITE_READONLY_DIRECTORY).
_CANNOT_SHARE_MEMORY = frozenset({1288, 1544})


class Transaction:
    """``Database.transaction``'s context manager. A class, not ``contextlib.contextmanager``:
    the engine writes every event in its own transaction, and a generator-based context costs
    a few microseconds more each time."""

    __slots__ = ("_connection", "_database", "_lock", "_on_commit", "_write")

    def __init__(
        self, database: Database, write: bool, on_commit: Callable[[View], None] | None
    ) -> None:
        self._database = database
        self._write = write
        self._on_commit = on_commit
        self._lock = database.shared_lock

    def __enter__(self) -> sqlite3.Connection:
        lock = self._lock
        if lock is not None:
            lock.acquire()
        try:
            connection = self._connection = self._database.connection()
            self._database.begin(connection, "BEGIN IMMEDIATE" if self._write else "BEGIN")
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return connection

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if error is None:
                try:
                    self._connection.execute("COMMIT")
                except BaseException as failed:
                    self._undo(failed)
                    raise
                if self._write:
                    database = self._database
                    database.after_commit(database.view_of(self._connection), self._on_commit)
                return
            self._undo(error)
        finally:
            if self._lock is not None:
                self._lock.release()

    def _undo(self, error: BaseException) -> None:
        """Roll back after ``error``; raise the library's error for an sqlite3 error (integrity
        errors are left to the caller, which knows what they mean), else let ``error`` go on."""
        database, connection = self._database, self._connection
        if self._write:
            database.view_of(connection).clear()
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        if isinstance(error, sqlite3.DatabaseError) and not isinstance(
            error, sqlite3.IntegrityError
        ):
            raise database.translate(error) from error


def _can_read(connection: sqlite3.Connection) -> bool:
    """Whether a read-only connection can read (False: its WAL index cannot be set up)."""
    try:
        connection.execute("PRAGMA application_id").fetchone()
    except sqlite3.OperationalError as error:
        code = getattr(error, "sqlite_errorcode", None)  # Python 3.11+
        if code in _CANNOT_SHARE_MEMORY or (code is None and "readonly" in str(error)):
            return False
        raise
    return True


class Database:
    """One SQLite file (or ``":memory:"``), opened lazily once per thread and per process."""

    def __init__(
        self, path: str, *, timeout: float, synchronous: str, read_only: bool = False
    ) -> None:
        self.path = path
        self.memory = path == ":memory:"
        #: Opened with a ``mode=ro`` URI: SQLite refuses every write, and so does ``transaction``.
        self.read_only = read_only
        self.timeout = timeout
        # SQLite's busy handler waits this long per attempt; BUSY_ATTEMPTS attempts in all.
        self.attempt_timeout = timeout / BUSY_ATTEMPTS
        self._synchronous = synchronous
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        # Each connection's view (``_view``): what it read or wrote, while no other commits.
        self._views: dict[sqlite3.Connection, View] = {}
        self._connections_lock = threading.Lock()
        self._closed = False
        # ":memory:" is one database per connection, so all threads share one connection and this
        # lock serialises its transactions. A file gets a connection per thread instead.
        self.shared_lock = threading.RLock() if self.memory else None

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (a forked child opens its own)."""
        if self._closed:
            raise StorageError(f"{self.path}: this SQLiteStorage is closed")
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid == os.getpid():
            return connection
        connection = self._connections[0] if self.memory and self._connections else self._open()
        self._local.connection = connection
        self._local.pid = os.getpid()
        return connection

    def _open(self) -> sqlite3.Connection:
        try:
            connection = self._connect(self._uri() if self.read_only else self.path)
            if self.read_only and not _can_read(connection):
                # A WAL database in a read-only directory (a read-only mount): SQLite cannot
                # create its shared-memory file, so the file is opened immutable, which it is.
                connection.close()
                connection = self._connect(self._uri() + "&immutable=1")
            if not self.read_only:  # before anything is read: a new file's, else ignored
                connection.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            connection.execute("PRAGMA foreign_keys = ON")
            # Deleted and overwritten content is zeroed on disk, not left in free space: what
            # forget() replaces leaves no copy (upstream's default is off; Debian's build turns
            # it on: set here, whatever the build).
            connection.execute("PRAGMA secure_delete = ON")
            connection.execute(f"PRAGMA synchronous = {self._synchronous}")
            connection.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
        except sqlite3.DatabaseError as error:
            raise self.translate(error) from error
        with self._connections_lock:
            self._connections.append(connection)
            self._views[connection] = View()
        return connection

    def _connect(self, target: str) -> sqlite3.Connection:
        return sqlite3.connect(
            target,
            timeout=self.attempt_timeout,
            isolation_level=None,
            check_same_thread=False,
            uri=self.read_only,
        )

    def _uri(self) -> str:
        """``file:/absolute/path?mode=ro``: the file opened read-only (on a read-only mount, a
        read-only file), never created."""
        return f"{Path(os.path.abspath(self.path)).as_uri()}?mode=ro"

    def translate(self, error: sqlite3.DatabaseError) -> StorageError:
        """The library's error for an sqlite3 error."""
        text = str(error)
        if _is_busy(error):
            return StorageBusyError(self.path, self.timeout)
        if "not a database" in text or "malformed" in text:
            return SchemaError(self.path, f"not a readable SQLite database ({text})")
        if "unable to open" in text:
            return StorageError(f"{self.path}: cannot open the database ({text})")
        return StorageError(f"{self.path}: {text}")

    def view(self, connection: sqlite3.Connection) -> View:
        """This connection's view, emptied first if another connection has committed since it
        was last looked at (``PRAGMA data_version``). Called with the connection in use (inside
        ``read_one``'s query or a transaction), so no other thread uses the view meanwhile."""
        view = self.view_of(connection)
        version = connection.execute("PRAGMA data_version").fetchone()[0]
        if version != view.data_version:
            view.clear()
            view.data_version = version
        return view

    def transaction(
        self, *, write: bool, on_commit: Callable[[View], None] | None = None
    ) -> Transaction:
        """One transaction: ``BEGIN IMMEDIATE`` (writes) or a consistent read snapshot.

        Committed if the block ends normally, rolled back otherwise. After a write commits,
        ``on_commit`` updates the connection's view with what was written (still holding the
        connection); without it, and after any failed write, the view is emptied.
        """
        if write and self.read_only:
            raise StorageError(f"{self.path}: opened read-only: nothing can be written")
        return Transaction(self, write, on_commit)

    def view_of(self, connection: sqlite3.Connection) -> View:
        # A store closed meanwhile by another thread has no views left: a throwaway one.
        return self._views.get(connection) or View()

    @staticmethod
    def after_commit(view: View, on_commit: Callable[[View], None] | None) -> None:
        """Keep what a committed write wrote in the view, or empty it. The view is a cache: a
        failure here empties it and never fails the write, which is committed."""
        if on_commit is None:
            view.clear()
            return
        try:
            on_commit(view)
        except Exception:  # a cache: the write is committed
            view.clear()

    def begin(self, connection: sqlite3.Connection, statement: str) -> None:
        """Begin a transaction, trying again while the database is busy, BUSY_ATTEMPTS times."""
        attempt = 1
        while True:
            try:
                connection.execute(statement)
                return
            except sqlite3.DatabaseError as error:
                if attempt == BUSY_ATTEMPTS or not _is_busy(error):
                    raise self.translate(error) from error
            attempt += 1

    def read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``query`` in one read transaction (a consistent snapshot of the database).

        A query that meets a busy database is run again, BUSY_ATTEMPTS times in all: ``query``
        must only read (and may fill caches).
        """
        attempt = 1
        while True:
            try:
                with self.transaction(write=False) as connection:
                    return query(connection)
            except StorageBusyError:
                if attempt == BUSY_ATTEMPTS:
                    raise
            attempt += 1

    def read_one(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``query``, ONE statement, outside an explicit transaction: a single statement is
        its own consistent snapshot, and the BEGIN and COMMIT around it would cost two more
        statements on every lookup of the engine's hot path. Busy: run again, as ``read``."""
        attempt = 1
        while True:
            try:
                with self.shared_lock or _UNLOCKED:
                    return query(self.connection())
            except sqlite3.DatabaseError as error:
                if attempt == BUSY_ATTEMPTS or not _is_busy(error):
                    raise self.translate(error) from error
            attempt += 1

    def use_wal(self) -> None:
        """Switch a file to write-ahead logging (persistent in the file); not when read-only."""
        if self.memory or self.read_only:
            return
        try:
            self.connection().execute("PRAGMA journal_mode = WAL")
        except sqlite3.DatabaseError as error:
            raise self.translate(error) from error

    def truncate_wal(self) -> bool:
        """Copy the whole WAL into the database file and truncate it to zero bytes
        (``PRAGMA wal_checkpoint(TRUNCATE)``), so that no page image of an older version is left
        in it. Another connection still reading an older snapshot makes it "busy": tried
        ``BUSY_ATTEMPTS`` times; whether it was done (always for ``":memory:"``)."""
        if self.memory:
            return True
        with self.shared_lock or _UNLOCKED:
            connection = self.connection()
            for _ in range(BUSY_ATTEMPTS):
                try:
                    busy = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                except sqlite3.DatabaseError as error:
                    if not _is_busy(error):
                        raise self.translate(error) from error
                    continue
                if not busy:
                    return True
        return False

    def close(self) -> None:
        """Close every connection; later use raises StorageError."""
        with self._connections_lock:
            self._closed = True
            for connection in self._connections:
                connection.close()
            self._connections.clear()
            self._views.clear()
