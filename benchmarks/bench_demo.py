"""The demo's whole campaign on the SQLite default, against the same campaign in memory.

    python benchmarks/bench_demo.py [RECIPIENTS] [REPEATS]

What ``sms-campaign-stats demo`` does: a seeded campaign to RECIPIENTS contacts (default
10,000) planned, sent, answered by the simulated carrier (Vonage-style receipts through the real
parser and classifier), retried, replied to and opted out of, through the real engine.

* ours: on a ``SQLiteStorage`` file with ``durability="normal"`` (what the demo opens), and with
  the default ``"full"``: every engine call is its own transaction.
* baseline: the same simulation on ``InMemoryStorage`` (same engine, same decisions, same
  report; no SQL, no file). The ratio is what durable storage costs the engine's many small
  transactions.

Each run writes a fresh file (created outside the timing).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from _common import best_of

from sms_campaign_stats import InMemoryStorage, SQLiteStorage
from sms_campaign_stats.simulation import PolicySet, World, simulate


def main() -> None:
    recipients = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    world = World(recipients=recipients, seed=2026)
    policies = PolicySet(name="default")
    with tempfile.TemporaryDirectory() as directory:
        files = iter(Path(directory) / f"run{n}.db" for n in range(10 * repeats))
        reports = {}

        def on(durability: str) -> None:
            store = SQLiteStorage(next(files), durability=durability)  # type: ignore[arg-type]
            reports[durability] = simulate(world, policies, storage=store).report.to_dict()
            store.close()

        def in_memory() -> None:
            reports["memory"] = simulate(
                world, policies, storage=InMemoryStorage()
            ).report.to_dict()

        def normal() -> None:
            on("normal")

        def full() -> None:
            on("full")

        normal_time, full_time, memory_time = best_of(repeats, normal, full, in_memory)
    assert reports["normal"] == reports["full"] == reports["memory"], "the stores disagree"
    print(f"demo campaign, {recipients:,} recipients, best of {repeats}:")
    print(f"  InMemoryStorage (baseline)   {memory_time:7.2f} s")
    for name, seconds in (("normal", normal_time), ("full", full_time)):
        ratio = seconds / memory_time
        print(f"  SQLite, durability={name!r:9}{seconds:7.2f} s  ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
