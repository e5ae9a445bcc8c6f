"""PostgreSQL stores: the conformance suite against a real server (the blocking store, and the
asyncio store through a bridge), and what only PostgreSQL has: schemas and their versions,
timeouts, busy retries, COPY, SKIP LOCKED across processes, fork safety.

Every test gets a schema of its own on the session's throwaway server (``postgres_server``)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import (
    Iterator,
)
from datetime import timedelta
from typing import Any, TypeVar
from uuid import uuid4

import attrs
import psycopg
import pytest
from psycopg import sql

from sms_campaign_stats import report_for
from sms_campaign_stats.errors import (
    DuplicateError,
    NotFoundError,
    SchemaError,
    StorageBusyError,
    StorageError,
    ValidationError,
)
from sms_campaign_stats.model import (
    Block,
    BounceReason,
    Campaign,
    CampaignStatus,
    Message,
    Reply,
    TimelineEvent,
    TimelineKind,
)
from sms_campaign_stats.storage import (
    AsyncStorage,
    Change,
    Committed,
    Completion,
    Orphan,
    Storage,
    StorageBase,
)
from sms_campaign_stats.storage.postgres import (
    SCHEMA_VERSION,
    AsyncPostgresStorage,
    PostgresStorage,
)
from sms_campaign_stats.testing import (
    T0,
    AsyncStorageConformance,
    StorageConformance,
    TemporaryPostgres,
    sample_campaign,
    sample_messages,
)

T = TypeVar("T")
POISON = "poison"
LEASE = T0 + timedelta(minutes=5)


def fresh_schema() -> str:
    """A schema name no other test uses."""
    return f"t{uuid4().hex}"


def admin(server: TemporaryPostgres) -> psycopg.Connection[Any]:
    """A connection of the test's own (autocommit), to look at and meddle with the tables."""
    return psycopg.connect(server.conninfo, autocommit=True)


def in_schema(schema: str, statement: str) -> sql.Composed:
    """``statement`` with ``{}`` as the quoted schema, wherever it appears."""
    return sql.SQL(statement).format(*[sql.Identifier(schema)] * statement.count("{}"))


def install_poison(server: TemporaryPostgres, schema: str) -> None:
    """A trigger that refuses the orphan report of provider id ``poison`` as it is written: a
    failure in the middle of a commit, after every other kind of item but completions and
    evidence."""
    with admin(server) as connection:
        connection.execute(
            in_schema(
                schema,
                "CREATE FUNCTION {}.refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN IF NEW.provider_message_id = 'poison' THEN "
                "RAISE EXCEPTION 'poisoned report'; END IF; RETURN NEW; END $$",
            )
        )
        connection.execute(
            in_schema(
                schema,
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON {}.orphans "
                "FOR EACH ROW EXECUTE FUNCTION {}.refuse_poison()",
            )
        )


def poison_change() -> Change:
    return Change(orphans=[Orphan(provider_message_id=POISON, report={"n": 0}, received_at=T0)])


class TestPostgresStorage(StorageConformance):
    """``PostgresStorage`` passes the storage contract, each test in a schema of its own."""

    @pytest.fixture(autouse=True)
    def _server(self, postgres_server: TemporaryPostgres) -> None:
        self.server = postgres_server

    def make_storage(self) -> Storage:
        """A store in a new schema."""
        return PostgresStorage(self.server.url, schema=fresh_schema())

    def inject_commit_failure(self, store: StorageBase, campaign: Campaign) -> Change:
        """A report a trigger refuses as it is inserted."""
        assert isinstance(store, PostgresStorage)
        install_poison(self.server, store.schema)
        return poison_change()


# The asyncio store, through the public async suite ------------------------------------------


class TestAsyncPostgresStorage(AsyncStorageConformance):
    """``AsyncPostgresStorage`` passes the storage contract as a user's async store would:
    ``testing.AsyncStorageConformance`` runs every method and convenience as the store's own
    coroutine, on a private event loop behind a blocking bridge."""

    @pytest.fixture(autouse=True)
    def _server(self, postgres_server: TemporaryPostgres) -> None:
        self.server = postgres_server

    def make_async_storage(self) -> AsyncStorage:
        """An asyncio store in a new schema, opened lazily by its first call."""
        return AsyncPostgresStorage(self.server.url, schema=fresh_schema())

    def inject_commit_failure(self, store: StorageBase, campaign: Campaign) -> Change:
        """A report a trigger refuses as it is inserted."""
        async_store = getattr(store, "storage", None)
        assert isinstance(async_store, AsyncPostgresStorage)
        install_poison(self.server, async_store.schema)
        return poison_change()


