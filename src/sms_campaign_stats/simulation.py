"""A seeded synthetic carrier that drives the campaign engine over virtual time.

``World`` describes the recipients (countries, duplicates, landlines, invalid numbers) and how
the network behaves (per-country outcome mix, handsets that are off and come back later, a spam
filtering burst, replies and STOPs). ``simulate(world, policies)`` plans a campaign, sends every
message the engine says to send, answers with the carrier's delivery reports (Vonage-style, so
they go through the real parser and classifier), replays inbound replies, and returns the final
report. Everything random is drawn from generators seeded by the world's seed and the message,
so the same world under two policy sets meets the same network: ``compare`` shows what the
policies changed. The library's core never draws randomness; this module is a test bench.
"""

from __future__ import annotations

import hashlib
import heapq
import random
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import phonenumbers

from sms_campaign_stats.engine import (
    CampaignEngine,
    NeedsZone,
    RetryMessage,
    SendMessage,
    SuspendCampaign,
)
from sms_campaign_stats.model import Campaign
from sms_campaign_stats.providers import parse_vonage_receipt
from sms_campaign_stats.reports import CampaignReport, report_for
from sms_campaign_stats.storage import Change, InMemoryStorage, Storage

__all__ = ["CountryProfile", "PolicySet", "SimulationResult", "World", "compare", "simulate"]

UTC = timezone.utc
#: The most acknowledgements, or receipts, one engine call takes in the simulation.
BATCH = 1000


@attrs.frozen(kw_only=True)
class CountryProfile:
    """How a country's numbers behave. Probabilities are per first attempt; the rest of the
    attempts delivered unless the handset is still off or the number is gone."""

    region: str
    share: float
    hard_bounce: float = 0.01  # the number no longer exists (Vonage err 3)
    handset_off: float = 0.04  # off or out of coverage for a while (err 2), then back
    network_error: float = 0.01  # a temporary network error (err 8)
    spam_filtered: float = 0.002  # anti-spam rejection (err 6), outside bursts
    report_delay: timedelta = timedelta(seconds=20)


DEFAULT_COUNTRIES = (
    CountryProfile(region="FR", share=0.55),
    CountryProfile(region="RE", share=0.05, handset_off=0.06),
    CountryProfile(region="ES", share=0.10),
    CountryProfile(region="GB", share=0.10),
    CountryProfile(region="DE", share=0.08),
    CountryProfile(region="US", share=0.07, hard_bounce=0.02),
    CountryProfile(region="ZA", share=0.05, network_error=0.03),
)


@attrs.frozen(kw_only=True)
class World:
    """The simulated recipients and network. ``start`` is when the campaign is planned."""

    seed: int = 2026
    recipients: int = 10_000
    countries: tuple[CountryProfile, ...] = DEFAULT_COUNTRIES
    lists: tuple[str, ...] = ("newsletter", "vip", "winback")
    duplicate_share: float = 0.05  # the same person in a second list, sometimes spelt otherwise
    landline_share: float = 0.02
    invalid_share: float = 0.01
    handset_back_after: timedelta = timedelta(hours=6)  # mean time before an off handset is back
    spam_burst_start: timedelta = timedelta(hours=1)  # a carrier filters many messages for a while
    spam_burst_length: timedelta = timedelta(minutes=30)
    spam_burst_share: float = 0.3
    reply_rate: float = 0.02
    stop_rate: float = 0.005
    start: datetime = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Paris
    duration: timedelta = timedelta(days=4)


@attrs.frozen(kw_only=True)
class PolicySet:
    """A name and the keyword arguments given to ``CampaignEngine``."""

    name: str
    engine_options: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class SimulationResult:
    """The final report, and what the simulation saw along the way."""

    policies: str
    report: CampaignReport
    events: Mapping[str, int]
    suspended_at: datetime | None


def _rng(*parts: object) -> random.Random:
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))  # noqa: S311 - a simulation


def _number(region: str, kind: int, rng: random.Random) -> str:
    template = phonenumbers.example_number_for_type(region, kind)
    assert template is not None, region
    digits = str(template.national_number)
    for _ in range(200):
        tail = "".join(str(rng.randrange(10)) for _ in range(min(6, len(digits) - 3)))
        candidate = phonenumbers.PhoneNumber(
            country_code=template.country_code,
            national_number=int(digits[: len(digits) - len(tail)] + tail),
            italian_leading_zero=template.italian_leading_zero,
        )
        if phonenumbers.is_valid_number(candidate):
            return phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
    return phonenumbers.format_number(template, phonenumbers.PhoneNumberFormat.E164)


