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


def test_edges_of_the_renderings() -> None:
    """An empty table, a report without its message or activity, a campaign not sent yet, a
    campaign of several days (the time chart per day), a UCS-2 message."""
    from datetime import datetime, timedelta, timezone

    import attrs

    from sms_campaign_stats.render import _charts, _html, _text
    from sms_campaign_stats.reports import Activity, HourFigures, report_from_messages
    from sms_campaign_stats.testing import sample_campaign

    words = localizer("fr")
    assert "localizer('fr')" == repr(words)
    assert [] == _text.table(None, [], right=[False])
    campaign, _ = sample_campaign()
    report = report_from_messages(campaign, [], activity=True)
    assert "" == _text.message_summary(words, attrs.evolve(report, message=None))
    assert _text.send_window(words, report) is None
    page = _html.campaign_report_html(report, words=words)
    assert "Aucun résultat pour l\u2019instant." in page
    assert "Aucun destinataire." in page
    start = datetime(2026, 3, 2, tzinfo=timezone.utc)
    days = Activity(
        first_submitted_at=start,
        last_submitted_at=start,
        last_outcome_at=start + timedelta(days=9),
        regions=(),
        outcomes_per_hour=(
            HourFigures(start=start, delivered=5, soft_bounces=0, hard_bounces=0),
            HourFigures(
                start=start + timedelta(days=9), delivered=1, soft_bounces=1, hard_bounces=0
            ),
        ),
    )
    size, rows = _charts.buckets(
        [(h.start, (h.delivered, h.soft_bounces, h.hard_bounces)) for h in days.outcomes_per_hour]
    )
    assert timedelta(hours=6) == size  # 217 hours in at most 48 columns
    assert 37 == len(rows)
    assert "2 mars" == _charts.time_label(words, start, timedelta(days=1))
    assert days.duration == timedelta(days=9)
    assert Activity.of_messages([]).duration is None
    unicode = attrs.evolve(campaign, content="Soldes ☀️ -20 %")
    assert "UCS-2" in report_from_messages(unicode, []).to_text()
