"""Recipients' numbers: a table per country, the line-type policy, bulk checks, list merging,
and properties over any text (never raises, agrees with phonenumbers' public functions)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType
from phonenumbers.timezone import time_zones_for_number

from sms_campaign_stats import BounceReason, ValidationError
from sms_campaign_stats.phone_numbers import (
    DEFAULT_ACCEPTED_LINE_TYPES,
    MAX_RAW_LENGTH,
    REGION_ZONES,
    TEXT_ENABLED_TOLL_FREE_REGIONS,
    LineType,
    NumberCheck,
    NumberValidator,
    PhoneNumberValidator,
    Recipient,
    RecipientSet,
    Rejected,
    build_recipients,
    check_number,
    check_numbers,
)

E164 = re.compile(r"\+[1-9]\d{1,14}")
INVALID = BounceReason.INVALID_NUMBER_OR_COUNTRY_CODE
LANDLINE = BounceReason.LANDLINE_NUMBER
PARIS = ("Europe/Paris",)
REUNION = ("Indian/Reunion",)  # by range, not +262's two zones (issue 16)
BRITISH = ("Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey", "Europe/London")
M, F, FM = LineType.MOBILE, LineType.FIXED_LINE, LineType.FIXED_LINE_OR_MOBILE
U = LineType.UNKNOWN

# (raw, default_region, ok, e164, region, line_type, reason, time_zones) with phonenumbers 9.0.
TABLE: list[
    tuple[
        str,
        str | None,
        bool,
        str | None,
        str | None,
        LineType,
        BounceReason | None,
        tuple[str, ...],
    ]
] = [
    ("+33 6 12 34 56 78", None, True, "+33612345678", "FR", M, None, PARIS),
    ("06 12 34 56 78", "FR", True, "+33612345678", "FR", M, None, PARIS),
    ("06.12.34.56.78", "FR", True, "+33612345678", "FR", M, None, PARIS),
    ("0033612345678", "FR", True, "+33612345678", "FR", M, None, PARIS),
    ("(+33) 6-12-34-56-78", None, True, "+33612345678", "FR", M, None, PARIS),
    ("+33 (0)6 12 34 56 78", None, True, "+33612345678", "FR", M, None, PARIS),
    ("tel:+33612345678", None, True, "+33612345678", "FR", M, None, PARIS),
    ("011 33 6 12 34 56 78", "US", True, "+33612345678", "FR", M, None, PARIS),
    ("+33 1 42 68 53 00", None, False, "+33142685300", "FR", F, LANDLINE, PARIS),
    ("01 42 68 53 00", "FR", False, "+33142685300", "FR", F, LANDLINE, PARIS),
    ("+33 9 70 12 34 56", None, True, "+33970123456", "FR", LineType.VOIP, None, PARIS),
    (
        "+33 8 99 12 34 56",
        None,
        False,
        "+33899123456",
        "FR",
        LineType.PREMIUM_RATE,
        LANDLINE,
        PARIS,
    ),
    ("+262 692 12 34 56", None, True, "+262692123456", "RE", M, None, REUNION),
    ("0692 12 34 56", "RE", True, "+262692123456", "RE", M, None, REUNION),
    ("0692 12 34 56", "FR", False, None, None, U, INVALID, ()),  # Réunion is its own region
    ("+262 269 61 23 45", None, False, "+262269612345", "YT", F, LANDLINE, ("Indian/Mayotte",)),
    ("+1 (212) 555-0123", None, True, "+12125550123", "US", FM, None, ("America/New_York",)),
    ("(212) 555-0123", "US", True, "+12125550123", "US", FM, None, ("America/New_York",)),
    ("+1.416.555.0123", None, True, "+14165550123", "CA", FM, None, ("America/Toronto",)),
    ("+44 7400 123456", None, True, "+447400123456", "GB", M, None, BRITISH),
    ("07400 123456", "GB", True, "+447400123456", "GB", M, None, BRITISH),
    ("+44 56 1234 5678", None, True, "+445612345678", "GB", LineType.VOIP, None, BRITISH),
    ("+44 55 1234 5678", None, False, "+445512345678", "GB", LineType.UAN, LANDLINE, BRITISH),
    (
        "+44 70 1234 5678",
        None,
        False,
        "+447012345678",
        "GB",
        LineType.PERSONAL_NUMBER,
        LANDLINE,
        BRITISH,
    ),
    ("+49 1512 3456789", None, True, "+4915123456789", "DE", M, None, ("Europe/Berlin",)),
    (
        "+34 612 34 56 78",
        None,
        True,
        "+34612345678",
        "ES",
        M,
        None,
        ("Atlantic/Canary", "Europe/Madrid"),
    ),
    ("+39 06 1234 5678", None, False, "+390612345678", "IT", F, LANDLINE, ("Europe/Rome",)),
    (
        "+39 312 345 6789",
        None,
        True,
        "+393123456789",
        "IT",
        M,
        None,
        ("Europe/Rome", "Europe/Vatican"),
    ),
    ("+55 11 91234 5678", None, True, "+5511912345678", "BR", M, None, ("America/Sao_Paulo",)),
    ("+52 55 1234 5678", None, True, "+525512345678", "MX", FM, None, ("America/Mexico_City",)),
    ("+91 98765 43210", None, True, "+919876543210", "IN", M, None, ("Asia/Calcutta",)),
    ("+27 82 123 4567", None, True, "+27821234567", "ZA", M, None, ("Africa/Johannesburg",)),
    ("+800 1234 5678", None, False, "+80012345678", None, LineType.TOLL_FREE, LANDLINE, ()),
    ("+881 6 1234 5678", None, True, "+881612345678", None, M, None, ()),
    ("+33 6 12 34 56 7", None, False, None, None, U, INVALID, ()),
    ("+33 6 12 34 56 78 9", None, False, None, None, U, INVALID, ()),
    ("+1 123 456 7890", None, False, None, None, U, INVALID, ()),
    ("+999 123 456 789", None, False, None, None, U, INVALID, ()),
    ("0612345678", None, False, None, None, U, INVALID, ()),
    ("+33 6 12 34 56 78 ext. 5", None, False, "+33612345678", "FR", M, INVALID, PARIS),
    ("+1 212 555 0123 x45", None, False, "+12125550123", "US", FM, INVALID, ("America/New_York",)),
    ("+33 " + "6" * MAX_RAW_LENGTH, None, False, None, None, U, INVALID, ()),
    ("", None, False, None, None, U, INVALID, ()),
    ("   ", "FR", False, None, None, U, INVALID, ()),
    ("n/a", "FR", False, None, None, U, INVALID, ()),
    ("+", None, False, None, None, U, INVALID, ()),
    ("call me maybe", "FR", False, None, None, U, INVALID, ()),
]


def fields(check: NumberCheck) -> tuple[object, ...]:
    """The fields a table row states, in its order."""
    return (
        check.ok,
        check.e164,
        check.region,
        check.line_type,
        check.reason,
        check.time_zones,
    )


@pytest.mark.parametrize(
    ("raw", "region", "ok", "e164", "region_code", "line_type", "reason", "zones"), TABLE
)
def test_numbers_by_country(
    raw: str,
    region: str | None,
    ok: bool,
    e164: str | None,
    region_code: str | None,
    line_type: LineType,
    reason: BounceReason | None,
    zones: tuple[str, ...],
) -> None:
    """Real-looking numbers in the forms contact lists hold give the stated check."""
    check = check_number(raw, default_region=region)
    assert (ok, e164, region_code, line_type, reason, zones) == fields(check)
    assert raw == check.raw
    assert ("" == check.detail) is ok
    assert check == PhoneNumberValidator().check(raw, default_region=region)


@pytest.mark.parametrize(
    ("raw", "region", "words"),
    [
        ("+33 " + "6" * 10_000_000, None, "longer than 64 characters"),
        ("+999 123 456 789", None, "no known country code"),
        ("0612345678", None, "give default_region"),
        ("n/a", "FR", "not a phone number"),
        ("+33 6 12 34 56 7", None, "too short for its country"),
        ("+33 6 12 34 56 78 9", None, "too long for its country"),
        ("+1 123 456 7890", None, "not in any number range"),
        ("+33 1 42 68 53 00", None, "line type fixed_line is not accepted"),
        ("+33 6 12 34 56 78 ext. 5", None, "has an extension"),
    ],
)
def test_refusals_say_why_without_the_number(raw: str, region: str | None, words: str) -> None:
    """Every refusal has a detail in words, and never the digits of the number."""
    check = check_number(raw, default_region=region)
    assert words in check.detail
    assert "1234" not in check.detail
    assert "42 68" not in check.detail


def test_a_megabyte_string_is_refused_before_parsing() -> None:
    """A huge text is refused by its length (phonenumbers would say "too long" otherwise)."""
    check = check_number("6" * 1_000_000, default_region="FR")
    assert (False, INVALID, f"longer than {MAX_RAW_LENGTH} characters") == (
        check.ok,
        check.reason,
        check.detail,
    )


def test_non_geographic_types_get_the_country_list() -> None:
    """A US toll-free number gets every NANP zone, as phonenumbers says, Etc/Unknown dropped."""
    number = phonenumbers.parse("+1 800 555 0199")
    expected = time_zones_for_number(number)
    check = check_number("+1 800 555 0199")
    assert (LineType.TOLL_FREE, LANDLINE, expected) == (
        check.line_type,
        check.reason,
        check.time_zones,
    )
    assert {"America/New_York", "Pacific/Honolulu", "Pacific/Guam"} <= set(check.time_zones)
    assert "Etc/Unknown" not in check_number("+800 1234 5678").time_zones


# Issue 16, doubtful points settled with a source.


@pytest.mark.parametrize(
    ("raw", "region", "zone"),
    [
        ("+262 692 12 34 56", "RE", "Indian/Reunion"),  # Réunion mobile, 0692
        ("+262 693 12 34 56", "RE", "Indian/Reunion"),  # Réunion mobile, 0693
        ("+262 639 01 23 45", "YT", "Indian/Mayotte"),  # Mayotte mobile, 0639
        ("+262 262 16 12 34", "RE", "Indian/Reunion"),  # Réunion fixed line (geographic)
        ("+262 269 60 12 34", "YT", "Indian/Mayotte"),  # Mayotte fixed line (geographic)
    ],
)
def test_plus_262_takes_the_zone_of_the_numbers_range(raw: str, region: str, zone: str) -> None:
    """+262 is Réunion and Mayotte, one hour apart; phonenumbers' metadata (libphonenumber
    PhoneNumberMetadata.xml, territories RE and YT) names the region from the range, and the
    zone follows it: a Réunion number no longer loses 08:00-09:00 to Mayotte's clock."""
    check = check_number(raw)
    assert (region, (zone,)) == (check.region, check.time_zones)
    assert zone == REGION_ZONES[region]


