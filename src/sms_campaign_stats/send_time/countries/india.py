"""India: the operators' window for promotional SMS since October 2025, and the one before it.

Reference 2.2: from October 2025 operators accept promotional and "service explicit" traffic only
10:00-21:00 IST (error 651 outside it); before, promotional messages were allowed 09:00-21:00
(TCCCPR 2018, as providers summarise it). Both editions are kept: ``rule_for("IN", on=...)``
gives the one in force on a day. Checked for issue 16: no TRAI text narrower than these.
"""

from __future__ import annotations

from datetime import date

from sms_campaign_stats.send_time._rules import CountryRule, Source
from sms_campaign_stats.send_time._windows import WeeklySchedule

__all__ = ["RULES"]

RULES: tuple[CountryRule, ...] = (
    CountryRule(
        id="in-2025-10",
        country="IN",
        title="India, promotional and service-explicit SMS (DLT)",
        schedule=WeeklySchedule.every_day("10:00", "21:00"),
        version="2025-10",
        effective_from=date(2025, 10, 13),
        sources=(
            Source(
                "PROV",
                "SMSGatewayHub, 10 AM to 9 PM restriction, error 651 EC_INVALID_PROMO_TIME: "
                "https://crm.smsgatewayhub.com/knowledge-base/article/important-update-"
                "new-service-explicit-message-restriction-time-10-am-to-9-pm",
            ),
        ),
    ),
    CountryRule(
        id="in-legacy",
        country="IN",
        title="India, commercial SMS before October 2025",
        schedule=WeeklySchedule.every_day("09:00", "21:00"),
        version="legacy (TCCCPR 2018)",
        sources=(
            Source(
                "PROV",
                "TRAI, Telecom Commercial Communications Customer Preference Regulations 2018 "
                "(TCCCPR 2018): promotional 9 AM to 9 PM IST, as summarised by Exotel: "
                "https://developer.exotel.com/docs/faqs/tcccpr-2018",
            ),
            Source(
                "VEND",
                "TRAI 2011, no commercial SMS 21:00-09:00: "
                "http://latest-gadgets-news.blogspot.com/2011/11/trai-increases-daily-s"
                "ms-limit-from-100.html",
            ),
        ),
        notes="issue 16: checked; the regulation's own text was not reachable, the 09:00-21:00 "
        "band agrees in both summaries",
    ),
)
