"""Both built-in stores, with a fault injected: a pseudonym collision when a number is forgotten;
the in-memory store failing at each of a commit's writes in turn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sms_campaign_stats import InMemoryStorage, SQLiteStorage
from sms_campaign_stats.errors import StorageError
from sms_campaign_stats.model import Campaign, Reply
from sms_campaign_stats.storage import StorageBase, _memory
from sms_campaign_stats.storage.sqlite import _store as _sqlite
from sms_campaign_stats.testing import T0, sample_campaign, sample_messages
from sms_campaign_stats.testing._storage import _World


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_forget_refuses_a_pseudonym_collision(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two forgotten numbers of one campaign with the same pseudonym (a 1 in 10**12 chance):
    a StorageError, and nothing of the second forget is written."""
    store: StorageBase = InMemoryStorage() if kind == "memory" else SQLiteStorage(tmp_path / "f.db")
    module = _memory if kind == "memory" else _sqlite
    monkeypatch.setattr(module, "pseudonym", lambda salt, number: "+999000000000001")
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


class InjectedWriteError(Exception):
    """Raised by a write of the in-memory store, after it wrote."""


def failing_at(store: InMemoryStorage, write: int | None) -> list[int]:
    """Make ``store``'s ``write``-th write from now on raise once it is done (``None``: none);
    the count of writes so far, in a list that grows with them."""
    writes: list[int] = []
    for name in ("_set", "_append", "_put"):
        original = getattr(store, name)

        def counted(*arguments: object, _original: Any = original) -> None:
            _original(*arguments)
            writes.append(1)
            if len(writes) == write:
                raise InjectedWriteError(f"write {write}")

        setattr(store, name, counted)
    return writes


def test_memory_commit_undoes_its_writes_whichever_fails() -> None:
    """A commit of every kind of item that fails at its first write, its second, ..., its
    last: each time the store reads exactly as before, and a commit after it succeeds."""
    counting = InMemoryStorage()
    world = _World.stored(counting, _stored(counting))
    writes = failing_at(counting, None)
    counting.commit(world.everything())
    assert len(writes) >= 20  # each item of the change, one write at least

    for write in range(1, len(writes) + 1):
        store = InMemoryStorage()
        world = _World.stored(store, _stored(store))
        before = world.snapshot()
        failing_at(store, write)
        with pytest.raises(InjectedWriteError):
            store.commit(world.everything())
        assert before == world.snapshot(), f"write {write}"
    failing_at(store, None)
    store.commit(world.everything())


def _stored(store: StorageBase) -> Campaign:
    campaign, created = sample_campaign()
    store.add_campaign(campaign, events=[created])
    return campaign


def test_memory_forget_undoes_its_writes_whichever_fails() -> None:
    """``forget`` failing at any of its writes leaves the in-memory store as it was."""

    def stored() -> tuple[InMemoryStorage, _World]:
        store = InMemoryStorage()
        world = _World.stored(store, _stored(store))
        store.commit(world.everything())
        store.block(world.new_reply.recipient, reason="unsubscribed", at=T0)
        store.add_orphan("late-9", {"to": world.new_reply.recipient}, received_at=T0)
        return store, world

    store, world = stored()
    writes = failing_at(store, None)
    assert store.forget(world.new_reply.recipient) >= 5
    assert len(writes) >= 5
    for write in range(1, len(writes) + 1):
        store, world = stored()
        before = (world.snapshot(), store.orphans(["late-9"]), store.blocked(world.numbers))
        failing_at(store, write)
        with pytest.raises(InjectedWriteError):
            store.forget(world.new_reply.recipient)
        after = (world.snapshot(), store.orphans(["late-9"]), store.blocked(world.numbers))
        assert before == after, f"write {write}"
