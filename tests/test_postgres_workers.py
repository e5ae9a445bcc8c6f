"""Many workers, one truth: engines in several processes on one PostgreSQL database count
exactly as one engine replaying the same receipts in order (issue 14, point 2)."""

from __future__ import annotations

import multiprocessing
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import pytest

from sms_campaign_stats import CampaignStatus, report_for
from sms_campaign_stats.engine import CampaignEngine, HandleResult, SendMessage, SuspendCampaign
from sms_campaign_stats.model import TimelineKind
from sms_campaign_stats.providers import parse_vonage_receipt
from sms_campaign_stats.storage import Change, Committed, StorageBase
from sms_campaign_stats.testing import TemporaryPostgres

from .campaigns import add_campaign

UTC = timezone.utc
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=5)
COUNT = 150
# Each message's final receipt (delivered, hard bounce, a spam filter that is not retried, a
# soft bounce that is retried); every message also gets an intermediate "accepted" receipt.
FINALS = [("delivered", "0"), ("failed", "3"), ("rejected", "6"), ("delivered", "0")]


def _store(url: str, schema: str) -> StorageBase:
    from sms_campaign_stats.storage.postgres import PostgresStorage

    return PostgresStorage(url, schema=schema)


@pytest.fixture
def schema() -> str:
    return f"w{uuid.uuid4().hex}"


@pytest.fixture
def url(postgres_server: TemporaryPostgres) -> str:
    return postgres_server.url


def prepare(store: StorageBase, count: int = COUNT) -> list[dict[str, str]]:
    """A campaign of ``count`` submitted messages; one intermediate and one final receipt each."""
    add_campaign(store, "c", at=NOW, name="c", content="Sale!")
    engine = CampaignEngine(store)
    numbers = [f"+3361234{i:04d}" for i in range(count)]
    planned = engine.plan("c", {"a": numbers}, NOW)
    receipts = []
    for index, action in enumerate(a for a in planned.actions if isinstance(a, SendMessage)):
        engine.submitted(action.message_id, f"p{index}", NOW)
        status, err = FINALS[index % len(FINALS)]
        receipts.append({"messageId": f"p{index}", "status": "accepted", "err-code": "0"})
        receipts.append({"messageId": f"p{index}", "status": status, "err-code": err})
    return receipts


def apply(url: str, schema: str, receipts: list[dict[str, str]], batch: int) -> None:
    """Apply receipts through an engine of this process, ``batch`` at a time."""
    store = _store(url, schema)
    engine = CampaignEngine(store)
    try:
        for first in range(0, len(receipts), batch):
            engine.handle_many(
                [parse_vonage_receipt(r) for r in receipts[first : first + batch]], LATER
            )
    finally:
        store.close()


def shuffled_shares(receipts: list[dict[str, str]], workers: int) -> list[list[dict[str, str]]]:
    """Every receipt to two workers (a duplicate), each worker's share in its own random order."""
    rng = random.Random(14)  # seeded: a failure reproduces
    shares: list[list[dict[str, str]]] = [[] for _ in range(workers)]
    for index, receipt in enumerate(receipts):
        shares[index % workers].append(receipt)
        shares[(index + 1) % workers].append(receipt)
    for share in shares:
        rng.shuffle(share)
    return shares


def _run(processes: Iterator[multiprocessing.process.BaseProcess]) -> None:
    started = list(processes)
    for process in started:
        process.start()
    for process in started:
        process.join(timeout=300)
    assert [0] * len(started) == [p.exitcode for p in started]


