"""South Africa: the Consumer Protection Act's times for direct marketing (reference 2.2).

The law forbids Sundays, public holidays, Saturdays outside 09:00-13:00 and other days outside
08:00-20:00. It is about the time a message is dispatched: one dispatched inside the window is
compliant even if received later.
"""

from __future__ import annotations

from sms_campaign_stats.send_time._rules import CountryRule, Source
from sms_campaign_stats.send_time._windows import HolidayCalendar, WeeklySchedule

__all__ = ["RULES"]

RULES: tuple[CountryRule, ...] = (
    CountryRule(
        id="za-cpa-2011",
        country="ZA",
        title="South Africa, direct marketing (CPA s.12, regulation 4)",
        schedule=WeeklySchedule.from_spec(
            {"mon-fri": [("08:00", "20:00")], "sat": [("09:00", "13:00")]}
        ),
        holidays=HolidayCalendar("ZA"),
        sources=(
            Source(
                "LAW",
                "Consumer Protection Act 2008, section 12 and regulation 4, prohibited times: "
                "https://www.acts.co.za/consumer-protection-act-2008/r293_prohibited_ti"
                "me_for_contacting_consumers",
            ),
        ),
        notes="the law is about dispatch time: a message dispatched in the window is compliant",
    ),
)
