"""Both built-in stores: the conformance suite, and reports from aggregates == from messages."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings

from sms_campaign_stats import (
    InMemoryStorage,
    Message,
    SQLiteStorage,
    Storage,
    ValidationError,
    report_for,
)
from sms_campaign_stats.engine import CampaignEngine, SendMessage
from sms_campaign_stats.model import Campaign, Reply, Unsubscribe
from sms_campaign_stats.providers import parse_vonage_receipt
from sms_campaign_stats.reports import report_from_messages
from sms_campaign_stats.storage import (
    ORPHAN_MAX_AGE,
    ORPHAN_MAX_COUNT,
    CampaignCounts,
    Change,
    Evidence,
    Orphan,
    StorageBase,
)
from sms_campaign_stats.testing import T0, StorageConformance, sample_campaign

from .strategies import CAMPAIGN, campaign_data

_files = itertools.count()


class FullDisk:
    """A report value that cannot be copied: the in-memory store copies a report as it writes
    it, so a change holding one fails in the middle of its writes, as a full disk would."""

    def __deepcopy__(self, memo: dict[int, object]) -> FullDisk:
        raise OSError("no space left on device")


class TestInMemoryStorage(StorageConformance):
    """The in-memory store passes the storage contract."""

    def make_storage(self) -> Storage:
        """A new in-memory store."""
        return InMemoryStorage()

    def inject_commit_failure(self, store: StorageBase, campaign: Campaign) -> Change:
        """An orphan report that fails as it is written (after the campaigns, the messages,
        the history, the inbound items and the blocks)."""
        poison = Orphan(provider_message_id="poison", report={"x": FullDisk()}, received_at=T0)
        return Change(orphans=[poison])


def sqlite_failure(campaign: Campaign) -> Change:
    """Evidence that SQLite refuses only as it writes it (beyond a 64-bit integer), after every
    other part of the change but the completions."""
    return Change(evidence=[Evidence(campaign_id=campaign.id, delivered=2**63)])


class TestSQLiteFile(StorageConformance):
    """The SQLite store on a file passes the storage contract."""

    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        self.directory = tmp_path

    def make_storage(self) -> Storage:
        """A new SQLite file in the test's directory."""
        return SQLiteStorage(self.directory / f"store-{next(_files)}.db")

    def inject_commit_failure(self, store: StorageBase, campaign: Campaign) -> Change:
        """A value SQLite refuses at write time."""
        return sqlite_failure(campaign)


class TestSQLiteMemory(StorageConformance):
    """The SQLite store on ":memory:" passes the storage contract."""

    def make_storage(self) -> Storage:
        """A new private in-memory SQLite database."""
        return SQLiteStorage(":memory:")

    def inject_commit_failure(self, store: StorageBase, campaign: Campaign) -> Change:
        """A value SQLite refuses at write time."""
        return sqlite_failure(campaign)


#: The methods of the contract (``Storage``), and ``close``.
CONTRACT = frozenset(
    name for name in dir(Storage) if not name.startswith("_") and callable(getattr(Storage, name))
) | {"close"}


class ContractOnly:
    """A store that implements the contract alone, without ``StorageBase`` (here by lending an
    in-memory store's methods of the contract, and nothing else)."""

    def __init__(self) -> None:
        self._store = InMemoryStorage()

    def __getattr__(self, name: str) -> object:
        if name not in CONTRACT:
            raise AttributeError(name)
        return getattr(self._store, name)


class TestContractOnlyStorage(StorageConformance):
    """A store with the contract's methods only passes the suite: it gives the store
    ``StorageBase``'s conveniences, which go through the store's own ``commit``."""

    def make_storage(self) -> Storage:
        """A store without conveniences."""
        store = ContractOnly()
        assert not hasattr(store, "add_messages")
        return cast(Storage, store)

    def inject_commit_failure(self, store: StorageBase, campaign: Campaign) -> Change:
        """The in-memory store's failure, through the contract-only store's commit."""
        return TestInMemoryStorage().inject_commit_failure(store, campaign)


