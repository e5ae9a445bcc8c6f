"""The error hierarchy: builtin bases, structured attributes, pickling."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone

import pytest

from sms_campaign_stats import errors
from sms_campaign_stats.errors import (
    ConflictError,
    DeferralHorizonError,
    DuplicateError,
    InvalidTransitionError,
    MalformedReportError,
    NotFoundError,
    OutsideAllowedHoursError,
    SchemaError,
    SendTimeError,
    SmsCampaignStatsError,
    StorageBusyError,
    StorageError,
    UnknownTimeZoneError,
    ValidationError,
)

AT = datetime(2026, 5, 9, 20, 30, tzinfo=timezone.utc)
EXAMPLES: list[SmsCampaignStatsError] = [
    ValidationError("Message.recipient", "not E.164"),
    InvalidTransitionError("message 'm'", "delivered", "submit", ()),
    InvalidTransitionError("campaign 'c'", "draft", "resume", ("start", "cancel")),
    MalformedReportError("no id field", raw=b"stat:DELIVRD"),
    StorageError("disk full"),
    NotFoundError("campaign", "c"),
    DuplicateError("message", "m", "same recipient"),
    ConflictError("message", "m", 1, 3),
    SchemaError("/tmp/x.db", "newer"),
    StorageBusyError("/tmp/x.db", 5.0),
    UnknownTimeZoneError("Mars/Olympus"),
    OutsideAllowedHoursError("fr-af2m-2024", AT, AT + timedelta(hours=9)),
    OutsideAllowedHoursError("never", AT, None),
    DeferralHorizonError("fr-af2m-2024", AT, timedelta(days=30)),
]


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda e: type(e).__name__)
def test_errors_pickle_with_their_attributes(error: SmsCampaignStatsError) -> None:
    """Errors cross process boundaries intact (worker pools pickle them)."""
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object, in a test
    assert type(error) is type(copy)
    assert str(error) == str(copy)
    assert vars(error) == vars(copy)


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (ValidationError, ValueError),
        (InvalidTransitionError, ValueError),
        (MalformedReportError, ValueError),
        (NotFoundError, LookupError),
        (DuplicateError, ValueError),
        (ConflictError, StorageError),
        (SchemaError, StorageError),
        (StorageBusyError, StorageError),
        (StorageError, SmsCampaignStatsError),
        (UnknownTimeZoneError, ValidationError),
        (OutsideAllowedHoursError, SendTimeError),
        (DeferralHorizonError, SendTimeError),
    ],
)
def test_errors_subclass_what_callers_catch(error: type, builtin: type) -> None:
    """Each error is also the builtin (or branch) a caller would catch."""
    assert issubclass(error, builtin)
    assert issubclass(error, SmsCampaignStatsError)


def test_every_error_is_drawn_in_the_module_docstring() -> None:
    """The tree in the errors module's docstring names every public error."""
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        assert name in doc


def test_messages_say_what_and_where() -> None:
    """Messages carry the field, the state and event, the versions."""
    assert "Message.recipient: not E.164" == str(EXAMPLES[0])
    assert "none: the state is final" in str(EXAMPLES[1])
    assert "allowed events: start, cancel" in str(EXAMPLES[2])
    assert "version 1" in str(EXAMPLES[7])
    assert "version 3" in str(EXAMPLES[7])


def test_masking_edge_cases() -> None:
    """Short strings keep only their ends; non-strings show their type, never their value."""
    from sms_campaign_stats import mask_number

    assert "+***4" == mask_number("+1234")
    assert "*" == mask_number("7")
    assert "<int>" == mask_number(33612345678)
    assert "+336******78" == mask_number("+33612345678")
