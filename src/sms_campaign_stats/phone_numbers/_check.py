"""One number: can an SMS reach it, where is it, which zones (``NumberCheck``, ``LineType``).

The package docstring (``sms_campaign_stats.phone_numbers``) says what is checked and why.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

import attrs
import phonenumbers
from phonenumbers import (
    NumberParseException,
    PhoneMetadata,
    PhoneNumber,
    PhoneNumberType,
    ValidationResult,
    phonenumberutil,
)
from phonenumbers.timezone import (
    UNKNOWN_TIMEZONE,
    time_zones_for_number,
)

from sms_campaign_stats._core import validate as v
from sms_campaign_stats._core.privacy import mask_number
from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.lifecycle._statuses import BounceReason

__all__ = [
    "DEFAULT_ACCEPTED_LINE_TYPES",
    "MAX_RAW_LENGTH",
    "REGION_ZONES",
    "TEXT_ENABLED_TOLL_FREE_REGIONS",
    "LineType",
    "NumberCheck",
]

#: Texts longer than this are refused (INVALID_NUMBER_OR_COUNTRY_CODE) without being parsed. An
#: E.164 number has at most 15 digits; 64 characters leave room for spaces, punctuation, a
#: ``tel:`` prefix and an extension.
MAX_RAW_LENGTH = 64


class LineType(str, enum.Enum):
    """What kind of line a number is, as phonenumbers' ``PhoneNumberType`` says (lower-case).

    ``FIXED_LINE_OR_MOBILE`` is a number from a plan that does not tell the two apart (the US,
    Canada and the rest of +1, Mexico, ...). ``UNKNOWN`` is the type of invalid numbers.
    """

    MOBILE = "mobile"
    FIXED_LINE = "fixed_line"
    FIXED_LINE_OR_MOBILE = "fixed_line_or_mobile"
    TOLL_FREE = "toll_free"
    PREMIUM_RATE = "premium_rate"
    SHARED_COST = "shared_cost"
    VOIP = "voip"
    PERSONAL_NUMBER = "personal_number"
    PAGER = "pager"
    UAN = "uan"
    VOICEMAIL = "voicemail"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


#: The line types ``PhoneNumberValidator()`` accepts. VoIP numbers are accepted because many of
#: them receive SMS (virtual mobile and cloud-telephony numbers).
DEFAULT_ACCEPTED_LINE_TYPES: frozenset[LineType] = frozenset(
    {LineType.MOBILE, LineType.FIXED_LINE_OR_MOBILE, LineType.VOIP}
)

#: Regions whose toll-free numbers can be text-enabled: the US and Canada (toll-free numbers of
#: the North American Numbering Plan, which phonenumbers reports as region US). Twilio: "Toll-
#: Free SMS offers a great way to send Application-to-Person (A2P) SMS to recipients in the
#: United States and Canada", https://support.twilio.com/hc/en-us/articles/360058144374. Give
#: them to ``PhoneNumberValidator(toll_free_regions=...)`` to accept such numbers; elsewhere a
#: toll-free number is a service line that does not receive SMS.
TEXT_ENABLED_TOLL_FREE_REGIONS: frozenset[str] = frozenset({"US", "CA"})

#: The one zone of a region that shares its calling code with another, when phonenumbers gives
#: the code's whole list for a number that is not geographical (mobiles). +262 is Réunion and
#: Mayotte, one hour apart: phonenumbers names the region from the number's range (its
#: metadata, libphonenumber's resources/PhoneNumberMetadata.xml, territories RE and YT:
#: Réunion mobiles 692 and 693, Mayotte mobiles 639), so the zone follows the region instead
#: of both zones being honoured (a Réunion number lost 08:00-09:00 every day to Mayotte).
REGION_ZONES: Mapping[str, str] = MappingProxyType({"RE": "Indian/Reunion", "YT": "Indian/Mayotte"})

_LINE_TYPES: Mapping[int, LineType] = {
    PhoneNumberType.FIXED_LINE: LineType.FIXED_LINE,
    PhoneNumberType.MOBILE: LineType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: LineType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.TOLL_FREE: LineType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE: LineType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST: LineType.SHARED_COST,
    PhoneNumberType.VOIP: LineType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER: LineType.PERSONAL_NUMBER,
    PhoneNumberType.PAGER: LineType.PAGER,
    PhoneNumberType.UAN: LineType.UAN,
    PhoneNumberType.VOICEMAIL: LineType.VOICEMAIL,
    PhoneNumberType.UNKNOWN: LineType.UNKNOWN,
}

_INVALID = BounceReason.INVALID_NUMBER_OR_COUNTRY_CODE
_LANDLINE = BounceReason.LANDLINE_NUMBER
_REGION = re.compile(r"[A-Z]{2}")
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")  # as _validate.check_e164
_SUPPORTED_REGIONS = frozenset(phonenumbers.SUPPORTED_REGIONS)
_UNKNOWN_TYPE = PhoneNumberType.UNKNOWN

_PARSE_PROBLEMS: Mapping[int, str] = {
    NumberParseException.INVALID_COUNTRY_CODE: (
        "no known country code: write it as +<country code> <number>, or give default_region "
        "for numbers written the national way"
    ),
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "too short to be a phone number",
    NumberParseException.TOO_LONG: "too long to be a phone number",
}
_POSSIBILITY_PROBLEMS: Mapping[int, str] = {
    ValidationResult.INVALID_COUNTRY_CODE: "no numbering plan is known for its country code",
    ValidationResult.TOO_SHORT: "too short for its country",
    ValidationResult.TOO_LONG: "too long for its country",
    ValidationResult.INVALID_LENGTH: "not a length its country uses",
}
_NOT_IN_A_RANGE = "not in any number range its country assigns"
_EXTENSION = "has an extension: an SMS reaches a line, not an extension behind a switchboard"
_TOO_LONG = f"longer than {MAX_RAW_LENGTH} characters"

# Country-level time zones by country calling code: what phonenumbers answers for a number whose
# type is not geographical (most mobiles, toll-free numbers), which depends on the country code
# only. Filled as countries are met; the data is fixed for the installed phonenumbers.
_COUNTRY_ZONES: dict[int, tuple[str, ...]] = {}


_describe = v.describe


def _mask_optional(number: str | None) -> str:
    return "None" if number is None else mask_number(number)


def _known_zones(zones: tuple[str, ...]) -> tuple[str, ...]:
    """``zones`` without phonenumbers' "Etc/Unknown" (neither zoneinfo nor pytz loads it)."""
    if UNKNOWN_TIMEZONE in zones:
        return tuple(zone for zone in zones if zone != UNKNOWN_TIMEZONE)
    return zones


