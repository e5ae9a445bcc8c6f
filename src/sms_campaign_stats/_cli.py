"""The ``sms-campaign-stats`` command line (also ``python -m sms_campaign_stats``).

The command line is an application embedding the library: unlike the core, it reads the clock
(``check-number`` without ``--at``, the receive time of imported reports, how long a demo took)
and does I/O. Every user error ends with one line on stderr and a documented exit status
(``EXIT_CODES`` below, docs/cli.md); a traceback means a bug.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, NoReturn

import attrs
import pytz

from . import __version__
from ._demo import DEFAULT_DATABASE, demo_campaign_id, run_demo
from ._dlr_report import MAX_PAYLOAD_BYTES
from ._progress import Progress, progress
from .dlr import (
    DeliveryReport,
    parse_brevo_event,
    parse_infobip_result,
    parse_kannel_dlr,
    parse_smpp_receipt,
    parse_twilio_callback,
    parse_vonage_receipt,
)
from .engine import CampaignEngine
from .errors import (
    DeferralHorizonError,
    DuplicateError,
    MalformedReportError,
    NotFoundError,
    StorageError,
    ValidationError,
)
from .numbering import NumberCheck, check_number
from .quiet_hours import SendTimeDecision, plan_send_time, rule_for
from .reports import global_statistics, history_for, report_for
from .storage import SQLiteStorage

__all__ = ["EXIT_CODES", "main"]

PROG = "sms-campaign-stats"

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_STORAGE = 4
EXIT_BAD_LINES = 5
EXIT_NOT_NOW = 6
EXIT_BROKEN_PIPE = 141

#: Every exit status, as ``--help`` and docs/cli.md list them.
EXIT_CODES: Mapping[int, str] = {
    EXIT_OK: "success (check-number: the number may receive a marketing SMS at that instant)",
    EXIT_REFUSED: "check-number: the number cannot receive an SMS (invalid, landline, ...)",
    EXIT_USAGE: "usage error: an unknown command or option, a malformed value",
    EXIT_NOT_FOUND: "not found: the database or input file does not exist, no such campaign",
    EXIT_STORAGE: "database or file error: not a database of this library, unreadable, "
    "unwritable, or the demo campaign is already there",
    EXIT_BAD_LINES: "import-events: some lines were bad (reported on stderr; the others applied)",
    EXIT_NOT_NOW: "check-number: a valid number, but not at that instant (the next allowed "
    "time is printed) or its time zone is unknown",
    EXIT_BROKEN_PIPE: "the reader of the output went away (e.g. piped into head)",
}

FORMATS = ("text", "html", "csv", "json")
INPUT_FORMATS = ("jsonl", "csv")
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}
#: How far ahead check-number looks for the next allowed instant.
_HORIZON = timedelta(days=400)
#: Input lines longer than this are reported as bad without being kept in memory.
MAX_LINE_BYTES = 4 * MAX_PAYLOAD_BYTES
_BOM = b"\xef\xbb\xbf"
UTC = timezone.utc


class _UserError(Exception):
    """A user error: its message goes to stderr, its code is the exit status."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors as one line that points at ``--help``."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _epilog() -> str:
    lines = ["exit status:"]
    lines += [
        textwrap.fill(meaning, 79, initial_indent=f"  {code:<4}", subsequent_indent=" " * 6)
        for code, meaning in EXIT_CODES.items()
    ]
    return "\n".join(lines)


# option values --------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _instant(text: str) -> datetime:
    """An ISO 8601 instant with its UTC offset (``Z`` accepted), in UTC. Naive times are refused:
    the instant a number may be texted depends on it."""
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time such as 2026-05-09T20:30:00Z"
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no UTC offset: write 2026-05-09T20:30:00Z (UTC) or give the offset, "
            "e.g. 2026-05-09T22:30:00+02:00"
        )
    return parsed.astimezone(UTC)


