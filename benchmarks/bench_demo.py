"""The demo's whole campaign on the SQLite default, against the same campaign in memory.

    python benchmarks/bench_demo.py [RECIPIENTS] [REPEATS]

What ``sms-campaign-stats demo`` does: a seeded campaign to RECIPIENTS contacts (default
10,000) planned, sent, answered by the simulated carrier (Vonage-style receipts through the real
parser and classifier), retried, replied to and opted out of, through the real engine.

* ours: on a ``SQLiteStorage`` file with ``durability="normal"`` (what the demo opens), and with
  the default ``"full"``.
* baseline: the same simulation on ``InMemoryStorage`` (same engine, same decisions, same
  report; no SQL, no file). The ratio is what durable storage costs the engine.

Two ways of running the service, each measured against itself in memory:

* as the demo runs it (``simulate``'s default): a bulk send's acknowledgements recorded together
  (``submitted_many``), receipts that arrive back to back drained together (``handle_many``);
* one by one (``one_by_one=True``): every acknowledgement and every receipt its own engine call
  and its own transaction, as a service that handles each webhook as it comes.

Each run writes a fresh file (created outside the timing).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Literal

from _common import best_of

from sms_campaign_stats import InMemoryStorage, SQLiteStorage
from sms_campaign_stats.simulation import PolicySet, World, simulate


def measure(world: World, one_by_one: bool, repeats: int) -> tuple[float, float, float]:
    """(SQLite "normal", SQLite "full", in memory) best times of the simulation, run one way."""
    policies = PolicySet(name="default")
    reports: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as directory:
        files = iter(Path(directory) / f"run{n}.db" for n in range(10 * repeats))

        def on(durability: Literal["normal", "full"]) -> None:
            store = SQLiteStorage(next(files), durability=durability)
            result = simulate(world, policies, storage=store, one_by_one=one_by_one)
            reports[durability] = result.report.to_dict()
            store.close()

        def in_memory() -> None:
            result = simulate(world, policies, storage=InMemoryStorage(), one_by_one=one_by_one)
            reports["memory"] = result.report.to_dict()

        def normal() -> None:
            on("normal")

        def full() -> None:
            on("full")

        normal_time, full_time, memory_time = best_of(repeats, normal, full, in_memory)
    assert reports["normal"] == reports["full"] == reports["memory"], "the stores disagree"
    return normal_time, full_time, memory_time


def main() -> None:
    recipients = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    world = World(recipients=recipients, seed=2026)
    print(f"demo campaign, {recipients:,} recipients, best of {repeats}:")
    for one_by_one, how in (
        (False, "as the demo runs it (bulk acknowledgements, receipts drained together)"),
        (True, "one by one (every acknowledgement and receipt its own call)"),
    ):
        normal_time, full_time, memory_time = measure(world, one_by_one, repeats)
        print(f" {how}:")
        print(f"  InMemoryStorage (baseline)   {memory_time:7.2f} s")
        for name, seconds in (("normal", normal_time), ("full", full_time)):
            ratio = seconds / memory_time
            bound = ""
            if name == "normal" and not one_by_one:
                bound = f"  ({'within' if ratio <= 1.5 else 'OVER'} the 1.5 bound)"
            print(f"  SQLite, durability={name!r:9}{seconds:7.2f} s  ratio {ratio:.2f}{bound}")


if __name__ == "__main__":
    main()