def _check_raw(field: str, raw: object) -> str:
    if not isinstance(raw, str):
        raise ValidationError(field, f"expected a phone number as a string, got {_describe(raw)}")
    return raw


def _check_region(field: str, region: object) -> str | None:
    """``None`` or a region phonenumbers knows, as two upper-case letters (``"FR"``)."""
    if region is None or (isinstance(region, str) and region in _SUPPORTED_REGIONS):
        return region
    if isinstance(region, str) and _REGION.fullmatch(region):
        problem = f"{region!r} is not a region phonenumbers has a numbering plan for"
    elif isinstance(region, str) and _REGION.fullmatch(region.upper()):
        problem = f"{region!r} refused: region codes are upper-case ({region.upper()!r})"
    else:
        problem = (
            "expected None or an ISO 3166-1 alpha-2 region code such as 'FR', "
            f"got {_describe(region)}"
        )
    raise ValidationError(field, problem)


def _iterable_of_numbers(field: str, raws: object) -> Iterable[object]:
    if isinstance(raws, (str, bytes)) or not isinstance(raws, Iterable):
        raise ValidationError(
            field, f"expected an iterable of phone numbers (strings), got {_describe(raws)}"
        )
    return raws


@attrs.frozen(kw_only=True)
class NumberCheck:
    """What a validator found out about one number. ``raw`` and ``e164`` are masked in the repr.

    - ``ok``: send to it. ``reason`` is ``None`` exactly when ``ok``; otherwise it is the
      ``BounceReason`` the message would bounce with, and ``detail`` says why in words (never
      with the number in it: it may end up in a log).
    - ``e164``: the number in E.164 form (``"+33612345678"``) whenever it is a valid number,
      refused or not (a landline, a number with an extension); ``None`` when the text is not a
      valid number. ``ok`` implies it is set.
    - ``region``: ISO 3166-1 alpha-2 code of the number's region (``"FR"``, ``"RE"`` for
      Réunion, ``"US"``), from ``phonenumbers.region_code_for_number``; ``None`` for invalid
      numbers and for numbers of no country (+800 freephone, +881 satellite, ...).
    - ``line_type``: ``LineType.UNKNOWN`` for invalid numbers.
    - ``time_zones``: the candidate IANA zones phonenumbers gives, "Etc/Unknown" dropped; empty
      when none is known. Mobiles of most countries get the country's whole list.

    Built by a validator; building one checks those rules (``ValidationError`` otherwise).
    """

    raw: str = attrs.field(repr=mask_number)
    ok: bool
    e164: str | None = attrs.field(default=None, repr=_mask_optional)
    region: str | None = None
    line_type: LineType = LineType.UNKNOWN
    reason: BounceReason | None = None
    time_zones: tuple[str, ...] = ()
    detail: str = ""

    def __attrs_post_init__(self) -> None:
        _check_fields(
            self.raw,
            self.ok,
            self.e164,
            self.region,
            self.line_type,
            self.reason,
            self.time_zones,
            self.detail,
        )


