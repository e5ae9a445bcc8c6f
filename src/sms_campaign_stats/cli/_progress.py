"""Progress bars for the command line's long work, when someone is watching.

A bar is drawn (with tqdm, the optional ``cli`` extra) only when the stream it goes to, stderr
by default, is a terminal and tqdm can be imported; otherwise ``progress`` returns a silent
counter with the same two methods, so the command line works, quietly, without tqdm and when
its output is piped or captured.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Protocol, TextIO

__all__ = ["Progress", "progress"]


class Progress(Protocol):
    """What the command line calls on a progress bar."""

    def update(self, n: int = 1) -> object:
        """``n`` more units done."""
        ...

    def close(self) -> None:
        """The work is over (a bar is finished and left on screen)."""
        ...


class _Silent:
    """Counts, draws nothing."""

    def __init__(self) -> None:
        self.n = 0

    def update(self, n: int = 1) -> None:
        self.n += n

    def close(self) -> None:
        return None


class _Bar:
    """A tqdm bar that, when closed, shows the count it reached as its total: an estimated
    total (the demo's contacts) then ends at 100 %."""

    def __init__(self, bar: Any) -> None:
        self._bar = bar

    def update(self, n: int = 1) -> None:
        self._bar.update(n)

    def close(self) -> None:
        if self._bar.total is not None and self._bar.n != self._bar.total:
            self._bar.total = self._bar.n
            self._bar.refresh()
        self._bar.close()


def progress(
    total: int | None, *, description: str, unit: str, stream: TextIO | None = None
) -> Progress:
    """A progress bar over ``total`` units (``None``: unknown) on ``stream`` (default stderr),
    or a silent counter when ``stream`` is not a terminal or tqdm is not installed."""
    out = sys.stderr if stream is None else stream
    isatty = getattr(out, "isatty", None)
    if not callable(isatty) or not isatty():
        return _Silent()
    try:
        tqdm = importlib.import_module("tqdm").tqdm  # optional: the ``cli`` extra
    except ImportError:
        return _Silent()
    bar = tqdm(
        total=total,
        desc=description,
        unit=unit,
        unit_scale=unit == "B",
        file=out,
        leave=True,
        dynamic_ncols=True,
    )
    return _Bar(bar)
