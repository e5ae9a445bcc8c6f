"""Every operation of the PostgreSQL stores, once: what each method of ``PostgresStorage`` and
``AsyncPostgresStorage`` runs (a ``Work``: an operation and its kind of transaction).

Single-statement reads run outside an explicit transaction (a statement is its own snapshot,
and a ``BEGIN``/``COMMIT`` would cost two more round trips on the engine's hot path); the
report's aggregate reads one ``REPEATABLE READ READ ONLY`` snapshot; every change is one
``READ COMMITTED`` transaction. Scans (``Scan``) page by keyset, one statement per page, in
bounded memory, and never hold a transaction open between pages.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import attrs
import psycopg

from sms_campaign_stats._core.validate import check_utc
from sms_campaign_stats.errors import NotFoundError, StorageError, ValidationError
from sms_campaign_stats.model import Campaign, Message, Reply, TimelineEvent, Unsubscribe
from sms_campaign_stats.storage._base import check_batch_size
from sms_campaign_stats.storage._change import Change, Evidence, Orphan
from sms_campaign_stats.storage._counts import (
    CampaignCounts,
    Engagement,
)
from sms_campaign_stats.storage._forgetting import scrub
from sms_campaign_stats.storage.postgres._codec import (
    CAMPAIGN_COLUMNS,
    MESSAGE_SELECT,
    campaign_from_row,
    json_of,
    message_from_row,
    to_json,
)
from sms_campaign_stats.storage.postgres._messages import ListSets, Seen, insert_messages
from sms_campaign_stats.storage.postgres._steps import (
    Kind,
    Op,
    Row,
    Work,
    execute,
    fetch_all,
    fetch_one,
    rowcount,
)
from sms_campaign_stats.storage.postgres._writes import BLOCK, Encoded, Written, commit_op
from sms_campaign_stats.storage.sqlite._schema import decode_shape, tally_shapes
from sms_campaign_stats.storage.sqlite._writes import evidence_of_row

__all__ = [
    "Scan",
    "add_messages",
    "blocked",
    "campaign_counts",
    "claim_due",
    "commit",
    "evidence",
    "forget",
    "get_campaign",
    "get_message",
    "get_messages",
    "list_campaigns",
    "messages_of_rows",
    "messages_to",
    "orphans",
    "replies",
    "rows_by_provider_ids",
    "scan_due",
    "scan_messages",
    "scan_stale",
    "take_orphans",
    "timeline",
    "unsubscribes",
]

T = TypeVar("T")
K = TypeVar("K")

# Each id looked up on its own (LATERAL): index seeks whatever the tables' size, where a join of
# the whole array may scan provider_ids (1,000 ids among 200,000: 19 ms instead of 7.5). The
# message's list set comes as its id, whose lists the store knows once read (``list_ids``): a
# join to list_sets per row was a fifth of the statement's time. Each row's place and last
# attempt's instant come last, for the store's ``Seen`` (a compare-and-set of the message at
# this version then writes it without locking and reading it again).
_BY_PROVIDER_IDS = (
    "SELECT w.pid, f.* FROM unnest(%b::text[]) AS w(pid) CROSS JOIN LATERAL ("
    "SELECT m.id, m.campaign_id, m.recipient, m.list_set, m.status, m.reason, "
    "m.attempts::text, m.segments, m.queued_at, m.submitted_at, m.final_at, m.sent, m.version, "
    "m.zone, m.due_at, m.ctid::text, m.last_attempt_at "
    "FROM provider_ids p JOIN messages m ON m.id = p.message_id "
    "WHERE p.provider_message_id = w.pid LIMIT 1) f"
)
#: A ``_BY_PROVIDER_IDS`` row's columns in ``Seen``'s layout (a lock's): id, place, campaign,
#: recipient, version, list set, segments, queued at, submitted at, sent, last attempt at, zone
#: (then the provider ids of the message's attempts).
_AS_SEEN = operator.itemgetter(1, 16, 2, 3, 13, 4, 8, 9, 10, 12, 17, 14)
# Messages with their sequence number first, for the scans that page by an index's order.
_SEQUENCED_SELECT = "SELECT m.seq, " + MESSAGE_SELECT.removeprefix("SELECT ")
_SENT_TO = (
    MESSAGE_SELECT + "WHERE m.recipient = %s AND m.last_attempt_at >= %s "
    "AND m.last_attempt_at <= COALESCE(%s::timestamptz, 'infinity') "
)
_TO_RECIPIENT = _SENT_TO + "ORDER BY m.last_attempt_at, m.id"
_LATEST_TO_RECIPIENT = _SENT_TO + "ORDER BY m.last_attempt_at DESC, m.id DESC LIMIT 1"
# Engagement counted from the campaign's few replies and opt-outs, joined to their messages
# through the covering unique index (campaign_id, recipient) INCLUDE (list_set, status); an
# unsubscriber counts on a delivered message only.
_ENGAGEMENT = (
    "SELECT m.list_set, count(*) FILTER (WHERE e.replies > 0), "
    "COALESCE(sum(e.replies), 0)::bigint, "
    "count(*) FILTER (WHERE e.unsubscribed AND m.status = 'delivered') "
    "FROM (SELECT recipient, sum(replies) AS replies, bool_or(unsubscribed) AS unsubscribed "
    "FROM (SELECT recipient, count(*) AS replies, false AS unsubscribed FROM replies "
    "WHERE campaign_id = %s GROUP BY recipient "
    "UNION ALL SELECT DISTINCT recipient, 0, true FROM unsubscribes WHERE campaign_id = %s) "
    "AS x GROUP BY recipient) AS e "
    "JOIN messages m ON m.campaign_id = %s AND m.recipient = e.recipient GROUP BY m.list_set"
)
# One statement claims: the due messages of sending campaigns, earliest first, skipping the
# rows other workers hold (FOR UPDATE OF m: the campaigns are not locked), are given a lease.
_CLAIM_DUE = (
    "WITH due AS MATERIALIZED (SELECT m.seq, m.due_at FROM messages m "
    "JOIN campaigns c ON c.id = m.campaign_id "
    "WHERE m.status = 'queued' AND m.due_at IS NOT NULL AND m.due_at <= %s "
    "AND c.status = 'sending' ORDER BY m.due_at, m.seq LIMIT %s FOR UPDATE OF m SKIP LOCKED) "
    "UPDATE messages m SET due_at = %s, version = m.version + 1 FROM due, list_sets l "
    "WHERE m.seq = due.seq AND l.id = m.list_set "
    "RETURNING due.due_at, due.seq, m.id, m.campaign_id, m.recipient, l.list_ids, m.status, "
    "m.reason, m.attempts::text, m.segments, m.queued_at, m.submitted_at, m.final_at, m.sent, "
    "m.version, m.zone, m.due_at"
)


def _read(make: Callable[[], Op[T]]) -> Work[T]:
    return Work(Kind.AUTOCOMMIT, make, reads_only=True)


# campaigns and history ------------------------------------------------------------------------


def get_campaign(campaign_id: str) -> Work[Campaign]:
    def op() -> Op[Campaign]:
        row = yield from fetch_one(
            f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = %s",  # noqa: S608 - constant columns
            (campaign_id,),
        )
        if row is None:
            raise NotFoundError("campaign", campaign_id)
        return campaign_from_row(row)

    return _read(op)


def list_campaigns() -> Work[list[Campaign]]:
    def op() -> Op[list[Campaign]]:
        rows = yield from fetch_all(
            f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns ORDER BY created_at, id"  # noqa: S608 - constant columns
        )
        return [campaign_from_row(row) for row in rows]

    return _read(op)


def _of_campaign(query: str, campaign_id: str, *before: Any) -> Op[list[Row]]:
    """Rows of a campaign's ``LEFT JOIN`` (``query``, whose parameters are ``before`` then the
    campaign's id): ``NotFoundError`` when there is no row (no campaign), and the joined rows,
    the campaign's own row left out when it has none."""
    rows = yield from fetch_all(query, (*before, campaign_id))
    if not rows:
        raise NotFoundError("campaign", campaign_id)
    return [row for row in rows if row[0] is not None]


