"""Taiwan: promotional SMS in two windows a day, 09:00-12:30 and 13:30-21:00 (reference 2.2)."""

from __future__ import annotations

from sms_campaign_stats.send_time._rules import CountryRule, Source
from sms_campaign_stats.send_time._windows import WeeklySchedule

__all__ = ["RULES"]

RULES: tuple[CountryRule, ...] = (
    CountryRule(
        id="tw-twilio",
        country="TW",
        title="Taiwan, promotional SMS (two windows a day)",
        schedule=WeeklySchedule.from_spec({"mon-sun": [("09:00", "12:30"), ("13:30", "21:00")]}),
        sources=(
            Source(
                "PROV",
                "Twilio, Taiwan guidelines: prohibited 12:30-13:30 and 21:00-09:00: "
                "https://www.twilio.com/en/guidelines/tw/sms",
            ),
        ),
    ),
)
