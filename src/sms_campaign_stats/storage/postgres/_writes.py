"""The statements of ``PostgresStorage.commit``, as operations (see ``_steps``).

``commit_op`` runs them in one ``READ COMMITTED`` transaction, in this order: new campaigns,
campaigns compare-and-set (by id), the campaigns the change refers to, new messages (``COPY``,
chunk by chunk), messages compare-and-set (locked by id), history, replies and opt-outs,
blocks, orphan reports (taken, kept, evicted), completions, evidence. Each raises the library's
error for what it finds wrong (a duplicate, a stale version, an unknown campaign) and the driver
rolls the whole transaction back: nothing of the change is written.

Compare-and-set under ``READ COMMITTED`` is exact: an ``UPDATE ... WHERE version = %s`` that
meets a row another transaction changed waits for it, then re-checks the condition on the row as
committed, so of two writers based on one version exactly one writes. Rows are locked in a
stable order (campaigns, then messages, each by id, then the campaigns to complete, then the
evidence) so that writers rarely deadlock; when they do, PostgreSQL aborts one and the driver
runs it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

import attrs

from sms_campaign_stats.errors import (
    ConflictError,
    DuplicateError,
    NotFoundError,
    ValidationError,
)
from sms_campaign_stats.lifecycle._statuses import CampaignStatus
from sms_campaign_stats.model import Block, Campaign, Reply, TimelineEvent, Unsubscribe
from sms_campaign_stats.storage._change import Change, Committed, Completion, Evidence, Orphan
from sms_campaign_stats.storage.postgres._codec import (
    CAMPAIGN_COLUMNS,
    campaign_from_row,
    campaign_params,
    to_json,
)
from sms_campaign_stats.storage.postgres._messages import (
    ListSets,
    Seen,
    compare_and_set_messages,
    insert_messages,
)
from sms_campaign_stats.storage.postgres._steps import (
    Op,
    execute,
    fetch_all,
    fetch_one,
    returning_many,
    rowcount,
)
from sms_campaign_stats.storage.sqlite._writes import encode_evidence, evidence_of_row

__all__ = ["BLOCK", "Encoded", "Written", "commit_op", "encode"]

_INSERT_CAMPAIGN = (
    f"INSERT INTO campaigns ({CAMPAIGN_COLUMNS}) VALUES "  # noqa: S608 - constant columns
    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING"
)
_UPDATE_CAMPAIGN = (
    "UPDATE campaigns SET name = %s, sender = %s, content = %s, list_ids = %s, status = %s, "
    "created_at = %s, scheduled_at = %s, unit_price = %s, currency = %s, "
    "version = version + 1 WHERE id = %s AND version = %s"
)
#: A number is blocked once, under its own name or, once forgotten, under its salted hash:
#: (number, reason, at, number, its blocklist key).
BLOCK = (
    "INSERT INTO blocklist (recipient, reason, at) SELECT %s, %s, %s "
    "WHERE NOT EXISTS (SELECT 1 FROM blocklist WHERE recipient IN (%s, %s)) "
    "ON CONFLICT (recipient) DO NOTHING"
)
_BLOCK_RETURNING = BLOCK + " RETURNING recipient"
_ADD_EVIDENCE = (
    "INSERT INTO evidence (campaign_id, delivered, soft_bounces, hard_bounces, unsubscribes) "
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (campaign_id) DO UPDATE SET "
    "delivered = evidence.delivered + excluded.delivered, "
    "soft_bounces = evidence.soft_bounces + excluded.soft_bounces, "
    "hard_bounces = evidence.hard_bounces + excluded.hard_bounces, "
    "unsubscribes = evidence.unsubscribes + excluded.unsubscribes "
    "RETURNING delivered, soft_bounces, hard_bounces, unsubscribes"
)
_RESTART_EVIDENCE = (
    "INSERT INTO evidence (campaign_id, delivered, soft_bounces, hard_bounces, unsubscribes) "
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (campaign_id) DO UPDATE SET "
    "delivered = excluded.delivered, soft_bounces = excluded.soft_bounces, "
    "hard_bounces = excluded.hard_bounces, unsubscribes = excluded.unsubscribes "
    "RETURNING delivered, soft_bounces, hard_bounces, unsubscribes"
)


# The campaigns that still have a message queued or processing: for each, a seek into
# messages_counts at (campaign, status). The ORDER BY the index's columns keeps the planner on it
# whatever its statistics say: as an EXISTS it may scan the table or the whole index (every
# delivered message first), once per batch of a campaign's receipts.
_STILL_OPEN = (
    "SELECT c FROM unnest(%s::text[]) AS u(c) WHERE "
    "(SELECT 1 FROM messages WHERE campaign_id = u.c AND status = 'queued' "
    "ORDER BY campaign_id, status, shape LIMIT 1) IS NOT NULL OR "
    "(SELECT 1 FROM messages WHERE campaign_id = u.c AND status = 'processing' "
    "ORDER BY campaign_id, status, shape LIMIT 1) IS NOT NULL"
)


@attrs.frozen
class Written:
    """What ``commit_op`` returns: what it wrote, its list sets (to share once committed),
    and how many orphan reports it evicted (to log once committed)."""

    committed: Committed
    list_sets: ListSets
    evicted: int = 0


# campaigns ----------------------------------------------------------------------------------


def insert_campaigns(campaigns: Sequence[Campaign]) -> Op[None]:
    """New campaigns, stored as given; ``DuplicateError`` for an id already stored."""
    for campaign in campaigns:
        if (yield from rowcount(_INSERT_CAMPAIGN, campaign_params(campaign))) != 1:
            raise DuplicateError("campaign", campaign.id)


def compare_and_set_campaigns(campaigns: Sequence[Campaign]) -> Op[list[Campaign]]:
    """Each campaign written (in id order) if its stored version is the value's; the campaigns
    as stored (``version + 1``), in the order given."""
    for campaign in sorted(campaigns, key=lambda c: c.id):
        written = yield from rowcount(
            _UPDATE_CAMPAIGN, (*campaign_params(campaign)[1:10], campaign.id, campaign.version)
        )
        if written != 1:
            stored = yield from fetch_one(
                "SELECT version FROM campaigns WHERE id = %s", (campaign.id,)
            )
            if stored is None:
                raise NotFoundError("campaign", campaign.id)
            raise ConflictError("campaign", campaign.id, campaign.version, stored[0])
    return [attrs.evolve(c, version=c.version + 1) for c in campaigns]


def require_campaigns(ids: Iterable[str]) -> Op[None]:
    """``NotFoundError`` for the first of these campaigns that is not stored."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return
    rows = yield from fetch_all("SELECT id FROM campaigns WHERE id = ANY(%s)", (wanted,))
    found = {row[0] for row in rows}
    for campaign_id in wanted:
        if campaign_id not in found:
            raise NotFoundError("campaign", campaign_id)


