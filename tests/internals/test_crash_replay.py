"""The crash-replay proof of "every event is one atomic change", on SQLite.

A scenario of a few dozen events (a plan, the provider's acknowledgements, one by one and a bulk
send's together, delivery receipts of every kind, a receipt before its acknowledgement,
duplicates, an inbound STOP and an inbound reply) is run once without a crash: its final state
is recorded (the report, the unsubscribes, the blocked numbers, the campaign's status; and,
beyond the issue's list, the campaign's suspension evidence and its history). Then, for every
write statement N the scenario issues, a forked child runs the scenario on a fresh copy of the
file and is killed (SIGKILL) at statement N; the parent reopens the file with a fresh
``SQLiteStorage`` and a fresh ``CampaignEngine`` and delivers EVERY event again from the start
(``plan`` included), as a service replaying its events after a crash would. The final state must
equal the no-crash run's for every N, and for a child that ran to its end (every event delivered
twice). A second test asks that no replayed event raise. Each failing kill point is printed with
the event being delivered and the statement.

What counts as a write statement (each counted execution is a kill point; the kill comes when
SQLite starts the statement, so the statement itself is not run):

* every execution of a statement whose first keyword is INSERT, UPDATE, DELETE or REPLACE (or a
  WITH clause leading to one): each row of an ``executemany`` is one execution, a statement that
  matches no row counts too;
* COMMIT, END and RELEASE when the transaction (since its BEGIN, or since a SAVEPOINT that began
  it) has executed a counted statement: killing there loses the whole transaction. A RELEASE of
  an inner savepoint also counts: a kill there is the same state as at the next write.

Not counted: BEGIN, SAVEPOINT, ROLLBACK, reads, PRAGMAs, and a transaction that wrote nothing
(its COMMIT). The file and the campaign are created once, before the scenario (the campaign is
not an engine event: ``add_campaign`` is a plain store call), so the kill points are the
engine's.

``durability="normal"`` keeps the runs fast: a killed process loses no commit in WAL mode (only
a power cut could), so it is held to the same standard as ``"full"``. White-box (it wraps
``sqlite3.connect``), hence under ``tests/internals``.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sms_campaign_stats import Campaign, CampaignEngine, SQLiteStorage, report_for
from sms_campaign_stats.engine import (
    HandleResult,
    InboundResult,
    PlanResult,
    RetryMessage,
    SendMessage,
)
from sms_campaign_stats.providers import DeliveryReport, parse_twilio_callback, parse_vonage_receipt

CAMPAIGN_ID = "spring"
#: Tuesday 3 March 2026, 10:00 in Paris: within the allowed hours, so every message goes at once.
T0 = datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc)
#: When the soft bounce's retry is sent: after the RetryMessage's ``at`` (checked below).
RETRY_SENT = T0 + timedelta(minutes=20)

#: The ten French mobiles of the campaign, by the rank of their message (rank 0: the landline).
MOBILES = {rank: f"+336123456{rank:02d}" for rank in range(1, 11)}
LANDLINE = "+33142685300"
ALL_NUMBERS = (*MOBILES.values(), LANDLINE)


def national(e164: str) -> str:
    """How a contact list spells a French number: ``06 12 34 56 01``."""
    digits = "0" + e164.removeprefix("+33")
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))


#: The contact lists: numbers 6 and 7 are on both (one message each, both lists), the landline is
#: refused (an avoidable soft bounce, never sent).
LISTS = {
    "clients": [national(MOBILES[rank]) for rank in range(1, 8)] + ["01 42 68 53 00"],
    "vip": [national(MOBILES[rank]) for rank in range(6, 11)],
}


def message(rank: int) -> str:
    """The engine's message ids are deterministic: the campaign id and a rank (refused numbers
    first, then the recipients in list order); the scenario names them."""
    return f"{CAMPAIGN_ID}:{rank:06d}"


def vonage_id(rank: int, attempt: int = 1) -> str:
    """A Vonage message id (16 hexadecimal digits) for an attempt of message ``rank``."""
    return f"0B0000012{attempt:03X}{rank:04X}"


def twilio_sid(rank: int) -> str:
    """A Twilio message SID (``SM`` and 32 hexadecimal digits) for message ``rank``."""
    return f"SM{rank:032x}"


#: The messages sent through Twilio; the others go through Vonage.
TWILIO = frozenset({3, 5, 10})


def provider_id(rank: int) -> str:
    """The provider's id for the first attempt of message ``rank``."""
    return twilio_sid(rank) if rank in TWILIO else vonage_id(rank)


