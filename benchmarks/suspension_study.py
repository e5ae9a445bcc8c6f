"""How often, and how early, each built-in suspension policy suspends: a seeded simulation.

    python benchmarks/suspension_study.py [--quick] [--jobs N]

Prints a Markdown table (docs/suspension-study.md holds the results of a full run).

The metric is the hard-bounce rate with the default levels (``DEFAULT_THRESHOLDS``: warn 2 %,
suspend 5 %, 200 finished messages before judging). The policies:

- ``threshold``: ``ThresholdPolicy`` at those levels;
- ``wilson``: ``WilsonPolicy`` at those levels, 95 % one-sided (the default policy's rule);
- ``sprt``: ``SprtPolicy`` with p0 = 2.5 % (half the suspend level), p1 = 5 %, alpha = 0.01,
  beta = 0.10 (the reference's worked example), restarting after accepting H0;
- ``sprt-open``: the same without restarts (``restart=False``);
- ``cusum``: ``CusumPolicy`` with the same p0 and p1, and h calibrated so that it suspends about
  1 % (the SPRT's alpha) of the longest campaigns at half the threshold: h is the 99th
  percentile of the chart's maximum over CALIBRATION_RUNS such campaigns, drawn from seeds the
  study itself does not use.

Campaigns of 200, 2,000 and 200,000 messages whose outcomes are independent: a hard bounce with
probability 2.5 %, 5 % or 10 % (half, at, twice the suspend level), a delivery otherwise (soft
bounces would count as deliveries do: finished, not hard). Every policy sees the same campaigns
(common random numbers): run ``i`` of a cell draws from ``random.Random(cell_seed + i)``.

A campaign is never stored. Its outcomes are drawn as runs of deliveries between hard bounces
(geometric gaps): the policy takes each run with ``observe_many`` (O(1)) and each bounce with
``observe``. A run of deliveries lowers every built-in's rate, bound and statistic, so the first
SUSPEND can only come with a bounce, or where a rate policy reaches ``min_sample``: the driver
checks the verdict at both (tests/test_suspension.py checks it against message-by-message play).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import attrs

from sms_campaign_stats.suspension import (
    DEFAULT_THRESHOLDS,
    CusumPolicy,
    Level,
    Metric,
    Observation,
    ReplayablePolicy,
    SprtPolicy,
    ThresholdPolicy,
    WilsonPolicy,
)

SEED = 20260302
METRIC = Metric.HARD_BOUNCE_RATE
LEVELS = DEFAULT_THRESHOLDS[METRIC]
RATE_FACTORS = (0.5, 1.0, 2.0)  # true rate / suspend level
SIZES = (200, 2_000, 200_000)
RUNS = {200: 1_000, 2_000: 1_000, 200_000: 1_000}
QUICK_SIZES = (200, 2_000)
QUICK_RUNS = 40
ALPHA, BETA = 0.01, 0.10
CUSUM_TARGET = 0.01  # the CUSUM's false-suspension rate on the longest campaigns at p0
CALIBRATION_RUNS = 1_000
QUICK_CALIBRATION = (2_000, 100)  # (campaign length, runs) in quick mode
CALIBRATION_SEED = SEED + 9_000_000
POLICY_NAMES = ("threshold", "wilson", "sprt", "sprt-open", "cusum")


def policies(cusum_h: float) -> dict[str, ReplayablePolicy]:
    """The contenders, by name, fresh."""
    p1 = LEVELS.suspend_at
    p0 = p1 / 2
    warn_at, suspend_at, min_sample = LEVELS.warn_at, LEVELS.suspend_at, LEVELS.min_sample
    return {
        "threshold": ThresholdPolicy(
            metric=METRIC, warn_at=warn_at, suspend_at=suspend_at, min_sample=min_sample
        ),
        "wilson": WilsonPolicy(
            metric=METRIC,
            warn_at=warn_at,
            suspend_at=suspend_at,
            min_sample=min_sample,
            confidence=0.95,
        ),
        "sprt": SprtPolicy(metric=METRIC, p0=p0, p1=p1, alpha=ALPHA, beta=BETA),
        "sprt-open": SprtPolicy(metric=METRIC, p0=p0, p1=p1, alpha=ALPHA, beta=BETA, restart=False),
        "cusum": CusumPolicy(metric=METRIC, p0=p0, p1=p1, h=cusum_h),
    }


def geometric_gaps(draw: random.Random, rate: float) -> Iterator[int]:
    """Deliveries before each hard bounce, for outcomes that are bounces with chance ``rate``:
    P(gap = k) = (1 - rate)^k · rate, by inversion of one uniform draw per bounce."""
    log_delivered = math.log1p(-rate)
    while True:
        yield int(math.log(1.0 - draw.random()) / log_delivered)


def first_suspension(policy: ReplayablePolicy, gaps: Iterable[int], length: int) -> int | None:
    """The message count at the first SUSPEND in a campaign of ``length`` messages made of
    ``gaps`` (deliveries before each hard bounce), or ``None`` if the campaign ends first."""
    min_sample = getattr(policy, "min_sample", 0)
    position = 0
    for gap in gaps:
        delivered = min(gap, length - position)
        if position < min_sample <= position + delivered:
            # where a rate policy starts judging, a run of deliveries may already be too much
            policy = policy.observe_many(Observation.DELIVERED, min_sample - position)
            if policy.verdict().level is Level.SUSPEND:
                return min_sample
            policy = policy.observe_many(Observation.DELIVERED, position + delivered - min_sample)
        else:
            policy = policy.observe_many(Observation.DELIVERED, delivered)
        position += delivered
        if position >= length:
            return None
        policy, verdict = policy.observe(Observation.HARD_BOUNCE)
        position += 1
        if verdict.level is Level.SUSPEND:
            return position
    return None


def highest_statistic(policy: CusumPolicy, gaps: Iterable[int], length: int) -> float:
    """The CUSUM statistic's maximum over a campaign (it peaks right after a bounce)."""
    position, highest = 0, 0.0
    for gap in gaps:
        position += gap
        if position >= length:
            break
        policy = policy.observe_many(Observation.DELIVERED, gap)
        policy, _ = policy.observe(Observation.HARD_BOUNCE)
        position += 1
        highest = max(highest, policy.statistic)
    return highest


