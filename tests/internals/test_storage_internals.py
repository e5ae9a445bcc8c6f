"""Both built-in stores, with a fault injected: a pseudonym collision when a number is forgotten."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms_campaign_stats import InMemoryStorage, SQLiteStorage, Storage
from sms_campaign_stats.errors import StorageError
from sms_campaign_stats.model import Reply
from sms_campaign_stats.storage import _memory
from sms_campaign_stats.storage.sqlite import _store as _sqlite
from sms_campaign_stats.testing import T0, sample_campaign, sample_messages


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_forget_refuses_a_pseudonym_collision(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two forgotten numbers of one campaign with the same pseudonym (a 1 in 10**12 chance):
    a StorageError, and nothing of the second forget is written."""
    store: Storage = InMemoryStorage() if kind == "memory" else SQLiteStorage(tmp_path / "f.db")
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
