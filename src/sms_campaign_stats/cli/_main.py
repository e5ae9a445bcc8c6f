"""The ``sms-campaign-stats`` command line (also ``python -m sms_campaign_stats``).

The command line is an application embedding the library: unlike the core, it reads the clock
(``check-number`` without ``--at``, the receive time of imported reports, how long a demo took)
and does I/O. Every user error ends with one line on stderr and a documented exit status
(``EXIT_CODES`` in _cli_common.py, docs/cli.md); a traceback means a bug.
"""

from __future__ import annotations

import argparse
import email.policy
import email.utils
import os
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

from sms_campaign_stats import __version__
from sms_campaign_stats.cli._common import (
    EXIT_BAD_LINES,
    EXIT_BROKEN_PIPE,
    EXIT_CODES,
    EXIT_NOT_FOUND,
    EXIT_NOT_NOW,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_STORAGE,
    EXIT_USAGE,
    MAX_ECHO,
    MAX_ECHO_PATH,
    PROG,
    _campaign_not_found,
    _cut,
    _cut_path,
    _cut_words,
    _open_existing,
    _open_postgres,
    _OutputError,
    _refuse_output_over_database,
    _UserError,
    _write,
    _write_bytes,
    _write_tables,
    is_postgres_url,
)
from sms_campaign_stats.cli._demo import (
    DEFAULT_DATABASE,
    MAX_RECIPIENTS,
    demo_campaign_id,
    run_demo,
)
from sms_campaign_stats.cli._import import _PROVIDERS, INPUT_FORMATS, _import_events
from sms_campaign_stats.cli._numbers import _check_arguments, _check_number
from sms_campaign_stats.cli._progress import progress
from sms_campaign_stats.errors import DuplicateError, NotFoundError, StorageError, ValidationError
from sms_campaign_stats.render import LANGUAGES, localizer
from sms_campaign_stats.reports import (
    CampaignReport,
    Pricing,
    Timeline,
    global_statistics,
    history_for,
    report_for,
)
from sms_campaign_stats.storage import SQLiteStorage

__all__ = ["main"]

FORMATS = ("text", "html", "csv", "json")
#: ``report`` also writes an e-mail.
REPORT_FORMATS = (*FORMATS, "email")

#: The exit statuses each command can end with (its --help lists these only).
COMMAND_EXITS: Mapping[str, tuple[int, ...]] = {
    "demo": (EXIT_OK, EXIT_USAGE, EXIT_STORAGE, EXIT_BROKEN_PIPE),
    "report": (EXIT_OK, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_STORAGE, EXIT_BROKEN_PIPE),
    "stats": (EXIT_OK, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_STORAGE, EXIT_BROKEN_PIPE),
    "history": (EXIT_OK, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_STORAGE, EXIT_BROKEN_PIPE),
    "check-number": (EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_NOT_NOW, EXIT_BROKEN_PIPE),
    "import-events": (
        EXIT_OK,
        EXIT_USAGE,
        EXIT_NOT_FOUND,
        EXIT_STORAGE,
        EXIT_BAD_LINES,
        EXIT_BROKEN_PIPE,
    ),
}