def calibrate_cusum_h(length: int, runs: int) -> float:
    """h such that about CUSUM_TARGET of ``runs`` campaigns of ``length`` messages at p0 reach
    it: their maxima's upper CUSUM_TARGET quantile, rounded up to 0.1."""
    p1 = LEVELS.suspend_at
    chart = CusumPolicy(metric=METRIC, p0=p1 / 2, p1=p1, h=1e9)
    maxima = sorted(
        highest_statistic(
            chart, geometric_gaps(random.Random(CALIBRATION_SEED + run), p1 / 2), length
        )
        for run in range(runs)
    )
    exceeding = max(1, round(CUSUM_TARGET * runs))
    return math.ceil(maxima[-exceeding] * 10) / 10


@attrs.frozen
class Cell:
    """One policy on one kind of campaign: how many runs suspended, and where first."""

    policy: str
    rate: float
    factor: float
    length: int
    runs: int
    positions: tuple[int, ...]  # first-SUSPEND message counts of the runs that suspended

    @property
    def suspended(self) -> int:
        """Runs that suspended."""
        return len(self.positions)

    def quantile(self, share: float) -> int | None:
        """Nearest-rank quantile of the first-SUSPEND positions (``None`` if none)."""
        if not self.positions:
            return None
        ordered = sorted(self.positions)
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def cell_seed(factor_index: int, size_index: int) -> int:
    """The first run's seed of a (rate, size) cell; run ``i`` uses this + i."""
    return SEED + 1_000_000 * size_index + 100_000 * factor_index


def simulate(task: tuple[str, float, int, int, int]) -> Cell:
    """Run one policy on ``runs`` campaigns (a task, picklable for worker processes)."""
    name, cusum_h, factor_index, size_index, runs = task
    factor, length = RATE_FACTORS[factor_index], SIZES[size_index]
    rate = factor * LEVELS.suspend_at
    policy = policies(cusum_h)[name]
    seed = cell_seed(factor_index, size_index)
    positions = []
    for run in range(runs):
        found = first_suspension(policy, geometric_gaps(random.Random(seed + run), rate), length)
        if found is not None:
            positions.append(found)
    return Cell(name, rate, factor, length, runs, tuple(positions))


@attrs.frozen
class Study:
    """The whole study: its cells and how h was chosen."""

    cells: tuple[Cell, ...]
    cusum_h: float
    calibration: tuple[int, int]  # (campaign length, runs)
    quick: bool


def run_study(*, quick: bool = False, jobs: int = 1) -> Study:
    """The study (``quick``: 200 and 2,000 messages, 40 runs each, h from 100 short runs)."""
    sizes = QUICK_SIZES if quick else SIZES
    calibration = QUICK_CALIBRATION if quick else (SIZES[-1], CALIBRATION_RUNS)
    cusum_h = calibrate_cusum_h(*calibration)
    tasks = [
        (name, cusum_h, factor_index, SIZES.index(size), QUICK_RUNS if quick else RUNS[size])
        for factor_index in range(len(RATE_FACTORS))
        for size in sizes
        for name in POLICY_NAMES
    ]
    if jobs > 1:
        # Biggest first, so that no worker is left alone with a long task at the end.
        order = sorted(range(len(tasks)), key=lambda i: -SIZES[tasks[i][3]] * tasks[i][4])
        with ProcessPoolExecutor(jobs) as pool:
            done = dict(zip(order, pool.map(simulate, [tasks[i] for i in order]), strict=True))
        cells = tuple(done[i] for i in range(len(tasks)))
    else:
        cells = tuple(simulate(task) for task in tasks)
    return Study(cells, cusum_h, calibration, quick)


def _position(value: int | None, length: int) -> str:
    if value is None:
        return "-"
    return f"{value:,} ({100 * value / length:.1f} %)"


def render(study: Study) -> str:
    """The study as a Markdown table."""
    lines = [
        "| true rate | messages | policy | runs | suspended | median first SUSPEND "
        "| 90th percentile |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for cell in study.cells:
        label = {0.5: "half", 1.0: "at", 2.0: "twice"}[cell.factor]
        lines.append(
            f"| {100 * cell.rate:g} % ({label}) | {cell.length:,} | {cell.policy} "
            f"| {cell.runs:,} | {100 * cell.suspended / cell.runs:.1f} % "
            f"| {_position(cell.quantile(0.5), cell.length)} "
            f"| {_position(cell.quantile(0.9), cell.length)} |"
        )
    length, runs = study.calibration
    lines.append("")
    lines.append(
        f"CUSUM h = {study.cusum_h:g} (99th percentile of the chart's maximum over {runs:,} "
        f"campaigns of {length:,} messages at p0 = {100 * LEVELS.suspend_at / 2:g} %; "
        f"seeds {CALIBRATION_SEED}..{CALIBRATION_SEED + runs - 1}). Study seeds: cell_seed() + "
        f"run, base {SEED}."
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a few seconds, shape only")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    arguments: Any = parser.parse_args(argv)
    started = time.perf_counter()
    study = run_study(quick=arguments.quick, jobs=arguments.jobs)
    print(render(study))
    print(f"\n({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
