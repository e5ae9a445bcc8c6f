"""Kannel: ``dlr-url`` calls, and the table of their ``%d`` values.

The DLR values of gw/dlr.h [C-KAN]; courier retries 2 and 16 [C-COURIER] (decision D13). When
the call carries the SMSC's receipt text (``%A``), it is read as an SMPP receipt, and the SMPP
table reads its ``stat`` word: Kannel's status words are SMPP's.

Inbound messages reach your service through an ``sms-service``'s ``get-url``, whose escape
codes [C-KAN-SERVICE] you place in the parameters ``KANNEL_INBOUND_FIELDS`` names, e.g.
``get-url = "https://example.org/sms/kannel?from=%p&to=%P&text=%a&id=%I&ts=%T"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sms_campaign_stats._core.validate import MAX_ID_LENGTH
from sms_campaign_stats.errors import MalformedReportError
from sms_campaign_stats.lifecycle._statuses import BounceReason, Outcome
from sms_campaign_stats.providers._fields import field, payload_fields
from sms_campaign_stats.providers._inbound import (
    MAX_INBOUND_TEXT_LENGTH,
    InboundMessage,
    epoch_utc,
    inbound_parser,
    inbound_sender,
    inbound_text,
    optional_name,
    raw_field,
)
from sms_campaign_stats.providers._provider import Provider
from sms_campaign_stats.providers._report import (
    DeliveryReport,
    check_payload,
    describe,
    is_digits,
    new_report,
)
from sms_campaign_stats.providers._rows import CodeRow, code_row, code_table
from sms_campaign_stats.providers.smpp import parse_smpp_receipt

__all__ = [
    "DLR_TABLE",
    "KANNEL_INBOUND_FIELDS",
    "PROVIDER",
    "parse_kannel_dlr",
    "parse_kannel_inbound",
]

#: Which query parameter holds what, in the ``get-url`` of the ``sms-service`` that passes
#: inbound messages on [C-KAN-SERVICE]: the sender (``%p``, or ``%q`` with ``00`` made ``+``),
#: your number (``%P``), the text (``%a``), Kannel's message id (``%I``), the time (``%T``,
#: Unix seconds).
KANNEL_INBOUND_FIELDS: Mapping[str, str] = MappingProxyType(
    {"sender": "from", "to": "to", "text": "text", "id": "id", "time": "ts"}
)

_O, _R = Outcome, BounceReason
_SOFT = _O.SOFT_BOUNCE
_K = "kannel"

#: The ``%d`` values of a ``dlr-url`` call (gw/dlr.h).
DLR_TABLE: Mapping[str, CodeRow] = code_table(
    [
        code_row(_K, 1, "DLR_SUCCESS: delivered to phone", _O.DELIVERED, source="C-KAN"),
        code_row(
            _K,
            2,
            "DLR_FAIL: non-delivered to phone",
            _SOFT,
            _R.PROVIDER_UNKNOWN_FAILURE,
            source="C-KAN",
            decision="D13",
        ),
        code_row(_K, 4, "DLR_BUFFERED: queued on SMSC", _O.PENDING, source="C-KAN"),
        code_row(_K, 8, "DLR_SMSC_SUCCESS: accepted by the SMSC", _O.PENDING, source="C-KAN"),
        code_row(
            _K,
            16,
            "DLR_SMSC_FAIL: rejected by the SMSC",
            _SOFT,
            _R.PROVIDER_UNKNOWN_FAILURE,
            source="C-KAN",
            decision="D13",
        ),
        code_row(_K, 32, "DLR_INTERMEDIATE", _O.PENDING, source="C-KAN"),
    ]
)


def parse_kannel_dlr(
    value: int | str,
    *,
    smsc_reply: str | bytes | None = None,
    message_id: str | None = None,
    received_at: datetime | None = None,
) -> DeliveryReport:
    """A Kannel ``dlr-url`` call: ``value`` is its ``%d`` (1 delivered, 2 failed, 4 buffered,
    8 accepted by the SMSC, 16 rejected by the SMSC), ``smsc_reply`` its ``%A`` (the SMSC's
    receipt text). When ``%A`` is an SMPP receipt, its id, ``stat``, ``err`` and dates refine the
    report. ``message_id`` is the id you put in the dlr-url, used when ``%A`` has none.

    >>> r = parse_kannel_dlr("2", smsc_reply="id:42 sub:001 dlvrd:000 submit date:2501011200 "
    ...                      "done date:2501011201 stat:EXPIRED err:000")
    >>> r.provider_message_id, r.status, r.details["kannel_dlr"]
    ('42', 'EXPIRED', '2')
    """
    raw = {"value": value, "smsc_reply": smsc_reply, "message_id": message_id}
    check_payload(raw)  # the one size bound, over every field of the call
    text = (
        str(value).strip()
        if isinstance(value, str)
        or (isinstance(value, int) and not isinstance(value, bool) and 0 < value < 256)
        else ""
    )
    if not is_digits(text) or len(text) > 3 or not 0 < int(text) < 256:
        raise MalformedReportError(f"Kannel DLR value {describe(value)} is not 1 to 255", raw)
    if message_id is not None and (
        not isinstance(message_id, str) or not message_id.strip() or len(message_id) > MAX_ID_LENGTH
    ):
        raise MalformedReportError(f"message_id {describe(message_id)} is not an id", raw)
    details = {"kannel_dlr": text}
    receipt = None
    if smsc_reply is not None:
        try:
            receipt = parse_smpp_receipt(smsc_reply)
        except MalformedReportError:
            details["smsc_reply"] = "not an SMPP receipt"
    ident = message_id.strip() if message_id else None
    if receipt is None:
        if ident is None:
            raise MalformedReportError(
                "Kannel DLR without a message id: pass message_id= (the id in your dlr-url) "
                "or the %A receipt text",
                raw,
            )
        return new_report(
            "kannel",
            ident,
            text,
            None,
            None,
            None,
            False,
            received_at,
            None,
            None,
            False,
            details,
            raw,
        )
    return new_report(
        "kannel",
        receipt.provider_message_id if ident is None else ident,
        receipt.status,
        receipt.error,
        receipt.submitted_text,
        receipt.done_text,
        False,
        received_at,
        receipt.segments_submitted,
        receipt.segments_delivered,
        False,
        {**receipt.details, **details},
        raw,
    )


@inbound_parser
def parse_kannel_inbound(
    params: Mapping[str, Any] | str | bytes,
    *,
    fields: Mapping[str, str] = KANNEL_INBOUND_FIELDS,
    default_region: str | None = None,
    received_at: datetime | None = None,
) -> InboundMessage:
    """An inbound SMS as a Kannel ``sms-service`` passes it on (its ``get-url`` parameters,
    as a mapping or the query string). ``fields`` says which parameter holds what (the
    defaults of ``KANNEL_INBOUND_FIELDS``); a national sender number (``0612345678``) is read
    in ``default_region``. Without ``%I`` the message has no id (the engine then derives one
    from the sender, the time and the text); without ``%T``, ``received_at`` is yours.

    >>> m = parse_kannel_inbound("from=0033612345678&to=36111&text=STOP&id=42&ts=1767225600")
    >>> m.sender, m.to, m.provider_message_id, m.received_at.isoformat()
    ('+33612345678', '36111', '42', '2026-01-01T00:00:00+00:00')
    """
    what = "Kannel inbound message"
    found = payload_fields(params, what)
    names = {**KANNEL_INBOUND_FIELDS, **fields}
    ident = optional_name(field(found, (names["id"],), params), params, what, "id")
    return InboundMessage(
        sender=inbound_sender(
            field(found, (names["sender"],), params), params, what, default_region=default_region
        ),
        text=inbound_text(
            raw_field(found, (names["text"],), params, what),
            params,
            what,
            limit=MAX_INBOUND_TEXT_LENGTH,
        ),
        to=optional_name(field(found, (names["to"],), params), params, what, "to"),
        provider="kannel",
        provider_message_id=ident,
        received_at=epoch_utc(field(found, (names["time"],), params)) or received_at,
        raw=params,
    )


#: Kannel in the registry: its ``%d`` value, else the SMPP receipt words of its ``%A`` text.
PROVIDER = Provider(
    name="kannel",
    title="Kannel",
    parsers={"parse_kannel_dlr": parse_kannel_dlr},
    inbound_parsers={"parse_kannel_inbound": parse_kannel_inbound},
    tables={"kannel": DLR_TABLE},
    sources=("C-KAN", "C-COURIER", "C-KAN-SERVICE"),
    status_tables=("kannel", "smpp_status"),
)
