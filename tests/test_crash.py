"""Crash injection: a writer process killed (SIGKILL) at random points, mostly in the middle of a
large batch. After reopening the file: every batch is wholly present or wholly absent, every batch
the writer saw committed is there, the schema is intact, and the store keeps working.

``SMS_CRASH_RUNS`` sets the number of kills per durability mode (default 6, a few seconds);
``SMS_CRASH_SEED`` the seed of the kill delays. ``durability="normal"`` may lose the last
commits on a power cut, never on a killed process: both modes are held to the same standard here.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Literal

import pytest

from sms_campaign_stats import Message, MessageStatus, SQLiteStorage
from sms_campaign_stats.model import (
    Block,
    BounceReason,
    Reply,
    TimelineEvent,
    TimelineKind,
    Unsubscribe,
)
from sms_campaign_stats.storage import CampaignCounts
from sms_campaign_stats.storage.sqlite import APPLICATION_ID, SCHEMA_VERSION
from sms_campaign_stats.testing import T0, sample_campaign

RUNS = int(os.environ.get("SMS_CRASH_RUNS", "6"))
SEED = int(os.environ.get("SMS_CRASH_SEED", "7"))
BATCH = 2000  # messages per add / update batch
EVENTS = 300  # history events per append batch
KINDS = ("add", "update", "events", "inbound")
Durability = Literal["full", "normal"]


def number(round_: int, index: int) -> str:
    """The recipient of message ``index`` of round ``round_``: distinct for every pair."""
    return f"+336{round_:04d}{index:04d}"


def batch_messages(round_: int) -> list[Message]:
    """Round ``round_``'s messages, already submitted (an import of sent messages)."""
    campaign, _ = sample_campaign()
    return [
        Message.for_campaign(
            campaign,
            id=f"a{round_}-{index}",
            recipient=number(round_, index),
            list_ids=[campaign.list_ids[index % 2]],
            queued_at=T0,
        ).submit(at=T0, provider_message_id=f"p{round_}-{index}")
        for index in range(BATCH)
    ]


def write_batch(store: SQLiteStorage, round_: int, kind: str) -> None:
    """One batch: one call to the store, one transaction."""
    if kind == "add":
        store.add_messages(batch_messages(round_))
    elif kind == "update":
        # Every message of the round bounces hard, and its number is blocked, in one batch.
        at = T0 + timedelta(minutes=round_)
        bounced = [
            m.hard_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=at) for m in batch_messages(round_)
        ]
        blocks = [Block(recipient=m.recipient, reason="hard_bounce", at=at) for m in bounced]
        store.update_messages(bounced, blocks=blocks)
    elif kind == "events":
        store.append_events(
            [
                TimelineEvent(
                    campaign_id="spring-sale",
                    at=T0,
                    kind=TimelineKind.CONTENT_EDITED,
                    details={"round": round_, "index": index},
                )
                for index in range(EVENTS)
            ]
        )
    else:
        recipient = number(round_, 0)
        store.record_reply(
            Reply(id=f"r{round_}", recipient=recipient, at=T0, text="?", campaign_id="spring-sale")
        )
        store.record_unsubscribe(
            Unsubscribe(id=f"u{round_}", recipient=recipient, at=T0, campaign_id="spring-sale")
        )


def writer(path: Path, log: Path, durability: Durability, rounds: int) -> None:
    """Write batches forever (or ``rounds`` rounds), logging each one's start and, only after
    the call returned, its commit: unbuffered writes, which survive the process being killed."""
    store = SQLiteStorage(path, durability=durability, timeout=30)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    for round_ in range(rounds):
        for kind in KINDS:
            os.write(fd, f"start {kind} {round_}\n".encode())
            write_batch(store, round_, kind)
            os.write(fd, f"done {kind} {round_}\n".encode())
    os.close(fd)
    store.close()


def prepare(path: Path, durability: Durability) -> None:
    """A file with the campaign the writer fills."""
    store = SQLiteStorage(path, durability=durability)
    campaign, created = sample_campaign()
    store.add_campaign(campaign, events=[created])
    store.close()