def complete(completions: Sequence[Completion]) -> Op[list[Campaign]]:
    """Complete each campaign that is SENDING and has no message queued or processing, read
    after the change's other writes and after locking its row: of two writers that apply the
    last two outcomes at once, the second waits for the first to commit, then sees both."""
    if not completions:
        return []
    ids = list(dict.fromkeys(c.campaign_id for c in completions))
    rows = yield from fetch_all(
        f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ANY(%s) "  # noqa: S608 - constant columns
        "ORDER BY id FOR NO KEY UPDATE",
        (ids,),
    )
    current = {row[0]: campaign_from_row(row) for row in rows}
    for campaign_id in ids:
        if campaign_id not in current:
            raise NotFoundError("campaign", campaign_id)
    sending = [i for i in ids if current[i].status is CampaignStatus.SENDING]
    if not sending:
        return []
    # A new statement, after the locks: it sees every outcome committed before them.
    open_rows = yield from fetch_all(_STILL_OPEN, (sending,))
    still_open = {row[0] for row in open_rows}
    completed: list[Campaign] = []
    for completion in completions:
        campaign = current[completion.campaign_id]
        if campaign.status is not CampaignStatus.SENDING or campaign.id in still_open:
            continue
        done = campaign.complete(at=completion.at)
        (stored,) = yield from compare_and_set_campaigns([done.campaign])
        yield from insert_events([done.event])
        current[campaign.id] = stored
        completed.append(stored)
    return completed


