"""Thailand: no marketing SMS between 21:00 and 09:00 (reference 2.2)."""

from __future__ import annotations

from sms_campaign_stats.send_time._rules import CountryRule, Source
from sms_campaign_stats.send_time._windows import WeeklySchedule

__all__ = ["RULES"]

RULES: tuple[CountryRule, ...] = (
    CountryRule(
        id="th-twilio",
        country="TH",
        title="Thailand, marketing SMS",
        schedule=WeeklySchedule.every_day("09:00", "21:00"),
        sources=(
            Source(
                "PROV", "Twilio, Thailand guidelines: https://www.twilio.com/en/guidelines/th/sms"
            ),
        ),
    ),
)
