"""Rebuild the seed corpus from the receipts, numbers and rules in the test suite.

Run from the repository root: ``python fuzz/make_corpus.py``. Files are named by the hash of
their content, so running it again adds only new seeds.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
SMPP, TWILIO, VONAGE, BREVO, KANNEL, INFOBIP, TLVS = 0, 2, 3, 4, 5, 6, 7


def _write(harness: str, data: bytes) -> None:
    folder = CORPUS / harness
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)  # noqa: S324 (a name)


def _literals(path: Path) -> list[Any]:
    """Every string and every literal dict in a file (implicit concatenation joined)."""
    found: list[Any] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            found.append(node.value)
        elif isinstance(node, ast.Dict):
            try:
                found.append(ast.literal_eval(node))
            except ValueError:
                continue
    return found


def _parser_of(payload: dict[str, Any]) -> int | None:
    if "MessageSid" in payload or "SmsSid" in payload:
        return TWILIO
    if "event" in payload or "msg_status" in payload:
        return BREVO
    if isinstance(payload.get("status"), dict):
        return INFOBIP
    if "messageId" in payload or "message-id" in payload:
        return VONAGE
    if "message_state" in payload or "receipted_message_id" in payload:
        return TLVS
    return None


def dlr_seeds() -> None:
    for value in _literals(ROOT / "tests" / "test_dlr.py"):
        if isinstance(value, (str, bytes)):
            text = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
            if b"stat:" in text or b"id:" in text:
                _write("dlr", bytes([SMPP]) + text)
                _write("dlr", bytes([KANNEL]) + text)
            elif b"=" in text and b"&" in text:
                _write("dlr", bytes([VONAGE]) + text)
        elif isinstance(value, dict) and all(isinstance(key, str) for key in value):
            parser = _parser_of(value)
            if parser is not None:
                try:
                    body = json.dumps(value).encode()
                except TypeError:
                    continue
                _write("dlr", bytes([parser]) + body)


def number_seeds() -> None:
    numbers = [
        value
        for value in _literals(ROOT / "tests" / "test_numbering.py")
        if isinstance(value, str) and re.fullmatch(r"[+0-9 ().\-]{3,30}", value)
    ]
    for region in range(3):  # None, FR, US
        for start in range(0, len(numbers), 7):
            _write("numbers", bytes([region]) + "\n".join(numbers[start : start + 7]).encode())
    for extra in ["\u202e+33612345678", "+336\u200b12345678", "\uff0b\uff13\uff13612345678"]:
        _write("numbers", b"\x01" + extra.encode())


def inbound_seeds() -> None:
    for sender, text in [
        ("+33612345678", "STOP"),
        ("0612345678", "Arr\u00eat."),
        ("+14155550100", "stop sms"),
        ("+447700900123", "Thanks, see you Saturday"),
        ("+33612345678", "'); DROP TABLE replies; --"),
        ("+33612345678", "\u202eSTOP\u200b"),
        ("36111", "UNSUBSCRIBE"),
    ]:
        _write("inbound", f"{sender}\n{text}".encode())


def rule_seeds() -> None:
    seeds: list[dict[str, Any]] = [
        {"schedule": {"mon-fri": [["08:00", "20:00"]], "sat": [["09:00", "13:00"]]}},
        {"schedule": {"mon-sat": [["08:00", "12:00"], ["14:00", "24:00"]], "sun": []}},
        {"stop_words": {"en": ["STOP", "OPT OUT"], "fr": ["ARR\u00caT", "STOP SMS"]}},
        {"holidays": ["FR", "57"], "window": ["08:00", "22:00"]},
        {"holidays": ["US", "TX"], "wait": [300, 3600, 86400]},
        {"exponential": [60, 2], "stop": 259200},
        {
            "threshold": {
                "metric": "hard_bounce_rate",
                "warn_at": 0.02,
                "suspend_at": 0.05,
                "min_sample": 200,
            }
        },
        {
            "wilson": {
                "metric": "unsubscribe_rate",
                "warn_at": 0.005,
                "suspend_at": 0.01,
                "min_sample": 500,
                "confidence": 0.95,
            }
        },
        {
            "campaign": {
                "id": "spring-sale",
                "name": "Soldes de printemps",
                "sender": "ACME",
                "content": "Soldes -30% ce week-end. STOP au 36111",
                "list_ids": ["newsletter", "vip"],
                "unit_price": "0.0475",
                "currency": "EUR",
            }
        },
    ]
    for seed in seeds:
        _write("rules", json.dumps(seed).encode())


if __name__ == "__main__":
    dlr_seeds()
    number_seeds()
    inbound_seeds()
    rule_seeds()
    for harness in sorted(path.name for path in CORPUS.iterdir()):
        print(harness, len(list((CORPUS / harness).iterdir())))