def _lent(name: str) -> Callable[..., Any]:
    def method(self: Any, *arguments: Any, **options: Any) -> Any:
        return getattr(self.inner, name)(*arguments, **options)

    method.__name__ = name
    return method


def _lend_inner(self: Any) -> None:
    self.inner = InMemoryStorage()


#: A ``StorageBase`` that implements only its abstract methods (and ``close``), lent by an
#: in-memory store: every other method is ``StorageBase``'s default, derived from them.
DefaultsOnly = cast(
    "type[StorageBase]",
    type(
        "DefaultsOnly",
        (StorageBase,),
        {
            "__init__": _lend_inner,
            **{name: _lent(name) for name in (*StorageBase.__abstractmethods__, "close")},
        },
    ),
)


class TestStorageBaseDefaults(StorageConformance):
    """``StorageBase``'s conveniences and defaults (``campaign_counts``, ``iter_due``,
    ``iter_stale``, ``take_orphans``, ``latest_message_to``, ...) keep the contract, derived
    from the fourteen methods a store writes."""

    def make_storage(self) -> Storage:
        """A store of the fourteen methods alone."""
        store = DefaultsOnly()
        assert type(store).iter_due is StorageBase.iter_due
        return store

    def inject_commit_failure(self, store: StorageBase, campaign: Campaign) -> Change:
        """The in-memory store's failure, through the lent commit."""
        return TestInMemoryStorage().inject_commit_failure(store, campaign)


def test_contract_has_seventeen_methods() -> None:
    """The contract is the fourteen methods ``StorageBase`` leaves abstract, and three it gives
    defaults (``campaign_counts``, ``iter_due``, ``iter_stale``)."""
    assert 17 + 1 == len(CONTRACT)
    assert CONTRACT - {"close", "campaign_counts", "iter_due", "iter_stale"} == (
        StorageBase.__abstractmethods__
    )


def test_storage_base_is_abstract() -> None:
    """A subclass of ``StorageBase`` that leaves a method of the contract out cannot be made."""

    class Partial(StorageBase):
        pass

    with pytest.raises(TypeError, match="abstract"):
        Partial()  # type: ignore[abstract]


def test_conformance_base_needs_a_factory() -> None:
    """Forgetting make_storage() gives a clear error, not a silent pass."""
    with pytest.raises(TypeError, match="must define make_storage"):
        StorageConformance().make_storage()
    store, (campaign, _) = InMemoryStorage(), sample_campaign()
    assert StorageConformance().inject_commit_failure(store, campaign) is None  # skipped


def test_stores_satisfy_the_protocol() -> None:
    """Both stores are Storage at runtime (a structural check)."""
    assert isinstance(InMemoryStorage(), Storage)
    assert isinstance(SQLiteStorage(":memory:"), Storage)
    assert isinstance(ContractOnly(), Storage)
    assert isinstance(InMemoryStorage(), StorageBase)
    assert isinstance(SQLiteStorage(":memory:"), StorageBase)


@pytest.fixture(scope="module")
def sqlite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for the property tests' database files."""
    return tmp_path_factory.mktemp("prop")


def stores(directory: Path) -> Iterator[StorageBase]:
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


# forget(): reports exactly as before ------------------------------------------------------


