"""PostgreSQL stores, white-box: the migration mechanism on a fake older version, a pseudonym
collision, a pool with no connection to lend, and what a connection lost while committing
means."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql

from sms_campaign_stats.errors import SchemaError, StorageError
from sms_campaign_stats.model import Reply
from sms_campaign_stats.storage.postgres import SCHEMA_VERSION, PostgresStorage, _schema, _store
from sms_campaign_stats.storage.postgres._messages import ListSets, Seen, compare_and_set_messages
from sms_campaign_stats.storage.postgres._operations import _BY_PROVIDER_IDS
from sms_campaign_stats.storage.postgres._session import verdict
from sms_campaign_stats.storage.postgres._steps import Kind, Op, Work, execute, fetch_one
from sms_campaign_stats.storage.postgres._writes import _STILL_OPEN
from sms_campaign_stats.testing import T0, TemporaryPostgres, sample_campaign, sample_messages


def run(server: TemporaryPostgres, schema: str, statement: str, *params: Any) -> list[Any]:
    with psycopg.connect(server.conninfo, autocommit=True) as connection:
        cursor = connection.execute(
            sql.SQL(statement).format(*[sql.Identifier(schema)] * statement.count("{}")), params
        )
        return cursor.fetchall() if cursor.description else []


def test_an_older_version_is_migrated_when_opened(
    postgres_server: TemporaryPostgres, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A schema at a (fake) older version, missing what the migration adds: opening runs the
    migration in the opening transaction and records the new version; ``create=False`` refuses
    to; a failing migration leaves the schema as it was."""
    PostgresStorage(postgres_server.url, schema=schema).close()
    run(postgres_server, schema, "DROP TABLE {}.evidence")
    run(
        postgres_server,
        schema,
        "UPDATE {}.store_meta SET value = '0' WHERE name = 'schema_version'",
    )
    evidence_table = next(s for s in _schema.SCHEMA if "CREATE TABLE evidence" in s)

    def add_evidence() -> Op[None]:
        yield from execute(evidence_table)

    monkeypatch.setitem(_schema.TABLES_AT, 0, _schema.TABLES - {"evidence"})
    with pytest.raises(SchemaError, match="needs a migration"):
        PostgresStorage(postgres_server.url, schema=schema, create=False)

    def broken() -> Op[None]:
        yield from execute(evidence_table)
        yield from execute("SELECT no_such_function()")

    monkeypatch.setitem(_schema.MIGRATIONS, 0, broken)
    with pytest.raises(StorageError):
        PostgresStorage(postgres_server.url, schema=schema)
    assert [("0",)] == run(
        postgres_server, schema, "SELECT value FROM {}.store_meta WHERE name = 'schema_version'"
    )
    monkeypatch.setitem(_schema.MIGRATIONS, 0, add_evidence)
    store = PostgresStorage(postgres_server.url, schema=schema)
    campaign, _ = sample_campaign()
    store.add_campaign(campaign)
    assert 0 == store.evidence(campaign.id).delivered
    store.close()
    assert [(str(SCHEMA_VERSION),)] == run(
        postgres_server, schema, "SELECT value FROM {}.store_meta WHERE name = 'schema_version'"
    )