# history, inbound, blocks --------------------------------------------------------------------


def insert_events(events: Sequence[TimelineEvent]) -> Op[None]:
    """History entries, appended in order (their campaigns are stored)."""
    if not events:
        return
    yield from execute(
        "INSERT INTO timeline (campaign_id, at, kind, details) "
        "SELECT c, a, k, d::json FROM unnest(%s::text[], %s::timestamptz[], %s::text[], "
        "%s::text[]) WITH ORDINALITY AS e(c, a, k, d, n) ORDER BY n",
        (
            [e.campaign_id for e in events],
            [e.at for e in events],
            [e.kind.value for e in events],
            [to_json(e.details) for e in events],
        ),
    )


def record_replies(replies: Sequence[Reply]) -> Op[list[Reply]]:
    """The replies whose id is not stored yet, recorded; those, in the order given."""
    if not replies:
        return []
    rows = yield from fetch_all(
        "INSERT INTO replies (id, recipient, campaign_id, at, text) "
        "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::timestamptz[], "
        "%s::text[]) ON CONFLICT (id) DO NOTHING RETURNING id",
        (
            [r.id for r in replies],
            [r.recipient for r in replies],
            [r.campaign_id for r in replies],
            [r.at for r in replies],
            [r.text for r in replies],
        ),
    )
    return _first_of_each(replies, {row[0] for row in rows})


def record_unsubscribes(unsubscribes: Sequence[Unsubscribe]) -> Op[list[Unsubscribe]]:
    """The opt-outs whose id is not stored yet, recorded; those, in the order given."""
    if not unsubscribes:
        return []
    rows = yield from fetch_all(
        "INSERT INTO unsubscribes (id, recipient, campaign_id, at, keyword) "
        "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::timestamptz[], "
        "%s::text[]) ON CONFLICT (id) DO NOTHING RETURNING id",
        (
            [u.id for u in unsubscribes],
            [u.recipient for u in unsubscribes],
            [u.campaign_id for u in unsubscribes],
            [u.at for u in unsubscribes],
            [u.keyword for u in unsubscribes],
        ),
    )
    return _first_of_each(unsubscribes, {row[0] for row in rows})


def _first_of_each(items: Sequence[Any], written: set[str]) -> list[Any]:
    """The items whose id was written, once each (a change may repeat one)."""
    kept = []
    for item in items:
        if item.id in written:
            kept.append(item)
            written.discard(item.id)
    return kept


def write_blocks(blocks: Sequence[Block], keys: Sequence[str]) -> Op[list[bool]]:
    """Block each number unless it is already (under its name, or its key once forgotten);
    whether each was written."""
    if not blocks:
        return []
    # One statement per number, in order (each sees the numbers blocked before it), pipelined.
    rows = yield from returning_many(
        _BLOCK_RETURNING,
        [
            (block.recipient, block.reason, block.at, block.recipient, key)
            for block, key in zip(blocks, keys, strict=True)
        ],
    )
    return [row is not None for row in rows]


# orphans and evidence -----------------------------------------------------------------------


def encode_orphans(orphans: Sequence[Orphan]) -> list[str]:
    """Orphan reports as JSON (before the transaction: a report that is not a JSON mapping is
    refused without taking a connection)."""
    texts = []
    for orphan in orphans:
        if not isinstance(orphan.report, Mapping):
            raise ValidationError("Orphan.report", "an orphan report is a mapping")
        texts.append(to_json(orphan.report))
    return texts


