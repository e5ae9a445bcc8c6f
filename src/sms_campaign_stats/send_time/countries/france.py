"""France, Alsace-Moselle and the French territories: the af2m rule of 2024 and its legacy twin.

Reference sections 1.1 to 1.3: the af2m charter (from 1 Sept 2024) routes marketing messages
on "jours ouvrables" between 08:00 and 22:00; the older Monday-to-Saturday 08:00-20:00 window
is still enforced by some aggregators. Each rule exists for metropolitan France, for
Alsace-Moselle (its own holidays) and for every territory with its own region code, in the
recipient's local time with local holidays.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

from sms_campaign_stats.send_time._rules import CountryRule, Source
from sms_campaign_stats.send_time._windows import HolidayCalendar, WeeklySchedule

__all__ = ["ALSACE_MOSELLE", "FRENCH_TERRITORIES", "RULES"]

#: French territories with their own ISO code (what phonenumbers reports as the region) and their
#: holiday subdivision in the holidays package. Local time, local holidays (reference 1.2, 1.3).
FRENCH_TERRITORIES: Mapping[str, str] = MappingProxyType(
    {
        "GP": "971",  # Guadeloupe
        "MQ": "972",  # Martinique
        "GF": "973",  # Guyane
        "RE": "974",  # Réunion
        "YT": "976",  # Mayotte
        "MF": "MF",  # Saint-Martin
        "BL": "BL",  # Saint-Barthélemy
        "PM": "PM",  # Saint-Pierre-et-Miquelon
    }
)
#: Metropolitan subdivisions with their own holidays, and the holiday calendar each uses:
#: Alsace-Moselle adds Good Friday and 26 December (reference 1.3). Bas-Rhin (67) and Haut-Rhin
#: (68) use the Alsace calendar.
ALSACE_MOSELLE: Mapping[str, str] = MappingProxyType(
    {"57": "57", "67": "6AE", "68": "6AE", "6AE": "6AE"}
)

_AF2M = Source(
    "IND",
    "af2m, Charte de déontologie Business Messaging, effective 1 Sept 2024: messages routed only "
    "on 'jours ouvrables entre 08h et 22h': https://af2m.org/la-charte-de-deontologie-applicable-"
    "aux-services-de-business-messaging-est-effective-depuis-le-1er-septembre-2024",
)
_BREVO = Source(
    "PROV",
    "Brevo API reference: marketing SMS not processed between 10pm and 8am, on Sundays and on "
    "French public holidays: https://developers.brevo.com/reference/sendtransacsms",
)
_KLAVIYO = Source(
    "PROV",
    "Klaviyo Help, SMS quiet hours: https://help.klaviyo.com/hc/en-us/articles/4408737146651",
)
_SMSFACTOR = Source(
    "PROV",
    "SMSFactor FAQ: promotional SMS only 8h-20h Monday to Saturday, never Sundays or public "
    "holidays: https://www.smsfactor.com/faq-page/",
)
_OCTOPUSH = Source(
    "PROV",
    "Octopush, deferred sending: http://www.octopush.com/info/sms-api/sms-e"
    "n-masse/envoyer-un-sms-en-differe/",
)


def _for_each_calendar(
    rule_id: str,
    schedule: WeeklySchedule,
    version: str,
    effective: date | None,
    sources: tuple[Source, ...],
    notes: str,
) -> tuple[CountryRule, ...]:
    """One rule for metropolitan France, then one per distinct holiday subdivision."""
    subdivisions = dict.fromkeys((*ALSACE_MOSELLE.values(), *FRENCH_TERRITORIES.values()))
    return tuple(
        CountryRule(
            id=rule_id if subdivision is None else f"{rule_id}/{subdivision}",
            country="FR",
            subdivision=subdivision,
            title="France, marketing SMS"
            + (f" (holidays of {subdivision})" if subdivision else ""),
            schedule=schedule,
            holidays=HolidayCalendar("FR", subdivision),
            version=version,
            effective_from=effective,
            sources=sources,
            notes=notes,
        )
        for subdivision in (None, *subdivisions)
    )


_AF2M_2024 = _for_each_calendar(
    "fr-af2m-2024",
    WeeklySchedule.from_spec({"mon-sat": [("08:00", "22:00")]}),
    "2024-09",
    date(2024, 9, 1),
    (_AF2M, _BREVO, _KLAVIYO),
    "jours ouvrables read as Monday to Saturday minus public holidays; the charter does not "
    "name a zone: the recipient's local time and holidays are used",
)
_LEGACY_20H = _for_each_calendar(
    "fr-legacy-20h",
    WeeklySchedule.from_spec({"mon-sat": [("08:00", "20:00")]}),
    "legacy",
    None,
    (_SMSFACTOR, _OCTOPUSH),
    "the window widely applied before 1 Sept 2024, still enforced by some aggregators",
)

#: Each calendar's af2m rule followed by its legacy twin: metropolitan France first, then
#: Alsace-Moselle, then the territories.
RULES: tuple[CountryRule, ...] = tuple(
    rule for pair in zip(_AF2M_2024, _LEGACY_20H, strict=True) for rule in pair
)