# the parser -----------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog=PROG,
        description="Statistics and safe sending decisions for SMS marketing campaigns.",
        epilog=_epilog() + "\n\nEach command has its own --help. Reference: docs/cli.md",
        formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=summary,
            description=textwrap.fill(description, 79),
            epilog=_epilog(),
            formatter_class=raw,
        )

    demo = command(
        "demo",
        "simulate a campaign into a SQLite file and print its report",
        "Simulate a campaign (several countries, duplicates, landlines, invalid numbers, a "
        "seeded carrier) through the real engine into a SQLite file, then print its report "
        "with its history and how long it took. A database that already holds the demo "
        f"campaign of that seed is left alone (exit {EXIT_STORAGE}).",
    )
    demo.add_argument(
        "--db",
        default=DEFAULT_DATABASE,
        metavar="FILE",
        help=f"the SQLite file to create or add to (default: ./{DEFAULT_DATABASE})",
    )
    demo.add_argument(
        "--recipients",
        type=_positive_int,
        default=10_000,
        metavar="N",
        help="contacts in the lists (default: 10000)",
    )
    demo.add_argument(
        "--seed", type=int, default=2026, metavar="S", help="the random seed (default: 2026)"
    )
    demo.set_defaults(run=_demo)

    report = command(
        "report",
        "a campaign's report",
        "A campaign's report: delivery figures, per list, bounce reasons, cost; the text and "
        "HTML formats add its history. Without --campaign: the most recently created campaign "
        "of the database.",
    )
    _db_option(report)
    report.add_argument(
        "--campaign", metavar="ID", help="the campaign (default: the most recent one)"
    )
    _format_options(report)
    _show_numbers_option(report)
    report.set_defaults(run=_report)

    stats = command(
        "stats",
        "statistics over every campaign",
        "Figures of every campaign of the database, and their totals.",
    )
    _db_option(stats)
    _format_options(stats)
    stats.set_defaults(run=_stats)

    history = command("history", "a campaign's history", "Every event of a campaign, in order.")
    _db_option(history)
    history.add_argument("--campaign", metavar="ID", required=True, help="the campaign")
    _format_options(history)
    _show_numbers_option(history)
    history.set_defaults(run=_history)

    check = command(
        "check-number",
        "can this number receive a marketing SMS, and when",
        "Check a phone number: validity, line type, region, time zones, and whether it may "
        "receive a marketing SMS at that instant under the built-in country rules (if not, "
        "the next allowed time in UTC and local time).",
    )
    check.add_argument(
        "number",
        nargs="+",
        help="the number, e.g. +33612345678 or '+33 6 12 34 56 78' (unquoted parts are joined)",
    )
    check.add_argument(
        "--at",
        type=_instant,
        metavar="TIME",
        help="the instant, ISO 8601 with its offset, e.g. 2026-05-09T20:30:00Z (default: now)",
    )
    check.add_argument(
        "--region",
        metavar="XX",
        help="the country of numbers written the national way, e.g. FR for '06 12 34 56 78'",
    )
    check.add_argument(
        "--subdivision",
        metavar="CODE",
        help="the recipient's state or department when its rules differ, e.g. TX, 57",
    )
    check.add_argument(
        "--zone", metavar="IANA", help="the recipient's time zone, when known (e.g. Europe/Paris)"
    )
    check.set_defaults(run=_check_number)

    imports = command(
        "import-events",
        "apply a file of delivery reports to a database",
        "Read delivery reports, one payload per line (JSON lines) or per row (CSV with a "
        "header), parse them with the provider's parser and apply them to the database's "
        "campaigns. Bad lines are reported on stderr with their line number and skipped; "
        "applying the same file twice counts nothing twice. Reports for unknown message ids "
        "are kept as orphans, applied when the message is submitted. Payloads per provider: "
        "docs/cli.md.",
    )
    _db_option(imports)
    imports.add_argument(
        "--provider",
        required=True,
        choices=sorted(_PROVIDERS),
        help="whose delivery reports these are",
    )
    imports.add_argument(
        "--input-format",
        choices=INPUT_FORMATS,
        help="jsonl or csv (default: from the extension: .jsonl, .ndjson, .json, .csv)",
    )
    imports.add_argument(
        "--batch-size",
        type=_positive_int,
        default=1000,
        metavar="N",
        help="reports applied per transaction (default: 1000)",
    )
    imports.add_argument("file", metavar="FILE", help="the reports")
    imports.set_defaults(run=_import_events)
    return parser


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", required=True, metavar="FILE", help="the SQLite database (never created)"
    )


def _show_numbers_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--show-numbers",
        action="store_true",
        help="show phone numbers in the history's details (masked by default)",
    )


