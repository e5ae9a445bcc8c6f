"""New and changed messages, as operations (see ``_steps``): the list sets they refer to, the
``COPY`` of new messages chunk by chunk, the compare-and-set of a batch, their provider ids.

A ``COPY`` that the database refuses (a duplicate id, a second message to one recipient of a
campaign, an unknown campaign) is undone alone (a savepoint), and the error then names the
message, reading what the chunk clashed with: earlier chunks of the same import are still in
the transaction to compare with; the whole import is rolled back as the error leaves.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg

from sms_campaign_stats._core.privacy import mask_number
from sms_campaign_stats._core.shape import MessageShape
from sms_campaign_stats.errors import (
    DuplicateError,
    NotFoundError,
    SmsCampaignStatsError,
    StorageError,
    ValidationError,
)
from sms_campaign_stats.model import Message, stored_version
from sms_campaign_stats.storage.postgres._codec import COPY_MESSAGES, MESSAGE_TYPES, message_row
from sms_campaign_stats.storage.postgres._steps import (
    Op,
    copy_in,
    fetch_all,
    fetch_one,
)
from sms_campaign_stats.storage.sqlite._schema import attempt_provider_ids, json_array
from sms_campaign_stats.storage.sqlite._writes import refusal

__all__ = [
    "CHUNK",
    "ListSets",
    "Seen",
    "claim_provider_ids",
    "compare_and_set_messages",
    "insert_messages",
]

#: Messages encoded and copied per ``COPY`` (memory stays bounded whatever the import's size).
CHUNK = 5000


_RESOLVE_LIST_SET = (
    "WITH added AS (INSERT INTO list_sets (list_ids) VALUES (%s) "
    "ON CONFLICT (list_ids) DO NOTHING RETURNING id) "
    "SELECT id FROM added UNION ALL SELECT id FROM list_sets WHERE list_ids = %s"
)
# The compare-and-set of a batch. The messages a read found (``Seen``) at the version the batch
# carries are written at once, where the read found them (their ``ctid``), each only if it is
# still there, the same message, at that version: the statement locks and checks the rows it
# writes, in the TID scan's order. The others, and those the first statement did not write (a
# writer changed them since, or the table was rewritten), are locked in id order (code-point
# order, as Python sorts: writers of overlapping batches queue instead of deadlocking), which
# reads what the checks and the choice of statement need: each row's place (``ctid``, the newest
# version's once locked, which no other writer can move until the commit), identity and
# version, the columns a delivery report keeps, and its attempts as stored now, whose provider
# ids are registered already; then they are written by their place. Rows are written from
# arrays (one per column) by one statement per kind: most updates (a delivery report) keep the
# lists, the segments, the instants of queueing and submission and the zone, and send only the
# columns they change.
_LOCK_MESSAGES = (
    "SELECT id, ctid::text, campaign_id, recipient, version, list_set, segments, queued_at, "
    "submitted_at, sent, last_attempt_at, zone, attempts::text FROM messages "
    'WHERE id = ANY(%b::text[]) ORDER BY id COLLATE "C" FOR NO KEY UPDATE'
)
#: Where ``message_row``'s columns that a delivery report keeps are, and where the lock reads
#: them (list set, segments, queued at, submitted at, sent, last attempt at, zone).
_KEPT_IN_ROW = operator.itemgetter(3, 8, 9, 10, 12, 14, 15)
_KEPT_IN_LOCK = operator.itemgetter(5, 6, 7, 8, 9, 10, 11)
#: A lock's row's campaign, recipient and version.
_IDENTITY = operator.itemgetter(2, 3, 4)
#: ``message_row``'s columns that each statement writes (the first, the id, joins them).
_NARROW = operator.itemgetter(0, 13, 4, 5, 6, 7, 11, 16)
_EVERY = operator.itemgetter(0, 13, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16)
_UPDATE_NARROW = (
    "UPDATE messages m SET status = w.status, reason = w.reason, shape = w.shape, "
    "attempts = w.attempts::json, final_at = w.final_at, due_at = w.due_at, "
    "version = m.version + 1 "
    "FROM unnest(%b::text[], %b::bigint[], %b::text[], %b::text[], %b::bigint[], %b::text[], "
    "%b::timestamptz[], %b::timestamptz[]) AS w(id, version, status, reason, shape, attempts, "
    "final_at, due_at) "
    "WHERE m.ctid = ANY(%b::text[]::tid[]) AND m.id = w.id AND m.version = w.version "
    "RETURNING m.id"
)
_UPDATE_EVERY = (
    "UPDATE messages m SET list_set = w.list_set, status = w.status, reason = w.reason, "
    "shape = w.shape, attempts = w.attempts::json, segments = w.segments, "
    "queued_at = w.queued_at, submitted_at = w.submitted_at, final_at = w.final_at, "
    "sent = w.sent, last_attempt_at = w.last_attempt_at, zone = w.zone, due_at = w.due_at, "
    "version = m.version + 1 "
    "FROM unnest(%b::text[], %b::bigint[], %b::integer[], %b::text[], %b::text[], %b::bigint[], "
    "%b::text[], %b::integer[], %b::timestamptz[], %b::timestamptz[], %b::timestamptz[], "
    "%b::boolean[], %b::timestamptz[], %b::text[], %b::timestamptz[]) AS w(id, version, "
    "list_set, status, reason, shape, attempts, segments, queued_at, submitted_at, final_at, "
    "sent, last_attempt_at, zone, due_at) "
    "WHERE m.ctid = ANY(%b::text[]::tid[]) AND m.id = w.id AND m.version = w.version "
    "RETURNING m.id"
)
# Provider ids registered to their messages in one statement; returns the ids it could not
# register: owned by another message (its owner), or registered at this instant by another
# transaction (owner NULL: read again).
_CLAIM_PROVIDER_IDS = (
    "WITH wanted AS (SELECT * FROM unnest(%s::text[], %s::text[]) AS w(pid, mid)), "
    "known AS (SELECT w.pid, w.mid, p.message_id AS owner FROM wanted w "
    "LEFT JOIN provider_ids p ON p.provider_message_id = w.pid), "
    "added AS (INSERT INTO provider_ids (provider_message_id, message_id) "
    "SELECT pid, mid FROM known WHERE owner IS NULL "
    "ON CONFLICT (provider_message_id) DO NOTHING RETURNING provider_message_id) "
    "SELECT k.pid, k.mid, k.owner FROM known k WHERE k.owner IS DISTINCT FROM k.mid "
    "AND NOT EXISTS (SELECT 1 FROM added a WHERE a.provider_message_id = k.pid)"
)


class ListSets:
    """Ids of list combinations, resolved (and created) inside one transaction.

    Ids created by a transaction that rolls back disappear with it, so only ids seen committed
    go in the shared ``known`` cache (``committed()``, called by the store after the commit).
    """

    def __init__(self, known: dict[tuple[str, ...], int]) -> None:
        self._known = known
        self._pending: dict[tuple[str, ...], int] = {}

    def resolve(self, combinations: Iterable[tuple[str, ...]]) -> Op[None]:
        """Make sure every combination has an id (created if new)."""
        for lists in dict.fromkeys(combinations):
            if lists in self._known or lists in self._pending:
                continue
            # Empty when another transaction adds the same combination at this instant: its
            # insert wins the unique index, and a new statement sees it.
            for _ in range(3):
                row = yield from fetch_one(_RESOLVE_LIST_SET, (list(lists), list(lists)))
                if row is not None:
                    self._pending[lists] = row[0]
                    break
            else:  # pragma: no cover - three races in a row
                raise StorageError(f"list set {list(lists)!r} could not be recorded")

    def id_of(self, lists: tuple[str, ...]) -> int:
        """The id of a resolved combination."""
        found = self._known.get(lists)
        return self._pending[lists] if found is None else found

    def committed(self) -> None:
        """The transaction committed: its ids are now safe to share."""
        self._known.update(self._pending)


# messages -----------------------------------------------------------------------------------


def _provider_pairs(messages: Iterable[Message]) -> list[tuple[str, str]]:
    return [(pid, m.id) for m in messages for attempt in m.attempts for pid in attempt.provider_ids]


def claim_provider_ids(pairs: Sequence[tuple[str, str]]) -> Op[None]:
    """Register (provider id, message id) pairs; one that another message owns (or that the
    batch gives two messages) is a ``DuplicateError`` naming its owner."""
    owners: dict[str, str] = {}
    for provider_id, message_id in pairs:
        other = owners.setdefault(provider_id, message_id)
        if other != message_id:
            raise DuplicateError(
                "provider message id", provider_id, f"it belongs to message {other!r}"
            )
    if not owners:
        return
    wanted = list(owners)
    for _ in range(3):
        refused = yield from fetch_all(
            _CLAIM_PROVIDER_IDS, (wanted, [owners[pid] for pid in wanted])
        )
        for provider_id, _message_id, owner in refused:
            if owner is not None:
                raise DuplicateError(
                    "provider message id", provider_id, f"it belongs to message {owner!r}"
                )
        # Left: ids another transaction registered at this instant; a new statement sees them.
        wanted = [row[0] for row in refused]
        if not wanted:
            return
    raise StorageError("provider ids could not be recorded")  # pragma: no cover


_COPY_PROVIDER_IDS = "COPY provider_ids (provider_message_id, message_id) FROM STDIN"


def register_provider_ids(pairs: Sequence[tuple[str, str]]) -> Op[None]:
    """Register the provider ids of new messages: copied, as they are almost always new; if the
    database refuses the copy (an id already registered, or twice in these pairs), it is undone
    and ``claim_provider_ids`` says which, and whose it is."""
    if not pairs:
        return
    try:
        yield from copy_in(_COPY_PROVIDER_IDS, pairs, guarded=True)
    except psycopg.IntegrityError:
        yield from claim_provider_ids(pairs)


def insert_messages(messages: Iterable[Message], list_sets: ListSets) -> Op[int]:
    """New messages (any iterable, read once), copied chunk by chunk; how many. A duplicate or
    an unknown campaign fails the chunk's ``COPY``; the error then names the message."""
    iterator = iter(messages)
    count = 0
    fragments: dict[MessageShape, tuple[Any, ...]] = {}
    while chunk := list(itertools.islice(iterator, CHUNK)):
        for message in chunk:
            if not isinstance(message, Message):
                raise ValidationError("Message", f"expected Message, got {message!r}")
        yield from list_sets.resolve(m.list_ids for m in chunk)
        # Encoded while copied (a generator): the server works on the rows already sent.
        rows = (message_row(m, list_sets.id_of(m.list_ids), fragments) for m in chunk)
        try:
            yield from copy_in(COPY_MESSAGES, rows, guarded=True, types=MESSAGE_TYPES)
        except psycopg.IntegrityError as error:
            # The chunk was undone (a savepoint); earlier chunks are still there to compare.
            raise (yield from _insert_error(chunk, error)) from None
        yield from register_provider_ids(_provider_pairs(m for m in chunk if m.attempts))
        count += len(chunk)
    return count