def test_toll_free_numbers_are_a_policy_option() -> None:
    """US and Canadian toll-free numbers can be text-enabled (Twilio, Toll-Free SMS:
    https://support.twilio.com/hc/en-us/articles/360058144374): refused by default with words
    that say so, accepted with ``toll_free_regions``; other regions' toll-free numbers stay
    refused."""
    refused = check_number("+1 800 555 0199")
    assert (False, LANDLINE, LineType.TOLL_FREE) == (
        refused.ok,
        refused.reason,
        refused.line_type,
    )
    assert "text-enabled" in refused.detail
    assert "cannot receive SMS" not in refused.detail
    texting = PhoneNumberValidator(toll_free_regions=TEXT_ENABLED_TOLL_FREE_REGIONS)
    accepted = texting.check("+1 800 555 0199")
    assert (True, None, LineType.TOLL_FREE, "+18005550199") == (
        accepted.ok,
        accepted.reason,
        accepted.line_type,
        accepted.e164,
    )
    french_free_phone = texting.check("+33 800 12 34 56")
    assert (False, LineType.TOLL_FREE) == (french_free_phone.ok, french_free_phone.line_type)
    everywhere = PhoneNumberValidator(
        accepted_line_types=DEFAULT_ACCEPTED_LINE_TYPES | {LineType.TOLL_FREE}
    )
    assert everywhere.check("+33 800 12 34 56").ok
    assert {"US", "CA"} == TEXT_ENABLED_TOLL_FREE_REGIONS
    bads: list[Any] = ["us", "USA", 1, [None], "US"]
    for bad in bads:
        with pytest.raises(ValidationError, match="toll_free_regions"):
            PhoneNumberValidator(toll_free_regions=bad)


