"""Both built-in stores: the conformance suite, and reports from aggregates == from messages."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from sms_campaign_stats import (
    CampaignCounts,
    InMemoryStorage,
    Message,
    Reply,
    SQLiteStorage,
    Storage,
    Unsubscribe,
    report_for,
    report_from_messages,
)
from sms_campaign_stats.testing import StorageConformance

from .strategies import CAMPAIGN, campaign_data

_files = itertools.count()


class TestInMemoryStorage(StorageConformance):
    """The in-memory store passes the storage contract."""

    def make_storage(self) -> Storage:
        """A new in-memory store."""
        return InMemoryStorage()


class TestSQLiteFile(StorageConformance):
    """The SQLite store on a file passes the storage contract."""

    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        self.directory = tmp_path

    def make_storage(self) -> Storage:
        """A new SQLite file in the test's directory."""
        return SQLiteStorage(self.directory / f"store-{next(_files)}.db")


class TestSQLiteMemory(StorageConformance):
    """The SQLite store on ":memory:" passes the storage contract."""

    def make_storage(self) -> Storage:
        """A new private in-memory SQLite database."""
        return SQLiteStorage(":memory:")


def test_conformance_base_needs_a_factory() -> None:
    """Forgetting make_storage() gives a clear error, not a silent pass."""
    with pytest.raises(TypeError, match="must define make_storage"):
        StorageConformance().make_storage()


def test_stores_satisfy_the_protocol() -> None:
    """Both stores are Storage at runtime (a structural check)."""
    assert isinstance(InMemoryStorage(), Storage)
    assert isinstance(SQLiteStorage(":memory:"), Storage)


@pytest.fixture(scope="module")
def sqlite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for the property tests' database files."""
    return tmp_path_factory.mktemp("prop")


def stores(directory: Path) -> Iterator[Storage]:
    """A fresh store of each kind."""
    yield InMemoryStorage()
    yield SQLiteStorage(directory / f"p-{next(_files)}.db", durability="normal")


Data = tuple[list[Message], list[Reply], list[Unsubscribe]]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(campaign_data())
def test_report_from_store_equals_report_from_messages(sqlite_dir: Path, data: Data) -> None:
    """For random message sets, both stores' aggregate reports equal the in-memory report,
    and every field of every message round-trips exactly."""
    found, replies, unsubscribes = data
    expected = report_from_messages(CAMPAIGN, found, replies=replies, unsubscribes=unsubscribes)
    for store in stores(sqlite_dir):
        store.add_campaign(CAMPAIGN)
        store.add_messages(found)
        for reply in replies:
            store.record_reply(reply)
        for unsubscribe in unsubscribes:
            store.record_unsubscribe(unsubscribe)
        assert expected == report_for(store, CAMPAIGN.id)
        assert CampaignCounts.of_messages(
            found, replies=replies, unsubscribes=unsubscribes
        ) == store.campaign_counts(CAMPAIGN.id)
        assert sorted(found, key=lambda m: m.id) == sorted(
            store.iter_messages(CAMPAIGN.id, batch_size=7), key=lambda m: m.id
        )
        store.close()
