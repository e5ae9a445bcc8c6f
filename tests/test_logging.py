"""The library logs under its own name, prints nothing by default, and masks numbers."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import sms_campaign_stats
from sms_campaign_stats import (
    CampaignEngine,
    InMemoryStorage,
    SendMessage,
    SuspendCampaign,
    parse_vonage_receipt,
)
from sms_campaign_stats.suspension import Metric, ThresholdPolicy

from .campaigns import add_campaign

NOW = datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc)  # Tuesday, 10:00 in Paris
SOURCE = Path(sms_campaign_stats.__file__).parent


def test_only_a_null_handler_is_installed() -> None:
    handlers = logging.getLogger("sms_campaign_stats").handlers
    assert [logging.NullHandler] == [type(h) for h in handlers]


def test_every_logger_is_named_after_its_module() -> None:
    """Loggers are created with ``__name__`` only, so they all sit under sms_campaign_stats."""
    paths = sorted(SOURCE.rglob("*.py"))
    assert any(path.parent.name == "engine" for path in paths)  # subpackages are walked too
    for path in paths:
        for call in re.findall(r"getLogger\(([^)]*)\)", path.read_text(encoding="utf-8")):
            assert "__name__" == call, f"{path.name}: getLogger({call})"


def test_no_output_by_default() -> None:
    """A warning from the library reaches no stream unless the application configures logging."""
    code = (
        "import logging, sms_campaign_stats\n"
        "logging.getLogger('sms_campaign_stats.engine').warning('campaign x suspended')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert ("", "") == (result.stdout, result.stderr)


def _engine() -> CampaignEngine:
    store = InMemoryStorage()
    add_campaign(store, "promo", at=NOW, lists=("vip",), content="-20% today! STOP 36111")
    hair_trigger = ThresholdPolicy(
        metric=Metric.HARD_BOUNCE_RATE, warn_at=0.1, suspend_at=0.2, min_sample=1
    )
    return CampaignEngine(store, default_region="FR", suspension=hair_trigger)


def test_a_suspension_is_a_warning_record(caplog: pytest.LogCaptureFixture) -> None:
    engine = _engine()
    planned = engine.plan("promo", {"vip": ["06 12 34 56 78"]}, NOW)
    send = next(a for a in planned.actions if isinstance(a, SendMessage))
    engine.submitted(send.message_id, "p1", send.at)
    with caplog.at_level(logging.DEBUG, logger="sms_campaign_stats"):
        result = engine.handle(
            parse_vonage_receipt({"messageId": "p1", "status": "failed", "err-code": "3"}),
            send.at + timedelta(seconds=5),
        )
    assert any(isinstance(a, SuspendCampaign) for a in result.actions)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert ["sms_campaign_stats.engine._driver"] == [r.name for r in warnings]
    assert "campaign promo suspended" in warnings[0].getMessage()


def test_records_mask_phone_numbers(caplog: pytest.LogCaptureFixture) -> None:
    engine = _engine()
    engine.plan("promo", {"vip": ["06 12 34 56 78"]}, NOW)
    with caplog.at_level(logging.DEBUG, logger="sms_campaign_stats"):
        engine.inbound("+33612345678", "STOP", NOW + timedelta(hours=1))
        engine.handle(parse_vonage_receipt({"messageId": "nobody", "status": "delivered"}), NOW)
    messages = [r.getMessage() for r in caplog.records]
    assert any("opt-out from +336******78" in m for m in messages), messages
    assert any("'nobody' kept as an orphan" in m for m in messages), messages
    assert not any("612345678" in m for m in messages)


def test_a_provider_id_quoting_a_number_is_masked_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Free text from a provider (here an orphan's provider id) is masked like any other."""
    engine = _engine()
    with caplog.at_level(logging.DEBUG, logger="sms_campaign_stats"):
        engine.handle(
            parse_vonage_receipt({"messageId": "to 0612345678", "status": "delivered"}), NOW
        )
    messages = [r.getMessage() for r in caplog.records]
    assert any("kept as an orphan" in m for m in messages), messages
    assert not any("612345678" in m for m in messages), messages