# Opening: the schema, its version, the options -----------------------------------------------


@pytest.fixture
def server(postgres_server: TemporaryPostgres) -> TemporaryPostgres:
    return postgres_server


@pytest.fixture
def schema() -> str:
    return fresh_schema()


@pytest.fixture
def store(server: TemporaryPostgres, schema: str) -> Iterator[PostgresStorage]:
    opened = PostgresStorage(server.url, schema=schema)
    yield opened
    opened.close()


def meta(server: TemporaryPostgres, schema: str) -> dict[str, str]:
    with admin(server) as connection:
        rows = connection.execute(in_schema(schema, "SELECT name, value FROM {}.store_meta"))
        return {row[0]: row[1] for row in rows}


def tables(server: TemporaryPostgres, schema: str) -> set[str]:
    with admin(server) as connection:
        rows = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
        ).fetchall()
    return {row[0] for row in rows}


def test_a_new_schema_is_marked_and_versioned(server: TemporaryPostgres, schema: str) -> None:
    """Opening creates the schema, its tables (and nothing outside it), the marker and the
    version; a store opened again reads what the first wrote."""
    first = PostgresStorage(server.url, schema=schema)
    campaign, created = sample_campaign()
    first.add_campaign(campaign, events=[created])
    first.add_messages(sample_messages(campaign, 10))
    expected = report_for(first, campaign.id)
    first.close()
    assert {"application": "sms_campaign_stats", "schema_version": str(SCHEMA_VERSION)} == meta(
        server, schema
    )
    assert {"campaigns", "messages", "store_meta", "store_keys", "evidence"} <= tables(
        server, schema
    )
    second = PostgresStorage(server.url, schema=schema)
    assert expected == report_for(second, campaign.id)
    second.close()


def test_stores_in_other_schemas_are_apart(server: TemporaryPostgres) -> None:
    """Two schemas of one database are two stores, each with its own salt."""
    one, two = (PostgresStorage(server.url, schema=fresh_schema()) for _ in range(2))
    campaign, _ = sample_campaign()
    one.add_campaign(campaign)
    with pytest.raises(NotFoundError):
        two.get_campaign(campaign.id)
    one.block("+33600000001", reason="hard_bounce", at=T0)
    two.block("+33600000001", reason="hard_bounce", at=T0)
    one.forget("+33600000001")
    two.forget("+33600000001")
    with admin(server) as connection:
        keys = {
            connection.execute(
                in_schema(store.schema, "SELECT recipient FROM {}.blocklist")
            ).fetchone()
            for store in (one, two)
        }
    assert 2 == len(keys)
    one.close()
    two.close()


def set_meta(server: TemporaryPostgres, schema: str, statement: str) -> None:
    with admin(server) as connection:
        connection.execute(in_schema(schema, statement))


def test_newer_schema_is_refused(server: TemporaryPostgres, schema: str) -> None:
    PostgresStorage(server.url, schema=schema).close()
    with admin(server) as connection:
        connection.execute(
            in_schema(schema, "UPDATE {}.store_meta SET value = %s WHERE name = 'schema_version'"),
            (str(SCHEMA_VERSION + 1),),
        )
    with pytest.raises(SchemaError, match="newer"):
        PostgresStorage(server.url, schema=schema)


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ("UPDATE {}.store_meta SET value = '0' WHERE name = 'schema_version'", "unknown schema"),
        ("UPDATE {}.store_meta SET value = 'two' WHERE name = 'schema_version'", "damaged"),
        ("DROP TABLE {}.replies", "missing \\['replies'\\]"),
        ("DELETE FROM {}.store_keys", "salt is missing"),
        ("UPDATE {}.store_meta SET value = 'other' WHERE name = 'application'", "not an sms"),
        ("DROP TABLE {}.store_meta", "did not make"),
    ],
)
def test_damaged_or_foreign_schemas_are_refused(
    server: TemporaryPostgres, schema: str, statement: str, problem: str
) -> None:
    """A schema that is not ours, or is damaged, is refused with SchemaError, untouched."""
    PostgresStorage(server.url, schema=schema).close()
    set_meta(server, schema, statement)
    before = tables(server, schema)
    with pytest.raises(SchemaError, match=problem):
        PostgresStorage(server.url, schema=schema)
    assert before == tables(server, schema)