# The events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """``engine.plan(CAMPAIGN_ID, LISTS, at)``: planned again on every replay."""

    at: datetime


@dataclass(frozen=True)
class Ack:
    """The provider took a message: ``engine.submitted(message_id, provider_id, at)``."""

    message_id: str
    provider_id: str
    at: datetime


@dataclass(frozen=True)
class Acks:
    """A bulk send's response, the provider's ids of many messages at once:
    ``engine.submitted_many(dict(acknowledged), at, batch_size=batch_size)``."""

    acknowledged: tuple[tuple[str, str], ...]  # (message id, provider id), in the response's order
    at: datetime
    batch_size: int = 1000


@dataclass(frozen=True)
class Receipt:
    """A provider's webhook payload, parsed with the public parser, then ``engine.handle``."""

    provider: str  # "vonage" or "twilio"
    payload: Mapping[str, str]
    at: datetime


@dataclass(frozen=True)
class Batch:
    """Receipts drained from a queue: ``engine.handle_many``."""

    receipts: tuple[Receipt, ...]
    at: datetime


@dataclass(frozen=True)
class Inbound:
    """An SMS from a recipient: ``engine.inbound(sender, text, at, inbound_id=...)``."""

    sender: str
    text: str
    at: datetime
    inbound_id: str


Event = Plan | Ack | Acks | Receipt | Batch | Inbound


def vonage(rank: int, status: str, code: str, at: datetime, *, attempt: int = 1) -> Receipt:
    """A Vonage delivery receipt (the JSON body of the webhook)."""
    payload = {
        "messageId": vonage_id(rank, attempt),
        "msisdn": MOBILES[rank].removeprefix("+"),
        "to": "MyShop",
        "network-code": "20801",
        "price": "0.04500000",
        "status": status,
        "scts": at.strftime("%y%m%d%H%M"),
        "err-code": code,
        "message-timestamp": at.strftime("%Y-%m-%d %H:%M:%S"),
    }
    return Receipt(provider="vonage", payload=payload, at=at)


def twilio(rank: int, status: str, at: datetime, *, code: str = "") -> Receipt:
    """A Twilio status callback (the form fields)."""
    payload = {
        "MessageSid": twilio_sid(rank),
        "SmsSid": twilio_sid(rank),
        "AccountSid": "AC" + "0" * 32,
        "From": "MyShop",
        "To": MOBILES[rank],
        "MessageStatus": status,
        "SmsStatus": status,
        "ApiVersion": "2010-04-01",
    }
    if code:
        payload["ErrorCode"] = code
    return Receipt(provider="twilio", payload=payload, at=at)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def scenario() -> tuple[Event, ...]:
    """The events, in the order the service receives them, each at a fixed instant."""
    return (
        Plan(at=T0),
        # The service sends every message at once; the provider acknowledges 1 to 5 one by one,
        # then 6, 7, 8 and 10 in one bulk response (two batches: two changes); 9's comes late.
        *(Ack(message(rank), provider_id(rank), at(rank)) for rank in (1, 2, 3, 4, 5)),
        Acks(tuple((message(r), provider_id(r)) for r in (6, 7, 8, 10)), at(6), batch_size=3),
        Ack(message(2), vonage_id(2), at(11)),  # a duplicated acknowledgement
        vonage(9, "delivered", "0", at(12)),  # before its acknowledgement: an orphan
        vonage(1, "delivered", "0", at(13)),
        twilio(3, "sent", at(14)),  # an intermediate status: pending, nothing changes
        vonage(4, "failed", "7", at(15)),  # handset busy: a soft bounce, retried
        twilio(5, "undelivered", at(16), code="30005"),  # unknown handset: a hard bounce
        vonage(6, "failed", "9", at(17)),  # Vonage 9: opted out earlier (a blocking hard bounce)
        # 9's acknowledgement, in a bulk response that repeats 1's: takes the orphan, delivered.
        Acks(((message(9), vonage_id(9)), (message(1), vonage_id(1))), at(18)),
        vonage(1, "delivered", "0", at(20)),  # a duplicated receipt
        Batch(
            receipts=(
                vonage(2, "delivered", "0", at(24)),
                twilio(3, "delivered", at(24)),
                vonage(7, "delivered", "0", at(25)),
                vonage(2, "delivered", "0", at(25)),  # the same receipt twice in one batch
            ),
            at=at(26),
        ),
        vonage(8, "delivered", "0", at(30)),
        twilio(10, "delivered", at(35)),
        vonage(4, "failed", "7", at(40)),  # the soft bounce re-sent while the retry waits
        Ack(message(4), vonage_id(4, attempt=2), RETRY_SENT),  # the retry, sent
        vonage(4, "delivered", "0", RETRY_SENT + timedelta(seconds=5), attempt=2),
        Inbound(MOBILES[7], "STOP", T0 + timedelta(hours=1), inbound_id="in-0001"),
        Inbound(MOBILES[8], "Merci !", T0 + timedelta(hours=1, minutes=5), inbound_id="in-0002"),
        Inbound(MOBILES[7], "STOP", T0 + timedelta(hours=1), inbound_id="in-0001"),  # re-sent
    )


