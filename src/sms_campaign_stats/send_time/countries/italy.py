"""Italy: no marketing SMS between 22:00 and 08:00, nor on Sundays (reference 2.2)."""

from __future__ import annotations

from sms_campaign_stats.send_time._rules import CountryRule, Source
from sms_campaign_stats.send_time._windows import WeeklySchedule

__all__ = ["RULES"]

RULES: tuple[CountryRule, ...] = (
    CountryRule(
        id="it-twilio",
        country="IT",
        title="Italy, marketing SMS",
        schedule=WeeklySchedule.from_spec({"mon-sat": [("08:00", "22:00")]}),
        sources=(
            Source(
                "PROV",
                "Twilio, Italy guidelines: no marketing 10PM to 8AM and all day on Sunday: "
                "https://www.twilio.com/en/guidelines/it/sms",
            ),
        ),
    ),
)