def test_create_false_never_writes(server: TemporaryPostgres, schema: str) -> None:
    """``create=False`` opens an existing store, but makes no schema and no table."""
    with pytest.raises(SchemaError, match="create=False"):
        PostgresStorage(server.url, schema=schema, create=False)
    with admin(server) as connection:
        connection.execute(in_schema(schema, "CREATE SCHEMA {}"))
    with pytest.raises(SchemaError, match="create=False"):
        PostgresStorage(server.url, schema=schema, create=False)
    assert set() == tables(server, schema)
    PostgresStorage(server.url, schema=schema).close()
    PostgresStorage(server.url, schema=schema, create=False).close()


def test_workers_opening_at_once_make_one_schema(server: TemporaryPostgres, schema: str) -> None:
    """Eight workers opening a new schema at the same instant: one creates it, the others wait
    (an advisory lock) and find it made; they share one salt."""
    stores: list[PostgresStorage] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def open_one() -> None:
        start.wait()
        try:
            stores.append(PostgresStorage(server.url, schema=schema, min_size=0))
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=open_one) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [] == errors
    stores[0].block("+33600000001", reason="hard_bounce", at=T0)
    stores[1].forget("+33600000001")
    assert all(s.blocked(["+33600000001"]) == {"+33600000001"} for s in stores)
    for store in stores:
        store.close()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"schema": ""}, "schema"),
        ({"schema": "pg_mine"}, "schema"),
        ({"schema": "x" * 64}, "schema"),
        ({"schema": 3}, "schema"),
        ({"min_size": -1}, "min_size"),
        ({"max_size": 0}, "max_size"),
        ({"min_size": 4, "max_size": 2}, "max_size"),
        ({"max_size": True}, "max_size"),
        ({"statement_timeout": timedelta(0)}, "statement_timeout"),
        ({"statement_timeout": "30s"}, "statement_timeout"),
        ({"lock_timeout": -1}, "lock_timeout"),
        ({"lock_timeout": timedelta(days=30)}, "lock_timeout"),
        ({"busy_retries": -1}, "busy_retries"),
        ({"orphan_max_age": timedelta(0)}, "orphan_max_age"),
        ({"orphan_max_count": 0}, "orphan_max_count"),
        ({"read_ahead": "yes"}, "read_ahead"),
    ],
)
@pytest.mark.parametrize("kind", [PostgresStorage, AsyncPostgresStorage])
def test_bad_options(
    kind: type[Any], options: dict[str, Any], field: str, server: TemporaryPostgres
) -> None:
    """Each option is checked before anything connects: ValidationError naming it."""
    with pytest.raises(ValidationError, match=f"{kind.__name__}.{field}"):
        kind(server.url, **options)


@pytest.mark.parametrize("kind", [PostgresStorage, AsyncPostgresStorage])
def test_connection_strings_are_never_quoted_back(kind: type[Any]) -> None:
    """A malformed connection string is a ValidationError that does not quote it (it may hold
    a password); a store's repr names the server without its password."""
    with pytest.raises(ValidationError, match="conninfo") as caught:
        kind("host=db password=se cret")
    assert "cret" not in str(caught.value)
    with pytest.raises(ValidationError, match="conninfo"):
        kind(42)


def test_repr_hides_the_password(server: TemporaryPostgres, schema: str) -> None:
    url = f"postgresql://postgres:s3cret-pw@127.0.0.1:{server.port}/postgres"
    store = PostgresStorage(url, schema=schema)  # trust authentication: any password does
    assert "s3cret" not in repr(store)
    assert "127.0.0.1" in repr(store)
    assert schema in repr(store)
    store.close()
    assert "s3cret" not in repr(AsyncPostgresStorage(url))


def test_an_unreachable_server_is_one_clear_line(server: TemporaryPostgres) -> None:
    """No server there: StorageError at once, in one line, naming the server, never the
    password."""
    url = "postgresql://someone:s3cret-pw@127.0.0.1:1/nowhere?connect_timeout=3"
    with pytest.raises(StorageError, match="cannot connect") as caught:
        PostgresStorage(url)
    message = str(caught.value)
    assert "\n" not in message
    assert "s3cret" not in message
    assert "127.0.0.1" in message


def test_importing_the_package_does_not_import_psycopg() -> None:
    """The root package and ``storage`` load without psycopg; ``storage.postgres`` says what to
    install when psycopg is missing."""
    code = (
        "import sys\n"
        "import sms_campaign_stats, sms_campaign_stats.storage\n"
        "sms_campaign_stats.SQLiteStorage\n"
        "assert 'psycopg' not in sys.modules, 'psycopg imported'\n"
        "sys.modules['psycopg'] = None\n"
        "try:\n"
        "    import sms_campaign_stats.storage.postgres\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert 'PostgresStorage needs psycopg: pip install "sms-campaign-stats[postgres]"' == (
        done.stdout.strip()
    )


# Types people query ----------------------------------------------------------------------------


