"""Shared test configuration: hypothesis profiles."""

from __future__ import annotations

import os
from collections.abc import Iterator
from uuid import uuid4

from hypothesis import HealthCheck, settings

# CI runs a fixed, larger search (derandomized, so a failure reproduces); local runs explore.
settings.register_profile(
    "ci",
    max_examples=200,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


# A throwaway PostgreSQL server for the whole run ----------------------------------------------

import pytest  # noqa: E402

from sms_campaign_stats import InMemoryStorage, SQLiteStorage  # noqa: E402
from sms_campaign_stats.storage import StorageBase  # noqa: E402
from sms_campaign_stats.testing import PostgresUnavailableError, TemporaryPostgres  # noqa: E402


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TemporaryPostgres]:
    """One PostgreSQL server for the run, started here and removed at the end. Under
    ``CI=true`` a server that cannot start fails the run; elsewhere its tests skip."""
    try:
        import psycopg  # noqa: F401
    except ImportError as error:  # pragma: no cover - the test extra installs it
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL tests need psycopg (the postgres extra): {error}")
        pytest.skip("PostgreSQL tests need psycopg: pip install 'sms-campaign-stats[postgres]'")
    server = TemporaryPostgres()
    try:
        server.start()
    except PostgresUnavailableError as error:  # pragma: no cover - depends on the machine
        if os.environ.get("CI"):
            pytest.fail(f"CI=true and no PostgreSQL server could be started: {error}")
        pytest.skip(f"no PostgreSQL server could be started: {error}")
    yield server
    server.stop()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def each_store(request: pytest.FixtureRequest) -> Iterator[StorageBase]:
    """Each built-in store, fresh: in memory, SQLite (``:memory:``), PostgreSQL (a schema of its
    own on the session's server). A module's ``store`` fixture may simply return it."""
    if request.param == "memory":
        yield InMemoryStorage()
        return
    if request.param == "sqlite":
        opened: StorageBase = SQLiteStorage(":memory:")
    else:
        server = request.getfixturevalue("postgres_server")
        from sms_campaign_stats.storage.postgres import PostgresStorage

        opened = PostgresStorage(server.url, schema=f"t{uuid4().hex}")
    yield opened
    opened.close()
