"""Phone numbers written in any usual form, inside free text (history details, error messages),
are masked in every rendering and in log lines: not only ``+`` then digits."""

from __future__ import annotations

import html
import io
import json
import logging
import re
import unicodedata
from collections.abc import Callable

import phonenumbers
from hypothesis import given
from hypothesis import strategies as st

from sms_campaign_stats import SmsCampaignStatsError
from sms_campaign_stats.lifecycle import TimelineKind
from sms_campaign_stats.model import TimelineEvent
from sms_campaign_stats.reports import Timeline, report_from_messages
from sms_campaign_stats.testing import T0, sample_campaign

CAMPAIGN, CREATED = sample_campaign("promo")
REPORT = report_from_messages(CAMPAIGN, [])


def _pairs(digits: str, separator: str) -> str:
    """``0612345678`` -> ``06 12 34 56 78`` (pairs of digits, as French numbers are written)."""
    return separator.join(digits[i : i + 2] for i in range(0, len(digits), 2))


#: Each form of item 2 of issue 13, from a French national significant number (9 digits).
FORMS: dict[str, Callable[[str], str]] = {
    "e164": lambda nsn: "+33" + nsn,
    "country code, no plus": lambda nsn: "33" + nsn,
    "00 prefix": lambda nsn: "0033" + nsn,
    "national": lambda nsn: "0" + nsn,
    "national, spaced": lambda nsn: _pairs("0" + nsn, " "),
    "+33 (0)": lambda nsn: "+33 (0)" + nsn[0] + " " + _pairs(nsn[1:], " "),
    "no-break spaces": lambda nsn: _pairs("0" + nsn, "\u00a0"),
    "narrow no-break spaces": lambda nsn: (
        "+33\u202f" + nsn[0] + "\u202f" + _pairs(nsn[1:], "\u202f")
    ),
    "full-width plus": lambda nsn: "\uff0b33" + nsn,
    "full-width digits": lambda nsn: "\uff0b\uff13\uff13" + nsn,
}


def _valid_french(nsn: str) -> bool:
    number = phonenumbers.parse("+33" + nsn)
    return phonenumbers.is_valid_number(number) and len(set(nsn[1:])) >= 3


national_numbers = (
    st.tuples(st.sampled_from("67"), st.text(alphabet="0123456789", min_size=8, max_size=8))
    .map("".join)
    .filter(_valid_french)
)
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,:;'", max_size=25)


def _leaks(rendering: str, written: str, nsn: str) -> list[str]:
    """The digit runs (4 digits or more) of ``written``, and the number's 9 digits however
    separated, that ``rendering`` shows."""
    shown = unicodedata.normalize("NFKC", rendering)
    runs = re.findall(r"\d{4,}", unicodedata.normalize("NFKC", written))
    found = [run for run in runs if run in shown]
    # The number's digits with its separators taken out, inside any number-like stretch.
    stretches = re.findall(r"[\d\s().\-+]+", shown)
    if any(nsn in re.sub(r"[\s().\-+]", "", stretch) for stretch in stretches):
        found.append(nsn)
    return found


def _renderings(text: str) -> dict[str, str]:
    event = TimelineEvent(
        campaign_id=CAMPAIGN.id,
        at=T0,
        kind=TimelineKind.SUSPENDED,
        details={"reason": text, "evidence": {"note": text, "all": [text]}},
    )
    history = Timeline(campaign_id=CAMPAIGN.id, campaign_name=CAMPAIGN.name, events=(event,))
    error = SmsCampaignStatsError(f"provider said: {text}")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("sms_campaign_stats.tests.masking")
    logger.addHandler(handler)
    try:
        logger.warning("send failed: %s", error)
    finally:
        logger.removeHandler(handler)
    return {
        "report text": REPORT.to_text(history=history),
        "history text": history.to_text(),
        "report html": html.unescape(REPORT.to_html(history=history)),
        "history html": html.unescape(history.to_html()),
        "history json": json.dumps(json.loads(history.to_json()), ensure_ascii=False),
        "history dict": json.dumps(history.to_dict(), ensure_ascii=False),
        "history csv": history.to_csv()["history.csv"],
        "error": str(error),
        "log line": stream.getvalue(),
    }


@given(
    nsn=national_numbers,
    form=st.sampled_from(sorted(FORMS)),
    before=words,
    after=words,
)
def test_every_form_of_a_number_is_masked_everywhere(
    nsn: str, form: str, before: str, after: str
) -> None:
    written = FORMS[form](nsn)
    text = f"{before} {written} {after}"
    for name, rendering in _renderings(text).items():
        assert not _leaks(rendering, written, nsn), (name, form, rendering)
        # Masked, not dropped: "+336******78", or "+33 ***********78" as written with spaces.
        assert re.search(r"\+33[ \d]\*+" + nsn[-2:], rendering), (name, form, rendering)


def test_each_form_is_masked_as_e164() -> None:
    """Whatever the form, the masked text is the E.164 number's mask."""
    for form, write in FORMS.items():
        error = SmsCampaignStatsError(f"The 'To' number {write('612345678')} is not valid")
        assert "The 'To' number +336******78 is not valid" == str(error), form


def test_dates_amounts_and_ids_are_not_masked() -> None:
    """Leniency VALID: eight digits that are not a phone number stay as written."""
    text = "at 2026-03-03T09:00:00+00:00, id promo:000042, cost 1234.5678, code 30003"
    assert text == str(SmsCampaignStatsError(text))
