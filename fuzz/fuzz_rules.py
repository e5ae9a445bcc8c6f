"""Rules, policies and domain objects built from JSON-decoded plain data.

The input is a JSON object; each key present feeds one constructor: ``schedule``
(``WeeklySchedule.from_spec``), ``stop_words`` (``StopWords``), ``holidays`` (``HolidayCalendar``
arguments), ``wait`` / ``exponential`` / ``stop`` (retry blocks), ``threshold`` / ``wilson``
(suspension policy keyword arguments), ``campaign`` (``Campaign.create`` keyword arguments, with
a fixed ``at``), ``window`` (``Window.parse`` arguments), ``all_of`` (``AllOf`` arguments) and
``and`` / ``and_reflected`` (France's rule ``&`` the value, the value ``&`` France's rule). Only
``ValidationError`` may escape.
Run: ``python fuzz/fuzz_rules.py fuzz/corpus/rules``.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import bounded, instrument, main

instrument(__name__)

from sms_campaign_stats import Campaign, ThresholdPolicy, ValidationError  # noqa: E402
from sms_campaign_stats.engine import StopWords  # noqa: E402
from sms_campaign_stats.quiet_hours import (  # noqa: E402
    AllOf,
    HolidayCalendar,
    WeeklySchedule,
    Window,
)
from sms_campaign_stats.retry import (  # noqa: E402
    stop_after,
    stop_after_retries,
    wait_exponential,
    wait_fixed,
    wait_schedule,
)
from sms_campaign_stats.send_time.countries import BUILT_IN_RULES  # noqa: E402
from sms_campaign_stats.suspension import WilsonPolicy  # noqa: E402

AT = datetime(2025, 3, 4, 10, 0, tzinfo=timezone.utc)
FRANCE = next(rule for rule in BUILT_IN_RULES if rule.id == "fr-af2m-2024")


def _args(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _kwargs(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"value": value}


BUILDERS: dict[str, Callable[[Any], object]] = {
    "schedule": WeeklySchedule.from_spec,
    "stop_words": StopWords,
    "holidays": lambda value: HolidayCalendar(*_args(value)[:4]),
    "wait": lambda value: (wait_fixed(value), wait_schedule(*_args(value)[:10])),
    "exponential": lambda value: wait_exponential(*_args(value)[:2], maximum=3600),
    "stop": lambda value: (stop_after(value), stop_after_retries(value)),
    "threshold": lambda value: ThresholdPolicy(**_kwargs(value)).verdict(),
    "wilson": lambda value: WilsonPolicy(**_kwargs(value)).verdict(),
    "campaign": lambda value: Campaign.create(**{**_kwargs(value), "at": AT}),
    "window": lambda value: Window.parse(*_args(value)[:2]),
    "all_of": lambda value: AllOf(*_args(value)[:4]),
    "and": lambda value: FRANCE & value,
    "and_reflected": lambda value: value & FRANCE,
}


def _call(build: Callable[[Any], object], value: Any) -> object:
    try:
        return build(value)
    except TypeError as error:
        # Only a keyword the constructor does not take (the data's shape, not a finding).
        if "unexpected keyword argument" in str(error) or "required" in str(error):
            return None
        if "positional argument" in str(error):
            return None
        raise


def test_one_input(data: bytes) -> None:
    """One input: a JSON object of constructor name -> plain data."""
    try:
        spec = json.loads(data.decode("utf-8", "surrogateescape"))
    except (ValueError, RecursionError):
        return
    if not isinstance(spec, dict):
        spec = dict.fromkeys(BUILDERS, spec)
    for name, value in spec.items():
        build = BUILDERS.get(name)
        if build is not None:
            bounded(functools.partial(_call, build, value), (ValidationError,))


if __name__ == "__main__":
    main(test_one_input)