SCENARIO = scenario()


def parse(receipt: Receipt) -> DeliveryReport:
    if receipt.provider == "vonage":
        return parse_vonage_receipt(receipt.payload, received_at=receipt.at)
    return parse_twilio_callback(receipt.payload, received_at=receipt.at)


def deliver(engine: CampaignEngine, event: Event) -> object:
    """Hand one event to the engine, as the service does; what it returned."""
    if isinstance(event, Plan):
        return engine.plan(CAMPAIGN_ID, LISTS, event.at)  # again on a replay: adds nothing
    if isinstance(event, Ack):
        return engine.submitted(event.message_id, event.provider_id, event.at)
    if isinstance(event, Acks):
        acknowledged = dict(event.acknowledged)
        return engine.submitted_many(acknowledged, event.at, batch_size=event.batch_size)
    if isinstance(event, Receipt):
        return engine.handle(parse(event), event.at)
    if isinstance(event, Batch):
        return engine.handle_many([parse(r) for r in event.receipts], event.at)
    return engine.inbound(event.sender, event.text, event.at, inbound_id=event.inbound_id)


def describe(index: int) -> str:
    """Event ``index`` of the scenario, in a few words."""
    event = SCENARIO[index]
    if isinstance(event, Plan):
        what = "plan"
    elif isinstance(event, Ack):
        what = f"submitted {event.message_id} as {event.provider_id}"
    elif isinstance(event, Acks):
        what = f"submitted_many of {', '.join(m for m, _ in event.acknowledged)}"
    elif isinstance(event, Receipt):
        fields = dict(event.payload)
        what = (
            f"receipt {event.provider} {fields.get('messageId') or fields.get('MessageSid')} "
            f"{fields.get('status') or fields.get('MessageStatus')} "
            f"{fields.get('err-code') or fields.get('ErrorCode') or ''}".rstrip()
        )
    elif isinstance(event, Batch):
        what = f"handle_many of {len(event.receipts)} receipts"
    else:
        what = f"inbound {event.text!r} ({event.inbound_id})"
    return f"#{index} {what}"


# The state compared ---------------------------------------------------------------------------


def final_state(store: SQLiteStorage) -> dict[str, Any]:
    """What must be the same after any crash and replay."""
    return {
        "report": report_for(store, CAMPAIGN_ID).to_dict(),
        "unsubscribes": sorted(
            [u.id, u.recipient, u.campaign_id] for u in store.unsubscribes(CAMPAIGN_ID)
        ),
        "blocked": sorted(store.blocked(ALL_NUMBERS)),
        "status": store.get_campaign(CAMPAIGN_ID).status.value,
        # Beyond the list: what a restart must know, and the campaign's history.
        "evidence": repr(store.evidence(CAMPAIGN_ID)),
        "history": [
            [e.at.isoformat(), e.kind.value, e.details] for e in store.timeline(CAMPAIGN_ID)
        ],
    }