def timeline(campaign_id: str) -> Work[list[TimelineEvent]]:
    def op() -> Op[list[TimelineEvent]]:
        rows = yield from _of_campaign(
            "SELECT t.campaign_id, t.at, t.kind, t.details::text FROM campaigns c "
            "LEFT JOIN timeline t ON t.campaign_id = c.id WHERE c.id = %s ORDER BY t.seq",
            campaign_id,
        )
        return [
            TimelineEvent(campaign_id=r[0], at=r[1], kind=r[2], details=json_of(r[3])) for r in rows
        ]

    return _read(op)


def evidence(campaign_id: str) -> Work[Evidence]:
    def op() -> Op[Evidence]:
        row = yield from fetch_one(
            "SELECT e.delivered, e.soft_bounces, e.hard_bounces, e.unsubscribes "
            "FROM campaigns c LEFT JOIN evidence e ON e.campaign_id = c.id WHERE c.id = %s",
            (campaign_id,),
        )
        if row is None:
            raise NotFoundError("campaign", campaign_id)
        return evidence_of_row(campaign_id, row)

    return _read(op)


# messages -----------------------------------------------------------------------------------


def _messages(query: str, params: tuple[Any, ...]) -> Op[list[Message]]:
    rows = yield from fetch_all(query, params)
    return [message_from_row(row) for row in rows]


