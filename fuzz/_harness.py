"""Shared by the harnesses: what counts as a finding, and the atheris entry point.

A harness's ``test_one_input(data)`` feeds ``data`` to entry points and lets only the documented
typed errors (``sms_campaign_stats.errors``) pass; any other exception, a hang or a call slower
than ``TIME_BOUND_SECONDS`` is a finding. atheris is imported only when a harness is run as a
program, so the regular test suite replays the corpus without it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TypeVar

R = TypeVar("R")

#: A single call slower than this is a finding (a hang, or quadratic work on a large input).
TIME_BOUND_SECONDS = 1.0


def bounded(call: Callable[[], R], errors: tuple[type[BaseException], ...]) -> R | None:
    """``call()``'s result, or ``None`` if it raised one of ``errors``; a slow call is a finding."""
    start = time.perf_counter()
    try:
        return call()
    except errors:
        return None
    finally:
        elapsed = time.perf_counter() - start
        if elapsed > TIME_BOUND_SECONDS:
            raise AssertionError(f"{call!r} took {elapsed:.2f} s")


def instrument(name: str) -> None:
    """Called by a harness before it imports the library: when the harness runs as a program
    (``name == "__main__"``), import ``sms_campaign_stats`` with atheris's coverage hooks."""
    if name != "__main__" or "sms_campaign_stats" in sys.modules:
        return
    import atheris  # type: ignore[import-not-found,import-untyped,unused-ignore]

    with atheris.instrument_imports(include=["sms_campaign_stats"]):
        import sms_campaign_stats  # noqa: F401


def main(test_one_input: Callable[[bytes], None]) -> None:
    """Run ``test_one_input`` under atheris with the command line's libFuzzer options."""
    import atheris  # type: ignore[import-not-found,import-untyped,unused-ignore]

    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
