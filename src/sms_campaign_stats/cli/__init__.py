"""The ``sms-campaign-stats`` command line (also ``python -m sms_campaign_stats``): ``demo``,
``report``, ``stats``, ``history``, ``check-number`` and ``import-events``. Exit statuses are in
``EXIT_CODES`` and ``docs/cli.md``.

``main`` loads the commands (and the library behind them) when it is called, inside its own
interrupt handling: Ctrl-C while the library loads ends with one line and status 130, never a
traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ._exits import (
    EXIT_BAD_LINES,
    EXIT_BROKEN_PIPE,
    EXIT_CODES,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_NOT_NOW,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_STORAGE,
    EXIT_USAGE,
    PROG,
)

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
    "main",
]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); the exit status.

    Ctrl-C is one line and ``EXIT_INTERRUPTED`` at any moment: while the commands load, while
    the parser is built and reads the arguments, and (inside ``_main.main``) while a command
    runs."""
    try:
        from ._main import main as run

        return run(argv)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
