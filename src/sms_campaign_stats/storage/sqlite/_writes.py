"""The statements of ``SQLiteStorage``'s writes, each run inside the caller's write transaction.

``SQLiteStorage.commit`` runs them in one transaction, in this order: campaigns, messages (new,
then compare-and-set), history, replies and opt-outs, blocks, orphan reports (taken, then kept),
evidence, completions. Each raises the library's error for what it finds wrong (a duplicate, a
stale version, an unknown campaign) and the transaction rolls back: nothing of the change is
written. Values are encoded before the transaction begins where they can be (``encode_*``).
"""

from __future__ import annotations

import itertools
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from sms_campaign_stats._core.privacy import mask_number
from sms_campaign_stats._core.shape import MessageShape
from sms_campaign_stats.errors import (
    ConflictError,
    DuplicateError,
    NotFoundError,
    SmsCampaignStatsError,
    StorageError,
    ValidationError,
)
from sms_campaign_stats.lifecycle._statuses import MessageStatus
from sms_campaign_stats.model import (
    Campaign,
    Message,
    Reply,
    TimelineEvent,
    Unsubscribe,
    stored_version,
)
from sms_campaign_stats.storage._change import Completion, Evidence, Orphan
from sms_campaign_stats.storage._forgetting import FORGOTTEN_BLOCK_PREFIX
from sms_campaign_stats.storage.sqlite._schema import (
    CAMPAIGN_COLUMNS,
    MESSAGE_COLUMNS,
    UNTIMED_COLUMNS,
    ListSets,
    campaign_from_row,
    campaign_row,
    in_chunks,
    is_timed,
    message_rows,
    micros,
    to_json,
)

__all__ = [
    "ANY_FORGOTTEN",
    "BLOCK",
    "FORGOTTEN_RANGE",
    "add_counts",
    "add_evidence",
    "compare_and_set_campaigns",
    "compare_and_set_messages",
    "complete",
    "encode_evidence",
    "encode_orphans",
    "evidence_of_row",
    "insert_campaigns",
    "insert_events",
    "insert_messages",
    "keep_orphans",
    "record_replies",
    "record_unsubscribes",
    "refusal",
    "require_campaigns",
    "take_orphans",
    "write_blocks",
]