def messages(store: SQLiteStorage) -> dict[str, str]:
    """Each message's status and attempts, for the failure messages only (not compared)."""
    return {
        m.id: f"{m.status.value}/{len(m.attempts)}"
        for m in sorted(store.iter_messages(CAMPAIGN_ID), key=lambda m: m.id)
    }


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """The paths where ``actual`` differs from ``expected``, with both values."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return [
            line
            for key in sorted({*expected, *actual}, key=str)
            for line in differences(expected.get(key), actual.get(key), f"{path}.{key}")
        ]
    if (
        isinstance(expected, list)
        and isinstance(actual, list)
        and len(expected) == len(actual)
        and path.endswith(("lists", "bounce_reasons", "reasons"))
    ):
        return [
            line
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for line in differences(e, a, f"{path}[{i}]")
        ]
    return [] if expected == actual else [f"{path.lstrip('.')}: {expected!r} -> {actual!r}"]


# The kill switch ------------------------------------------------------------------------------

_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})
_ENDS = frozenset({"COMMIT", "END", "RELEASE"})


def _keyword(statement: str) -> str:
    words = statement.split(None, 1)
    return words[0].upper() if words else ""


def _is_write(statement: str) -> bool:
    keyword = _keyword(statement)
    if keyword == "WITH":
        return any(word in _WRITES for word in statement.upper().split())
    return keyword in _WRITES


class KillSwitch:
    """Counts the write statements of every connection opened after ``install`` (see the module
    doc), logs each one, and kills this process (SIGKILL) when it starts statement ``kill_at``
    (0: never). The log is written unbuffered, line by line, so it survives the kill:
    ``event <i>`` before each event, ``write <n> <statement>`` before each counted statement
    runs, ``kill <n>`` just before the kill, ``done`` at the end."""

    def __init__(self, log: int, kill_at: int) -> None:
        self.log = log
        self.kill_at = kill_at
        self.count = 0

    def write(self, line: str) -> None:
        os.write(self.log, (line.replace("\n", " ") + "\n").encode())

    def install(self) -> None:
        real_connect = sqlite3.connect

        def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            connection: sqlite3.Connection = real_connect(*args, **kwargs)
            self.watch(connection)
            return connection

        sqlite3.connect = connect  # type: ignore[assignment]

    def watch(self, connection: sqlite3.Connection) -> None:
        wrote = False  # this connection's transaction has run a counted statement

        def trace(statement: str) -> None:
            nonlocal wrote
            keyword = _keyword(statement)
            if keyword in ("BEGIN", "COMMIT", "END") or (
                keyword == "ROLLBACK" and "TO" not in statement.upper().split()
            ):
                counted = wrote and keyword != "BEGIN" and keyword != "ROLLBACK"
                wrote = False
            elif keyword == "SAVEPOINT":
                counted = False
                wrote = wrote and connection.in_transaction
            else:
                counted = _is_write(statement) or (keyword in _ENDS and wrote)
                wrote = wrote or _is_write(statement)
            if counted:
                self.count += 1
                self.write(f"write {self.count} {' '.join(statement.split())[:70]}")
                if self.count == self.kill_at:
                    self.write(f"kill {self.count}")
                    os.kill(os.getpid(), signal.SIGKILL)

        connection.set_trace_callback(trace)


def run_child(path: Path, log: Path, kill_at: int) -> None:
    """The forked child: the scenario on ``path``, killed at write statement ``kill_at``."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND)
    switch = KillSwitch(fd, kill_at)
    switch.install()  # before the store opens its first connection
    store = SQLiteStorage(path, durability="normal")
    engine = CampaignEngine(store, default_region="FR")
    for index, event in enumerate(SCENARIO):
        switch.write(f"event {index}")
        deliver(engine, event)
    store.close()
    switch.write("done")
    os.close(fd)


