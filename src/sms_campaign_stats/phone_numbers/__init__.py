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
  ``PhoneNumberValidator(accepted_line_types=...)`` decides otherwise. Toll-free numbers are
  refused unless their region is one of ``toll_free_regions`` (US and Canadian toll-free
  numbers can be text-enabled: ``TEXT_ENABLED_TOLL_FREE_REGIONS``).

A number of a region that shares its calling code (+262: Réunion and Mayotte) gets that
region's one zone (``REGION_ZONES``), not the code's whole list.

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

from ._check import (
    DEFAULT_ACCEPTED_LINE_TYPES,
    MAX_RAW_LENGTH,
    REGION_ZONES,
    TEXT_ENABLED_TOLL_FREE_REGIONS,
    LineType,
    NumberCheck,
)
from ._recipients import Recipient, RecipientSet, Rejected, build_recipients
from ._validator import NumberValidator, PhoneNumberValidator, check_number, check_numbers

__all__ = [
    "DEFAULT_ACCEPTED_LINE_TYPES",
    "MAX_RAW_LENGTH",
    "REGION_ZONES",
    "TEXT_ENABLED_TOLL_FREE_REGIONS",
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