#: One line per count, in English with its plural: ``{count} campaign`` / ``{count} campaigns``.
ENGLISH = localizer("en")


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors as one line that points at ``--help``."""

    def error(self, message: str) -> NoReturn:
        shown = _cut_words(message, MAX_ECHO)  # the values argparse quotes, e.g. a choice
        self.exit(EXIT_USAGE, f"{self.prog}: error: {shown} (see {self.prog} --help)\n")


def _epilog(command: str | None = None) -> str:
    """The exit statuses a command can end with (all of them for the program's own help)."""
    codes = EXIT_CODES if command is None else {c: EXIT_CODES[c] for c in COMMAND_EXITS[command]}
    lines = ["exit status:"]
    for code, meaning in codes.items():
        if command is not None:  # "check-number: the number ..." -> "the number ..."
            meaning = meaning.removeprefix(f"{command}: ")
            if code == EXIT_OK:
                meaning = (
                    "success: the number may receive a marketing SMS at that instant"
                    if command == "check-number"
                    else "success"
                )
        lines.append(
            textwrap.fill(meaning, 79, initial_indent=f"  {code:<4}", subsequent_indent=" " * 6)
        )
    return "\n".join(lines)


# option values --------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{_cut(text)!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _recipients(text: str) -> int:
    """``--recipients``: a whole number from 1 to MAX_RECIPIENTS (checked before any file is
    touched)."""
    digits = text.strip().lstrip("+").lstrip("0")
    if digits.isascii() and digits.isdigit() and len(digits) > len(str(MAX_RECIPIENTS)):
        raise argparse.ArgumentTypeError(
            f"at most {MAX_RECIPIENTS:,}, got a number of {len(digits):,} digits"
        )
    value = _positive_int(text)
    if value > MAX_RECIPIENTS:
        raise argparse.ArgumentTypeError(f"at most {MAX_RECIPIENTS:,}, got {value:,}")
    return value


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
            epilog=_epilog(name),
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
        metavar="FILE|URL",
        help=f"the SQLite file to create or add to (default: ./{DEFAULT_DATABASE}), or a "
        "postgresql:// URL",
    )
    demo.add_argument(
        "--recipients",
        type=_recipients,
        default=10_000,
        metavar="N",
        help=f"contacts in the lists, 1 to {MAX_RECIPIENTS:,} (default: 10000)",
    )
    demo.add_argument(
        "--seed", type=int, default=2026, metavar="S", help="the random seed (default: 2026)"
    )
    demo.set_defaults(run=_demo)

    report = command(
        "report",
        "a campaign's report",
        "A campaign's report: delivery figures, per country, per list, bounce reasons, cost; "
        "the text, HTML and e-mail formats add its history. Without --campaign: the most "
        "recently created campaign of the database. --format email writes an e-mail ready to "
        "send (text and HTML, the CSV files attached; Date and Message-ID set), for example "
        "to pipe into sendmail -t.",
    )
    _db_option(report)
    report.add_argument(
        "--campaign", metavar="ID", help="the campaign (default: the most recent one)"
    )
    _format_options(report, REPORT_FORMATS)
    report.add_argument(
        "--to",
        action="append",
        metavar="ADDRESS",
        help="--format email: a recipient (repeat for several)",
    )
    report.add_argument(
        "--from", dest="sender", metavar="ADDRESS", help="--format email: the sender's address"
    )
    report.add_argument(
        "--subject", help="--format email: the subject (default: the report's title)"
    )
    _show_numbers_option(report)
    _locale_option(report)
    _pricing_option(report)
    report.set_defaults(run=_report)

    stats = command(
        "stats",
        "statistics over every campaign",
        "Figures of every campaign of the database, and their totals.",
    )
    _db_option(stats)
    _format_options(stats)
    _locale_option(stats)
    _pricing_option(stats)
    stats.set_defaults(run=_stats)

    history = command("history", "a campaign's history", "Every event of a campaign, in order.")
    _db_option(history)
    history.add_argument("--campaign", metavar="ID", required=True, help="the campaign")
    _format_options(history)
    _show_numbers_option(history)
    _locale_option(history)
    history.set_defaults(run=_history)

    check = command(
        "check-number",
        "can this number receive a marketing SMS, and when",
        "Check a phone number: validity, line type, region, time zones, and whether it may "
        "receive a marketing SMS at that instant under the built-in country rules (if not, "
        "the next allowed time in UTC and local time).",
    )
    _check_arguments(check)
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
        help="jsonl or csv (default: from the extension: .jsonl, .ndjson, .json, .csv; "
        "jsonl for standard input)",
    )
    imports.add_argument(
        "--batch-size",
        type=_positive_int,
        default=1000,
        metavar="N",
        help="reports applied per transaction (default: 1000)",
    )
    imports.add_argument("file", metavar="FILE", help="the reports; - for standard input")
    imports.set_defaults(run=_import_events)
    return parser


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        required=True,
        metavar="FILE|URL",
        help="the SQLite database, or a postgresql:// URL (never created)",
    )