def _format_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="the output format (default: text)"
    )
    parser.add_argument(
        "--output",
        metavar="PATH",
        help="write to this file instead of stdout; for csv, a directory that gets one file "
        "per table (created if needed)",
    )


# databases and output -------------------------------------------------------------------------


def _open_existing(path: str) -> SQLiteStorage:
    """An existing database: a missing file is an error, never created."""
    file = Path(path)
    if not file.exists():
        raise _UserError(EXIT_NOT_FOUND, f"{path}: no such database file")
    if file.is_dir():
        raise _UserError(EXIT_STORAGE, f"{path}: is a directory, not a database file")
    if file.stat().st_size == 0:
        raise _UserError(EXIT_STORAGE, f"{path}: an empty file, not an sms_campaign_stats database")
    return SQLiteStorage(path)


def _campaign_not_found(store: SQLiteStorage, path: str, campaign_id: str) -> _UserError:
    ids = [c.id for c in store.list_campaigns()]
    known = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    return _UserError(
        EXIT_NOT_FOUND,
        f"{path}: no campaign {campaign_id!r}"
        + (f" (campaigns stored: {known})" if ids else " (no campaign is stored)"),
    )


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
        return
    try:
        with open(output, "w", encoding="utf-8", newline="") as file:
            file.write(text)
    except OSError as error:
        raise _UserError(EXIT_STORAGE, f"{output}: cannot write ({error.strerror})") from None
    print(f"wrote {output}", file=sys.stderr)


def _write_tables(tables: Mapping[str, str], output: str | None) -> None:
    """CSV tables: to stdout, each after a ``# file-name`` line, or one file each in the
    directory ``output``."""
    if output is None:
        for name, text in tables.items():
            sys.stdout.write(f"# {name}\n{text}")
            sys.stdout.write("" if text.endswith("\n") else "\n")
        sys.stdout.flush()
        return
    directory = Path(output)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in tables.items():
            with open(directory / name, "w", encoding="utf-8", newline="") as file:
                file.write(text)
    except OSError as error:
        raise _UserError(EXIT_STORAGE, f"{output}: cannot write ({error.strerror})") from None
    print(f"wrote {len(tables)} files to {output}: {', '.join(tables)}", file=sys.stderr)


# report, stats, history -----------------------------------------------------------------------


def _report(args: argparse.Namespace) -> int:
    store = _open_existing(args.db)
    try:
        campaign_id = args.campaign
        if campaign_id is None:
            campaigns = store.list_campaigns()
            if not campaigns:
                raise _UserError(EXIT_NOT_FOUND, f"{args.db}: no campaign is stored")
            campaign_id = campaigns[-1].id
            if len(campaigns) > 1:
                print(
                    f"{len(campaigns)} campaigns in {args.db}; the most recent: {campaign_id!r} "
                    "(choose with --campaign)",
                    file=sys.stderr,
                )
        try:
            report = report_for(store, campaign_id)
            timeline = history_for(store, campaign_id)
        except NotFoundError:
            raise _campaign_not_found(store, args.db, campaign_id) from None
    finally:
        store.close()
    if args.format == "csv":
        _write_tables(report.to_csv(), args.output)
    elif args.format == "json":
        _write(report.to_json(indent=2), args.output)
    elif args.format == "html":
        _write(report.to_html(history=timeline, show_numbers=args.show_numbers), args.output)
    else:
        _write(report.to_text(history=timeline, show_numbers=args.show_numbers), args.output)
    return EXIT_OK


def _stats(args: argparse.Namespace) -> int:
    store = _open_existing(args.db)
    try:
        stats = global_statistics(store)
    finally:
        store.close()
    if args.format == "csv":
        _write_tables(stats.to_csv(), args.output)
    elif args.format == "json":
        _write(stats.to_json(indent=2), args.output)
    elif args.format == "html":
        _write(stats.to_html(), args.output)
    else:
        _write(stats.to_text(), args.output)
    return EXIT_OK