def test_columns_use_postgresql_types(store: PostgresStorage, server: TemporaryPostgres) -> None:
    """Instants are timestamptz, money numeric, lists text[], reports json: readable in SQL."""
    campaign, created = sample_campaign()
    store.add_campaign(campaign, events=[created])
    (message,) = sample_messages(campaign, 1)
    store.add_messages([message.submit(at=T0, provider_message_id="p-1")])
    store.add_orphan("late", {"status": "DELIVRD"}, received_at=T0)
    with admin(server) as connection:
        row = connection.execute(
            in_schema(
                store.schema,
                "SELECT c.unit_price, c.list_ids, m.submitted_at, m.attempts->0->>2, "
                "o.report->>'status' FROM {}.campaigns c, {}.messages m, {}.orphans o",
            )
        ).fetchone()
    assert (campaign.unit_price, list(campaign.list_ids), T0, "p-1", "DELIVRD") == row
    # json (not jsonb) keeps a report whatever it holds, the NUL escape included.
    store.add_orphan("nul", {"text": "a\u0000b"}, received_at=T0)
    assert [{"text": "a\u0000b"}] == store.take_orphans("nul")


def test_text_postgresql_cannot_hold_is_refused(store: PostgresStorage) -> None:
    """PostgreSQL's text holds no NUL character: a reply with one is a StorageError, and
    nothing of its change is written."""
    campaign, _ = sample_campaign()
    store.add_campaign(campaign)
    reply = Reply(id="r", recipient="+33600000001", at=T0, text="a\x00b", campaign_id=campaign.id)
    with pytest.raises(StorageError, match="nothing was written"):
        store.commit(
            Change(replies=[reply], blocks=[Block(recipient="+33600000001", reason="x", at=T0)])
        )
    assert frozenset() == store.blocked(["+33600000001"])


def test_history_details_round_trip_exactly(store: PostgresStorage) -> None:
    """History details keep their keys' order, unicode and NUL escapes (``json``, not
    ``jsonb``)."""
    campaign, created = sample_campaign()
    details = {"z": 1, "a": [1.5, None, True], "é": "\u0000\u2028", "n": {"b": 2, "a": 1}}
    event = TimelineEvent(
        campaign_id=campaign.id, at=T0, kind=TimelineKind.STARTED, details=details
    )
    store.add_campaign(campaign, events=[created, event])
    stored = store.timeline(campaign.id)[-1]
    assert event == stored
    assert list(details) == list(stored.details)


# Busy: locks, deadlocks, timeouts -------------------------------------------------------------


def started(store: PostgresStorage) -> Campaign:
    """A sample campaign, stored and SENDING."""
    campaign, created = sample_campaign()
    store.add_campaign(campaign, events=[created])
    change = campaign.start(at=T0)
    return store.update_campaign(change.campaign, events=[change.event])


def hold(server: TemporaryPostgres, schema: str, statement: str, *params: Any) -> Any:
    """A connection of the test's own holding the locks ``statement`` takes, in an open
    transaction (roll it back to release them)."""
    blocker = psycopg.connect(server.conninfo)
    blocker.execute(in_schema(schema, statement), params)
    return blocker


def test_a_lock_held_past_every_retry_is_busy(server: TemporaryPostgres, schema: str) -> None:
    """A row another transaction holds: each attempt waits ``lock_timeout``, the whole change
    is run ``1 + busy_retries`` times, then StorageBusyError, and nothing was written."""
    store = PostgresStorage(
        server.url, schema=schema, lock_timeout=timedelta(milliseconds=100), busy_retries=2
    )
    campaign = started(store)
    blocker = hold(
        server, schema, "SELECT 1 FROM {}.campaigns WHERE id = %s FOR UPDATE", campaign.id
    )
    suspended = campaign.suspend(at=T0, reason="too many bounces")
    try:
        with pytest.raises(StorageBusyError) as caught:
            store.update_campaign(suspended.campaign, events=[suspended.event])
    finally:
        blocker.rollback()
        blocker.close()
    assert caught.value.waited_seconds >= 0.3
    assert "nothing was written" in str(caught.value)
    assert campaign == store.get_campaign(campaign.id)
    assert TimelineKind.STARTED is store.timeline(campaign.id)[-1].kind
    store.close()


