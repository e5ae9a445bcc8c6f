"""Recipients' phone numbers (phonenumbers-backed): can an SMS reach this number, where is it,
and which time zones may it be in. ``check_number`` answers with a ``NumberCheck``; a refusal is a
value (an avoidable soft bounce, never sent), not an exception. ``build_recipients`` turns contact
lists into one ``Recipient`` per E.164 number, with every list it appears in.
"""

from ._numbers import (
    DEFAULT_ACCEPTED_LINE_TYPES,
    MAX_RAW_LENGTH,
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