def _check_fields(
    raw: object,
    ok: object,
    e164: object,
    region: object,
    line_type: object,
    reason: object,
    zones: object,
    detail: object,
) -> None:
    """``NumberCheck``'s rules, as one function of plain checks (a custom validator's answers
    get the same guarantees as the built-in one's)."""
    if ok is True:
        v.ensure("NumberCheck.reason", reason is None, "must be None when ok is True")
        v.ensure("NumberCheck.e164", e164 is not None, "must be set when ok is True")
    elif ok is False:
        if not isinstance(reason, BounceReason):
            raise ValidationError(
                "NumberCheck.reason",
                f"must be a BounceReason when ok is False, got {_describe(reason)}",
            )
    else:
        raise ValidationError("NumberCheck.ok", f"expected True or False, got {_describe(ok)}")
    if not isinstance(raw, str):
        raise ValidationError("NumberCheck.raw", f"expected a string, got {_describe(raw)}")
    if e164 is not None:
        v.check_e164("NumberCheck.e164", e164)
    if region is not None and (not isinstance(region, str) or _REGION.fullmatch(region) is None):
        raise ValidationError(
            "NumberCheck.region",
            f"expected None or two upper-case letters, got {_describe(region)}",
        )
    v.check_member("NumberCheck.line_type", LineType, line_type)
    if type(zones) is not tuple or not all(isinstance(zone, str) for zone in zones):
        raise ValidationError(
            "NumberCheck.time_zones", f"expected a tuple of zone names, got {_describe(zones)}"
        )
    if not isinstance(detail, str):
        raise ValidationError("NumberCheck.detail", f"expected a string, got {_describe(detail)}")


# The built-in validator's answers follow NumberCheck's rules by construction (the tests rebuild
# them through __init__, for the country table and for arbitrary text), so it builds them without
# running the checks again: this saves about a tenth of the time per distinct number (measured
# with benchmarks/bench_numbers.py). The setters are the slots' own, one per field in order: a
# field added to NumberCheck breaks this unpacking at import.
_new_object = object.__new__
_SET_RAW, _SET_OK, _SET_E164, _SET_REGION, _SET_LINE_TYPE, _SET_REASON, _SET_ZONES, _SET_DETAIL = (
    NumberCheck.__dict__[field.name].__set__ for field in attrs.fields(NumberCheck)
)


def _trusted_check(
    raw: str,
    ok: bool,
    e164: str | None,
    region: str | None,
    line_type: LineType,
    reason: BounceReason | None,
    zones: tuple[str, ...],
    detail: str,
) -> NumberCheck:
    """A ``NumberCheck`` built without ``__attrs_post_init__``: only for values known good."""
    check: NumberCheck = _new_object(NumberCheck)
    _SET_RAW(check, raw)
    _SET_OK(check, ok)
    _SET_E164(check, e164)
    _SET_REGION(check, region)
    _SET_LINE_TYPE(check, line_type)
    _SET_REASON(check, reason)
    _SET_ZONES(check, zones)
    _SET_DETAIL(check, detail)
    return check


def _invalid(raw: str, detail: str) -> NumberCheck:
    return _trusted_check(raw, False, None, None, LineType.UNKNOWN, _INVALID, (), detail)


# phonenumbers.number_type(number) is region_code_for_number(number), that region's metadata,
# then _number_type_helper(national significant number, metadata). Calling the three directly
# gives the type and the region for one region look-up instead of two (a look-up is as dear as
# typing the number itself for countries sharing a calling code: +1, +44, +262, +39, +61). The
# helper is private to phonenumbers (its stubs declare it); without it, the public functions.
_TYPE_HELPER: Callable[[str, PhoneMetadata], int] | None = getattr(
    phonenumberutil, "_number_type_helper", None
)


def _type_region_nsn_public(number: PhoneNumber) -> tuple[int, str | None, str]:
    """The number's type, region and national significant number, by the public functions."""
    return (
        phonenumbers.number_type(number),
        phonenumbers.region_code_for_number(number),
        phonenumbers.national_significant_number(number),
    )


def _type_region_nsn_shared(number: PhoneNumber) -> tuple[int, str | None, str]:
    """As ``_type_region_nsn_public``, the region looked up once."""
    region = phonenumbers.region_code_for_number(number)
    nsn = phonenumbers.national_significant_number(number)
    if region is None or _TYPE_HELPER is None:
        return _UNKNOWN_TYPE, region, nsn
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(number.country_code or 0, region)
    if metadata is None:
        return _UNKNOWN_TYPE, region, nsn
    return _TYPE_HELPER(nsn, metadata), region, nsn


_type_region_nsn = _type_region_nsn_public if _TYPE_HELPER is None else _type_region_nsn_shared


def _country_zones(number: PhoneNumber, country_code: int) -> tuple[str, ...]:
    """The country-level zones of ``country_code`` for ``number``, of a type that is not
    geographical: phonenumbers' own answer for the first such number met, then cached."""
    zones = _COUNTRY_ZONES.get(country_code)
    if zones is None:
        zones = _COUNTRY_ZONES[country_code] = _known_zones(time_zones_for_number(number))
    return zones
