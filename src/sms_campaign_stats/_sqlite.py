"""``SQLiteStorage``: the embedded default store, on the standard library's ``sqlite3``.

* The schema is created and versioned by the library (``PRAGMA application_id`` marks our files,
  ``PRAGMA user_version`` holds the schema version). A file made by something else, or by a newer
  schema, is refused with ``SchemaError``: never a silent migration.
* WAL journal, a busy timeout, ``BEGIN IMMEDIATE`` for every write: one transaction per call, so a
  failed batch leaves the file exactly as before. ``synchronous=FULL`` by default (a committed
  batch survives a power cut); ``durability="normal"`` trades that for speed (a committed batch
  still survives a crash of the process).
* One connection per thread (and per process: a forked child opens its own).
* Parameterized SQL only. Aggregates are computed in SQL, in one read transaction.
* Times are stored as integer microseconds since the Unix epoch (UTC), money as decimal text:
  both round-trip exactly.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar

import attrs

from ._counts import CampaignCounts, Cell, CellKey, Engagement
from ._enums import BounceReason, MessageStatus
from ._privacy import mask_number
from .errors import (
    ConflictError,
    DuplicateError,
    NotFoundError,
    SchemaError,
    SmsCampaignStatsError,
    StorageBusyError,
    StorageError,
    ValidationError,
)
from .model import Attempt, Campaign, Message, Reply, TimelineEvent, Unsubscribe

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "SQLiteStorage"]

#: Marks a database file as ours: "SMSC" in ASCII.
APPLICATION_ID = 0x534D5343
#: The schema this version of the library writes and reads.
SCHEMA_VERSION = 1

_SCHEMA = (
    """CREATE TABLE campaigns (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        sender TEXT NOT NULL,
        content TEXT NOT NULL,
        list_ids TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        scheduled_at INTEGER,
        unit_price TEXT NOT NULL,
        currency TEXT NOT NULL,
        version INTEGER NOT NULL
    )""",
    """CREATE TABLE messages (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        campaign_id TEXT NOT NULL REFERENCES campaigns (id),
        recipient TEXT NOT NULL,
        list_ids TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        attempts TEXT,
        segments INTEGER NOT NULL,
        queued_at INTEGER NOT NULL,
        submitted_at INTEGER,
        final_at INTEGER,
        sent INTEGER NOT NULL,
        version INTEGER NOT NULL,
        UNIQUE (campaign_id, recipient)
    )""",
    # Covers the aggregate query: an index-only scan, grouped in index order.
    """CREATE INDEX messages_counts
        ON messages (campaign_id, status, reason, sent, list_ids, segments)""",
    """CREATE TABLE provider_ids (
        provider_message_id TEXT PRIMARY KEY,
        message_id TEXT NOT NULL REFERENCES messages (id)
    ) WITHOUT ROWID""",
    """CREATE TABLE timeline (
        seq INTEGER PRIMARY KEY,
        campaign_id TEXT NOT NULL REFERENCES campaigns (id),
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        details TEXT NOT NULL
    )""",
    "CREATE INDEX timeline_campaign ON timeline (campaign_id, seq)",
    """CREATE TABLE replies (
        id TEXT PRIMARY KEY,
        recipient TEXT NOT NULL,
        campaign_id TEXT REFERENCES campaigns (id),
        at INTEGER NOT NULL,
        text TEXT NOT NULL
    )""",
    "CREATE INDEX replies_campaign ON replies (campaign_id, recipient)",
    "CREATE INDEX replies_recipient ON replies (recipient, at)",
    """CREATE TABLE unsubscribes (
        id TEXT PRIMARY KEY,
        recipient TEXT NOT NULL,
        campaign_id TEXT REFERENCES campaigns (id),
        at INTEGER NOT NULL,
        keyword TEXT NOT NULL
    )""",
    "CREATE INDEX unsubscribes_campaign ON unsubscribes (campaign_id, recipient)",
    "CREATE INDEX unsubscribes_recipient ON unsubscribes (recipient, at)",
)
_TABLES = frozenset(
    {"campaigns", "messages", "provider_ids", "timeline", "replies", "unsubscribes"}
)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def _us(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _opt_us(moment: datetime | None) -> int | None:
    return None if moment is None else (moment - _EPOCH) // _MICROSECOND


def _dt(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _opt_dt(micros: int | None) -> datetime | None:
    return None if micros is None else _EPOCH + timedelta(microseconds=micros)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


_CAMPAIGN_COLUMNS = (
    "id, name, sender, content, list_ids, status, created_at, scheduled_at, unit_price, "
    "currency, version"
)
_MESSAGE_COLUMNS = (
    "id, campaign_id, recipient, list_ids, status, reason, attempts, segments, queued_at, "
    "submitted_at, final_at, sent, version"
)


def _campaign_row(c: Campaign) -> tuple[Any, ...]:
    return (
        c.id,
        c.name,
        c.sender,
        c.content,
        _json(list(c.list_ids)),
        c.status.value,
        _us(c.created_at),
        _opt_us(c.scheduled_at),
        str(c.unit_price),
        c.currency,
        c.version,
    )


def _campaign(row: sqlite3.Row | tuple[Any, ...]) -> Campaign:
    return Campaign(
        id=row[0],
        name=row[1],
        sender=row[2],
        content=row[3],
        list_ids=tuple(json.loads(row[4])),
        status=row[5],
        created_at=_dt(row[6]),
        scheduled_at=_opt_dt(row[7]),
        unit_price=Decimal(row[8]),
        currency=row[9],
        version=row[10],
    )


def _attempts_json(attempts: tuple[Attempt, ...]) -> str | None:
    if not attempts:
        return None
    return _json(
        [
            [
                a.number,
                _us(a.submitted_at),
                a.provider_message_id,
                None if a.outcome is None else a.outcome.value,
                a.provider_error_code,
            ]
            for a in attempts
        ]
    )


def _attempts(text: str | None) -> tuple[Attempt, ...]:
    if text is None:
        return ()
    return tuple(
        Attempt(
            number=number,
            submitted_at=_dt(submitted),
            provider_message_id=provider_id,
            outcome=outcome,
            provider_error_code=code,
        )
        for number, submitted, provider_id, outcome, code in json.loads(text)
    )


class _ListKeys:
    """Encodes list-id tuples as JSON text and back, each distinct value once."""

    def __init__(self) -> None:
        self._encoded: dict[tuple[str, ...], str] = {}
        self._decoded: dict[str, tuple[str, ...]] = {}

    def encode(self, ids: tuple[str, ...]) -> str:
        text = self._encoded.get(ids)
        if text is None:
            text = self._encoded[ids] = _json(list(ids))
        return text

    def decode(self, text: str) -> tuple[str, ...]:
        ids = self._decoded.get(text)
        if ids is None:
            ids = self._decoded[text] = tuple(json.loads(text))
        return ids


def _message_row(m: Message, list_key: Callable[[tuple[str, ...]], str]) -> tuple[Any, ...]:
    return (
        m.id,
        m.campaign_id,
        m.recipient,
        list_key(m.list_ids),
        m.status.value,
        None if m.bounce_reason is None else m.bounce_reason.value,
        _attempts_json(m.attempts),
        m.segments,
        _us(m.queued_at),
        _opt_us(m.submitted_at),
        _opt_us(m.final_at),
        int(m.sent),
        m.version,
    )


def _provider_pairs(message: Message) -> Iterator[tuple[str, str]]:
    for attempt in message.attempts:
        if attempt.provider_message_id is not None:
            yield attempt.provider_message_id, message.id


def _message(row: tuple[Any, ...], list_ids: Callable[[str], tuple[str, ...]]) -> Message:
    return Message(
        id=row[0],
        campaign_id=row[1],
        recipient=row[2],
        list_ids=list_ids(row[3]),
        status=row[4],
        bounce_reason=row[5],
        attempts=_attempts(row[6]),
        segments=row[7],
        queued_at=_dt(row[8]),
        submitted_at=_opt_dt(row[9]),
        final_at=_opt_dt(row[10]),
        sent=bool(row[11]),
        version=row[12],
    )


T = TypeVar("T")


def _fetch(sql: str, parameters: tuple[Any, ...], connection: sqlite3.Connection) -> list[Any]:
    return connection.execute(sql, parameters).fetchall()


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


class SQLiteStorage:
    """A store in one SQLite file (or ``":memory:"``, private to this object's connections).

    ``timeout`` bounds how long a write waits for another writer before ``StorageBusyError``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 10.0,
        durability: Literal["full", "normal"] = "full",
    ) -> None:
        if durability not in ("full", "normal"):
            raise ValidationError("SQLiteStorage.durability", "must be 'full' or 'normal'")
        if not timeout > 0:
            raise ValidationError("SQLiteStorage.timeout", "must be a positive number of seconds")
        self.path = os.fspath(path)
        self._memory = self.path == ":memory:"
        self._timeout = float(timeout)
        self._synchronous = durability.upper()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._closed = False
        self._list_keys = _ListKeys()
        # ":memory:" is one database per connection, so every thread shares one connection and
        # this lock serialises its transactions. Files get a connection per thread instead.
        self._shared_lock: threading.RLock | None = threading.RLock() if self._memory else None
        if not self._memory and Path(self.path).is_dir():
            raise StorageError(f"{self.path}: is a directory, not a database file")
        self._initialize(self._connection())

    def __repr__(self) -> str:
        return f"SQLiteStorage({self.path!r})"

    # connections and transactions ---------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StorageError(f"{self.path}: this SQLiteStorage is closed")
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid == os.getpid():
            return connection
        # ":memory:" is one database per connection: every thread shares the first one.
        connection = self._connections[0] if self._memory and self._connections else self._open()
        self._local.connection = connection
        self._local.pid = os.getpid()
        return connection

    def _open(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute(f"PRAGMA synchronous = {self._synchronous}")
        except sqlite3.DatabaseError as error:
            raise self._schema_error(error) from error
        with self._connections_lock:
            self._connections.append(connection)
        return connection

    def _schema_error(self, error: sqlite3.DatabaseError) -> StorageError:
        text = str(error)
        if "not a database" in text or "malformed" in text:
            return SchemaError(self.path, f"not a readable SQLite database ({text})")
        return StorageError(f"{self.path}: cannot open the database ({text})")

    def _initialize(self, connection: sqlite3.Connection) -> None:
        with self._transaction(connection, write=True):
            self._check_or_create_schema(connection)
        if not self._memory:
            try:
                connection.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError as error:
                raise StorageBusyError(self.path, self._timeout) from error

    def _check_or_create_schema(self, connection: sqlite3.Connection) -> None:
        try:
            application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        except sqlite3.DatabaseError as error:  # pragma: no cover - BEGIN fails first
            raise self._schema_error(error) from error
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if application_id == 0 and version == 0 and not tables:
            for statement in _SCHEMA:
                connection.execute(statement)
            connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return
        if application_id != APPLICATION_ID:
            raise SchemaError(self.path, "not an sms_campaign_stats database")
        if version > SCHEMA_VERSION:
            raise SchemaError(
                self.path,
                f"written with schema version {version}, newer than the {SCHEMA_VERSION} this "
                "version of sms_campaign_stats reads; upgrade the library to open it",
            )
        if version != SCHEMA_VERSION:
            raise SchemaError(
                self.path, f"unknown schema version {version}; no migration exists for it"
            )
        missing = _TABLES - tables
        if missing:
            raise SchemaError(self.path, f"damaged schema: missing {sorted(missing)}")

    @contextmanager
    def _transaction(
        self, connection: sqlite3.Connection | None = None, *, write: bool
    ) -> Iterator[sqlite3.Connection]:
        with (
            self._shared_lock or contextlib.nullcontext(),
            self._open_transaction(connection, write) as active,
        ):
            yield active

    @contextmanager
    def _open_transaction(
        self, connection: sqlite3.Connection | None, write: bool
    ) -> Iterator[sqlite3.Connection]:
        connection = connection or self._connection()
        try:
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.OperationalError as error:
            if _is_busy(error):
                raise StorageBusyError(self.path, self._timeout) from error
            raise self._schema_error(error) from error
        except sqlite3.DatabaseError as error:
            raise self._schema_error(error) from error
        try:
            yield connection
            connection.execute("COMMIT")
        except BaseException as error:
            connection.execute("ROLLBACK")
            if isinstance(error, sqlite3.OperationalError) and _is_busy(error):
                raise StorageBusyError(self.path, self._timeout) from error
            if isinstance(error, sqlite3.DatabaseError) and not isinstance(
                error, sqlite3.IntegrityError
            ):
                raise StorageError(f"{self.path}: {error}") from error
            raise

    def _read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        with self._transaction(write=False) as connection:
            return query(connection)

    # campaigns ---------------------------------------------------------------------------

    def _require_campaigns(self, connection: sqlite3.Connection, ids: Iterable[str]) -> None:
        for campaign_id in set(ids):
            found = connection.execute(
                "SELECT 1 FROM campaigns WHERE id = ?", (campaign_id,)
            ).fetchone()
            if found is None:
                raise NotFoundError("campaign", campaign_id)

    def _insert_events(
        self, connection: sqlite3.Connection, events: Sequence[TimelineEvent]
    ) -> None:
        for event in events:
            if not isinstance(event, TimelineEvent):
                raise ValidationError("TimelineEvent", f"expected TimelineEvent, got {event!r}")
        self._require_campaigns(connection, (e.campaign_id for e in events))
        connection.executemany(
            "INSERT INTO timeline (campaign_id, at, kind, details) VALUES (?, ?, ?, ?)",
            [(e.campaign_id, _us(e.at), e.kind.value, _json(e.details)) for e in events],
        )

    def add_campaign(self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()) -> None:
        if not isinstance(campaign, Campaign):
            raise ValidationError("Campaign", f"expected Campaign, got {campaign!r}")
        with self._transaction(write=True) as connection:
            try:
                connection.execute(
                    f"INSERT INTO campaigns ({_CAMPAIGN_COLUMNS}) "  # noqa: S608 - constant columns
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    _campaign_row(campaign),
                )
            except sqlite3.IntegrityError:
                raise DuplicateError("campaign", campaign.id) from None
            self._insert_events(connection, events)

    def get_campaign(self, campaign_id: str) -> Campaign:
        row = self._read(
            lambda c: c.execute(
                f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ?",  # noqa: S608 - constant columns
                (campaign_id,),
            ).fetchone()
        )
        if row is None:
            raise NotFoundError("campaign", campaign_id)
        return _campaign(row)

    def update_campaign(
        self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()
    ) -> Campaign:
        if not isinstance(campaign, Campaign):
            raise ValidationError("Campaign", f"expected Campaign, got {campaign!r}")
        row = _campaign_row(campaign)
        with self._transaction(write=True) as connection:
            cursor = connection.execute(
                "UPDATE campaigns SET name = ?, sender = ?, content = ?, list_ids = ?, "
                "status = ?, created_at = ?, scheduled_at = ?, unit_price = ?, currency = ?, "
                "version = version + 1 WHERE id = ? AND version = ?",
                (*row[1:10], campaign.id, campaign.version),
            )
            if cursor.rowcount != 1:
                stored = connection.execute(
                    "SELECT version FROM campaigns WHERE id = ?", (campaign.id,)
                ).fetchone()
                if stored is None:
                    raise NotFoundError("campaign", campaign.id)
                raise ConflictError("campaign", campaign.id, campaign.version, stored[0])
            self._insert_events(connection, events)
        return attrs.evolve(campaign, version=campaign.version + 1)

    def list_campaigns(self) -> list[Campaign]:
        rows = self._read(
            lambda c: c.execute(
                f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns ORDER BY created_at, id"  # noqa: S608 - constant columns
            ).fetchall()
        )
        return [_campaign(row) for row in rows]

    # messages ----------------------------------------------------------------------------

    def add_messages(self, messages: Iterable[Message]) -> int:
        current: list[Message] = []
        list_key = self._list_keys.encode

        provider_rows: list[tuple[str, str]] = []

        def rows() -> Iterator[tuple[Any, ...]]:
            for message in messages:
                if not isinstance(message, Message):
                    raise ValidationError("Message", f"expected Message, got {message!r}")
                current[:] = [message]
                if message.attempts:  # an import of messages already sent
                    provider_rows.extend(_provider_pairs(message))
                yield _message_row(message, list_key)

        with self._transaction(write=True) as connection:
            try:
                cursor = connection.executemany(
                    f"INSERT INTO messages ({_MESSAGE_COLUMNS}) "  # noqa: S608 - constant columns
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows(),
                )
            except sqlite3.IntegrityError as error:
                raise self._insert_error(connection, current[0], error) from None
            count = cursor.rowcount
            self._claim_provider_ids(connection, provider_rows)
        return count

    def _insert_error(
        self, connection: sqlite3.Connection, message: Message, error: sqlite3.IntegrityError
    ) -> StorageError:
        text = str(error)
        if "FOREIGN KEY" in text:
            return NotFoundError("campaign", message.campaign_id)
        if "recipient" in text:
            return DuplicateError(
                "message",
                message.id,
                f"campaign {message.campaign_id!r} already has a message to "
                f"{mask_number(message.recipient)}",
            )
        return DuplicateError("message", message.id)

    def _claim_provider_ids(
        self, connection: sqlite3.Connection, pairs: Sequence[tuple[str, str]]
    ) -> None:
        """Register provider ids for messages; a provider id owned by another message fails."""
        if not pairs:
            return
        connection.executemany(
            "INSERT INTO provider_ids (provider_message_id, message_id) VALUES (?, ?) "
            "ON CONFLICT (provider_message_id) DO NOTHING",
            pairs,
        )
        for provider_id, message_id in pairs:
            owner = connection.execute(
                "SELECT message_id FROM provider_ids WHERE provider_message_id = ?", (provider_id,)
            ).fetchone()[0]
            if owner != message_id:
                raise DuplicateError(
                    "provider message id", provider_id, f"it belongs to message {owner!r}"
                )

    def get_message(self, message_id: str) -> Message:
        row = self._read(
            lambda c: c.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?",  # noqa: S608 - constant columns
                (message_id,),
            ).fetchone()
        )
        if row is None:
            raise NotFoundError("message", message_id)
        return _message(row, self._list_keys.decode)

    def find_message_by_provider_id(self, provider_message_id: str) -> Message | None:
        row = self._read(
            lambda c: c.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = "  # noqa: S608 - constant columns
                "(SELECT message_id FROM provider_ids WHERE provider_message_id = ?)",
                (provider_message_id,),
            ).fetchone()
        )
        return None if row is None else _message(row, self._list_keys.decode)

    def update_message(self, message: Message) -> Message:
        return self.update_messages([message])[0]

    def update_messages(self, messages: Sequence[Message]) -> list[Message]:
        batch = list(messages)
        list_key = self._list_keys.encode
        rows = []
        provider_pairs: list[tuple[str, str]] = []
        for message in batch:
            if not isinstance(message, Message):
                raise ValidationError("Message", f"expected Message, got {message!r}")
            row = _message_row(message, list_key)
            # SET columns 3..11, then the identity and the version read.
            rows.append((*row[3:12], row[0], row[1], row[2], row[12]))
            provider_pairs.extend(_provider_pairs(message))
        if len({m.id for m in batch}) != len(batch):
            raise ValidationError("update_messages", "a message appears twice in one batch")
        with self._transaction(write=True) as connection:
            connection.execute("SAVEPOINT batch")
            cursor = connection.executemany(
                "UPDATE messages SET list_ids = ?, status = ?, reason = ?, attempts = ?, "
                "segments = ?, queued_at = ?, submitted_at = ?, final_at = ?, sent = ?, "
                "version = version + 1 "
                "WHERE id = ? AND campaign_id = ? AND recipient = ? AND version = ?",
                rows,
            )
            if cursor.rowcount != len(batch):
                # Undo this batch while still holding the write lock, then say what was wrong.
                connection.execute("ROLLBACK TO batch")
                raise self._update_error(connection, batch)
            self._claim_provider_ids(connection, provider_pairs)
        return [attrs.evolve(m, version=m.version + 1) for m in batch]

    def _update_error(
        self, connection: sqlite3.Connection, batch: list[Message]
    ) -> SmsCampaignStatsError:
        for message in batch:
            stored = connection.execute(
                "SELECT campaign_id, recipient, version FROM messages WHERE id = ?", (message.id,)
            ).fetchone()
            if stored is None:
                return NotFoundError("message", message.id)
            if (stored[0], stored[1]) != (message.campaign_id, message.recipient):
                return ValidationError(
                    "Message", f"message {message.id!r}: campaign and recipient cannot change"
                )
            if stored[2] != message.version:
                return ConflictError("message", message.id, message.version, stored[2])
        return StorageError("update_messages: the batch was not written")  # pragma: no cover

    def iter_messages(self, campaign_id: str, *, batch_size: int = 1000) -> Iterator[Message]:
        if batch_size < 1:
            raise ValidationError("iter_messages.batch_size", "must be at least 1")
        self.get_campaign(campaign_id)
        return self._iterate(campaign_id, batch_size)

    def _iterate(self, campaign_id: str, batch_size: int) -> Iterator[Message]:
        decode = self._list_keys.decode
        after = ""
        while True:
            rows = self._read(
                functools.partial(
                    _fetch,
                    f"SELECT {_MESSAGE_COLUMNS} FROM messages "  # noqa: S608 - constant columns
                    "WHERE campaign_id = ? AND recipient > ? ORDER BY recipient LIMIT ?",
                    (campaign_id, after, batch_size),
                )
            )
            for row in rows:
                yield _message(row, decode)
            if len(rows) < batch_size:
                return
            after = rows[-1][2]

    # history -----------------------------------------------------------------------------

    def append_events(self, events: Sequence[TimelineEvent]) -> None:
        batch = list(events)
        with self._transaction(write=True) as connection:
            self._insert_events(connection, batch)

    def timeline(self, campaign_id: str) -> list[TimelineEvent]:
        def query(c: sqlite3.Connection) -> list[Any]:
            if c.execute("SELECT 1 FROM campaigns WHERE id = ?", (campaign_id,)).fetchone() is None:
                raise NotFoundError("campaign", campaign_id)
            return c.execute(
                "SELECT campaign_id, at, kind, details FROM timeline WHERE campaign_id = ? "
                "ORDER BY seq",
                (campaign_id,),
            ).fetchall()

        return [
            TimelineEvent(
                campaign_id=row[0], at=_dt(row[1]), kind=row[2], details=json.loads(row[3])
            )
            for row in self._read(query)
        ]

    # replies and unsubscribes -----------------------------------------------------------

    def _record(self, sql: str, row: tuple[Any, ...], campaign_id: str | None) -> bool:
        with self._transaction(write=True) as connection:
            try:
                cursor = connection.execute(sql, row)
            except sqlite3.IntegrityError:
                raise NotFoundError("campaign", str(campaign_id)) from None
            return cursor.rowcount == 1

    def record_reply(self, reply: Reply) -> bool:
        if not isinstance(reply, Reply):
            raise ValidationError("Reply", f"expected Reply, got {reply!r}")
        return self._record(
            "INSERT INTO replies (id, recipient, campaign_id, at, text) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO NOTHING",
            (reply.id, reply.recipient, reply.campaign_id, _us(reply.at), reply.text),
            reply.campaign_id,
        )

    def replies(self, campaign_id: str) -> list[Reply]:
        self.get_campaign(campaign_id)
        rows = self._read(
            lambda c: c.execute(
                "SELECT id, recipient, campaign_id, at, text FROM replies "
                "WHERE campaign_id = ? ORDER BY at, id",
                (campaign_id,),
            ).fetchall()
        )
        return [
            Reply(id=r[0], recipient=r[1], campaign_id=r[2], at=_dt(r[3]), text=r[4]) for r in rows
        ]

    def record_unsubscribe(self, unsubscribe: Unsubscribe) -> bool:
        if not isinstance(unsubscribe, Unsubscribe):
            raise ValidationError("Unsubscribe", f"expected Unsubscribe, got {unsubscribe!r}")
        return self._record(
            "INSERT INTO unsubscribes (id, recipient, campaign_id, at, keyword) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            (
                unsubscribe.id,
                unsubscribe.recipient,
                unsubscribe.campaign_id,
                _us(unsubscribe.at),
                unsubscribe.keyword,
            ),
            unsubscribe.campaign_id,
        )

    def unsubscribes(self, campaign_id: str) -> list[Unsubscribe]:
        self.get_campaign(campaign_id)
        rows = self._read(
            lambda c: c.execute(
                "SELECT id, recipient, campaign_id, at, keyword FROM unsubscribes "
                "WHERE campaign_id = ? ORDER BY at, id",
                (campaign_id,),
            ).fetchall()
        )
        return [
            Unsubscribe(id=r[0], recipient=r[1], campaign_id=r[2], at=_dt(r[3]), keyword=r[4])
            for r in rows
        ]

    # aggregates ---------------------------------------------------------------------------

    def campaign_counts(self, campaign_id: str) -> CampaignCounts:
        decode = self._list_keys.decode

        def query(c: sqlite3.Connection) -> CampaignCounts:
            if c.execute("SELECT 1 FROM campaigns WHERE id = ?", (campaign_id,)).fetchone() is None:
                raise NotFoundError("campaign", campaign_id)
            cells: dict[CellKey, Cell] = {}
            for status, reason, sent, lists, messages, segments in c.execute(
                "SELECT status, reason, sent, list_ids, COUNT(*), SUM(segments) FROM messages "
                "WHERE campaign_id = ? GROUP BY status, reason, sent, list_ids",
                (campaign_id,),
            ):
                key = CellKey(
                    decode(lists),
                    MessageStatus(status),
                    None if reason is None else BounceReason(reason),
                    bool(sent),
                )
                cells[key] = Cell(messages, segments)
            engagement: dict[tuple[str, ...], list[int]] = {}
            for lists, repliers, replies in c.execute(
                "SELECT m.list_ids, COUNT(DISTINCT m.seq), COUNT(*) FROM replies r "
                "JOIN messages m ON m.campaign_id = r.campaign_id AND m.recipient = r.recipient "
                "WHERE r.campaign_id = ? GROUP BY m.list_ids",
                (campaign_id,),
            ):
                engagement.setdefault(decode(lists), [0, 0, 0])[0:2] = [repliers, replies]
            for lists, unsubscribers in c.execute(
                "SELECT m.list_ids, COUNT(DISTINCT m.seq) FROM unsubscribes u "
                "JOIN messages m ON m.campaign_id = u.campaign_id AND m.recipient = u.recipient "
                "WHERE u.campaign_id = ? GROUP BY m.list_ids",
                (campaign_id,),
            ):
                engagement.setdefault(decode(lists), [0, 0, 0])[2] = unsubscribers
            return CampaignCounts(
                cells, {lists: Engagement(*values) for lists, values in engagement.items()}
            )

        return self._read(query)

    def close(self) -> None:
        with self._connections_lock:
            self._closed = True
            for connection in self._connections:
                connection.close()
            self._connections.clear()
