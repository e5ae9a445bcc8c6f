"""Messages handed to a provider, in a stored campaign that is sending."""

from __future__ import annotations

from sms_campaign_stats.model import Message
from sms_campaign_stats.storage import Change, StorageBase
from sms_campaign_stats.testing import T0, sample_campaign, sample_messages


def sent(store: StorageBase, count: int) -> list[Message]:
    """``count`` messages of a started campaign, submitted at ``T0`` as ``p-<id>``."""
    campaign, event = sample_campaign()
    store.commit(Change(new_campaigns=(campaign,), events=(event,)))
    store.update_campaign(campaign.start(at=T0).campaign)
    submitted = [
        m.submit(at=T0, provider_message_id=f"p-{m.id}") for m in sample_messages(campaign, count)
    ]
    store.add_messages(submitted)
    return submitted
