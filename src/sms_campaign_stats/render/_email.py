"""A report as an email message, built but never sent.

The message is ``multipart/mixed``: a ``multipart/alternative`` body (the text rendering, then
the HTML one) and the CSV files as ``text/csv`` attachments. No ``Date`` or ``Message-ID`` header
is set (that needs the clock): the mail library that sends it adds them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from email.message import EmailMessage
from typing import TYPE_CHECKING

from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.render._text import printable

if TYPE_CHECKING:
    from sms_campaign_stats.reports import CampaignReport, Timeline

__all__ = ["campaign_report_email", "check_address"]


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" for c in text)


def check_address(field: str, value: object) -> str:
    """A minimally checked address: a non-empty string with an ``@`` and no control character
    (a CR or LF in a header would let a caller inject headers)."""
    if not isinstance(value, str):
        raise ValidationError(field, f"expected an email address as a string, got {value!r}")
    if _has_control(value):
        raise ValidationError(
            field, "an email address must not contain CR, LF or control characters"
        )
    if not value.strip() or "@" not in value:
        raise ValidationError(field, f"{value!r} is not an email address")
    return value


def _recipients(to: str | Sequence[str]) -> list[str]:
    addresses = [to] if isinstance(to, str) else list(to)
    if not addresses:
        raise ValidationError("to_email.to", "at least one recipient is needed")
    return [check_address("to_email.to", address) for address in addresses]


def campaign_report_email(
    report: CampaignReport,
    *,
    to: str | Sequence[str],
    sender: str,
    subject: str | None = None,
    history: Timeline | None = None,
) -> EmailMessage:
    """The report as an ``EmailMessage`` (phone numbers in the history masked)."""
    addresses = _recipients(to)
    check_address("to_email.sender", sender)
    if subject is None:
        subject = printable(f"Campaign report: {report.campaign_name} ({report.campaign_id})")
    elif not isinstance(subject, str) or _has_control(subject):
        raise ValidationError(
            "to_email.subject", "a subject is a string without CR, LF or control characters"
        )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(addresses)
    message.set_content(report.to_text(history=history))
    message.add_alternative(report.to_html(history=history), subtype="html")
    files = report.to_csv()
    if history is not None:
        files.update(history.to_csv())
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
