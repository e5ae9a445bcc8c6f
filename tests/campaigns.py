"""A campaign stored for a test: created (its CREATED event in its history) in one call, with the
fields most tests share and those they change given by name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sms_campaign_stats import Campaign
from sms_campaign_stats.engine import SendMessage
from sms_campaign_stats.storage import StorageBase


def add_campaign(
    store: StorageBase,
    campaign_id: str,
    *,
    at: datetime,
    lists: Sequence[str] = ("a",),
    name: str | None = None,
    sender: str = "MyShop",
    content: str = "Sale! STOP 36111",
    unit_price: Decimal = Decimal("0.05"),
) -> Campaign:
    """A DRAFT campaign created at ``at`` and stored with its history (``name``: the id
    capitalised by default)."""
    change = Campaign.create(
        id=campaign_id,
        name=campaign_id.title() if name is None else name,
        sender=sender,
        content=content,
        list_ids=list(lists),
        at=at,
        unit_price=unit_price,
    )
    store.add_campaign(change.campaign, events=[change.event])
    return change.campaign


def sends(actions: Iterable[Any]) -> list[SendMessage]:
    """The ``SendMessage`` actions among ``actions``, in order."""
    return [a for a in actions if isinstance(a, SendMessage)]
