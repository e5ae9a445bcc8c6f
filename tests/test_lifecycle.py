"""Lifecycle tables: every (state, event) pair of messages and campaigns, driven from the tables."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from sms_campaign_stats import BounceReason, Campaign, CampaignStatus, Message, MessageStatus
from sms_campaign_stats.errors import InvalidTransitionError
from sms_campaign_stats.lifecycle import (
    CAMPAIGN_TRANSITIONS,
    MESSAGE_TRANSITIONS,
    CampaignEvent,
    MessageEvent,
    TimelineKind,
)
from sms_campaign_stats.model import CAMPAIGN_EVENT_TIMELINE_KIND, CampaignChange
from sms_campaign_stats.testing import T0, sample_campaign

AT = T0 + timedelta(hours=1)


def message_in(status: MessageStatus) -> Message:
    """A valid message in ``status``, built through legal transitions only."""
    queued = Message(
        id="m", campaign_id="c", recipient="+33612345678", list_ids=["l"], queued_at=T0
    )
    processing = queued.submit(at=T0, provider_message_id="p1")
    return {
        MessageStatus.QUEUED: queued,
        MessageStatus.PROCESSING: processing,
        MessageStatus.DELIVERED: processing.deliver(at=AT),
        MessageStatus.SOFT_BOUNCE: processing.soft_bounce(
            BounceReason.RECIPIENT_UNREACHABLE, at=AT
        ),
        MessageStatus.HARD_BOUNCE: processing.hard_bounce(
            BounceReason.NUMBER_DOES_NOT_EXIST, at=AT
        ),
        MessageStatus.CANCELLED: queued.cancel(at=AT),
    }[status]


def apply_message_event(message: Message, event: MessageEvent) -> Message:
    """Apply ``event`` through the public method that carries it."""
    if event is MessageEvent.SUBMIT:
        return message.submit(at=AT, provider_message_id="p2")
    if event is MessageEvent.DELIVER:
        return message.deliver(at=AT)
    if event is MessageEvent.SOFT_BOUNCE:
        return message.soft_bounce(BounceReason.EXPIRED_AT_OPERATOR, at=AT)
    if event is MessageEvent.HARD_BOUNCE:
        return message.hard_bounce(BounceReason.BLOCKED_BY_RECIPIENT_OR_OPERATOR, at=AT)
    if event is MessageEvent.REQUEUE:
        return message.requeue(BounceReason.HANDSET_TEMPORARY_ERROR)
    return message.cancel(at=AT)


@pytest.mark.parametrize(
    ("state", "event"), list(itertools.product(MessageStatus, MessageEvent)), ids=str
)
def test_every_message_pair(state: MessageStatus, event: MessageEvent) -> None:
    """Legal pairs lead where the table says; illegal ones raise and change nothing."""
    message = message_in(state)
    expected = MESSAGE_TRANSITIONS[state].get(event)
    if expected is None:
        with pytest.raises(InvalidTransitionError) as caught:
            apply_message_event(message, event)
        assert (state.value, event.value) == (caught.value.state, caught.value.event)
        assert state.value in str(caught.value)
        assert event.value in str(caught.value)
        assert state == message.status
    else:
        assert expected == apply_message_event(message, event).status


@pytest.mark.parametrize("state", list(MessageStatus), ids=str)
def test_final_message_states_are_terminal(state: MessageStatus) -> None:
    """DELIVERED, SOFT_BOUNCE, HARD_BOUNCE and CANCELLED allow no event; the others do."""
    final = {
        MessageStatus.DELIVERED,
        MessageStatus.SOFT_BOUNCE,
        MessageStatus.HARD_BOUNCE,
        MessageStatus.CANCELLED,
    }
    assert (state in final) == state.is_final
    assert (state in final) == (not MESSAGE_TRANSITIONS[state])


def campaign_in(status: CampaignStatus) -> Campaign:
    """A valid campaign in ``status``, through legal transitions."""
    draft, _ = sample_campaign()
    sending = draft.start(at=T0).campaign
    return {
        CampaignStatus.DRAFT: draft,
        CampaignStatus.SCHEDULED: draft.schedule(AT, at=T0).campaign,
        CampaignStatus.SENDING: sending,
        CampaignStatus.SUSPENDED: sending.suspend(at=AT, reason="test").campaign,
        CampaignStatus.COMPLETED: sending.complete(at=AT).campaign,
        CampaignStatus.CANCELLED: draft.cancel(at=AT).campaign,
    }[status]


def apply_campaign_event(campaign: Campaign, event: CampaignEvent) -> CampaignChange:
    """Apply ``event`` through the public method that carries it."""
    if event is CampaignEvent.EDIT_CONTENT:
        return campaign.edit_content("New text", at=AT)
    if event is CampaignEvent.SCHEDULE:
        return campaign.schedule(AT + timedelta(days=1), at=AT)
    if event is CampaignEvent.START:
        return campaign.start(at=AT)
    if event is CampaignEvent.SUSPEND:
        return campaign.suspend(at=AT, reason="hard-bounce rate 9% > 5%", evidence={"rate": 0.09})
    if event is CampaignEvent.RESUME:
        return campaign.resume(at=AT, reason="list cleaned")
    if event is CampaignEvent.COMPLETE:
        return campaign.complete(at=AT)
    return campaign.cancel(at=AT, reason="wrong list")


@pytest.mark.parametrize(
    ("state", "event"), list(itertools.product(CampaignStatus, CampaignEvent)), ids=str
)
def test_every_campaign_pair(state: CampaignStatus, event: CampaignEvent) -> None:
    """Legal pairs lead where the table says and leave a history event; illegal ones raise."""
    campaign = campaign_in(state)
    expected = CAMPAIGN_TRANSITIONS[state].get(event)
    if expected is None:
        with pytest.raises(InvalidTransitionError) as caught:
            apply_campaign_event(campaign, event)
        assert (state.value, event.value) == (caught.value.state, caught.value.event)
        assert state == campaign.status
        return
    new, entry = apply_campaign_event(campaign, event)
    assert expected == new.status
    assert CAMPAIGN_EVENT_TIMELINE_KIND[event] == entry.kind
    assert (campaign.id, AT) == (entry.campaign_id, entry.at)


def test_campaign_history_details() -> None:
    """History entries carry what happened: content before, schedule, suspension evidence."""
    change = Campaign.create(
        id="c", name="n", sender="Shop", content="Hello", list_ids=["a"], at=T0
    )
    assert TimelineKind.CREATED == change.event.kind
    assert {
        "name": "n",
        "sender": "Shop",
        "list_ids": ["a"],
        "segments": 1,
        "unit_price": "0",
        "currency": "EUR",
    } == change.event.details
    edited = change.campaign.edit_content("x" * 161, at=AT)
    assert {"previous_content": "Hello", "previous_segments": 1, "segments": 2} == (
        edited.event.details
    )
    scheduled = edited.campaign.schedule(AT, at=T0)
    assert AT == scheduled.campaign.scheduled_at
    assert {"send_at": AT.isoformat()} == scheduled.event.details
    suspended = scheduled.campaign.start(at=AT).campaign.suspend(
        at=AT, reason="rate", evidence={"rate": 0.2, "threshold": 0.1, "sample": 400}
    )
    assert {"reason": "rate", "evidence": {"rate": 0.2, "threshold": 0.1, "sample": 400}} == (
        suspended.event.details
    )
    assert {} == suspended.campaign.resume(at=AT).event.details


@pytest.mark.parametrize(
    ("state", "event"), list(itertools.product(MessageStatus, MessageEvent)), ids=str
)
def test_transitions_keep_every_invariant(state: MessageStatus, event: MessageEvent) -> None:
    """Transitions build their result without re-running the validators; rebuilding it through
    the validating constructor proves nothing was broken on the way."""
    import attrs

    if event not in MESSAGE_TRANSITIONS[state]:
        return
    result = apply_message_event(message_in(state), event)
    assert result == attrs.evolve(result)