def engine_campaign(store: StorageBase) -> list[str]:
    """A campaign run through the engine: outcomes of every kind, replies and STOPs; the
    numbers it was sent to."""
    campaign, created = sample_campaign("c", lists=("a", "b"))
    store.add_campaign(campaign, events=[created])
    engine = CampaignEngine(store)
    numbers = [f"+336123{i:05d}" for i in range(30)]
    planned = engine.plan("c", {"a": numbers[:20], "b": numbers[10:]}, T0)
    outcomes = [("delivered", "0"), ("failed", "3"), ("rejected", "6"), ("failed", "1")]
    sends = [a for a in planned.actions if isinstance(a, SendMessage)]
    for index, action in enumerate(sends):
        engine.submitted(action.message_id, f"p{index}", T0)
        status, code = outcomes[index % 4]
        engine.handle(
            parse_vonage_receipt({"messageId": f"p{index}", "status": status, "err-code": code}),
            T0 + timedelta(minutes=1),
        )
    for index, action in enumerate(sends[:9]):
        text = "STOP" if index % 3 == 0 else f"thanks {index}"
        engine.inbound(action.recipient, text, T0 + timedelta(hours=1), inbound_id=f"in{index}")
    return [a.recipient for a in sends]


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_forget_keeps_every_report_exactly(kind: str, tmp_path: Path) -> None:
    """Forgetting every number, one by one, of a campaign run through the engine: the report,
    its dict, the history and the timeline are exactly as before; blocked numbers stay blocked
    and no stored value holds a number any more."""
    store: StorageBase = InMemoryStorage() if kind == "memory" else SQLiteStorage(tmp_path / "f.db")
    numbers = engine_campaign(store)
    report = report_for(store, "c").to_dict()
    history = store.timeline("c")
    blocked = store.blocked(numbers)
    assert blocked  # hard bounces and STOPs
    for number in numbers:
        assert store.forget(number) >= 1
        assert report == report_for(store, "c").to_dict()
    assert history == store.timeline("c")
    assert blocked == store.blocked(numbers)
    stored = [m.recipient for m in store.iter_messages("c")]
    stored += [r.recipient for r in store.replies("c")]
    stored += [u.recipient for u in store.unsubscribes("c")]
    assert all(recipient.startswith("+999") for recipient in stored)
    assert {""} == {r.text for r in store.replies("c")} | {
        u.keyword for u in store.unsubscribes("c")
    }
    if isinstance(store, SQLiteStorage):
        text = "\n".join(sqlite3.connect(store.path).iterdump())
        assert not [n for n in numbers if n in text or n[1:] in text]
    store.close()


def _bounded(kind: str, tmp_path: Path, **bounds: Any) -> StorageBase:
    if kind == "memory":
        return InMemoryStorage(**bounds)
    return SQLiteStorage(tmp_path / "bounded.db", **bounds)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_orphans_are_kept_in_a_bounded_number(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Past ``orphan_max_count`` kept reports, the oldest are evicted, with a WARNING: fake
    receipts cannot grow a store without limit."""
    store = _bounded(kind, tmp_path, orphan_max_count=3)
    with caplog.at_level("WARNING", logger="sms_campaign_stats"):
        for n in range(5):
            store.add_orphan(f"p-{n}", {"n": n}, received_at=T0 + timedelta(seconds=n))
    assert ["p-2", "p-3", "p-4"] == [
        o.provider_message_id for o in store.orphans([f"p-{n}" for n in range(5)])
    ]
    assert 2 == sum("evicted" in r.getMessage() for r in caplog.records)
    store.close()


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_orphans_are_kept_for_a_bounded_age(kind: str, tmp_path: Path) -> None:
    """A report received more than ``orphan_max_age`` before the newest kept one is evicted
    when a newer one is kept (the store has no clock: age is counted between reports)."""
    store = _bounded(kind, tmp_path, orphan_max_age=timedelta(days=1))
    store.add_orphan("old", {"n": 1}, received_at=T0)
    store.add_orphan("recent", {"n": 2}, received_at=T0 + timedelta(hours=20))
    assert 2 == len(store.orphans(["old", "recent"]))
    store.add_orphan("new", {"n": 3}, received_at=T0 + timedelta(days=2))
    assert ["new"] == [o.provider_message_id for o in store.orphans(["old", "recent", "new"])]
    store.close()


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@pytest.mark.parametrize(
    ("bounds", "field"),
    [
        ({"orphan_max_age": timedelta(0)}, "orphan_max_age"),
        ({"orphan_max_age": 3600}, "orphan_max_age"),
        ({"orphan_max_count": 0}, "orphan_max_count"),
        ({"orphan_max_count": True}, "orphan_max_count"),
    ],
)
def test_orphan_bounds_are_checked(
    kind: str, bounds: dict[str, Any], field: str, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match=field):
        _bounded(kind, tmp_path, **bounds)


def test_orphan_bounds_have_documented_defaults() -> None:
    assert (timedelta(days=7), 100_000) == (ORPHAN_MAX_AGE, ORPHAN_MAX_COUNT)
