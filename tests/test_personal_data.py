"""Phone numbers are masked in the repr of every value that holds one, and in error messages."""

from __future__ import annotations

import importlib
import inspect
import json
import pickle
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest

import sms_campaign_stats
from sms_campaign_stats import (
    Campaign,
    CampaignEngine,
    InMemoryStorage,
    Message,
    SendMessage,
    SmsCampaignStatsError,
    SQLiteStorage,
    ValidationError,
    check_number,
    parse_twilio_callback,
    parse_vonage_receipt,
)
from sms_campaign_stats.errors import DuplicateError, NotFoundError
from sms_campaign_stats.storage import StorageBase

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


# --- forget leaves no byte of the number on disk ------------------------------------------------

FORGOTTEN = "+33612345678"
#: The written forms of FORGOTTEN looked for in the files, as text.
WRITTEN_FORMS = ("+33612345678", "33612345678", "0033612345678", "0612345678", "06 12 34 56 78")
TWILIO_TEXT = "The 'To' number {} is not valid."


def _encodings(form: str) -> list[bytes]:
    """ASCII (= UTF-8 for these) and both UTF-16 byte orders (what SQLite would write in a
    UTF-16 database): looked for in each file."""
    return [form.encode("ascii"), form.encode("utf-16-le"), form.encode("utf-16-be")]


def _run_and_forget(store: StorageBase, *, forget: bool = True) -> None:
    """A campaign planned to FORGOTTEN (written as a French user types it), sent; reports: a
    delivery, and orphans (unknown provider ids) quoting the number in free text in each form;
    a reply, an opt-out; then forget."""
    campaign, created = Campaign.create(
        id="c", name="n", sender="MyShop", content="hi", list_ids=["a"], at=NOW
    )
    store.add_campaign(campaign, events=[created])
    engine = CampaignEngine(store, default_region="FR")
    planned = engine.plan("c", {"a": ["06 12 34 56 78", "+33612345699"]}, NOW)
    sends = [a for a in planned.actions if isinstance(a, SendMessage)]
    assert FORGOTTEN in {a.recipient for a in sends}
    for index, action in enumerate(sends):
        engine.submitted(action.message_id, f"SM{index}", NOW)
        engine.handle(
            parse_twilio_callback({"MessageSid": f"SM{index}", "MessageStatus": "delivered"}),
            NOW + timedelta(minutes=1),
        )
    for index, form in enumerate(WRITTEN_FORMS):
        engine.handle(
            parse_twilio_callback(
                {
                    "MessageSid": f"SMorphan{index}",
                    "MessageStatus": "undelivered",
                    "ErrorCode": "21211",
                    "ErrorMessage": TWILIO_TEXT.format(form),
                    "To": FORGOTTEN,
                }
            ),
            NOW + timedelta(minutes=2),
        )
    assert len(store.orphans([f"SMorphan{i}" for i in range(len(WRITTEN_FORMS))])) == len(
        WRITTEN_FORMS
    )
    engine.inbound(FORGOTTEN, "who is this? call me on 06 12 34 56 78", NOW + timedelta(hours=1))
    engine.inbound(FORGOTTEN, "STOP", NOW + timedelta(hours=2))
    if forget:
        assert store.forget(FORGOTTEN) >= 4


def _leftovers(paths: list[Path]) -> list[tuple[str, str]]:
    found = []
    for path in paths:
        data = path.read_bytes() if path.exists() else b""
        found += [
            (path.name, form)
            for form in WRITTEN_FORMS
            if any(encoded in data for encoded in _encodings(form))
        ]
    return found


def test_forget_leaves_no_byte_of_the_number_on_disk(tmp_path: Path) -> None:
    """After forget(), neither the database file nor its -wal and -shm files hold the number in
    any written form (ASCII/UTF-8, UTF-16), while the store is open and after it is closed."""
    path = tmp_path / "forget.db"
    store = SQLiteStorage(path)
    _run_and_forget(store)
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    assert not _leftovers(files)
    # The reports are still there, the number in their text replaced by the pseudonym.
    kept = store.orphans([f"SMorphan{i}" for i in range(len(WRITTEN_FORMS))])
    assert len(kept) == len(WRITTEN_FORMS)
    assert all("+999" in json.dumps(orphan.report) for orphan in kept)
    store.close()
    assert not _leftovers(files)
    # Opened again, nothing comes back.
    again = SQLiteStorage(path)
    assert again.blocked([FORGOTTEN]) == {FORGOTTEN}  # still blocked (the STOP), by its hash
    again.close()
    assert not _leftovers(files)


def test_the_file_really_held_the_number_before_forget(tmp_path: Path) -> None:
    """The scan above finds what it looks for: without forget, the forms are in the files."""
    path = tmp_path / "kept.db"
    store = SQLiteStorage(path)
    _run_and_forget(store, forget=False)
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    assert {form for _, form in _leftovers(files)} >= {"+33612345678", "0612345678"}
    store.close()


@pytest.mark.parametrize("store_type", [InMemoryStorage, SQLiteStorage])
def test_forget_replaces_the_number_in_orphan_texts(store_type: type) -> None:
    """In both stores, the orphan reports' free text no longer holds the number in any form."""
    store: StorageBase = (
        InMemoryStorage() if store_type is InMemoryStorage else SQLiteStorage(":memory:")
    )
    _run_and_forget(store)
    kept = store.orphans([f"SMorphan{i}" for i in range(len(WRITTEN_FORMS))])
    text = json.dumps([orphan.report for orphan in kept], ensure_ascii=False)
    assert len(kept) == len(WRITTEN_FORMS)
    assert not [form for form in WRITTEN_FORMS if form in text]
    assert text.count("+999") >= len(WRITTEN_FORMS)  # in the text of each
    store.close()