def _insert_error(chunk: Sequence[Message], error: psycopg.Error) -> Op[SmsCampaignStatsError]:
    """Which message of a refused chunk was wrong, and how (read after the chunk was undone)."""
    ids = [m.id for m in chunk]
    taken_ids = {r[0] for r in (yield from fetch_all(_IDS_TAKEN, (ids,)))}
    taken_pairs = {
        (r[0], r[1])
        for r in (
            yield from fetch_all(
                _RECIPIENTS_TAKEN, ([m.campaign_id for m in chunk], [m.recipient for m in chunk])
            )
        )
    }
    campaigns = list({m.campaign_id for m in chunk})
    known = {
        r[0]
        for r in (yield from fetch_all("SELECT id FROM campaigns WHERE id = ANY(%s)", (campaigns,)))
    }
    seen_ids: set[str] = set()
    seen_pairs: set[tuple[str, str]] = set()
    for m in chunk:
        pair = (m.campaign_id, m.recipient)
        if m.campaign_id not in known:
            return NotFoundError("campaign", m.campaign_id)
        if m.id in taken_ids or m.id in seen_ids:
            return DuplicateError("message", m.id)
        if pair in taken_pairs or pair in seen_pairs:
            return DuplicateError(
                "message",
                m.id,
                f"campaign {m.campaign_id!r} already has a message to {mask_number(m.recipient)}",
            )
        seen_ids.add(m.id)
        seen_pairs.add(pair)
    return StorageError(f"the messages could not be stored ({_first_line(error)})")


