"""The United States: the federal TCPA window and the stricter state windows.

Reference section 2.1: 47 CFR 64.1200(c)(1) allows telephone solicitation from 8 a.m. to 9 p.m.
at the called party's location, and the industry applies it to marketing SMS. States with a
stricter window are selected by subdivision; each is applied together with the federal rule
(``rule_for("US", subdivision="TX")`` is ``us-tcpa+us-tx``), so the strictest wins. Several state
rows come from vendor summaries (VEND, the lowest confidence) or are call-hours rules applied to
SMS as the cautious choice: their notes say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from sms_campaign_stats.send_time._rules import CountryRule, Source
from sms_campaign_stats.send_time._windows import HolidayCalendar, WeeklySchedule

__all__ = ["RULES", "US_STATE_WINDOWS"]

_LAW, _PROV, _VEND = "LAW", "PROV", "VEND"

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
_NJ_56_8_128 = (
    "N.J.S.A. 56:8-128(d), no unsolicited telemarketing sales call between 9:00 p.m. and "
    "8:00 a.m. local time at the customer's location (P.L.2003, c.76, s.10): "
    "https://pub.njleg.gov/bills/2002/PL03/76_.HTM"
)
_RI_5_61_2 = (
    "R.I. Gen. Laws 5-61-2(2), hours of operation (Mon-Fri except state or federal holidays "
    "9 a.m.-6 p.m., Saturday 10 a.m.-5 p.m.): http://webserver.rilin.state.ri.us/Statutes/"
    "TITLE5/5-61/5-61-2.HTM"
)
_RI_5_61_3_6 = (
    "R.I. Gen. Laws 5-61-3.6(a), telephonic sales calls to residential, mobile or paging numbers "
    "only during hours of operation: http://webserver.rilin.state.ri.us/Statutes/TITLE5/5-61/"
    "5-61-3.6.HTM"
)
_MS_77_3_723 = (
    "Miss. Code Ann. 77-3-723(1), 8:00 a.m. to 8:00 p.m. Central Standard Time, no Sunday: "
    "https://getpocketlaw.com/law/state_mississippi/section-77-3-723-rules-for-authorized-calls_"
    "57b73fa7ff73; 77-3-705(d) (text messages): "
    "https://billstatus.ls.state.ms.us/documents/2023/html/SB/2400-2499/SB2494CS.htm"
)
_KY_367_46955 = (
    "KRS 367.46955, prohibited telephone solicitation acts and practices: "
    "https://lawserver.com/law/state/kentucky/ks-statutes/kentucky_statutes_367-46955; "
    "KRS 367.461(2)(e), automated calls 8 a.m. to 9 p.m.: "
    "http://www.contactcentercompliance.com/legal/statutes/KY/KRS/367.461.adpx"
)
_NV_597_814 = (
    "NRS 597.814(2)(a), no automatic dialing-announcing call between 9 p.m. and 9 a.m.: "
    "http://www.contactcentercompliance.com/legal/statutes/NV/NRS/597.814.adpx"
)
_LA_45_844 = (
    "La. R.S. 45:844.14 (listing procedures; prohibited acts) and 45:844.31 (state of "
    "emergency): http://legis.la.gov/Legis/Law.aspx?d=100148; La. R.S. 45:811(2)-(3), calls by "
    "automatic dialing and recorded message equipment only 8 a.m. to 8 p.m., Monday through "
    "Saturday, never on Sundays or state holidays: https://lawserver.com/?p=30183792"
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
            # N.J.S.A. 56:8-128(d): no unsolicited telemarketing sales call "between the hours
            # of 9:00 p.m. and 8:00 a.m., local time, at the customer's location". The statute
            # settles what vendors disagreed on (Referrizer 8-20, Postscript 8-21).
            {"mon-sun": [("08:00", "21:00")]},
            False,
            (Source(_LAW, _NJ_56_8_128),),
            "N.J.S.A. 56:8-128(d): 9 p.m. to 8 a.m. forbidden, local time",
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
            # R.I. Gen. Laws 5-61-2(2) defines the "hours of operation": Monday to Friday, except
            # a state or federal holiday, 9 a.m. to 6 p.m.; Saturday 10 a.m. to 5 p.m. No Sunday.
            # 5-61-3.6(a) allows unsolicited telephonic sales calls to mobile numbers only then.
            # Holidays are closed on every day (the cautious reading of the weekday exception).
            {"mon-fri": [("09:00", "18:00")], "sat": [("10:00", "17:00")]},
            True,
            (Source(_LAW, _RI_5_61_2), Source(_LAW, _RI_5_61_3_6)),
            "R.I. Gen. Laws 5-61-2(2), 5-61-3.6: no Sunday; closed on state and federal holidays",
        ),
        "AL": (
            {"mon-sat": [("08:00", "20:00")]},
            True,
            (Source(_VEND, _DROP_COWBOY),),
            "a call-hours rule; applied to SMS as the cautious choice",
        ),
        "LA": (
            # Louisiana's Telephone Solicitation Relief Act (La. R.S. 45:844.11-844.17) and the
            # Public Service Commission's rules ban solicitation on Sundays and legal holidays
            # and outside 8 a.m.-8 p.m.; during a declared state of emergency, 45:844.31 bans
            # it altogether (not modelled). Issue 16: the hours clause's text was not
            # retrieved; the vendor table is kept (VEND) beside the statute's sections. La. R.S.
            # 45:811(2)-(3), whose text was retrieved later, sets the same window (8 a.m.-8 p.m.,
            # Monday-Saturday, no Sundays or state holidays) for automated dialing equipment.
            {"mon-sat": [("08:00", "20:00")]},
            True,
            (Source(_VEND, _DROP_COWBOY), Source(_LAW, _LA_45_844)),
            "a call-hours rule; the vendor's hours, as La. R.S. 45:811 sets them for automated "
            "calls; La. R.S. 45:844.14 unverified",
        ),
        "MS": (
            # Miss. Code Ann. 77-3-723(1): authorized telephone solicitations "only between the
            # hours of 8:00 a.m. and 8:00 p.m. Central Standard Time. No telephone solicitations
            # may be made on a Sunday"; 77-3-705(d) counts text messages. The holiday ban was a
            # Public Service Commission rule, repealed in 2024 (enforcement moved to the
            # Attorney General): holidays are open. Checked against the text (issue 16).
            {"mon-sat": [("08:00", "20:00")]},
            False,
            (Source(_LAW, _MS_77_3_723), Source(_VEND, _DROP_COWBOY)),
            "Miss. Code Ann. 77-3-723(1), 77-3-705(d); the text says Central Standard Time, "
            "applied in the recipient's local time",
        ),
        "MA": (
            {"mon-sun": [("08:00", "20:00")]},
            False,
            (Source(_VEND, _DROP_COWBOY),),
            "a call-hours rule",
        ),
        "KY": (
            # KRS 367.46955 lists the prohibited telephone solicitation practices; the vendor
            # table places 10 a.m.-9 p.m. there. Issue 16: the retrieved text of the section
            # stopped before its hours paragraph, so the hours stay the vendor's (VEND) beside
            # the section (KRS 367.461(2)(e), automated calls, says 8 a.m.-9 p.m.).
            {"mon-sun": [("10:00", "21:00")]},
            False,
            (Source(_VEND, _DROP_COWBOY), Source(_LAW, _KY_367_46955)),
            "KRS 367.46955 (hours paragraph unverified); a call-hours rule applied to SMS",
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
            # NRS 597.814(2)(a): no call by an automatic dialing-announcing device "received by a
            # telephone located in this state during the period between 9 p.m. and 9 a.m.". The
            # text gives 09:00-21:00 (the vendor table's 20:00 is not in it; issue 16).
            {"mon-sun": [("09:00", "21:00")]},
            False,
            (Source(_LAW, _NV_597_814),),
            "NRS 597.814(2)(a), automatic dialing-announcing devices; applied to SMS as the "
            "cautious choice",
        ),
    }
)


_FEDERAL = CountryRule(
    id="us-tcpa",
    country="US",
    title="United States, federal (TCPA)",
    schedule=WeeklySchedule.every_day("08:00", "21:00"),
    version="47 CFR 64.1200",
    sources=(_TCPA,),
    notes="applies to telephone solicitation; the industry applies it to marketing SMS",
)

#: The federal rule, then each state's own window (``us-fl``, ...) in the order of the table.
RULES: tuple[CountryRule, ...] = (
    _FEDERAL,
    *(
        CountryRule(
            id=f"us-{state.lower()}",
            country="US",
            subdivision=state,
            title=f"United States, {state} (applied with the federal rule)",
            schedule=WeeklySchedule.from_spec(spec),
            holidays=HolidayCalendar("US", state) if closed_on_holidays else None,
            sources=sources,
            notes=notes,
        )
        for state, (spec, closed_on_holidays, sources, notes) in US_STATE_WINDOWS.items()
    ),
)
