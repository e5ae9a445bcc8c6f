"""Reads by provider id started ahead (``storage.postgres._prefetch``): a hint never changes
what a find returns. White-box on the bookkeeping with a read of our own, then on real
PostgreSQL stores and engines."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from sms_campaign_stats import AsyncCampaignEngine, CampaignEngine, DeliveryReport
from sms_campaign_stats.lifecycle import BounceReason, MessageStatus
from sms_campaign_stats.model import Message
from sms_campaign_stats.storage import Change, Committed, InMemoryStorage, ThreadedAsyncStorage
from sms_campaign_stats.storage.postgres import AsyncPostgresStorage, PostgresStorage
from sms_campaign_stats.storage.postgres._prefetch import (
    KEEP,
    AsyncReadsAhead,
    ReadsAhead,
    key_of,
)
from sms_campaign_stats.testing import T0, TemporaryPostgres, sample_campaign, sample_messages

from .sent import sent


def messages(count: int) -> list[Message]:
    campaign, _event = sample_campaign()
    return [
        m.submit(at=T0, provider_message_id=f"p{index}")
        for index, m in enumerate(sample_messages(campaign, count))
    ]


class Shelf:
    """A read of our own: the messages by provider id, each read recorded; ``gate`` holds the
    reads ahead until set; ``fail`` makes the next read raise."""

    def __init__(self, stored: list[Message]) -> None:
        self.stored = {m.attempts[0].provider_message_id: m for m in stored}
        self.reads: list[tuple[str, ...]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.fail = False

    def read(self, key: tuple[str, ...]) -> list[tuple[Any, ...]]:
        """The rows: (provider id, message), which ``dict`` decodes."""
        self.entered.set()
        self.gate.wait(5)
        self.reads.append(key)
        if self.fail:
            self.fail = False
            raise ConnectionError("the server went away")
        return [(pid, m) for pid in key if (m := self.stored.get(pid)) is not None]


def test_a_find_takes_the_read_of_its_ids_and_reads_again_what_it_may_have_missed() -> None:
    """Found ahead: taken as it is. Not found ahead (registered since) and written by this store
    since the read started: read again, those only. Other ids: read now."""
    stored = messages(4)
    shelf = Shelf(stored[:3])
    ahead = ReadsAhead(shelf.read, dict)
    ahead.start(["p0", "p1", "p3", "p1"])
    assert ("p0", "p1", "p3") == key_of(["p0", "p1", "p3", "p1"])
    changed = stored[1].deliver(at=T0)
    ahead.written([changed])  # committed by this store meanwhile
    shelf.stored["p1"] = changed
    shelf.stored["p3"] = stored[3]  # registered meanwhile
    found = ahead.find(["p0", "p1", "p3"])
    assert {"p0": stored[0], "p1": changed, "p3": stored[3]} == found
    assert [("p0", "p1", "p3"), ("p1", "p3")] == shelf.reads
    assert {"p2": stored[2]} == ahead.find(["p2"])  # no read ahead: read now
    assert ("p2",) == shelf.reads[-1]
    ahead.start([])  # nothing to read
    ahead.close()
    ahead.close()  # twice is harmless


def test_reads_ahead_are_kept_up_to_a_few_and_a_failed_one_is_read_again() -> None:
    """Past ``KEEP`` the oldest read ahead is dropped: one waiting to run never runs, one under
    way ends unused. A read ahead that failed is read again by the find."""
    shelf = Shelf(messages(4))
    ahead = ReadsAhead(shelf.read, dict)
    shelf.gate.clear()
    ahead.start(["p0"])
    assert shelf.entered.wait(5)  # p0 is under way, held at the gate
    for pid in ("p1", "p2", "p3"):  # p0 then p1 (waiting to run) are dropped
        ahead.start([pid])
    assert KEEP == len(ahead._pending._reads)
    shelf.gate.set()
    assert ["p2"] == list(ahead.find(["p2"]))
    assert ["p3"] == list(ahead.find(["p3"]))
    ahead.close()
    assert [("p0",), ("p2",), ("p3",)] == shelf.reads

    failing = ReadsAhead(shelf.read, dict)
    shelf.fail = True
    failing.start(["p1"])
    assert ["p1"] == list(failing.find(["p1"]))
    assert [("p1",), ("p1",)] == shelf.reads[3:]
    failing.drop()
    failing.close()


def test_async_reads_ahead_keep_the_same_promises() -> None:
    stored = messages(4)
    shelf = Shelf(stored[:3])

    async def read(key: tuple[str, ...]) -> list[tuple[Any, ...]]:
        await asyncio.sleep(0)
        return shelf.read(key)

    async def scenario() -> None:
        ahead = AsyncReadsAhead(read, dict)
        ahead.start(["p0", "p1", "p3"])
        ahead.start([])
        changed = stored[1].deliver(at=T0)
        ahead.written([changed])
        shelf.stored["p1"] = changed
        shelf.stored["p3"] = stored[3]
        found = await ahead.find(["p0", "p1", "p3"])
        assert {"p0": stored[0], "p1": changed, "p3": stored[3]} == found
        assert {"p2": stored[2]} == await ahead.find(["p2"])
        for pid in ("p0", "p1", "p2"):  # the oldest dropped (cancelled)
            ahead.start([pid])
        shelf.fail = True
        assert ["p1"] == list(await ahead.find(["p1"]))  # failed ahead: read again
        ahead.drop()
        ahead.start(["p2"])
        await ahead.close()

    asyncio.run(scenario())


# PostgreSQL ------------------------------------------------------------------------------------


def settled(store: PostgresStorage, ids: list[str]) -> None:
    """Wait until the read ahead of ``ids`` has read."""
    store._ahead._pending._reads[key_of(ids)].future.result(5)


def test_a_store_finds_what_it_wrote_after_the_hint(stores: list[PostgresStorage]) -> None:
    """Hinted, read, then changed by this store: the find returns the change; a provider id
    registered after the hint is found."""
    ours, _other = stores
    first, second = sent(ours, 2)
    pids = [f"p-{first.id}", f"p-{second.id}", "p-later"]
    ours.prefetch_messages_by_provider_ids(pids)
    settled(ours, pids)
    delivered = ours.update_message(ours.get_message(first.id).deliver(at=T0))
    later = ours.update_message(
        ours.get_message(second.id)
        .requeue(BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE)
        .submit(at=T0 + timedelta(minutes=5), provider_message_id="p-later")
    )
    found = ours.find_messages_by_provider_ids(pids)
    assert {pids[0]: delivered, pids[1]: later, "p-later": later} == found


def test_an_engine_decides_again_on_what_another_worker_wrote_after_the_hint(
    stores: list[PostgresStorage],
) -> None:
    """Two batches: while the first is handled, the second's read ahead is done, then another
    worker hard-bounces one of its messages. The second batch's delivery report for it comes
    late, as it would without the hint: the stale read is refused, read again, decided again."""
    ours, other = stores
    batch = sent(ours, 4)
    reports = [
        DeliveryReport(provider="smpp", provider_message_id=f"p-{m.id}", status="DELIVRD")
        for m in batch
    ]
    commit = ours.commit
    bounced: list[Message] = []

    def commit_after_the_other(change: Change) -> Committed:
        if not bounced:
            settled(ours, [f"p-{m.id}" for m in batch[2:]])
            target = other.get_message(batch[3].id)
            bounced.append(
                other.update_message(target.hard_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=T0))
            )
        return commit(change)

    ours.commit = commit_after_the_other  # type: ignore[method-assign]
    results = CampaignEngine(ours).handle_many(reports, T0 + timedelta(hours=1), batch_size=2)
    assert ["applied", "applied", "applied", "late"] == [r.effect for r in results]
    assert bounced[0] == ours.get_message(batch[3].id)
    statuses = [ours.get_message(m.id).status for m in batch[:3]]
    assert [MessageStatus.DELIVERED] * 3 == statuses


def test_stores_without_the_hint_are_not_asked() -> None:
    """An in-memory store has no ``prefetch_messages_by_provider_ids``: handle_many runs as it
    did; a store with one is given each next batch's ids."""

    class Hinted(InMemoryStorage):
        def __init__(self) -> None:
            super().__init__()
            self.hints: list[list[str]] = []

        def prefetch_messages_by_provider_ids(self, ids: list[str]) -> None:
            self.hints.append(list(ids))

    hinted = Hinted()
    for store in (InMemoryStorage(), hinted):
        campaign, event = sample_campaign()
        store.add_campaign(campaign, events=[event])
        store.update_campaign(campaign.start(at=T0).campaign)
        store.add_messages(
            m.submit(at=T0, provider_message_id=f"p{i}")
            for i, m in enumerate(sample_messages(campaign, 5))
        )
        reports = [
            DeliveryReport(provider="smpp", provider_message_id=f"p{i}", status="DELIVRD")
            for i in range(5)
        ]
        results = CampaignEngine(store).handle_many(reports, T0, batch_size=2)
        assert ["applied"] * 5 == [r.effect for r in results]
    assert [["p2", "p3"], ["p4"]] == hinted.hints


