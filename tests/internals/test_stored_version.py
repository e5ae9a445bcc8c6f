"""A store hands back each message it wrote at its new version (``stored_version``): the same
message as the validating constructor builds, shape included."""

from __future__ import annotations

from datetime import timedelta

import attrs

from sms_campaign_stats import BounceReason, Message
from sms_campaign_stats.model import stored_version
from sms_campaign_stats.testing import T0, sample_campaign


def _histories() -> list[Message]:
    planned = Message.for_campaign(
        sample_campaign()[0], id="m1", recipient="+33612345678", list_ids=("a", "b"), queued_at=T0
    )
    sent = planned.submit(at=T0 + timedelta(minutes=1), part_ids=("p1", "p2"))
    return [
        planned,
        sent,
        sent.deliver(at=T0 + timedelta(minutes=2)),
        sent.hard_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=T0 + timedelta(minutes=2)),
    ]


def test_stored_version_is_the_message_at_that_version() -> None:
    """Every field, the version aside, and the shared shape are the message's own."""
    for message in _histories():
        stored = stored_version(message, message.version + 1)
        expected = attrs.evolve(message, version=message.version + 1)
        assert expected == stored
        assert message.version + 1 == stored.version
        assert expected._shape is stored._shape
        assert message.version == _histories()[0].version  # the value given is unchanged