def present(store: SQLiteStorage, connection: sqlite3.Connection, round_: int) -> dict[str, bool]:
    """Which batches of a round are in the file; fails if one is there in part."""
    added = connection.execute(
        "SELECT COUNT(*) FROM messages WHERE id LIKE ?", (f"a{round_}-%",)
    ).fetchone()[0]
    assert added in (0, BATCH), f"round {round_}: {added} of {BATCH} messages"
    bounced = connection.execute(
        "SELECT COUNT(*) FROM messages WHERE id LIKE ? AND status = 'hard_bounce' AND version = 1",
        (f"a{round_}-%",),
    ).fetchone()[0]
    assert bounced in (0, BATCH), f"round {round_}: {bounced} of {BATCH} bounced"
    numbers = [number(round_, index) for index in range(BATCH)]
    blocked = len(store.blocked(numbers))
    assert blocked == bounced, f"round {round_}: {blocked} blocked, {bounced} bounced"
    events = connection.execute(
        "SELECT COUNT(*) FROM timeline WHERE json_extract(details, '$.round') = ?", (round_,)
    ).fetchone()[0]
    assert events in (0, EVENTS), f"round {round_}: {events} of {EVENTS} events"
    replies = connection.execute(
        "SELECT COUNT(*) FROM replies WHERE id = ?", (f"r{round_}",)
    ).fetchone()[0]
    unsubscribes = connection.execute(
        "SELECT COUNT(*) FROM unsubscribes WHERE id = ?", (f"u{round_}",)
    ).fetchone()[0]
    return {
        "add": added == BATCH,
        "update": bounced == BATCH,
        "events": events == EVENTS,
        # Two calls: the reply may be stored without the opt-out, not the other way round.
        "inbound": bool(unsubscribes) and _check_reply(replies, unsubscribes),
    }


def _check_reply(replies: int, unsubscribes: int) -> bool:
    assert replies >= unsubscribes
    return True


def sequence(rounds: int) -> Iterator[tuple[int, str]]:
    """The batches in the order the writer writes them."""
    for round_ in range(rounds):
        for kind in KINDS:
            yield round_, kind


def check_after_crash(path: Path, log: Path) -> tuple[int, bool]:
    """Every check of the module doc; the number of batches committed, and whether the kill
    came in the middle of a batch."""
    lines = log.read_text().splitlines() if log.exists() else []
    done = {(int(r), k) for word, k, r in (line.split() for line in lines) if word == "done"}
    in_batch = bool(lines) and lines[-1].startswith("start")
    connection = sqlite3.connect(path)
    assert [("ok",)] == connection.execute("PRAGMA integrity_check").fetchall()
    assert APPLICATION_ID == connection.execute("PRAGMA application_id").fetchone()[0]
    assert SCHEMA_VERSION == connection.execute("PRAGMA user_version").fetchone()[0]
    store = SQLiteStorage(path)  # the schema check passes
    rounds = len(lines) // (2 * len(KINDS)) + 2
    found = []
    for round_, kind in sequence(rounds):
        found.append(((round_, kind), present(store, connection, round_)[kind]))
    connection.close()
    committed = [batch for batch, there in found if there]
    # Batches are written one after the other: those in the file are a prefix of the sequence,
    # holding every batch the writer saw committed, and at most the one it was writing.
    assert [batch for batch, _ in found[: len(committed)]] == committed
    assert done <= set(committed)
    assert len(committed) <= len(done) + 1
    # Derived columns (engagement, shapes) agree with the rows.
    assert store.campaign_counts("spring-sale") == CampaignCounts.of_messages(
        store.iter_messages("spring-sale"),
        replies=store.replies("spring-sale"),
        unsubscribes=store.unsubscribes("spring-sale"),
    )
    # The store still works: a new batch is written.
    store.append_events(
        [
            TimelineEvent(
                campaign_id="spring-sale", at=T0, kind=TimelineKind.CONTENT_EDITED, details={}
            )
        ]
    )
    assert {MessageStatus.PROCESSING, MessageStatus.HARD_BOUNCE} >= {
        m.status for m in store.iter_messages("spring-sale", batch_size=5000)
    }
    store.close()
    return len(committed), in_batch


def test_writer_writes_every_batch(tmp_path: Path) -> None:
    """The writer, run to its end in this process, commits every batch it logs."""
    path, log = tmp_path / "w.db", tmp_path / "w.log"
    prepare(path, "normal")
    writer(path, log, "normal", 2)
    assert (8, False) == check_after_crash(path, log)


@pytest.mark.slow
@pytest.mark.parametrize("durability", ["full", "normal"])
def test_killed_writer_leaves_whole_batches(tmp_path: Path, durability: Durability) -> None:
    """RUNS times: fork a writer, SIGKILL it after a random (seeded) delay, check the file."""
    chance = random.Random(f"{SEED}-{durability}")
    committed = in_batch = 0
    for run in range(RUNS):
        path, log = tmp_path / f"{run}.db", tmp_path / f"{run}.log"
        prepare(path, durability)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child, killed before it could report coverage
            try:
                writer(path, log, durability, 10_000)
            finally:
                os._exit(0)
        time.sleep(chance.uniform(0.05, 0.8))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status)
        assert os.WTERMSIG(status) == signal.SIGKILL
        batches, mid = check_after_crash(path, log)
        committed += batches
        in_batch += mid
        path.unlink()
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    print(
        f"\n{durability}: {RUNS} kills survived, {in_batch} in the middle of a batch, "
        f"{committed} batches committed in all"
    )
    assert in_batch > 0  # the kills do land inside batches