def test_a_busy_change_is_run_again_until_the_lock_is_free(
    server: TemporaryPostgres, schema: str
) -> None:
    """The lock is released after a few attempts: the change is written once, whole."""
    store = PostgresStorage(
        server.url, schema=schema, lock_timeout=timedelta(milliseconds=50), busy_retries=20
    )
    campaign = started(store)
    blocker = hold(
        server, schema, "SELECT 1 FROM {}.campaigns WHERE id = %s FOR UPDATE", campaign.id
    )
    releaser = threading.Timer(0.3, blocker.rollback)
    releaser.start()
    suspended = campaign.suspend(at=T0, reason="too many bounces")
    stored = store.update_campaign(suspended.campaign, events=[suspended.event])
    releaser.join()
    blocker.close()
    assert CampaignStatus.SUSPENDED is stored.status
    assert [TimelineKind.CREATED, TimelineKind.STARTED, TimelineKind.SUSPENDED] == [
        e.kind for e in store.timeline(campaign.id)
    ]
    store.close()


def test_a_statement_past_its_timeout_is_cancelled(server: TemporaryPostgres, schema: str) -> None:
    """``statement_timeout`` bounds every statement (here a lock wait shorter than
    ``lock_timeout``): StorageError saying so, nothing written, not retried."""
    store = PostgresStorage(
        server.url,
        schema=schema,
        statement_timeout=timedelta(milliseconds=200),
        lock_timeout=timedelta(seconds=10),
    )
    campaign = started(store)
    blocker = hold(
        server, schema, "SELECT 1 FROM {}.campaigns WHERE id = %s FOR UPDATE", campaign.id
    )
    try:
        begun = time.monotonic()
        with pytest.raises(StorageError, match="statement_timeout") as caught:
            store.update_campaign(campaign.suspend(at=T0, reason="x").campaign)
        assert time.monotonic() - begun < 2
        assert not isinstance(caught.value, StorageBusyError)
    finally:
        blocker.rollback()
        blocker.close()
    assert campaign == store.get_campaign(campaign.id)
    store.close()


def test_a_deadlock_is_run_again(server: TemporaryPostgres, schema: str) -> None:
    """A real deadlock: the store's change holds a message and waits for a lock that another
    transaction holds, which waits for that message. PostgreSQL aborts the store's
    transaction (its deadlock check runs first), the driver runs it again, and it is written
    once; the other transaction goes on."""
    store = PostgresStorage(server.url, schema=schema)
    campaign = started(store)
    (message,) = sample_messages(campaign, 1)
    store.add_messages([message])
    with admin(server) as connection:
        connection.execute(in_schema(schema, "CREATE SEQUENCE {}.tries"))
        # Updating a message: wait a moment, then take advisory lock 42.
        connection.execute(
            in_schema(
                schema,
                "CREATE FUNCTION {}.slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "PERFORM nextval('{}.tries'); PERFORM pg_sleep(0.3); "
                "PERFORM pg_advisory_xact_lock(42); RETURN NEW; END $$",
            )
        )
        connection.execute(
            in_schema(
                schema,
                "CREATE TRIGGER slow BEFORE UPDATE ON {}.messages "
                "FOR EACH ROW EXECUTE FUNCTION {}.slow()",
            )
        )
    other = psycopg.connect(server.conninfo)
    other.execute("SET deadlock_timeout = '10s'")  # its check comes too late: the store's runs
    other.execute("SELECT pg_advisory_xact_lock(42)")
    outcome: list[Any] = []
    writer = threading.Thread(
        target=lambda: outcome.append(store.update_message(message.cancel(at=T0)))
    )
    writer.start()
    time.sleep(0.1)  # the store holds the message and sleeps in the trigger
    other.execute(
        in_schema(schema, "SELECT 1 FROM {}.messages WHERE id = %s FOR UPDATE"), (message.id,)
    )
    other.rollback()  # it got the row once the store's first attempt was aborted
    other.close()
    writer.join()
    assert 1 == outcome[0].version
    assert outcome[0] == store.get_message(message.id)
    with admin(server) as connection:
        tries = connection.execute(in_schema(schema, "SELECT last_value FROM {}.tries")).fetchone()
    assert (2,) == tries
    store.close()


def test_a_slow_import_loses_its_connection_and_writes_nothing(
    server: TemporaryPostgres, schema: str
) -> None:
    """A client idle in the middle of a transaction longer than the timeout: the server ends
    its session (``idle_in_transaction_session_timeout``), nothing is written, the error says
    so, and the pool's next connection works."""
    store = PostgresStorage(
        server.url, schema=schema, statement_timeout=timedelta(milliseconds=300)
    )
    campaign = started(store)
    messages = sample_messages(campaign, 5001)

    def slow() -> Iterator[Message]:
        yield from messages[:5000]
        time.sleep(1.0)  # the first chunk is copied: the transaction waits for the next one
        yield messages[5000]

    with pytest.raises(StorageError, match=r"connection was lost.*nothing was written"):
        store.add_messages(slow())
    assert [] == list(store.iter_messages(campaign.id))
    assert 5001 == store.add_messages(messages)
    store.close()