def test_forget_refuses_a_pseudonym_collision(
    postgres_server: TemporaryPostgres, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two forgotten numbers of one campaign with the same pseudonym: StorageError, and
    nothing of the second forget is written."""
    monkeypatch.setattr(_store, "pseudonym", lambda salt, number: "+999000000000001")
    store = PostgresStorage(postgres_server.url, schema=schema)
    campaign, _ = sample_campaign()
    store.add_campaign(campaign)
    first, second = sample_messages(campaign, 2)
    store.add_messages([first, second])
    reply = Reply(id="r", recipient=second.recipient, at=T0, text="hi", campaign_id=campaign.id)
    store.record_reply(reply)
    assert 1 == store.forget(first.recipient)
    with pytest.raises(StorageError, match="same pseudonym"):
        store.forget(second.recipient)
    assert second == store.get_message(second.id)
    assert [reply] == store.replies(campaign.id)
    store.close()


@pytest.fixture
def small(postgres_server: TemporaryPostgres, schema: str) -> Iterator[PostgresStorage]:
    store = PostgresStorage(
        postgres_server.url, schema=schema, max_size=1, lock_timeout=timedelta(seconds=5)
    )
    yield store
    store.close()


def test_no_connection_to_lend_is_a_clear_error(
    postgres_server: TemporaryPostgres, small: PostgresStorage
) -> None:
    """Its one connection busy past the pool's wait: StorageError saying why; a pool closed
    under a caller's feet: StorageError too."""
    campaign, _ = sample_campaign()
    small.add_campaign(campaign)
    pool = small._driver._pool
    assert pool is not None
    pool.timeout = 0.2
    blocker = psycopg.connect(postgres_server.conninfo)
    blocker.execute(
        sql.SQL("SELECT 1 FROM {}.campaigns FOR UPDATE").format(sql.Identifier(small.schema))
    )
    busy = threading.Thread(
        target=lambda: small.update_campaign(campaign.start(at=T0).campaign), daemon=True
    )
    busy.start()
    time.sleep(0.1)  # the one connection waits for the blocker's lock
    with pytest.raises(StorageError, match=r"no connection within 0\.2 s"):
        small.get_campaign(campaign.id)
    blocker.rollback()
    blocker.close()
    busy.join()
    pool.close()
    with pytest.raises(StorageError, match="closed"):
        small.get_campaign(campaign.id)


def test_a_connection_lost_while_committing_may_have_written() -> None:
    """The one case where the outcome is unknown says so: read back before retrying."""
    try:
        psycopg.connect("host=127.0.0.1 port=1 connect_timeout=2")
    except psycopg.OperationalError as error:
        lost = error
    work: Work[None] = Work(Kind.WRITE, lambda: iter(()))  # type: ignore[arg-type, return-value]
    problem = verdict(lost, work=work, began=True, committing=True, broken=True, name="db")
    assert problem is not None
    assert "may or may not have been written" in str(problem)
    reads = Work(Kind.AUTOCOMMIT, work.make, reads_only=True)
    assert verdict(lost, work=reads, began=True, committing=False, broken=True, name="db") is None


def test_both_stores_satisfy_their_contracts(
    postgres_server: TemporaryPostgres, schema: str
) -> None:
    """``PostgresStorage`` is a ``Storage``, ``AsyncPostgresStorage`` an ``AsyncStorage``
    (made outside any event loop: nothing is opened yet)."""
    from sms_campaign_stats.storage import Storage
    from sms_campaign_stats.storage._async_contract import AsyncStorage
    from sms_campaign_stats.storage.postgres import AsyncPostgresStorage

    store = PostgresStorage(postgres_server.url, schema=schema)
    assert isinstance(store, Storage)
    store.close()
    assert isinstance(AsyncPostgresStorage(postgres_server.url, schema=schema), AsyncStorage)


def test_a_batch_leaves_the_planner_settings_as_they_were(
    small: PostgresStorage,
) -> None:
    """The compare-and-set of a batch (locked by id, written by place) changes no planner
    setting: the rest of the transaction plans as the session does, and the batch is written
    with its provider ids."""
    campaign, _event = sample_campaign()
    small.add_campaign(campaign)
    messages = sample_messages(campaign, 3)
    small.add_messages(messages)
    sent = [m.submit(at=T0, provider_message_id=f"p-{m.id}") for m in messages]

    def op() -> Op[tuple[Any, list[Any]]]:
        yield from execute("SET LOCAL enable_seqscan = on")
        written = yield from compare_and_set_messages(sent, ListSets({}), Seen())
        after = yield from fetch_one("SELECT current_setting('enable_seqscan')")
        return after, written

    after, written = small._run(Work(Kind.WRITE, op))
    assert ("on",) == after
    assert [m.version + 1 for m in sent] == [m.version for m in written]
    assert {f"p-{m.id}": m.id for m in messages} == {
        pid: found.id
        for pid, found in small.find_messages_by_provider_ids(f"p-{m.id}" for m in messages).items()
    }


def test_receipts_seek_their_rows_whatever_the_statistics(
    postgres_server: TemporaryPostgres, small: PostgresStorage, schema: str
) -> None:
    """The lookup of a batch's provider ids and the completion check seek through indexes, on a
    table whose statistics say the rows sought are most of it (where a join of the whole array,
    or an EXISTS, scanned the table once per batch)."""
    campaign, _event = sample_campaign()
    small.add_campaign(campaign)
    small.update_campaign(campaign.start(at=T0).campaign)
    small.add_messages(
        m.submit(at=T0, provider_message_id=f"p-{m.id}") for m in sample_messages(campaign, 2000)
    )
    run(postgres_server, schema, "ANALYZE {}.messages")
    run(postgres_server, schema, "ANALYZE {}.provider_ids")
    ids = [f"p-{m.id}" for m in sample_messages(campaign, 1500)]
    with psycopg.connect(postgres_server.conninfo) as connection:
        connection.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        for query, params in ((_BY_PROVIDER_IDS, (ids,)), (_STILL_OPEN, ([campaign.id],))):
            with connection.cursor(binary=True) as cursor:
                cursor.execute("EXPLAIN " + query, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan" not in plan, plan
            assert "Index" in plan, plan