def _history(args: argparse.Namespace) -> int:
    store = _open_existing(args.db)
    try:
        try:
            timeline = history_for(store, args.campaign)
        except NotFoundError:
            raise _campaign_not_found(store, args.db, args.campaign) from None
    finally:
        store.close()
    show = args.show_numbers
    if args.format == "csv":
        _write_tables(timeline.to_csv(show_numbers=show), args.output)
    elif args.format == "json":
        _write(timeline.to_json(indent=2, show_numbers=show), args.output)
    elif args.format == "html":
        _write(timeline.to_html(show_numbers=show), args.output)
    else:
        _write(timeline.to_text(show_numbers=show), args.output)
    return EXIT_OK


# demo -----------------------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    path = args.db
    campaign_id = demo_campaign_id(args.seed)
    if Path(path).is_file() and Path(path).stat().st_size > 0:
        store = SQLiteStorage(path)
        try:
            stored = {c.id for c in store.list_campaigns()}
        finally:
            store.close()
        if campaign_id in stored:
            raise _UserError(EXIT_STORAGE, _already_there(path, campaign_id))
    bar = progress(args.recipients, description="messages settled", unit="msg")
    try:
        result = run_demo(path, recipients=args.recipients, seed=args.seed, done=bar)
    except DuplicateError:  # another process ran the same demo meanwhile
        raise _UserError(EXIT_STORAGE, _already_there(path, campaign_id)) from None
    finally:
        bar.close()
    _write(result.report.to_text(history=result.history), None)
    print(
        f"\nSimulated {args.recipients:,} contacts (seed {args.seed}) in {result.seconds:.1f} s, "
        f"stored in {path} as campaign {result.campaign_id!r}.\n"
        f"See it again with: {PROG} report --db {path} --campaign {result.campaign_id}"
    )
    return EXIT_OK


def _already_there(path: str, campaign_id: str) -> str:
    return (
        f"{path}: already holds the demo campaign {campaign_id!r}; see it with "
        f"`{PROG} report --db {path} --campaign {campaign_id}`, or use another --seed or --db"
    )


# check-number ---------------------------------------------------------------------------------


def _local(at: datetime, zone: str) -> str:
    local = at.astimezone(pytz.timezone(zone))
    return f"{local:%A %Y-%m-%d %H:%M %Z} in {zone}"


def _when(at: datetime, zones: Sequence[str]) -> list[str]:
    lines = [f"{at:%Y-%m-%d %H:%M} UTC ({at:%A})"]
    lines += [_local(at, zone) for zone in zones[:3]]
    if len(zones) > 3:
        lines.append(f"(and {len(zones) - 3} more zones)")
    return lines


def _describe_rule(rule: object) -> str:
    if rule is None:
        return "none: the number's country is unknown"
    inner = getattr(rule, "rules", None)
    if isinstance(inner, tuple):
        return "; and ".join(_describe_rule(r) for r in inner)
    describe = getattr(rule, "describe", None)
    if callable(describe):
        return f"{getattr(rule, 'id', '')}: {describe()}"
    return str(getattr(rule, "reason", getattr(rule, "id", "")))


def _field(label: str, lines: Sequence[str]) -> str:
    """A labelled field, its lines wrapped to fit 100 columns."""
    wrapped = [part for line in lines for part in textwrap.wrap(line, 100 - 14) or [""]]
    return "\n".join(f"{label if i == 0 else '':<14}{line}" for i, line in enumerate(wrapped))


