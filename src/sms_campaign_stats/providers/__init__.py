"""Delivery reports in: every provider's receipt read into one ``DeliveryReport``.

One parser per provider or protocol; each returns a ``DeliveryReport`` or raises
``MalformedReportError`` (carrying the raw payload and what was wrong): never a bare
``KeyError``, ``ValueError``, ``IndexError`` or ``UnicodeError``. Payloads larger than
``MAX_PAYLOAD_BYTES`` (64 KiB) or nested deeper than ``MAX_NESTING`` are refused before parsing.
Every parser takes ``received_at=``, the time your service received the payload (the library
never reads the clock). What a report means is decided by ``sms_campaign_stats.bounces``.
"""

from __future__ import annotations

from ._parsers import (
    parse_brevo_event,
    parse_infobip_result,
    parse_kannel_dlr,
    parse_twilio_callback,
    parse_vonage_receipt,
)
from ._report import (
    MAX_NESTING,
    MAX_PAYLOAD_BYTES,
    DeliveryReport,
    ErrorCode,
    ErrorNamespace,
    ProviderTime,
)
from .smpp import parse_smpp_receipt, parse_smpp_submit_error

__all__ = [
    "MAX_NESTING",
    "MAX_PAYLOAD_BYTES",
    "DeliveryReport",
    "ErrorCode",
    "ErrorNamespace",
    "ProviderTime",
    "parse_brevo_event",
    "parse_infobip_result",
    "parse_kannel_dlr",
    "parse_smpp_receipt",
    "parse_smpp_submit_error",
    "parse_twilio_callback",
    "parse_vonage_receipt",
]