def test_line_types_mirror_phonenumbers() -> None:
    """One LineType per PhoneNumberType, with the same name in lower case."""
    assert len(PhoneNumberType.values()) == len(LineType)
    for value in PhoneNumberType.values():
        name = PhoneNumberType.to_string(value)
        assert name.lower() == LineType[name].value
        assert str(LineType[name]) == LineType[name].value


@pytest.mark.parametrize("line_type", [t for t in LineType if t is not LineType.UNKNOWN])
def test_default_policy(line_type: LineType) -> None:
    """Mobile, fixed line or mobile and VoIP are accepted by default; the rest refused."""
    expected = line_type in {LineType.MOBILE, LineType.FIXED_LINE_OR_MOBILE, LineType.VOIP}
    assert expected == (line_type in DEFAULT_ACCEPTED_LINE_TYPES)
    assert DEFAULT_ACCEPTED_LINE_TYPES == PhoneNumberValidator().accepted_line_types


def test_accepted_line_types_are_configurable() -> None:
    """A validator can accept landlines, refuse VoIP, and takes members or their values."""
    with_landlines = PhoneNumberValidator(
        accepted_line_types=DEFAULT_ACCEPTED_LINE_TYPES | {LineType.FIXED_LINE}
    )
    landline = with_landlines.check("+33 1 42 68 53 00")
    assert (True, None, "+33142685300") == (landline.ok, landline.reason, landline.e164)
    no_voip = PhoneNumberValidator(accepted_line_types=["mobile", "fixed_line_or_mobile"])
    assert frozenset({LineType.MOBILE, LineType.FIXED_LINE_OR_MOBILE}) == (
        no_voip.accepted_line_types
    )
    voip = no_voip.check("+33 9 70 12 34 56")
    assert (False, LANDLINE, LineType.VOIP) == (voip.ok, voip.reason, voip.line_type)
    assert "line type voip is not accepted" in voip.detail
    assert no_voip == PhoneNumberValidator(accepted_line_types={M, FM})
    assert PhoneNumberValidator() != no_voip
    assert "_verdicts" not in repr(no_voip)


