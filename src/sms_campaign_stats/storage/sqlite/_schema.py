"""The SQLite schema of ``SQLiteStorage`` and how values are encoded in it.

Readable columns for people who query the file directly (status and reason as words, instants as
microseconds since the Unix epoch in UTC, money as decimal text, lists as JSON), plus derived
columns and a table that keep a report to a few rows and one index scan whatever the campaign's
size and engagement:

* ``shape``: one integer for what a message counts as besides its status (see ``encode_shape``),
  so ``message_counts`` counts a campaign's messages per two columns instead of five;
* ``replies`` and ``unsubscribed``: how many replies the message's recipient sent, and whether
  they opted out, attributed to its campaign. ``SQLiteStorage`` maintains them when replies,
  unsubscribes and messages are recorded, in whatever order they arrive.
"""

from __future__ import annotations

import enum
import functools
import json
import json.encoder
import json.scanner
import operator
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, cast

from sms_campaign_stats._core.shape import MessageShape
from sms_campaign_stats.errors import SchemaError, ValidationError
from sms_campaign_stats.lifecycle._statuses import BounceReason, MessageStatus, Outcome
from sms_campaign_stats.model import (
    Attempt,
    Campaign,
    Message,
    Part,
    built_message,
    trusted_attempt,
)
from sms_campaign_stats.storage._counts import Cell, CellKey, is_compensable
from sms_campaign_stats.storage._forgetting import new_salt

__all__ = [
    "APPLICATION_ID",
    "CAMPAIGN_COLUMNS",
    "COUNT_MESSAGES",
    "IN_CHUNK",
    "MESSAGE_COLUMNS",
    "MESSAGE_SELECT",
    "MIGRATIONS",
    "SALT_KEY",
    "SCHEMA",
    "SCHEMA_VERSION",
    "TABLES",
    "UNTIMED_COLUMNS",
    "ListSets",
    "attempt_provider_ids",
    "campaign_from_row",
    "campaign_row",
    "check_or_create_schema",
    "decode_shape",
    "encode_shape",
    "in_chunks",
    "is_timed",
    "message_from_row",
    "message_rows",
    "micros",
    "moment",
    "optional_moment",
    "read_salt",
    "tally_shapes",
    "to_json",
]

#: Marks a database file as ours: "SMSC" in ASCII.
APPLICATION_ID = 0x534D5343
#: The schema this version of the library writes and reads. History:
#: 1: the first schema. 2: adds ``store_keys`` (the salt of ``forget``). 3: messages keep their
#: send-time ``zone`` and when they are ``due_at`` (an index finds the due ones), and
#: ``evidence`` keeps each campaign's suspension evidence. 4: a message's ``shape`` also counts its
#: attempts and its failed attempts (what a provider bills), reason code 14 is
#: ``opted_out_earlier``, and ``messages_engaged`` holds the status. 5: ``message_counts`` keeps
#: how many messages each campaign has per status and shape, written with the messages, instead
#: of the index ``messages_counts`` (see ``_COUNTS_TABLE``). An older file is migrated when opened
#: (see ``MIGRATIONS``).
SCHEMA_VERSION = 5

# Secrets of this store, drawn once: the salt of forgotten numbers' hashes (version 2).
_STORE_KEYS_TABLE = """CREATE TABLE store_keys (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID"""
# Queued messages that know when they are due, per campaign, earliest first: what iter_due reads
# (version 3). Partial: a message leaves it once it is sent, and an import of messages already
# sent adds nothing to it.
_DUE_INDEX = """CREATE INDEX messages_due ON messages (campaign_id, due_at)
    WHERE status = 'queued' AND due_at IS NOT NULL"""
_ENGAGED_INDEX = """CREATE INDEX messages_engaged ON messages
    (campaign_id, list_set, replies, unsubscribed, status) WHERE replies > 0 OR unsubscribed > 0"""
# What each campaign's suspension policy has observed since it last started or resumed, kept so
# that every engine, process and host sees the same evidence (version 3).
_EVIDENCE_TABLE = """CREATE TABLE evidence (
    campaign_id TEXT PRIMARY KEY REFERENCES campaigns (id),
    delivered INTEGER NOT NULL,
    soft_bounces INTEGER NOT NULL,
    hard_bounces INTEGER NOT NULL,
    unsubscribes INTEGER NOT NULL
) WITHOUT ROWID"""

