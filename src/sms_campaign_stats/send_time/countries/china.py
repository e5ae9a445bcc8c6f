"""China: marketing SMS 07:00-21:00, as Huawei Cloud's message service enforces (reference 2.2)."""

from __future__ import annotations

from sms_campaign_stats.send_time._rules import CountryRule, Source
from sms_campaign_stats.send_time._windows import WeeklySchedule

__all__ = ["RULES"]

RULES: tuple[CountryRule, ...] = (
    CountryRule(
        id="cn-smn",
        country="CN",
        title="China, marketing SMS",
        schedule=WeeklySchedule.every_day("07:00", "21:00"),
        sources=(
            Source(
                "PROV",
                "Huawei Cloud SMN: not outside 07:00-21:00 except user-triggered messages: "
                "https://support.huaweicloud.com/en-us/usermanual-smn/smn_ug_a8000.html",
            ),
        ),
        notes="issue 16: checked; no regulator text with hours was found, the provider's rule "
        "is kept",
    ),
)