def _show_numbers_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--show-numbers",
        action="store_true",
        help="show phone numbers in the history's details (masked by default)",
    )


def _locale(text: str) -> str:
    """``--locale``: en or fr, in any case (``FR``, ``fr_FR`` and ``fr-FR`` too)."""
    try:
        return str(localizer(text.strip()).locale)
    except ValidationError:
        raise argparse.ArgumentTypeError(
            f"{_cut(text)!r} is not a language of the reports: {', '.join(LANGUAGES)}"
        ) from None


def _locale_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--locale",
        type=_locale,
        default="en",
        metavar="{en,fr}",
        help="the language of the words, numbers, money and dates (default: en); CSV: the "
        "header row only",
    )


def _pricing_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pricing",
        choices=[pricing.value for pricing in Pricing],
        default=Pricing.PER_SUBMISSION.value,
        help="what the cost counts: every submission, retries included, as a provider bills "
        "(default), or each message sent once, as a platform that bills per message sent does",
    )


def _format_options(parser: argparse.ArgumentParser, formats: Sequence[str] = FORMATS) -> None:
    parser.add_argument(
        "--format", choices=formats, default="text", help="the output format (default: text)"
    )
    parser.add_argument(
        "--output",
        metavar="PATH",
        help="write to this file instead of stdout; for csv, a directory that gets one file "
        "per table (created if needed)",
    )


# report, stats, history -----------------------------------------------------------------------


def _report(args: argparse.Namespace) -> int:
    _check_email_options(args)
    _refuse_output_over_database(args.output, args.db)
    store = _open_existing(args.db, read_only=True)
    try:
        campaign_id = args.campaign
        if campaign_id is None:
            campaigns = store.list_campaigns()
            if not campaigns:
                raise _UserError(EXIT_NOT_FOUND, f"{_cut_path(args.db)}: no campaign is stored")
            campaign_id = campaigns[-1].id
            if len(campaigns) > 1:
                print(
                    ENGLISH.ngettext(
                        "{count} campaign", "{count} campaigns", len(campaigns)
                    ).format(count=len(campaigns))
                    + f" in {_cut_path(args.db)}; the most recent: "
                    f"{_cut(campaign_id)!r} "
                    "(choose with --campaign)",
                    file=sys.stderr,
                )
        try:
            report = report_for(store, campaign_id, activity=True, pricing=args.pricing)
            timeline = history_for(store, campaign_id)
        except NotFoundError:
            raise _campaign_not_found(store, args.db, campaign_id) from None
    finally:
        store.close()
    show, locale = args.show_numbers, args.locale
    if args.format == "csv":
        _write_tables(report.to_csv(locale=locale), args.output)
    elif args.format == "json":
        _write(report.to_json(indent=2), args.output)
    elif args.format == "html":
        _write(report.to_html(history=timeline, show_numbers=show, locale=locale), args.output)
    elif args.format == "email":
        _write_bytes(_email(args, report, timeline), args.output)
    else:
        _write(report.to_text(history=timeline, show_numbers=show, locale=locale), args.output)
    return EXIT_OK


def _check_email_options(args: argparse.Namespace) -> None:
    """--to and --from go with --format email, which needs them (before the database is read)."""
    needed = (("--to", args.to), ("--from", args.sender))
    if args.format == "email":
        missing = [name for name, value in needed if not value]
        if missing:
            raise _UserError(
                EXIT_USAGE, f"--format email needs {' and '.join(missing)}: who the report goes to"
            )
    else:
        given = [name for name, value in needed if value]
        given += ["--subject"] if args.subject is not None else []
        if given:
            raise _UserError(EXIT_USAGE, f"{', '.join(given)}: only with --format email")