@dataclass(frozen=True)
class ChildRun:
    """What a child did, from its log."""

    exitcode: int | None
    writes: list[tuple[int, str]]  # per counted statement: the event index, the statement
    killed_at: int | None
    done: bool


def fork_child(path: Path, log: Path, kill_at: int) -> ChildRun:
    """Run the scenario in a forked child (killed at ``kill_at``; 0: never) and read its log."""
    process = multiprocessing.get_context("fork").Process(
        target=run_child, args=(path, log, kill_at)
    )
    process.start()
    process.join(60)
    if process.is_alive():  # a hung child: stopped, and reported by the caller's checks
        process.kill()
        process.join()
    event = -1
    writes: list[tuple[int, str]] = []
    killed_at = None
    done = False
    for line in log.read_text().splitlines():
        word, _, rest = line.partition(" ")
        if word == "event":
            event = int(rest)
        elif word == "write":
            number, _, statement = rest.partition(" ")
            assert int(number) == len(writes) + 1
            writes.append((event, statement))
        elif word == "kill":
            killed_at = int(rest)
        else:
            done = word == "done"
    return ChildRun(exitcode=process.exitcode, writes=writes, killed_at=killed_at, done=done)


# The runs ---------------------------------------------------------------------------------------


def make_template(path: Path) -> None:
    """A store holding the campaign, a DRAFT with its history's first entry; closed."""
    store = SQLiteStorage(path, durability="normal")
    campaign, created = Campaign.create(
        id=CAMPAIGN_ID,
        name="Spring sale",
        sender="MyShop",
        content="-20% on everything today! STOP 36111",
        list_ids=list(LISTS),
        at=T0 - timedelta(days=1),
        unit_price=Decimal("0.05"),
    )
    store.add_campaign(campaign, events=[created])
    store.close()
    assert not Path(f"{path}-wal").exists()  # closed cleanly: the file alone is the store


def fresh_copy(template: Path, path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, path)


def replay(path: Path) -> tuple[dict[str, Any], list[str], dict[str, str]]:
    """Reopen ``path`` (fresh store, fresh engine), deliver every event from the start: the final
    state, the errors raised (an event that raises is passed, as a webhook answered with an
    error, and the next ones are delivered), each message's status and attempts."""
    store = SQLiteStorage(path, durability="normal")
    try:
        engine = CampaignEngine(store, default_region="FR")
        errors = []
        for index, event in enumerate(SCENARIO):
            try:
                deliver(engine, event)
            except Exception as error:  # reported with the kill point
                errors.append(f"{describe(index)} raised {type(error).__name__}: {error}")
        return final_state(store), errors, messages(store)
    finally:
        store.close()


