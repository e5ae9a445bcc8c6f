"""``CampaignEngine.inbound`` (on an ``InMemoryStorage``) with any sender and text.

The first line is the sender, the rest the SMS text (undecodable bytes become lone surrogates:
see the known finding in fuzz/README.md, skipped here until engine.py is fixed).
Run: ``python fuzz/fuzz_inbound.py fuzz/corpus/inbound``.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import bounded, instrument, main

instrument(__name__)

from sms_campaign_stats import CampaignEngine, InMemoryStorage, ValidationError  # noqa: E402

AT = datetime(2025, 3, 4, 10, 0, tzinfo=timezone.utc)
_ENGINE = CampaignEngine(InMemoryStorage(), default_region="FR")
_SEEN = [0]


def test_one_input(data: bytes) -> None:
    """One input: ``sender\\ntext``."""
    global _ENGINE
    _SEEN[0] += 1
    if _SEEN[0] % 10_000 == 0:  # the store keeps every reply: start afresh now and then
        _ENGINE = CampaignEngine(InMemoryStorage(), default_region="FR")
    sender, _, text = data.decode("utf-8", "surrogateescape").partition("\n")
    engine = _ENGINE
    found = bounded(lambda: engine.inbound(sender, text, AT), (ValidationError,))
    if found is not None and found.kind not in ("reply", "unsubscribe"):
        raise AssertionError(f"unexpected kind {found.kind!r}")


if __name__ == "__main__":
    main(test_one_input)