def _email(args: argparse.Namespace, report: CampaignReport, timeline: Timeline) -> bytes:
    """The report as an e-mail ready to send: the library's message (never sent), with the
    Date and Message-ID that only the command line, which reads the clock, can give; RFC 5322
    line ends (CRLF)."""
    options = {"to_email.to": "--to", "to_email.sender": "--from", "to_email.subject": "--subject"}
    try:
        message = report.to_email(
            to=args.to,
            sender=args.sender,
            subject=args.subject,
            history=timeline,
            locale=args.locale,
        )
    except ValidationError as error:
        field = error.field.split("[")[0]
        option = options.get(field, field)
        raise _UserError(EXIT_USAGE, f"{option}: {error.problem}") from None
    message["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
    domain = message["From"].addresses[0].domain or "localhost"
    message["Message-ID"] = email.utils.make_msgid(domain=domain)
    return message.as_bytes(policy=email.policy.SMTP)


def _stats(args: argparse.Namespace) -> int:
    _refuse_output_over_database(args.output, args.db)
    store = _open_existing(args.db, read_only=True)
    try:
        stats = global_statistics(store, pricing=args.pricing)
    finally:
        store.close()
    if args.format == "csv":
        _write_tables(stats.to_csv(locale=args.locale), args.output)
    elif args.format == "json":
        _write(stats.to_json(indent=2), args.output)
    elif args.format == "html":
        _write(stats.to_html(locale=args.locale), args.output)
    else:
        _write(stats.to_text(locale=args.locale), args.output)
    return EXIT_OK


def _history(args: argparse.Namespace) -> int:
    _refuse_output_over_database(args.output, args.db)
    store = _open_existing(args.db, read_only=True)
    try:
        try:
            timeline = history_for(store, args.campaign)
        except NotFoundError:
            raise _campaign_not_found(store, args.db, args.campaign) from None
    finally:
        store.close()
    show, locale = args.show_numbers, args.locale
    if args.format == "csv":
        _write_tables(timeline.to_csv(show_numbers=show, locale=locale), args.output)
    elif args.format == "json":
        _write(timeline.to_json(indent=2, show_numbers=show), args.output)
    elif args.format == "html":
        _write(timeline.to_html(show_numbers=show, locale=locale), args.output)
    else:
        _write(timeline.to_text(show_numbers=show, locale=locale), args.output)
    return EXIT_OK


# demo -----------------------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    path = args.db
    campaign_id = demo_campaign_id(args.seed)
    on_postgres = is_postgres_url(path)
    if on_postgres or (Path(path).is_file() and Path(path).stat().st_size > 0):
        store = _open_postgres(path, create=True) if on_postgres else SQLiteStorage(path)
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
    text = result.report.to_text(history=result.history)
    _write(
        text.removesuffix("\n")
        + "\n\nSimulated "
        + ENGLISH.ngettext("{count} contact", "{count} contacts", args.recipients).format(
            count=f"{args.recipients:,}"
        )
        + f" (seed {args.seed}) in "
        f"{result.seconds:.1f} s, stored in {_cut_path(path)} as campaign "
        f"{result.campaign_id!r}.\n"
        f"See it again with: {PROG} report --db {_cut_path(path)} --campaign "
        f"{result.campaign_id}",
        None,
    )
    return EXIT_OK


def _already_there(path: str, campaign_id: str) -> str:
    shown = _cut_path(path)
    return (
        f"{shown}: already holds the demo campaign {campaign_id!r}; see it with "
        f"`{PROG} report --db {shown} --campaign {campaign_id}`, or use another --seed or --db"
    )


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
        if isinstance(failure, _OutputError):
            _silence_stdout()
        message = failure.message
        code = failure.code
    except NotFoundError as error:
        message, code = str(error), EXIT_NOT_FOUND
    except StorageError as error:
        message, code = str(error), EXIT_STORAGE
    except ValidationError as error:  # it quotes the value refused: cut it like ours
        message, code = _cut_words(str(error), MAX_ECHO), EXIT_USAGE
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as error:  # a file the command did not expect to fail: one line, status 4
        where = f"{_cut_path(error.filename)}: " if error.filename else ""
        message, code = f"{where}{error.strerror or error}", EXIT_STORAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    # A backstop for what the messages quote (a path is cut at MAX_ECHO_PATH where it is
    # written, other values at MAX_ECHO): a library error can quote a value too.
    print(f"{PROG} {args.command}: {_cut_words(message, MAX_ECHO_PATH)}", file=sys.stderr)
    return code
