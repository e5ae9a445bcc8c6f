"""Recipients' phone numbers: can an SMS reach this number, and where is it?

``check_number(raw, default_region=...)`` reads one number as a contact list holds it
(``"+33 6 12 34 56 78"``, ``"06.12.34.56.78"`` with ``default_region="FR"``, ``"0033612345678"``,
``"+1 (212) 555-0123"``, ``"tel:+33612345678"``) and answers with a ``NumberCheck``: whether to
send (``ok``), the E.164 form, the region, the line type, the bounce reason when refused, and
the candidate time zones. A refusal is a value, never an exception: only a wrong *type* of
argument (or a malformed ``default_region``) raises ``ValidationError``.

The data comes from python-phonenumbers (https://github.com/daviddrysdale/python-phonenumbers),
the Python port of Google's libphonenumber (https://github.com/google/libphonenumber): validity,
line types, regions and time zones are what its metadata says for the installed version.

What is refused, and why (``docs/numbers.md`` has the full table):

- a number phonenumbers cannot read, an impossible or invalid one, an unknown country code, a
  text longer than ``MAX_RAW_LENGTH``, or a valid number with an extension:
  ``INVALID_NUMBER_OR_COUNTRY_CODE``;
- a line type the validator does not accept, a line that cannot receive SMS: ``LANDLINE_NUMBER``
  (Brevo's landline soft-bounce reason, the closest of the library's fixed reasons). By default
  ``MOBILE``, ``FIXED_LINE_OR_MOBILE`` and ``VOIP`` are accepted, every other type refused; a
  ``PhoneNumberValidator(accepted_line_types=...)`` decides otherwise.

``check_numbers`` checks many numbers, reading each distinct text once per call;
``build_recipients`` merges contact lists into one ``Recipient`` per E.164 number, with all its
list memberships. Anything with a ``check(raw, *, default_region=None)`` method returning a
``NumberCheck`` is a ``NumberValidator`` and can replace the built-in one.

>>> check = check_number("06 12 34 56 78", default_region="FR")
>>> check.ok, check.e164, check.region, check.line_type.value, check.time_zones
(True, '+33612345678', 'FR', 'mobile', ('Europe/Paris',))
>>> check_number("+33 1 42 68 53 00").reason
<BounceReason.LANDLINE_NUMBER: 'landline_number'>
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

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
    time_zones_for_geographical_number,
    time_zones_for_number,
)

from sms_campaign_stats._core import validate as v
from sms_campaign_stats._core.privacy import mask_number
from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.lifecycle._statuses import BounceReason

__all__ = [
    "DEFAULT_ACCEPTED_LINE_TYPES",
    "MAX_RAW_LENGTH",
    "LineType",
    "NumberCheck",
    "NumberValidator",
    "PhoneNumberValidator",
    "Recipient",
    "RecipientSet",
    "Rejected",
    "build_recipients",
    "check_number",
    "check_numbers",
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


def _check_validator(field: str, validator: object) -> NumberValidator:
    if validator is None:
        return _DEFAULT
    if not isinstance(validator, NumberValidator) or not callable(validator.check):
        raise ValidationError(
            field,
            "expected a NumberValidator (an object with a check(raw, *, default_region) "
            f"method), got {_describe(validator)}",
        )
    return validator


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


@runtime_checkable
class NumberValidator(Protocol):
    """Anything that checks numbers: one ``check`` method, with ``check_number``'s signature.

    ``check_numbers`` and ``build_recipients`` take one as ``validator=`` (default: a
    ``PhoneNumberValidator()``); ``default_region`` reaches it already validated (``None`` or a
    region phonenumbers knows). It should answer every text with a ``NumberCheck``; what it
    raises, ``check_numbers`` lets through.
    """

    def check(self, raw: str, *, default_region: str | None = None) -> NumberCheck:
        """Check ``raw``, read as written in ``default_region`` when it has no country code."""
        ...


def _to_line_types(value: Iterable[LineType | str]) -> frozenset[LineType]:
    """Converter: a frozenset of members from members or their values; odd input passed on."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return value  # type: ignore[return-value]  # the validator names the problem
    items: list[Any] = [v.coerce_enum(LineType, item) for item in value]
    return frozenset(items)


