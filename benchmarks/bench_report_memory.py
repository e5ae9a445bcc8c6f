"""Report from 1,000,000 in-memory messages vs a single-pass Counter over their statuses.

    python benchmarks/bench_report_memory.py [COUNT]

Bound from issue 2: ratio at most 3.
"""

from __future__ import annotations

import sys
from collections import Counter

from _common import best_of, campaign, messages, report_line

from sms_campaign_stats.reports import report_from_messages


def main(count: int = 1_000_000) -> None:
    """Build the messages once, then time both contenders, interleaved."""
    the_campaign = campaign()
    found = messages(count)
    ours, baseline = best_of(
        5,
        lambda: report_from_messages(the_campaign, found),
        lambda: Counter(m.status for m in found),
    )
    print(f"messages: {count:,}")
    print(report_line("report_from_messages", ours, baseline, "Counter(statuses)", 3.0))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