@pytest.mark.parametrize(
    "accepted",
    [frozenset(), {LineType.UNKNOWN, LineType.MOBILE}, {"radio"}, "mobile", 5, [None]],
)
def test_bad_line_type_settings(accepted: Any) -> None:
    """Empty sets, UNKNOWN, unknown names and non-collections are refused when built."""
    with pytest.raises(ValidationError) as caught:
        PhoneNumberValidator(accepted_line_types=accepted)
    assert "PhoneNumberValidator.accepted_line_types" == caught.value.field


@pytest.mark.parametrize(
    ("region", "words"),
    [
        ("fr", "upper-case ('FR')"),
        ("XX", "not a region phonenumbers has"),
        ("FRA", "ISO 3166-1 alpha-2"),
        ("", "ISO 3166-1 alpha-2"),
        ("001", "ISO 3166-1 alpha-2"),
        (33, "ISO 3166-1 alpha-2"),
    ],
)
def test_default_region_is_validated(region: Any, words: str) -> None:
    """A default region is None or an upper-case region phonenumbers knows; else refused."""
    with pytest.raises(ValidationError) as caught:
        check_number("0612345678", default_region=region)
    assert "check_number.default_region" == caught.value.field
    assert words in caught.value.problem
    calls: list[tuple[Callable[[], object], str]] = [
        (lambda: PhoneNumberValidator().check("x", default_region=region), "PhoneNumberValidator"),
        (lambda: check_numbers(["x"], default_region=region), "check_numbers"),
        (lambda: build_recipients({"a": ["x"]}, default_region=region), "build_recipients"),
    ]
    for call, field in calls:
        with pytest.raises(ValidationError) as again:
            call()
        assert again.value.field.startswith(field)