# How many messages each campaign has per status and shape, changed in the transaction that
# inserts or changes them (version 5): what the report groups, and what tells a campaign whether
# a message of it is still open, a few rows read. It replaces the index messages_counts (campaign,
# status, shape), which every change of status moved between two random leaf pages: a third of
# the pages a delivery report wrote (see docs/performance.md). A count never goes below zero:
# the CHECK refuses a change that would, rather than let a report drift.
_COUNTS_TABLE = """CREATE TABLE message_counts (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    status TEXT NOT NULL,
    shape INTEGER NOT NULL,
    messages INTEGER NOT NULL CHECK (messages >= 0),
    PRIMARY KEY (campaign_id, status, shape)
) WITHOUT ROWID"""
# The soft-bounced messages of a campaign by shape: where the report finds the providers of the
# compensable ones (version 5; messages_counts answered it before). Partial: a message enters it
# only when it soft-bounces for good.
_SOFT_BOUNCES_INDEX = """CREATE INDEX messages_soft_bounces ON messages (campaign_id, shape)
    WHERE status = 'soft_bounce'"""

SCHEMA = (
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
    # Each distinct combination of contact lists, once: messages refer to it by id.
    """CREATE TABLE list_sets (
        id INTEGER PRIMARY KEY,
        list_ids TEXT NOT NULL UNIQUE
    )""",
    """CREATE TABLE messages (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        campaign_id TEXT NOT NULL REFERENCES campaigns (id),
        recipient TEXT NOT NULL,
        list_set INTEGER NOT NULL REFERENCES list_sets (id),
        status TEXT NOT NULL,
        reason TEXT,
        shape INTEGER NOT NULL,
        attempts TEXT,
        segments INTEGER NOT NULL,
        queued_at INTEGER NOT NULL,
        submitted_at INTEGER,
        final_at INTEGER,
        sent INTEGER NOT NULL,
        version INTEGER NOT NULL,
        replies INTEGER NOT NULL DEFAULT 0,
        unsubscribed INTEGER NOT NULL DEFAULT 0,
        last_attempt_at INTEGER,
        zone TEXT,
        due_at INTEGER,
        UNIQUE (campaign_id, recipient)
    )""",
    # Messages still with a provider, oldest attempt first: what expire() looks at.
    """CREATE INDEX messages_processing ON messages (last_attempt_at)
        WHERE status = 'processing'""",
    # The latest message sent to a number: what attributes an inbound reply.
    "CREATE INDEX messages_recipient_recent ON messages (recipient, last_attempt_at)",
    _SOFT_BOUNCES_INDEX,
    _DUE_INDEX,
    # The few messages whose recipient replied or opted out, by list set: a partial index, so
    # counting engagement reads only them, in order, from the index alone (their status too,
    # version 4: an unsubscriber counts on a delivered message only).
    _ENGAGED_INDEX,
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
    # Delivery reports that arrived before their message's provider id was recorded.
    """CREATE TABLE orphans (
        seq INTEGER PRIMARY KEY,
        provider_message_id TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        report TEXT NOT NULL
    )""",
    "CREATE INDEX orphans_provider_id ON orphans (provider_message_id, seq)",
    # Numbers never to send to again (a hard bounce, an opt-out).
    """CREATE TABLE blocklist (
        recipient TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        at INTEGER NOT NULL
    ) WITHOUT ROWID""",
    _STORE_KEYS_TABLE,
    _EVIDENCE_TABLE,
    _COUNTS_TABLE,
)
TABLES = frozenset(
    {
        "campaigns",
        "list_sets",
        "messages",
        "provider_ids",
        "timeline",
        "replies",
        "unsubscribes",
        "orphans",
        "blocklist",
        "store_keys",
        "evidence",
        "message_counts",
    }
)
#: The salt's row in ``store_keys``.
SALT_KEY = "forget-salt"


def _draw_salt(connection: sqlite3.Connection) -> None:
    connection.execute("INSERT INTO store_keys (name, value) VALUES (?, ?)", (SALT_KEY, new_salt()))


def _add_store_keys(connection: sqlite3.Connection) -> None:
    """Version 1 to 2: the table of the store's secrets, and its salt."""
    connection.execute(_STORE_KEYS_TABLE)
    _draw_salt(connection)


