"""Jordan: no promotional SMS between 21:00 and 07:00 (TRC; reference 2.2)."""

from __future__ import annotations

from sms_campaign_stats.send_time._rules import CountryRule, Source
from sms_campaign_stats.send_time._windows import WeeklySchedule

__all__ = ["RULES"]

RULES: tuple[CountryRule, ...] = (
    CountryRule(
        id="jo-trc",
        country="JO",
        title="Jordan, promotional SMS",
        schedule=WeeklySchedule.every_day("07:00", "21:00"),
        sources=(
            Source(
                "VEND",
                "AMEinfo, Jordan restricts promotional SMS at night: "
                "https://www.ameinfo.com/tech-and-mobility/jordan-restricts-promotional"
                "-smss-at-night/",
            ),
        ),
        notes="issue 16: checked; the TRC decision itself was not reachable, the press report "
        "is kept",
    ),
)
