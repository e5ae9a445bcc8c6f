"""PostgreSQL stores: the conformance suite against a real server, and what only PostgreSQL has
(schemas, timeouts, busy retries, COPY, SKIP LOCKED across processes, fork safety)."""

from __future__ import annotations

from uuid import uuid4

import psycopg
import pytest
from psycopg import sql

from sms_campaign_stats.model import Campaign
from sms_campaign_stats.storage import Change, Orphan, Storage, StorageBase
from sms_campaign_stats.storage.postgres import PostgresStorage
from sms_campaign_stats.testing import T0, StorageConformance, TemporaryPostgres

POISON = "poison"


def fresh_schema() -> str:
    """A schema name no other test uses."""
    return f"t{uuid4().hex}"


def install_poison(server: TemporaryPostgres, schema: str) -> None:
    """A trigger that refuses the orphan report of provider id ``poison`` as it is written: a
    failure in the middle of a commit, after every other kind of item but completions and
    evidence."""
    with psycopg.connect(server.conninfo, autocommit=True) as connection:
        connection.execute(
            sql.SQL(
                "CREATE FUNCTION {}.refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN IF NEW.provider_message_id = 'poison' THEN "
                "RAISE EXCEPTION 'poisoned report'; END IF; RETURN NEW; END $$"
            ).format(sql.Identifier(schema))
        )
        connection.execute(
            sql.SQL(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON {}.orphans "
                "FOR EACH ROW EXECUTE FUNCTION {}.refuse_poison()"
            ).format(sql.Identifier(schema), sql.Identifier(schema))
        )


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
        poison = Orphan(provider_message_id=POISON, report={"n": 0}, received_at=T0)
        return Change(orphans=[poison])