def get_message(message_id: str) -> Work[Message]:
    def op() -> Op[Message]:
        found = yield from _messages(MESSAGE_SELECT + "WHERE m.id = %s", (message_id,))
        if not found:
            raise NotFoundError("message", message_id)
        return found[0]

    return _read(op)


def get_messages(message_ids: Iterable[str]) -> Work[dict[str, Message]]:
    """Each stored message of these ids, by id, in the order asked; the others left out."""
    wanted = list(dict.fromkeys(message_ids))

    def op() -> Op[dict[str, Message]]:
        if not wanted:
            return {}
        found = yield from _messages(MESSAGE_SELECT + "WHERE m.id = ANY(%s)", (wanted,))
        read = {message.id: message for message in found}
        return {mid: read[mid] for mid in wanted if mid in read}

    return _read(op)


def rows_by_provider_ids(
    provider_message_ids: Iterable[str], list_ids: dict[int, tuple[str, ...]]
) -> Work[list[tuple[Any, ...]]]:
    """The rows of the messages of these provider ids (``_BY_PROVIDER_IDS``: the provider id,
    then the message's columns), for ``messages_of_rows``; ``list_ids``: the lists of each list
    set id known to the store (a list set never changes), completed here with those the rows
    have that it did not know."""
    wanted = list(dict.fromkeys(provider_message_ids))

    def op() -> Op[list[tuple[Any, ...]]]:
        if not wanted:
            return []
        rows: list[tuple[Any, ...]] = yield from fetch_all(_BY_PROVIDER_IDS, (wanted,))
        unknown = list({row[4] for row in rows}.difference(list_ids))
        if unknown:
            found = yield from fetch_all(
                "SELECT id, list_ids FROM list_sets WHERE id = ANY(%s)", (unknown,)
            )
            list_ids.update((row[0], tuple(row[1])) for row in found)
        return rows

    return _read(op)


def messages_of_rows(
    rows: list[tuple[Any, ...]], list_ids: dict[int, tuple[str, ...]], seen: Seen
) -> dict[str, Message]:
    """The messages ``rows_by_provider_ids`` read, by provider id (decoded by the caller's
    thread: a read ahead only waits on the server); ``seen`` is given the rows."""
    messages = {row[0]: message_from_row(row[1:], list_ids) for row in rows}
    seen.add(
        [
            (*_AS_SEEN(row), frozenset(p for a in m.attempts for p in a.provider_ids))
            for row, m in zip(rows, messages.values(), strict=True)
        ]
    )
    return messages


def messages_to(
    recipient: str, since: datetime, before: datetime | None, *, latest: bool = False
) -> Work[list[Message]]:
    """The messages to ``recipient`` whose last attempt is in ``[since, before]`` (no
    ``before``: no end), oldest first; ``latest``: only the last one."""
    since = check_utc("since", since)
    before = None if before is None else check_utc("before", before)
    query = _LATEST_TO_RECIPIENT if latest else _TO_RECIPIENT
    return _read(functools.partial(_messages, query, (recipient, since, before)))


