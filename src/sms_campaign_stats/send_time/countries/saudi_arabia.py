"""Saudi Arabia: promotional SMS 09:00-22:00 Saudi time (reference 2.2, checked for issue 16).

The regulator's controls (CITC Decision 395/1439, the SPAM SMS controls) as a provider quotes
them forbid promotional and awareness messages from 22:00 to 08:00; Unifonic's compliance page
(a Saudi aggregator, quoting the CST's current rules) gives 09:00 to 22:00 for promotional
messages. The regulator's own text was not reachable, so the stricter 09:00-22:00 is used.
"""

from __future__ import annotations

from sms_campaign_stats.send_time._rules import CountryRule, Source
from sms_campaign_stats.send_time._windows import WeeklySchedule

__all__ = ["RULES"]

RULES: tuple[CountryRule, ...] = (
    CountryRule(
        id="sa-citc",
        country="SA",
        title="Saudi Arabia, promotional SMS",
        schedule=WeeklySchedule.every_day("09:00", "22:00"),
        version="CITC 395/1439; CST (Unifonic)",
        sources=(
            Source(
                "PROV",
                "CITC Decision No. 395/1439 (SPAM SMS controls), 'not allowed to send ... from "
                "10 pm to 8 am', as quoted by Msegat: https://msegat.com/index.php?action=532"
                "&lang=En; STC, spam SMS controls: "
                "https://www.stc.com.sa/wps/wcm/connect/english/business/spam-sms",
            ),
            Source(
                "PROV",
                "Unifonic, SMS compliance: 'Awareness and promotional messages may only be "
                "sent between 9 a.m. and 10 p.m. (KSA Time)': "
                "https://docs.unifonic.com/docs/compliance-sms",
            ),
            Source(
                "VEND",
                "Tawasol, SMS regulations: https://tawasolsms.com/en/sms-regulations-you-must-know",
            ),
        ),
        notes="sources disagree on the start (08:00 CITC as quoted, 09:00 Unifonic): the "
        "stricter 09:00 is used",
    ),
)
