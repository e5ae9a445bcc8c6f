"""Saudi Arabia: promotional SMS 08:00-22:00 Saudi time (a vendor summary; reference 2.2)."""

from __future__ import annotations

from sms_campaign_stats.send_time._rules import CountryRule, Source
from sms_campaign_stats.send_time._windows import WeeklySchedule

__all__ = ["RULES"]

RULES: tuple[CountryRule, ...] = (
    CountryRule(
        id="sa-citc",
        country="SA",
        title="Saudi Arabia, promotional SMS",
        schedule=WeeklySchedule.every_day("08:00", "22:00"),
        sources=(
            Source(
                "VEND",
                "Tawasol, SMS regulations: https://tawasolsms.com/en/sms-regulations-you-must-know",
            ),
        ),
    ),
)
