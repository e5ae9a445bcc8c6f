"""PostgreSQL stores: the conformance suite against a real server (the blocking store, and the
asyncio store through a bridge), and what only PostgreSQL has: schemas and their versions,
timeouts, busy retries, COPY, SKIP LOCKED across processes, fork safety.

Every test gets a schema of its own on the session's throwaway server (``postgres_server``)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import (
    AsyncIterator,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql

from sms_campaign_stats import report_for
from sms_campaign_stats.errors import (
    NotFoundError,
    SchemaError,
    StorageError,
    ValidationError,
)
from sms_campaign_stats.model import (
    Block,
    Campaign,
    Message,
    Reply,
    TimelineEvent,
    TimelineKind,
    Unsubscribe,
)
from sms_campaign_stats.storage import (
    CampaignCounts,
    Change,
    Committed,
    Evidence,
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


# The asyncio store, through a bridge -------------------------------------------------------


class AsyncBridge(StorageBase):
    """``AsyncPostgresStorage`` seen as a blocking store, for the conformance suite: each call
    runs the store's own coroutine (its conveniences included) on a private event loop in a
    thread of its own; threads calling at once run their coroutines concurrently on it."""

    def __init__(self, store: AsyncPostgresStorage) -> None:
        self.store = store
        self.schema = store.schema
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._loop.is_closed():  # the store is closed: it refuses without its pool
            return asyncio.run(coroutine)
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def _iterate(self, iterator: AsyncIterator[Message]) -> Iterator[Message]:
        while True:
            try:
                yield self._call(_next(iterator))
            except StopAsyncIteration:
                return

    def get_campaign(self, campaign_id: str) -> Campaign:
        return self._call(self.store.get_campaign(campaign_id))

    def list_campaigns(self) -> list[Campaign]:
        return self._call(self.store.list_campaigns())

    def get_message(self, message_id: str) -> Message:
        return self._call(self.store.get_message(message_id))

    def find_messages_by_provider_ids(
        self, provider_message_ids: Iterable[str]
    ) -> dict[str, Message]:
        return self._call(self.store.find_messages_by_provider_ids(provider_message_ids))

    def find_message_by_provider_id(self, provider_message_id: str) -> Message | None:
        return self._call(self.store.find_message_by_provider_id(provider_message_id))

    def iter_messages(self, campaign_id: str, *, batch_size: int = 1000) -> Iterator[Message]:
        return self._iterate(self.store.iter_messages(campaign_id, batch_size=batch_size))

    def iter_due(self, now: datetime, *, batch_size: int = 1000) -> Iterator[Message]:
        return self._iterate(self.store.iter_due(now, batch_size=batch_size))

    def iter_stale(
        self, *, submitted_before: datetime, batch_size: int = 1000
    ) -> Iterator[Message]:
        return self._iterate(
            self.store.iter_stale(submitted_before=submitted_before, batch_size=batch_size)
        )

    def timeline(self, campaign_id: str) -> list[TimelineEvent]:
        return self._call(self.store.timeline(campaign_id))

    def replies(self, campaign_id: str) -> list[Reply]:
        return self._call(self.store.replies(campaign_id))

    def unsubscribes(self, campaign_id: str) -> list[Unsubscribe]:
        return self._call(self.store.unsubscribes(campaign_id))

    def messages_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> list[Message]:
        return self._call(self.store.messages_to(recipient, since=since, before=before))

    def latest_message_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> Message | None:
        return self._call(self.store.latest_message_to(recipient, since=since, before=before))

    def orphans(self, provider_message_ids: Iterable[str]) -> list[Orphan]:
        return self._call(self.store.orphans(provider_message_ids))

    def take_orphans(self, provider_message_id: str) -> list[Mapping[str, Any]]:
        return self._call(self.store.take_orphans(provider_message_id))

    def add_orphan(
        self, provider_message_id: str, report: Mapping[str, Any], *, received_at: datetime
    ) -> None:
        self._call(self.store.add_orphan(provider_message_id, report, received_at=received_at))

    def blocked(self, recipients: Iterable[str]) -> frozenset[str]:
        return self._call(self.store.blocked(recipients))

    def block(self, recipient: str, *, reason: str, at: datetime) -> bool:
        return self._call(self.store.block(recipient, reason=reason, at=at))

    def campaign_counts(self, campaign_id: str) -> CampaignCounts:
        return self._call(self.store.campaign_counts(campaign_id))

    def evidence(self, campaign_id: str) -> Evidence:
        return self._call(self.store.evidence(campaign_id))

    def commit(self, change: Change) -> Committed:
        return self._call(self.store.commit(change))

    def forget(self, recipient: str) -> int:
        return self._call(self.store.forget(recipient))

    def add_campaign(self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()) -> None:
        self._call(self.store.add_campaign(campaign, events=events))

    def update_campaign(
        self, campaign: Campaign, *, events: Sequence[TimelineEvent] = ()
    ) -> Campaign:
        return self._call(self.store.update_campaign(campaign, events=events))

    def append_events(self, events: Sequence[TimelineEvent]) -> None:
        self._call(self.store.append_events(events))

    def add_messages(self, messages: Iterable[Message]) -> int:
        return self._call(self.store.add_messages(messages))

    def update_message(self, message: Message) -> Message:
        return self._call(self.store.update_message(message))

    def update_messages(
        self, messages: Sequence[Message], *, blocks: Sequence[Block] = ()
    ) -> list[Message]:
        return self._call(self.store.update_messages(messages, blocks=blocks))

    def claim_due(self, now: datetime, *, until: datetime, limit: int = 100) -> list[Message]:
        return self._call(self.store.claim_due(now, until=until, limit=limit))

    def record_reply(self, reply: Reply) -> bool:
        return self._call(self.store.record_reply(reply))

    def record_unsubscribe(self, unsubscribe: Unsubscribe) -> bool:
        return self._call(self.store.record_unsubscribe(unsubscribe))

    def close(self) -> None:
        if self._loop.is_running():
            self._call(self.store.close())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()


async def _next(iterator: AsyncIterator[Message]) -> Message:
    return await iterator.__anext__()


class TestAsyncPostgresStorage(StorageConformance):
    """``AsyncPostgresStorage`` passes the storage contract: every method and convenience is
    its own coroutine, run through ``AsyncBridge``."""

    @pytest.fixture(autouse=True)
    def _server(self, postgres_server: TemporaryPostgres) -> None:
        self.server = postgres_server

    def make_storage(self) -> Storage:
        """An asyncio store in a new schema, opened lazily by its first call."""
        return AsyncBridge(AsyncPostgresStorage(self.server.url, schema=fresh_schema()))

    def inject_commit_failure(self, store: StorageBase, campaign: Campaign) -> Change:
        """A report a trigger refuses as it is inserted."""
        assert isinstance(store, AsyncBridge)
        install_poison(self.server, store.schema)
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
