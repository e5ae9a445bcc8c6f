"""The demo's whole campaign on the SQLite default, against the same campaign in memory.

    python benchmarks/bench_demo.py [RECIPIENTS] [REPEATS] [--bulk-only]

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

Each run writes a fresh file (created outside the timing). Two ratios are printed: of the best
times (each contender's least disturbed run), and the median of the ratios of each round (the
SQLite runs and the in-memory run of one round are timed one after the other, at one speed of
the machine: on a machine whose speed drifts by 15 to 30% from one minute to the next, the best
times of two contenders may come from different speeds). ``--bulk-only``: the first way alone.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path
from typing import Literal

from _common import rounds_of

from sms_campaign_stats import InMemoryStorage, SQLiteStorage
from sms_campaign_stats.simulation import PolicySet, World, simulate


def measure(
    world: World, one_by_one: bool, repeats: int
) -> tuple[tuple[float, float, float], tuple[float, float]]:
    """The best times of the simulation run one way, (SQLite "normal", SQLite "full", in
    memory), and the medians of each round's ratios ("normal" / memory, "full" / memory)."""
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

        normal_times, full_times, memory_times = rounds_of(repeats, normal, full, in_memory)
    assert reports["normal"] == reports["full"] == reports["memory"], "the stores disagree"
    best = (min(normal_times), min(full_times), min(memory_times))
    medians = (
        statistics.median(n / m for n, m in zip(normal_times, memory_times, strict=True)),
        statistics.median(f / m for f, m in zip(full_times, memory_times, strict=True)),
    )
    return best, medians


def main() -> None:
    arguments = [a for a in sys.argv[1:] if a != "--bulk-only"]
    recipients = int(arguments[0]) if arguments else 10_000
    repeats = int(arguments[1]) if len(arguments) > 1 else 3
    world = World(recipients=recipients, seed=2026)
    print(f"demo campaign, {recipients:,} recipients, {repeats} interleaved rounds:")
    ways = [
        (False, "as the demo runs it (bulk acknowledgements, receipts drained together)"),
        (True, "one by one (every acknowledgement and receipt its own call)"),
    ]
    for one_by_one, how in ways[:1] if "--bulk-only" in sys.argv else ways:
        (normal_time, full_time, memory_time), medians = measure(world, one_by_one, repeats)
        print(f" {how}:")
        print(f"  InMemoryStorage (baseline)   {memory_time:7.2f} s (best)")
        for name, seconds, median in (
            ("normal", normal_time, medians[0]),
            ("full", full_time, medians[1]),
        ):
            ratio = seconds / memory_time
            bound = ""
            if name == "normal" and not one_by_one:
                verdicts = ["within" if r <= 1.5 else "OVER" for r in (ratio, median)]
                bound = f"  (best: {verdicts[0]}, median: {verdicts[1]} the 1.5 bound)"
            print(
                f"  SQLite, durability={name!r:9}{seconds:7.2f} s (best)  ratio of the bests "
                f"{ratio:.2f}, median of the rounds' ratios {median:.2f}{bound}"
            )


if __name__ == "__main__":
    main()