def _check_number(args: argparse.Namespace) -> int:
    at: datetime = args.at if args.at is not None else datetime.now(UTC).replace(microsecond=0)
    number = " ".join(args.number)
    try:
        check = check_number(number, default_region=args.region)
    except ValidationError:
        raise _UserError(
            EXIT_USAGE, f"--region: {args.region!r} is not a two-letter region code such as FR"
        ) from None
    out = [_field("Number", [number])]
    if not check.ok:
        return _refused(number, check, out)
    out += [
        _field("Valid", [f"yes: {check.e164}"]),
        _field("Line type", [check.line_type.value]),
        _field("Region", [check.region or "unknown"]),
        _field("Time zones", [", ".join(check.time_zones) or "unknown"]),
    ]
    try:
        rule = (
            None if check.region is None else rule_for(check.region, subdivision=args.subdivision)
        )
        decision: SendTimeDecision | None = plan_send_time(
            at,
            country=check.region,
            candidate_zones=check.time_zones,
            subdivision=args.subdivision,
            explicit_zone=args.zone,
            rule=rule,
            horizon=_HORIZON,
        )
    except DeferralHorizonError:
        decision = None
    except ValidationError as error:
        raise _UserError(EXIT_USAGE, str(error)) from None
    zones = decision.zones if decision is not None and decision.zones else check.time_zones
    out += [_field("At", _when(at, zones)), _field("Rule", [_describe_rule(rule)])]
    if decision is None:
        out.append(_field("Marketing SMS", [f"never allowed within {_HORIZON.days} days"]))
        code = EXIT_NOT_NOW
    elif decision.action == "send":
        out.append(_field("Marketing SMS", [f"allowed at that time: {decision.explanation}"]))
        code = EXIT_OK
    elif decision.send_at is None:
        out.append(
            _field("Marketing SMS", ["cannot tell: " + decision.explanation + " (--zone IANA)"])
        )
        code = EXIT_NOT_NOW
    else:
        out.append(_field("Marketing SMS", [f"not allowed at that time: {decision.explanation}"]))
        out.append(_field("Next allowed", _when(decision.send_at, decision.zones)))
        code = EXIT_NOT_NOW
    _write("\n".join(out), None)
    return code


def _refused(number: str, check: NumberCheck, out: list[str]) -> int:
    reason = "unknown" if check.reason is None else check.reason.value
    detail = check.detail or reason
    out.append(_field("Valid", [f"no: {reason} ({detail})"]))
    if check.e164 is not None:
        out += [
            _field("E.164", [check.e164]),
            _field("Line type", [check.line_type.value]),
            _field("Region", [check.region or "unknown"]),
        ]
    _write("\n".join(out), None)
    print(f"{PROG} check-number: {number!r} cannot receive an SMS: {detail}", file=sys.stderr)
    return EXIT_REFUSED


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
            yield start, _BadLineError(f"{len(row)} fields, the header has {len(header)}")
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


def _import_events(args: argparse.Namespace) -> int:
    path = Path(args.file)
    input_format = args.input_format or _EXTENSIONS.get(path.suffix.lower())
    if input_format is None:
        raise _UserError(
            EXIT_USAGE,
            f"{args.file}: cannot tell the format from the extension {path.suffix!r}; "
            "pass --input-format jsonl or csv",
        )
    if not path.exists():
        raise _UserError(EXIT_NOT_FOUND, f"{args.file}: no such file")
    parse = _PROVIDERS[args.provider]
    store = _open_existing(args.db)
    engine = CampaignEngine(store)
    tally = _Tally()
    batch: list[DeliveryReport] = []
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            bar = progress(size or None, description="reading", unit="B")
            try:
                read = _jsonl_records if input_format == "jsonl" else _csv_records
                for number, payload in read(file, bar, args.file):
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
                        print(f"{args.file}:{number}: {error}", file=sys.stderr)
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
        raise _UserError(EXIT_STORAGE, f"{args.file}: cannot read ({error.strerror})") from None
    finally:
        store.close()
    _write(_summary(args.file, input_format, tally), None)
    return EXIT_BAD_LINES if tally.bad else EXIT_OK


_EFFECTS = {
    "applied": "applied",
    "duplicate": "already applied (ignored)",
    "late": "late (ignored: the message was already final or retried)",
    "pending": "intermediate (nothing to change)",
    "orphan": "unknown message id (kept as orphans, applied when the message is submitted)",
}


def _summary(name: str, input_format: str, tally: _Tally) -> str:
    unit = "lines" if input_format == "jsonl" else "rows"
    lines = [
        f"{name}: {tally.lines:,} {unit} read ({tally.blank:,} blank), "
        f"{tally.reports:,} reports, {tally.bad:,} bad {unit}"
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


# main -----------------------------------------------------------------------------------------


def _silence_stdout() -> None:
    """After a broken pipe: send what is left to the null device, so that the interpreter's
    final flush does not fail again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        code: int = args.run(args)
        return code
    except _UserError as failure:
        message = failure.message
        code = failure.code
    except NotFoundError as error:
        message, code = str(error), EXIT_NOT_FOUND
    except StorageError as error:
        message, code = str(error), EXIT_STORAGE
    except ValidationError as error:
        message, code = str(error), EXIT_USAGE
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    print(f"{PROG} {args.command}: {message}", file=sys.stderr)
    return code