_IDS_TAKEN = "SELECT id FROM messages WHERE id = ANY(%s)"
_RECIPIENTS_TAKEN = (
    "SELECT m.campaign_id, m.recipient FROM unnest(%s::text[], %s::text[]) AS w(c, r) "
    "JOIN messages m ON m.campaign_id = w.c AND m.recipient = w.r"
)


def _first_line(error: psycopg.Error) -> str:
    return (error.diag.message_primary or str(error)).splitlines()[0]


def compare_and_set_messages(
    batch: Sequence[Message], list_sets: ListSets, seen: Seen
) -> Op[list[Message]]:
    """Each message written if its stored version is the value's; as stored (``version + 1``),
    in the order given. Campaign and recipient are a message's identity: a value that changes
    them is refused. Those a read found at the value's version (``seen``) are written where it
    found them, checked in the statement; the others (and those not written so) are locked in
    id order first and checked, then written (see ``_LOCK_MESSAGES``)."""
    if not batch:
        return []
    ordered = sorted(batch, key=_ID)
    yield from list_sets.resolve(m.list_ids for m in ordered)
    fragments: dict[MessageShape, tuple[Any, ...]] = {}
    pairs = [(m, message_row(m, list_sets.id_of(m.list_ids), fragments)) for m in ordered]
    stored = seen.take(ordered)
    left = pairs
    if stored:
        written = yield from _write([p for p in pairs if p[0].id in stored], stored)
        left = [p for p in pairs if p[0].id not in written]
    if left:
        rows = yield from fetch_all(_LOCK_MESSAGES, ([m.id for m, _row in left],))
        locked = {row[0]: (*row[:12], _registered(row[12])) for row in rows}
        for message, _row in left:
            row = locked.get(message.id)
            refused = refusal(message, None if row is None else _IDENTITY(row))
            if refused is not None:
                raise refused
        written = yield from _write(left, locked)
        if len(written) != len(left):  # pragma: no cover - the rows are locked and checked
            raise StorageError("the messages were not written")
        stored.update(locked)  # the rows as locked replace those read
    yield from claim_provider_ids(_new_provider_pairs(ordered, stored))
    return [stored_version(m, m.version + 1) for m in batch]