def check_scenario(path: Path) -> dict[str, Any]:
    """Run the scenario in this process and check that each event does what the scenario says
    (an orphan, duplicates, a retry sent after its time, the opt-outs, the reply); the state."""
    store = SQLiteStorage(path, durability="normal")
    engine = CampaignEngine(store, default_region="FR")
    results = [deliver(engine, event) for event in SCENARIO]
    plan = results[0]
    assert isinstance(plan, PlanResult)
    assert (11, 1) == (plan.messages, plan.refused)
    assert {message(rank): number for rank, number in MOBILES.items()} == {
        a.message_id: a.recipient for a in plan.actions if isinstance(a, SendMessage)
    }
    assert all(a.at == T0 for a in plan.actions if isinstance(a, SendMessage))

    def effects(index: int) -> list[str]:
        result = results[index]
        if isinstance(result, HandleResult):
            return [result.effect]
        assert isinstance(result, list)
        return [r.effect for r in result if isinstance(r, HandleResult)]

    def find(event: Event) -> int:
        return SCENARIO.index(event)

    assert ["duplicate"] == effects(find(Ack(message(2), vonage_id(2), at(11))))
    assert ["orphan"] == effects(find(vonage(9, "delivered", "0", at(12))))
    bulk, late = (r for r in results if isinstance(r, dict))  # the two bulk responses
    assert {message(r): ["applied"] for r in (6, 7, 8, 10)} == {
        m: [r.effect for r in found] for m, found in bulk.items()
    }
    assert {message(9): ["applied", "applied"], message(1): ["duplicate"]} == {
        m: [r.effect for r in found] for m, found in late.items()
    }
    assert ["pending"] == effects(find(twilio(3, "sent", at(14))))
    assert ["late"] == effects(find(vonage(1, "delivered", "0", at(20))))
    soft = results[find(vonage(4, "failed", "7", at(15)))]
    assert isinstance(soft, HandleResult)
    retries = [a for a in soft.actions if isinstance(a, RetryMessage)]
    assert 1 == len(retries)
    assert T0 < retries[0].at <= RETRY_SENT  # the retry is sent at or after its time
    assert ["duplicate"] == effects(find(vonage(4, "failed", "7", at(40))))
    batch = results[next(i for i, e in enumerate(SCENARIO) if isinstance(e, Batch))]
    assert isinstance(batch, list)
    assert ["applied", "applied", "applied", "late"] == [r.effect for r in batch]
    stop, reply, again = results[-3:]
    assert isinstance(stop, InboundResult)
    assert isinstance(reply, InboundResult)
    assert isinstance(again, InboundResult)
    assert ("unsubscribe", CAMPAIGN_ID, True) == (stop.kind, stop.campaign_id, stop.recorded)
    assert ("reply", CAMPAIGN_ID, True) == (reply.kind, reply.campaign_id, reply.recorded)
    assert ("unsubscribe", False) == (again.kind, again.recorded)
    state = final_state(store)
    store.close()
    assert {MOBILES[5], MOBILES[6], MOBILES[7]} == set(state["blocked"])
    assert 1 == len(state["unsubscribes"])  # the STOP (Vonage 9 is an earlier opt-out)
    return state


@dataclass(frozen=True)
class KillRuns:
    """Every kill point, run and replayed: what differed, what raised."""

    writes: int  # write statements of the no-crash run: kill points 1..writes
    seconds: float
    other_state: list[str]  # per kill point whose replay ends in another state: why
    raised: list[str]  # per kill point whose replay raised: which event, what

    def summary(self, what: str, failures: list[str]) -> str:
        return (
            f"{self.writes} write statements in {len(SCENARIO)} events, {self.writes + 1} runs "
            f"in {self.seconds:.1f} s; {len(failures)} kill points {what}"
        )


@pytest.fixture(scope="module")
def kill_runs(tmp_path_factory: pytest.TempPathFactory) -> KillRuns:
    """The no-crash run, then for every write statement N: a child killed at N, the parent
    replaying every event on what it left (N = writes + 1: a child never killed)."""
    started = time.monotonic()
    directory = tmp_path_factory.mktemp("crash-replay")
    template, path, log = directory / "template.db", directory / "run.db", directory / "run.log"
    make_template(template)
    fresh_copy(template, path)
    expected = check_scenario(path)
    store = SQLiteStorage(path, durability="normal")
    expected_messages = messages(store)
    store.close()

    def explain(state: dict[str, Any], statuses: dict[str, str]) -> str:
        """What differs (the report last, and only its first paths), and the messages whose
        status or number of attempts differ."""
        found = differences(
            {k: v for k, v in expected.items() if k != "report"},
            {k: v for k, v in state.items() if k != "report"},
        )
        found += differences(expected["report"], state["report"], "report")[:3]
        changed = {
            m: f"{expected_messages.get(m)} -> {statuses.get(m)}"
            for m in sorted({*expected_messages, *statuses})
            if expected_messages.get(m) != statuses.get(m)
        }
        return "; ".join([*found, f"messages: {json.dumps(changed)}"])

    # The no-crash run, counting: how many write statements, and which event issues each.
    fresh_copy(template, path)
    counting = fork_child(path, log, 0)
    assert (0, True, None) == (counting.exitcode, counting.done, counting.killed_at)
    writes = counting.writes
    assert len(writes) > len(SCENARIO)
    assert _keyword(writes[-1][1]) in _ENDS  # the last kill point is the last commit
    store = SQLiteStorage(path, durability="normal")
    assert expected == final_state(store)  # the child's run is this process's run
    store.close()

    other_state: list[str] = []
    raised: list[str] = []
    for kill_at in range(1, len(writes) + 2):
        fresh_copy(template, path)
        child = fork_child(path, log, kill_at)
        if kill_at <= len(writes):
            # Killed by SIGKILL, at that statement, in the event the counting run issued it.
            assert (-signal.SIGKILL, kill_at, False) == (
                child.exitcode,
                child.killed_at,
                child.done,
            ), f"kill point {kill_at}"
            assert writes[:kill_at] == child.writes, f"kill point {kill_at}: not deterministic"
            where = f"N={kill_at}: {describe(writes[kill_at - 1][0])} at {writes[kill_at - 1][1]!r}"
        else:
            # Past the last write: the whole scenario ran; every event is delivered twice.
            assert (0, True, writes) == (child.exitcode, child.done, child.writes)
            where = f"N={kill_at}: never killed"
        state, errors, statuses = replay(path)
        if state != expected:
            other_state.append(f"{where}: {explain(state, statuses)}")
        if errors:
            raised.append(f"{where}: {'; '.join(errors)}")
    return KillRuns(
        writes=len(writes),
        seconds=time.monotonic() - started,
        other_state=other_state,
        raised=raised,
    )


