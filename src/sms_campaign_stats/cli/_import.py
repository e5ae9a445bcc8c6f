"""The ``import-events`` command: apply a file of delivery reports to a database.

Per-provider payload adapters, the JSON-lines and CSV readers (bad lines are reported with their
line number and skipped), and the summary. It reads the clock for the receive time of reports.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import attrs

from sms_campaign_stats.cli._common import (
    EXIT_BAD_LINES,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_STORAGE,
    EXIT_USAGE,
    UTC,
    _cut,
    _cut_path,
    _open_existing,
    _UserError,
    _write,
)
from sms_campaign_stats.cli._progress import Progress, progress
from sms_campaign_stats.engine import CampaignEngine
from sms_campaign_stats.errors import MalformedReportError
from sms_campaign_stats.providers import (
    MAX_PAYLOAD_BYTES,
    DeliveryReport,
    parse_brevo_event,
    parse_infobip_result,
    parse_kannel_dlr,
    parse_smpp_receipt,
    parse_twilio_callback,
    parse_vonage_receipt,
)
from sms_campaign_stats.render import localizer

__all__ = ["INPUT_FORMATS", "MAX_LINE_BYTES"]

INPUT_FORMATS = ("jsonl", "csv")
#: English, with gettext's plural rule (the command line's messages are in English).
ENGLISH = localizer("en")
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}
#: Input lines longer than this are reported as bad without being kept in memory.
MAX_LINE_BYTES = 4 * MAX_PAYLOAD_BYTES
_BOM = b"\xef\xbb\xbf"


# import-events --------------------------------------------------------------------------------


class _BadLineError(Exception):
    """A line that is not a delivery report of this provider."""


_Parse = Callable[[Any, datetime], list[DeliveryReport]]


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a text", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def _fields_parser(parse: Callable[..., DeliveryReport]) -> _Parse:
    """A provider whose payload is a set of fields (a JSON object, a CSV row) or a body text."""

    def run(payload: Any, now: datetime) -> list[DeliveryReport]:
        if not isinstance(payload, (Mapping, str)):
            got = _kind(payload)
            raise _BadLineError(f"expected a JSON object of the provider's fields, got {got}")
        return [parse(payload, received_at=now)]

    return run


def _infobip(payload: Any, now: datetime) -> list[DeliveryReport]:
    """One result, or a webhook body with its ``results`` list."""
    if isinstance(payload, Mapping) and isinstance(payload.get("results"), list):
        return [_fields_parser(parse_infobip_result)(r, now)[0] for r in payload["results"]]
    return _fields_parser(parse_infobip_result)(payload, now)


def _smpp(payload: Any, now: datetime) -> list[DeliveryReport]:
    """The receipt text, or an object with ``text`` and ``tlvs`` (or TLVs as fields)."""
    if isinstance(payload, str):
        return [parse_smpp_receipt(payload, received_at=now)]
    if not isinstance(payload, Mapping):
        got = _kind(payload)
        raise _BadLineError(f"expected a receipt text or an object with 'text', got {got}")
    tlvs = (
        payload["tlvs"] if "tlvs" in payload else {k: v for k, v in payload.items() if k != "text"}
    )
    return [parse_smpp_receipt(payload.get("text"), tlvs=tlvs or None, received_at=now)]


def _kannel(payload: Any, now: datetime) -> list[DeliveryReport]:
    """An object with the dlr-url's ``value`` (%d), ``smsc_reply`` (%A), ``message_id``."""
    if not isinstance(payload, Mapping):
        raise _BadLineError(f"expected an object with 'value' (the %d), got {_kind(payload)}")
    return [
        parse_kannel_dlr(
            payload.get("value"),  # type: ignore[arg-type]  # the parser checks it
            smsc_reply=payload.get("smsc_reply"),
            message_id=payload.get("message_id"),
            received_at=now,
        )
    ]