def _add_due_times_and_evidence(connection: sqlite3.Connection) -> None:
    """Version 2 to 3: messages' zones and due times (unknown for the messages already stored:
    ``NULL``, as a message that waits for a zone), their index, and the evidence table (empty:
    each campaign's evidence starts afresh, as after a resume)."""
    connection.execute("ALTER TABLE messages ADD COLUMN zone TEXT")
    connection.execute("ALTER TABLE messages ADD COLUMN due_at INTEGER")
    connection.execute(_DUE_INDEX)
    connection.execute(_EVIDENCE_TABLE)


#: Version 3 to 4, in one statement: each message's ``shape`` gains its attempts and failed
#: attempts (see ``encode_shape``), counted from its attempts as version 3 wrote them (JSON
#: arrays ``[number, submitted_at, provider id, outcome, error code]``).
SHAPE_WITH_ATTEMPTS = (
    "UPDATE messages SET shape = (shape * 4096 + coalesce(json_array_length(attempts), 0)) * 4096"
    " + (SELECT count(*) FROM json_each(messages.attempts)"
    " WHERE json_extract(json_each.value, '$[3]') IN ('soft_bounce', 'hard_bounce'))"
)


def _count_attempts_in_shapes(connection: sqlite3.Connection) -> None:
    """Version 3 to 4: attempts and failed attempts in every message's ``shape``; the index of
    engaged messages gains their status (the report counts unsubscribers on delivered messages
    only, from the index alone)."""
    connection.execute(SHAPE_WITH_ATTEMPTS)
    connection.execute("DROP INDEX messages_engaged")
    connection.execute(_ENGAGED_INDEX)


#: Version 4 to 5: each campaign's messages counted per status and shape, as they stand.
COUNT_MESSAGES = (
    "INSERT INTO message_counts (campaign_id, status, shape, messages) "
    "SELECT campaign_id, status, shape, COUNT(*) FROM messages GROUP BY campaign_id, status, shape"
)


def _keep_counts(connection: sqlite3.Connection) -> None:
    """Version 4 to 5: the counts table, filled from the messages, instead of the counts index;
    the soft bounces' partial index."""
    connection.execute(_COUNTS_TABLE)
    connection.execute(COUNT_MESSAGES)
    connection.execute("DROP INDEX messages_counts")
    connection.execute(_SOFT_BOUNCES_INDEX)


#: Each step takes a file from the version it is keyed by to the next one, inside the opening
#: transaction: all steps are applied, or none.
MIGRATIONS: Mapping[int, Callable[[sqlite3.Connection], None]] = {
    1: _add_store_keys,
    2: _add_due_times_and_evidence,
    3: _count_attempts_in_shapes,
    4: _keep_counts,
}


# The tables of each version this library opens.
_TABLES_AT: Mapping[int, frozenset[str]] = {
    1: TABLES - {"store_keys", "evidence", "message_counts"},
    2: TABLES - {"evidence", "message_counts"},
    3: TABLES - {"message_counts"},
    4: TABLES - {"message_counts"},
    5: TABLES,
}


def read_salt(connection: sqlite3.Connection, path: str) -> bytes:
    """The store's salt; ``SchemaError`` if it was deleted (forgotten numbers would then stay
    blocked under hashes no number matches any more)."""
    row = connection.execute("SELECT value FROM store_keys WHERE name = ?", (SALT_KEY,)).fetchone()
    if row is None:
        raise SchemaError(path, "damaged schema: the store's salt is missing")
    return bytes(row[0])


