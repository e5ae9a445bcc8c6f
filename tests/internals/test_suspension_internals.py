"""The sequential tests' likelihood walk: its O(1) closed form against the step-by-step loop."""

from __future__ import annotations

from sms_campaign_stats._suspension.sequential import llr_weights, walk_many, walk_step


def test_walk_closed_form_at_rounding_edges() -> None:
    """Where the division overestimates the steps to the floor by one (p0 20 %, p1 80 %, CUSUM
    floor 0, 33 bad in 56), the closed form still matches the loop; 0 times changes nothing."""
    r2, r1 = llr_weights(0.2, 0.8)
    for times in (0, 1, 2, 3, 50, 51, 200):
        state = (33, 56, 0)
        looped = state
        for _ in range(times):
            looped = walk_step(looped, 0, 1, r2, r1, 0.0)
        assert looped == walk_many(state, 0, 1, times, r2, r1, 0.0)
    assert (33, 56, 0) == walk_many((33, 56, 0), 0, 1, 0, r2, r1, 0.0)
