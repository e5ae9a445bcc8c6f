"""Phone numbers are masked in the repr of every value that holds one, and in error messages."""

from __future__ import annotations

import importlib
import inspect
import pickle
from collections.abc import Callable
from datetime import datetime, timezone

import attrs
import pytest

import sms_campaign_stats
from sms_campaign_stats import (
    Campaign,
    InMemoryStorage,
    Message,
    SmsCampaignStatsError,
    SQLiteStorage,
    ValidationError,
    check_number,
    parse_vonage_receipt,
)
from sms_campaign_stats.errors import DuplicateError, NotFoundError

NUMBER_FIELDS = {"recipient", "e164", "raw", "details"}
#: Fields with those names that hold no phone number.
NOT_NUMBERS = {("ProviderTime", "raw")}  # a provider's time text
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc)


def _public_attrs_classes() -> list[type]:
    found = []
    modules = [sms_campaign_stats]
    modules += [
        importlib.import_module(f"sms_campaign_stats.{name}")
        for name in (
            "engine",
            "phone_numbers",
            "model",
            "reports",
            "retry",
            "suspension",
            "providers",
        )
    ]
    for module in modules:
        for _, value in inspect.getmembers(module, inspect.isclass):
            if attrs.has(value) and value not in found:
                found.append(value)
    return found


CLASSES = _public_attrs_classes()


def test_the_classes_holding_numbers_are_found() -> None:
    holding = {c.__name__ for c in CLASSES if NUMBER_FIELDS & {f.name for f in attrs.fields(c)}}
    assert {
        "Message",
        "Reply",
        "Unsubscribe",
        "Block",
        "NumberCheck",
        "Recipient",
        "SendMessage",
        "BlockRecipient",
        "NeedsZone",
        "DeliveryReport",  # its raw payload and details (a Twilio "To", a Vonage "msisdn")
    } <= holding


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_number_fields_are_masked_in_repr(cls: type) -> None:
    for field in attrs.fields(cls):
        if field.name in NUMBER_FIELDS and (cls.__name__, field.name) not in NOT_NUMBERS:
            assert field.repr is not True, f"{cls.__name__}.{field.name} is shown in full"


def test_reprs_show_no_full_number() -> None:
    campaign, _ = Campaign.create(
        id="c", name="n", sender="MyShop", content="hi", list_ids=["a"], at=NOW
    )
    message = Message.for_campaign(
        campaign, id="m", recipient="+33612345678", list_ids=["a"], queued_at=NOW
    )
    for value in (message, check_number("06 12 34 56 78", default_region="FR")):
        assert "612345678" not in repr(value)
        assert "+336******78" in repr(value)


@pytest.mark.parametrize("store_type", [InMemoryStorage, SQLiteStorage])
def test_errors_mask_numbers(store_type: type) -> None:
    store = InMemoryStorage() if store_type is InMemoryStorage else SQLiteStorage(":memory:")
    campaign, created = Campaign.create(
        id="c", name="n", sender="MyShop", content="hi", list_ids=["a"], at=NOW
    )
    store.add_campaign(campaign, events=[created])
    first = Message.for_campaign(
        campaign, id="m1", recipient="+33612345678", list_ids=["a"], queued_at=NOW
    )
    store.add_messages([first])
    with pytest.raises(DuplicateError) as duplicate:
        store.add_messages([attrs.evolve(first, id="m2")])
    with pytest.raises(ValidationError) as invalid:
        Message.for_campaign(
            campaign, id="m3", recipient="+0612345678", list_ids=["a"], queued_at=NOW
        ).submit(at=NOW)
    for error in (duplicate.value, invalid.value):
        assert "612345678" not in str(error), str(error)


@pytest.mark.parametrize(
    "call",
    [
        lambda: parse_vonage_receipt({"messageId": "x", "status": "+33612345678"}),
        lambda: Campaign.create(
            id="c", name="n", sender="+3361234567890123", content="x", list_ids=["a"], at=NOW
        ),
        lambda: NotFoundError("message", "+33612345678"),
    ],
    ids=["parser", "validation", "lookup"],
)
def test_every_error_message_masks_numbers(call: Callable[[], object]) -> None:
    """Whatever raises it, an error's message masks the numbers it quotes (it may be logged)."""
    try:
        error = call()
    except SmsCampaignStatsError as raised:
        error = raised
    assert isinstance(error, SmsCampaignStatsError)
    assert "+336" in str(error)
    assert "612345678" not in str(error)
    assert str(error) == str(pickle.loads(pickle.dumps(error)))  # noqa: S301 - our own object
