"""Build a campaign in an SQLite file, drive its messages to their outcomes, print the report.

    python examples/quickstart.py [DATABASE]      (default: quickstart.db in this directory)

Running it again on the same file prints the stored report without adding anything. The outcomes
come from a seeded pseudo-random draw standing in for a carrier; the library itself never draws
unseeded randomness, never reads the clock: times are passed in, as a service embedding it would.
"""

from __future__ import annotations

import random
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sms_campaign_stats import BounceReason, Campaign, Message, SQLiteStorage, report_for
from sms_campaign_stats.errors import NotFoundError
from sms_campaign_stats.model import Reply, Unsubscribe

CAMPAIGN_ID = "spring-sale-2026"
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def build(store: SQLiteStorage) -> None:
    """Create the campaign, plan 1,000 messages over two lists, and record what happened."""
    created = Campaign.create(
        id=CAMPAIGN_ID,
        name="Spring sale",
        sender="MyShop",
        content="Spring sale: -20% on everything until Sunday! Reply STOP to opt out.",
        list_ids=["newsletter", "vip"],
        at=START,
        unit_price=Decimal("0.045"),
        currency="EUR",
    )
    started = created.campaign.start(at=START + timedelta(minutes=5))
    store.add_campaign(created.campaign, events=[created.event])
    campaign = store.update_campaign(started.campaign, events=[started.event])

    draw = random.Random(2026)  # noqa: S311 - a simulation, not a secret. The stand-in carrier: seeded, so every run tells the same story
    messages = []
    for index in range(1000):
        lists = ["newsletter", "vip"] if index % 10 == 0 else [draw.choice(["newsletter", "vip"])]
        message = Message.for_campaign(
            campaign,
            id=f"msg-{index}",
            recipient=f"+336{index:08d}",
            list_ids=lists,
            queued_at=START,
        )
        at = START + timedelta(minutes=10, seconds=index)
        roll = draw.random()
        if roll < 0.02:  # caught before sending: never sent, no cost
            message = message.soft_bounce(BounceReason.LANDLINE_NUMBER, at=at)
        elif roll < 0.97:
            message = message.submit(at=at, provider_message_id=f"prov-{index}")
            if roll < 0.90:
                message = message.deliver(at=at + timedelta(seconds=4))
            elif roll < 0.94:
                message = message.soft_bounce(BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE, at=at)
            elif roll < 0.96:
                message = message.hard_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=at)
        messages.append(message)
    store.add_messages(messages)

    for index in range(0, 1000, 37):
        store.record_reply(
            Reply(
                id=f"in-{index}",
                recipient=f"+336{index:08d}",
                at=START + timedelta(hours=1),
                text="Is it valid in store too?",
                campaign_id=CAMPAIGN_ID,
            )
        )
    for index in range(5, 1000, 211):
        store.record_unsubscribe(
            Unsubscribe(
                id=f"stop-{index}",
                recipient=f"+336{index:08d}",
                at=START + timedelta(hours=2),
                keyword="STOP",
                campaign_id=CAMPAIGN_ID,
            )
        )


def main(path: str = "quickstart.db") -> None:
    """Build the campaign if the file does not have it yet, then print its report."""
    store = SQLiteStorage(path)
    try:
        try:
            store.get_campaign(CAMPAIGN_ID)
        except NotFoundError:
            build(store)
        print(report_for(store, CAMPAIGN_ID).to_text(), end="")
    finally:
        store.close()


if __name__ == "__main__":
    main(*sys.argv[1:2])