@pytest.mark.parametrize("raw", [33612345678, None, b"+33612345678", ["+33612345678"]])
def test_raw_must_be_a_string(raw: Any) -> None:
    """A number given as anything but text is a ValidationError naming the argument."""
    with pytest.raises(ValidationError) as caught:
        check_number(raw)
    assert "check_number.raw" == caught.value.field
    assert isinstance(caught.value, ValueError)
    with pytest.raises(ValidationError) as again:
        PhoneNumberValidator().check(raw)
    assert "PhoneNumberValidator.check.raw" == again.value.field


def test_a_failure_inside_phonenumbers_refuses_only_that_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whatever phonenumbers raises becomes an INVALID check; the batch goes on."""

    def broken(raw: str, region: str | None = None, **_: object) -> phonenumbers.PhoneNumber:
        raise RuntimeError("bug")

    monkeypatch.setattr(phonenumbers, "parse", broken)
    [check] = check_numbers(["+33 6 12 34 56 78"])
    assert (False, INVALID, "phonenumbers could not read it (RuntimeError)") == (
        check.ok,
        check.reason,
        check.detail,
    )


def test_repr_masks_the_number() -> None:
    """Neither the raw text nor the E.164 number appears whole in a repr."""
    check = check_number("+33612345678")
    assert "+33612345678" not in repr(check)
    assert "+336******78" in repr(check)
    assert "e164=None" in repr(check_number("n/a"))
    recipients = build_recipients({"a": ["+33612345678", "+33142685300"]})
    assert "+33612345678" not in repr(recipients)
    assert "+33142685300" not in repr(recipients)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ok": 1}, "NumberCheck.ok"),
        ({"reason": INVALID}, "NumberCheck.reason"),
        ({"e164": None}, "NumberCheck.e164"),
        ({"ok": False}, "NumberCheck.reason"),
        ({"ok": False, "reason": "landline_number"}, "NumberCheck.reason"),
        ({"raw": 33612345678}, "NumberCheck.raw"),
        ({"e164": "0612345678"}, "NumberCheck.e164"),
        ({"e164": 33612345678}, "NumberCheck.e164"),
        ({"region": "fr"}, "NumberCheck.region"),
        ({"region": "001"}, "NumberCheck.region"),
        ({"line_type": "mobile"}, "NumberCheck.line_type"),
        ({"time_zones": ["Europe/Paris"]}, "NumberCheck.time_zones"),
        ({"time_zones": (None,)}, "NumberCheck.time_zones"),
        ({"detail": None}, "NumberCheck.detail"),
    ],
)
def test_number_check_rules(changes: dict[str, Any], field: str) -> None:
    """A NumberCheck that breaks its rules cannot be built (custom validators included)."""
    base: dict[str, Any] = {
        "raw": "+33612345678",
        "ok": True,
        "e164": "+33612345678",
        "region": "FR",
        "line_type": LineType.MOBILE,
        "time_zones": PARIS,
    }
    NumberCheck(**base)
    with pytest.raises(ValidationError) as caught:
        NumberCheck(**{**base, **changes})
    assert field == caught.value.field


@pytest.mark.parametrize(("raw", "region"), [(row[0], row[1]) for row in TABLE])
def test_built_in_answers_pass_the_rules(raw: str, region: str | None) -> None:
    """The built-in validator's answers (built without re-running the rules) obey them: a
    rebuilt copy through __init__ is accepted and equal, every field included."""
    check = check_number(raw, default_region=region)
    assert check == attrs.evolve(check)
    assert len(attrs.fields(NumberCheck)) == len(attrs.asdict(check))


@attrs.define
class CountingValidator:
    """A NumberValidator that records each call and answers like the built-in one."""

    inner: NumberValidator = attrs.field(factory=PhoneNumberValidator)
    calls: list[tuple[str, str | None]] = attrs.field(factory=list)

    def check(self, raw: str, *, default_region: str | None = None) -> NumberCheck:
        """Record the call, then ask ``inner``."""
        self.calls.append((raw, default_region))
        return self.inner.check(raw, default_region=default_region)


def test_check_numbers_keeps_order_and_checks_each_text_once() -> None:
    """Results follow the input; a repeated text is checked once and shares its result."""
    raws = ["06 12 34 56 78", "+33 1 42 68 53 00", "06 12 34 56 78", "n/a", "n/a", "0612345678"]
    counting = CountingValidator()
    found = check_numbers(raws, default_region="FR", validator=counting)
    assert [check_number(raw, default_region="FR") for raw in raws] == found
    assert [
        ("06 12 34 56 78", "FR"),
        ("+33 1 42 68 53 00", "FR"),
        ("n/a", "FR"),
        ("0612345678", "FR"),
    ] == counting.calls
    assert found[0] is found[2]
    assert found[3] is found[4]
    assert found == check_numbers(iter(raws), default_region="FR")
    check_numbers(raws, default_region="FR", validator=counting)
    assert 8 == len(counting.calls)  # the cache lives for one call


def test_check_numbers_built_in_shares_repeats() -> None:
    """With the default validator, repeats are the same object too, and order is kept."""
    found = check_numbers(["+33612345678", "+33142685300", "+33612345678"])
    assert found[0] is found[2]
    assert [True, False, True] == [check.ok for check in found]
    assert [] == check_numbers([])


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: check_numbers(["+33612345678", "x", 33]), "check_numbers.raws[2]"),  # type: ignore[list-item]
        (lambda: check_numbers("+33612345678"), "check_numbers.raws"),
        (lambda: check_numbers(None), "check_numbers.raws"),  # type: ignore[arg-type]
        (lambda: check_numbers(["x"], validator=object()), "check_numbers.validator"),  # type: ignore[arg-type]
        (
            lambda: check_numbers(["x"], validator=NotAChecker()),  # type: ignore[arg-type]
            "check_numbers.validator",
        ),
        (lambda: check_numbers(["x"], validator=Liar()), "check_numbers.validator"),
        (lambda: build_recipients({"a": ["x"]}, validator=Liar()), "build_recipients.validator"),
        (lambda: build_recipients(["a"]), "build_recipients.lists"),  # type: ignore[arg-type]
        (lambda: build_recipients({"": ["x"]}), "build_recipients.lists"),
        (lambda: build_recipients({" a": ["x"]}), "build_recipients.lists"),
        (lambda: build_recipients({7: ["x"]}), "build_recipients.lists"),  # type: ignore[dict-item]
        (lambda: build_recipients({"a": "+33612345678"}), "build_recipients.lists['a']"),
        (lambda: build_recipients({"a": ["x", None]}), "build_recipients.lists['a'][1]"),  # type: ignore[list-item]
    ],
)
def test_bulk_input_errors_name_the_place(call: Any, field: str) -> None:
    """Bad items, bad collections and bad validators are ValidationErrors naming where."""
    with pytest.raises(ValidationError) as caught:
        call()
    assert field == caught.value.field


class NotAChecker:
    """Has a ``check`` attribute that cannot be called."""

    check = "yes"


class Liar:
    """A validator that answers with something that is not a NumberCheck."""

    def check(self, raw: str, *, default_region: str | None = None) -> NumberCheck:
        """Answer a string."""
        return raw  # type: ignore[return-value]


def test_validators_are_number_validators() -> None:
    """The built-in validator and any object with ``check`` satisfy the protocol."""
    assert isinstance(PhoneNumberValidator(), NumberValidator)
    assert isinstance(CountingValidator(), NumberValidator)
    assert not isinstance(object(), NumberValidator)


def test_build_recipients_merges_lists_and_spellings() -> None:
    """One recipient per E.164 number, with every list it is in, whatever the spelling."""
    counting = CountingValidator()
    result = build_recipients(
        {
            "newsletter": ["+33 6 12 34 56 78", "+44 7400 123456", "01 42 68 53 00", "n/a"],
            "vip": ["0612345678", "06 99 88 77 66", "n/a", "+33 6 12 34 56 78"],
            "winback": ["+44 7400 123456", "06.12.34.56.78", "01 42 68 53 00"],
        },
        default_region="FR",
        validator=counting,
    )
    assert isinstance(result, RecipientSet)
    assert [
        ("+33612345678", ("newsletter", "vip", "winback"), "+33 6 12 34 56 78"),
        ("+447400123456", ("newsletter", "winback"), "+44 7400 123456"),
        ("+33699887766", ("vip",), "06 99 88 77 66"),
    ] == [(r.e164, r.list_ids, r.check.raw) for r in result.recipients]
    assert [
        ("01 42 68 53 00", ("newsletter", "winback"), LANDLINE),
        ("n/a", ("newsletter", "vip"), INVALID),
    ] == [(r.raw, r.list_ids, r.check.reason) for r in result.rejected]
    assert 7 == len(counting.calls)  # each distinct text once, across lists
    assert ["+33612345678", "+33699887766"] == [r.e164 for r in result.in_list("vip")]
    assert () == result.in_list("nobody")


def test_build_recipients_empty_and_iterables() -> None:
    """No lists, empty lists and generators are fine; the default validator is used."""
    assert RecipientSet(recipients=[], rejected=[]) == build_recipients({})
    result = build_recipients({"a": [], "b": iter(["+33612345678"])})
    assert [("+33612345678", ("b",))] == [(r.e164, r.list_ids) for r in result.recipients]


def test_recipient_values_are_validated() -> None:
    """Recipient and Rejected refuse bad numbers, list ids and checks, naming the field."""
    check = check_number("+33612345678")
    assert ("a", "b") == Recipient(
        e164="+33612345678", list_ids=["b", "a", "b"], check=check
    ).list_ids
    builds: list[tuple[Callable[[], object], str]] = [
        (lambda: Recipient(e164="0612345678", list_ids=(), check=check), "Recipient.e164"),
        (lambda: Recipient(e164="+33612345678", list_ids=[""], check=check), "Recipient.list_ids"),
        (lambda: Rejected(raw="x", list_ids=(), check="no"), "Rejected.check"),  # type: ignore[arg-type]
    ]
    for build, field in builds:
        with pytest.raises(ValidationError) as caught:
            build()
        assert field == caught.value.field


def calling_codes() -> Iterator[int]:
    """Every country calling code phonenumbers knows."""
    yield from sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


digit_numbers = st.builds(
    lambda code, digits: f"+{code}{digits}",
    st.sampled_from(list(calling_codes())),
    st.text(alphabet="0123456789", min_size=3, max_size=13),
)
phone_like = st.from_regex(r"[+0(]?[0-9 ().\-]{0,22}(ext\. ?[0-9]{1,4})?", fullmatch=True)
regions = st.sampled_from([None, "FR", "US", "RE", "GB", "IT"])


@given(st.text() | phone_like | digit_numbers, regions)
def test_never_raises_and_keeps_its_rules(raw: str, region: str | None) -> None:
    """Any text gets a NumberCheck: ok implies an E.164 number and no reason; a refusal has
    a reason; the answer is one NumberCheck's rules accept."""
    check = check_number(raw, default_region=region)
    assert isinstance(check, NumberCheck)
    if check.ok:
        assert check.reason is None
        assert check.e164 is not None
        assert E164.fullmatch(check.e164)
    else:
        assert isinstance(check.reason, BounceReason)
    assert check == attrs.evolve(check)


