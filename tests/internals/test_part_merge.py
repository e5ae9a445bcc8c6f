"""``engine._parts.deciding_part``: which part a message sent in several parts takes its outcome
from, under ``PartPolicy.EVERY_PART`` (issue 16): the most severe part, hard before soft,
delivered only if every part is; nothing while a part is silent. The engine's scenarios are in
``tests/test_multipart.py``."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from sms_campaign_stats.engine._parts import SEVERITY, deciding_part
from sms_campaign_stats.lifecycle import Outcome

FINAL = [o for o in Outcome if o is not Outcome.PENDING]


@given(st.lists(st.sampled_from(FINAL), min_size=2, max_size=6))
def test_deciding_part_is_the_most_severe(outcomes: list[Outcome]) -> None:
    """``deciding_part``: the most severe outcome (hard before soft), the earliest of the most
    severe parts; delivered only if every part is; the same outcome in any part order."""
    index = deciding_part(outcomes)
    assert index is not None
    decided = outcomes[index]
    assert SEVERITY[decided] == max(SEVERITY[o] for o in outcomes)
    assert index == min(i for i, o in enumerate(outcomes) if o is decided)
    assert (decided is Outcome.DELIVERED) == all(o is Outcome.DELIVERED for o in outcomes)
    for order in itertools.islice(itertools.permutations(outcomes), 24):
        reordered = deciding_part(list(order))
        assert reordered is not None
        assert decided is order[reordered]


@given(st.lists(st.sampled_from([*FINAL, None]), min_size=1, max_size=6))
def test_a_silent_part_decides_nothing(outcomes: list[Outcome | None]) -> None:
    """While any part is silent, no part decides."""
    assert (deciding_part(outcomes) is None) == (None in outcomes)
