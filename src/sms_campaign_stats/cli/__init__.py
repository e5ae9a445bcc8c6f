"""The ``sms-campaign-stats`` command line (also ``python -m sms_campaign_stats``): ``demo``,
``report``, ``stats``, ``history``, ``check-number`` and ``import-events``. Exit statuses are in
``EXIT_CODES`` and ``docs/cli.md``."""

from ._common import (
    EXIT_BAD_LINES,
    EXIT_BROKEN_PIPE,
    EXIT_CODES,
    EXIT_NOT_FOUND,
    EXIT_NOT_NOW,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_STORAGE,
    EXIT_USAGE,
)
from ._main import main

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
    "main",
]
