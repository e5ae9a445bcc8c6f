"""Domain objects: validation at construction, transitions' effects, masking, cost."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
import pytz

from sms_campaign_stats import BounceReason, Message, MessageStatus, Outcome, ValidationError
from sms_campaign_stats.lifecycle import TimelineKind
from sms_campaign_stats.model import Attempt, Reply, TimelineEvent, Unsubscribe
from sms_campaign_stats.testing import T0, sample_campaign

CAMPAIGN = sample_campaign()[0]


def queued(**changes: Any) -> Message:
    """A valid queued message, with ``changes``."""
    fields: dict[str, Any] = {
        "id": "m1",
        "campaign_id": "c",
        "recipient": "+33612345678",
        "list_ids": ["b", "a", "b"],
        "queued_at": T0,
    }
    fields.update(changes)
    return Message(**fields)


def test_message_defaults_and_canonical_lists() -> None:
    """A new message is queued, unsent, version 0; its lists are sorted without repeats."""
    message = queued()
    assert (MessageStatus.QUEUED, False, 0, 1) == (
        message.status,
        message.sent,
        message.version,
        message.segments,
    )
    assert ("a", "b") == message.list_ids
    assert queued().list_ids is queued(list_ids=("a", "b")).list_ids


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": ""}, "Message.id"),
        ({"id": " m"}, "Message.id"),
        ({"id": "x" * 257}, "Message.id"),
        ({"id": 7}, "Message.id"),
        ({"campaign_id": ""}, "Message.campaign_id"),
        ({"recipient": "0612345678"}, "Message.recipient"),
        ({"recipient": "+0612345678"}, "Message.recipient"),
        ({"recipient": "+1234567890123456"}, "Message.recipient"),
        ({"recipient": 33612345678}, "Message.recipient"),
        ({"list_ids": "newsletter"}, "Message.list_ids"),
        ({"list_ids": [""]}, "Message.list_ids"),
        ({"list_ids": [1, 2]}, "Message.list_ids"),
        ({"list_ids": 5}, "Message.list_ids"),
        ({"queued_at": datetime(2026, 1, 1)}, "Message.queued_at"),
        ({"queued_at": "2026-01-01T00:00:00Z"}, "Message.queued_at"),
        ({"status": "lost"}, "Message.status"),
        ({"bounce_reason": "bad luck"}, "Message.bounce_reason"),
        ({"segments": 0}, "Message.segments"),
        ({"segments": 256}, "Message.segments"),
        ({"segments": True}, "Message.segments"),
        ({"version": -1}, "Message.version"),
        ({"sent": 1}, "Message.sent"),
        ({"attempts": ["x"]}, "Message.attempts"),
        ({"status": "delivered"}, "Message.final_at"),
        ({"status": "soft_bounce", "final_at": T0}, "Message.bounce_reason"),
        (
            {"status": "soft_bounce", "final_at": T0, "bounce_reason": "number_does_not_exist"},
            "Message.bounce_reason",
        ),
        (
            {"status": "hard_bounce", "final_at": T0, "bounce_reason": "landline_number"},
            "Message.bounce_reason",
        ),
        ({"bounce_reason": "number_does_not_exist"}, "Message.bounce_reason"),
        ({"final_at": T0}, "Message.final_at"),
        ({"sent": True}, "Message.sent"),
        ({"sent": True, "submitted_at": T0}, "Message.sent"),
    ],
)
def test_message_validation(changes: dict[str, Any], field: str) -> None:
    """Bad fields raise ValidationError (a ValueError) naming the field."""
    with pytest.raises(ValidationError) as caught:
        queued(**changes)
    assert field == caught.value.field
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(field)


def test_recipient_is_masked_in_errors_and_repr() -> None:
    """Phone numbers never appear whole in a repr or a validation error."""
    with pytest.raises(ValidationError) as caught:
        queued(recipient="0612345678")
    assert "0612345678" not in str(caught.value)
    message = queued()
    assert "+33612345678" not in repr(message)
    assert "+336******78" in repr(message)
    reply = Reply(id="r", recipient="+33612345678", at=T0, text="secret")
    assert "+33612345678" not in repr(reply)
    assert "secret" not in repr(reply)
    assert "+33612345678" not in repr(Unsubscribe(id="u", recipient="+33612345678", at=T0))


def test_datetimes_are_kept_in_utc() -> None:
    """Aware datetimes in any zone (pytz included) are stored as the same instant in UTC."""
    paris = pytz.timezone("Europe/Paris").localize(datetime(2026, 7, 1, 10, 0))
    message = queued(queued_at=paris)
    assert timezone.utc is message.queued_at.tzinfo
    assert datetime(2026, 7, 1, 8, 0, tzinfo=timezone.utc) == message.queued_at
    offset = datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    with pytest.raises(ValidationError, match="outside the representable range"):
        queued(queued_at=offset)


def test_message_transitions_record_attempts() -> None:
    """submit/requeue/submit/deliver keeps every attempt with its provider id and outcome."""
    message = queued()
    first = message.submit(at=T0, provider_message_id="p1")
    assert (MessageStatus.PROCESSING, True, T0) == (first.status, first.sent, first.submitted_at)
    again = first.requeue(BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE, provider_error_code="27")
    assert MessageStatus.QUEUED == again.status
    assert BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE == again.bounce_reason
    later = T0 + timedelta(hours=2)
    throttled = again.submit(at=later, provider_message_id="p2").requeue(
        None, outcome=Outcome.THROTTLED
    )
    assert BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE == throttled.bounce_reason
    done = throttled.submit(at=later, provider_message_id="p3").deliver(at=later)
    assert (MessageStatus.DELIVERED, None, later) == (
        done.status,
        done.bounce_reason,
        done.final_at,
    )
    assert T0 == done.submitted_at
    assert [
        Attempt(
            number=1,
            submitted_at=T0,
            provider_message_id="p1",
            outcome=Outcome.SOFT_BOUNCE,
            provider_error_code="27",
        ),
        Attempt(number=2, submitted_at=later, provider_message_id="p2", outcome=Outcome.THROTTLED),
        Attempt(number=3, submitted_at=later, provider_message_id="p3", outcome=Outcome.DELIVERED),
    ] == list(done.attempts)


def test_bounce_reason_kind_is_checked() -> None:
    """A soft bounce needs a soft reason and a hard bounce a hard one; values are accepted."""
    message = queued().submit(at=T0)
    with pytest.raises(ValidationError, match="not a soft bounce reason"):
        message.soft_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=T0)
    with pytest.raises(ValidationError, match="not a hard bounce reason"):
        message.hard_bounce(BounceReason.LANDLINE_NUMBER, at=T0)
    with pytest.raises(ValidationError, match="is not one of"):
        message.hard_bounce("gone", at=T0)  # type: ignore[arg-type]
    bounced = message.hard_bounce("number_does_not_exist", at=T0, provider_error_code="1")  # type: ignore[arg-type]
    assert BounceReason.NUMBER_DOES_NOT_EXIST == bounced.bounce_reason
    assert (Outcome.HARD_BOUNCE, "1") == (
        bounced.attempts[0].outcome,
        bounced.attempts[0].provider_error_code,
    )


def test_unsent_bounce_has_no_attempt_and_costs_nothing() -> None:
    """An invalid number bounces before sending: no attempt, no cost."""
    message = Message.for_campaign(
        CAMPAIGN, id="m", recipient="+33612345678", list_ids=["newsletter"], queued_at=T0
    ).soft_bounce(BounceReason.INVALID_NUMBER_OR_COUNTRY_CODE, at=T0)
    assert ((), False) == (message.attempts, message.sent)
    assert Decimal(0) == message.cost(Decimal("0.05"))
    sent = queued(segments=3).submit(at=T0)
    assert Decimal("0.15") == sent.cost(Decimal("0.05"))


def test_segments_come_from_the_content() -> None:
    """Message.for_campaign counts segments of the campaign text or of a personalised one."""
    message = Message.for_campaign(
        CAMPAIGN, id="m", recipient="+33612345678", list_ids=[], queued_at=T0, content="ê" * 71
    )
    assert 2 == message.segments
    assert (
        CAMPAIGN.segments
        == Message.for_campaign(
            CAMPAIGN, id="m", recipient="+33612345678", list_ids=[], queued_at=T0
        ).segments
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "Campaign.name"),
        ({"name": "  "}, "Campaign.name"),
        ({"sender": ""}, "Campaign.sender"),
        ({"sender": "ABCDEFGHIJKL"}, "Campaign.sender"),
        ({"sender": "12"}, "Campaign.sender"),
        ({"sender": "1234567890123456"}, "Campaign.sender"),
        ({"sender": "My$hop"}, "Campaign.sender"),
        ({"sender": None}, "Campaign.sender"),
        ({"content": ""}, "Campaign.content"),
        ({"content": "x" * 40_001}, "Campaign.content"),
        ({"content": "ê" * 17_200}, "Campaign.content"),
        ({"unit_price": -1}, "Campaign.unit_price"),
        ({"unit_price": 0.05}, "Campaign.unit_price"),
        ({"unit_price": Decimal("NaN")}, "Campaign.unit_price"),
        ({"unit_price": Decimal("Infinity")}, "Campaign.unit_price"),
        ({"unit_price": "abc"}, "Campaign.unit_price"),
        ({"unit_price": True}, "Campaign.unit_price"),
        ({"unit_price": None}, "Campaign.unit_price"),
        ({"currency": "eur"}, "Campaign.currency"),
        ({"currency": "EURO"}, "Campaign.currency"),
        ({"created_at": datetime(2026, 1, 1)}, "Campaign.created_at"),
        ({"scheduled_at": datetime(2026, 1, 1)}, "Campaign.scheduled_at"),
        ({"status": "paused"}, "Campaign.status"),
        ({"list_ids": None}, "Campaign.list_ids"),
    ],
)
def test_campaign_validation(changes: dict[str, Any], field: str) -> None:
    """Bad campaign fields raise ValidationError naming the field."""
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(CAMPAIGN, **changes)
    assert field == caught.value.field


@pytest.mark.parametrize("sender", ["MyShop", "A", "Shop 24", "ACME-FR", "+33612345678", "38600"])
def test_valid_senders(sender: str) -> None:
    """Alphanumeric sender IDs of up to 11 characters and numbers are accepted."""
    assert sender == attrs.evolve(CAMPAIGN, sender=sender).sender


def test_money_is_exact() -> None:
    """Prices given as str or int become exact Decimals."""
    assert Decimal("0.045") == attrs.evolve(CAMPAIGN, unit_price="0.045").unit_price
    assert Decimal(1) == attrs.evolve(CAMPAIGN, unit_price=1).unit_price


@pytest.mark.parametrize(
    ("kind", "changes", "field"),
    [
        (Attempt, {"number": 0, "submitted_at": T0}, "Attempt.number"),
        (Attempt, {"number": 1, "submitted_at": T0, "outcome": "won"}, "Attempt.outcome"),
        (
            Attempt,
            {"number": 1, "submitted_at": T0, "provider_error_code": ""},
            "Attempt.provider_error_code",
        ),
        (Reply, {"id": "r", "recipient": "+33612345678", "at": T0, "text": 5}, "Reply.text"),
        (Reply, {"id": "r", "recipient": "+3", "at": T0, "text": ""}, "Reply.recipient"),
        (Unsubscribe, {"id": "", "recipient": "+33612345678", "at": T0}, "Unsubscribe.id"),
        (TimelineEvent, {"campaign_id": "c", "at": T0, "kind": "born"}, "TimelineEvent.kind"),
        (
            TimelineEvent,
            {"campaign_id": "c", "at": T0, "kind": "created", "details": {1: 2}},
            "TimelineEvent.details",
        ),
        (
            TimelineEvent,
            {"campaign_id": "c", "at": T0, "kind": "created", "details": {"x": float("nan")}},
            "TimelineEvent.details",
        ),
        (
            TimelineEvent,
            {"campaign_id": "c", "at": T0, "kind": "created", "details": {"x": object()}},
            "TimelineEvent.details",
        ),
        (
            TimelineEvent,
            {"campaign_id": "c", "at": T0, "kind": "created", "details": []},
            "TimelineEvent.details",
        ),
        (
            TimelineEvent,
            {
                "campaign_id": "c",
                "at": T0,
                "kind": "created",
                "details": {"x": {"when": datetime(2026, 1, 1)}},
            },
            "TimelineEvent.details",
        ),
    ],
)
def test_other_validation(kind: type, changes: dict[str, Any], field: str) -> None:
    """Attempts, replies, unsubscribes and history events validate their fields too."""
    with pytest.raises(ValidationError) as caught:
        kind(**changes)
    assert field == caught.value.field


def test_history_details_are_plain_json() -> None:
    """Details are copied and made plain; nesting is bounded."""
    source = {"rate": Decimal("0.5"), "at": T0, "window": timedelta(hours=2), "list": (1, "a")}
    event = TimelineEvent(campaign_id="c", at=T0, kind=TimelineKind.SUSPENDED, details=source)
    source["rate"] = Decimal(9)
    assert {"rate": "0.5", "at": T0.isoformat(), "window": 7200.0, "list": [1, "a"]} == (
        event.details
    )
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(40):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(ValidationError, match="nested more than"):
        TimelineEvent(campaign_id="c", at=T0, kind=TimelineKind.SUSPENDED, details=deep)


def test_suspend_needs_a_reason() -> None:
    """A suspension always says why."""
    sending = CAMPAIGN.start(at=T0).campaign
    with pytest.raises(ValidationError):
        sending.suspend(at=T0, reason="")


def test_messages_pickle_and_copy_with_their_counting_shape() -> None:
    """Pickled and copied messages are equal and still count (their shape is rebuilt)."""
    import copy
    import pickle

    from sms_campaign_stats.storage import CampaignCounts

    message = queued().submit(at=T0, provider_message_id="p").deliver(at=T0)
    for clone in (
        pickle.loads(pickle.dumps(message)),  # noqa: S301 - our own object, in a test
        copy.copy(message),
        copy.deepcopy(message),
    ):
        assert message == clone
        assert CampaignCounts.of_messages([message]) == CampaignCounts.of_messages([clone])


def test_random_histories_keep_every_invariant() -> None:
    """Messages driven through random transition paths rebuild through the validators."""
    from hypothesis import given

    from .strategies import messages

    @given(messages(3))
    def check(message: Message) -> None:
        assert message == attrs.evolve(message)

    check()


def test_a_sibling_is_checked_where_it_differs() -> None:
    """``Message.sibling`` (how planning builds its messages after the first) checks the id,
    the number, the lists, the due time and the zone it is given, and equals the constructor's
    message."""
    campaign, _ = sample_campaign()
    first = Message.for_campaign(
        campaign, id="c:0", recipient="+33612345678", list_ids=["l1"], queued_at=T0
    )
    other = first.sibling(
        id="c:1", recipient="+33698765432", list_ids=["l1"], due_at=T0, zone="Europe/Paris"
    )
    built = Message.for_campaign(
        campaign, id="c:1", recipient="+33698765432", list_ids=["l1"], queued_at=T0
    ).wait_until(T0, zone="Europe/Paris")
    assert built == other
    cases: list[tuple[dict[str, Any], str]] = [
        ({"id": ""}, "Message.id"),
        ({"recipient": "0612345678"}, "Message.recipient"),
        ({"recipient": 7}, "Message.recipient"),
        ({"list_ids": "l1"}, "Message.list_ids"),
        ({"zone": ""}, "Message.zone"),
    ]
    for changes, field in cases:
        arguments: dict[str, Any] = {"id": "c:2", "recipient": "+33611111111", "list_ids": ["l1"]}
        with pytest.raises(ValidationError, match=field):
            first.sibling(**(arguments | changes))
    refused = Message.refused(
        campaign,
        id="c:3",
        recipient="not a number",
        list_ids=["l1"],
        reason=BounceReason.INVALID_NUMBER_OR_COUNTRY_CODE,
        at=T0,
    )
    assert "also not" == refused.sibling(id="c:4", recipient="also not", list_ids=["l1"]).recipient
    with pytest.raises(ValidationError, match="only a queued message"):
        refused.sibling(id="c:5", recipient="x", list_ids=["l1"], due_at=T0)
    with pytest.raises(ValidationError, match="not queued"):
        refused.wait_until(T0)
