"""What the command line's commands share: exit statuses, user errors, databases and output.

Every user error ends with one line on stderr and a documented exit status (``EXIT_CODES``,
docs/cli.md); the commands raise ``_UserError`` and ``main`` (in _cli.py) prints it.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from datetime import timezone
from pathlib import Path

from sms_campaign_stats.errors import StorageError
from sms_campaign_stats.storage import SQLiteStorage, StorageBase

__all__ = [
    "EXIT_BAD_LINES",
    "EXIT_BROKEN_PIPE",
    "EXIT_CODES",
    "EXIT_NOT_FOUND",
    "EXIT_NOT_NOW",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_STORAGE",
    "EXIT_USAGE",
    "MAX_ECHO",
    "MAX_ECHO_PATH",
    "PROG",
    "UTC",
    "hide_password",
    "is_postgres_url",
]

from sms_campaign_stats.cli._exits import (
    EXIT_BAD_LINES,
    EXIT_BROKEN_PIPE,
    EXIT_CODES,
    EXIT_NOT_FOUND,
    EXIT_NOT_NOW,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_STORAGE,
    EXIT_USAGE,
    PROG,
)

UTC = timezone.utc

#: Values the command line echoes back (a number, a campaign id, an option's value) are cut to
#: this many characters, with "…" appended.
MAX_ECHO = 64
#: File paths are cut to this many characters (the longest path the system opens).
MAX_ECHO_PATH = 4096


def _cut(text: object, limit: int = MAX_ECHO) -> str:
    """``text`` as echoed: at most ``limit`` characters, then "…" if anything was cut."""
    shown = str(text)
    return shown if len(shown) <= limit else shown[:limit] + "…"


def _cut_path(path: object) -> str:
    """A file path (or a database URL, its password hidden) as echoed: at most MAX_ECHO_PATH
    characters."""
    return _cut(hide_password(str(path)), MAX_ECHO_PATH)


#: ``--db`` values that name a PostgreSQL database rather than a SQLite file.
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(target: str) -> bool:
    """Whether a ``--db`` value is a PostgreSQL URL (``postgresql://`` or ``postgres://``)."""
    return target.lower().startswith(POSTGRES_SCHEMES)


def hide_password(text: str) -> str:
    """A URL's password replaced by ``***`` (``scheme://user:secret@host`` ->
    ``scheme://user:***@host``), and a ``password=`` parameter's value too; other text as is."""
    text = re.sub(r"(://[^:/?#@\s]*:)[^@/?#\s]*@", r"\1***@", text)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", text)


def _cut_words(message: str, limit: int) -> str:
    """``message`` with every run of more than ``limit`` characters other than spaces and quotes
    cut (the quotes around a value stay)."""
    return re.sub(rf"[^\s'\"]{{{limit + 1},}}", lambda run: _cut(run.group(), limit), message)


class _UserError(Exception):
    """A user error: its message goes to stderr, its code is the exit status."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _OutputError(_UserError):
    """Standard output cannot be written (a full disk, an I/O error): what is left of the
    output is thrown away, so that the interpreter's final flush does not fail again."""


# databases and output -------------------------------------------------------------------------


def _open_postgres(url: str, *, create: bool) -> StorageBase:
    """A PostgreSQL store at ``url`` (the ``postgres`` extra); ``create=False``: its schema must
    exist already (``report``, ``stats``, ``history`` and ``import-events`` never create one)."""
    try:
        from sms_campaign_stats.storage.postgres import PostgresStorage
    except ImportError:
        raise _UserError(
            EXIT_STORAGE,
            "a postgresql:// --db needs psycopg: pip install 'sms-campaign-stats[postgres]'",
        ) from None
    try:
        return PostgresStorage(url, create=create)
    except StorageError as error:
        raise _UserError(EXIT_STORAGE, hide_password(str(error))) from None


def _open_existing(path: str, *, read_only: bool = False) -> StorageBase:
    """An existing database: a missing file (or PostgreSQL schema) is an error, never created.
    ``read_only``: a SQLite file is opened with a ``mode=ro`` URI (report, stats, history), so a
    read-only file or mount can be read."""
    if is_postgres_url(path):
        return _open_postgres(path, create=False)
    file = Path(path)
    if not file.exists():
        raise _UserError(EXIT_NOT_FOUND, f"{_cut_path(path)}: no such database file")
    if file.is_dir():
        raise _UserError(EXIT_STORAGE, f"{_cut_path(path)}: is a directory, not a database file")
    if file.stat().st_size == 0:
        raise _UserError(
            EXIT_STORAGE, f"{_cut_path(path)}: an empty file, not an sms_campaign_stats database"
        )
    return SQLiteStorage(path, read_only=read_only)


def _same_file(first: str | Path, second: str | Path) -> bool:
    """Whether two paths name the same file: ``os.path.samefile`` when both exist (hard links,
    symbolic links, ``./x`` and ``x``), else the same resolved path."""
    try:
        if os.path.exists(first) and os.path.exists(second):
            return os.path.samefile(first, second)
        return Path(first).resolve() == Path(second).resolve()
    except (OSError, ValueError):
        return False


def _refuse_output_over_database(output: str | None, database: str) -> None:
    """An ``--output`` that names the database itself is a usage error: nothing is written."""
    if output is not None and not is_postgres_url(database) and _same_file(output, database):
        raise _UserError(
            EXIT_USAGE,
            f"--output {_cut_path(output)} is the database {_cut_path(database)}: refusing to "
            "overwrite it; choose another file",
        )


def _campaign_not_found(store: StorageBase, path: str, campaign_id: str) -> _UserError:
    ids = [c.id for c in store.list_campaigns()]
    known = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    return _UserError(
        EXIT_NOT_FOUND,
        f"{_cut_path(path)}: no campaign {_cut(campaign_id)!r}"
        + (f" (campaigns stored: {known})" if ids else " (no campaign is stored)"),
    )


def _to_stdout(*texts: str) -> None:
    """Write to standard output and flush; an ``OSError`` other than a broken pipe (which
    ``main`` handles quietly) becomes one line and status 4."""
    try:
        for text in texts:
            sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        reason = error.strerror or str(error)
        raise _OutputError(EXIT_STORAGE, f"standard output: cannot write ({reason})") from None


def _write(text: str, output: str | None) -> None:
    if output is None:
        _to_stdout(text if text.endswith("\n") else text + "\n")
        return
    try:
        with open(output, "w", encoding="utf-8", newline="") as file:
            file.write(text)
    except OSError as error:
        raise _UserError(
            EXIT_STORAGE, f"{_cut_path(output)}: cannot write ({error.strerror})"
        ) from None
    print(f"wrote {_cut_path(output)}", file=sys.stderr)


def _write_bytes(data: bytes, output: str | None) -> None:
    """Bytes as they are (an e-mail's CRLF line ends kept), to ``output`` or standard output."""
    if output is None:
        try:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            reason = error.strerror or str(error)
            raise _OutputError(EXIT_STORAGE, f"standard output: cannot write ({reason})") from None
        return
    try:
        with open(output, "wb") as file:
            file.write(data)
    except OSError as error:
        raise _UserError(
            EXIT_STORAGE, f"{_cut_path(output)}: cannot write ({error.strerror})"
        ) from None
    print(f"wrote {_cut_path(output)}", file=sys.stderr)


def _write_tables(tables: Mapping[str, str], output: str | None) -> None:
    """CSV tables: to stdout, each after a ``# file-name`` line, or one file each in the
    directory ``output``."""
    if output is None:
        _to_stdout(
            *(
                f"# {name}\n" + (text if text.endswith("\n") else text + "\n")
                for name, text in tables.items()
            )
        )
        return
    directory = Path(output)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in tables.items():
            with open(directory / name, "w", encoding="utf-8", newline="") as file:
                file.write(text)
    except OSError as error:
        raise _UserError(
            EXIT_STORAGE, f"{_cut_path(output)}: cannot write ({error.strerror})"
        ) from None
    files = "1 file" if len(tables) == 1 else f"{len(tables)} files"
    print(f"wrote {files} to {_cut_path(output)}: {', '.join(tables)}", file=sys.stderr)