def _write(
    pairs: Sequence[tuple[Message, tuple[Any, ...]]], stored: dict[str, tuple[Any, ...]]
) -> Op[set[str]]:
    """Write each (message, row) where ``stored`` (a lock's row) says it is, if it is still
    there at the message's version; the ids written. ``_UPDATE_NARROW`` for those that keep
    what a delivery report keeps, ``_UPDATE_EVERY`` for the others."""
    narrow: list[tuple[Any, ...]] = []
    every: list[tuple[Any, ...]] = []
    for message, row in pairs:
        place = stored[message.id]
        if _KEPT_IN_ROW(row) == _KEPT_IN_LOCK(place):
            narrow.append((*_NARROW(row), place[1]))
        else:
            every.append((*_EVERY(row), place[1]))
    written: set[str] = set()
    for query, chosen in ((_UPDATE_NARROW, narrow), (_UPDATE_EVERY, every)):
        if chosen:
            columns = [list(column) for column in zip(*chosen, strict=True)]  # the arrays
            written.update(row[0] for row in (yield from fetch_all(query, columns)))
    return written


class Seen:
    """What reads by provider id found of messages, by message id, in the layout of a locked
    row (``_LOCK_MESSAGES``'s, its attempts read as the set of their provider ids): where each
    was (``ctid``), its identity and version, what a delivery report keeps, the provider ids
    registered with it. A compare-and-set takes the rows of the messages it writes at the
    version read (a message's version changes with every write, so the row is the stored one
    if it is still there at that version) and writes them without locking and reading them
    first. At most ``limit`` rows are kept (about 300 bytes each): past it, those kept are
    forgotten, and their messages are locked and read when written. Shared by the store's
    threads (single dictionary operations)."""

    def __init__(self, limit: int = 16_384) -> None:
        self._rows: dict[str, tuple[Any, ...]] = {}
        self._limit = limit

    def add(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Remember these rows (the newest read of a message replaces the older)."""
        rows = rows[-self._limit :]
        if len(self._rows) + len(rows) > self._limit:
            self._rows.clear()
        self._rows.update((row[0], row) for row in rows)

    def take(self, messages: Iterable[Message]) -> dict[str, tuple[Any, ...]]:
        """The rows of these messages read at their version, with their identity, by id; each
        is taken (a later compare-and-set locks and reads the message again)."""
        found: dict[str, tuple[Any, ...]] = {}
        pop = self._rows.pop
        for m in messages:
            row = pop(m.id, None)
            if row is not None and _IDENTITY(row) == (m.campaign_id, m.recipient, m.version):
                found[m.id] = row
        return found


_ID = operator.attrgetter("id")


def _registered(attempts: str | None) -> frozenset[str]:
    """The provider ids of attempts stored as JSON (registered with them)."""
    if attempts is None:
        return frozenset()
    return frozenset(pid for a in json_array(attempts) for pid in attempt_provider_ids(a))


def _new_provider_pairs(
    messages: Sequence[Message], stored: dict[str, tuple[Any, ...]]
) -> list[tuple[str, str]]:
    """The (provider id, message id) pairs of messages' attempts that their stored rows (a
    lock's or ``Seen``'s, by message id, whose last column is the provider ids registered) did
    not have: only those can be unregistered. A delivery report closes the last attempt (the
    JSON changes, its provider ids do not): nothing to register."""
    pairs: list[tuple[str, str]] = []
    for m in messages:
        ids = [pid for a in m.attempts for pid in a.provider_ids]
        if not ids:
            continue
        row = stored.get(m.id)
        known = frozenset() if row is None else row[12]
        pairs.extend((pid, m.id) for pid in ids if pid not in known)
    return pairs
