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
* The schema and the encoding of values are in ``_sqlite_schema.py``; everything round-trips
  exactly.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import attrs

from sms_campaign_stats._core.privacy import mask_number
from sms_campaign_stats._core.shape import MessageShape
from sms_campaign_stats._core.validate import check_utc
from sms_campaign_stats.errors import (
    ConflictError,
    DuplicateError,
    NotFoundError,
    SmsCampaignStatsError,
    StorageError,
    ValidationError,
)
from sms_campaign_stats.lifecycle._statuses import MessageStatus
from sms_campaign_stats.model import Block, Campaign, Message, Reply, TimelineEvent, Unsubscribe
from sms_campaign_stats.storage._counts import CampaignCounts, Cell, CellKey, Engagement
from sms_campaign_stats.storage._forgetting import (
    FORGOTTEN_BLOCK_PREFIX,
    blocklist_key,
    check_forgettable,
    pseudonym,
    scrub,
)
from sms_campaign_stats.storage.sqlite._database import Database
from sms_campaign_stats.storage.sqlite._schema import (
    APPLICATION_ID,
    CAMPAIGN_COLUMNS,
    MESSAGE_COLUMNS,
    MESSAGE_SELECT,
    SCHEMA_VERSION,
    ListSets,
    campaign_from_row,
    campaign_row,
    check_or_create_schema,
    decode_shape,
    message_from_row,
    message_rows,
    micros,
    moment,
    read_salt,
    to_json,
)

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "SQLiteStorage"]

_CHUNK = 4096  # messages encoded (and their list sets resolved) per executemany
# Messages by provider ids; the caller appends "(?, ?, ...)", placeholders only.
_BY_PROVIDER_IDS = (
    "SELECT p.provider_message_id, "
    + MESSAGE_SELECT.removeprefix("SELECT ")
    + "JOIN provider_ids p ON p.message_id = m.id WHERE p.provider_message_id IN "
)
# Compare-and-set of a message that keeps its lists and its last attempt, and of any message.
_UPDATE_KEEPING = (
    "UPDATE messages SET status = ?, reason = ?, shape = ?, attempts = ?, segments = ?, "
    "queued_at = ?, submitted_at = ?, final_at = ?, sent = ?, version = version + 1 "
    "WHERE id = ? AND campaign_id = ? AND recipient = ? AND version = ? "
    "AND list_set = ? AND last_attempt_at IS ?"
)
_UPDATE_ALL = (
    "UPDATE messages SET list_set = ?, status = ?, reason = ?, shape = ?, "
    "attempts = ?, segments = ?, queued_at = ?, submitted_at = ?, final_at = ?, "
    "sent = ?, last_attempt_at = ?, version = version + 1 "
    "WHERE id = ? AND campaign_id = ? AND recipient = ? AND version = ?"
)
# A number is blocked once, under its own name or, once forgotten, under its salted hash.
_BLOCK = (
    "INSERT INTO blocklist (recipient, reason, at) SELECT ?1, ?2, ?3 "
    "WHERE NOT EXISTS (SELECT 1 FROM blocklist WHERE recipient IN (?1, ?4))"
)
# Whether any forgotten number is in the blocklist (a range of the primary key).
_ANY_FORGOTTEN = "SELECT 1 FROM blocklist WHERE recipient >= ? AND recipient < ? LIMIT 1"
_FORGOTTEN_RANGE = (FORGOTTEN_BLOCK_PREFIX, FORGOTTEN_BLOCK_PREFIX[:-1] + ";")


def _provider_pairs(message: Message) -> Iterator[tuple[str, str]]:
    for attempt in message.attempts:
        if attempt.provider_message_id is not None:
            yield attempt.provider_message_id, message.id


def _count_earlier_engagement(connection: sqlite3.Connection, campaign_id: str) -> None:
    """Set the engagement columns of a campaign's messages whose recipient replied or opted out
    before the message was stored (a late import): cheap, it reads only engaged recipients."""
    connection.execute(
        "UPDATE messages SET "
        "replies = (SELECT COUNT(*) FROM replies r "
        "WHERE r.campaign_id = messages.campaign_id AND r.recipient = messages.recipient), "
        "unsubscribed = EXISTS (SELECT 1 FROM unsubscribes u "
        "WHERE u.campaign_id = messages.campaign_id AND u.recipient = messages.recipient) "
        "WHERE campaign_id = ?1 AND recipient IN ("
        "SELECT recipient FROM replies WHERE campaign_id = ?1 "
        "UNION SELECT recipient FROM unsubscribes WHERE campaign_id = ?1)",
        (campaign_id,),
    )


