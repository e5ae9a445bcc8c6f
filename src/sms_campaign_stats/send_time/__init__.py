"""The building blocks of send-time rules: windows of local time, weekly schedules, holiday
calendars, and the rules made of them (``CountryRule``, ``NoRule``, ``AllOf``), each citing its
sources. Rules compose with ``&``: ``a & b`` is ``AllOf(a, b)``, allowed only when both allow.
The built-in rules, one module per country, are in ``send_time.countries``;
``sms_campaign_stats.quiet_hours`` picks the rule for a recipient and decides when to send.
"""

from ._rules import SEARCH_DAYS, AllOf, CountryRule, NoRule, SendTimeRule, Source
from ._windows import WEEKDAYS, HolidayCalendar, WeeklySchedule, Window

__all__ = [
    "SEARCH_DAYS",
    "WEEKDAYS",
    "AllOf",
    "CountryRule",
    "HolidayCalendar",
    "NoRule",
    "SendTimeRule",
    "Source",
    "WeeklySchedule",
    "Window",
]
