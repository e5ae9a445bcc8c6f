"""The helpers behind the renderings: the masking of phone numbers in any text or JSON-like
data, and the flattening of history details into dotted keys."""

from __future__ import annotations

import pytest

from sms_campaign_stats._core.privacy import mask_numbers_in, mask_numbers_in_data
from sms_campaign_stats.lifecycle import BounceReason, CampaignStatus, TimelineKind
from sms_campaign_stats.render import _words, localizer
from sms_campaign_stats.render._text import detail_items


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+33612345678", "+336******78"),
        ("to +33 6 12 34 56 78.", "to +33 ***********78."),
        ("+1-202-555-0143", "+1-2*********43"),
        ("+44.20.7946.0958", "+44.**********58"),
        ("+12345678", "+123***78"),
        ("+1234567", "+1234567"),
        ("+15% or +1 000", "+15% or +1 000"),
        ("+1234567890123456789", "+123**************89"),
        ("a +33612345678, b +447700900123", "a +336******78, b +447*******23"),
        ("no number", "no number"),
        ("", ""),
    ],
)
def test_mask_numbers_in(text: str, expected: str) -> None:
    """E.164-looking numbers (8+ digits, separators tolerated) are masked; nothing else."""
    assert expected == mask_numbers_in(text)


def test_mask_numbers_in_data() -> None:
    """Strings are masked wherever they are in JSON-like data; other values are kept."""
    data = {"+33612345678": [("+33612345679", 3)], "n": None, "x": {"y": 1.5, "z": True}}
    assert {
        "+336******78": [["+336******79", 3]],
        "n": None,
        "x": {"y": 1.5, "z": True},
    } == mask_numbers_in_data(data)


def test_detail_items_flatten() -> None:
    """Nested details become dotted keys; empty containers and non-strings stay JSON."""
    assert [
        ("a.b", "1"),
        ("a.c", "{}"),
        ("d", "[]"),
        ("e", "null"),
        ("f", "é"),
    ] == detail_items({"a": {"b": 1, "c": {}}, "d": [], "e": None, "f": "é"})


def test_every_code_has_words() -> None:
    """Bounce reasons, campaign statuses and history events are words in both languages, never
    the code (issue 15: "reasons as words, not codes")."""
    fr, en = localizer("fr"), localizer("en")
    for reason in BounceReason:
        assert reason in _words.REASON_WORDS
        assert reason.value not in (_words.reason(en, reason), _words.reason(fr, reason))
    for status in CampaignStatus:
        assert _words.campaign_status(fr, status) != status.value
    for kind in TimelineKind:
        assert _words.event_kind(fr, kind) != kind.value
    assert "A new reason" == _words._spelt("a_new_reason")
