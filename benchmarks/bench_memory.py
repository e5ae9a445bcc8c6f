"""Memory per in-memory ``Message``, measured with tracemalloc over 1,000,000 messages.

    python benchmarks/bench_memory.py [COUNT]

Issue 2 aims for at most 300 bytes per message. Counted: the object and everything allocated
for it (its id and recipient strings, its datetimes, its attempts); not counted: the list that
holds the messages (8 bytes a message), and what messages share (the campaign id string, the
list-id tuples and counting shapes that the library interns).
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from collections.abc import Callable
from datetime import timedelta

from _common import campaign

from sms_campaign_stats import Message
from sms_campaign_stats.testing import T0

LISTS = (("newsletter",), ("vip",), ("newsletter", "vip"))


def planned(index: int) -> Message:
    """A freshly planned message: queued, never sent."""
    return Message(
        id=f"m{index}",
        campaign_id="bench",
        recipient=f"+336{index:08d}",
        list_ids=LISTS[index % 3],
        queued_at=T0,
    )


def delivered(index: int) -> Message:
    """A delivered message with its one attempt, its provider id and its own timestamps."""
    at = T0 + timedelta(seconds=index)
    return (
        planned(index)
        .submit(at=at, provider_message_id=f"SM{index:032x}")
        .deliver(at=at + timedelta(seconds=3))
    )


def bytes_per_message(count: int, build: Callable[[int], Message]) -> float:
    """Traced bytes allocated per message, without the holding list."""
    campaign()  # import-time and first-use allocations happen before tracing
    build(0)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    found = [build(index) for index in range(count)]
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    holder = sys.getsizeof(found)
    del found
    return (after - before - holder) / count


def main(count: int = 1_000_000) -> None:
    """Print bytes per message for planned and for delivered messages."""
    print(f"messages: {count:,}")
    for name, build in (("planned (queued)", planned), ("delivered, one attempt", delivered)):
        print(f"{name}: {bytes_per_message(count, build):.0f} bytes per message (aim: 300)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