_CHUNK = 4096  # messages encoded (and their list sets resolved) per executemany
# Compare-and-set of a message that keeps its lists and its last attempt, and of any message;
# each for a batch with zones or due times, and for one without (NULL written, not bound).
_SET_KEEPING = (
    "UPDATE messages SET status = ?, reason = ?, shape = ?, attempts = ?, segments = ?, "
    "queued_at = ?, submitted_at = ?, final_at = ?, sent = ?, "
)
_WHERE_KEEPING = (
    "version = version + 1 WHERE id = ? AND campaign_id = ? AND recipient = ? AND version = ? "
    "AND list_set = ? AND last_attempt_at IS ?"
)
_SET_ALL = (
    "UPDATE messages SET list_set = ?, status = ?, reason = ?, shape = ?, "
    "attempts = ?, segments = ?, queued_at = ?, submitted_at = ?, final_at = ?, "
    "sent = ?, last_attempt_at = ?, "
)
_WHERE_ALL = (
    "version = version + 1 WHERE id = ? AND campaign_id = ? AND recipient = ? AND version = ?"
)
_UPDATE_KEEPING = _SET_KEEPING + "zone = ?, due_at = ?, " + _WHERE_KEEPING
_UPDATE_KEEPING_UNTIMED = _SET_KEEPING + "zone = NULL, due_at = NULL, " + _WHERE_KEEPING
# A message with a new last attempt and the same lists (just submitted): the lists are left out
# of the SET, for with them in it every row pays the foreign-key machinery (the list set's
# lookup, and no one-pass update): half of the demo's submissions' UPDATE time, replayed.
_SET_ATTEMPT = (
    "UPDATE messages SET status = ?, reason = ?, shape = ?, attempts = ?, segments = ?, "
    "queued_at = ?, submitted_at = ?, final_at = ?, sent = ?, last_attempt_at = ?, "
)
_WHERE_ATTEMPT = (
    "version = version + 1 WHERE id = ? AND campaign_id = ? AND recipient = ? AND version = ? "
    "AND list_set = ?"
)
_UPDATE_ATTEMPT = _SET_ATTEMPT + "zone = ?, due_at = ?, " + _WHERE_ATTEMPT
_UPDATE_ATTEMPT_UNTIMED = _SET_ATTEMPT + "zone = NULL, due_at = NULL, " + _WHERE_ATTEMPT
_UPDATE_ALL = _SET_ALL + "zone = ?, due_at = ?, " + _WHERE_ALL
_UPDATE_ALL_UNTIMED = _SET_ALL + "zone = NULL, due_at = NULL, " + _WHERE_ALL
_INSERT_MESSAGE = (
    f"INSERT INTO messages ({MESSAGE_COLUMNS}) "  # noqa: S608 - constant columns
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_UNTIMED = (
    f"INSERT INTO messages ({UNTIMED_COLUMNS}) "  # noqa: S608 - constant columns
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
#: A number is blocked once, under its own name or, once forgotten, under its salted hash:
#: (number, reason, at, the number's blocklist key).
BLOCK = (
    "INSERT INTO blocklist (recipient, reason, at) SELECT ?1, ?2, ?3 "
    "WHERE NOT EXISTS (SELECT 1 FROM blocklist WHERE recipient IN (?1, ?4))"
)
#: Whether any forgotten number is in the blocklist (a range of the primary key).
ANY_FORGOTTEN = "SELECT 1 FROM blocklist WHERE recipient >= ? AND recipient < ? LIMIT 1"
FORGOTTEN_RANGE = (FORGOTTEN_BLOCK_PREFIX, FORGOTTEN_BLOCK_PREFIX[:-1] + ";")
# Written only for a stored campaign (no row written: NotFoundError), in one statement.
_EVIDENCE_OF_STORED = (
    "INSERT INTO evidence (campaign_id, delivered, soft_bounces, hard_bounces, unsubscribes) "
    "SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM campaigns WHERE id = ?1) "
)
_EVIDENCE_RETURNED = "RETURNING delivered, soft_bounces, hard_bounces, unsubscribes"
_ADD_EVIDENCE = (
    _EVIDENCE_OF_STORED + "ON CONFLICT (campaign_id) DO UPDATE SET "
    "delivered = delivered + excluded.delivered, "
    "soft_bounces = soft_bounces + excluded.soft_bounces, "
    "hard_bounces = hard_bounces + excluded.hard_bounces, "
    "unsubscribes = unsubscribes + excluded.unsubscribes " + _EVIDENCE_RETURNED
)
_RESTART_EVIDENCE = (
    _EVIDENCE_OF_STORED + "ON CONFLICT (campaign_id) DO UPDATE SET "
    "delivered = excluded.delivered, soft_bounces = excluded.soft_bounces, "
    "hard_bounces = excluded.hard_bounces, unsubscribes = excluded.unsubscribes "
    + _EVIDENCE_RETURNED
)


def require_campaigns(connection: sqlite3.Connection, ids: Iterable[str]) -> None:
    """``NotFoundError`` for the first of these campaigns that is not stored."""
    for campaign_id in dict.fromkeys(ids):
        found = connection.execute(
            "SELECT 1 FROM campaigns WHERE id = ?", (campaign_id,)
        ).fetchone()
        if found is None:
            raise NotFoundError("campaign", campaign_id)


# campaigns ----------------------------------------------------------------------------------


def insert_campaigns(connection: sqlite3.Connection, campaigns: Sequence[Campaign]) -> None:
    """New campaigns, stored as given; ``DuplicateError`` for an id already stored."""
    for campaign in campaigns:
        try:
            connection.execute(
                f"INSERT INTO campaigns ({CAMPAIGN_COLUMNS}) "  # noqa: S608 - constant columns
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                campaign_row(campaign),
            )
        except sqlite3.IntegrityError as error:
            if "UNIQUE" not in str(error):
                raise  # not a duplicate: refused by the database (a trigger of yours)
            raise DuplicateError("campaign", campaign.id) from None


def compare_and_set_campaigns(
    connection: sqlite3.Connection, campaigns: Sequence[Campaign]
) -> list[Campaign]:
    """Each campaign written if its stored version is the value's; as stored (``version + 1``)."""
    for campaign in campaigns:
        cursor = connection.execute(
            "UPDATE campaigns SET name = ?, sender = ?, content = ?, list_ids = ?, "
            "status = ?, created_at = ?, scheduled_at = ?, unit_price = ?, currency = ?, "
            "version = version + 1 WHERE id = ? AND version = ?",
            (*campaign_row(campaign)[1:10], campaign.id, campaign.version),
        )
        if cursor.rowcount != 1:
            stored = connection.execute(
                "SELECT version FROM campaigns WHERE id = ?", (campaign.id,)
            ).fetchone()
            if stored is None:
                raise NotFoundError("campaign", campaign.id)
            raise ConflictError("campaign", campaign.id, campaign.version, stored[0])
    return [attrs.evolve(c, version=c.version + 1) for c in campaigns]


def complete(connection: sqlite3.Connection, completion: Completion) -> Campaign | None:
    """Complete the campaign if it is SENDING and none of its messages is queued or
    processing (read in this transaction, after the change's other writes); it as stored."""
    # One statement for the common answer (not yet): the status, and whether a message is
    # open (the counts table answers that from a few rows, without reading a message).
    found = connection.execute(
        "SELECT status = 'sending' AND NOT EXISTS (SELECT 1 FROM message_counts "
        "WHERE campaign_id = ?1 AND status IN ('queued', 'processing') AND messages > 0) "
        "FROM campaigns WHERE id = ?1",
        (completion.campaign_id,),
    ).fetchone()
    if found is None:
        raise NotFoundError("campaign", completion.campaign_id)
    if not found[0]:
        return None
    row = connection.execute(
        f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ?",  # noqa: S608 - constant columns
        (completion.campaign_id,),
    ).fetchone()
    done = campaign_from_row(row).complete(at=completion.at)
    (stored,) = compare_and_set_campaigns(connection, [done.campaign])
    insert_events(connection, [done.event])
    return stored


# messages -----------------------------------------------------------------------------------


def _provider_pairs(message: Message) -> Iterator[tuple[str, str]]:
    for attempt in message.attempts:
        for provider_id in attempt.provider_ids:  # each part's, for a message in several parts
            yield provider_id, message.id


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


def insert_messages(
    connection: sqlite3.Connection, messages: Iterable[Message], list_sets: ListSets
) -> int:
    """New messages, streamed in chunks (any iterable, read once); how many."""
    iterator = iter(messages)
    count = 0
    fragments: dict[MessageShape, tuple[Any, ...]] = {}
    campaigns: set[str] = set()
    while chunk := list(itertools.islice(iterator, _CHUNK)):
        for message in chunk:
            if not isinstance(message, Message):
                raise ValidationError("Message", f"expected Message, got {message!r}")
        timed = is_timed(chunk)
        rows = list(message_rows(chunk, list_sets, fragments, timed=timed))
        before = connection.total_changes
        try:
            connection.executemany(_INSERT_MESSAGE if timed else _INSERT_UNTIMED, rows)
        except sqlite3.IntegrityError as error:
            # Rows before the failing one were inserted: their count points at it.
            failed = chunk[connection.total_changes - before]
            raise _insert_error(failed, error) from None
        count += len(chunk)
        add_counts(connection, Counter(map(_cell, rows)))
        campaigns.update(m.campaign_id for m in chunk)
        pairs = [pair for m in chunk if m.attempts for pair in _provider_pairs(m)]
        if pairs:  # an import of messages already sent
            try:
                connection.executemany(
                    "INSERT INTO provider_ids (provider_message_id, message_id) VALUES (?, ?)",
                    pairs,
                )
            except sqlite3.IntegrityError as error:
                raise _provider_id_error(connection, pairs, error) from None
    for campaign_id in campaigns:
        _count_earlier_engagement(connection, campaign_id)
    return count


def _insert_error(message: Message, error: sqlite3.IntegrityError) -> SmsCampaignStatsError:
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
    if "messages.id" in text:
        return DuplicateError("message", message.id)
    return StorageError(f"message {message.id!r} could not be stored ({text})")


def _provider_id_error(
    connection: sqlite3.Connection,
    pairs: Sequence[tuple[str, str]],
    error: sqlite3.IntegrityError,
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
    return StorageError(f"provider ids could not be recorded ({error})")


def compare_and_set_messages(
    connection: sqlite3.Connection,
    batch: Sequence[Message],
    list_sets: ListSets,
    recorded: Mapping[str, str] | None = None,
    claimed: list[tuple[str, str]] | None = None,
    known: Mapping[str, Message] | None = None,
) -> list[Message]:
    """Each message written if its stored version is the value's; as stored (``version + 1``).

    Campaign and recipient are a message's identity: a value that changes them is refused.
    Provider ids of the messages' attempts are recorded, but those ``recorded`` (provider id
    -> message id, known committed) already belong to their message: a delivery report keeps
    its attempt's id, and claiming it again was a statement per report. The pairs recorded by
    this call are appended to ``claimed``.

    ``message_counts`` follows: each message leaves the cell of its status and shape as stored
    for that of its new ones. ``known`` (message id -> a message as stored, at some version)
    spares reading the stored cell of a message known at the version being replaced.
    """
    if len(batch) == 1:  # the engine's usual event: one message, no savepoint, no lists
        return [_compare_and_set_one(connection, batch[0], list_sets, recorded, claimed, known)]
    if not batch:
        return []
    timed = is_timed(batch)
    rows = list(message_rows(batch, list_sets, {}, timed=timed))
    cells = _stored_cells(connection, batch, list_sets, known)
    # A savepoint lets a failed batch be undone before what was wrong is read.
    connection.execute("SAVEPOINT batch")
    # Each message first by its narrow statement (_narrow), in one executemany per statement.
    # The rest match no row of these (their version is still the one read) and take the full one.
    narrow: dict[str, list[tuple[Any, ...]]] = {}
    for message, row in zip(batch, rows, strict=True):
        statement, parameters = _narrow(message, row, timed=timed)
        narrow.setdefault(statement, []).append(parameters)
    written = sum(
        connection.executemany(statement, parameters).rowcount
        for statement, parameters in narrow.items()
    )
    if written != len(batch):
        # Those the narrow statements did not write (written ones have a new version: no match).
        written += connection.executemany(
            _UPDATE_ALL if timed else _UPDATE_ALL_UNTIMED,
            [_every(row, timed=timed) for row in rows],
        ).rowcount
    if written != len(batch):
        # Undo the batch's writes (versions moved) before reading what was wrong.
        connection.execute("ROLLBACK TO batch")
        raise _update_error(connection, batch)
    _move_counts(connection, batch, rows, cells)
    _record_provider_ids(connection, batch, recorded, claimed)
    return [stored_version(m, m.version + 1) for m in batch]


def _compare_and_set_one(
    connection: sqlite3.Connection,
    message: Message,
    list_sets: ListSets,
    recorded: Mapping[str, str] | None,
    claimed: list[tuple[str, str]] | None,
    known: Mapping[str, Message] | None,
) -> Message:
    """``compare_and_set_messages`` of one message: nothing of it is written if it fails."""
    timed = is_timed((message,))
    (row,) = message_rows((message,), list_sets, {}, timed=timed)
    cells = _stored_cells(connection, (message,), list_sets, known)
    statement, parameters = _narrow(message, row, timed=timed)  # constant SQL
    written = connection.execute(statement, parameters).rowcount
    if not written:
        written = connection.execute(
            _UPDATE_ALL if timed else _UPDATE_ALL_UNTIMED, _every(row, timed=timed)
        ).rowcount
        if not written:
            raise _update_error(connection, (message,))
    _move_counts(connection, (message,), (row,), cells)
    if message.attempts:
        _record_provider_ids(connection, (message,), recorded, claimed)
    return stored_version(message, message.version + 1)


def add_counts(connection: sqlite3.Connection, deltas: Mapping[tuple[str, str, int], int]) -> None:
    """Add to ``message_counts``: (campaign id, status, shape) -> messages (negative: fewer).

    A count lowered must exist and stays at zero or more (the table's CHECK); else the file's
    counts no longer match its messages, and ``StorageError`` says so (the transaction is then
    rolled back). Lowered by an ``UPDATE``: SQLite checks a row's CHECK before an upsert's
    conflict, so a negative delta cannot go through one."""
    fewer = [(-n, *cell) for cell, n in deltas.items() if n < 0]
    if fewer:
        found = connection.executemany(
            "UPDATE message_counts SET messages = messages - ? "
            "WHERE campaign_id = ? AND status = ? AND shape = ?",
            fewer,
        ).rowcount
        if found != len(fewer):
            raise StorageError(
                "message_counts does not match the messages: a count to lower is missing"
            )
    more = [(*cell, n) for cell, n in deltas.items() if n > 0]
    if more:
        connection.executemany(
            "INSERT INTO message_counts (campaign_id, status, shape, messages) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (campaign_id, status, shape) "
            "DO UPDATE SET messages = messages + excluded.messages",
            more,
        )


def _cell(row: tuple[Any, ...]) -> tuple[str, str, int]:
    """The ``message_counts`` cell of a ``message_rows`` row: (campaign id, status, shape)."""
    return row[1], row[4], row[6]


def _stored_cells(
    connection: sqlite3.Connection,
    batch: Sequence[Message],
    list_sets: ListSets,
    known: Mapping[str, Message] | None,
) -> list[tuple[str, int] | None]:
    """The (status, shape) each message of ``batch`` has as stored at the version it replaces
    (``None``: not stored at that version; its compare-and-set fails). A message and its version
    name one stored row: every write of a message's status or shape gives it a new version, so
    one ``known`` at the same version tells the stored row's cell without a read."""
    cells: list[tuple[str, int] | None] = []
    unknown: dict[str, int] = {}  # message id -> its place in ``cells``
    for message in batch:
        seen = None if known is None else known.get(message.id)
        if seen is not None and seen.version == message.version:
            fragment = list_sets.fragment(seen)  # (list set, status, reason, shape)
            cells.append((fragment[1], fragment[3]))
        else:
            unknown[message.id] = len(cells)
            cells.append(None)
    for chunk, marks in in_chunks(list(unknown)):
        found = connection.execute(
            f"SELECT id, status, shape, version FROM messages WHERE id IN ({marks})",  # noqa: S608 - placeholders
            chunk,
        ).fetchall()
        for message_id, status, shape, version in found:
            place = unknown[message_id]
            if batch[place].version == version:
                cells[place] = (status, shape)
    return cells


def _move_counts(
    connection: sqlite3.Connection,
    batch: Sequence[Message],
    rows: Sequence[tuple[Any, ...]],
    cells: Sequence[tuple[str, int] | None],
) -> None:
    """Move each written message of ``batch`` (its ``message_rows`` row) from its stored cell
    (``_stored_cells``) to its new one in ``message_counts``."""
    deltas: Counter[tuple[str, str, int]] = Counter()
    for message, row, cell in zip(batch, rows, cells, strict=True):
        if cell is None:  # pragma: no cover - written, so stored at its version when read
            raise StorageError(f"message {message.id!r}: its stored counts could not be read")
        new = _cell(row)
        if cell != new[1:]:
            deltas[message.campaign_id, cell[0], cell[1]] -= 1
            deltas[new] += 1
    add_counts(connection, deltas)


def _record_provider_ids(
    connection: sqlite3.Connection,
    messages: Sequence[Message],
    recorded: Mapping[str, str] | None,
    claimed: list[tuple[str, str]] | None,
) -> None:
    """Register the provider ids of the messages' attempts, but those ``recorded`` already
    belong to their message; append the pairs registered to ``claimed``."""
    pairs = [pair for m in messages if m.attempts for pair in _provider_pairs(m)]
    if recorded:
        pairs = [pair for pair in pairs if recorded.get(pair[0]) != pair[1]]
    _claim_provider_ids(connection, pairs)
    if claimed is not None:
        claimed += pairs


def _narrow(message: Message, row: tuple[Any, ...], *, timed: bool) -> tuple[str, tuple[Any, ...]]:
    """The narrow compare-and-set of a message (its ``message_rows`` row): the statement and its
    parameters. Most updates (a delivery report) keep the lists and the last attempt: leaving
    those columns out of the SET spares rewriting two indexes. A message processing after the
    change was usually just submitted: a new last attempt, the same lists. A message that
    matches neither (its lists changed) is left unwritten, for the full statement."""
    if message.status is MessageStatus.PROCESSING:
        return (_UPDATE_ATTEMPT if timed else _UPDATE_ATTEMPT_UNTIMED), _attempt(row, timed=timed)
    return (_UPDATE_KEEPING if timed else _UPDATE_KEEPING_UNTIMED), _keeping(row, timed=timed)


def _keeping(r: tuple[Any, ...], *, timed: bool) -> tuple[Any, ...]:
    """A ``message_rows`` row as the parameters of ``_UPDATE_KEEPING(_UNTIMED)``."""
    if timed:
        return (*r[4:13], r[15], r[16], r[0], r[1], r[2], r[13], r[3], r[14])
    return (*r[4:13], r[0], r[1], r[2], r[13], r[3], r[14])


def _attempt(r: tuple[Any, ...], *, timed: bool) -> tuple[Any, ...]:
    """A ``message_rows`` row as the parameters of ``_UPDATE_ATTEMPT(_UNTIMED)``."""
    if timed:
        return (*r[4:13], r[14], r[15], r[16], r[0], r[1], r[2], r[13], r[3])
    return (*r[4:13], r[14], r[0], r[1], r[2], r[13], r[3])


def _every(r: tuple[Any, ...], *, timed: bool) -> tuple[Any, ...]:
    """A ``message_rows`` row as the parameters of ``_UPDATE_ALL(_UNTIMED)``."""
    if timed:
        return (*r[3:13], r[14], r[15], r[16], r[0], r[1], r[2], r[13])
    return (*r[3:13], r[14], r[0], r[1], r[2], r[13])


def _claim_provider_ids(connection: sqlite3.Connection, pairs: Sequence[tuple[str, str]]) -> None:
    """Register provider ids of updated messages; one owned by another message fails."""
    if not pairs:
        return
    try:
        # Already registered to the same message: nothing to do. Registered to another: the
        # primary key refuses it.
        connection.executemany(
            "INSERT INTO provider_ids (provider_message_id, message_id) SELECT ?1, ?2 "
            "WHERE NOT EXISTS (SELECT 1 FROM provider_ids "
            "WHERE provider_message_id = ?1 AND message_id = ?2)",
            pairs,
        )
    except sqlite3.IntegrityError as error:
        raise _provider_id_error(connection, pairs, error) from None


def refusal(message: Message, stored: Sequence[Any] | None) -> SmsCampaignStatsError | None:
    """Why a compare-and-set refuses ``message``, given its row as stored (campaign id,
    recipient, version; ``None``: no such message), or ``None``: it may be written."""
    if stored is None:
        return NotFoundError("message", message.id)
    # The version first: a message read before forget() changed its recipient is stale.
    if stored[2] != message.version:
        return ConflictError("message", message.id, message.version, stored[2])
    if stored[0] != message.campaign_id or stored[1] != message.recipient:
        return ValidationError(
            "Message", f"message {message.id!r}: campaign and recipient cannot change"
        )
    return None


def _update_error(
    connection: sqlite3.Connection, batch: Sequence[Message]
) -> SmsCampaignStatsError:
    for message in batch:
        stored = connection.execute(
            "SELECT campaign_id, recipient, version FROM messages WHERE id = ?", (message.id,)
        ).fetchone()
        found = refusal(message, stored)
        if found is not None:
            return found
    return StorageError("the messages were not written")  # pragma: no cover


# history, inbound, blocks --------------------------------------------------------------------


def insert_events(connection: sqlite3.Connection, events: Sequence[TimelineEvent]) -> None:
    """History entries, in order; ``NotFoundError`` for an unknown campaign."""
    if not events:
        return
    require_campaigns(connection, (e.campaign_id for e in events))
    connection.executemany(
        "INSERT INTO timeline (campaign_id, at, kind, details) VALUES (?, ?, ?, ?)",
        [(e.campaign_id, micros(e.at), e.kind.value, to_json(e.details)) for e in events],
    )


def record_replies(connection: sqlite3.Connection, replies: Sequence[Reply]) -> list[Reply]:
    """The replies whose id is not stored yet, recorded (with their message's engagement)."""
    require_campaigns(connection, (r.campaign_id for r in replies if r.campaign_id is not None))
    written = []
    for reply in replies:
        cursor = connection.execute(
            "INSERT INTO replies (id, recipient, campaign_id, at, text) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO NOTHING",
            (reply.id, reply.recipient, reply.campaign_id, micros(reply.at), reply.text),
        )
        if cursor.rowcount == 1:
            written.append(reply)
            if reply.campaign_id is not None:  # the message's engagement, if it exists yet
                connection.execute(
                    "UPDATE messages SET replies = replies + 1 "
                    "WHERE campaign_id = ? AND recipient = ?",
                    (reply.campaign_id, reply.recipient),
                )
    return written


def record_unsubscribes(
    connection: sqlite3.Connection, unsubscribes: Sequence[Unsubscribe]
) -> list[Unsubscribe]:
    """The opt-outs whose id is not stored yet, recorded (with their message's engagement)."""
    require_campaigns(
        connection, (u.campaign_id for u in unsubscribes if u.campaign_id is not None)
    )
    written = []
    for unsubscribe in unsubscribes:
        cursor = connection.execute(
            "INSERT INTO unsubscribes (id, recipient, campaign_id, at, keyword) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            (
                unsubscribe.id,
                unsubscribe.recipient,
                unsubscribe.campaign_id,
                micros(unsubscribe.at),
                unsubscribe.keyword,
            ),
        )
        if cursor.rowcount == 1:
            written.append(unsubscribe)
            if unsubscribe.campaign_id is not None:
                connection.execute(
                    "UPDATE messages SET unsubscribed = 1 WHERE campaign_id = ? AND recipient = ?",
                    (unsubscribe.campaign_id, unsubscribe.recipient),
                )
    return written


def write_blocks(
    connection: sqlite3.Connection, rows: Sequence[tuple[str, str, int | None, str]]
) -> list[bool]:
    """Block each number unless it is already (``BLOCK`` rows); whether each was written."""
    return [connection.execute(BLOCK, row).rowcount == 1 for row in rows]


# orphans and evidence -----------------------------------------------------------------------


def encode_orphans(orphans: Sequence[Orphan]) -> list[tuple[str, int | None, str]]:
    """Orphan reports as rows (before the transaction: a report that is not JSON is refused
    without waiting for the lock)."""
    rows = []
    for orphan in orphans:
        if not isinstance(orphan.report, Mapping):
            raise ValidationError("Orphan.report", "an orphan report is a mapping")
        rows.append(
            (orphan.provider_message_id, micros(orphan.received_at), to_json(orphan.report))
        )
    return rows


def take_orphans(connection: sqlite3.Connection, provider_message_ids: Sequence[str]) -> None:
    """Remove the reports kept for these provider ids."""
    if not provider_message_ids:
        return
    connection.executemany(
        "DELETE FROM orphans WHERE provider_message_id = ?",
        [(pid,) for pid in provider_message_ids],
    )


def keep_orphans(
    connection: sqlite3.Connection, rows: Sequence[tuple[str, int | None, str]]
) -> None:
    """Keep reports (``encode_orphans`` rows), in arrival order."""
    if not rows:
        return
    connection.executemany(
        "INSERT INTO orphans (provider_message_id, received_at, report) VALUES (?, ?, ?)", rows
    )


def evict_orphans(connection: sqlite3.Connection, newest: int, max_age: int, max_count: int) -> int:
    """Remove the orphan reports received more than ``max_age`` microseconds before ``newest``,
    then the oldest past ``max_count``; how many were removed."""
    aged = connection.execute(
        "DELETE FROM orphans WHERE received_at < ?", (newest - max_age,)
    ).rowcount
    over = connection.execute(
        "DELETE FROM orphans WHERE seq <= "
        "(SELECT seq FROM orphans ORDER BY seq DESC LIMIT 1 OFFSET ?)",
        (max_count,),
    ).rowcount
    return aged + over


def encode_evidence(evidence: Sequence[Evidence]) -> dict[str, Evidence]:
    """A change's evidence, one entry per campaign: its deltas added up in order (a restart
    drops what came before it in the change, and makes the whole a restart)."""
    folded: dict[str, Evidence] = {}
    for delta in evidence:
        before = folded.get(delta.campaign_id)
        if before is None or delta.restart:
            folded[delta.campaign_id] = delta
        else:
            folded[delta.campaign_id] = attrs.evolve(before.plus(delta), restart=before.restart)
    return folded


def add_evidence(
    connection: sqlite3.Connection, evidence: Mapping[str, Evidence]
) -> list[Evidence]:
    """Add (or, for a restart, set) each campaign's evidence (``encode_evidence``); each as
    stored after it (``Committed.evidence``: what other connections committed before included)."""
    totals = []
    for campaign_id, delta in evidence.items():
        row = connection.execute(
            _RESTART_EVIDENCE if delta.restart else _ADD_EVIDENCE,
            (
                campaign_id,
                delta.delivered,
                delta.soft_bounces,
                delta.hard_bounces,
                delta.unsubscribes,
            ),
        ).fetchone()
        if row is None:
            raise NotFoundError("campaign", campaign_id)
        totals.append(evidence_of_row(campaign_id, row))
    return totals


def evidence_of_row(campaign_id: str, row: Sequence[Any]) -> Evidence:
    """A campaign's evidence from a row of its four counts (all ``None``: none stored yet)."""
    if row[0] is None:
        return Evidence(campaign_id=campaign_id)
    return Evidence(
        campaign_id=campaign_id,
        delivered=row[0],
        soft_bounces=row[1],
        hard_bounces=row[2],
        unsubscribes=row[3],
    )