def _line_types(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    field = "PhoneNumberValidator.accepted_line_types"
    if not isinstance(value, frozenset):
        raise ValidationError(field, f"expected a set of LineType, got {_describe(value)}")
    for item in value:
        v.check_member(field, LineType, item)
    v.ensure(field, bool(value), "accepting no line type would refuse every number")
    v.ensure(
        field,
        LineType.UNKNOWN not in value,
        "UNKNOWN is the type of invalid numbers, which are never accepted",
    )


# What the built-in validator answers for a valid number of a given phonenumbers type:
# (line type, ok, reason, detail).
_Verdict = tuple[LineType, bool, BounceReason | None, str]


@attrs.frozen(kw_only=True)
class PhoneNumberValidator:
    """The built-in ``NumberValidator``, backed by phonenumbers.

    ``accepted_line_types`` are the line types that pass (default
    ``DEFAULT_ACCEPTED_LINE_TYPES``: mobile, fixed line or mobile, VoIP); a valid number of any
    other type is refused with ``LANDLINE_NUMBER``, "a line that cannot receive SMS". Give
    members or their values; ``UNKNOWN`` (invalid numbers) cannot be accepted.

    >>> strict = PhoneNumberValidator(
    ...     accepted_line_types=DEFAULT_ACCEPTED_LINE_TYPES - {LineType.VOIP})
    >>> strict.check("+33 9 70 12 34 56").reason
    <BounceReason.LANDLINE_NUMBER: 'landline_number'>
    """

    accepted_line_types: frozenset[LineType] = attrs.field(
        default=DEFAULT_ACCEPTED_LINE_TYPES, converter=_to_line_types, validator=_line_types
    )
    _verdicts: Mapping[int, _Verdict] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # What a valid number of each phonenumbers type gets, computed once per validator.
        verdicts: dict[int, _Verdict] = {}
        for kind, line_type in _LINE_TYPES.items():
            if line_type in self.accepted_line_types:
                verdicts[kind] = (line_type, True, None, "")
            else:
                detail = f"line type {line_type.value} is not accepted: it cannot receive SMS"
                verdicts[kind] = (line_type, False, _LANDLINE, detail)
        object.__setattr__(self, "_verdicts", verdicts)

    def check(self, raw: str, *, default_region: str | None = None) -> NumberCheck:
        """Check ``raw``; a number without country code is read as written in ``default_region``.

        Raises ``ValidationError`` only when ``raw`` is not a string or ``default_region`` is
        neither ``None`` nor a region phonenumbers knows: every text gets a ``NumberCheck``.
        """
        field = "PhoneNumberValidator.check"
        return self._check(
            _check_raw(f"{field}.raw", raw),
            _check_region(f"{field}.default_region", default_region),
        )

    def _check(self, raw: str, region: str | None) -> NumberCheck:
        """``check``, once ``raw`` and ``region`` are known to be good."""
        if len(raw) > MAX_RAW_LENGTH:
            return _invalid(raw, _TOO_LONG)
        # Only phonenumbers runs in the try: whatever it raises refuses this one number.
        try:
            number = phonenumbers.parse(raw, region)
            kind, region_code, nsn = _type_region_nsn(number)
            if kind == _UNKNOWN_TYPE:  # exactly when is_valid_number(number) is False
                possibility = phonenumbers.is_possible_number_with_reason(number)
                return _invalid(raw, _POSSIBILITY_PROBLEMS.get(possibility, _NOT_IN_A_RANGE))
            country_code = number.country_code or 0  # set on every parsed number
            # time_zones_for_number would type the number again: the type is known.
            if phonenumbers.is_number_type_geographical(kind, country_code):
                zones = _known_zones(time_zones_for_geographical_number(number))
            else:
                zones = _country_zones(number, country_code)
        except NumberParseException as error:
            return _invalid(raw, _PARSE_PROBLEMS.get(error.error_type, "not a phone number"))
        except Exception as error:  # a bug in phonenumbers must not fail a whole batch
            return _invalid(raw, f"phonenumbers could not read it ({type(error).__name__})")
        line_type, ok, reason, detail = self._verdicts.get(kind, self._verdicts[_UNKNOWN_TYPE])
        if ok and number.extension:
            ok, reason, detail = False, _INVALID, _EXTENSION
        if region_code is not None and _REGION.fullmatch(region_code) is None:
            region_code = None  # "001": a number of no country (+800, +881, ...)
        # format_number(number, E164) is exactly this for a parsed number (no extension shown).
        e164 = f"+{country_code}{nsn}"
        return _trusted_check(raw, ok, e164, region_code, line_type, reason, zones, detail)


_DEFAULT = PhoneNumberValidator()


def check_number(raw: str, *, default_region: str | None = None) -> NumberCheck:
    """Check one number with the default ``PhoneNumberValidator``.

    ``default_region`` (``"FR"``) is how numbers written without a country code are read
    (``"06 12 34 56 78"``, and ``"0033 6..."`` with that region's international prefix);
    ``None`` reads only numbers with a ``+`` country code. Raises ``ValidationError`` if
    ``raw`` is not a string or ``default_region`` is not a region phonenumbers knows.
    """
    return _DEFAULT._check(
        _check_raw("check_number.raw", raw),
        _check_region("check_number.default_region", default_region),
    )


def check_numbers(
    raws: Iterable[str],
    *,
    default_region: str | None = None,
    validator: NumberValidator | None = None,
) -> list[NumberCheck]:
    """One ``NumberCheck`` per item of ``raws``, in order. Each distinct text is checked once
    per call: its repeats get the same (immutable) ``NumberCheck`` object.

    The result equals ``[validator.check(raw, default_region=default_region) for raw in raws]``.
    Raises ``ValidationError`` for an item that is not a string (naming its index), a
    ``default_region`` that is not a region, or a validator answer that is not a NumberCheck.
    """
    field = "check_numbers"
    region = _check_region(f"{field}.default_region", default_region)
    chosen = _check_validator(f"{field}.validator", validator)
    items = _iterable_of_numbers(f"{field}.raws", raws)
    return _check_all(items, f"{field}.raws", region, chosen, {})


def _check_all(
    items: Iterable[object],
    field: str,
    region: str | None,
    validator: NumberValidator,
    cache: dict[str, NumberCheck],
) -> list[NumberCheck]:
    """The checks of ``items`` (``field`` names them in errors), through ``cache``."""
    check_one: Callable[[str, str | None], NumberCheck]
    if type(validator) is PhoneNumberValidator:
        check_one = validator._check
    else:
        answer_field = f"{field.partition('.')[0]}.validator"

        def check_one(raw: str, region: str | None) -> NumberCheck:
            answer = validator.check(raw, default_region=region)
            if not isinstance(answer, NumberCheck):
                raise ValidationError(
                    answer_field, f"the validator returned {_describe(answer)}, not a NumberCheck"
                )
            return answer

    results: list[NumberCheck] = []
    append = results.append
    get = cache.get
    for index, raw in enumerate(items):
        if not isinstance(raw, str):
            raise ValidationError(
                f"{field}[{index}]", f"expected a phone number as a string, got {_describe(raw)}"
            )
        found = get(raw)
        if found is None:
            found = cache[raw] = check_one(raw, region)
        append(found)
    return results


def _list_ids_of(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    v.check_list_ids(f"{type(instance).__name__}.{attribute.name}", value)


def _e164_of(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    v.check_e164(f"{type(instance).__name__}.{attribute.name}", value)


def _a_check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, NumberCheck):
        raise ValidationError(
            f"{type(instance).__name__}.{attribute.name}",
            f"expected a NumberCheck, got {_describe(value)}",
        )


@attrs.frozen(kw_only=True)
class Recipient:
    """One number to send to, the lists it came from (sorted, without repeats), and the check
    of the first spelling met (``check.raw``). ``e164`` is masked in the repr."""

    e164: str = attrs.field(validator=_e164_of, repr=mask_number)
    list_ids: tuple[str, ...] = attrs.field(converter=v.to_list_ids, validator=_list_ids_of)
    check: NumberCheck = attrs.field(validator=_a_check)


@attrs.frozen(kw_only=True)
class Rejected:
    """One refused text, the lists it was in (sorted, without repeats), and why
    (``check.reason``, ``check.detail``). ``raw`` is masked in the repr."""

    raw: str = attrs.field(repr=mask_number)
    list_ids: tuple[str, ...] = attrs.field(converter=v.to_list_ids, validator=_list_ids_of)
    check: NumberCheck = attrs.field(validator=_a_check)


def _recipient_tuple(value: Iterable[Recipient]) -> tuple[Recipient, ...]:
    return tuple(value)


def _rejected_tuple(value: Iterable[Rejected]) -> tuple[Rejected, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class RecipientSet:
    """What ``build_recipients`` found: who to send to, and what was refused.

    ``recipients`` has one ``Recipient`` per distinct E.164 number, ``rejected`` one
    ``Rejected`` per distinct refused text, each in the order first met.
    """

    recipients: tuple[Recipient, ...] = attrs.field(converter=_recipient_tuple)
    rejected: tuple[Rejected, ...] = attrs.field(converter=_rejected_tuple)

    def in_list(self, list_id: str) -> tuple[Recipient, ...]:
        """The recipients that came from ``list_id`` (among others), in order."""
        return tuple(r for r in self.recipients if list_id in r.list_ids)


def build_recipients(
    lists: Mapping[str, Iterable[str]],
    *,
    default_region: str | None = None,
    validator: NumberValidator | None = None,
) -> RecipientSet:
    """Merge contact lists (list id -> raw numbers) into one recipient per E.164 number.

    The same person written ``"+33 6 12 34 56 78"`` in one list and ``"0612345678"`` in another
    (with ``default_region="FR"``) is one ``Recipient``, in both lists. A refused text is one
    ``Rejected``, with every list it was in. Lists are read in the mapping's order, numbers in
    each list's order; each distinct text is checked once. List ids are checked like every id
    in the library (non-empty, no surrounding spaces, at most 256 characters).
    """
    field = "build_recipients"
    region = _check_region(f"{field}.default_region", default_region)
    chosen = _check_validator(f"{field}.validator", validator)
    if not isinstance(lists, Mapping):
        raise ValidationError(
            f"{field}.lists",
            f"expected a mapping of list id to phone numbers, got {_describe(lists)}",
        )
    cache: dict[str, NumberCheck] = {}
    accepted: dict[str, tuple[NumberCheck, set[str]]] = {}
    refused: dict[str, tuple[NumberCheck, set[str]]] = {}
    for list_id, raws in lists.items():
        v.check_id(f"{field}.lists", list_id)
        list_field = f"{field}.lists[{list_id!r}]"
        numbers = [
            _check_raw(f"{list_field}[{index}]", raw)
            for index, raw in enumerate(_iterable_of_numbers(list_field, raws))
        ]
        checks = _check_all(numbers, list_field, region, chosen, cache)
        for raw, check in zip(numbers, checks, strict=True):
            if check.ok and check.e164 is not None:  # ok implies e164: NumberCheck's rule
                key, groups = check.e164, accepted
            else:
                key, groups = raw, refused
            entry = groups.get(key)
            if entry is None:
                groups[key] = (check, {list_id})
            else:
                entry[1].add(list_id)
    return RecipientSet(
        recipients=[
            Recipient(e164=e164, list_ids=ids, check=check)
            for e164, (check, ids) in accepted.items()
        ],
        rejected=[
            Rejected(raw=raw, list_ids=ids, check=check) for raw, (check, ids) in refused.items()
        ],
    )