def keep_orphans(
    orphans: Sequence[Orphan], reports: Sequence[str], max_age: timedelta, max_count: int
) -> Op[int]:
    """Keep reports in arrival order, then evict those received more than ``max_age`` before
    the newest of them, and the oldest past ``max_count``; how many were evicted."""
    if not orphans:
        return 0
    yield from execute(
        "INSERT INTO orphans (provider_message_id, received_at, report) "
        "SELECT p, r, j::json FROM unnest(%s::text[], %s::timestamptz[], %s::text[]) "
        "WITH ORDINALITY AS o(p, r, j, n) ORDER BY n",
        ([o.provider_message_id for o in orphans], [o.received_at for o in orphans], reports),
    )
    newest = max(o.received_at for o in orphans)
    aged = yield from rowcount("DELETE FROM orphans WHERE received_at < %s", (newest - max_age,))
    over = yield from rowcount(
        "DELETE FROM orphans WHERE seq <= "
        "(SELECT seq FROM orphans ORDER BY seq DESC LIMIT 1 OFFSET %s)",
        (max_count,),
    )
    return aged + over


def add_evidence(evidence: Mapping[str, Evidence]) -> Op[list[Evidence]]:
    """Add (or, for a restart, set) each campaign's evidence, in campaign order; each as stored
    after it, other writers' committed outcomes included (the upsert waits for a writer that
    holds the row, then adds to what it committed)."""
    totals = []
    for campaign_id in sorted(evidence):
        delta = evidence[campaign_id]
        row = yield from fetch_one(
            _RESTART_EVIDENCE if delta.restart else _ADD_EVIDENCE,
            (
                campaign_id,
                delta.delivered,
                delta.soft_bounces,
                delta.hard_bounces,
                delta.unsubscribes,
            ),
        )
        assert row is not None  # an upsert returns its row
        totals.append(evidence_of_row(campaign_id, row))
    return totals


# the whole change ---------------------------------------------------------------------------


@attrs.frozen
class Encoded:
    """What ``commit`` encodes before it takes a connection."""

    block_keys: list[str]
    reports: list[str]
    evidence: dict[str, Evidence]


def encode(change: Change, block_keys: list[str]) -> Encoded:
    """A change's values that can be encoded (and refused) before the transaction."""
    return Encoded(block_keys, encode_orphans(change.orphans), encode_evidence(change.evidence))


def _referred(change: Change) -> Iterator[str]:
    """The campaigns a change's items refer to (they must be stored)."""
    yield from (e.campaign_id for e in change.events)
    yield from (m.campaign_id for m in change.new_messages)
    yield from (r.campaign_id for r in change.replies if r.campaign_id is not None)
    yield from (u.campaign_id for u in change.unsubscribes if u.campaign_id is not None)
    yield from (e.campaign_id for e in change.evidence)


def commit_op(
    change: Change,
    encoded: Encoded,
    list_sets: ListSets,
    seen: Seen,
    *,
    orphan_max_age: timedelta,
    orphan_max_count: int,
) -> Op[Written]:
    """The statements of ``commit``, in its transaction (see the module doc)."""
    yield from insert_campaigns(change.new_campaigns)
    campaigns = yield from compare_and_set_campaigns(change.campaigns)
    yield from require_campaigns(_referred(change))
    yield from insert_messages(change.new_messages, list_sets)
    messages = yield from compare_and_set_messages(change.messages, list_sets, seen)
    yield from insert_events(change.events)
    replies = yield from record_replies(change.replies)
    unsubscribes = yield from record_unsubscribes(change.unsubscribes)
    blocked = yield from write_blocks(change.blocks, encoded.block_keys)
    if change.taken_orphans:
        yield from execute(
            "DELETE FROM orphans WHERE provider_message_id = ANY(%s)", (list(change.taken_orphans),)
        )
    evicted = yield from keep_orphans(
        change.orphans, encoded.reports, orphan_max_age, orphan_max_count
    )
    completed = yield from complete(change.completions)
    totals = yield from add_evidence(encoded.evidence)
    stored = {c.id: c for c in (*campaigns, *change.new_campaigns, *completed)}
    committed = Committed(
        campaigns=tuple(stored.values()),
        messages=(*messages, *change.new_messages),
        replies=tuple(replies),
        unsubscribes=tuple(unsubscribes),
        blocks=tuple(b for b, ok in zip(change.blocks, blocked, strict=True) if ok),
        completed=tuple(completed),
        evidence=tuple(totals),
    )
    return Written(committed, list_sets, evicted)
