"""The number checker's two paths to a number's type, region and national number: the one
look-up it takes agrees with phonenumbers' public functions."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType

from sms_campaign_stats.phone_numbers import _check as n

from ..test_numbering import TABLE


def test_type_region_paths_agree() -> None:
    """The one-look-up path gives what number_type and region_code_for_number give, and an
    unknown country code types as UNKNOWN."""
    for raw, region, *_ in TABLE:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        assert n._type_region_nsn_public(number) == n._type_region_nsn_shared(number)
    unknown = phonenumbers.PhoneNumber(country_code=999, national_number=123456)
    assert (PhoneNumberType.UNKNOWN, None, "123456") == n._type_region_nsn_shared(unknown)