# COPY -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("clash", ["id", "recipient"])
def test_a_duplicate_anywhere_in_a_streamed_import_writes_nothing(
    store: PostgresStorage, clash: str
) -> None:
    """An import streamed in several COPY chunks with a message repeating an earlier chunk's id
    (or recipient): DuplicateError naming it, and none of the chunks is written."""
    campaign = started(store)
    messages = sample_messages(campaign, 12_000)
    if clash == "id":
        messages[11_000] = attrs.evolve(messages[11_000], id=messages[5].id)
    else:
        messages[11_000] = attrs.evolve(messages[11_000], recipient=messages[5].recipient)
    with pytest.raises(DuplicateError) as caught:
        store.add_messages(iter(messages))
    assert messages[11_000].id == caught.value.key
    assert [] == list(store.iter_messages(campaign.id))
    assert 12_000 - 1 == store.add_messages(m for i, m in enumerate(messages) if i != 11_000)


def test_imported_messages_round_trip_through_copy(store: PostgresStorage) -> None:
    """Messages in every state, imported by COPY (with their provider ids) read back equal."""
    campaign = started(store)
    messages = sample_messages(campaign, 6)
    sent = [m.submit(at=T0, provider_message_id=f"p-{m.id}") for m in messages[:3]]
    bounced = sent[1].hard_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=T0)
    due = messages[4].wait_until(T0, zone="Europe/Paris")
    batch = [sent[0], bounced, sent[2].deliver(at=T0), messages[3], due, messages[5]]
    assert 6 == store.add_messages(batch)
    assert batch == [store.get_message(m.id) for m in batch]
    assert {f"p-{m.id}": m for m in batch[:3]} == store.find_messages_by_provider_ids(
        [f"p-{m.id}" for m in batch[:3]]
    )
    with pytest.raises(DuplicateError, match="belongs to message"):
        store.add_messages(
            [
                Message.for_campaign(
                    campaign, id="x", recipient="+33799000001", list_ids=(), queued_at=T0
                ).submit(at=T0, provider_message_id=f"p-{messages[0].id}")
            ]
        )


# claim_due across processes ----------------------------------------------------------------------


def _claim_in_a_process(url: str, schema: str, start: Any, results: Any) -> None:
    """A worker process: its own store, claims 7 at a time until nothing is due."""
    store = PostgresStorage(url, schema=schema)
    claimed: list[str] = []
    start.wait()
    while batch := store.claim_due(T0, until=LEASE, limit=7):
        claimed.extend(m.id for m in batch)
    store.close()
    results.put(claimed)


def test_three_processes_claim_each_due_message_once(
    server: TemporaryPostgres, store: PostgresStorage
) -> None:
    """Three processes (spawned, each with its own store) claim from one database at once:
    every due message is claimed exactly once."""
    campaign = started(store)
    due = [m.wait_until(T0) for m in sample_messages(campaign, 300)]
    store.add_messages(due)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    results = context.Queue()
    workers = [
        context.Process(target=_claim_in_a_process, args=(server.url, store.schema, start, results))
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    claimed = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join()
    every = [message_id for ids in claimed for message_id in ids]
    assert sorted(m.id for m in due) == sorted(every)
    assert all(claimed), "each process claimed some"
    assert all(m.due_at == LEASE for m in store.iter_messages(campaign.id))


# Processes, connections ------------------------------------------------------------------------


def test_a_forked_child_cannot_use_its_parents_store(
    server: TemporaryPostgres, store: PostgresStorage
) -> None:
    """After a fork the child's copy of the store refuses (StorageError: one store per
    process), and closing it there leaves the parent's connections alone."""
    campaign = started(store)
    unopened = AsyncPostgresStorage(server.url, schema=store.schema)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with the pool's threads
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        status = 1
        try:
            store.get_campaign(campaign.id)
        except StorageError as error:
            status = 0 if "fork" in str(error) else 2
        try:
            asyncio.run(unopened.get_campaign(campaign.id))
            status = 3
        except StorageError as error:
            status = status if "fork" in str(error) else 4
        store.close()
        os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert 0 == os.waitstatus_to_exitcode(status)
    assert campaign == store.get_campaign(campaign.id)


def test_a_lost_connection_is_replaced(server: TemporaryPostgres, schema: str) -> None:
    """The server ends the pool's connections (a restart, a failover): the next read runs on a
    new connection, and so does the next change (it failed before it began)."""
    name = f"app{uuid4().hex[:8]}"
    store = PostgresStorage(f"{server.conninfo} application_name={name}", schema=schema)
    campaign = started(store)

    def kill() -> None:
        with admin(server) as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s",
                (name,),
            )

    kill()
    assert campaign == store.get_campaign(campaign.id)
    kill()
    suspended = campaign.suspend(at=T0, reason="x")
    assert CampaignStatus.SUSPENDED is store.update_campaign(suspended.campaign).status
    kill()
    with pytest.raises(StorageError, match="connection was lost"):
        store.claim_due(T0, until=LEASE)  # a write outside a transaction: not run again
    store.close()


