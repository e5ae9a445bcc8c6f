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


@given(messages(3), st.data())
def test_a_receipt_finds_the_attempt_the_first_search_finds(
    message: Message, data: st.DataObject
) -> None:
    """``attempt_of``'s short cut (the last attempt, sent whole) finds what a search from the
    first attempt finds, for every id any attempt or part has."""
    from sms_campaign_stats.engine._transitions import attempt_of

    ids = [pid for a in message.attempts for pid in a.provider_ids]
    if not ids:
        return
    pid = data.draw(st.sampled_from(ids))
    first = next(i for i, a in enumerate(message.attempts) if pid in a.provider_ids)
    assert first == attempt_of(message, pid)


def test_an_id_two_attempts_share_is_the_first_ones() -> None:
    """Were two attempts known by one id, the first is the one meant (as before the short cut);
    a message in parts is searched part by part."""
    from sms_campaign_stats.engine._transitions import attempt_of
    from sms_campaign_stats.model import trusted_attempt

    sent = (
        Message(id="m", campaign_id="c", recipient="+33612345678", list_ids=(), queued_at=T0)
        .submit(at=T0, provider_message_id="p")
        .requeue(BounceReason.PROVIDER_UNKNOWN_FAILURE)
        .submit(at=T0, provider_message_id="q")
    )
    twice = attrs.evolve(sent, attempts=(sent.attempts[0], trusted_attempt(2, T0, "p", None, None)))
    assert 0 == attempt_of(twice, "p")
    assert 1 == attempt_of(sent, "q")
    parts = sent.requeue(None).submit(at=T0, part_ids=("r1", "r2"))
    assert 2 == attempt_of(parts, "r2")
    with pytest.raises(StopIteration):
        attempt_of(sent, None)