def test_a_kill_at_any_write_then_every_event_again_gives_the_same_final_state(
    kill_runs: KillRuns,
) -> None:
    """The issue's proof: SIGKILL at every write statement, every event delivered again, the
    final state of the no-crash run every time."""
    summary = kill_runs.summary("give another final state", kill_runs.other_state)
    print(f"\n{summary}", *kill_runs.other_state, sep="\n")
    assert not kill_runs.other_state, f"{summary} (printed above: the kill point, the event, why)"


def test_every_event_delivered_again_after_a_kill_is_accepted(kill_runs: KillRuns) -> None:
    """Idempotent events: delivering an event again after a crash raises nothing (the service
    replaying its events needs no error handling for them)."""
    summary = kill_runs.summary("have a replayed event that raises", kill_runs.raised)
    print(f"\n{summary}", *kill_runs.raised, sep="\n")
    assert not kill_runs.raised, f"{summary} (printed above: the kill point, the event, what)"


def test_the_kill_switch_counts_writes_and_their_commits(tmp_path: Path) -> None:
    """The counting rules of the module doc, on a bare connection: writes and the COMMIT of a
    transaction that wrote count; BEGIN, reads, PRAGMAs, savepoints and an empty COMMIT do not."""
    log = tmp_path / "switch.log"
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    switch = KillSwitch(fd, 0)
    connection = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    switch.watch(connection)
    statements: Sequence[str] = (
        "PRAGMA journal_mode = WAL",
        "CREATE TABLE t (x)",  # DDL: not a kill point of the scenario (the schema exists)
        "BEGIN IMMEDIATE",
        "SELECT 1",
        "COMMIT",  # nothing written: not counted
        "BEGIN IMMEDIATE",
        "SAVEPOINT s",
        "INSERT INTO t VALUES (1)",  # 1
        "UPDATE t SET x = 2 WHERE x = 5",  # 2: matches nothing, still a write
        "RELEASE s",  # 3: the transaction has written
        "COMMIT",  # 4
        "SAVEPOINT outer_",  # begins a transaction
        "WITH v AS (SELECT 3) INSERT INTO t SELECT * FROM v",  # 5
        "RELEASE outer_",  # 6: commits
        "BEGIN",
        "DELETE FROM t",  # 7
        "ROLLBACK",  # not counted: nothing is committed
    )
    for statement in statements:
        connection.execute(statement)
    connection.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])  # 8, 9: one per row
    connection.close()
    os.close(fd)
    assert 9 == switch.count
    counted = [line.split(" ", 2)[2] for line in log.read_text().splitlines()]
    assert [
        "INSERT INTO t VALUES (1)",
        "UPDATE t SET x = 2 WHERE x = 5",
        "RELEASE s",
        "COMMIT",
        "WITH v AS (SELECT 3) INSERT INTO t SELECT * FROM v",
        "RELEASE outer_",
        "DELETE FROM t",
        "INSERT INTO t VALUES (1)",  # the trace gives each execution with its values
        "INSERT INTO t VALUES (2)",
    ] == counted