# Orphans, completions ---------------------------------------------------------------------------


def test_orphans_are_kept_in_a_bounded_number_and_age(
    server: TemporaryPostgres, schema: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = PostgresStorage(
        server.url, schema=schema, orphan_max_count=3, orphan_max_age=timedelta(days=1)
    )
    with caplog.at_level("WARNING", logger="sms_campaign_stats"):
        for n in range(5):
            store.add_orphan(f"p-{n}", {"n": n}, received_at=T0 + timedelta(seconds=n))
    assert ["p-2", "p-3", "p-4"] == [
        o.provider_message_id for o in store.orphans([f"p-{n}" for n in range(5)])
    ]
    assert 2 == sum("evicted" in r.getMessage() for r in caplog.records)
    store.add_orphan("new", {"n": 9}, received_at=T0 + timedelta(days=2))
    assert ["new"] == [o.provider_message_id for o in store.orphans(["p-3", "p-4", "new"])]
    store.close()


def test_two_workers_finishing_the_last_two_messages_complete_the_campaign(
    server: TemporaryPostgres, schema: str
) -> None:
    """Two threads apply the last two outcomes of a campaign at the same instant, each with a
    completion: whichever commits second sees both and completes it, every time."""
    store = PostgresStorage(server.url, schema=schema, max_size=4)
    for round_ in range(8):
        campaign, _ = sample_campaign(f"c{round_}")
        store.add_campaign(campaign)
        messages = sample_messages(campaign, 2)
        store.add_messages(messages)
        campaign = store.update_campaign(campaign.start(at=T0).campaign)
        sent = store.update_messages(
            [m.submit(at=T0, provider_message_id=f"{m.id}-p") for m in messages]
        )
        start = threading.Barrier(2)

        def finish(
            message: Message, campaign_id: str = campaign.id, start: threading.Barrier = start
        ) -> None:
            start.wait()
            store.commit(
                Change(
                    messages=[message.deliver(at=T0)],
                    completions=[Completion(campaign_id=campaign_id, at=T0)],
                )
            )

        workers = [threading.Thread(target=finish, args=(m,)) for m in sent]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert CampaignStatus.COMPLETED is store.get_campaign(campaign.id).status
        kinds = [e.kind for e in store.timeline(campaign.id)]
        assert 1 == kinds.count(TimelineKind.COMPLETED)
    store.close()


def test_counts_are_read_from_the_covering_index(
    server: TemporaryPostgres, store: PostgresStorage
) -> None:
    """The report's aggregate can be answered by an index-only scan of messages_counts."""
    campaign = started(store)
    store.add_messages(sample_messages(campaign, 50))
    with admin(server) as connection:
        connection.execute(in_schema(store.schema, "VACUUM ANALYZE {}.messages"))
        connection.execute("SET enable_seqscan = off")
        connection.execute(in_schema(store.schema, "SET search_path = {}"))
        plan = "\n".join(
            row[0]
            for row in connection.execute(
                "EXPLAIN SELECT status, shape, count(*) FROM messages WHERE campaign_id = %s "
                "GROUP BY status, shape",
                (campaign.id,),
            )
        )
    assert "Index Only Scan using messages_counts" in plan


# The asyncio store's own ways --------------------------------------------------------------------


def test_the_asyncio_store_opens_in_its_loop(server: TemporaryPostgres, schema: str) -> None:
    """Made outside any loop (nothing opened), opened by ``async with`` in the loop; claims
    running at once in one loop take each due message once; closed, it refuses."""

    async def scenario() -> None:
        store = AsyncPostgresStorage(server.url, schema=schema, max_size=4)
        assert schema in repr(store)
        async with store:
            campaign, created = sample_campaign()
            await store.add_campaign(campaign, events=[created])
            await store.update_campaign(campaign.start(at=T0).campaign)
            due = [m.wait_until(T0) for m in sample_messages(campaign, 40)]
            assert 40 == await store.add_messages(due)
            batches = await asyncio.gather(
                *(store.claim_due(T0, until=LEASE, limit=15) for _ in range(4))
            )
            claimed = [m.id for batch in batches for m in batch]
            assert sorted(m.id for m in due) == sorted(claimed)
            assert 40 == len([m async for m in store.iter_messages(campaign.id, batch_size=7)])
            with pytest.raises(NotFoundError):
                [m async for m in store.iter_messages("nope")]
        with pytest.raises(StorageError, match="closed"):
            await store.get_campaign(campaign.id)
        with pytest.raises(StorageError, match="closed"):
            await store.open()

    asyncio.run(scenario())


def test_the_asyncio_store_cannot_connect(server: TemporaryPostgres) -> None:
    async def scenario() -> None:
        store = AsyncPostgresStorage("postgresql://x:s3cret@127.0.0.1:1/none?connect_timeout=3")
        with pytest.raises(StorageError, match="cannot connect") as caught:
            await store.get_campaign("c")
        assert "s3cret" not in str(caught.value)

    asyncio.run(scenario())


def test_async_forget_and_blocklist_open_the_store_first(
    server: TemporaryPostgres, schema: str
) -> None:
    """The salt is read when the store opens: ``blocked`` and ``forget`` as first calls work."""

    async def scenario() -> None:
        async with AsyncPostgresStorage(server.url, schema=schema) as first:
            assert await first.block("+33600000001", reason="hard_bounce", at=T0)
        second = AsyncPostgresStorage(server.url, schema=schema)
        assert 1 == await second.forget("+33600000001")
        await second.close()
        third = AsyncPostgresStorage(server.url, schema=schema)
        assert {"+33600000001"} == await third.blocked(["+33600000001"])
        assert Committed() == await third.commit(Change())
        await third.close()

    asyncio.run(scenario())


def test_the_asyncio_store_retries_then_is_busy(server: TemporaryPostgres, schema: str) -> None:
    """The asyncio driver's retries: a lock held past them is StorageBusyError, nothing
    written; orphan evictions are logged as by the blocking store."""

    async def scenario() -> None:
        store = AsyncPostgresStorage(
            server.url,
            schema=schema,
            lock_timeout=timedelta(milliseconds=50),
            busy_retries=1,
            orphan_max_count=1,
        )
        await store.open()
        await store.open()  # once is enough: a second call changes nothing
        campaign, _ = sample_campaign()
        await store.add_campaign(campaign)
        blocker = hold(
            server, schema, "SELECT 1 FROM {}.campaigns WHERE id = %s FOR UPDATE", campaign.id
        )
        try:
            with pytest.raises(StorageBusyError):
                await store.update_campaign(campaign.start(at=T0).campaign)
        finally:
            blocker.rollback()
            blocker.close()
        assert campaign == await store.get_campaign(campaign.id)
        await store.add_orphan("a", {"n": 1}, received_at=T0)
        await store.add_orphan("b", {"n": 2}, received_at=T0)
        assert ["b"] == [o.provider_message_id for o in await store.orphans(["a", "b"])]
        await store.close()

    asyncio.run(scenario())


def test_lookups_of_nothing_read_nothing(store: PostgresStorage) -> None:
    assert {} == store.find_messages_by_provider_ids([])
    assert [] == store.orphans([])
    assert frozenset() == store.blocked([])


def test_what_an_import_cannot_hold_is_refused(
    server: TemporaryPostgres, store: PostgresStorage
) -> None:
    """Something else than a message, one provider id for two messages, and a row a constraint
    of the database refuses (here a trigger's check): each refused whole, with its error."""
    campaign = started(store)
    first, second = sample_messages(campaign, 2)
    with pytest.raises(ValidationError, match="expected Message"):
        store.add_messages([first, "+33600000000"])  # type: ignore[list-item]
    twice = [m.submit(at=T0, provider_message_id="same") for m in (first, second)]
    with pytest.raises(DuplicateError, match="belongs to message"):
        store.add_messages(twice)
    with admin(server) as connection:
        connection.execute(
            in_schema(
                store.schema,
                "CREATE FUNCTION {}.check_segments() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN IF NEW.segments > 1 THEN RAISE EXCEPTION 'too long' "
                "USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$",
            )
        )
        connection.execute(
            in_schema(
                store.schema,
                "CREATE TRIGGER check_segments BEFORE INSERT ON {}.messages "
                "FOR EACH ROW EXECUTE FUNCTION {}.check_segments()",
            )
        )
    with pytest.raises(StorageError, match="could not be stored \\(too long\\)"):
        store.add_messages([first, attrs.evolve(second, segments=2)])
    assert [] == list(store.iter_messages(campaign.id))
