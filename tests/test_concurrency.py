"""Processes and threads applying overlapping delivery reports, replies and opt-outs to one
campaign through ``CampaignEngine`` on one SQLite file; and reports read while writers run.

* Every report reaches two workers, in different orders (intermediate then final, final then a
  late intermediate); every reply and STOP is delivered twice with the same id. Workers use
  ``handle``, ``handle_many`` and ``inbound``. The result equals one thread replaying the same
  events on a fresh store: every message (status, attempts, version), the report, the
  blocklist, the replies and opt-outs. No lost update, no double count, no "database is
  locked" escaping.
* A report taken while a writer moves messages between statuses is one snapshot.

``SMS_CONCURRENCY_COUNT`` scales the number of messages (default 150; keep it under 200 so the
default suspension policy, which needs 200 finished messages, never suspends the campaign).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from sms_campaign_stats import (
    Campaign,
    InMemoryStorage,
    MessageStatus,
    SQLiteStorage,
    report_for,
)
from sms_campaign_stats.engine import CampaignEngine, SendMessage
from sms_campaign_stats.model import BounceReason, Reply
from sms_campaign_stats.providers import parse_vonage_receipt
from sms_campaign_stats.storage import CampaignCounts, StorageBase
from sms_campaign_stats.testing import T0, sample_campaign, sample_messages

UTC = timezone.utc
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=5)
COUNT = int(os.environ.get("SMS_CONCURRENCY_COUNT", "150"))
# Final outcomes: delivered, hard bounce (blocked), spam filter (soft, final), unknown failure
# (soft, retried: back to the queue).
FINALS = [("delivered", "0"), ("failed", "3"), ("rejected", "6"), ("failed", "1")]
INTERMEDIATES = ["accepted", "buffered"]
PROCESSES, THREADS = 2, 2  # threads per process; the parent runs THREADS more

Event = tuple[str, dict[str, Any]]  # ("report", receipt) or ("inbound", {sender, text, id})


def prepare(store: StorageBase) -> list[tuple[Event, ...]]:
    """The campaign, its COUNT messages submitted; per message, its events in natural order."""
    change = Campaign.create(
        id="c",
        name="c",
        sender="MyShop",
        content="Sale!",
        list_ids=["a", "b"],
        at=NOW,
        unit_price=Decimal("0.05"),
    )
    store.add_campaign(change.campaign, events=[change.event])
    engine = CampaignEngine(store)
    numbers = [f"+3361235{i:04d}" for i in range(COUNT)]
    planned = engine.plan("c", {"a": numbers[: COUNT * 2 // 3], "b": numbers[COUNT // 3 :]}, NOW)
    groups: list[tuple[Event, ...]] = []
    sends = [a for a in planned.actions if isinstance(a, SendMessage)]
    for index, action in enumerate(sends):
        engine.submitted(action.message_id, f"p{index}", NOW)
        status, code = FINALS[index % len(FINALS)]
        intermediate = INTERMEDIATES[index % 2]
        events: list[Event] = [
            ("report", {"messageId": f"p{index}", "status": intermediate, "err-code": "0"}),
            ("report", {"messageId": f"p{index}", "status": status, "err-code": code}),
        ]
        if index % 5 == 0:
            text = f"merci {index}"
            events.append(
                ("inbound", {"sender": action.recipient, "text": text, "id": f"r{index}"})
            )
        if index % 7 == 0:
            events.append(
                ("inbound", {"sender": action.recipient, "text": "STOP", "id": f"s{index}"})
            )
        groups.append(tuple(events))
    # Replies from numbers the campaign never sent to: kept, attributed to no campaign.
    groups.append((("inbound", {"sender": "+33698765432", "text": "?", "id": "stranger"}),))
    return groups


def shares(groups: list[tuple[Event, ...]], workers: int) -> list[list[Event]]:
    """Each event to two workers: one gets a message's events in order, the other reversed
    (the final report before a late intermediate one, the STOP before the reply) and at the
    front of its list."""
    result: list[list[Event]] = [[] for _ in range(workers)]
    for index, events in enumerate(groups):
        result[index % workers].extend(events)
        result[(index + 1) % workers][:0] = reversed(events)
    return result


def apply(engine: CampaignEngine, events: Sequence[Event], batched: bool) -> int:
    """Apply events in order: reports one by one (``handle``) or in runs (``handle_many``)."""
    run: list[dict[str, Any]] = []

    def flush() -> None:
        if run:
            engine.handle_many([parse_vonage_receipt(r) for r in run], LATER, batch_size=4)
            run.clear()

    for kind, data in events:
        if kind == "report" and batched:
            run.append(data)
            continue
        flush()
        if kind == "report":
            engine.handle(parse_vonage_receipt(data), LATER)
        else:
            engine.inbound(data["sender"], data["text"], LATER, inbound_id=data["id"])
    flush()
    return len(events)


def run_threads(path: Path, parts: Sequence[list[Event]], first: int) -> list[BaseException]:
    """One store and one engine shared by a thread per part; the errors raised."""
    store = SQLiteStorage(path, durability="normal")
    engine = CampaignEngine(store)
    errors: list[BaseException] = []

    def work(part: list[Event], batched: bool) -> None:
        try:
            apply(engine, part, batched)
        except BaseException as error:  # pragma: no cover - reported by the test
            errors.append(error)

    threads = [
        threading.Thread(target=work, args=(part, (first + i) % 2 == 1))
        for i, part in enumerate(parts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    return errors


def process_main(path: Path, parts: Sequence[list[Event]], first: int) -> None:
    """A worker process: its threads, and a non-zero exit code if any of them failed."""
    errors = run_threads(path, parts, first)
    for error in errors:  # pragma: no cover - only on failure
        print(f"worker error: {error!r}")
    os._exit(1 if errors else 0)


def single_thread(groups: list[tuple[Event, ...]]) -> StorageBase:
    """The same events, each once in order, applied by one thread to a fresh store."""
    store = InMemoryStorage()
    prepare(store)
    engine = CampaignEngine(store)
    apply(engine, [event for events in groups for event in events], batched=False)
    return store


def test_overlapping_events_from_processes_and_threads(tmp_path: Path) -> None:
    """2 processes x 2 threads and 2 threads of this process, every event applied twice,
    overlapping and out of order: exactly what one thread applying each event once gets."""
    path = tmp_path / "c.db"
    store = SQLiteStorage(path, durability="normal")
    groups = prepare(store)
    workers = (PROCESSES + 1) * THREADS
    parts = shares(groups, workers)
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(
            target=process_main, args=(path, parts[p * THREADS : (p + 1) * THREADS], p * THREADS)
        )
        for p in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    errors = run_threads(path, parts[PROCESSES * THREADS :], PROCESSES * THREADS)
    for process in processes:
        process.join(timeout=300)
    assert [] == errors
    assert [0] * PROCESSES == [process.exitcode for process in processes]

    expected = single_thread(groups)
    numbers = [m.recipient for m in expected.iter_messages("c")] + ["+33698765432"]
    applied = sum(len(part) for part in parts)
    assert applied == 2 * sum(len(events) for events in groups)
    assert report_for(expected, "c").to_dict() == report_for(store, "c").to_dict()
    assert expected.campaign_counts("c") == store.campaign_counts("c")
    assert sorted(expected.iter_messages("c"), key=lambda m: m.id) == sorted(
        store.iter_messages("c"), key=lambda m: m.id
    )
    assert expected.blocked(numbers) == store.blocked(numbers)
    assert expected.replies("c") == store.replies("c")
    assert expected.unsubscribes("c") == store.unsubscribes("c")
    counts = store.campaign_counts("c")
    by_status = {s.value: 0 for s in MessageStatus}
    for key, cell in counts.cells.items():
        by_status[key.status.value] += cell.messages
    print(
        f"\n{applied} events applied by {workers} workers ({len(groups)} groups); "
        f"final counts {by_status}, replies "
        f"{sum(e.replies for e in counts.engagement.values())}, unsubscribers "
        f"{sum(e.unsubscribers for e in counts.engagement.values())}: equal to one thread"
    )
    store.close()


# reports read while writers run ---------------------------------------------------------


def test_reports_read_while_writers_run_are_snapshots(tmp_path: Path) -> None:
    """A writer moves messages queued -> processing -> final in batches of 100, and records
    replies to delivered messages after each batch; readers take reports all the while.
    Every report: recipients constant, the statuses summing to them, final counts never
    going back, and never more repliers than delivered messages (the replies are written after
    the deliveries: a report mixing two moments could count a reply without its delivery)."""
    store = SQLiteStorage(tmp_path / "r.db", durability="normal")
    campaign, created = sample_campaign()
    store.add_campaign(campaign, events=[created])
    messages = sample_messages(campaign, 1000)
    store.add_messages(messages)
    done = threading.Event()
    problems: list[str] = []
    reports = [0]

    def write() -> None:
        try:
            for start in range(0, len(messages), 100):
                ids = [m.id for m in messages[start : start + 100]]
                batch = [store.get_message(i) for i in ids]
                sent = store.update_messages(
                    [m.submit(at=T0, provider_message_id=f"x{m.id}") for m in batch]
                )
                final = store.update_messages([_finish(m, i) for i, m in enumerate(sent)])
                for message in final:
                    if message.status is MessageStatus.DELIVERED:
                        store.record_reply(
                            Reply(
                                id=f"r-{message.id}",
                                recipient=message.recipient,
                                at=T0,
                                text="ok",
                                campaign_id=campaign.id,
                            )
                        )
        finally:
            done.set()

    def read(take: Callable[[], CampaignCounts]) -> None:
        previous = {s: 0 for s in MessageStatus if s.is_final}
        while not done.is_set():
            counts = take()
            reports[0] += 1
            by_status = dict.fromkeys(MessageStatus, 0)
            for key, cell in counts.cells.items():
                by_status[key.status] += cell.messages
            repliers = sum(e.repliers for e in counts.engagement.values())
            if counts.messages != 1000 or sum(by_status.values()) != 1000:
                problems.append(f"recipients {counts.messages}, statuses {by_status}")
            if repliers > by_status[MessageStatus.DELIVERED]:
                problems.append(f"{repliers} repliers, {by_status[MessageStatus.DELIVERED]}")
            for status, before in previous.items():
                if by_status[status] < before:
                    problems.append(f"{status.value} went back from {before}")
                previous[status] = by_status[status]

    def from_report() -> CampaignCounts:
        report = report_for(store, campaign.id).to_dict()["totals"]
        parts = [report[k]["count"] for k in ("delivered", "soft_bounces", "hard_bounces")]
        if report["recipients"] != sum(parts) + report["processing"]["count"]:
            problems.append(f"report does not add up: {report}")
        return store.campaign_counts(campaign.id)

    readers = [
        threading.Thread(target=read, args=(lambda: store.campaign_counts(campaign.id),)),
        threading.Thread(target=read, args=(from_report,)),
    ]
    writer = threading.Thread(target=write)
    for thread in (*readers, writer):
        thread.start()
    for thread in (writer, *readers):
        thread.join()
    assert [] == problems
    assert reports[0] > 10
    assert store.campaign_counts(campaign.id) == CampaignCounts.of_messages(
        store.iter_messages(campaign.id), replies=store.replies(campaign.id)
    )
    store.close()


def _finish(message: Any, index: int) -> Any:
    at = T0 + timedelta(minutes=1)
    if index % 3 == 0:
        return message.hard_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=at)
    if index % 3 == 1:
        return message.soft_bounce(BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE, at=at)
    return message.deliver(at=at)
