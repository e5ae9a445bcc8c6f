"""The seeded simulator: deterministic, realistic lists, and policies that make a difference."""

from __future__ import annotations

from sms_campaign_stats import CampaignStatus
from sms_campaign_stats.retry import GiveUp, RetryContext
from sms_campaign_stats.simulation import PolicySet, World, compare, contact_lists, simulate

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
