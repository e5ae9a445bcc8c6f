"""Shared test configuration: hypothesis profiles."""

from __future__ import annotations

import os
from collections.abc import Iterator

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
