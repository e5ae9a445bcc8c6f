"""The number validator: the ``NumberValidator`` protocol, ``PhoneNumberValidator`` (the
default) and ``check_number`` / ``check_numbers``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs
import phonenumbers
from phonenumbers import (
    NumberParseException,
)
from phonenumbers.timezone import (
    time_zones_for_geographical_number,
)

from sms_campaign_stats._core import validate as v
from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.lifecycle._statuses import BounceReason
from sms_campaign_stats.phone_numbers._check import (
    _EXTENSION,
    _INVALID,
    _LANDLINE,
    _LINE_TYPES,
    _NOT_IN_A_RANGE,
    _PARSE_PROBLEMS,
    _POSSIBILITY_PROBLEMS,
    _REGION,
    _TOO_LONG,
    _UNKNOWN_TYPE,
    DEFAULT_ACCEPTED_LINE_TYPES,
    MAX_RAW_LENGTH,
    REGION_ZONES,
    LineType,
    NumberCheck,
    _check_raw,
    _check_region,
    _country_zones,
    _describe,
    _invalid,
    _iterable_of_numbers,
    _known_zones,
    _trusted_check,
    _type_region_nsn,
)

__all__ = ["NumberValidator", "PhoneNumberValidator", "check_number", "check_numbers"]


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


def _to_regions(value: Iterable[str]) -> frozenset[str]:
    """Converter: a frozenset of region codes; odd input passed on for the check to refuse."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return value  # type: ignore[return-value]
    try:
        return frozenset(value)
    except TypeError:
        return value  # type: ignore[return-value]


def _regions(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    field = "PhoneNumberValidator.toll_free_regions"
    if not isinstance(value, frozenset) or not all(
        isinstance(item, str) and _REGION.fullmatch(item) for item in value
    ):
        raise ValidationError(
            field, f"expected region codes such as 'US' and 'CA', got {_describe(value)}"
        )


#: Why a valid number of a line type the validator does not accept is refused, in words.
_REFUSALS: Mapping[LineType, str] = {
    LineType.TOLL_FREE: "line type toll_free is not accepted: a toll-free number receives SMS "
    "only where it is text-enabled (the US and Canada); accept those with "
    "PhoneNumberValidator(toll_free_regions=TEXT_ENABLED_TOLL_FREE_REGIONS)",
    LineType.VOIP: "line type voip is not accepted by this validator",
    LineType.MOBILE: "line type mobile is not accepted by this validator",
    LineType.FIXED_LINE_OR_MOBILE: "line type fixed_line_or_mobile is not accepted by this "
    "validator",
}


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
    ``toll_free_regions`` are the regions whose toll-free numbers pass too (default none:
    ``TEXT_ENABLED_TOLL_FREE_REGIONS`` is the US and Canada, where toll-free numbers can be
    text-enabled); accepting ``TOLL_FREE`` in ``accepted_line_types`` accepts them everywhere.

    >>> strict = PhoneNumberValidator(
    ...     accepted_line_types=DEFAULT_ACCEPTED_LINE_TYPES - {LineType.VOIP})
    >>> strict.check("+33 9 70 12 34 56").reason
    <BounceReason.LANDLINE_NUMBER: 'landline_number'>
    """

    accepted_line_types: frozenset[LineType] = attrs.field(
        default=DEFAULT_ACCEPTED_LINE_TYPES, converter=_to_line_types, validator=_line_types
    )
    toll_free_regions: frozenset[str] = attrs.field(
        default=frozenset(), converter=_to_regions, validator=_regions
    )
    _verdicts: Mapping[int, _Verdict] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # What a valid number of each phonenumbers type gets, computed once per validator.
        verdicts: dict[int, _Verdict] = {}
        for kind, line_type in _LINE_TYPES.items():
            if line_type in self.accepted_line_types:
                verdicts[kind] = (line_type, True, None, "")
            else:
                detail = _REFUSALS.get(
                    line_type, f"line type {line_type.value} is not accepted: it cannot receive SMS"
                )
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
        if not ok and line_type is LineType.TOLL_FREE and region_code in self.toll_free_regions:
            ok, reason, detail = True, None, ""
        if region_code is not None and region_code in REGION_ZONES and len(zones) > 1:
            zones = (REGION_ZONES[region_code],)  # +262: Réunion or Mayotte, by range
        if ok and number.extension:
            ok, reason, detail = False, _INVALID, _EXTENSION
        if region_code is not None and _REGION.fullmatch(region_code) is None:
            region_code = None  # "001": a number of no country (+800, +881, ...)
        # format_number(number, E164) is exactly this for a parsed number (no extension shown).
        e164 = f"+{country_code}{nsn}"
        return _trusted_check(raw, ok, e164, region_code, line_type, reason, zones, detail)


_DEFAULT = PhoneNumberValidator()


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
