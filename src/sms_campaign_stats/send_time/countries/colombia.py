"""Colombia: Ley 2300 de 2023, "Dejen de fregar" (reference 2.2).

Monday to Friday 07:00-19:00, Saturday 08:00-15:00, no Sundays or public holidays. Whether the
law covers marketing as well as collections is still to be verified against its text.
"""

from __future__ import annotations

from sms_campaign_stats.send_time._rules import CountryRule, Source
from sms_campaign_stats.send_time._windows import HolidayCalendar, WeeklySchedule

__all__ = ["RULES"]

RULES: tuple[CountryRule, ...] = (
    CountryRule(
        id="co-ley-2300-2023",
        country="CO",
        title="Colombia, Ley 2300 de 2023",
        schedule=WeeklySchedule.from_spec(
            {"mon-fri": [("07:00", "19:00")], "sat": [("08:00", "15:00")]}
        ),
        holidays=HolidayCalendar("CO"),
        version="2300/2023",
        sources=(
            Source(
                "VEND",
                "Semana, Ley 'Dejen de fregar': https://www.semana.com/economia/empresas/"
                "articulo/abc-de-la-ley-dejen-de-fregar-cuales-son-los-riesgos-que-trae-cuando-y-"
                "como-lo-pueden-contactar-a-usted/202424/",
            ),
        ),
        notes="whether the law covers marketing as well as collections is to be verified",
    ),
)
