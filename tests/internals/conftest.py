"""Fixtures of the white-box PostgreSQL tests: a fresh schema name, and two stores on it."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest

from sms_campaign_stats.storage.postgres import PostgresStorage
from sms_campaign_stats.testing import TemporaryPostgres


@pytest.fixture
def schema() -> str:
    return f"t{uuid4().hex}"


@pytest.fixture
def stores(postgres_server: TemporaryPostgres, schema: str) -> Iterator[list[PostgresStorage]]:
    """Two stores on one schema: this worker's, and another's."""
    ours = PostgresStorage(postgres_server.url, schema=schema)
    other = PostgresStorage(postgres_server.url, schema=schema)
    yield [ours, other]
    ours.close()
    other.close()
