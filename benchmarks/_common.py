"""Shared data and timing for the benchmarks: realistic campaigns, best-of-N timings."""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable, Mapping
from datetime import timedelta

from sms_campaign_stats import BounceReason, Campaign, Message, MessageStatus, Outcome
from sms_campaign_stats.model import Attempt
from sms_campaign_stats.testing import T0, sample_campaign

LISTS = ("newsletter", "vip", "winback")
SOFT = [r for r in BounceReason if r.is_soft]
HARD = [r for r in BounceReason if not r.is_soft]


def campaign(campaign_id: str = "bench") -> Campaign:
    """The campaign every benchmark sends: the test suite's sample, over three lists."""
    return sample_campaign(campaign_id, lists=LISTS)[0]


def messages(count: int, campaign_id: str = "bench", seed: int = 1) -> list[Message]:
    """``count`` messages in a realistic mix: 85% delivered, 5% soft bounces (some never sent),
    3% hard bounces, 5% processing, 2% queued; a fifth of recipients in two lists."""
    draw = random.Random(seed)
    list_choices = [(name,) for name in LISTS] + [("newsletter", "vip")]
    weights = [27, 27, 26, 20]
    done = T0 + timedelta(seconds=30)
    result = []
    for index in range(count):
        roll = draw.random()
        lists = draw.choices(list_choices, weights)[0]
        fields: dict[str, object] = {
            "id": f"m{index}",
            "campaign_id": campaign_id,
            "recipient": f"+336{index:08d}",
            "list_ids": lists,
            "queued_at": T0,
        }
        if roll < 0.02:
            fields.update(status=MessageStatus.QUEUED)
        elif roll < 0.03:
            fields.update(
                status=MessageStatus.SOFT_BOUNCE,
                bounce_reason=BounceReason.INVALID_NUMBER_OR_COUNTRY_CODE,
                final_at=T0,
            )
        else:
            if roll < 0.88:
                status, reason, outcome = MessageStatus.DELIVERED, None, Outcome.DELIVERED
            elif roll < 0.92:
                status, reason, outcome = (
                    MessageStatus.SOFT_BOUNCE,
                    draw.choice(SOFT),
                    Outcome.SOFT_BOUNCE,
                )
            elif roll < 0.95:
                status, reason, outcome = (
                    MessageStatus.HARD_BOUNCE,
                    draw.choice(HARD),
                    Outcome.HARD_BOUNCE,
                )
            else:
                status, reason, outcome = MessageStatus.PROCESSING, None, None
            fields.update(
                status=status,
                bounce_reason=reason,
                attempts=(
                    Attempt(
                        number=1, submitted_at=T0, provider_message_id=f"p{index}", outcome=outcome
                    ),
                ),
                submitted_at=T0,
                final_at=None if status is MessageStatus.PROCESSING else done,
                sent=True,
            )
        result.append(Message(**fields))  # type: ignore[arg-type]
    return result


def best_of(
    repeats: int,
    *functions: Callable[[], object],
    setup: Mapping[Callable[[], object], Callable[[], object]] | None = None,
) -> list[float]:
    """Best wall time of each function over ``repeats`` interleaved rounds (GC off while timed).

    Interleaving spreads the machine's noise over all contenders; the minimum is the run least
    disturbed by it. ``setup`` maps a function to what must run, untimed, before each of its
    rounds (a fresh copy of a file it changes).
    """
    return [min(samples) for samples in rounds_of(repeats, *functions, setup=setup)]


def rounds_of(
    repeats: int,
    *functions: Callable[[], object],
    setup: Mapping[Callable[[], object], Callable[[], object]] | None = None,
) -> list[list[float]]:
    """Every wall time of each function over ``repeats`` interleaved rounds (``best_of``'s
    samples): round ``i`` of one function ran next to round ``i`` of the others, so their
    ratio in one round is taken at one speed of a machine whose speed drifts."""
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(repeats):
        for slot, function in enumerate(functions):
            if setup is not None and function in setup:
                setup[function]()
            gc.collect()
            gc.disable()
            start = time.perf_counter()
            function()
            times[slot].append(time.perf_counter() - start)
            gc.enable()
    return times


def report_line(name: str, ours: float, baseline: float, baseline_name: str, bound: float) -> str:
    """One printed result: both times, the ratio, and whether it is within the bound."""
    ratio = ours / baseline
    verdict = "within" if ratio <= bound else "OVER"
    return (
        f"{name}: {ours * 1000:.1f} ms vs {baseline_name} {baseline * 1000:.1f} ms "
        f"-> ratio {ratio:.2f} ({verdict} the {bound} bound)"
    )


def median(values: list[float]) -> float:
    """The median of ``values``."""
    return statistics.median(values)