def _fetch(sql: str, parameters: tuple[Any, ...], connection: sqlite3.Connection) -> list[Any]:
    return connection.execute(sql, parameters).fetchall()


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
        if self.path != ":memory:" and Path(self.path).is_dir():
            raise StorageError(f"{self.path}: is a directory, not a database file")
        self._database = Database(self.path, timeout=float(timeout), synchronous=durability.upper())
        # Committed list-set ids, shared by threads: text -> id, and id -> list ids.
        self._list_set_ids: dict[str, int] = {}
        self._list_sets_by_id: dict[int, tuple[str, ...]] = {}
        try:
            with self._database.transaction(write=True) as connection:
                check_or_create_schema(connection, self.path)
                self._salt = read_salt(connection, self.path)
            self._database.use_wal()
        except BaseException:
            self._database.close()
            raise
        self._transaction = self._database.transaction
        self._read = self._database.read

    def __repr__(self) -> str:
        return f"SQLiteStorage({self.path!r})"

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
            [(e.campaign_id, micros(e.at), e.kind.value, to_json(e.details)) for e in events],
        )

    def add_campaign(self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()) -> None:
        if not isinstance(campaign, Campaign):
            raise ValidationError("Campaign", f"expected Campaign, got {campaign!r}")
        with self._transaction(write=True) as connection:
            try:
                connection.execute(
                    f"INSERT INTO campaigns ({CAMPAIGN_COLUMNS}) "  # noqa: S608 - constant columns
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    campaign_row(campaign),
                )
            except sqlite3.IntegrityError:
                raise DuplicateError("campaign", campaign.id) from None
            self._insert_events(connection, events)

    def get_campaign(self, campaign_id: str) -> Campaign:
        row = self._read(
            lambda c: c.execute(
                f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ?",  # noqa: S608 - constant columns
                (campaign_id,),
            ).fetchone()
        )
        if row is None:
            raise NotFoundError("campaign", campaign_id)
        return campaign_from_row(row)

    def update_campaign(
        self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()
    ) -> Campaign:
        if not isinstance(campaign, Campaign):
            raise ValidationError("Campaign", f"expected Campaign, got {campaign!r}")
        row = campaign_row(campaign)
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
                f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns ORDER BY created_at, id"  # noqa: S608 - constant columns
            ).fetchall()
        )
        return [campaign_from_row(row) for row in rows]

    # messages ----------------------------------------------------------------------------

    def add_messages(self, messages: Iterable[Message]) -> int:
        iterator = iter(messages)
        count = 0
        fragments: dict[MessageShape, tuple[Any, ...]] = {}
        campaigns: set[str] = set()
        with self._transaction(write=True) as connection:
            list_sets = ListSets(connection, self._list_set_ids)
            while chunk := list(itertools.islice(iterator, _CHUNK)):
                for message in chunk:
                    if not isinstance(message, Message):
                        raise ValidationError("Message", f"expected Message, got {message!r}")
                rows = list(message_rows(chunk, list_sets, fragments))
                before = connection.total_changes
                try:
                    connection.executemany(
                        f"INSERT INTO messages ({MESSAGE_COLUMNS}) "  # noqa: S608 - constant columns
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        rows,
                    )
                except sqlite3.IntegrityError as error:
                    # Rows before the failing one were inserted: their count points at it.
                    failed = chunk[connection.total_changes - before]
                    raise self._insert_error(failed, error) from None
                count += len(chunk)
                campaigns.update(m.campaign_id for m in chunk)
                pairs = [pair for m in chunk if m.attempts for pair in _provider_pairs(m)]
                if pairs:  # an import of messages already sent
                    try:
                        connection.executemany(
                            "INSERT INTO provider_ids (provider_message_id, message_id) "
                            "VALUES (?, ?)",
                            pairs,
                        )
                    except sqlite3.IntegrityError:
                        raise self._provider_id_error(connection, pairs) from None
            for campaign_id in campaigns:
                _count_earlier_engagement(connection, campaign_id)
        list_sets.committed()
        return count

    def _insert_error(self, message: Message, error: sqlite3.IntegrityError) -> StorageError:
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

    def _provider_id_error(
        self, connection: sqlite3.Connection, pairs: Sequence[tuple[str, str]]
    ) -> StorageError:
        """Name the provider id that another message owns (or that a batch repeats)."""
        seen: dict[str, str] = {}
        for provider_id, message_id in pairs:
            owner = connection.execute(
                "SELECT message_id FROM provider_ids WHERE provider_message_id = ?", (provider_id,)
            ).fetchone()
            other = seen.get(provider_id) or (owner[0] if owner else None)
            if other is not None and other != message_id:
                return DuplicateError(
                    "provider message id", provider_id, f"it belongs to message {other!r}"
                )
            seen[provider_id] = message_id
        return StorageError("provider ids could not be recorded")  # pragma: no cover

    def _claim_provider_ids(
        self, connection: sqlite3.Connection, pairs: Sequence[tuple[str, str]]
    ) -> None:
        """Register provider ids of updated messages; one owned by another message fails."""
        if not pairs:
            return
        try:
            # Already registered to the same message: nothing to do. Registered to another:
            # the primary key refuses it.
            connection.executemany(
                "INSERT INTO provider_ids (provider_message_id, message_id) SELECT ?1, ?2 "
                "WHERE NOT EXISTS (SELECT 1 FROM provider_ids "
                "WHERE provider_message_id = ?1 AND message_id = ?2)",
                pairs,
            )
        except sqlite3.IntegrityError:
            raise self._provider_id_error(connection, pairs) from None

    def _messages_where(self, where: str, parameters: tuple[Any, ...]) -> list[Message]:
        rows = self._read(
            functools.partial(_fetch, MESSAGE_SELECT + where, parameters)  # constant SQL
        )
        return [message_from_row(row, self._list_ids(row[3])) for row in rows]

    def _list_ids(self, text: str) -> tuple[str, ...]:
        known = self._list_set_ids.get(text)
        if known is not None and known in self._list_sets_by_id:
            return self._list_sets_by_id[known]
        return tuple(json.loads(text))

    def get_message(self, message_id: str) -> Message:
        found = self._messages_where("WHERE m.id = ?", (message_id,))
        if not found:
            raise NotFoundError("message", message_id)
        return found[0]

    def find_message_by_provider_id(self, provider_message_id: str) -> Message | None:
        found = self._messages_where(
            "WHERE m.id = (SELECT message_id FROM provider_ids WHERE provider_message_id = ?)",
            (provider_message_id,),
        )
        return found[0] if found else None

    def find_messages_by_provider_ids(
        self, provider_message_ids: Iterable[str]
    ) -> dict[str, Message]:
        wanted = list(dict.fromkeys(provider_message_ids))
        found: dict[str, Message] = {}

        def query(c: sqlite3.Connection) -> None:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                rows = c.execute(_BY_PROVIDER_IDS + f"({marks})", chunk).fetchall()
                for row in rows:
                    found[row[0]] = message_from_row(row[1:], self._list_ids(row[4]))

        self._read(query)
        return found

    def update_message(self, message: Message) -> Message:
        return self.update_messages([message])[0]

    def update_messages(
        self, messages: Sequence[Message], *, blocks: Sequence[Block] = ()
    ) -> list[Message]:
        batch = list(messages)
        for message in batch:
            if not isinstance(message, Message):
                raise ValidationError("Message", f"expected Message, got {message!r}")
        if len({m.id for m in batch}) != len(batch):
            raise ValidationError("update_messages", "a message appears twice in one batch")
        block_rows = [self._block_row(block) for block in blocks]
        fragments: dict[MessageShape, tuple[Any, ...]] = {}
        with self._transaction(write=True) as connection:
            list_sets = ListSets(connection, self._list_set_ids)
            rows = list(message_rows(batch, list_sets, fragments))
            connection.execute("SAVEPOINT batch")
            # Most updates (a delivery report) keep the lists and the last attempt: leaving those
            # columns out of the SET spares rewriting two indexes. The rest match no row of the
            # narrow statement (their version is still the one read) and take the full one.
            written = connection.executemany(
                _UPDATE_KEEPING, [(*r[4:13], r[0], r[1], r[2], r[13], r[3], r[14]) for r in rows]
            ).rowcount
            if written != len(batch):
                written += connection.executemany(
                    _UPDATE_ALL, [(*r[3:13], r[14], r[0], r[1], r[2], r[13]) for r in rows]
                ).rowcount
            if written != len(batch):
                # Undo this batch while still holding the write lock, then say what was wrong.
                connection.execute("ROLLBACK TO batch")
                raise self._update_error(connection, batch)
            self._claim_provider_ids(
                connection, [pair for m in batch for pair in _provider_pairs(m)]
            )
            if block_rows:
                connection.executemany(_BLOCK, block_rows)
        list_sets.committed()
        return [m._replace(version=m.version + 1) for m in batch]

    def _block_row(self, block: Block) -> tuple[str, str, int | None, str]:
        if not isinstance(block, Block):
            raise ValidationError("Block", f"expected Block, got {block!r}")
        key = blocklist_key(self._salt, block.recipient)
        return block.recipient, block.reason, micros(block.at), key

    def _update_error(
        self, connection: sqlite3.Connection, batch: list[Message]
    ) -> SmsCampaignStatsError:
        for message in batch:
            stored = connection.execute(
                "SELECT campaign_id, recipient, version FROM messages WHERE id = ?", (message.id,)
            ).fetchone()
            if stored is None:
                return NotFoundError("message", message.id)
            # The version first: a message read before forget() changed its recipient is stale.
            if stored[2] != message.version:
                return ConflictError("message", message.id, message.version, stored[2])
            if (stored[0], stored[1]) != (message.campaign_id, message.recipient):
                return ValidationError(
                    "Message", f"message {message.id!r}: campaign and recipient cannot change"
                )
        return StorageError("update_messages: the batch was not written")  # pragma: no cover

    def iter_messages(self, campaign_id: str, *, batch_size: int = 1000) -> Iterator[Message]:
        if batch_size < 1:
            raise ValidationError("iter_messages.batch_size", "must be at least 1")
        self.get_campaign(campaign_id)
        return self._iterate(campaign_id, batch_size)

    def _iterate(self, campaign_id: str, batch_size: int) -> Iterator[Message]:
        after = ""
        while True:
            batch = self._messages_where(
                "WHERE m.campaign_id = ? AND m.recipient > ? ORDER BY m.recipient LIMIT ?",
                (campaign_id, after, batch_size),
            )
            yield from batch
            if len(batch) < batch_size:
                return
            after = batch[-1].recipient

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
                campaign_id=row[0], at=moment(row[1]), kind=row[2], details=json.loads(row[3])
            )
            for row in self._read(query)
        ]

    # replies and unsubscribes -----------------------------------------------------------

    def _record(
        self,
        sql: str,
        row: tuple[Any, ...],
        engagement: str,
        campaign_id: str | None,
        recipient: str,
    ) -> bool:
        with self._transaction(write=True) as connection:
            try:
                cursor = connection.execute(sql, row)
            except sqlite3.IntegrityError:
                raise NotFoundError("campaign", str(campaign_id)) from None
            if cursor.rowcount != 1:
                return False
            if campaign_id is not None:  # the message's engagement columns, if it exists yet
                connection.execute(engagement, (campaign_id, recipient))
            return True

    def record_reply(self, reply: Reply) -> bool:
        if not isinstance(reply, Reply):
            raise ValidationError("Reply", f"expected Reply, got {reply!r}")
        return self._record(
            "INSERT INTO replies (id, recipient, campaign_id, at, text) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO NOTHING",
            (reply.id, reply.recipient, reply.campaign_id, micros(reply.at), reply.text),
            "UPDATE messages SET replies = replies + 1 WHERE campaign_id = ? AND recipient = ?",
            reply.campaign_id,
            reply.recipient,
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
            Reply(id=r[0], recipient=r[1], campaign_id=r[2], at=moment(r[3]), text=r[4])
            for r in rows
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
                micros(unsubscribe.at),
                unsubscribe.keyword,
            ),
            "UPDATE messages SET unsubscribed = 1 WHERE campaign_id = ? AND recipient = ?",
            unsubscribe.campaign_id,
            unsubscribe.recipient,
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
            Unsubscribe(id=r[0], recipient=r[1], campaign_id=r[2], at=moment(r[3]), keyword=r[4])
            for r in rows
        ]

    # engine support -----------------------------------------------------------------------

    def latest_message_to(self, recipient: str, *, since: datetime) -> Message | None:
        found = self._messages_where(
            "WHERE m.recipient = ? AND m.last_attempt_at >= ? "
            "ORDER BY m.last_attempt_at DESC, m.id DESC LIMIT 1",
            (recipient, micros(check_utc("since", since))),
        )
        return found[0] if found else None

    def iter_stale(
        self, *, submitted_before: datetime, batch_size: int = 1000
    ) -> Iterator[Message]:
        cutoff = micros(check_utc("submitted_before", submitted_before))
        if batch_size < 1:
            raise ValidationError("iter_stale.batch_size", "must be at least 1")
        return self._iterate_stale(cutoff, batch_size)

    def _iterate_stale(self, cutoff: int | None, batch_size: int) -> Iterator[Message]:
        after: tuple[int, str] = (-(2**62), "")
        while True:
            batch = self._messages_where(
                "WHERE m.status = 'processing' AND m.last_attempt_at < ? "
                "AND (m.last_attempt_at, m.id) > (?, ?) "
                "ORDER BY m.last_attempt_at, m.id LIMIT ?",
                (cutoff, *after, batch_size),
            )
            yield from batch
            if len(batch) < batch_size:
                return
            last = batch[-1]
            after = (micros(last.last_attempt_at) or 0, last.id)

    def add_orphan(
        self, provider_message_id: str, report: Mapping[str, Any], *, received_at: datetime
    ) -> None:
        if not isinstance(report, Mapping):
            raise ValidationError("report", "an orphan report is a mapping")
        row = (provider_message_id, micros(check_utc("received_at", received_at)), to_json(report))
        with self._transaction(write=True) as connection:
            connection.execute(
                "INSERT INTO orphans (provider_message_id, received_at, report) VALUES (?, ?, ?)",
                row,
            )

    def take_orphans(self, provider_message_id: str) -> list[Mapping[str, Any]]:
        # Almost every submission has no orphan: look without taking the write lock first. One
        # added after this look is taken by the next call, as if it had come after this one.
        waiting = self._read(
            lambda c: c.execute(
                "SELECT 1 FROM orphans WHERE provider_message_id = ? LIMIT 1",
                (provider_message_id,),
            ).fetchone()
        )
        if waiting is None:
            return []
        with self._transaction(write=True) as connection:
            rows = connection.execute(
                "SELECT report FROM orphans WHERE provider_message_id = ? ORDER BY seq",
                (provider_message_id,),
            ).fetchall()
            if rows:
                connection.execute(
                    "DELETE FROM orphans WHERE provider_message_id = ?", (provider_message_id,)
                )
        return [json.loads(row[0]) for row in rows]

    def block(self, recipient: str, *, reason: str, at: datetime) -> bool:
        row = (recipient, reason, micros(check_utc("at", at)), blocklist_key(self._salt, recipient))
        with self._transaction(write=True) as connection:
            return connection.execute(_BLOCK, row).rowcount == 1

    def blocked(self, recipients: Iterable[str]) -> frozenset[str]:
        wanted = list(dict.fromkeys(recipients))

        def query(c: sqlite3.Connection) -> set[str]:
            found = self._blocked_among(c, wanted)
            if c.execute(_ANY_FORGOTTEN, _FORGOTTEN_RANGE).fetchone() is not None:
                # Some numbers were forgotten: look for the others under their hashes too.
                keys = {blocklist_key(self._salt, r): r for r in wanted if r not in found}
                found.update(keys[key] for key in self._blocked_among(c, list(keys)))
            return found

        return frozenset(self._read(query))

    @staticmethod
    def _blocked_among(c: sqlite3.Connection, wanted: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            found.update(
                row[0]
                for row in c.execute(
                    f"SELECT recipient FROM blocklist WHERE recipient IN ({marks})",  # noqa: S608 - placeholders only
                    chunk,
                )
            )
        return found

    # personal data ------------------------------------------------------------------------

    def forget(self, recipient: str) -> int:
        recipient = check_forgettable(recipient)
        alias = pseudonym(self._salt, recipient)
        key = blocklist_key(self._salt, recipient)
        with self._transaction(write=True) as connection:
            try:
                # A new version: a writer holding the message as it was read gets ConflictError.
                changed = connection.execute(
                    "UPDATE messages SET recipient = ?, version = version + 1 WHERE recipient = ?",
                    (alias, recipient),
                ).rowcount
            except sqlite3.IntegrityError:
                raise StorageError(
                    "forget: two forgotten numbers of one campaign have the same pseudonym; "
                    "nothing was changed"
                ) from None
            changed += connection.execute(
                "UPDATE replies SET recipient = ?, text = '' WHERE recipient = ?",
                (alias, recipient),
            ).rowcount
            changed += connection.execute(
                "UPDATE unsubscribes SET recipient = ?, keyword = '' WHERE recipient = ?",
                (alias, recipient),
            ).rowcount
            candidates = connection.execute(
                "SELECT seq, report FROM orphans WHERE instr(report, ?) > 0",
                (recipient.removeprefix("+"),),
            ).fetchall()
            for seq, text in candidates:
                cleaned, found = scrub(json.loads(text), recipient, alias)
                if found:
                    connection.execute(
                        "UPDATE orphans SET report = ? WHERE seq = ?", (to_json(cleaned), seq)
                    )
                    changed += 1
            blocked = connection.execute(
                "SELECT reason, at FROM blocklist WHERE recipient = ?", (recipient,)
            ).fetchone()
            if blocked is not None:
                connection.execute("DELETE FROM blocklist WHERE recipient = ?", (recipient,))
                connection.execute(_BLOCK, (key, *blocked, key))
                changed += 1
        return changed

    # aggregates ---------------------------------------------------------------------------

    def campaign_counts(self, campaign_id: str) -> CampaignCounts:
        def query(c: sqlite3.Connection) -> CampaignCounts:
            if c.execute("SELECT 1 FROM campaigns WHERE id = ?", (campaign_id,)).fetchone() is None:
                raise NotFoundError("campaign", campaign_id)
            # Two columns of a covering index: as cheap as counting statuses alone.
            grouped = c.execute(
                "SELECT status, shape, COUNT(*) FROM messages WHERE campaign_id = ? "
                "GROUP BY status, shape",
                (campaign_id,),
            ).fetchall()
            engaged = c.execute(
                "SELECT list_set, SUM(replies > 0), SUM(replies), SUM(unsubscribed) "
                "FROM messages INDEXED BY messages_engaged "
                "WHERE campaign_id = ? AND (replies > 0 OR unsubscribed > 0) GROUP BY list_set",
                (campaign_id,),
            ).fetchall()
            lists = self._list_sets(c, {decode_shape(shape)[0] for _, shape, _ in grouped})
            cells: dict[CellKey, Cell] = {}
            for status, shape, messages in grouped:
                list_set, reason, sent, segments = decode_shape(shape)
                key = CellKey(lists[list_set], MessageStatus(status), reason, sent)
                cells[key] = cells.get(key, Cell(0, 0)) + Cell(messages, messages * segments)
            engagement = {
                lists[list_set]: Engagement(repliers, replies, unsubscribers)
                for list_set, repliers, replies, unsubscribers in engaged
            }
            return CampaignCounts(cells, engagement)

        return self._read(query)

    def _list_sets(self, c: sqlite3.Connection, ids: set[int]) -> dict[int, tuple[str, ...]]:
        """List ids of these list sets (read in the caller's transaction, so committed)."""
        known = self._list_sets_by_id
        for missing in ids - known.keys():
            text = c.execute("SELECT list_ids FROM list_sets WHERE id = ?", (missing,)).fetchone()[
                0
            ]
            known[missing] = tuple(json.loads(text))
            self._list_set_ids[text] = missing
        return {list_set: known[list_set] for list_set in ids}

    def close(self) -> None:
        self._database.close()
