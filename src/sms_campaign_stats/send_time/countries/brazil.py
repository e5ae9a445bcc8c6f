"""Brazil: the providers' window for marketing SMS, and the stricter one of short codes.

Reference 2.2: Twilio allows 09:00-22:00 except Sundays; Salesforce gives a stricter carrier
window for short codes, with national holidays closed. Brazil spans several zones: both are
applied in the recipient's local time. The short-code rule is a variant, chosen by id.
"""

from __future__ import annotations

from sms_campaign_stats.send_time._rules import CountryRule, Source
from sms_campaign_stats.send_time._windows import HolidayCalendar, WeeklySchedule

__all__ = ["RULES"]

RULES: tuple[CountryRule, ...] = (
    CountryRule(
        id="br-twilio",
        country="BR",
        title="Brazil, marketing SMS",
        schedule=WeeklySchedule.from_spec({"mon-sat": [("09:00", "22:00")]}),
        sources=(
            Source(
                "PROV",
                "Twilio, Brazil guidelines: 09:00-22:00, no Sunday: "
                "https://www.twilio.com/en/guidelines/br/sms",
            ),
        ),
        notes="Brazil spans several zones: the recipient's local time is used; issue 16: "
        "checked, no statute sets SMS hours (provider and carrier windows only)",
    ),
    CountryRule(
        id="br-short-codes",
        country="BR",
        title="Brazil, short codes (stricter carrier window)",
        schedule=WeeklySchedule.from_spec(
            {"mon-fri": [("08:00", "18:00")], "sat": [("09:00", "13:00")]}
        ),
        holidays=HolidayCalendar("BR"),
        sources=(
            Source(
                "PROV",
                "Salesforce, SMS in Brazil: Mon-Fri 08:00-18:00, Sat 09:00-13:00, no "
                "national holidays: https://help.salesforce.com/s/articleView?id=mktg.u"
                "m_channel_sms_brazil.htm",
            ),
        ),
        notes="the source states UTC-03:00; the recipient's local time is used",
    ),
)
