"""White-box tests of the providers' private helpers: the parsers' fast constructor."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sms_campaign_stats.providers import DeliveryReport, ErrorCode, ErrorNamespace, ProviderTime
from sms_campaign_stats.providers._report import new_report

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
GSM = ErrorNamespace.GSM_MAP


def test_fast_constructor_builds_the_same_report() -> None:
    """The parsers' constructor and the public one agree field for field."""
    values: dict[str, Any] = {
        "provider": "smpp",
        "provider_message_id": "1",
        "status": "DELIVRD",
        "error": ErrorCode(GSM, "1"),
        "submitted_text": None,
        "done_text": "2401010000",
        "times_in_utc": False,
        "received_at": NOW,
        "segments_submitted": 1,
        "segments_delivered": 1,
        "intermediate": False,
        "details": {"a": "b"},
        "raw": "text",
    }
    built = DeliveryReport(**values)
    fast = new_report(*values.values())
    assert built == fast
    for name in values:
        assert getattr(built, name) == getattr(fast, name)
    assert ProviderTime(datetime(2024, 1, 1), "2401010000") == fast.done_at
