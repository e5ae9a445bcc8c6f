"""The hot paths that build messages without the validators (``Message._replace``,
``built_message``, the stores' row decoding) give what the validating paths give."""

from __future__ import annotations

import json
from datetime import timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_campaign_stats import BounceReason, Message, MessageStatus, Outcome
from sms_campaign_stats.model import built_message, trusted_message
from sms_campaign_stats.storage.sqlite._schema import (
    _attempts,
    _attempts_json,
    json_array,
    outcome_of,
    reason_of,
    status_of,
)
from sms_campaign_stats.testing import T0

from ..strategies import messages


def _rebuilt(message: Message) -> Message:
    return attrs.evolve(message)  # through the validating constructor: the shape derived anew


@given(messages(3), st.integers(0, 3))
def test_transitions_derive_the_constructors_shape(message: Message, step: int) -> None:
    """Every transition's result (the shape kept when no counted field changes, derived
    otherwise) counts as the same message built by the constructor."""
    assert _rebuilt(message)._shape.key == message._shape.key
    if message.status is MessageStatus.QUEUED:
        waiting = message.wait_until(T0 + timedelta(minutes=step), zone="Europe/Paris")
        assert waiting._shape is message._shape  # only the due time and zone changed
        assert _rebuilt(waiting) == waiting
        assert _rebuilt(waiting)._shape.key == waiting._shape.key


@given(messages(3))
def test_built_and_trusted_messages_are_the_constructors(message: Message) -> None:
    """``built_message`` (fields in order) and ``trusted_message`` (a mapping, ``zone`` and
    ``due_at`` optional) build the message the constructor builds."""
    values = attrs.asdict(message, recurse=False)
    built = built_message(*values.values())
    assert message == built
    assert message._shape.key == built._shape.key
    assert message == trusted_message(values)
    if message.zone is None and message.due_at is None:
        del values["zone"], values["due_at"]
        assert message == trusted_message(values)


@given(messages(3))
def test_attempts_read_back_as_written(message: Message) -> None:
    """The attempts' JSON decodes to the attempts written."""
    text = _attempts_json(message.attempts)
    assert message.attempts == _attempts(text)
    if text is not None:
        assert json.loads(text) == json_array(text)


def test_json_other_than_ours_is_read_as_json_loads_reads_it() -> None:
    """White space around the value, or text after it: ``json.loads`` decides (same errors)."""
    assert [[1, 2]] == json_array(" [[1, 2]] ")
    assert [1] == json_array("[1]\n")
    with pytest.raises(json.JSONDecodeError):
        json_array("[1] x")
    with pytest.raises(json.JSONDecodeError):
        json_array("")


def test_words_are_read_as_the_enums_read_them() -> None:
    """Each status, reason and outcome word is its member; an unknown word fails the same."""
    assert all(status_of(s.value) is s for s in MessageStatus)
    assert all(reason_of(r.value) is r for r in BounceReason)
    assert reason_of(None) is None
    assert all(outcome_of(o.value) is o for o in Outcome)
    for read, kind in (
        (status_of, MessageStatus),
        (reason_of, BounceReason),
        (outcome_of, Outcome),
    ):
        with pytest.raises(ValueError, match="nonsense"):
            read("nonsense")
        with pytest.raises(ValueError, match="nonsense"):
            kind("nonsense")
