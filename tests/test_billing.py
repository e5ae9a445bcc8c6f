"""Cost is what the provider bills; compensable soft bounces are visible (issue 15, points 1
and 2), counted by every store with SQL aggregates, and kept by the schema migrations."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import attrs
import pytest

from sms_campaign_stats import (
    BounceReason,
    Campaign,
    InMemoryStorage,
    Message,
    ValidationError,
    global_statistics,
    report_for,
)
from sms_campaign_stats.reports import Pricing, report_from_messages
from sms_campaign_stats.storage import StorageBase
from sms_campaign_stats.testing import T0, TemporaryPostgres, sample_campaign, sample_messages

from .campaigns import add_campaign

AT = T0 + timedelta(hours=1)


@pytest.fixture
def store(each_store: StorageBase) -> StorageBase:
    """Each store: in memory, SQLite, PostgreSQL (``each_store``, tests/conftest.py)."""
    return each_store


def billed(campaign: Campaign) -> list[Message]:
    """Six messages of two segments each: delivered at once; delivered after a soft bounce
    (2 submissions, 1 failed); a platform failure retried then given up (2 failed: compensable);
    a hard bounce; a number refused before sending (no submission); one still queued."""
    content = "x" * 200  # GSM-7, 2 segments
    first, second, third, fourth, fifth, sixth = (
        Message.for_campaign(
            campaign,
            id=f"{campaign.id}-{i}",
            recipient=f"+336123400{i:02d}",
            list_ids=campaign.list_ids[:1],
            queued_at=T0,
            content=content,
        )
        for i in range(6)
    )
    return [
        first.submit(at=AT, provider_message_id=f"{campaign.id}-a").deliver(at=AT),
        second.submit(at=AT, provider_message_id=f"{campaign.id}-b1")
        .requeue(BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE)
        .submit(at=AT, provider_message_id=f"{campaign.id}-b2")
        .deliver(at=AT),
        third.submit(at=AT, provider_message_id=f"{campaign.id}-c1")
        .requeue(BounceReason.PROVIDER_UNKNOWN_FAILURE)
        .submit(at=AT, provider_message_id=f"{campaign.id}-c2")
        .soft_bounce(BounceReason.PROVIDER_UNKNOWN_FAILURE, at=AT),
        fourth.submit(at=AT, provider_message_id=f"{campaign.id}-d").hard_bounce(
            BounceReason.NUMBER_DOES_NOT_EXIST, at=AT
        ),
        fifth.soft_bounce(BounceReason.LANDLINE_NUMBER, at=AT),
        sixth,
    ]


def stored(store: StorageBase, campaign_id: str = "spring", price: str = "0.05") -> Campaign:
    """A stored campaign at ``price`` a segment, with the ``billed`` messages."""
    campaign, created = sample_campaign(campaign_id)
    campaign = attrs.evolve(campaign, unit_price=Decimal(price))
    store.add_campaign(campaign, events=[created])
    store.add_messages(billed(campaign))
    return campaign


def test_cost_bills_every_submission(store: StorageBase) -> None:
    """6 submissions of 2 segments at 0.05: 0.60 (4 first sends 0.40, 2 retries 0.20); the
    4 failed submissions (a failed first send of a delivered message included) 0.40; the
    compensable soft bounce 1, 0.20, for its reason; the same as counting in memory."""
    campaign = stored(store)
    report = report_for(store, campaign.id)
    totals = report.totals
    assert (6, 4, 2, 4, 12) == (
        totals.submissions,
        totals.sent,
        totals.retries,
        totals.failed_submissions,
        totals.segments_submitted,
    )
    assert (Decimal("0.60"), Decimal("0.40"), Decimal("0.20"), Decimal("0.40")) == (
        report.cost,
        report.first_send_cost,
        report.retry_cost,
        report.bounced_cost,
    )
    assert Decimal(0) == report.avoidable_bounced_cost  # the landline was never sent
    assert report.compensable is not None
    assert (1, Decimal("0.20"), ((BounceReason.PROVIDER_UNKNOWN_FAILURE, 1),)) == (
        report.compensable.count,
        report.compensable.cost,
        report.compensable.reasons,
    )
    in_memory = report_from_messages(campaign, store.iter_messages(campaign.id))
    assert in_memory.to_dict() == report.to_dict()


def test_per_message_sent_pricing(store: StorageBase) -> None:
    """``pricing="per_message_sent"``: the 4 messages sent once each, no retry billed, the 2
    sent messages that bounced as the bounce cost; an unknown pricing is refused."""
    campaign = stored(store)
    report = report_for(store, campaign.id, pricing="per_message_sent")
    assert Pricing.PER_MESSAGE_SENT is report.pricing
    assert (Decimal("0.40"), Decimal("0.40"), Decimal("0.00"), Decimal("0.20")) == (
        report.cost,
        report.first_send_cost,
        report.retry_cost,
        report.bounced_cost,
    )
    assert report.compensable is not None
    assert Decimal("0.10") == report.compensable.cost
    with pytest.raises(ValidationError, match="pricing"):
        report_for(store, campaign.id, pricing="per_sms")


def test_global_statistics_sum_the_same_way(store: StorageBase) -> None:
    """Each campaign's row holds its report's money; the totals add them per currency, under
    the pricing asked for."""
    one, two = stored(store, "one", "0.05"), stored(store, "two", "0.10")
    stats = global_statistics(store)
    reports = [report_for(store, c.id) for c in (one, two)]
    assert [r.cost for r in reports] == [row.cost for row in stats.rows]
    assert {"EUR": Decimal("0.60") + Decimal("1.20")} == dict(stats.cost_by_currency)
    assert {"EUR": Decimal("0.20") + Decimal("0.40")} == dict(stats.retry_cost_by_currency)
    assert {"EUR": Decimal("0.40") + Decimal("0.80")} == dict(stats.bounced_cost_by_currency)
    assert {"EUR": Decimal("0.20") + Decimal("0.40")} == dict(stats.compensable_cost_by_currency)
    assert (2, 12, 4) == (stats.compensable, stats.totals.submissions, stats.totals.retries)
    shape = stats.to_dict()
    assert {"count": 2, "cost": {"EUR": "0.60"}} == shape["totals"]["compensable"]
    per_message = global_statistics(store, pricing=Pricing.PER_MESSAGE_SENT)
    assert {"EUR": Decimal("0.40") + Decimal("0.80")} == dict(per_message.cost_by_currency)
    assert "per_message_sent" == per_message.to_dict()["totals"]["pricing"]


def test_a_version_1_postgres_schema_is_migrated(postgres_server: TemporaryPostgres) -> None:
    """A PostgreSQL schema of version 1 (shapes without attempt counts) opens at version 2:
    every message's shape gains its attempts and failed attempts, counted from its stored
    attempts, and the report bills every submission as a new schema does."""
    import psycopg
    from psycopg import sql

    from sms_campaign_stats.storage.postgres import SCHEMA_VERSION, PostgresStorage

    schema = f"t{uuid4().hex}"
    first = PostgresStorage(postgres_server.url, schema=schema)
    campaign = stored(first)
    first.add_messages(sample_messages(campaign, 3, start=10))
    expected = report_for(first, campaign.id)
    counts = first.campaign_counts(campaign.id)
    first.close()
    assert 2 == SCHEMA_VERSION
    with psycopg.connect(postgres_server.url, autocommit=True) as connection:
        name = sql.Identifier(schema)
        for statement in (  # what version 1 wrote
            "UPDATE {}.messages SET shape = shape >> 24",
            "ALTER TABLE {}.messages DROP CONSTRAINT messages_one_per_recipient",
            "ALTER TABLE {}.messages ADD CONSTRAINT messages_one_per_recipient "
            "UNIQUE (campaign_id, recipient) INCLUDE (list_set)",
        ):
            connection.execute(sql.SQL(statement).format(name))
        connection.execute(
            sql.SQL("UPDATE {}.store_meta SET value = '1' WHERE name = 'schema_version'").format(
                name
            )
        )
        old = connection.execute(
            sql.SQL("SELECT id, shape FROM {}.messages ORDER BY id").format(name)
        ).fetchall()
    migrated = PostgresStorage(postgres_server.url, schema=schema)
    assert counts == migrated.campaign_counts(campaign.id)
    assert expected.to_dict() == report_for(migrated, campaign.id).to_dict()
    migrated.close()
    with psycopg.connect(postgres_server.url, autocommit=True) as connection:
        name = sql.Identifier(schema)
        version = connection.execute(
            sql.SQL("SELECT value FROM {}.store_meta WHERE name = 'schema_version'").format(name)
        ).fetchone()
        new = connection.execute(
            sql.SQL("SELECT id, shape >> 24 FROM {}.messages ORDER BY id").format(name)
        ).fetchall()
        (index,) = connection.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = %s "
            "AND indexname = 'messages_one_per_recipient'",
            (schema,),
        ).fetchone() or ("",)
    assert ("2",) == version
    assert old == new
    assert index.endswith("INCLUDE (list_set, status)")


def test_attempts_beyond_what_the_counts_encode_are_refused(store: StorageBase) -> None:
    """A message keeps at most 4,095 attempts (12 bits of the stores' counts): more is a
    ``ValidationError`` at construction, and a store refuses to write it, whatever path built
    it; 4,095 are counted exactly."""
    campaign, created = sample_campaign()
    store.add_campaign(campaign, events=[created])
    (message,) = sample_messages(campaign, 1)
    for number in range(4095):
        message = message.submit(at=AT, provider_message_id=f"p{number}").requeue(
            BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE
        )
    store.add_messages([message])
    counts = store.campaign_counts(campaign.id)
    assert (4095, 4095) == (
        sum(cell.attempts for cell in counts.cells.values()),
        sum(cell.failed_attempts for cell in counts.cells.values()),
    )
    one_more = message.submit(at=AT, provider_message_id="p4095")
    with pytest.raises(ValidationError, match="attempts"):
        attrs.evolve(one_more)  # the constructor checks
    if not isinstance(store, InMemoryStorage):
        with pytest.raises(ValidationError, match="attempts"):
            store.update_message(one_more)


def test_compensable_soft_bounces_per_provider_through_the_engine(store: StorageBase) -> None:
    """The engine keeps on each attempt the provider whose report decided it; the report counts
    the compensable soft bounces per provider (the one that decided each message), in every
    rendering: two through Brevo (a ``softBounce`` without a reason: the platform's own
    failure, given up at once), one through Twilio; a Brevo soft bounce of the recipient's
    phone is not compensable (issue 15, point 2)."""
    from sms_campaign_stats import parse_twilio_callback
    from sms_campaign_stats.engine import CampaignEngine, SendMessage
    from sms_campaign_stats.providers import parse_brevo_event
    from sms_campaign_stats.retry import GiveUp, RetryContext

    def never_retry(context: RetryContext) -> GiveUp:
        return GiveUp(reason=None, explanation="no retries in this test")

    add_campaign(store, "claims", at=T0)
    engine = CampaignEngine(store, retry=never_retry)
    numbers = [f"+3361234568{i}" for i in range(5)]
    sends = sorted(
        (
            a
            for a in engine.plan("claims", {"a": numbers}, AT).actions
            if isinstance(a, SendMessage)
        ),
        key=lambda a: a.recipient,
    )
    for index, action in enumerate(sends):
        engine.submitted(action.message_id, f"c-{index}", action.at)
    at = max(a.at for a in sends) + timedelta(minutes=1)
    engine.handle(parse_brevo_event({"messageId": "c-0", "event": "softBounce"}), at)
    engine.handle(parse_brevo_event({"messageId": "c-1", "event": "soft_bounce"}), at)
    engine.handle(
        parse_twilio_callback(
            {"MessageSid": "c-2", "MessageStatus": "failed", "ErrorCode": "30001"}
        ),
        at,
    )
    engine.handle(
        parse_brevo_event(
            {"messageId": "c-3", "event": "softBounce", "reason": "Phone turned off"}
        ),
        at,
    )
    delivered = engine.handle(parse_brevo_event({"messageId": "c-4", "event": "delivered"}), at)
    assert delivered.message is not None
    assert "brevo" == delivered.message.attempts[-1].provider
    report = report_for(store, "claims")
    assert report.compensable is not None
    by_reason = dict(report.compensable.reasons)
    assert (3, {BounceReason.PROVIDER_UNKNOWN_FAILURE: 3}) == (report.compensable.count, by_reason)
    assert (("brevo", 2), ("twilio", 1)) == report.compensable.providers
    assert [{"provider": "brevo", "count": 2}, {"provider": "twilio", "count": 1}] == (
        report.to_dict()["compensable"]["providers"]
    )
    assert "Provider brevo: 2" in report.to_text()
    assert "Fournisseur twilio : 1" in report.to_text(locale="fr")
    assert "brevo=2;twilio=1" in report.to_csv()["summary.csv"]
    assert "Provider twilio" in report.to_html()
