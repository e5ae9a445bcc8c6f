"""Vietnam: advertising messages 07:00-22:00 under Decree 91/2020 (reference 2.2)."""

from __future__ import annotations

from sms_campaign_stats.send_time._rules import CountryRule, Source
from sms_campaign_stats.send_time._windows import WeeklySchedule

__all__ = ["RULES"]

RULES: tuple[CountryRule, ...] = (
    CountryRule(
        id="vn-decree-91-2020",
        country="VN",
        title="Vietnam, advertising messages (Decree 91/2020)",
        schedule=WeeklySchedule.every_day("07:00", "22:00"),
        version="91/2020",
        sources=(
            Source(
                "LAW",
                "Decree 91/2020/ND-CP, Article 13 (sending advertising messages: at most 3 a "
                "day, only from 7:00 to 22:00), as summarised by DLA Piper: "
                "https://www.dlapiperdataprotection.com/index.html?c=VN&t=electronic-marketing;"
                " Article 13: https://lawnet.vn/thong-tin-phap-luat/en/khac/08-requirements-for"
                "-advertising-via-messages-emails-phone-calls-in-vietnam-from-october-1-148955"
                ".html",
            ),
        ),
    ),
)
