"""Delivery reports in: every provider's receipt read into one ``DeliveryReport``; one module per
provider, and the registry that lists them.

Each provider module (``smpp``, ``gsm``, ``twilio``, ``vonage``, ``infobip``, ``brevo``,
``kannel``) holds that provider's parsers, its code tables (``CodeRow`` values, each citing a
source tag of ``SOURCES`` and, where sources disagree, a decision of ``DECISIONS``) and its
``PROVIDER`` entry; ``PROVIDERS`` is the registry of them all (a value: ``with_provider`` returns
a copy). ``docs/providers.md`` shows how to add one.

One parser per provider or protocol; each returns a ``DeliveryReport`` or raises
``MalformedReportError`` (carrying the raw payload and what was wrong): never a bare
``KeyError``, ``ValueError``, ``IndexError`` or ``UnicodeError``. Payloads larger than
``MAX_PAYLOAD_BYTES`` (64 KiB) or nested deeper than ``MAX_NESTING`` are refused before parsing.
Every parser takes ``received_at=``, the time your service received the payload (the library
never reads the clock). What a report means is decided by ``sms_campaign_stats.bounces``.

Inbound messages (replies, STOPs): one parser per provider (``parse_twilio_inbound``,
``parse_vonage_inbound``, ``parse_infobip_inbound``, ``parse_kannel_inbound``,
``parse_brevo_inbound``) returns an ``InboundMessage`` or raises ``MalformedInboundError`` (a
``MalformedReportError``), also for a text longer than an SMS can hold
(``MAX_INBOUND_TEXT_LENGTH``); ``join_parts`` puts a concatenated message's parts together.

Webhook signatures: ``verify_twilio_signature`` (``X-Twilio-Signature``, with the
``bodySHA256`` variant for JSON bodies) and ``verify_vonage_signature`` (the ``sig``
parameter: md5hash, md5, sha1, sha256, sha512; a stale ``timestamp`` refused when ``now`` is
given), computed as the providers' own SDKs compute them, compared in constant time; a junk
signature is ``False``, never an exception. Kannel, Infobip and Brevo sign nothing: see
``docs/webhooks.md``.
"""

from __future__ import annotations

from sms_campaign_stats.errors import MalformedInboundError, UnknownProviderError

from ._decisions import DECISIONS
from ._inbound import (
    MAX_INBOUND_TEXT_LENGTH,
    MAX_PART_LENGTH,
    MAX_PARTS,
    InboundMessage,
    InboundPart,
    join_parts,
)
from ._keywords import OPT_OUT_KEYWORDS
from ._provider import Provider, ProviderRegistry
from ._registry import PROVIDERS
from ._report import (
    MAX_NESTING,
    MAX_PAYLOAD_BYTES,
    DeliveryReport,
    ErrorCode,
    ErrorNamespace,
    ProviderTime,
)
from ._rows import CodeRow, code_row, code_table
from ._sources import SOURCES
from .brevo import parse_brevo_event, parse_brevo_inbound
from .infobip import parse_infobip_inbound, parse_infobip_result
from .kannel import KANNEL_INBOUND_FIELDS, parse_kannel_dlr, parse_kannel_inbound
from .smpp import parse_smpp_receipt, parse_smpp_submit_error
from .twilio import (
    parse_twilio_callback,
    parse_twilio_inbound,
    twilio_signature,
    verify_twilio_signature,
)
from .vonage import (
    parse_vonage_inbound,
    parse_vonage_receipt,
    verify_vonage_signature,
    vonage_signature,
)

__all__ = [
    "DECISIONS",
    "KANNEL_INBOUND_FIELDS",
    "MAX_INBOUND_TEXT_LENGTH",
    "MAX_NESTING",
    "MAX_PARTS",
    "MAX_PART_LENGTH",
    "MAX_PAYLOAD_BYTES",
    "OPT_OUT_KEYWORDS",
    "PROVIDERS",
    "SOURCES",
    "CodeRow",
    "DeliveryReport",
    "ErrorCode",
    "ErrorNamespace",
    "InboundMessage",
    "InboundPart",
    "MalformedInboundError",
    "Provider",
    "ProviderRegistry",
    "ProviderTime",
    "UnknownProviderError",
    "code_row",
    "code_table",
    "join_parts",
    "parse_brevo_event",
    "parse_brevo_inbound",
    "parse_infobip_inbound",
    "parse_infobip_result",
    "parse_kannel_dlr",
    "parse_kannel_inbound",
    "parse_smpp_receipt",
    "parse_smpp_submit_error",
    "parse_twilio_callback",
    "parse_twilio_inbound",
    "parse_vonage_inbound",
    "parse_vonage_receipt",
    "twilio_signature",
    "verify_twilio_signature",
    "verify_vonage_signature",
    "vonage_signature",
]