def contact_lists(world: World) -> dict[str, list[str]]:
    """The world's contact lists: valid mobiles, some landlines and invalid numbers, and people
    in two lists (written differently in the second)."""
    rng = _rng(world.seed, "lists")
    regions = [c.region for c in world.countries]
    weights = [c.share for c in world.countries]
    lists: dict[str, list[str]] = {name: [] for name in world.lists}
    for index in range(world.recipients):
        roll = rng.random()
        region = rng.choices(regions, weights)[0]
        if roll < world.invalid_share:
            number = f"+{rng.randrange(800, 999)}{rng.randrange(10**6)}"  # no such country code
        elif roll < world.invalid_share + world.landline_share:
            number = _number(region, phonenumbers.PhoneNumberType.FIXED_LINE, rng)
        else:
            number = _number(region, phonenumbers.PhoneNumberType.MOBILE, rng)
        lists[world.lists[index % len(world.lists)]].append(number)
        if rng.random() < world.duplicate_share:
            other = world.lists[(index + 1) % len(world.lists)]
            spaced = number[:3] + " " + number[3:] if rng.random() < 0.5 else number
            lists[other].append(spaced)
    return lists


class _Carrier:
    """Answers each attempt with a Vonage delivery receipt, deterministically per message."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.profiles = {c.region: c for c in world.countries}

    def answer(
        self, message_id: str, recipient: str, attempt: int, at: datetime
    ) -> tuple[datetime, dict[str, str]]:
        world = self.world
        region = phonenumbers.region_code_for_number(phonenumbers.parse(recipient)) or ""
        profile = self.profiles.get(region, world.countries[0])
        person = _rng(world.seed, "person", recipient)
        roll, back_after = person.random(), person.expovariate(1) * world.handset_back_after
        this = _rng(world.seed, "attempt", message_id, attempt)
        delay = profile.report_delay * (0.5 + this.random())
        burst_start = world.start + world.spam_burst_start
        in_burst = burst_start <= at < burst_start + world.spam_burst_length
        status, error = "delivered", "0"
        if roll < profile.hard_bounce:
            status, error = "failed", "3"
        elif roll < profile.hard_bounce + profile.handset_off and at < world.start + back_after:
            status, error = "failed", "2"
        elif in_burst and this.random() < world.spam_burst_share:
            status, error = "rejected", "6"
        elif this.random() < profile.network_error:
            status, error = "failed", "8"
        elif this.random() < profile.spam_filtered:
            status, error = "rejected", "6"
        return at + delay, {"status": status, "err-code": error}


def simulate(
    world: World,
    policies: PolicySet,
    *,
    storage: Storage | None = None,
    one_by_one: bool = False,
) -> SimulationResult:
    """Run one campaign through the engine under ``policies`` in ``world``.

    The service it plays sends as one at volume does: the messages due at one instant are
    checked together (``due_many``) and go out in one bulk send, whose acknowledgements are
    recorded together (``submitted_many``), and the receipts that arrive back to back, with
    nothing else happening between them, are drained from its queue together (``handle_many``,
    at the last one's arrival), up to ``BATCH`` at a time. ``one_by_one=True``: every check,
    acknowledgement and receipt is its own engine call (``due``, ``submitted``, ``handle``), as
    a service that handles each webhook as it comes.
    """
    store = storage if storage is not None else InMemoryStorage()
    engine = CampaignEngine(store, **dict(policies.engine_options))
    created = Campaign.create(
        id=f"sim-{world.seed}-{policies.name}",
        name=f"Simulated campaign ({policies.name})",
        sender="MyShop",
        content="Spring sale: -20% on everything until Sunday! STOP au 36111",
        list_ids=world.lists,
        at=world.start,
        unit_price=Decimal("0.045"),
    )
    store.commit(Change(new_campaigns=(created.campaign,), events=(created.event,)))
    planned = engine.plan(created.campaign.id, contact_lists(world), world.start)
    carrier = _Carrier(world)
    events: Counter[str] = Counter()
    attempts: Counter[str] = Counter()
    queue: list[tuple[datetime, int, str, Any]] = []
    sequence = 0

    def push(at: datetime, kind: str, payload: Any) -> None:
        nonlocal sequence
        sequence += 1
        heapq.heappush(queue, (at, sequence, kind, payload))

    def following(kind: str, until: datetime) -> Any:
        """The next event's payload if it is of ``kind`` and comes at or before ``until`` (taken
        from the queue, with its instant), else None: what one batch drains."""
        if one_by_one or not queue or queue[0][2] != kind or queue[0][0] > until:
            return None
        return heapq.heappop(queue)

    for action in planned.actions:
        if isinstance(action, SendMessage):
            push(action.at, "send", action.message_id)
        elif isinstance(action, NeedsZone):
            events["needs zone"] += 1
    end = world.start + world.duration
    push(world.start + timedelta(hours=1), "expire", None)
    suspended_at: datetime | None = None
    while queue:
        at, _, kind, payload = heapq.heappop(queue)
        if at > end:
            break
        if kind == "expire":
            engine.expire(at)
            push(at + timedelta(hours=1), "expire", None)
            continue
        if kind == "send":
            asked = [payload]  # the messages due at this very instant, asked about together
            while len(asked) < BATCH and (more := following("send", at)) is not None:
                asked.append(more[3])
            answers = None if one_by_one else engine.due_many(asked, at)
            sending: dict[str, str] = {}  # message id -> provider id: one bulk send
            recipients: dict[str, str] = {}
            for message_id in asked:
                due = engine.due(message_id, at) if answers is None else answers[message_id]
                if isinstance(due, SendMessage) and due.at > at:
                    push(due.at, "send", message_id)
                elif not isinstance(due, SendMessage) or message_id in sending:
                    events["not sent"] += 1  # (in ``sending``: asked twice at one instant)
                else:
                    attempts[message_id] += 1  # every attempt is submitted here: no store read
                    sending[message_id] = f"{message_id}#{attempts[message_id]}"
                    recipients[message_id] = due.recipient
            if one_by_one:
                for message_id, provider_id in sending.items():
                    engine.submitted(message_id, provider_id, at)
            elif sending:
                engine.submitted_many(sending, at)
            for message_id, provider_id in sending.items():
                events["submitted"] += 1
                when, fields = carrier.answer(
                    message_id, recipients[message_id], attempts[message_id], at
                )
                push(when, "report", {"messageId": provider_id, **fields})
            continue
        if kind == "report":
            arrived = [(at, parse_vonage_receipt(payload, received_at=at))]
            while len(arrived) < BATCH and (more := following("report", end)) is not None:
                arrived.append((more[0], parse_vonage_receipt(more[3], received_at=more[0])))
            now = arrived[-1][0]
            reports = [report for _, report in arrived]
            results = (
                [engine.handle(reports[0], now)] if one_by_one else engine.handle_many(reports, now)
            )
            for result in results:
                events[f"report {result.effect}"] += 1
                for action in result.actions:
                    if isinstance(action, RetryMessage):
                        push(action.at, "send", action.message_id)
                        events["retry"] += 1
                    elif isinstance(action, SuspendCampaign) and suspended_at is None:
                        suspended_at = action.at
                if result.effect == "applied" and result.message is not None:
                    _inbound_later(world, result.message, now, push)
            continue
        if kind == "inbound":
            sender, text = payload
            found = engine.inbound(sender, text, at)
            events[f"inbound {found.kind}"] += 1
    engine.complete_if_done(created.campaign.id, end)
    return SimulationResult(
        policies=policies.name,
        report=report_for(store, created.campaign.id),
        events=dict(events),
        suspended_at=suspended_at,
    )


def _inbound_later(world: World, message: Any, at: datetime, push: Any) -> None:
    if message.status.value != "delivered":
        return
    rng = _rng(world.seed, "inbound", message.recipient)
    roll = rng.random()
    later = at + timedelta(minutes=rng.randrange(1, 600))
    if roll < world.stop_rate:
        push(
            later, "inbound", (message.recipient, rng.choice(["STOP", "Stop", "arrêt", "STOP SMS"]))
        )
    elif roll < world.stop_rate + world.reply_rate:
        push(later, "inbound", (message.recipient, "Is it valid in store too?"))


def compare(
    world: World, first: PolicySet, second: PolicySet
) -> tuple[SimulationResult, SimulationResult]:
    """The same world under two policy sets."""
    return simulate(world, first), simulate(world, second)
