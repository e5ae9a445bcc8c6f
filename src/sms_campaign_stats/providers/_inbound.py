"""``InboundMessage``: an SMS a recipient sent to you (a reply, a STOP), as every provider's
inbound webhook is read; the shared checks, and the reassembly of concatenated parts.

A parser returns an ``InboundMessage`` or raises ``MalformedInboundError`` (a
``MalformedReportError``) saying what was wrong: never a bare ``KeyError`` or ``ValueError``.
Texts are bounded: a concatenated SMS has at most 255 parts (the 8-bit reference of the
concatenation information element, 3GPP TS 23.040 section 9.2.3.24.1) of at most 153 GSM 7-bit
characters each (160 in a single part, TS 23.038), so ``MAX_INBOUND_TEXT_LENGTH`` is 255 x 153
= 39,015 characters and one part's text at most ``MAX_PART_LENGTH`` (160) characters.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from types import MappingProxyType
from typing import ParamSpec, TypeVar

import attrs
import phonenumbers

from sms_campaign_stats._core import validate as v
from sms_campaign_stats._core.privacy import mask_number
from sms_campaign_stats.errors import MalformedInboundError, MalformedReportError, ValidationError
from sms_campaign_stats.providers._report import MAX_NAME_LENGTH, describe

__all__ = [
    "MAX_INBOUND_TEXT_LENGTH",
    "MAX_PARTS",
    "MAX_PART_LENGTH",
    "InboundMessage",
    "InboundPart",
    "epoch_utc",
    "inbound_parser",
    "inbound_sender",
    "inbound_text",
    "join_parts",
    "optional_name",
    "part_of",
    "raw_field",
    "text_utc",
]

P = ParamSpec("P")
R = TypeVar("R")

#: Parts of one concatenated SMS at most: the concatenation element's 8-bit count (3GPP TS
#: 23.040, 9.2.3.24.1).
MAX_PARTS = 255
#: Characters of one part's text at most: 160 GSM 7-bit characters in 140 octets (TS 23.038).
MAX_PART_LENGTH = 160
#: Characters of an inbound text at most: 255 parts of 153 characters (the 7 octets of the
#: concatenation header leave 153 of the 160).
MAX_INBOUND_TEXT_LENGTH = MAX_PARTS * 153

_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_SPACING = re.compile(r"[\s().-]")


@attrs.frozen
class InboundPart:
    """Where one part of a concatenated SMS belongs: its message's ``reference`` (the same for
    every part), the ``total`` of parts and this part's ``number`` (1 to ``total``)."""

    reference: str
    total: int
    number: int

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.reference, str) or not 0 < len(self.reference) <= 64:
            raise ValidationError("InboundPart.reference", f"got {describe(self.reference)}")
        for name in ("total", "number"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PARTS:
                raise ValidationError(f"InboundPart.{name}", f"1 to {MAX_PARTS}, got {value!r}")
        if self.number > self.total:
            raise ValidationError("InboundPart.number", "is more than the total")


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else v.check_utc("InboundMessage.received_at", value)


def _details(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class InboundMessage:
    """An SMS a recipient sent to one of your numbers, as the provider reported it.

    ``sender`` is the recipient's number in E.164 (``+33612345678``); ``text`` what they wrote
    (empty for a message with no text); ``to`` the number or short code it was sent to, as the
    provider wrote it (``None`` when it does not say); ``provider`` and ``provider_message_id``
    name it (the id makes handling it twice harmless); ``received_at`` is when the provider
    received it, when it says so (UTC); ``part`` where it belongs when it is one part of a
    concatenated SMS (``join_parts`` puts them together). ``details`` keeps a few other fields,
    ``raw`` the payload untouched. The repr masks the numbers and leaves the text out.
    """

    sender: str = attrs.field(repr=mask_number)
    text: str = attrs.field(repr=False)
    to: str | None = attrs.field(default=None, repr=False)
    provider: str
    provider_message_id: str | None = None
    received_at: datetime | None = attrs.field(default=None, converter=_utc)
    part: InboundPart | None = None
    details: Mapping[str, str] = attrs.field(factory=dict, converter=_details, repr=False)
    raw: object = attrs.field(default=None, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        v.check_e164("InboundMessage.sender", self.sender)
        if not isinstance(self.text, str) or len(self.text) > MAX_INBOUND_TEXT_LENGTH:
            raise ValidationError(
                "InboundMessage.text", f"a text of at most {MAX_INBOUND_TEXT_LENGTH} characters"
            )
        for name in ("to", "provider_message_id"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or len(value) > MAX_NAME_LENGTH):
                raise ValidationError(f"InboundMessage.{name}", f"got {describe(value)}")
        if not isinstance(self.provider, str) or not self.provider.strip():
            raise ValidationError("InboundMessage.provider", f"got {describe(self.provider)}")
        if self.part is not None and not isinstance(self.part, InboundPart):
            raise ValidationError("InboundMessage.part", f"got {describe(self.part)}")

    @property
    def complete(self) -> bool:
        """True unless this is one part of a concatenated SMS still to be joined."""
        return self.part is None


def inbound_sender(
    value: str | None, raw: object, what: str, *, default_region: str | None = None
) -> str:
    """A provider's sender field as E.164: ``+33612345678`` as is; international digits
    without the plus (``33612345678``, as Vonage and Infobip write them) or after ``00`` get
    it; a national number is read as written in ``default_region`` when one is given.
    ``MalformedInboundError`` for anything else (a short code or a name cannot be a sender
    whose opt-out the library records)."""
    if value is None or not value.strip():
        raise MalformedInboundError(f"{what}: no sender", raw)
    text = _SPACING.sub("", value.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if default_region is not None and text.startswith("0") and text.isascii() and text.isdigit():
        try:
            number = phonenumbers.parse(text, default_region)
        except phonenumbers.NumberParseException:
            raise MalformedInboundError(f"{what}: the sender is not a phone number", raw) from None
        text = f"+{number.country_code}{number.national_number}"
    elif text.isascii() and text.isdigit():
        text = "+" + text
    if _E164.fullmatch(text) is None:
        raise MalformedInboundError(
            f"{what}: the sender {mask_number(value)} is not an international number", raw
        )
    return text


def inbound_text(value: str | None, raw: object, what: str, *, limit: int) -> str:
    """A message text, at most ``limit`` characters (``MalformedInboundError`` beyond)."""
    text = "" if value is None else value
    if len(text) > limit:
        raise MalformedInboundError(
            f"{what}: a text of {len(text)} characters is more than the {limit} an SMS can hold",
            raw,
        )
    return text


def epoch_utc(value: str | None) -> datetime | None:
    """Unix seconds (as text) as an aware UTC time; ``None`` when absent or not a time."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 12:
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def text_utc(value: str | None) -> datetime | None:
    """``YYYY-MM-DD HH:MM:SS`` (or ISO 8601) as an aware UTC time: with its offset when it has
    one, else as UTC (the providers that write it naive document UTC); ``None`` otherwise."""
    if value is None or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "T", 1).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None


def _parts(parts: Iterable[InboundMessage]) -> list[InboundMessage]:
    found = list(parts)
    if not found:
        raise MalformedInboundError("join_parts: no parts", found)
    for item in found:
        if not isinstance(item, InboundMessage) or item.part is None:
            raise MalformedInboundError(
                f"join_parts: {describe(item)} is not a part of a concatenated SMS", found
            )
    return found


def join_parts(parts: Iterable[InboundMessage]) -> InboundMessage | None:
    """The whole message, once every part of a concatenated SMS is here; ``None`` while some
    are missing. Parts may come in any order and more than once (a provider retrying a
    webhook); a repeated part must say the same thing.

    The parts must share their provider, sender, recipient number, reference and total
    (``MalformedInboundError`` otherwise). The whole message's id is its first part's (stable
    however the parts arrive), its text the parts' in order, its time the latest part's.

    >>> part = lambda n, text: InboundMessage(sender="+447700900001", text=text, provider="p",
    ...     provider_message_id=f"m{n}", part=InboundPart("ref", 2, n))
    >>> join_parts([part(2, "world")]) is None
    True
    >>> whole = join_parts([part(2, "world"), part(1, "hello ")])
    >>> whole.text, whole.provider_message_id, whole.complete
    ('hello world', 'm1', True)
    """
    found = _parts(parts)
    first = found[0]
    assert first.part is not None  # checked by _parts
    key = (first.provider, first.sender, first.to, first.part.reference, first.part.total)
    by_number: dict[int, InboundMessage] = {}
    for item in found:
        assert item.part is not None
        if (item.provider, item.sender, item.to, item.part.reference, item.part.total) != key:
            raise MalformedInboundError(
                "join_parts: the parts are not of one message (provider, sender, number, "
                "reference and total must agree)",
                found,
            )
        seen = by_number.get(item.part.number)
        if seen is not None and seen.text != item.text:
            raise MalformedInboundError(
                f"join_parts: part {item.part.number} came twice with different texts", found
            )
        by_number[item.part.number] = item
    total = first.part.total
    if len(by_number) < total:
        return None
    ordered = [by_number[number] for number in range(1, total + 1)]
    text = "".join(item.text for item in ordered)
    if len(text) > MAX_INBOUND_TEXT_LENGTH:
        raise MalformedInboundError("join_parts: the joined text is longer than an SMS", found)
    times = [item.received_at for item in ordered if item.received_at is not None]
    head = ordered[0]
    return InboundMessage(
        sender=head.sender,
        text=text,
        to=head.to,
        provider=head.provider,
        provider_message_id=head.provider_message_id,
        received_at=max(times) if times else None,
        details={**head.details, "parts": str(total)},
        raw=tuple(item.raw for item in ordered),
    )


def optional_name(value: str | None, raw: object, what: str, name: str) -> str | None:
    """An id or a number as a provider wrote it, at most ``MAX_NAME_LENGTH`` characters."""
    if value is None:
        return None
    if len(value) > MAX_NAME_LENGTH:
        raise MalformedInboundError(f"{what}: {name} is too long", raw)
    return value


def raw_field(
    fields: Mapping[str, object], names: tuple[str, ...], raw: object, what: str
) -> str | None:
    """The first of ``names`` present, as the text it is, spaces kept (a part of a
    concatenated SMS may end with one); a form's one-element list is unwrapped."""
    for name in names:
        if name not in fields:
            continue
        value = fields[name]
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if value is None:
            return None
        if not isinstance(value, str):
            raise MalformedInboundError(f"{what}: {name} is not a text: {describe(value)}", raw)
        return value
    return None


def _count(value: str | None, raw: object, what: str, name: str) -> int:
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 3:
        raise MalformedInboundError(f"{what}: {name} {describe(value)} is not a count", raw)
    return int(value)


def part_of(
    reference: str | None, total: str | None, number: str | None, raw: object, what: str
) -> InboundPart:
    """The ``InboundPart`` a provider's concatenation fields describe."""
    if reference is None or not reference.strip() or len(reference) > 64:
        raise MalformedInboundError(f"{what}: no usable concatenation reference", raw)
    count = _count(total, raw, what, "total")
    index = _count(number, raw, what, "part")
    if not 1 <= index <= count <= MAX_PARTS:
        raise MalformedInboundError(
            f"{what}: part {index} of {count} is not a part of a concatenated SMS", raw
        )
    return InboundPart(reference.strip(), count, index)


def inbound_parser(parse: Callable[P, R]) -> Callable[P, R]:
    """An inbound parser raises ``MalformedInboundError`` only: the shared field readers'
    ``MalformedReportError`` becomes one, with the same problem and payload."""

    @functools.wraps(parse)
    def parse_inbound(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return parse(*args, **kwargs)
        except MalformedInboundError:
            raise
        except MalformedReportError as error:
            raise MalformedInboundError(error.problem, error.raw) from None

    return parse_inbound
