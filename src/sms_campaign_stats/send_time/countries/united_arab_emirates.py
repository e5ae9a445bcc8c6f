"""The United Arab Emirates: promotional SMS 07:00-21:00, any day (TDRA; reference 2.2)."""

from __future__ import annotations

from sms_campaign_stats.send_time._rules import CountryRule, Source
from sms_campaign_stats.send_time._windows import WeeklySchedule

__all__ = ["RULES"]

RULES: tuple[CountryRule, ...] = (
    CountryRule(
        id="ae-tdra",
        country="AE",
        title="United Arab Emirates, promotional SMS",
        schedule=WeeklySchedule.every_day("07:00", "21:00"),
        sources=(
            Source(
                "VEND",
                "Unifonic, UAE SMS compliance (TDRA): https://unifonic.com/en/resources/"
                "navigating-uaes-sms-compliance-landscape-a-guide-for-businesses",
            ),
            Source("PROV", "Twilio, UAE guidelines: https://www.twilio.com/en/guidelines/ae/sms"),
        ),
    ),
)