@attrs.frozen
class Scan(Generic[K]):
    """A scan in pages: ``page(after)`` reads the messages after key ``after`` (``start`` for
    the first page) and the key to read the next page after (``None``: it was the last)."""

    start: K
    page: Callable[[K], Work[tuple[list[Message], K | None]]]


def scan_messages(campaign_id: str, batch_size: int) -> Scan[str | None]:
    """Each message of a campaign, by recipient (``None``: the campaign is checked first)."""
    batch_size = check_batch_size("iter_messages.batch_size", batch_size)

    def op(after: str | None) -> Op[tuple[list[Message], str | None]]:
        if after is None:
            yield from get_campaign(campaign_id).make()
            after = ""
        batch = yield from _messages(
            MESSAGE_SELECT + "WHERE m.campaign_id = %s AND m.recipient > %s "
            "ORDER BY m.recipient LIMIT %s",
            (campaign_id, after, batch_size),
        )
        return batch, (batch[-1].recipient if len(batch) == batch_size else None)

    return Scan(None, lambda after: _read(functools.partial(op, after)))


_Key = tuple[datetime | None, int]
_DUE_AT = operator.attrgetter("due_at")
_LAST_ATTEMPT_AT = operator.attrgetter("last_attempt_at")


def _sequenced(
    where: str, batch_size: int, key: Callable[[Message], datetime | None], *values: Any
) -> Callable[[_Key], Work[Any]]:
    """Pages of messages in the order of an index on (``key``, seq): ``where`` ends with the
    keyset condition on them."""

    def op(after: _Key) -> Op[tuple[list[Message], _Key | None]]:
        rows = yield from fetch_all(_SEQUENCED_SELECT + where, (*values, *after, batch_size))
        batch = [message_from_row(row[1:]) for row in rows]
        if len(rows) < batch_size:
            return batch, None
        return batch, (key(batch[-1]), rows[-1][0])

    return lambda after: _read(functools.partial(op, after))


def scan_due(now: datetime, batch_size: int) -> Scan[_Key]:
    """Queued messages due at or before ``now`` of sending campaigns, in due order."""
    now = check_utc("now", now)
    batch_size = check_batch_size("iter_due.batch_size", batch_size)
    return Scan(
        (None, 0),
        _sequenced(
            "JOIN campaigns c ON c.id = m.campaign_id WHERE m.status = 'queued' "
            "AND m.due_at IS NOT NULL AND m.due_at <= %s AND c.status = 'sending' "
            "AND (m.due_at, m.seq) > (COALESCE(%s::timestamptz, '-infinity'), %s) "
            "ORDER BY m.due_at, m.seq LIMIT %s",
            batch_size,
            _DUE_AT,
            now,
        ),
    )


def scan_stale(submitted_before: datetime, batch_size: int) -> Scan[_Key]:
    """Processing messages whose last attempt is older than the cutoff, oldest first."""
    submitted_before = check_utc("submitted_before", submitted_before)
    batch_size = check_batch_size("iter_stale.batch_size", batch_size)
    return Scan(
        (None, 0),
        _sequenced(
            "WHERE m.status = 'processing' AND m.last_attempt_at < %s "
            "AND (m.last_attempt_at, m.seq) > (COALESCE(%s::timestamptz, '-infinity'), %s) "
            "ORDER BY m.last_attempt_at, m.seq LIMIT %s",
            batch_size,
            _LAST_ATTEMPT_AT,
            submitted_before,
        ),
    )


# replies, unsubscribes, blocklist, orphans, evidence -------------------------------------------


def replies(campaign_id: str) -> Work[list[Reply]]:
    def op() -> Op[list[Reply]]:
        rows = yield from _of_campaign(
            "SELECT r.id, r.recipient, r.campaign_id, r.at, r.text FROM campaigns c "
            "LEFT JOIN replies r ON r.campaign_id = c.id WHERE c.id = %s ORDER BY r.at, r.id",
            campaign_id,
        )
        return [Reply(id=r[0], recipient=r[1], campaign_id=r[2], at=r[3], text=r[4]) for r in rows]

    return _read(op)


