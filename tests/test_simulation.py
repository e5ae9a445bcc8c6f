"""The seeded simulator: deterministic, realistic lists, and policies that make a difference."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from sms_campaign_stats import CampaignEngine, CampaignStatus, InMemoryStorage, simulation
from sms_campaign_stats.retry import GiveUp, RetryContext
from sms_campaign_stats.simulation import PolicySet, World, compare, contact_lists, simulate
from sms_campaign_stats.storage import Change, Committed

SMALL = World(recipients=600, seed=7)


def never_retry(context: RetryContext) -> GiveUp:
    """A retry policy that never retries (a plain function)."""
    return GiveUp(reason=context.give_up_reason, explanation="no retries")


def test_same_world_same_result() -> None:
    """Two runs of one world and one policy set give the same report and events."""
    first = simulate(SMALL, PolicySet(name="default"))
    second = simulate(SMALL, PolicySet(name="default"))
    assert first.report.to_dict()["totals"] == second.report.to_dict()["totals"]
    assert first.events == second.events


def test_lists_hold_duplicates_landlines_and_invalid_numbers() -> None:
    """The contact lists are realistic: the report shows each kind of refusal."""
    lists = contact_lists(SMALL)
    assert set(SMALL.lists) == set(lists)
    assert sum(len(v) for v in lists.values()) > SMALL.recipients  # duplicates across lists
    report = simulate(SMALL, PolicySet(name="default")).report
    reasons = {item.reason.value for item in report.bounce_reasons}
    assert {"landline_number", "invalid_number_or_country_code"} <= reasons
    assert CampaignStatus.COMPLETED == report.status


def test_retries_recover_handsets_that_come_back() -> None:
    """The default retries deliver more than no retries in the same world."""
    with_retries, without = compare(
        SMALL,
        PolicySet(name="default"),
        PolicySet(name="no-retries", engine_options={"retry": never_retry}),
    )
    assert with_retries.report.delivered.count > without.report.delivered.count
    assert with_retries.report.soft_bounces.count < without.report.soft_bounces.count
    assert 0 == without.events.get("retry", 0)


class CountingStore(InMemoryStorage):
    """An in-memory store that counts its commits: one per transaction a real store makes."""

    def __init__(self) -> None:
        super().__init__()
        self.commits = 0

    def commit(self, change: Change) -> Committed:
        self.commits += 1
        return super().commit(change)


def test_bulk_acknowledgements_and_drained_receipts_decide_as_one_by_one() -> None:
    """The demo's service (a bulk send's acknowledgements together, receipts that arrive back to
    back drained together) ends with the report and the events of one call per event, in a
    fraction of the transactions."""
    batched, single = CountingStore(), CountingStore()
    together = simulate(SMALL, PolicySet(name="default"), storage=batched)
    alone = simulate(SMALL, PolicySet(name="default"), storage=single, one_by_one=True)
    assert alone.report.to_dict() == together.report.to_dict()
    assert alone.events == together.events
    assert alone.events["submitted"] + alone.events["report applied"] < single.commits
    assert batched.commits * 4 < single.commits


def test_a_batch_of_acknowledgements_holds_at_most_its_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bulk send records at most ``BATCH`` acknowledgements in one call (the rest due at the
    same instant go in the next), and drains at most ``BATCH`` receipts."""
    monkeypatch.setattr(simulation, "BATCH", 7)
    sizes: list[int] = []
    original = CampaignEngine.submitted_many

    def counted(self: CampaignEngine, acknowledged: Any, at: datetime, **options: Any) -> Any:
        sizes.append(len(acknowledged))
        return original(self, acknowledged, at, **options)

    monkeypatch.setattr(CampaignEngine, "submitted_many", counted)
    small = simulate(SMALL, PolicySet(name="default"))
    assert 7 == max(sizes)
    assert sum(sizes) == small.events["submitted"]
    assert (
        small.report.to_dict()
        == simulate(SMALL, PolicySet(name="default"), one_by_one=True).report.to_dict()
    )
