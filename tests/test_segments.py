"""SMS segment counting (GSM 03.38 / 3GPP TS 23.038 and TS 23.040)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_campaign_stats.model import Encoding, segment_info

BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"  # noqa: E501
EXTENSION = "\f^{}\\[~]|€"


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", Encoding.GSM7, 0, 1),
        ("a" * 160, Encoding.GSM7, 160, 1),
        ("a" * 161, Encoding.GSM7, 161, 2),
        ("a" * 306, Encoding.GSM7, 306, 2),
        ("a" * 307, Encoding.GSM7, 307, 3),
        ("€" * 80, Encoding.GSM7, 160, 1),
        ("€" * 81, Encoding.GSM7, 162, 2),
        # 152 septets then an extension character: it cannot straddle, so it opens part 2.
        ("a" * 152 + "€" + "a" * 7, Encoding.GSM7, 161, 2),
        ("a" * 152 + "€" + "a" * 152, Encoding.GSM7, 306, 3),
        ("ê" * 70, Encoding.UCS2, 70, 1),
        ("ê" * 71, Encoding.UCS2, 71, 2),
        ("ê" * 134, Encoding.UCS2, 134, 2),
        ("ê" * 135, Encoding.UCS2, 135, 3),
        ("😀" * 35, Encoding.UCS2, 70, 1),
        ("😀" * 36, Encoding.UCS2, 72, 2),
        # 66 units then a surrogate pair: it cannot be split, so it opens part 2.
        ("ê" * 66 + "😀" + "ê" * 3, Encoding.UCS2, 71, 2),
        ("Ça coûte 10 €", Encoding.UCS2, 13, 1),
        ("Prix: 10€", Encoding.GSM7, 10, 1),
        ("ç", Encoding.UCS2, 1, 1),  # only capital Ç is in the default alphabet
    ],
)
def test_segment_table(text: str, encoding: Encoding, units: int, segments: int) -> None:
    """Known lengths around every boundary."""
    info = segment_info(text)
    assert (encoding, units, segments) == (info.encoding, info.units, info.segments)


@given(st.text(alphabet=BASIC, max_size=2000))
def test_plain_gsm_formula(text: str) -> None:
    """Without extension characters: 160 in one part, else 153 per part."""
    expected = 1 if len(text) <= 160 else math.ceil(len(text) / 153)
    info = segment_info(text)
    assert (Encoding.GSM7, len(text), expected) == (info.encoding, info.units, info.segments)


@given(st.text(alphabet=BASIC + EXTENSION, max_size=2000))
def test_extension_characters_take_two_septets(text: str) -> None:
    """Extension characters count twice and never make fewer parts than the plain formula."""
    info = segment_info(text)
    units = len(text) + sum(char in EXTENSION for char in text)
    assert (Encoding.GSM7, units) == (info.encoding, info.units)
    lower = 1 if units <= 160 else math.ceil(units / 153)
    upper = 1 if units <= 160 else math.ceil(units / 152)
    assert lower <= info.segments <= upper


@given(st.text(min_size=1, max_size=600), st.text(max_size=600))
def test_longer_text_never_needs_fewer_segments(prefix: str, suffix: str) -> None:
    """Appending text never reduces the segment count within one encoding."""
    whole, start = segment_info(prefix + suffix), segment_info(prefix)
    if whole.encoding == start.encoding:
        assert whole.segments >= start.segments
    assert (whole.encoding is Encoding.GSM7) == all(c in BASIC + EXTENSION for c in prefix + suffix)