_UNSUBSCRIBES = (
    "SELECT u.id, u.recipient, u.campaign_id, u.at, u.keyword FROM campaigns c "
    "LEFT JOIN unsubscribes u ON u.campaign_id = c.id{} WHERE c.id = %s ORDER BY u.at, u.id"
)


def unsubscribes(campaign_id: str, recipient: str | None = None) -> Work[list[Unsubscribe]]:
    """The campaign's opt-outs; ``recipient``'s only, through ``unsubscribes_campaign``
    (campaign_id, recipient), when given."""

    def op() -> Op[list[Unsubscribe]]:
        if recipient is None:
            rows = yield from _of_campaign(_UNSUBSCRIBES.format(""), campaign_id)
        else:
            rows = yield from _of_campaign(
                _UNSUBSCRIBES.format(" AND u.recipient = %s"), campaign_id, recipient
            )
        return [
            Unsubscribe(id=r[0], recipient=r[1], campaign_id=r[2], at=r[3], keyword=r[4])
            for r in rows
        ]

    return _read(op)


def blocked(recipients: Iterable[str], key_of: Callable[[str], str]) -> Work[frozenset[str]]:
    """Which numbers are blocked, under their own name or (forgotten) their key."""
    wanted = list(dict.fromkeys(recipients))

    def op() -> Op[frozenset[str]]:
        if not wanted:
            return frozenset()
        rows = yield from fetch_all(
            "SELECT w.n FROM unnest(%s::text[], %s::text[]) AS w(n, k) "
            "WHERE EXISTS (SELECT 1 FROM blocklist b WHERE b.recipient IN (w.n, w.k))",
            (wanted, [key_of(number) for number in wanted]),
        )
        return frozenset(row[0] for row in rows)

    return _read(op)


def orphans(provider_message_ids: Iterable[str]) -> Work[list[Orphan]]:
    wanted = list(dict.fromkeys(provider_message_ids))

    def op() -> Op[list[Orphan]]:
        if not wanted:
            return []
        rows = yield from fetch_all(
            "SELECT provider_message_id, received_at, report::text FROM orphans "
            "WHERE provider_message_id = ANY(%s) ORDER BY seq",
            (wanted,),
        )
        return [
            Orphan(provider_message_id=r[0], received_at=r[1], report=json_of(r[2])) for r in rows
        ]

    return _read(op)


def take_orphans(provider_message_id: str) -> Work[list[Any]]:
    """The reports kept for a provider id, in arrival order, removed: one atomic statement."""

    def op() -> Op[list[Any]]:
        rows = yield from fetch_all(
            "DELETE FROM orphans WHERE provider_message_id = %s RETURNING seq, report::text",
            (provider_message_id,),
        )
        return [json_of(text) for _, text in sorted(rows)]

    return Work(Kind.AUTOCOMMIT, op)


# aggregates ---------------------------------------------------------------------------------


#: The provider of each compensable message (``is_compensable``: its shapes are known from the
#: aggregate), the element 6 of its last attempt's array, counted.
_COMPENSABLE_PROVIDERS = (
    "SELECT (attempts -> -1) ->> 6, count(*) FROM messages WHERE campaign_id = %s "
    "AND status = 'soft_bounce' AND shape = ANY(%s::bigint[]) GROUP BY 1"
)


def campaign_counts(campaign_id: str) -> Work[CampaignCounts]:
    """The campaign's counts, from two covering indexes, in one read-only snapshot."""

    def op() -> Op[CampaignCounts]:
        yield from get_campaign(campaign_id).make()
        grouped = yield from fetch_all(
            "SELECT status, shape, count(*) FROM messages WHERE campaign_id = %s "
            "GROUP BY status, shape",
            (campaign_id,),
        )
        engaged = yield from fetch_all(_ENGAGEMENT, (campaign_id, campaign_id, campaign_id))
        wanted = list({decode_shape(shape)[0] for _, shape, _ in grouped})
        rows = yield from fetch_all(
            "SELECT id, list_ids FROM list_sets WHERE id = ANY(%s)", (wanted,)
        )
        lists = {row[0]: tuple(row[1]) for row in rows}
        cells, compensable = tally_shapes(grouped, lists)
        engagement = {
            lists[list_set]: Engagement(repliers, replies, unsubscribers)
            for list_set, repliers, replies, unsubscribers in engaged
        }
        providers: dict[str | None, int] = {}
        if compensable:  # rare: the provider of just those rows, sought through the index
            by_provider: list[tuple[str | None, int]] = yield from fetch_all(
                _COMPENSABLE_PROVIDERS, (campaign_id, compensable)
            )
            providers = dict(by_provider)
        return CampaignCounts(cells, engagement, providers)

    return Work(Kind.SNAPSHOT, op)


