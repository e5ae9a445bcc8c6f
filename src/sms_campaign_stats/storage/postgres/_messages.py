"""New and changed messages, as operations (see ``_steps``): the list sets they refer to, the
``COPY`` of new messages chunk by chunk, the compare-and-set of a batch, their provider ids.

A ``COPY`` that the database refuses (a duplicate id, a second message to one recipient of a
campaign, an unknown campaign) is undone alone (a savepoint), and the error then names the
message, reading what the chunk clashed with: earlier chunks of the same import are still in
the transaction to compare with; the whole import is rolled back as the error leaves.
"""

from __future__ import annotations

import itertools
import json
import operator
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg

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
from sms_campaign_stats.model import Message
from sms_campaign_stats.storage.postgres._codec import COPY_MESSAGES, MESSAGE_TYPES, message_row
from sms_campaign_stats.storage.postgres._steps import (
    Op,
    Row,
    copy_in,
    fetch_all,
    fetch_one,
    returning_many,
)
from sms_campaign_stats.storage.sqlite._schema import attempt_provider_ids

__all__ = [
    "CHUNK",
    "ListSets",
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
# The compare-and-set of one message, run once per message of a batch (pipelined, prepared). A
# message written returns one row: its attempts as stored before (the subquery reads the row as
# the statement's snapshot saw it, not this update; with the version check, at the version the
# value was read at), whose provider ids are registered already.
_UPDATE_MESSAGE = (
    "UPDATE messages SET list_set = %s, status = %s, reason = %s, shape = %s, "
    "attempts = %s::json, segments = %s, queued_at = %s, submitted_at = %s, final_at = %s, "
    "sent = %s, last_attempt_at = %s, zone = %s, due_at = %s, version = version + 1 "
    "WHERE id = %s AND campaign_id = %s AND recipient = %s AND version = %s "
    "RETURNING (SELECT o.attempts::text FROM messages o WHERE o.id = %s)"
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


def compare_and_set_messages(batch: Sequence[Message], list_sets: ListSets) -> Op[list[Message]]:
    """Each message written if its stored version is the value's; as stored (``version + 1``),
    in the order given. Campaign and recipient are a message's identity: a value that changes
    them is refused. One statement per message, pipelined, in id order: rows are locked in that
    order, so writers of overlapping batches queue instead of deadlocking."""
    if not batch:
        return []
    ordered = sorted(batch, key=_ID)
    yield from list_sets.resolve(m.list_ids for m in ordered)
    fragments: dict[MessageShape, tuple[Any, ...]] = {}
    params = []
    for m in ordered:
        row = message_row(m, list_sets.id_of(m.list_ids), fragments)
        # message_row's order: id, campaign_id, recipient, list_set ... version (13), ...
        params.append((*row[3:13], *row[14:], *row[:3], row[13], row[0]))
    written = yield from returning_many(_UPDATE_MESSAGE, params)
    if not all(written):
        # Only those not written: the others are at the version this transaction gave them.
        refused = [m for m, row in zip(ordered, written, strict=True) if row is None]
        raise (yield from _update_error(refused))
    yield from claim_provider_ids(_new_provider_pairs(ordered, written))
    return [m._replace(version=m.version + 1) for m in batch]


_ID = operator.attrgetter("id")


def _new_provider_pairs(
    messages: Sequence[Message], before: Sequence[Row | None]
) -> list[tuple[str, str]]:
    """The (provider id, message id) pairs of messages' attempts that their stored attempts
    (``before``, as JSON) did not have: only those can be unregistered. A delivery report
    closes the last attempt (the JSON changes, its provider ids do not): nothing to register."""
    pairs: list[tuple[str, str]] = []
    for m, row in zip(messages, before, strict=True):
        ids = [pid for a in m.attempts for pid in a.provider_ids]
        if not ids:
            continue
        text = None if row is None else row[0]
        known = (
            set()
            if text is None
            else {pid for a in json.loads(text) for pid in attempt_provider_ids(a)}
        )
        pairs.extend((pid, m.id) for pid in ids if pid not in known)
    return pairs


def _update_error(batch: Sequence[Message]) -> Op[SmsCampaignStatsError]:
    """Why the first of these messages (none was written) was refused."""
    message = batch[0]
    found = yield from fetch_one("SELECT version FROM messages WHERE id = %s", (message.id,))
    if found is None:
        return NotFoundError("message", message.id)
    # The version first: a message read before forget() changed its recipient is stale.
    if found[0] != message.version:
        return ConflictError("message", message.id, message.version, found[0])
    # Stored at that version, yet not written: its campaign or recipient differs.
    return ValidationError(
        "Message", f"message {message.id!r}: campaign and recipient cannot change"
    )
