"""``check_number``, ``check_numbers`` and ``build_recipients`` on any text.

The first byte chooses the default region; the rest, decoded as UTF-8 (undecodable bytes become
lone surrogates), is split into lines: the numbers, also spread over two contact lists.
Run: ``python fuzz/fuzz_numbers.py fuzz/corpus/numbers``.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import bounded, instrument, main

instrument(__name__)

from sms_campaign_stats import ValidationError, check_number  # noqa: E402
from sms_campaign_stats.phone_numbers import build_recipients, check_numbers  # noqa: E402

REGIONS = [None, "FR", "US", "GB", "DE", "IN", "BR", "fr", "ZZ", ""]


def test_one_input(data: bytes) -> None:
    """One input: ``data[0]`` picks the region, the lines of ``data[1:]`` are the numbers."""
    if not data:
        return
    region = REGIONS[data[0] % len(REGIONS)]
    lines = data[1:].decode("utf-8", "surrogateescape").split("\n")
    for line in lines[:50]:
        one = functools.partial(check_number, line, default_region=region)
        found = bounded(one, (ValidationError,))
        if found is not None and found.ok != (found.reason is None):
            raise AssertionError(f"inconsistent check {found!r}")
    checks = bounded(lambda: check_numbers(lines, default_region=region), (ValidationError,))
    if checks is not None and len(checks) != len(lines):
        raise AssertionError("one check per number")
    half = len(lines) // 2
    bounded(
        lambda: build_recipients({"a": lines[:half], "b": lines[half:]}, default_region=region),
        (ValidationError,),
    )


if __name__ == "__main__":
    main(test_one_input)