# writes -------------------------------------------------------------------------------------


def commit(
    change: Change,
    encoded: Encoded,
    known_list_sets: dict[tuple[str, ...], int],
    seen: Seen,
    *,
    orphan_max_age: timedelta,
    orphan_max_count: int,
) -> Work[Written]:
    """A change, whole, in one transaction (``_writes.commit_op``)."""

    def op() -> Op[Written]:
        return (
            yield from commit_op(
                change,
                encoded,
                ListSets(known_list_sets),
                seen,
                orphan_max_age=orphan_max_age,
                orphan_max_count=orphan_max_count,
            )
        )

    return Work(Kind.WRITE, op)


def add_messages(
    messages: Iterable[Message], known_list_sets: dict[tuple[str, ...], int]
) -> Work[tuple[int, ListSets]]:
    """New messages streamed into one transaction by ``COPY``; a one-shot iterator cannot be
    read twice, so only a list or a tuple is run again after a busy failure."""

    def op() -> Op[tuple[int, ListSets]]:
        list_sets = ListSets(known_list_sets)
        count = yield from insert_messages(messages, list_sets)
        return count, list_sets

    return Work(Kind.WRITE, op, replayable=isinstance(messages, (list, tuple)))


def claim_due(now: datetime, until: datetime, limit: int) -> Work[list[Message]]:
    """Due messages leased to this worker until ``until``: one statement (``_CLAIM_DUE``)."""
    now = check_utc("now", now)
    until = check_utc("until", until)
    if until <= now:
        raise ValidationError("claim_due.until", "must be later than now")
    limit = check_batch_size("claim_due.limit", limit)

    def op() -> Op[list[Message]]:
        rows = yield from fetch_all(_CLAIM_DUE, (now, limit, until))
        rows.sort(key=lambda row: (row[0], row[1]))
        return [message_from_row(row[2:]) for row in rows]

    return Work(Kind.AUTOCOMMIT, op)


def forget(recipient: str, alias: str, key: str) -> Work[int]:
    """Replace a number by its pseudonym everywhere, in one transaction; how many records
    named it."""

    def op() -> Op[int]:
        try:
            # A new version: a writer holding the message as it was read gets ConflictError.
            changed = yield from rowcount(
                "UPDATE messages SET recipient = %s, version = version + 1 WHERE recipient = %s",
                (alias, recipient),
                guarded=True,
            )
        except psycopg.IntegrityError:
            raise StorageError(
                "forget: two forgotten numbers of one campaign have the same pseudonym; "
                "nothing was changed"
            ) from None
        changed += yield from rowcount(
            "UPDATE replies SET recipient = %s, text = '' WHERE recipient = %s", (alias, recipient)
        )
        changed += yield from rowcount(
            "UPDATE unsubscribes SET recipient = %s, keyword = '' WHERE recipient = %s",
            (alias, recipient),
        )
        # Every waiting report is read: inside free text the number may be written in forms no
        # SQL filter finds ("06 12 34 56 78"); orphan reports are few. Writers of reports wait
        # until this commits, so none is kept unread meanwhile.
        yield from execute("LOCK TABLE orphans IN EXCLUSIVE MODE")
        for seq, text in (yield from fetch_all("SELECT seq, report::text FROM orphans")):
            cleaned, found = scrub(json_of(text), recipient, alias)
            if found:
                yield from execute(
                    "UPDATE orphans SET report = %s::json WHERE seq = %s", (to_json(cleaned), seq)
                )
                changed += 1
        entry = yield from fetch_one(
            "DELETE FROM blocklist WHERE recipient = %s RETURNING reason, at", (recipient,)
        )
        if entry is not None:
            yield from execute(BLOCK, (key, entry[0], entry[1], key, key))
            changed += 1
        return changed

    return Work(Kind.WRITE, op)