@given(digit_numbers | phone_like, regions)
def test_agrees_with_phonenumbers(raw: str, region: str | None) -> None:
    """E.164, validity, type, region and zones are what phonenumbers' public functions say."""
    check = check_number(raw, default_region=region)
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        assert (None, LineType.UNKNOWN) == (check.e164, check.line_type)
        return
    valid = phonenumbers.is_valid_number(number)
    assert valid == (check.e164 is not None)
    if valid:
        kind = PhoneNumberType.to_string(phonenumbers.number_type(number))
        region_code = phonenumbers.region_code_for_number(number)
        zones = tuple(z for z in time_zones_for_number(number) if z != "Etc/Unknown")
        if region_code is not None and region_code in REGION_ZONES and len(zones) > 1:
            zones = (REGION_ZONES[region_code],)
        assert (
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
            LineType[kind],
            None if region_code == "001" else region_code,
            zones,
        ) == (check.e164, check.line_type, check.region, check.time_zones)


pool = st.sampled_from(["+33612345678", "06 12 34 56 78", "n/a", "+33142685300", "+1 800 555"])


@given(st.lists(pool | st.text(max_size=12) | digit_numbers, max_size=12), regions)
def test_bulk_equals_one_by_one(raws: list[str], region: str | None) -> None:
    """check_numbers(xs) is [check_number(x) for x in xs]."""
    assert [check_number(raw, default_region=region) for raw in raws] == check_numbers(
        raws, default_region=region
    )
