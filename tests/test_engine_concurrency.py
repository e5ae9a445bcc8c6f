"""Several threads and processes applying overlapping reports to one campaign on one SQLite
file: the same final counts as one thread, nothing lost, nothing counted twice."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from sms_campaign_stats import Campaign, InMemoryStorage, SQLiteStorage, report_for
from sms_campaign_stats.engine import CampaignEngine, SendMessage
from sms_campaign_stats.providers import parse_vonage_receipt
from sms_campaign_stats.storage import StorageBase

UTC = timezone.utc
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
COUNT = 120
# Final outcomes only (delivered, hard bounce, a spam filter that is not retried).
OUTCOMES = [("delivered", "0"), ("failed", "3"), ("rejected", "6")]


def prepare(store: StorageBase) -> list[dict[str, str]]:
    """A campaign of COUNT submitted messages, and one final receipt per message."""
    change = Campaign.create(
        id="c",
        name="c",
        sender="MyShop",
        content="Sale!",
        list_ids=["a"],
        at=NOW,
        unit_price=Decimal("0.05"),
    )
    store.add_campaign(change.campaign, events=[change.event])
    engine = CampaignEngine(store)
    numbers = [f"+3361234{i:04d}" for i in range(COUNT)]
    planned = engine.plan("c", {"a": numbers}, NOW)
    receipts = []
    for index, action in enumerate(a for a in planned.actions if isinstance(a, SendMessage)):
        engine.submitted(action.message_id, f"p{index}", NOW)
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
