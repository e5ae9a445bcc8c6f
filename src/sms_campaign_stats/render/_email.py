"""A report as an email message, built but never sent.

The message is ``multipart/mixed``: a ``multipart/alternative`` body (the text rendering, then
the HTML one) and the CSV files as ``text/csv`` attachments. No ``Date`` or ``Message-ID`` header
is set (that needs the clock): the mail library that sends it adds them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from email.headerregistry import Address, AddressHeader
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from sms_campaign_stats._core.validate import describe
from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.render._i18n import localizer
from sms_campaign_stats.render._text import printable

if TYPE_CHECKING:
    from sms_campaign_stats.reports import CampaignReport, Timeline

__all__ = ["campaign_report_email", "check_address"]


#: Unicode categories refused anywhere in an address or a subject: controls (CR, LF, NEL...),
#: line and paragraph separators (U+2028, U+2029), invisible format characters (bidi overrides,
#: zero-width), surrogates, private-use and unassigned code points.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
#: Longer texts are not e-mail addresses (RFC 5321: 254 characters for the address itself).
_MAX_ADDRESS_LENGTH = 998


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in text)


def _parse_one(field: str, value: str) -> Address:
    """Exactly one address in ``value``, by the standard library's header parser."""
    parsed: dict[str, Any] = {}
    try:
        AddressHeader.parse(value, parsed)
    except Exception:  # the parser raises IndexError and others on some hostile texts
        raise ValidationError(field, f"{describe(value)} is not an email address") from None
    groups = parsed.get("groups", ())
    addresses = [address for group in groups for address in group.addresses]
    if len(addresses) != 1 or len(groups) != 1 or groups[0].display_name is not None:
        raise ValidationError(
            field, f"{describe(value)} is not exactly one email address (one per entry)"
        )
    if parsed.get("defects"):
        raise ValidationError(field, f"{describe(value)} is not a valid email address")
    address: Address = addresses[0]
    if not address.username or not address.domain:
        raise ValidationError(field, f"{describe(value)} is not an email address")
    if any(c in address.display_name for c in "@<>,;:"):
        raise ValidationError(
            field, "a display name must not look like an address (no @ < > , ; :)"
        )
    return address


def check_address(field: str, value: object) -> Address:
    """One email address, checked: a string without control characters or line separators (a
    CR or LF in a header would let a caller inject headers), holding exactly one address as the
    standard library's ``AddressHeader`` reads it (``"a@x, b@y"`` is two: refused), with a user
    and a domain, a display name that does not look like an address, and that can be written
    in a header."""
    if not isinstance(value, str):
        raise ValidationError(
            field, f"expected an email address as a string, got {describe(value)}"
        )
    if len(value) > _MAX_ADDRESS_LENGTH:
        raise ValidationError(field, f"longer than the {_MAX_ADDRESS_LENGTH} characters allowed")
    if _has_control(value):
        # (the message docs/reports.md shows; line separators and format characters too)
        raise ValidationError(
            field, "an email address must not contain CR, LF or control characters"
        )
    if not value.strip() or "@" not in value:
        raise ValidationError(field, f"{describe(value)} is not an email address")
    found = _parse_one(field, value)
    try:
        address = Address(
            display_name=found.display_name, username=found.username, domain=found.domain
        )
        probe = EmailMessage()
        probe["To"] = address
        probe.as_bytes()
    except Exception:  # a non-ASCII local part, a domain the encoder cannot write...
        raise ValidationError(
            field, f"{describe(value)} cannot be written as an email header"
        ) from None
    return address


def _recipients(to: str | Sequence[str]) -> list[Address]:
    if isinstance(to, str):
        return [check_address("to_email.to", to)]
    if not isinstance(to, Sequence):
        raise ValidationError(
            "to_email.to", f"expected an address or a sequence of them, got {describe(to)}"
        )
    if not to:
        raise ValidationError("to_email.to", "at least one recipient is needed")
    return [check_address(f"to_email.to[{i}]", address) for i, address in enumerate(to)]


def campaign_report_email(
    report: CampaignReport,
    *,
    to: str | Sequence[str],
    sender: str,
    subject: str | None = None,
    history: Timeline | None = None,
    locale: str | None = None,
) -> EmailMessage:
    """The report as an ``EmailMessage`` (phone numbers in the history masked), in the
    language of ``locale``: subject, text, HTML and the CSV files' headers."""
    words = localizer(locale)
    addresses = _recipients(to)
    from_address = check_address("to_email.sender", sender)
    if subject is None:
        subject = printable(
            words._("Campaign report: {name} ({id})").format(
                name=report.campaign_name, id=report.campaign_id
            )
        )
    elif not isinstance(subject, str) or _has_control(subject):
        raise ValidationError(
            "to_email.subject", "a subject is a string without CR, LF or control characters"
        )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = from_address
    message["To"] = addresses
    message.set_content(report.to_text(history=history, locale=locale))
    message.add_alternative(report.to_html(history=history, locale=locale), subtype="html")
    files = report.to_csv(locale=locale)
    if history is not None:
        files.update(history.to_csv(locale=locale))
    for name, text in files.items():
        # As bytes (base64): the attachment is exactly to_csv()'s text, line ends included.
        message.add_attachment(
            text.encode("utf-8"),
            maintype="text",
            subtype="csv",
            filename=name,
            params={"charset": "utf-8"},
        )
    return message
