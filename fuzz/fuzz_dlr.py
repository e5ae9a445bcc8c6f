"""Every delivery-report parser, then ``classify`` and the report's round trip.

The first byte chooses the parser; the rest is the payload, given as bytes, as text and, when it
decodes as JSON, as the decoded value. Run: ``python fuzz/fuzz_dlr.py fuzz/corpus/dlr``.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

from _harness import bounded, instrument, main

instrument(__name__)

from sms_campaign_stats import (  # noqa: E402
    DeliveryReport,
    classify,
    parse_brevo_event,
    parse_infobip_result,
    parse_kannel_dlr,
    parse_smpp_receipt,
    parse_twilio_callback,
    parse_vonage_receipt,
)
from sms_campaign_stats.errors import MalformedReportError  # noqa: E402
from sms_campaign_stats.providers import parse_smpp_submit_error  # noqa: E402

PARSERS: list[Callable[[Any], DeliveryReport]] = [
    parse_smpp_receipt,  # 0
    parse_smpp_submit_error,  # 1
    parse_twilio_callback,  # 2
    parse_vonage_receipt,  # 3
    parse_brevo_event,  # 4
    lambda value: parse_kannel_dlr("2", smsc_reply=value, message_id="m1"),  # 5
    parse_infobip_result,  # 6
    lambda value: parse_smpp_receipt("", tlvs=value if isinstance(value, dict) else None),  # 7
]


def _use(report: DeliveryReport | None) -> None:
    if report is None:
        return
    classify(report)
    _ = report.done_at, report.submitted_at
    if DeliveryReport.from_dict(report.to_dict()) != report:
        raise AssertionError("to_dict / from_dict changed the report")


def test_one_input(data: bytes) -> None:
    """One input: ``data[0]`` picks the parser, ``data[1:]`` is the payload."""
    if not data:
        return
    parse = PARSERS[data[0] % len(PARSERS)]
    body = data[1:]
    text = body.decode("utf-8", "surrogateescape")
    values: list[Any] = [body, text]
    with contextlib.suppress(ValueError, RecursionError):
        values.append(json.loads(text))
    for value in values:
        _use(bounded(functools.partial(parse, value), (MalformedReportError,)))


if __name__ == "__main__":
    main(test_one_input)