def check_or_create_schema(connection: sqlite3.Connection, path: str) -> None:
    """Create the schema in an empty database, or check that it is ours and of this version.

    An older version with a migration is migrated in place (in the caller's transaction, so
    wholly or not at all). Refuses, with ``SchemaError`` and without writing, a database made by
    something else, by a newer or unknown schema version, or missing a table. Runs inside the
    caller's transaction.
    """
    application_id = connection.execute("PRAGMA application_id").fetchone()[0]
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    tables = {
        row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    if application_id == 0 and version == 0 and not tables:
        for statement in SCHEMA:
            connection.execute(statement)
        _draw_salt(connection)
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return
    if application_id != APPLICATION_ID:
        raise SchemaError(path, "not an sms_campaign_stats database")
    if version > SCHEMA_VERSION:
        raise SchemaError(
            path,
            f"written with schema version {version}, newer than the {SCHEMA_VERSION} this "
            "version of sms_campaign_stats reads; upgrade the library to open it",
        )
    expected = _TABLES_AT.get(version)
    if expected is None:
        raise SchemaError(path, f"unknown schema version {version}; no migration exists for it")
    missing = expected - tables
    if missing:
        raise SchemaError(path, f"damaged schema: missing {sorted(missing)}")
    if version < SCHEMA_VERSION:
        for step in range(version, SCHEMA_VERSION):
            MIGRATIONS[step](connection)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


#: Values per ``IN (...)`` of one statement (SQLite allows 32,766 parameters; 999 before 3.32).
IN_CHUNK = 500


def in_chunks(values: Sequence[str]) -> Iterator[tuple[Sequence[str], str]]:
    """``values`` in chunks of ``IN_CHUNK``, each with its placeholders (``?, ?, ...``)."""
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        yield chunk, ", ".join("?" * len(chunk))


CAMPAIGN_COLUMNS = (
    "id, name, sender, content, list_ids, status, created_at, scheduled_at, unit_price, "
    "currency, version"
)
#: The columns of a message but its send-time zone and due time (``NULL`` if left out).
UNTIMED_COLUMNS = (
    "id, campaign_id, recipient, list_set, status, reason, shape, attempts, segments, queued_at, "
    "submitted_at, final_at, sent, version, last_attempt_at"
)
MESSAGE_COLUMNS = UNTIMED_COLUMNS + ", zone, due_at"
#: Reads messages with their lists; callers append a WHERE clause on ``m``.
MESSAGE_SELECT = (
    "SELECT m.id, m.campaign_id, m.recipient, l.list_ids, m.status, m.reason, m.attempts, "
    "m.segments, m.queued_at, m.submitted_at, m.final_at, m.sent, m.version, m.zone, m.due_at "
    "FROM messages m JOIN list_sets l ON l.id = m.list_set "
)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def micros(value: datetime | None) -> int | None:
    """Microseconds since the Unix epoch (exact for every datetime)."""
    return None if value is None else (value - _EPOCH) // _MICROSECOND


def moment(value: int) -> datetime:
    """The UTC datetime ``micros`` encoded."""
    return _EPOCH + timedelta(microseconds=value)


def optional_moment(value: int | None) -> datetime | None:
    """Like ``moment``; ``None`` stays ``None``."""
    return None if value is None else _EPOCH + timedelta(microseconds=value)


# A JSON string literal, the C implementation when available (as json.dumps uses).
_quote: Callable[[str], str] = json.encoder.encode_basestring
# One encoder for all: json.dumps with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def to_json(value: object) -> str:
    """Compact JSON, unicode kept, NaN refused."""
    return _ENCODER.encode(value)


# Stable codes for the ``shape`` column: part of schema version 1, never renumbered.
_REASON_CODES: Mapping[BounceReason | None, int] = {
    None: 0,
    BounceReason.SENT_OUTSIDE_ALLOWED_HOURS: 1,
    BounceReason.LANDLINE_NUMBER: 2,
    BounceReason.INVALID_NUMBER_OR_COUNTRY_CODE: 3,
    BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE: 4,
    BounceReason.EXPIRED_AT_OPERATOR: 5,
    BounceReason.PROVIDER_UNKNOWN_FAILURE: 6,
    BounceReason.SPAM_FILTERED_BY_OPERATOR: 7,
    BounceReason.UNDELIVERABLE_CONTENT: 8,
    BounceReason.TEMPORARY_OPERATOR_NETWORK_ISSUE: 9,
    BounceReason.RECIPIENT_UNREACHABLE: 10,
    BounceReason.HANDSET_TEMPORARY_ERROR: 11,
    BounceReason.BLOCKED_BY_RECIPIENT_OR_OPERATOR: 12,
    BounceReason.NUMBER_DOES_NOT_EXIST: 13,
    BounceReason.OPTED_OUT_EARLIER: 14,  # version 4
}
_REASONS_BY_CODE = {code: reason for reason, code in _REASON_CODES.items()}
# The attempt counts in ``shape`` (version 4): 12 bits each.
_ATTEMPT_SPAN = 4096


def encode_shape(
    list_set: int,
    reason: BounceReason | None,
    sent: bool,
    segments: int,
    attempts: int = 0,
    failed_attempts: int = 0,
) -> int:
    """One integer for (list set, reason, sent, segments, attempts, failed attempts): with the
    status, what a message counts as. Failed attempts and attempts take 12 bits each (0..4095,
    ``MAX_ATTEMPTS``; schema version 4), segments 8 (1..255), sent 1, the reason 4."""
    if not (0 <= failed_attempts <= attempts < _ATTEMPT_SPAN):
        raise ValidationError(
            "Message.attempts",
            f"{attempts} attempts, {failed_attempts} failed: at most {_ATTEMPT_SPAN - 1} are kept",
        )
    old = ((list_set * 16 + _REASON_CODES[reason]) * 2 + sent) * 256 + segments
    return (old * _ATTEMPT_SPAN + attempts) * _ATTEMPT_SPAN + failed_attempts


def decode_shape(shape: int) -> tuple[int, BounceReason | None, bool, int, int, int]:
    """The inverse of ``encode_shape``."""
    rest, failed = divmod(shape, _ATTEMPT_SPAN)
    rest, attempts = divmod(rest, _ATTEMPT_SPAN)
    rest, segments = divmod(rest, 256)
    rest, sent = divmod(rest, 2)
    list_set, reason = divmod(rest, 16)
    return list_set, _REASONS_BY_CODE[reason], bool(sent), segments, attempts, failed


def tally_shapes(
    grouped: Iterable[tuple[str, int, int]], lists: Mapping[int, tuple[str, ...]]
) -> tuple[dict[CellKey, Cell], list[int]]:
    """The cells of a ``SELECT status, shape, count(*) ... GROUP BY status, shape`` (``lists``:
    each list set's ids), and the shapes of its compensable messages (``is_compensable``), whose
    providers a store then counts. Both stores count this way."""
    cells: dict[CellKey, Cell] = {}
    compensable: list[int] = []
    for status_value, shape, messages in grouped:
        list_set, reason, sent, segments, attempts, failed = decode_shape(shape)
        status = MessageStatus(status_value)
        key = CellKey(lists[list_set], status, reason, sent)
        cells[key] = cells.get(key, Cell(0, 0)) + Cell.of(messages, segments, attempts, failed)
        if is_compensable(status, reason, sent):
            compensable.append(shape)
    return cells, compensable


def campaign_row(c: Campaign) -> tuple[Any, ...]:
    """A campaign as a row, in ``CAMPAIGN_COLUMNS`` order."""
    return (
        c.id,
        c.name,
        c.sender,
        c.content,
        to_json(list(c.list_ids)),
        c.status.value,
        micros(c.created_at),
        micros(c.scheduled_at),
        str(c.unit_price),
        c.currency,
        c.version,
    )


@functools.lru_cache(maxsize=256)
def campaign_from_row(row: tuple[Any, ...]) -> Campaign:
    """The campaign a row holds. Cached by the row (a campaign is a frozen value, and its row
    changes with every version): the engine reads its campaign on every event, and building a
    ``Campaign`` checks all of its fields."""
    return Campaign(
        id=row[0],
        name=row[1],
        sender=row[2],
        content=row[3],
        list_ids=tuple(json.loads(row[4])),
        status=row[5],
        created_at=moment(row[6]),
        scheduled_at=optional_moment(row[7]),
        unit_price=Decimal(row[8]),
        currency=row[9],
        version=row[10],
    )


def _json_string(value: str | None) -> str:
    return "null" if value is None else _quote(value)


def _attempt_json(a: Attempt) -> str:
    return (
        f"[{a.number},{(a.submitted_at - _EPOCH) // _MICROSECOND},"
        f"{_json_string(a.provider_message_id)},"
        f"{'null' if a.outcome is None else _quote(a.outcome.value)},"
        f"{_json_string(a.provider_error_code)}{_parts_json(a.parts, a.provider)}"
        f"{_provider_json(a.provider)}]"
    )


def _parts_json(parts: tuple[Part, ...], provider: str | None = None) -> str:
    """The optional sixth element of an attempt's array: its parts, ``[[provider id, outcome,
    report], ...]``, for a message sent in several parts (nothing for one sent whole, so rows
    written before parts existed, five elements long, read the same; ``null`` when a seventh
    element, the provider, follows)."""
    if not parts:
        return "" if provider is None else ",null"
    return "," + to_json(
        [
            [p.provider_message_id, None if p.outcome is None else p.outcome.value, p.report]
            for p in parts
        ]
    )


def _provider_json(provider: str | None) -> str:
    """The optional seventh element of an attempt's array: the name of the provider whose report
    decided its outcome (nothing when unknown: rows written before it existed read the same)."""
    return "" if provider is None else f",{_json_string(provider)}"


def _parts(items: list[list[Any]]) -> tuple[Part, ...]:
    return tuple(
        Part(provider_message_id=pid, outcome=outcome, report=report)
        for pid, outcome, report in items
    )


def attempt_provider_ids(item: list[Any]) -> list[str]:
    """The provider ids of one attempt's array as ``_attempts_json`` wrote it: each part's,
    or its one (none if it has none)."""
    if len(item) > 5 and item[5]:
        return [part[0] for part in item[5]]
    return [] if item[2] is None else [item[2]]


def _attempts_json(attempts: tuple[Attempt, ...]) -> str | None:
    """The attempts as a JSON array of [number, submitted_at, provider id, outcome, error code,
    parts (optional), provider (optional)].

    Written by hand: this runs once per message of an import, and ``json`` is several times
    slower on such small arrays. ``_attempts`` reads it back with ``json.loads``.
    """
    if not attempts:
        return None
    if len(attempts) == 1:
        return f"[{_attempt_json(attempts[0])}]"
    return "[" + ",".join(map(_attempt_json, attempts)) + "]"


def _attempts(text: str | None) -> tuple[Attempt, ...]:
    if text is None:
        return ()
    return tuple(
        trusted_attempt(
            number,
            _EPOCH + timedelta(microseconds=submitted),
            provider_id,
            None if outcome is None else outcome_of(outcome),
            code,
            _parts(rest[0]) if rest and rest[0] else (),
            rest[1] if len(rest) > 1 else None,
        )
        for number, submitted, provider_id, outcome, code, *rest in json_array(text)
    )


# The C scanner ``json.loads`` ends in (typeshed types its argument as itself).
_scan_json = json.scanner.make_scanner(cast(Any, json.JSONDecoder()))


def json_array(text: str) -> Any:
    """``json.loads(text)`` for the compact JSON this library writes (no white space around
    it), without ``json.loads``'s layers of calls: the attempts of every message read go
    through here. Any other text goes to ``json.loads`` (same value, same errors)."""
    try:
        value, end = _scan_json(text, 0)
    except StopIteration:
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def _members(kind: type[enum.Enum]) -> dict[Any, Any]:
    return {member.value: member for member in kind}


_STATUSES: dict[str, MessageStatus] = _members(MessageStatus)
_REASONS: dict[str, BounceReason] = _members(BounceReason)
_OUTCOMES: dict[str, Outcome] = _members(Outcome)


def status_of(value: str) -> MessageStatus:
    """``MessageStatus(value)``, by a dictionary look-up (an unknown word: the same error)."""
    found = _STATUSES.get(value)
    return MessageStatus(value) if found is None else found


def reason_of(value: str | None) -> BounceReason | None:
    """``BounceReason(value)`` (``None`` stays ``None``), by a dictionary look-up."""
    if value is None:
        return None
    found = _REASONS.get(value)
    return BounceReason(value) if found is None else found


def outcome_of(value: str) -> Outcome:
    """``Outcome(value)``, by a dictionary look-up."""
    found = _OUTCOMES.get(value)
    return Outcome(value) if found is None else found


#: At most this many shapes' columns are kept per store (``ListSets.fragment``).
CACHED_FRAGMENTS = 4096


class ListSets:
    """Ids of list combinations in one database, resolved and created inside a transaction.

    Ids created by a transaction that rolls back disappear with it, so only ids seen committed
    go in the shared ``known`` cache; a ``ListSets`` lives for one transaction. So do the
    columns a message's shape stands for (``fragment``): those of a committed list set go in the
    shared ``fragments`` cache, so that writing a message of a known shape encodes none of them.
    """

    def __init__(
        self,
        connection: sqlite3.Connection,
        known: dict[str, int],
        fragments: dict[MessageShape, tuple[Any, ...]] | None = None,
    ) -> None:
        self._connection = connection
        self._known = known
        self._pending: dict[str, int] = {}
        self._fragments = {} if fragments is None else fragments

    def id_of(self, list_ids: tuple[str, ...]) -> int:
        """The id of this combination, created if new."""
        text = to_json(list(list_ids))
        found = self._known.get(text) or self._pending.get(text)
        if found is None:
            self._connection.execute(
                "INSERT INTO list_sets (list_ids) VALUES (?) ON CONFLICT (list_ids) DO NOTHING",
                (text,),
            )
            found = self._connection.execute(
                "SELECT id FROM list_sets WHERE list_ids = ?", (text,)
            ).fetchone()[0]
            self._pending[text] = found
        return found

    def fragment(self, m: Message) -> tuple[Any, ...]:
        """The columns of ``m`` that its shape determines: list set, status, reason, shape."""
        shape = m._shape
        found = self._fragments.get(shape)
        if found is not None:
            return found
        list_set = self.id_of(m.list_ids)
        reason = m.bounce_reason
        found = (
            list_set,
            m.status.value,
            None if reason is None else reason.value,
            encode_shape(
                list_set, reason, m.sent, m.segments, shape.attempts, shape.failed_attempts
            ),
        )
        if list_set not in self._pending.values():  # committed: true in every transaction
            if len(self._fragments) >= CACHED_FRAGMENTS:
                self._fragments.clear()
            self._fragments[shape] = found
        return found

    def committed(self) -> None:
        """The transaction committed: its ids are now safe to share."""
        self._known.update(self._pending)


_DUE_AT = operator.attrgetter("due_at")
_ZONE = operator.attrgetter("zone")


def is_timed(messages: Sequence[Message]) -> bool:
    """Whether any of ``messages`` has a zone or a due time (else their rows can leave out
    those columns, which are then ``NULL``: binding two parameters fewer per row is about a
    tenth of a bulk insert)."""
    # A zone is a non-empty text and a due time an instant: both true, None false (C loops).
    return any(map(_DUE_AT, messages)) or any(map(_ZONE, messages))


def message_rows(
    messages: Iterable[Message],
    list_sets: ListSets,
    fragments: dict[MessageShape, tuple[Any, ...]],
    *,
    timed: bool = True,
) -> Iterator[tuple[Any, ...]]:
    """Messages as rows in ``MESSAGE_COLUMNS`` order (``UNTIMED_COLUMNS`` unless ``timed``).

    ``fragments`` caches, per shared shape, the columns every message of that shape has in
    common: one dictionary lookup per message instead of encoding them again (this call's;
    ``ListSets.fragment`` keeps those of committed list sets for the next transactions).
    """
    epoch, microsecond = _EPOCH, _MICROSECOND  # locals: this loop runs a million times
    for m in messages:
        fragment = fragments.get(m._shape)
        if fragment is None:
            fragment = fragments[m._shape] = list_sets.fragment(m)
        submitted, final, attempts = m.submitted_at, m.final_at, m.attempts
        row = (
            m.id,
            m.campaign_id,
            m.recipient,
            *fragment,
            _attempts_json(attempts) if attempts else None,
            m.segments,
            (m.queued_at - epoch) // microsecond,
            None if submitted is None else (submitted - epoch) // microsecond,
            None if final is None else (final - epoch) // microsecond,
            int(m.sent),
            m.version,
            (attempts[-1].submitted_at - epoch) // microsecond if attempts else None,
        )
        if timed:
            due = m.due_at
            yield (*row, m.zone, None if due is None else (due - epoch) // microsecond)
        else:
            yield row


def message_from_row(row: tuple[Any, ...], list_ids: tuple[str, ...]) -> Message:
    """The message a ``MESSAGE_SELECT`` row holds (its lists already decoded).

    Rows are written by this library from validated messages, so they are read back without
    running the validators again (a tenth of the cost; the round-trip property tests compare
    every field with what was written).
    """
    return built_message(
        row[0],
        row[1],
        row[2],
        list_ids,
        status_of(row[4]),
        reason_of(row[5]),
        _attempts(row[6]),
        row[7],
        moment(row[8]),
        optional_moment(row[9]),
        optional_moment(row[10]),
        bool(row[11]),
        row[12],
        row[13],
        optional_moment(row[14]),
    )
