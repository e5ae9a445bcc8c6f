"""Every public engine method at instants near year 1 and year 9999: a result or the library's
typed error, never an ``OverflowError`` (issue 13, item 3)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_campaign_stats import CampaignEngine, InMemoryStorage, parse_vonage_receipt
from sms_campaign_stats.engine import SendMessage
from sms_campaign_stats.errors import SmsCampaignStatsError, ValidationError
from sms_campaign_stats.lifecycle import MessageStatus

from .campaigns import add_campaign

UTC = timezone.utc
TUESDAY = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
FR_MOBILE = "+33612345678"

#: Instants at both ends of what ``datetime`` can hold, in UTC.
EXTREMES = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, 0, 0, 1, tzinfo=UTC),
    datetime(1, 1, 2, 12, tzinfo=UTC),
    datetime(1, 1, 8, tzinfo=UTC),
    datetime(1, 2, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(9999, 12, 31, 22, 30, tzinfo=UTC),
    datetime(9999, 12, 31, tzinfo=UTC),
    datetime(9999, 12, 20, tzinfo=UTC),
    datetime(9999, 1, 1, tzinfo=UTC),
]


def _engine() -> tuple[CampaignEngine, str]:
    """An engine on a fresh in-memory store with one campaign planned at a normal time: one
    message queued (the number) and the campaign sending."""
    store = InMemoryStorage()
    add_campaign(store, "spring", at=TUESDAY - timedelta(days=1))
    engine = CampaignEngine(store)
    actions = engine.plan("spring", {"a": [FR_MOBILE]}, TUESDAY).actions
    send = next(a for a in actions if isinstance(a, SendMessage))
    return engine, send.message_id


def _soft(provider_id: str) -> Any:
    return parse_vonage_receipt({"messageId": provider_id, "status": "failed", "err-code": "2"})


def _calls(engine: CampaignEngine, message_id: str) -> dict[str, Callable[[datetime], object]]:
    return {
        "plan": lambda at: engine.plan("spring", {"b": ["+33698765432"]}, at),
        "assign_zone": lambda at: engine.assign_zone(message_id, "Europe/Paris", at),
        "due": lambda at: engine.due(message_id, at),
        "due_many": lambda at: engine.due_many([message_id], at),
        "due_retries": lambda at: engine.due_retries(at),
        "submitted": lambda at: engine.submitted(message_id, "p-1", at),
        "submitted_many": lambda at: engine.submitted_many({message_id: "p-1"}, at),
        "handle": lambda at: engine.handle(_soft("p-1"), at),
        "handle_many": lambda at: engine.handle_many([_soft("p-1")], at),
        "inbound": lambda at: engine.inbound(FR_MOBILE, "STOP", at),
        "expire": lambda at: engine.expire(at),
        "resume": lambda at: engine.resume("spring", at),
        "cancel": lambda at: engine.cancel("spring", at),
    }


METHODS = sorted(_calls(*_engine()))


def _only_library_errors(call: Callable[[datetime], object], at: datetime) -> None:
    # a typed error is the documented answer; anything else fails the test
    with contextlib.suppress(SmsCampaignStatsError):
        call(at)


@pytest.mark.parametrize("at", EXTREMES, ids=lambda at: at.isoformat())
@pytest.mark.parametrize("method", METHODS)
def test_every_engine_method_at_the_ends_of_time(method: str, at: datetime) -> None:
    """Each method on its own, at each extreme: a result or a library error."""
    engine, message_id = _engine()
    _only_library_errors(_calls(engine, message_id)[method], at)


@pytest.mark.parametrize("at", EXTREMES, ids=lambda at: at.isoformat())
def test_a_whole_lifecycle_at_the_ends_of_time(at: datetime) -> None:
    """Every method in turn on the same store (submitted, then a soft bounce handled, then
    the retries asked for...), each at the same extreme instant."""
    engine, message_id = _engine()
    for method in [
        "submitted",
        "submitted_many",
        "handle",
        "due_retries",
        "due",
        "due_many",
        "handle_many",
        "inbound",
        "expire",
        "assign_zone",
        "plan",
        "resume",
        "cancel",
    ]:
        _only_library_errors(_calls(engine, message_id)[method], at)


@given(
    st.sampled_from(METHODS),
    st.datetimes(
        min_value=datetime(1, 1, 1),
        max_value=datetime(1, 3, 1),
        timezones=st.just(UTC),
    )
    | st.datetimes(
        min_value=datetime(9998, 10, 1),
        max_value=datetime(9999, 12, 31, 23, 59, 59, 999999),
        timezones=st.just(UTC),
    ),
)
def test_engine_methods_any_instant_near_the_ends(method: str, at: datetime) -> None:
    engine, message_id = _engine()
    _only_library_errors(_calls(engine, message_id)["submitted"], TUESDAY)
    _only_library_errors(_calls(engine, message_id)[method], at)


@pytest.mark.parametrize(
    ("method", "at"),
    [
        ("inbound", datetime(1, 1, 1, tzinfo=UTC)),
        ("expire", datetime(1, 1, 1, tzinfo=UTC)),
        ("plan", datetime(9999, 12, 31, 22, 30, tzinfo=UTC)),
    ],
)
def test_issue_reproductions_give_a_validation_error_naming_now(method: str, at: datetime) -> None:
    """The issue's reproductions: each was an OverflowError."""
    engine, message_id = _engine()
    with pytest.raises(ValidationError) as raised:
        _calls(engine, message_id)[method](at)
    assert raised.value.field in {"now", "at"}


def test_a_soft_bounce_handled_at_year_9999_is_a_typed_error() -> None:
    engine, message_id = _engine()
    engine.submitted(message_id, "p-1", TUESDAY)
    with pytest.raises(ValidationError, match="now") as raised:
        engine.handle(_soft("p-1"), datetime(9999, 12, 31, tzinfo=UTC))
    assert "now" == raised.value.field
    with pytest.raises(ValidationError, match="at"):
        engine.submitted(message_id, "p-2", datetime(9999, 12, 31, tzinfo=UTC))
    with pytest.raises(ValidationError, match="at") as raised:
        engine.submitted_many({message_id: "p-2"}, datetime(9999, 12, 31, tzinfo=UTC))
    assert "at" == raised.value.field
    stored = engine.storage.get_message(message_id)  # nothing of the refused events was stored
    assert (MessageStatus.PROCESSING, 1) == (stored.status, len(stored.attempts))
