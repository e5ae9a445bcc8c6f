"""``SQLiteStorage``: the embedded default store, on the standard library's ``sqlite3``.

* The schema is created and versioned by the library (``PRAGMA application_id`` marks our files,
  ``PRAGMA user_version`` holds the schema version). A file made by something else, or by a newer
  schema, is refused with ``SchemaError``: never a silent migration.
* WAL journal, a busy timeout, ``BEGIN IMMEDIATE`` for every write: ``commit(change)`` is one
  transaction, so a change that fails anywhere leaves the file exactly as before.
  ``synchronous=FULL`` by default (a committed change survives a power cut);
  ``durability="normal"`` trades that for speed (it still survives a crash of the process).
* One connection per thread (and per process: a forked child opens its own).
* Parameterized SQL only. Aggregates are computed in SQL, in one read transaction; the due
  messages, the stale ones and the latest message to a number are read from indexes.
* The schema and the encoding of values are in ``_schema.py``, the write statements in
  ``_writes.py``; everything round-trips exactly.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sms_campaign_stats._core.shape import MessageShape
from sms_campaign_stats._core.validate import check_utc
from sms_campaign_stats.errors import NotFoundError, SchemaError, StorageError, ValidationError
from sms_campaign_stats.model import Block, Campaign, Message, Reply, TimelineEvent, Unsubscribe
from sms_campaign_stats.storage._base import (
    StorageBase,
    check_batch_size,
    check_orphan_bounds,
    log_evicted,
)
from sms_campaign_stats.storage._change import (
    ORPHAN_MAX_AGE,
    ORPHAN_MAX_COUNT,
    Change,
    Committed,
    Evidence,
    Orphan,
)
from sms_campaign_stats.storage._counts import (
    CampaignCounts,
    Engagement,
)
from sms_campaign_stats.storage._forgetting import (
    blocklist_key,
    check_forgettable,
    pseudonym,
    scrub,
)
from sms_campaign_stats.storage.sqlite._database import Database
from sms_campaign_stats.storage.sqlite._schema import (
    APPLICATION_ID,
    CAMPAIGN_COLUMNS,
    IN_CHUNK,
    MESSAGE_SELECT,
    SCHEMA_VERSION,
    ListSets,
    campaign_from_row,
    check_or_create_schema,
    decode_shape,
    in_chunks,
    message_from_row,
    micros,
    moment,
    read_salt,
    tally_shapes,
    to_json,
)
from sms_campaign_stats.storage.sqlite._view import ProviderIds, View
from sms_campaign_stats.storage.sqlite._writes import (
    ANY_FORGOTTEN,
    BLOCK,
    FORGOTTEN_RANGE,
    add_evidence,
    compare_and_set_campaigns,
    compare_and_set_messages,
    complete,
    encode_evidence,
    encode_orphans,
    evict_orphans,
    evidence_of_row,
    insert_campaigns,
    insert_events,
    insert_messages,
    keep_orphans,
    record_replies,
    record_unsubscribes,
    take_orphans,
    write_blocks,
)

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "SQLiteStorage"]

# Messages by provider ids; the caller appends "(?, ?, ...)", placeholders only.
_BY_PROVIDER_IDS = (
    "SELECT p.provider_message_id, "
    + MESSAGE_SELECT.removeprefix("SELECT ")
    + "JOIN provider_ids p ON p.message_id = m.id WHERE p.provider_message_id IN "
)
# Messages with their rowid first, for the scans that page by an index's order.
_SEQUENCED_SELECT = "SELECT m.seq, " + MESSAGE_SELECT.removeprefix("SELECT ")
# Orphan reports of provider ids; the caller appends "(?, ?, ...)", placeholders only.
_ORPHANS_OF = (
    "SELECT seq, provider_message_id, received_at, report FROM orphans "
    "WHERE provider_message_id IN "
)
_CACHED_LIST_TEXTS = 4096  # decoded list-id texts kept per store (_list_ids)
_FIRST_PAGE = -(2**62)  # below every instant's microseconds
_NO_END = 2**62  # above every instant's microseconds


def _refuse_what_needs_writing(connection: sqlite3.Connection, path: str) -> None:
    """For a store opened read-only: ``SchemaError`` for a file that opening would write to (an
    empty one, whose schema would be created; an older schema, which would be migrated)."""
    application_id = connection.execute("PRAGMA application_id").fetchone()[0]
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if application_id == 0 and version == 0:
        if connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
            raise SchemaError(path, "an empty database: opened read-only, it cannot be created")
    elif application_id == APPLICATION_ID and version < SCHEMA_VERSION:
        raise SchemaError(
            path,
            f"schema version {version} needs a migration to {SCHEMA_VERSION}, which read-only "
            "cannot do: open it once without read_only",
        )


def _fetch(sql: str, parameters: tuple[Any, ...], connection: sqlite3.Connection) -> list[Any]:
    return connection.execute(sql, parameters).fetchall()


# A campaign's opt-outs; one number's through unsubscribes_campaign (campaign_id, recipient).
_UNSUBSCRIBES = (
    "SELECT id, recipient, campaign_id, at, keyword FROM unsubscribes "
    "WHERE campaign_id = ?{} ORDER BY at, id"
)


class SQLiteStorage(StorageBase):
    """A store in one SQLite file (or ``":memory:"``, private to this object's connections).

    ``timeout`` bounds how long a write waits for another writer before ``StorageBusyError``.
    ``read_only=True`` opens the file with a ``mode=ro`` URI (a read-only file or mount can be
    read) and writes nothing, even when opening: a file that would need its schema created or
    migrated is refused with ``SchemaError``, and every write raises ``StorageError``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 10.0,
        durability: Literal["full", "normal"] = "full",
        read_only: bool = False,
        orphan_max_age: timedelta = ORPHAN_MAX_AGE,
        orphan_max_count: int = ORPHAN_MAX_COUNT,
    ) -> None:
        self._orphan_max_age, self._orphan_max_count = check_orphan_bounds(
            "SQLiteStorage", orphan_max_age, orphan_max_count
        )
        if durability not in ("full", "normal"):
            raise ValidationError("SQLiteStorage.durability", "must be 'full' or 'normal'")
        if not timeout > 0:
            raise ValidationError("SQLiteStorage.timeout", "must be a positive number of seconds")
        self.path = os.fspath(path)
        if read_only and self.path == ":memory:":
            raise ValidationError("SQLiteStorage.read_only", "a new ':memory:' store is empty")
        if self.path != ":memory:" and Path(self.path).is_dir():
            raise StorageError(f"{self.path}: is a directory, not a database file")
        self._database = Database(
            self.path,
            timeout=float(timeout),
            synchronous=durability.upper(),
            read_only=bool(read_only),
        )
        # Committed list-set ids, shared by threads: text -> id, and id -> list ids.
        self._list_set_ids: dict[str, int] = {}
        self._list_sets_by_id: dict[int, tuple[str, ...]] = {}
        # Decoded list-id texts of message rows, shared by threads (_list_ids).
        self._lists_by_text: dict[str, tuple[str, ...]] = {}
        # The columns of each message shape whose list set is committed (ListSets.fragment).
        self._fragments: dict[MessageShape, tuple[Any, ...]] = {}
        # Recorded provider ids' messages, shared by threads (a recorded id never changes hands).
        self._provider_ids = ProviderIds()
        try:
            with self._database.transaction(write=not read_only) as connection:
                if read_only:  # nothing may be written: no schema, no migration, no salt
                    _refuse_what_needs_writing(connection, self.path)
                check_or_create_schema(connection, self.path)
                self._salt = read_salt(connection, self.path)
            self._database.use_wal()
        except BaseException:
            self._database.close()
            raise
        self._transaction = self._database.transaction
        self._read = self._database.read
        self._read_one = self._database.read_one
        self._view = self._database.view

    def __repr__(self) -> str:
        return f"SQLiteStorage({self.path!r})"

    # campaigns and history --------------------------------------------------------------------

    def get_campaign(self, campaign_id: str) -> Campaign:
        found = self._read_one(functools.partial(self._campaign, campaign_id))
        if found is None:
            raise NotFoundError("campaign", campaign_id)
        return found

    def _campaign(self, campaign_id: str, c: sqlite3.Connection) -> Campaign | None:
        view = self._view(c)
        found = view.campaigns.get(campaign_id)
        if found is None:
            row = c.execute(
                f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ?",  # noqa: S608 - constant columns
                (campaign_id,),
            ).fetchone()
            if row is None:
                return None
            found = campaign_from_row(row)
            view.keep_campaign(found)
        return found

    def list_campaigns(self) -> list[Campaign]:
        rows = self._read(
            lambda c: c.execute(
                f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns ORDER BY created_at, id"  # noqa: S608 - constant columns
            ).fetchall()
        )
        return [campaign_from_row(row) for row in rows]

    def timeline(self, campaign_id: str) -> list[TimelineEvent]:
        def query(c: sqlite3.Connection) -> list[Any]:
            _require_campaign(c, campaign_id)
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

    def evidence(self, campaign_id: str) -> Evidence:
        found = self._read_one(functools.partial(self._evidence, campaign_id))
        if found is None:
            raise NotFoundError("campaign", campaign_id)
        return found

    def _evidence(self, campaign_id: str, c: sqlite3.Connection) -> Evidence | None:
        view = self._view(c)
        found = view.evidence.get(campaign_id)
        if found is not None:
            return found
        row = c.execute(
            "SELECT e.delivered, e.soft_bounces, e.hard_bounces, e.unsubscribes "
            "FROM campaigns c LEFT JOIN evidence e ON e.campaign_id = c.id WHERE c.id = ?",
            (campaign_id,),
        ).fetchone()
        if row is None:
            return None
        found = evidence_of_row(campaign_id, row)
        view.keep_evidence(found)
        return found

    # messages ---------------------------------------------------------------------------------

    def _messages_where(self, where: str, parameters: tuple[Any, ...]) -> list[Message]:
        rows = self._read_one(
            functools.partial(_fetch, MESSAGE_SELECT + where, parameters)  # constant SQL
        )
        return [message_from_row(row, self._list_ids(row[3])) for row in rows]

    def _sequenced_where(
        self, where: str, parameters: tuple[Any, ...]
    ) -> list[tuple[int, Message]]:
        """Messages with their rowid (``where`` is a constant clause on ``m``)."""
        rows = self._read(
            functools.partial(_fetch, _SEQUENCED_SELECT + where, parameters)  # constant SQL
        )
        return [(row[0], message_from_row(row[1:], self._list_ids(row[4]))) for row in rows]

    def _list_ids(self, text: str) -> tuple[str, ...]:
        """The list ids a message row's ``list_ids`` text holds: decoded once per text (the
        value of a text never changes, whatever is committed)."""
        found = self._lists_by_text.get(text)
        if found is None:
            if len(self._lists_by_text) >= _CACHED_LIST_TEXTS:
                self._lists_by_text.clear()
            found = self._lists_by_text[text] = tuple(json.loads(text))
        return found

    def get_message(self, message_id: str) -> Message:
        found = self._read_one(functools.partial(self._message, message_id))
        if found is None:
            raise NotFoundError("message", message_id)
        return found

    def _message(self, message_id: str, c: sqlite3.Connection) -> Message | None:
        view = self._view(c)
        found = view.message(message_id)
        if found is None:
            row = c.execute(MESSAGE_SELECT + "WHERE m.id = ?", (message_id,)).fetchone()
            if row is None:
                return None
            found = message_from_row(row, self._list_ids(row[3]))
            view.keep_message(found)
        return found

    def get_messages(self, message_ids: Iterable[str]) -> dict[str, Message]:
        wanted = list(dict.fromkeys(message_ids))

        def query(c: sqlite3.Connection) -> dict[str, Message]:
            view = self._view(c)
            # All of them in the view, or all read: one answer from one snapshot either way.
            found: dict[str, Message] = {}
            for message_id in wanted:
                message = view.message(message_id)
                if message is None:
                    break
                found[message_id] = message
            else:
                return found
            read: dict[str, Message] = {}
            for chunk, marks in in_chunks(wanted):
                for row in c.execute(MESSAGE_SELECT + f"WHERE m.id IN ({marks})", chunk):
                    message = message_from_row(row, self._list_ids(row[3]))
                    read[message.id] = message
                    view.keep_message(message)
            return {mid: read[mid] for mid in wanted if mid in read}  # in the order asked

        return (self._read_one if len(wanted) <= IN_CHUNK else self._read)(query)

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

        def query(c: sqlite3.Connection) -> dict[str, Message]:
            view = self._view(c)
            # All of them known (their ids recorded, their messages in the view), or all read:
            # one answer from one snapshot either way.
            found: dict[str, Message] = {}
            owners = self._provider_ids
            for provider_id in wanted:
                message_id = owners.get(provider_id)
                message = None if message_id is None else view.message(message_id)
                if message is None:
                    break
                found[provider_id] = message
            else:
                return found
            found.clear()
            for chunk, marks in in_chunks(wanted):
                rows = c.execute(_BY_PROVIDER_IDS + f"({marks})", chunk).fetchall()
                for row in rows:
                    message = message_from_row(row[1:], self._list_ids(row[4]))
                    found[row[0]] = message
                    view.keep_message(message)
                    owners.keep(row[0], message.id)
            return found

        return (self._read_one if len(wanted) <= IN_CHUNK else self._read)(query)

    def iter_messages(self, campaign_id: str, *, batch_size: int = 1000) -> Iterator[Message]:
        check_batch_size("iter_messages.batch_size", batch_size)
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

    def messages_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> list[Message]:
        return self._messages_where(
            "WHERE m.recipient = ? AND m.last_attempt_at >= ? AND m.last_attempt_at <= ? "
            "ORDER BY m.last_attempt_at, m.id",
            (recipient, *_window(since, before)),
        )

    def latest_message_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> Message | None:
        found = self._messages_where(
            "WHERE m.recipient = ? AND m.last_attempt_at >= ? AND m.last_attempt_at <= ? "
            "ORDER BY m.last_attempt_at DESC, m.id DESC LIMIT 1",
            (recipient, *_window(since, before)),
        )
        return found[0] if found else None

    def iter_stale(
        self, *, submitted_before: datetime, batch_size: int = 1000
    ) -> Iterator[Message]:
        cutoff = micros(check_utc("submitted_before", submitted_before))
        check_batch_size("iter_stale.batch_size", batch_size)
        return self._iterate_stale(cutoff, batch_size)

    def _iterate_stale(self, cutoff: int | None, batch_size: int) -> Iterator[Message]:
        # Pages in the order of the partial index of processing messages: (last attempt, rowid).
        after: tuple[int, int] = (_FIRST_PAGE, 0)
        while True:
            batch = self._sequenced_where(
                "WHERE m.status = 'processing' AND m.last_attempt_at < ? "
                "AND (m.last_attempt_at, m.seq) > (?, ?) "
                "ORDER BY m.last_attempt_at, m.seq LIMIT ?",
                (cutoff, *after, batch_size),
            )
            yield from (message for _, message in batch)
            if len(batch) < batch_size:
                return
            seq, last = batch[-1]
            after = (micros(last.last_attempt_at) or 0, seq)

    def iter_due(self, now: datetime, *, batch_size: int = 1000) -> Iterator[Message]:
        until = micros(check_utc("now", now))
        check_batch_size("iter_due.batch_size", batch_size)
        sending = self._read(
            lambda c: [
                row[0]
                for row in c.execute(
                    "SELECT id FROM campaigns WHERE status = 'sending' ORDER BY created_at, id"
                )
            ]
        )
        return self._iterate_due(sending, until, batch_size)

    def _iterate_due(
        self, campaign_ids: list[str], until: int | None, batch_size: int
    ) -> Iterator[Message]:
        # Per campaign, in the order of the partial index of due messages: (due at, rowid).
        for campaign_id in campaign_ids:
            after: tuple[int, int] = (_FIRST_PAGE, 0)
            while True:
                batch = self._sequenced_where(
                    "WHERE m.campaign_id = ? AND m.status = 'queued' AND m.due_at <= ? "
                    "AND (m.due_at, m.seq) > (?, ?) ORDER BY m.due_at, m.seq LIMIT ?",
                    (campaign_id, until, *after, batch_size),
                )
                yield from (message for _, message in batch)
                if len(batch) < batch_size:
                    break
                seq, last = batch[-1]
                after = (micros(last.due_at) or 0, seq)

    # replies, unsubscribes, blocklist, orphans ---------------------------------------------------

    def replies(self, campaign_id: str) -> list[Reply]:
        def query(c: sqlite3.Connection) -> list[Any]:
            _require_campaign(c, campaign_id)
            return c.execute(
                "SELECT id, recipient, campaign_id, at, text FROM replies "
                "WHERE campaign_id = ? ORDER BY at, id",
                (campaign_id,),
            ).fetchall()

        return [
            Reply(id=r[0], recipient=r[1], campaign_id=r[2], at=moment(r[3]), text=r[4])
            for r in self._read(query)
        ]

    def unsubscribes(self, campaign_id: str, *, recipient: str | None = None) -> list[Unsubscribe]:
        statement, values = (
            (_UNSUBSCRIBES.format(""), (campaign_id,))
            if recipient is None
            else (_UNSUBSCRIBES.format(" AND recipient = ?"), (campaign_id, recipient))
        )

        def query(c: sqlite3.Connection) -> list[Any]:
            _require_campaign(c, campaign_id)
            return c.execute(statement, values).fetchall()

        return [
            Unsubscribe(id=r[0], recipient=r[1], campaign_id=r[2], at=moment(r[3]), keyword=r[4])
            for r in self._read(query)
        ]

    def blocked(self, recipients: Iterable[str]) -> frozenset[str]:
        wanted = list(dict.fromkeys(recipients))

        def query(c: sqlite3.Connection) -> set[str]:
            found = self._blocked_among(c, wanted)
            if c.execute(ANY_FORGOTTEN, FORGOTTEN_RANGE).fetchone() is not None:
                # Some numbers were forgotten: look for the others under their hashes too.
                keys = {blocklist_key(self._salt, r): r for r in wanted if r not in found}
                found.update(keys[key] for key in self._blocked_among(c, list(keys)))
            return found

        return frozenset(self._read(query))

    @staticmethod
    def _blocked_among(c: sqlite3.Connection, wanted: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk, marks in in_chunks(wanted):
            found.update(
                row[0]
                for row in c.execute(
                    f"SELECT recipient FROM blocklist WHERE recipient IN ({marks})",  # noqa: S608 - placeholders only
                    chunk,
                )
            )
        return found

    def orphans(self, provider_message_ids: Iterable[str]) -> list[Orphan]:
        wanted = list(dict.fromkeys(provider_message_ids))

        def query(c: sqlite3.Connection) -> list[Any]:
            view = self._view(c)
            if view.orphans_empty is None:
                view.orphans_empty = c.execute("SELECT 1 FROM orphans LIMIT 1").fetchone() is None
            if view.orphans_empty:
                return []
            rows: list[Any] = []
            for chunk, marks in in_chunks(wanted):
                rows += c.execute(_ORPHANS_OF + f"({marks})", chunk).fetchall()
            return sorted(rows)

        return [
            Orphan(
                provider_message_id=row[1], report=json.loads(row[3]), received_at=moment(row[2])
            )
            for row in (self._read_one if len(wanted) <= IN_CHUNK else self._read)(query)
        ]

    def take_orphans(self, provider_message_id: str) -> list[Mapping[str, Any]]:
        # One atomic take (read and removed in one transaction). Almost every submission has no
        # orphan: look without taking the write lock first; one added after this look is taken
        # by the next call, as if it had come after this one.
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
            take_orphans(connection, [provider_message_id])
        return [json.loads(row[0]) for row in rows]

    # writes -----------------------------------------------------------------------------------

    def commit(self, change: Change) -> Committed:
        if not isinstance(change, Change):
            raise ValidationError("commit", f"expected a Change, got {type(change).__name__}")
        if change.is_empty:
            self._database.connection()  # a closed store refuses even an empty change
            return Committed()
        # Everything that can be encoded is, before the write lock is taken.
        blocks = [self._block_row(block) for block in change.blocks] if change.blocks else []
        orphans = encode_orphans(change.orphans) if change.orphans else []
        evidence = encode_evidence(change.evidence) if change.evidence else {}
        claimed: list[tuple[str, str]] = []
        done: list[Committed] = []
        keep = functools.partial(self._keep, change, claimed, done)
        try:
            with self._transaction(write=True, on_commit=keep) as connection:
                list_sets = ListSets(connection, self._list_set_ids, self._fragments)
                written = self._write(
                    connection, change, list_sets, blocks, orphans, evidence, claimed
                )
                done.append(written)
        except (sqlite3.IntegrityError, OverflowError) as error:
            # Refused by the database as it wrote (a trigger, an integer beyond 64 bits): the
            # transaction was rolled back.
            raise StorageError(
                f"{self.path}: the change could not be written ({error}); nothing was written"
            ) from error
        list_sets.committed()
        return written

    def _keep(
        self,
        change: Change,
        claimed: list[tuple[str, str]],
        done: list[Committed],
        view: View,
    ) -> None:
        """A committed change's values, into the connection's view: messages and campaigns as
        stored, the evidence as the change left it, the provider ids recorded."""
        (written,) = done
        for message in written.messages:
            view.keep_message(message)
        for campaign in written.campaigns:
            view.keep_campaign(campaign)
        for total in written.evidence:
            view.keep_evidence(total)
        if change.orphans or change.taken_orphans:
            view.orphans_empty = None
        for provider_id, message_id in claimed:
            self._provider_ids.keep(provider_id, message_id)

    def _write(
        self,
        connection: sqlite3.Connection,
        change: Change,
        list_sets: ListSets,
        blocks: list[tuple[str, str, int | None, str]],
        orphans: list[tuple[str, int | None, str]],
        evidence: dict[str, Evidence],
        claimed: list[tuple[str, str]],
    ) -> Committed:
        """The statements of ``commit``, in its transaction (each only if the change has
        something for it: an event's change has a message or two, and little else)."""
        if change.new_campaigns:
            insert_campaigns(connection, change.new_campaigns)
        campaigns = (
            compare_and_set_campaigns(connection, change.campaigns) if change.campaigns else []
        )
        if change.new_messages:
            insert_messages(connection, change.new_messages, list_sets)
        messages = (
            compare_and_set_messages(
                connection,
                change.messages,
                list_sets,
                self._provider_ids,
                claimed,
                self._database.view_of(connection).messages,
            )
            if change.messages
            else []
        )
        if change.events:
            insert_events(connection, change.events)
        replies = record_replies(connection, change.replies) if change.replies else []
        unsubscribes = (
            record_unsubscribes(connection, change.unsubscribes) if change.unsubscribes else []
        )
        written = write_blocks(connection, blocks) if blocks else []
        if change.taken_orphans:
            take_orphans(connection, change.taken_orphans)
        if orphans:
            keep_orphans(connection, orphans)
            evicted = evict_orphans(
                connection,
                max(row[1] or 0 for row in orphans),
                self._orphan_max_age // timedelta(microseconds=1),
                self._orphan_max_count,
            )
            if evicted:
                log_evicted(evicted, self._orphan_max_age, self._orphan_max_count)
        totals = add_evidence(connection, evidence) if evidence else []
        completed = [
            done
            for done in (complete(connection, c) for c in change.completions)
            if done is not None
        ]
        stored = (
            {c.id: c for c in (*campaigns, *change.new_campaigns, *completed)}
            if campaigns or change.new_campaigns or completed
            else {}
        )
        return Committed(
            campaigns=tuple(stored.values()),
            messages=(*messages, *change.new_messages) if change.new_messages else tuple(messages),
            replies=tuple(replies),
            unsubscribes=tuple(unsubscribes),
            blocks=(
                tuple(b for b, ok in zip(change.blocks, written, strict=True) if ok)
                if written
                else ()
            ),
            completed=tuple(completed),
            evidence=tuple(totals),
        )

    def _block_row(self, block: Block) -> tuple[str, str, int | None, str]:
        key = blocklist_key(self._salt, block.recipient)
        return block.recipient, block.reason, micros(block.at), key

    def add_messages(self, messages: Iterable[Message]) -> int:
        # Streamed into one transaction, chunk by chunk, as commit writes new messages: an
        # import of millions is never held whole in memory, nor checked twice.
        with self._transaction(write=True) as connection:
            list_sets = ListSets(connection, self._list_set_ids, self._fragments)
            count = insert_messages(connection, messages, list_sets)
        list_sets.committed()
        return count

    # personal data ------------------------------------------------------------------------------

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
            # Every waiting report is read: inside free text the number may be written in
            # forms no SQL filter finds ("06 12 34 56 78"); orphan reports are few.
            candidates = connection.execute("SELECT seq, report FROM orphans").fetchall()
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
                connection.execute(BLOCK, (key, *blocked, key))
                changed += 1
        # With secure_delete, the replaced values were zeroed in the database file; the WAL
        # still holds page images from before: copied back and truncated to zero bytes.
        self._database.truncate_wal()
        return changed

    # aggregates -------------------------------------------------------------------------------

    def campaign_counts(self, campaign_id: str) -> CampaignCounts:
        def query(c: sqlite3.Connection) -> CampaignCounts:
            if c.execute("SELECT 1 FROM campaigns WHERE id = ?", (campaign_id,)).fetchone() is None:
                raise NotFoundError("campaign", campaign_id)
            # Kept counted as the messages are written: a few rows, whatever the campaign's size.
            grouped = c.execute(
                "SELECT status, shape, messages FROM message_counts "
                "WHERE campaign_id = ? AND messages > 0",
                (campaign_id,),
            ).fetchall()
            engaged = c.execute(
                # An unsubscriber counts only on a delivered message (issue 15): the
                # engaged rows are few, so reading their status costs next to nothing.
                "SELECT list_set, SUM(replies > 0), SUM(replies), "
                "SUM(unsubscribed > 0 AND status = 'delivered') "
                "FROM messages INDEXED BY messages_engaged "
                "WHERE campaign_id = ? AND (replies > 0 OR unsubscribed > 0) GROUP BY list_set",
                (campaign_id,),
            ).fetchall()
            lists = self._list_sets(c, {decode_shape(shape)[0] for _, shape, _ in grouped})
            cells, compensable = tally_shapes(grouped, lists)
            engagement = {
                lists[list_set]: Engagement(repliers, replies, unsubscribers)
                for list_set, repliers, replies, unsubscribers in engaged
            }
            providers: dict[str | None, int] = {}
            if compensable:  # rare: the provider of just those rows, sought through the index
                providers = dict(
                    c.execute(
                        "SELECT json_extract(attempts, '$[#-1][6]'), COUNT(*) FROM messages "
                        "INDEXED BY messages_soft_bounces WHERE campaign_id = ? "
                        "AND status = 'soft_bounce' "
                        "AND shape IN (SELECT value FROM json_each(?)) GROUP BY 1",
                        (campaign_id, json.dumps(compensable)),
                    ).fetchall()
                )
            return CampaignCounts(cells, engagement, providers)

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


def _require_campaign(connection: sqlite3.Connection, campaign_id: str) -> None:
    if (
        connection.execute("SELECT 1 FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
        is None
    ):
        raise NotFoundError("campaign", campaign_id)


def _window(since: datetime, before: datetime | None) -> tuple[int | None, int | None]:
    """``[since, before]`` as microseconds (no ``before``: no end)."""
    end = _NO_END if before is None else micros(check_utc("before", before))
    return micros(check_utc("since", since)), end
