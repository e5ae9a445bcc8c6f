"""Several threads and processes applying overlapping reports to one campaign on one SQLite
file: the same final counts as one thread, nothing lost, nothing counted twice."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest

from sms_campaign_stats import InMemoryStorage, SQLiteStorage, report_for
from sms_campaign_stats.engine import (
    AsyncCampaignEngine,
    CampaignEngine,
    HandleResult,
    SuspendCampaign,
)
from sms_campaign_stats.lifecycle import CampaignStatus
from sms_campaign_stats.model import TimelineKind
from sms_campaign_stats.providers import DeliveryReport, parse_vonage_receipt
from sms_campaign_stats.storage import Change, Committed, StorageBase, ThreadedAsyncStorage

from .campaigns import add_campaign, sends

UTC = timezone.utc
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
COUNT = 120
# Final outcomes only (delivered, hard bounce, a spam filter that is not retried).
OUTCOMES = [("delivered", "0"), ("failed", "3"), ("rejected", "6")]


def sent_to(store: StorageBase, count: int) -> int:
    """A campaign of ``count`` messages, each submitted with provider id ``p<index>``; how many
    (every number is a valid mobile)."""
    add_campaign(store, "c", at=NOW, name="c", content="Sale!")
    engine = CampaignEngine(store)
    planned = sends(
        engine.plan("c", {"a": [f"+3361234{i:04d}" for i in range(count)]}, NOW).actions
    )
    for index, action in enumerate(planned):
        engine.submitted(action.message_id, f"p{index}", NOW)
    return len(planned)


def prepare(store: StorageBase) -> list[dict[str, str]]:
    """A campaign of COUNT submitted messages, and one final receipt per message."""
    receipts = []
    for index in range(sent_to(store, COUNT)):
        status, err = OUTCOMES[index % 3]
        receipts.append({"messageId": f"p{index}", "status": status, "err-code": err})
    return receipts


def apply(path: Path, receipts: list[dict[str, str]]) -> None:
    """Apply receipts through an engine on its own connection."""
    store = SQLiteStorage(path, durability="normal", timeout=60)
    engine = CampaignEngine(store)
    for receipt in receipts:
        engine.handle(parse_vonage_receipt(receipt), NOW + timedelta(seconds=5))
    store.close()


def expected_report(receipts: list[dict[str, str]]) -> object:
    """The report a single thread gets from the same receipts."""
    store = InMemoryStorage()
    prepare(store)
    apply_in_memory = CampaignEngine(store)
    for receipt in receipts:
        apply_in_memory.handle(parse_vonage_receipt(receipt), NOW + timedelta(seconds=5))
    return report_for(store, "c")


def shares(receipts: list[dict[str, str]], workers: int) -> list[list[dict[str, str]]]:
    """Overlapping shares: every receipt goes to two workers, in different orders."""
    result: list[list[dict[str, str]]] = [[] for _ in range(workers)]
    for index, receipt in enumerate(receipts):
        result[index % workers].append(receipt)
        result[(index + 1) % workers].insert(0, receipt)
    return result


def test_threads_count_every_report_once(tmp_path: Path) -> None:
    """Four threads, each receipt applied twice: the single-thread report, exactly."""
    path = tmp_path / "t.db"
    store = SQLiteStorage(path, durability="normal")
    receipts = prepare(store)
    threads = [threading.Thread(target=apply, args=(path, part)) for part in shares(receipts, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert expected_report(receipts) == report_for(store, "c")
    assert COUNT == sum(len(m.attempts) for m in store.iter_messages("c"))
    store.close()


def test_processes_count_every_report_once(tmp_path: Path) -> None:
    """Three processes on one SQLite file, each receipt applied twice: the same report."""
    path = tmp_path / "p.db"
    store = SQLiteStorage(path, durability="normal")
    receipts = prepare(store)
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=apply, args=(path, part)) for part in shares(receipts, 3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [0, 0, 0] == [worker.exitcode for worker in workers]
    assert expected_report(receipts) == report_for(store, "c")
    store.close()


# Two writers whose outcomes reach the suspension only together ---------------------------------


class _Meanwhile(StorageBase):
    """Runs ``meanwhile`` (another worker's engine) just before the next change that adds
    suspension evidence is committed: what a second process does between this engine's read of
    the evidence and its commit."""

    meanwhile: Callable[[], object] | None = None

    def commit(self, change: Change) -> Committed:
        if self.meanwhile is not None and change.evidence:
            run, self.meanwhile = self.meanwhile, None
            run()
        return super().commit(change)  # type: ignore[safe-super]


class _Interleaved(_Meanwhile, InMemoryStorage):
    pass


class _InterleavedFile(_Meanwhile, SQLiteStorage):
    pass


@pytest.fixture(params=["memory", "sqlite"])
def interleaved(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StorageBase]:
    if request.param == "memory":
        yield _Interleaved()
        return
    store = _InterleavedFile(tmp_path / "two.db", durability="normal")
    yield store
    store.close()


def _hard_bounces(first: int, count: int) -> list[DeliveryReport]:
    return [
        parse_vonage_receipt({"messageId": f"p{i}", "status": "failed", "err-code": "3"})
        for i in range(first, first + count)
    ]


def _suspensions(results: list[HandleResult]) -> list[SuspendCampaign]:
    return [a for r in results for a in r.actions if isinstance(a, SuspendCampaign)]


def _suspended_once(store: StorageBase) -> None:
    assert CampaignStatus.SUSPENDED is store.get_campaign("c").status
    kinds = [e.kind for e in store.timeline("c")]
    assert 1 == kinds.count(TimelineKind.SUSPENDED)


def _racing(store: Any, first: int, count: int) -> list[HandleResult]:
    """``store`` sent to 400 numbers, and another engine set to apply the hard bounces of
    messages ``first .. first + count - 1`` between the next read and commit; its results."""
    sent_to(store, 400)
    other = CampaignEngine(store)
    theirs: list[HandleResult] = []
    store.meanwhile = lambda: theirs.extend(other.handle_many(_hard_bounces(first, count), LATER))
    return theirs


def test_two_batches_suspend_together_what_neither_reaches_alone(interleaved: Any) -> None:
    """110 hard bounces each (the default policy needs a sample of 200): both engines read no
    evidence; the one whose commit comes second learns from the store's evidence after its
    change that there are 220. It suspends the campaign at once, in a change of its own, and
    says so in its last result; the other writer's results ask for nothing."""
    store = interleaved
    other = _racing(store, 110, 110)
    first = CampaignEngine(store)
    ours = first.handle_many(_hard_bounces(0, 110), LATER)
    assert 110 == len(other)
    assert [] == _suspensions(other)
    (suspension,) = _suspensions(ours)
    assert _suspensions(ours[-1:]) == [suspension]
    assert ("c", LATER) == (suspension.campaign_id, suspension.at)
    _suspended_once(store)
    assert 220 == store.evidence("c").hard_bounces
    assert "suspend" in repr(first.monitor_verdict("c")).lower()


def test_two_reports_at_the_threshold_suspend_at_once() -> None:
    """198 hard bounces stored; two engines each apply one more at once: each reads 198 and
    adds one (199, below the sample of 200), and the second to commit finds 200 stored after its
    change, and suspends."""
    store = _Interleaved()
    sent_to(store, 400)
    first, second = CampaignEngine(store), CampaignEngine(store)
    first.handle_many(_hard_bounces(0, 99), LATER)
    second.handle_many(_hard_bounces(99, 99), LATER)
    assert CampaignStatus.SENDING is store.get_campaign("c").status
    other: list[HandleResult] = []
    store.meanwhile = lambda: other.append(second.handle(_hard_bounces(198, 1)[0], LATER))
    ours = first.handle(_hard_bounces(199, 1)[0], LATER)
    assert [] == _suspensions(other)
    assert 1 == len(_suspensions([ours]))
    _suspended_once(store)
    # Replayed, the report finds its message final: it decides nothing more.
    again = first.handle(_hard_bounces(199, 1)[0], LATER)
    assert ("late", []) == (again.effect, _suspensions([again]))
    _suspended_once(store)


def test_a_store_that_does_not_report_its_evidence_is_read_as_before() -> None:
    """A store written before ``Committed.evidence`` (it leaves it empty): the engine takes its
    own count, as it did; the campaign is suspended by the next outcome that reads it."""

    class Older(_Interleaved):
        def commit(self, change: Change) -> Committed:
            return attrs.evolve(super().commit(change), evidence=())

    store = Older()
    _racing(store, 110, 110)
    first = CampaignEngine(store)
    assert [] == _suspensions(first.handle_many(_hard_bounces(0, 110), LATER))
    assert CampaignStatus.SENDING is store.get_campaign("c").status
    assert 1 == len(_suspensions([first.handle(_hard_bounces(220, 1)[0], LATER)]))
    _suspended_once(store)


def test_the_async_engine_suspends_together_too() -> None:
    """``AsyncCampaignEngine`` drives the same decisions: the late suspension comes with it."""
    store = _Interleaved()
    _racing(store, 110, 110)

    async def first() -> list[HandleResult]:
        engine = AsyncCampaignEngine(ThreadedAsyncStorage(store))  # closing it closes the store
        return await engine.handle_many(_hard_bounces(0, 110), LATER)

    assert 1 == len(_suspensions(asyncio.run(first())))
    _suspended_once(store)


def test_others_outcomes_below_the_threshold_suspend_nothing() -> None:
    """50 hard bounces of another writer between this engine's read and its commit of 50 more:
    100 stored, below the sample of 200. Nothing is suspended, and the monitor the engine keeps
    stands for the stored 100: 100 more of its own suspend the campaign."""
    store = _Interleaved()
    _racing(store, 50, 50)
    first = CampaignEngine(store)
    assert [] == _suspensions(first.handle_many(_hard_bounces(0, 50), LATER))
    assert CampaignStatus.SENDING is store.get_campaign("c").status
    assert 100 == store.evidence("c").hard_bounces
    assert 1 == len(_suspensions(first.handle_many(_hard_bounces(100, 100), LATER)))
    _suspended_once(store)


def test_a_change_that_suspends_itself_is_not_suspended_again() -> None:
    """The batch crosses the threshold on its own (210 hard bounces) while another writer adds
    50: the change suspends the campaign, and the stored 260 ask for nothing more."""
    store = _Interleaved()
    _racing(store, 210, 50)
    assert 1 == len(_suspensions(CampaignEngine(store).handle_many(_hard_bounces(0, 210), LATER)))
    assert 260 == store.evidence("c").hard_bounces
    _suspended_once(store)