def test_the_threaded_adapter_passes_the_hint_on(
    postgres_server: TemporaryPostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ThreadedAsyncStorage`` hands the hint to the store it wraps, in a worker thread: a
    ``PostgresStorage`` then reads ahead and the async engine's finds take those reads; a store
    without a hint is not asked (nothing fails, the results are the same)."""

    def handled(store: Any) -> list[str]:
        reports = [
            DeliveryReport(provider="smpp", provider_message_id=f"p-{m.id}", status="DELIVRD")
            for m in sent(store, 5)
        ]
        engine = AsyncCampaignEngine(ThreadedAsyncStorage(store))
        results = asyncio.run(engine.handle_many(reports, T0, batch_size=2))
        return [r.effect for r in results]

    postgres = PostgresStorage(postgres_server.url, schema=f"t{uuid4().hex}")
    started: list[tuple[str, ...]] = []
    start = postgres._ahead.start

    def recorded(ids: Iterable[str]) -> None:
        started.append(tuple(ids))
        start(ids)

    monkeypatch.setattr(postgres._ahead, "start", recorded)
    try:
        assert ["applied"] * 5 == handled(postgres)
        assert 2 == len(started)  # the second batch's ids, then the third's
        assert {} == postgres._ahead._pending._reads  # each read ahead taken by its find
    finally:
        postgres.close()
    memory = InMemoryStorage()
    assert not hasattr(memory, "prefetch_messages_by_provider_ids")
    assert ["applied"] * 5 == handled(memory)


def test_the_async_engine_hints_the_async_store(postgres_server: TemporaryPostgres) -> None:
    async def scenario() -> None:
        async with AsyncPostgresStorage(postgres_server.url, schema=f"t{uuid4().hex}") as store:
            campaign, event = sample_campaign()
            await store.add_campaign(campaign, events=[event])
            await store.update_campaign(campaign.start(at=T0).campaign)
            await store.add_messages(
                [
                    m.submit(at=T0, provider_message_id=f"p{i}")
                    for i, m in enumerate(sample_messages(campaign, 5))
                ]
            )
            reports = [
                DeliveryReport(provider="smpp", provider_message_id=f"p{i}", status="DELIVRD")
                for i in range(5)
            ]
            results = await AsyncCampaignEngine(store).handle_many(reports, T0, batch_size=2)
            assert ["applied"] * 5 == [r.effect for r in results]
            assert {} == store._ahead._pending._reads  # each read ahead taken
            store._ahead.start(["p0"])  # forgetting drops the reads ahead
            assert 1 == await store.forget(sample_messages(campaign, 1)[0].recipient)
            assert {} == store._ahead._pending._reads

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("options", "reads_ahead"),
    [({}, True), ({"read_ahead": False}, False), ({"max_size": 1}, False)],
)
def test_read_ahead_can_be_turned_off(
    postgres_server: TemporaryPostgres, options: dict[str, Any], reads_ahead: bool
) -> None:
    """``read_ahead=False``, or a pool of one connection (a read ahead would only queue for it):
    the hint is taken and nothing is read ahead; results are the same."""
    store = PostgresStorage(postgres_server.url, schema=f"t{uuid4().hex}", **options)
    try:
        (message,) = sent(store, 1)
        store.prefetch_messages_by_provider_ids([f"p-{message.id}"])
        assert reads_ahead == bool(store._ahead._pending._reads)
        assert (
            message == store.find_messages_by_provider_ids([f"p-{message.id}"])[f"p-{message.id}"]
        )
    finally:
        store.close()