@pytest.mark.parametrize("batch", [1, 25])
def test_three_processes_count_as_a_serial_replay(url: str, batch: int) -> None:
    """Shuffled, duplicated receipts applied by 3 processes: the report of a serial replay of
    the receipts in order, on a database of its own."""
    parallel, serial = f"w{uuid.uuid4().hex}", f"w{uuid.uuid4().hex}"
    store = _store(url, parallel)
    receipts = prepare(store)
    spawn = multiprocessing.get_context("spawn")
    _run(
        spawn.Process(target=apply, args=(url, parallel, share, batch))
        for share in shuffled_shares(receipts, 3)
    )
    replay = _store(url, serial)
    assert receipts == prepare(replay)
    apply(url, serial, receipts, 1)
    got, expected = report_for(store, "c"), report_for(replay, "c")
    assert sum(1 for i in range(COUNT) if i % 4 in (0, 3)) == expected.delivered.count
    assert expected.to_json() == got.to_json()
    assert [e.kind for e in replay.timeline("c")] == [e.kind for e in store.timeline("c")]
    assert replay.evidence("c") == store.evidence("c")
    store.close()
    replay.close()


def _bounce(url: str, schema: str, first: int, count: int) -> None:
    """Hard bounces for messages ``first .. first + count - 1``, by an engine of this process."""
    store = _store(url, schema)
    engine = CampaignEngine(store)
    try:
        engine.handle_many(
            [
                parse_vonage_receipt({"messageId": f"p{i}", "status": "failed", "err-code": "3"})
                for i in range(first, first + count)
            ],
            LATER,
        )
    finally:
        store.close()


def test_every_worker_sees_the_evidence_at_once(url: str, schema: str) -> None:
    """Outcomes applied by other processes count in every worker's suspension decision at once:
    two processes each apply 110 hard bounces (below the default policy's minimum sample of 200:
    neither alone may suspend). Whichever commits second finds 220 in the evidence as stored
    after its change (``Committed.evidence``) and suspends the campaign then, once; a third
    engine, which saw none of them, reads all 220 in its verdict."""
    store = _store(url, schema)
    prepare(store, count=400)
    watcher = CampaignEngine(store)  # before any outcome: its monitor cache is empty
    assert "ok" in repr(watcher.monitor_verdict("c")).lower()
    spawn = multiprocessing.get_context("spawn")
    _run(spawn.Process(target=_bounce, args=(url, schema, i * 110, 110)) for i in range(2))
    assert 220 == store.evidence("c").hard_bounces
    assert CampaignStatus.SUSPENDED is store.get_campaign("c").status
    assert 1 == [e.kind for e in store.timeline("c")].count(TimelineKind.SUSPENDED)
    assert "suspend" in repr(watcher.monitor_verdict("c")).lower()
    store.close()


def test_two_writers_between_read_and_commit_suspend_at_once(url: str, schema: str) -> None:
    """The race itself, made certain: a second worker applies its 110 hard bounces after the
    first read the evidence (none) and before it commits its own 110. Neither decided from more
    than 110; the first learns from its commit (the upsert's ``RETURNING``) that 220 are stored,
    and suspends the campaign then, in a change of its own, once."""
    from sms_campaign_stats.storage.postgres import PostgresStorage

    meanwhile: list[Callable[[], object]] = []

    class Interleaved(PostgresStorage):
        def commit(self, change: Change) -> Committed:
            if meanwhile and change.evidence:
                meanwhile.pop()()
            return super().commit(change)

    store = Interleaved(url, schema=schema)
    prepare(store, count=400)
    other = _store(url, schema)
    second = CampaignEngine(other)
    bounces = [
        parse_vonage_receipt({"messageId": f"p{i}", "status": "failed", "err-code": "3"})
        for i in range(220)
    ]
    theirs: list[HandleResult] = []
    meanwhile.append(lambda: theirs.extend(second.handle_many(bounces[110:], LATER)))
    ours = CampaignEngine(store).handle_many(bounces[:110], LATER)
    suspended = [a for r in ours for a in r.actions if isinstance(a, SuspendCampaign)]
    assert 1 == len(suspended)
    assert suspended[0] in ours[-1].actions
    assert not any(isinstance(a, SuspendCampaign) for r in theirs for a in r.actions)
    assert CampaignStatus.SUSPENDED is store.get_campaign("c").status
    assert 1 == [e.kind for e in store.timeline("c")].count(TimelineKind.SUSPENDED)
    other.close()
    store.close()
