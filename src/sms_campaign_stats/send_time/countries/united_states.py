"""The built-in send-time rules for marketing SMS, one entry per rule, each with its sources.

Everything here comes from the team's send-time reference (``shared/reference/send-time-rules.md``,
sections 1 and 2), whose confidence tags are kept: LAW (statute or regulator), IND (industry or
operator code), PROV (a messaging provider's documentation), VEND (a vendor summary, lowest
confidence). Nothing here is legal advice; rules change (France in 2024, India in 2025), which is
why every rule has an id, a version and, where known, the date it took effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

from sms_campaign_stats.send_time._rules import CountryRule, Source
from sms_campaign_stats.send_time._windows import HolidayCalendar, WeeklySchedule

__all__ = ["BUILT_IN_RULES", "FRENCH_TERRITORIES", "US_STATE_WINDOWS"]

_LAW, _IND, _PROV, _VEND = "LAW", "IND", "PROV", "VEND"
_W = WeeklySchedule.from_spec


def _every_day(start: str, end: str) -> WeeklySchedule:
    return WeeklySchedule.every_day(start, end)


_AF2M = Source(
    _IND,
    "af2m, Charte de déontologie Business Messaging, effective 1 Sept 2024: messages routed only "
    "on 'jours ouvrables entre 08h et 22h': https://af2m.org/la-charte-de-deontologie-applicable-"
    "aux-services-de-business-messaging-est-effective-depuis-le-1er-septembre-2024",
)
_BREVO_FR = Source(
    _PROV,
    "Brevo API reference: marketing SMS not processed between 10pm and 8am, on Sundays and on "
    "French public holidays: https://developers.brevo.com/reference/sendtransacsms",
)
_KLAVIYO = Source(
    _PROV, "Klaviyo Help, SMS quiet hours: https://help.klaviyo.com/hc/en-us/articles/4408737146651"
)
_SMSFACTOR = Source(
    _PROV,
    "SMSFactor FAQ: promotional SMS only 8h-20h Monday to Saturday, never Sundays or public "
    "holidays: https://www.smsfactor.com/faq-page/",
)
_OCTOPUSH = Source(
    _PROV,
    "Octopush, deferred sending: http://www.octopush.com/info/sms-api/sms-e"
    "n-masse/envoyer-un-sms-en-differe/",
)

_FR_2024 = _W({"mon-sat": [("08:00", "22:00")]})
_FR_LEGACY = _W({"mon-sat": [("08:00", "20:00")]})

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
#: Metropolitan subdivisions with their own holidays: Alsace-Moselle adds Good Friday and 26 Dec.
_ALSACE_MOSELLE = {"57": "57", "67": "6AE", "68": "6AE", "6AE": "6AE"}


def _france(
    rule_id: str,
    schedule: WeeklySchedule,
    version: str,
    effective: date | None,
    sources: tuple[Source, ...],
    subdivision: str | None,
    notes: str,
) -> CountryRule:
    return CountryRule(
        id=rule_id if subdivision is None else f"{rule_id}/{subdivision}",
        country="FR",
        subdivision=subdivision,
        title="France, marketing SMS" + (f" (holidays of {subdivision})" if subdivision else ""),
        schedule=schedule,
        holidays=HolidayCalendar("FR", subdivision),
        version=version,
        effective_from=effective,
        sources=sources,
        notes=notes,
    )


def _french_rules() -> list[CountryRule]:
    rules: list[CountryRule] = []
    for subdivision in (None, *_ALSACE_MOSELLE.values(), *FRENCH_TERRITORIES.values()):
        if rules and subdivision in {r.subdivision for r in rules}:
            continue
        rules.append(
            _france(
                "fr-af2m-2024",
                _FR_2024,
                "2024-09",
                date(2024, 9, 1),
                (_AF2M, _BREVO_FR, _KLAVIYO),
                subdivision,
                "jours ouvrables read as Monday to Saturday minus public holidays; the charter "
                "does not name a zone: the recipient's local time and holidays are used",
            )
        )
        rules.append(
            _france(
                "fr-legacy-20h",
                _FR_LEGACY,
                "legacy",
                None,
                (_SMSFACTOR, _OCTOPUSH),
                subdivision,
                "the window widely applied before 1 Sept 2024, still enforced by some aggregators",
            )
        )
    return rules


_TCPA = Source(
    _LAW,
    "47 CFR 64.1200(c)(1), 8 a.m. to 9 p.m. local time at the called party's location: "
    "https://saxton.org/tcpa/47CFR64.php; "
    "Twilio error 30610: https://twilio.com/docs/api/errors/30610",
)
_POSTSCRIPT = (
    "Postscript, Guide to Quiet Hours: "
    "https://help.postscript.io/hc/en-us/articles/9321080861211-Guide-to-Quiet-Hours"
)
_REFERRIZER = (
    "Referrizer, TCPA quiet hours and state rules: https://support.referrizer.com/en/category/"
    "text-campaigns/article/tcpa-quiet-hours-and-state-specific-rules-for-text-campaigns"
)
_DROP_COWBOY = (
    "Drop Cowboy, state compliance (last updated 1 Nov 2025): "
    "https://www.dropcowboy.com/state-compliance"
)

#: US states stricter than the federal window, selectable by subdivision: (schedule spec,
#: closed on the state's holidays, sources, notes). Each is applied together with the federal
#: rule, so the strictest wins.
_StateWindow = tuple[Mapping[str, list[tuple[str, str]]], bool, tuple[Source, ...], str]
US_STATE_WINDOWS: Mapping[str, _StateWindow] = MappingProxyType(
    {
        "FL": (
            {"mon-sun": [("08:00", "20:00")]},
            False,
            (
                Source(
                    _LAW,
                    "Fla. Stat. 501.616(6)(a), 8 a.m. to 8 p.m. in the called person's time zone; "
                    "501.059 includes text messages: http://www.lawserver.com/law/state/flo"
                    "rida/statutes/florida_statutes_501-616",
                ),
            ),
            "",
        ),
        "OK": ({"mon-sun": [("08:00", "20:00")]}, False, (Source(_PROV, _POSTSCRIPT),), ""),
        "WA": ({"mon-sun": [("08:00", "20:00")]}, False, (Source(_PROV, _POSTSCRIPT),), ""),
        "MD": ({"mon-sun": [("08:00", "20:00")]}, False, (Source(_PROV, _POSTSCRIPT),), ""),
        "CT": (
            {"mon-sun": [("09:00", "20:00")]},
            False,
            (Source(_VEND, _REFERRIZER),),
            "9 a.m. to 8 p.m. from 1 Oct 2023",
        ),
        "NJ": (
            {"mon-sun": [("08:00", "20:00")]},
            False,
            (Source(_VEND, _REFERRIZER), Source(_PROV, _POSTSCRIPT)),
            "sources conflict (8-20 vs 8-21): the stricter 8-20 is used",
        ),
        "TX": (
            {"mon-sat": [("09:00", "21:00")], "sun": [("12:00", "21:00")]},
            False,
            (
                Source(
                    _VEND,
                    "AppFueled, quiet hours: https://appfueled.com/help/complying-with-quiet-hours",
                ),
                Source(_VEND, _REFERRIZER),
            ),
            "Texas Bus. & Com. Code ch. 301/302; SB 140 (2025) extends it to texts",
        ),
        "RI": (
            {"mon-fri": [("09:00", "18:00")], "sat-sun": [("10:00", "17:00")]},
            False,
            (Source(_VEND, _REFERRIZER),),
            "",
        ),
        "AL": (
            {"mon-sat": [("08:00", "20:00")]},
            True,
            (Source(_VEND, _DROP_COWBOY),),
            "a call-hours rule; applied to SMS as the cautious choice",
        ),
        "LA": (
            {"mon-sat": [("08:00", "20:00")]},
            True,
            (Source(_VEND, _DROP_COWBOY),),
            "a call-hours rule; applied to SMS as the cautious choice",
        ),
        "MS": (
            {"mon-sat": [("08:00", "20:00")]},
            False,
            (Source(_VEND, _DROP_COWBOY),),
            "a call-hours rule (8-20 CST in the source, applied in local time)",
        ),
        "MA": (
            {"mon-sun": [("08:00", "20:00")]},
            False,
            (Source(_VEND, _DROP_COWBOY),),
            "a call-hours rule",
        ),
        "KY": (
            {"mon-sun": [("10:00", "21:00")]},
            False,
            (Source(_VEND, _DROP_COWBOY),),
            "a call-hours rule",
        ),
        "MI": (
            {"mon-sun": [("09:00", "21:00")]},
            False,
            (Source(_VEND, _DROP_COWBOY),),
            "a call-hours rule",
        ),
        "MN": (
            {"mon-sun": [("09:00", "21:00")]},
            False,
            (Source(_VEND, _DROP_COWBOY),),
            "a call-hours rule",
        ),
        "NM": (
            {"mon-sun": [("09:00", "21:00")]},
            False,
            (Source(_VEND, _DROP_COWBOY),),
            "a call-hours rule",
        ),
        "NV": (
            {"mon-sun": [("09:00", "20:00")]},
            False,
            (Source(_VEND, _DROP_COWBOY),),
            "a call-hours rule",
        ),
    }
)


def _us_rules() -> list[CountryRule]:
    rules = [
        CountryRule(
            id="us-tcpa",
            country="US",
            title="United States, federal (TCPA)",
            schedule=_every_day("08:00", "21:00"),
            version="47 CFR 64.1200",
            sources=(_TCPA,),
            notes="applies to telephone solicitation; the industry applies it to marketing SMS",
        )
    ]
    for state, (spec, closed_on_holidays, sources, notes) in US_STATE_WINDOWS.items():
        rules.append(
            CountryRule(
                id=f"us-{state.lower()}",
                country="US",
                subdivision=state,
                title=f"United States, {state} (applied with the federal rule)",
                schedule=_W(spec),
                holidays=HolidayCalendar("US", state) if closed_on_holidays else None,
                sources=sources,
                notes=notes,
            )
        )
    return rules


def _rule(
    rule_id: str,
    country: str,
    title: str,
    schedule: WeeklySchedule,
    *sources: Source,
    holidays: bool = False,
    version: str = "",
    effective: date | None = None,
    notes: str = "",
) -> CountryRule:
    return CountryRule(
        id=rule_id,
        country=country,
        title=title,
        schedule=schedule,
        holidays=HolidayCalendar(country) if holidays else None,
        version=version,
        effective_from=effective,
        sources=sources,
        notes=notes,
    )


def _other_rules() -> list[CountryRule]:
    return [
        _rule(
            "za-cpa-2011",
            "ZA",
            "South Africa, direct marketing (CPA s.12, regulation 4)",
            _W({"mon-fri": [("08:00", "20:00")], "sat": [("09:00", "13:00")]}),
            Source(
                _LAW,
                "Consumer Protection Act 2008, regulation 4, prohibited times: "
                "https://www.acts.co.za/consumer-protection-act-2008/r293_prohibited_ti"
                "me_for_contacting_consumers",
            ),
            holidays=True,
            notes="the law is about dispatch time: a message dispatched in the window is compliant",
        ),
        _rule(
            "in-2025-10",
            "IN",
            "India, promotional and service-explicit SMS (DLT)",
            _every_day("10:00", "21:00"),
            Source(
                _PROV,
                "SMSGatewayHub, 10 AM to 9 PM restriction, error 651 EC_INVALID_PROMO_TIME: "
                "https://crm.smsgatewayhub.com/knowledge-base/article/important-update-"
                "new-service-explicit-message-restriction-time-10-am-to-9-pm",
            ),
            version="2025-10",
            effective=date(2025, 10, 13),
        ),
        _rule(
            "in-legacy",
            "IN",
            "India, commercial SMS before October 2025",
            _every_day("09:00", "21:00"),
            Source(
                _VEND,
                "TRAI 2011, no commercial SMS 21:00-09:00: "
                "http://latest-gadgets-news.blogspot.com/2011/11/trai-increases-daily-s"
                "ms-limit-from-100.html",
            ),
            version="legacy",
        ),
        _rule(
            "it-twilio",
            "IT",
            "Italy, marketing SMS",
            _W({"mon-sat": [("08:00", "22:00")]}),
            Source(
                _PROV,
                "Twilio, Italy guidelines: no marketing 10PM to 8AM and all day on Sunday: "
                "https://www.twilio.com/en/guidelines/it/sms",
            ),
        ),
        _rule(
            "br-twilio",
            "BR",
            "Brazil, marketing SMS",
            _W({"mon-sat": [("09:00", "22:00")]}),
            Source(
                _PROV,
                "Twilio, Brazil guidelines: 09:00-22:00, no Sunday: "
                "https://www.twilio.com/en/guidelines/br/sms",
            ),
            notes="Brazil spans several zones: the recipient's local time is used",
        ),
        _rule(
            "br-short-codes",
            "BR",
            "Brazil, short codes (stricter carrier window)",
            _W({"mon-fri": [("08:00", "18:00")], "sat": [("09:00", "13:00")]}),
            Source(
                _PROV,
                "Salesforce, SMS in Brazil: Mon-Fri 08:00-18:00, Sat 09:00-13:00, no "
                "national holidays: https://help.salesforce.com/s/articleView?id=mktg.u"
                "m_channel_sms_brazil.htm",
            ),
            holidays=True,
            notes="the source states UTC-03:00; the recipient's local time is used",
        ),
        _rule(
            "ae-tdra",
            "AE",
            "United Arab Emirates, promotional SMS",
            _every_day("07:00", "21:00"),
            Source(
                _VEND,
                "Unifonic, UAE SMS compliance (TDRA): https://unifonic.com/en/resources/"
                "navigating-uaes-sms-compliance-landscape-a-guide-for-businesses",
            ),
            Source(_PROV, "Twilio, UAE guidelines: https://www.twilio.com/en/guidelines/ae/sms"),
        ),
        _rule(
            "sa-citc",
            "SA",
            "Saudi Arabia, promotional SMS",
            _every_day("08:00", "22:00"),
            Source(
                _VEND,
                "Tawasol, SMS regulations: https://tawasolsms.com/en/sms-regulations-you-must-know",
            ),
        ),
        _rule(
            "vn-decree-91-2020",
            "VN",
            "Vietnam, advertising messages (Decree 91/2020)",
            _every_day("07:00", "22:00"),
            Source(
                _LAW,
                "Decree 91/2020, as summarised by DLA Piper: "
                "https://www.dlapiperdataprotection.com/index.html?c=VN&t=electronic-marketing",
            ),
            version="91/2020",
        ),
        _rule(
            "th-twilio",
            "TH",
            "Thailand, marketing SMS",
            _every_day("09:00", "21:00"),
            Source(
                _PROV, "Twilio, Thailand guidelines: https://www.twilio.com/en/guidelines/th/sms"
            ),
        ),
        _rule(
            "tw-twilio",
            "TW",
            "Taiwan, promotional SMS (two windows a day)",
            _W({"mon-sun": [("09:00", "12:30"), ("13:30", "21:00")]}),
            Source(
                _PROV,
                "Twilio, Taiwan guidelines: prohibited 12:30-13:30 and 21:00-09:00: "
                "https://www.twilio.com/en/guidelines/tw/sms",
            ),
        ),
        _rule(
            "co-ley-2300-2023",
            "CO",
            "Colombia, Ley 2300 de 2023",
            _W({"mon-fri": [("07:00", "19:00")], "sat": [("08:00", "15:00")]}),
            Source(
                _VEND,
                "Semana, Ley 'Dejen de fregar': https://www.semana.com/economia/empresas/"
                "articulo/abc-de-la-ley-dejen-de-fregar-cuales-son-los-riesgos-que-trae-cuando-y-"
                "como-lo-pueden-contactar-a-usted/202424/",
            ),
            holidays=True,
            version="2300/2023",
            notes="whether the law covers marketing as well as collections is to be verified",
        ),
        _rule(
            "jo-trc",
            "JO",
            "Jordan, promotional SMS",
            _every_day("07:00", "21:00"),
            Source(
                _VEND,
                "AMEinfo, Jordan restricts promotional SMS at night: "
                "https://www.ameinfo.com/tech-and-mobility/jordan-restricts-promotional"
                "-smss-at-night/",
            ),
        ),
        _rule(
            "cn-smn",
            "CN",
            "China, marketing SMS",
            _every_day("07:00", "21:00"),
            Source(
                _PROV,
                "Huawei Cloud SMN: not outside 07:00-21:00 except user-triggered messages: "
                "https://support.huaweicloud.com/en-us/usermanual-smn/smn_ug_a8000.html",
            ),
        ),
    ]


#: Every built-in rule, country by country.
BUILT_IN_RULES: tuple[CountryRule, ...] = (*_french_rules(), *_us_rules(), *_other_rules())
