"""``next_allowed`` for 1,000,000 (zone, instant) pairs over 20 countries, against a
straightforward implementation that localizes each candidate day with pytz on every call.

    python benchmarks/bench_quiet_hours.py [COUNT]

Bound from issue 4: at least 5x faster.
"""

from __future__ import annotations

import random
import sys
from datetime import datetime, time, timedelta, timezone

import pytz
from _common import best_of

from sms_campaign_stats.quiet_hours import AllOf, CountryRule, rule_for

UTC = timezone.utc
# (country, subdivision, zones where its recipients live)
PLACES: list[tuple[str, str | None, tuple[str, ...]]] = [
    ("FR", None, ("Europe/Paris",)),
    ("FR", "57", ("Europe/Paris",)),
    ("RE", None, ("Indian/Reunion",)),
    ("MQ", None, ("America/Martinique",)),
    ("GP", None, ("America/Guadeloupe",)),
    ("US", None, ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")),
    ("US", "FL", ("America/New_York",)),
    ("US", "CT", ("America/New_York",)),
    ("ZA", None, ("Africa/Johannesburg",)),
    ("IN", None, ("Asia/Kolkata",)),
    ("IT", None, ("Europe/Rome",)),
    ("BR", None, ("America/Sao_Paulo", "America/Manaus")),
    ("AE", None, ("Asia/Dubai",)),
    ("SA", None, ("Asia/Riyadh",)),
    ("VN", None, ("Asia/Ho_Chi_Minh",)),
    ("TH", None, ("Asia/Bangkok",)),
    ("TW", None, ("Asia/Taipei",)),
    ("CO", None, ("America/Bogota",)),
    ("JO", None, ("Asia/Amman",)),
    ("CN", None, ("Asia/Shanghai",)),
]


def straightforward(rule: CountryRule, at: datetime, zone_name: str) -> datetime:
    """What one would write first: localize the windows of each candidate day, every call."""
    zone = pytz.timezone(zone_name)
    day = at.astimezone(zone).date()
    for _ in range(400):
        if rule.holidays is None or not rule.holidays.is_holiday(day):
            midnight = datetime.combine(day, time())
            for window in rule.schedule.days[day.weekday()]:
                start = zone.localize(midnight + timedelta(minutes=window.start)).astimezone(UTC)
                end = zone.localize(midnight + timedelta(minutes=window.end)).astimezone(UTC)
                if end > at:
                    return max(start, at)
        day += timedelta(days=1)
    raise RuntimeError("no allowed time")


def pairs(count: int, seed: int = 11) -> list[tuple[CountryRule, str, datetime]]:
    """Random rules, zones and instants over 2026."""
    draw = random.Random(seed)
    rules = []
    for country, subdivision, zones in PLACES:
        rule = rule_for(country, subdivision=subdivision)
        part = rule.rules[-1] if isinstance(rule, AllOf) else rule  # a state's own windows
        assert isinstance(part, CountryRule)
        rules.append((part, zones))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    found = []
    for _ in range(count):
        rule, zones = draw.choice(rules)
        at = start + timedelta(seconds=draw.randrange(365 * 24 * 3600))
        found.append((rule, draw.choice(zones), at))
    return found


def main(count: int = 1_000_000) -> None:
    """Check both agree on a sample, then time them over the same pairs."""
    work = pairs(count)
    for rule, zone, at in work[:2000]:
        assert rule.next_allowed(at, zone) == straightforward(rule, at, zone), (rule.id, zone, at)

    def ours() -> None:
        for rule, zone, at in work:
            rule.next_allowed(at, zone)

    def baseline() -> None:
        for rule, zone, at in work:
            straightforward(rule, at, zone)

    ours_time, baseline_time = best_of(2, ours, baseline)
    speedup = baseline_time / ours_time
    verdict = "within" if speedup >= 5 else "UNDER"
    print(f"pairs: {count:,} over {len(PLACES)} country rules")
    print(
        f"next_allowed: {ours_time * 1000:.1f} ms vs straightforward pytz "
        f"{baseline_time * 1000:.1f} ms -> {speedup:.1f}x faster ({verdict} the 5x bound)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
