"""``python -m sms_campaign_stats``: the ``sms-campaign-stats`` command line."""

from __future__ import annotations

from sms_campaign_stats.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    raise SystemExit(main())
