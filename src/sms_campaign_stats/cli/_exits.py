"""The command line's name and exit statuses: imported before anything heavy, so that an
interrupt while the library loads still ends with one line and status 130."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "EXIT_BAD_LINES",
    "EXIT_BROKEN_PIPE",
    "EXIT_CODES",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_FOUND",
    "EXIT_NOT_NOW",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_STORAGE",
    "EXIT_USAGE",
    "PROG",
]

PROG = "sms-campaign-stats"

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_STORAGE = 4
EXIT_BAD_LINES = 5
EXIT_NOT_NOW = 6
EXIT_BROKEN_PIPE = 141
EXIT_INTERRUPTED = 130

#: Every exit status, as ``--help`` and docs/cli.md list them.
EXIT_CODES: Mapping[int, str] = {
    EXIT_OK: "success (check-number: the number may receive a marketing SMS at that instant)",
    EXIT_REFUSED: "check-number: the number cannot receive an SMS (invalid, landline, ...)",
    EXIT_USAGE: "usage error: an unknown command or option, a malformed value",
    EXIT_NOT_FOUND: "not found: the database or input file does not exist, no such campaign",
    EXIT_STORAGE: "database or file error: not a database of this library, unreadable, "
    "unwritable (standard output too, e.g. a full disk), or the demo campaign is already there",
    EXIT_BAD_LINES: "import-events: some lines were bad (reported on stderr; the others applied)",
    EXIT_NOT_NOW: "check-number: a valid number, but not at that instant (the next allowed "
    "time is printed) or its time zone is unknown",
    EXIT_BROKEN_PIPE: "the reader of the output went away (e.g. piped into head)",
}