_PROVIDERS: Mapping[str, _Parse] = {
    "brevo": _fields_parser(parse_brevo_event),
    "infobip": _infobip,
    "kannel": _kannel,
    "smpp": _smpp,
    "twilio": _fields_parser(parse_twilio_callback),
    "vonage": _fields_parser(parse_vonage_receipt),
}

#: A blank line (or a CSV row of empty fields): counted, skipped.
_BLANK: Any = object()
# A record read from the input: its line number and its payload, a _BadLineError, or _BLANK.
_Record = tuple[int, Any]


def _lines(file: IO[bytes], done: Progress) -> Iterator[tuple[bytes, bool]]:
    """Each physical line, and whether it was cut (longer than MAX_LINE_BYTES: the rest is
    skipped, never held in memory)."""
    first = True
    while True:
        raw = file.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        done.update(len(raw))
        too_long = len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n")
        while too_long:
            rest = file.readline(MAX_LINE_BYTES)
            done.update(len(rest))
            if not rest or rest.endswith(b"\n"):
                break
        if first:
            raw, first = raw.removeprefix(_BOM), False
        yield raw, too_long


def _decode(raw: bytes, too_long: bool) -> str:
    if too_long:
        raise _BadLineError(f"longer than {MAX_LINE_BYTES:,} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _BadLineError("not UTF-8 text") from None


def _jsonl_records(file: IO[bytes], done: Progress, name: str) -> Iterator[_Record]:
    for number, (raw, too_long) in enumerate(_lines(file, done), 1):
        try:
            text = _decode(raw, too_long)
            if not text.strip():
                yield number, _BLANK
                continue
            try:
                yield number, json.loads(text)
            except json.JSONDecodeError as error:
                raise _BadLineError(f"invalid JSON ({error.msg}: column {error.colno})") from None
            except RecursionError:
                raise _BadLineError("invalid JSON (nested too deeply)") from None
        except _BadLineError as bad:
            yield number, bad


def _csv_records(file: IO[bytes], done: Progress, name: str) -> Iterator[_Record]:
    """Each row after the header as a mapping of its non-empty fields."""
    bad_lines: dict[int, str] = {}

    def texts() -> Iterator[str]:
        for number, (raw, too_long) in enumerate(_lines(file, done), 1):
            try:
                yield _decode(raw, too_long)
            except _BadLineError as bad:
                bad_lines[number] = str(bad)
                yield "\n"

    reader = csv.reader(texts())
    header: list[str] | None = None
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield start, _BadLineError(f"not CSV ({str(error).split(' - ')[0]})")
            continue
        problem = next(
            (bad_lines[n] for n in range(start, reader.line_num + 1) if n in bad_lines), None
        )
        if header is None:
            if problem is not None or not row:
                raise _UserError(EXIT_USAGE, f"{name}:{start}: expected the CSV header row")
            header = [name.strip() for name in row]
        elif problem is not None:
            yield start, _BadLineError(problem)
        elif not any(field.strip() for field in row):
            yield start, _BLANK
        elif len(row) != len(header):
            fields = _plural(len(row), "field", "fields")
            yield start, _BadLineError(f"{fields}, the header has {len(header):,}")
        else:
            yield start, {name: value for name, value in zip(header, row, strict=True) if value}


@attrs.define
class _Tally:
    lines: int = 0
    blank: int = 0
    bad: int = 0
    reports: int = 0
    effects: Counter[str] = attrs.field(factory=Counter)
    actions: Counter[str] = attrs.field(factory=Counter)


def _apply(engine: CampaignEngine, batch: list[DeliveryReport], tally: _Tally) -> None:
    for result in engine.handle_many(batch, datetime.now(UTC)):
        tally.effects[result.effect] += 1
        for action in result.actions:
            tally.actions[type(action).__name__] += 1
    batch.clear()


def _open_input(name: str) -> contextlib.AbstractContextManager[IO[bytes]]:
    """The file named, or standard input for ``-`` (left open when done: it is not ours)."""
    if name == "-":
        return contextlib.nullcontext(sys.stdin.buffer)
    return open(name, "rb")


def _import_events(args: argparse.Namespace) -> int:
    from_stdin = args.file == "-"
    path = Path(args.file)
    input_format = args.input_format or ("jsonl" if from_stdin else None)
    input_format = input_format or _EXTENSIONS.get(path.suffix.lower())
    if input_format is None:
        raise _UserError(
            EXIT_USAGE,
            f"{_cut_path(args.file)}: cannot tell the format from the extension "
            f"{_cut(path.suffix)!r}; "
            "pass --input-format jsonl or csv",
        )
    if not from_stdin and not path.exists():
        raise _UserError(EXIT_NOT_FOUND, f"{_cut_path(args.file)}: no such file")
    name = "<stdin>" if from_stdin else _cut_path(args.file)
    parse = _PROVIDERS[args.provider]
    store = _open_existing(args.db)
    engine = CampaignEngine(store)
    tally = _Tally()
    batch: list[DeliveryReport] = []
    try:
        with _open_input(args.file) as file:
            size = None if from_stdin else os.fstat(file.fileno()).st_size
            bar = progress(size or None, description="reading", unit="B")
            try:
                read = _jsonl_records if input_format == "jsonl" else _csv_records
                for number, payload in read(file, bar, name):
                    tally.lines += 1
                    if payload is _BLANK:
                        tally.blank += 1
                        continue
                    try:
                        if isinstance(payload, _BadLineError):
                            raise payload
                        reports = parse(payload, datetime.now(UTC))
                        if any(r.provider_message_id is None for r in reports):
                            raise _BadLineError("the report has no message id")
                    except (_BadLineError, MalformedReportError) as error:
                        tally.bad += 1
                        print(f"{name}:{number}: {error}", file=sys.stderr)
                        continue
                    tally.reports += len(reports)
                    batch.extend(reports)
                    if len(batch) >= args.batch_size:
                        _apply(engine, batch, tally)
                if batch:
                    _apply(engine, batch, tally)
            finally:
                bar.close()
    except OSError as error:
        raise _UserError(
            EXIT_STORAGE, f"{_cut_path(args.file)}: cannot read ({error.strerror})"
        ) from None
    finally:
        store.close()
    _write(_summary(name, input_format, tally), None)
    return EXIT_BAD_LINES if tally.bad else EXIT_OK


_EFFECTS = {
    "applied": "applied",
    "duplicate": "already applied (ignored)",
    "late": "late (ignored: the message was already final or retried)",
    "pending": "intermediate (nothing to change)",
    "part": "a part's receipt (recorded: the message waits for its other parts)",
    "orphan": "unknown message id (kept as orphans, applied when the message is submitted)",
}


def _plural(count: int, singular: str, plural: str) -> str:
    """``1 field``, ``2 fields``: the count and the English word for it (gettext's plural
    rule)."""
    return ENGLISH.ngettext(f"{{count}} {singular}", f"{{count}} {plural}", count).format(
        count=f"{count:,}"
    )


def _summary(name: str, input_format: str, tally: _Tally) -> str:
    unit, units = ("line", "lines") if input_format == "jsonl" else ("row", "rows")
    lines = [
        f"{name}: {_plural(tally.lines, unit, units)} read ({tally.blank:,} blank), "
        f"{_plural(tally.reports, 'report', 'reports')}, "
        f"{_plural(tally.bad, f'bad {unit}', f'bad {units}')}"
    ]
    lines += [
        f"  {tally.effects[effect]:>9,}  {label}"
        for effect, label in _EFFECTS.items()
        if tally.effects[effect]
    ]
    lines += [
        f"  {count:>9,}  {label}" for label, count in tally.effects.items() if label not in _EFFECTS
    ]
    if tally.actions:
        done = ", ".join(f"{name} {count:,}" for name, count in sorted(tally.actions.items()))
        note = "Engine actions (this command sends nothing; blocks and suspensions are stored): "
        note += done
        lines.append(textwrap.fill(note, 100, subsequent_indent="  "))
    return "\n".join(lines)
