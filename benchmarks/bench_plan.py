"""Planning a campaign in memory vs checking its numbers alone, on the same inputs.

    python benchmarks/bench_plan.py [COUNT] [REPEATS]

``CampaignEngine.plan`` on COUNT (default 30,000) contact-list numbers (the numbering benchmark's
mix: 12 countries, landlines, invalid texts, 30% repeats) over an ``InMemoryStorage``: numbers
checked and merged, blocked numbers read, a send time chosen per recipient by the send-time
rules, the messages built and committed with the campaign's start in one change.

The baseline is ``check_numbers`` alone on the same inputs: what planning cannot avoid. The bound
from the atomic-change issue: plan at most 1.5x the baseline.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from _common import best_of, campaign, report_line
from bench_numbers import numbers

from sms_campaign_stats import CampaignEngine, InMemoryStorage
from sms_campaign_stats.phone_numbers import check_numbers

BOUND = 1.5
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc)  # a Tuesday, 10:00 in Paris


def main(count: int = 30_000, repeats: int = 5) -> None:
    raws, distinct = numbers(count)
    lists = {"newsletter": raws}
    stores: list[InMemoryStorage] = []

    def fresh() -> None:
        store = InMemoryStorage()
        store.add_campaign(campaign())
        stores.append(store)

    def plan() -> object:
        return CampaignEngine(stores[-1], default_region="FR").plan("bench", lists, NOW)

    def check() -> object:
        return check_numbers(raws, default_region="FR")

    ours, baseline = best_of(repeats, plan, check, setup={plan: fresh})
    print(f"inputs: {count:,} ({distinct:,} distinct texts), best of {repeats}")
    print(report_line("plan", ours, baseline, "check_numbers alone", BOUND))


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
