"""The interned shape a message counts as: counting never depends on the interning."""

from __future__ import annotations

from ..test_model import queued


def test_counting_does_not_depend_on_interning() -> None:
    """Once the intern table is full, equal shapes are separate objects, and counts still merge
    them by value."""
    from sms_campaign_stats._core import shape as _shape
    from sms_campaign_stats.storage import CampaignCounts

    saved = dict(_shape._INTERNED)
    try:
        _shape._INTERNED.clear()
        _shape._INTERNED.update({("filler", i): None for i in range(_shape.MAX_INTERNED)})  # type: ignore[misc]
        first, second = queued(id="a"), queued(id="b", recipient="+33612345679")
        assert first._shape is not second._shape
        counts = CampaignCounts.of_messages([first, second])
        assert [2] == [cell.messages for cell in counts.cells.values()]
    finally:
        _shape._INTERNED.clear()
        _shape._INTERNED.update(saved)
