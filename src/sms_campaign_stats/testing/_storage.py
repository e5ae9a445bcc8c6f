"""The storage contract as tests (``StorageConformance``) and the sample data it uses.

Check your own ``Storage`` implementation by subclassing ``StorageConformance`` in a pytest
module (requires pytest)::

    from sms_campaign_stats.testing import StorageConformance

    class TestMyStorage(StorageConformance):
        def make_storage(self):
            return MyStorage(...)      # a fresh, empty store for each test

Every test of the suite then runs against your store. Both built-in stores pass it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest

from sms_campaign_stats.errors import (
    ConflictError,
    DuplicateError,
    NotFoundError,
    StorageError,
    ValidationError,
)
from sms_campaign_stats.model import (
    Block,
    BounceReason,
    Campaign,
    CampaignStatus,
    Message,
    MessageStatus,
    Reply,
    TimelineEvent,
    TimelineKind,
    Unsubscribe,
)
from sms_campaign_stats.storage import (
    Change,
    Committed,
    Evidence,
    Orphan,
    Storage,
    StorageBase,
)
from sms_campaign_stats.storage._counts import CampaignCounts

__all__ = ["T0", "StorageConformance", "sample_campaign", "sample_messages"]

#: A fixed instant the samples start from (tests pass time explicitly, never read the clock).
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def sample_campaign(
    campaign_id: str = "spring-sale", *, lists: Sequence[str] = ("newsletter", "vip")
) -> tuple[Campaign, TimelineEvent]:
    """A DRAFT campaign with two lists, and its CREATED history event."""
    change = Campaign.create(
        id=campaign_id,
        name="Spring sale",
        sender="MyShop",
        content="Spring sale: -20% on everything until Sunday! Reply STOP to opt out.",
        list_ids=lists,
        at=T0,
        unit_price=Decimal("0.045"),
        currency="EUR",
    )
    return change.campaign, change.event


def sample_messages(campaign: Campaign, count: int, *, start: int = 0) -> list[Message]:
    """``count`` QUEUED messages to distinct French mobile numbers, spread over the lists.

    Every third recipient is in all of the campaign's lists, the others in one list.
    """
    lists = campaign.list_ids
    messages = []
    for index in range(start, start + count):
        in_lists = lists if index % 3 == 0 else (lists[index % len(lists)],)
        messages.append(
            Message.for_campaign(
                campaign,
                id=f"{campaign.id}-m{index}",
                recipient=f"+336{index:08d}",
                list_ids=in_lists,
                queued_at=T0,
            )
        )
    return messages


def _settle(message: Message, index: int) -> Message:
    """Drive a message to a varied state: delivered, bounced, retried, still processing."""
    at = T0 + timedelta(minutes=index)
    kind = index % 6
    if kind == 5:
        return message  # still queued
    if kind == 4:
        return message.soft_bounce(BounceReason.LANDLINE_NUMBER, at=at)  # never sent
    sent = message.submit(at=at, provider_message_id=f"prov-{message.id}")
    if kind == 0:
        return sent.deliver(at=at + timedelta(seconds=5))
    if kind == 1:
        return sent.soft_bounce(
            BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE, at=at, provider_error_code="27"
        )
    if kind == 2:
        return sent.hard_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=at, provider_error_code="1")
    return sent.requeue(BounceReason.TEMPORARY_OPERATOR_NETWORK_ISSUE)


class _Conveniences(StorageBase):
    """A store that implements ``Storage`` alone, with ``StorageBase``'s conveniences: each goes
    through the store's own methods (its ``commit``, its reads)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def get_campaign(self, campaign_id: str) -> Campaign:
        return self.storage.get_campaign(campaign_id)

    def list_campaigns(self) -> list[Campaign]:
        return self.storage.list_campaigns()

    def get_message(self, message_id: str) -> Message:
        return self.storage.get_message(message_id)

    def find_messages_by_provider_ids(
        self, provider_message_ids: Iterable[str]
    ) -> dict[str, Message]:
        return self.storage.find_messages_by_provider_ids(provider_message_ids)

    def iter_messages(self, campaign_id: str, *, batch_size: int = 1000) -> Iterator[Message]:
        return self.storage.iter_messages(campaign_id, batch_size=batch_size)

    def iter_due(self, now: datetime, *, batch_size: int = 1000) -> Iterator[Message]:
        return self.storage.iter_due(now, batch_size=batch_size)

    def iter_stale(
        self, *, submitted_before: datetime, batch_size: int = 1000
    ) -> Iterator[Message]:
        return self.storage.iter_stale(submitted_before=submitted_before, batch_size=batch_size)

    def timeline(self, campaign_id: str) -> list[TimelineEvent]:
        return self.storage.timeline(campaign_id)

    def replies(self, campaign_id: str) -> list[Reply]:
        return self.storage.replies(campaign_id)

    def unsubscribes(self, campaign_id: str) -> list[Unsubscribe]:
        return self.storage.unsubscribes(campaign_id)

    def messages_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> list[Message]:
        return self.storage.messages_to(recipient, since=since, before=before)

    def orphans(self, provider_message_ids: Iterable[str]) -> list[Orphan]:
        return self.storage.orphans(provider_message_ids)

    def blocked(self, recipients: Iterable[str]) -> frozenset[str]:
        return self.storage.blocked(recipients)

    def campaign_counts(self, campaign_id: str) -> CampaignCounts:
        return self.storage.campaign_counts(campaign_id)

    def evidence(self, campaign_id: str) -> Evidence:
        return self.storage.evidence(campaign_id)

    def commit(self, change: Change) -> Committed:
        return self.storage.commit(change)

    def forget(self, recipient: str) -> int:
        return self.storage.forget(recipient)

    def close(self) -> None:
        close = getattr(self.storage, "close", None)
        if callable(close):
            close()


class StorageConformance:
    """The storage contract as tests. Subclass it and define ``make_storage``."""

    def make_storage(self) -> Storage:
        """A fresh, empty store. Subclasses define this."""
        raise TypeError(f"{type(self).__name__} must define make_storage() returning a new store")

    @pytest.fixture
    def store(self) -> Iterator[StorageBase]:
        """The store under test (given ``StorageBase``'s conveniences if it implements
        ``Storage`` alone), closed afterwards."""
        storage = self.make_storage()
        store = storage if isinstance(storage, StorageBase) else _Conveniences(storage)
        yield store
        store.close()

    @pytest.fixture
    def campaign(self, store: StorageBase) -> Campaign:
        """A stored sample campaign."""
        campaign, created = sample_campaign()
        store.add_campaign(campaign, events=[created])
        return campaign

    # campaigns ---------------------------------------------------------------------------

    def test_campaign_round_trips(self, store: StorageBase) -> None:
        """A stored campaign reads back equal, field for field, with its history."""
        campaign, created = sample_campaign()
        campaign = campaign.schedule(T0 + timedelta(days=1), at=T0).campaign
        store.add_campaign(campaign, events=[created])
        assert campaign == store.get_campaign(campaign.id)
        assert [created] == store.timeline(campaign.id)
        assert [campaign] == store.list_campaigns()

    def test_campaign_ids_are_unique(self, store: StorageBase, campaign: Campaign) -> None:
        """Adding a campaign id twice raises DuplicateError and keeps the first."""
        other, _ = sample_campaign(campaign.id, lists=("other",))
        with pytest.raises(DuplicateError):
            store.add_campaign(other)
        assert campaign == store.get_campaign(campaign.id)

    def test_unknown_campaign(self, store: StorageBase) -> None:
        """Every campaign lookup of an unknown id raises NotFoundError, a LookupError."""
        for call in (
            store.get_campaign,
            store.timeline,
            store.replies,
            store.unsubscribes,
            store.campaign_counts,
            lambda cid: list(store.iter_messages(cid)),
        ):
            with pytest.raises(NotFoundError) as caught:
                call("nope")
            assert isinstance(caught.value, LookupError)

    def test_update_campaign_is_compare_and_set(
        self, store: StorageBase, campaign: Campaign
    ) -> None:
        """An update based on the stored version wins once; a stale one changes nothing."""
        started = campaign.start(at=T0)
        stored = store.update_campaign(started.campaign, events=[started.event])
        assert campaign.version + 1 == stored.version
        assert CampaignStatus.SENDING == store.get_campaign(campaign.id).status
        stale = campaign.cancel(at=T0)
        with pytest.raises(ConflictError) as caught:
            store.update_campaign(stale.campaign, events=[stale.event])
        assert (campaign.version, stored.version) == (
            caught.value.expected_version,
            caught.value.stored_version,
        )
        assert stored == store.get_campaign(campaign.id)
        kinds = [event.kind for event in store.timeline(campaign.id)]
        assert [TimelineKind.CREATED, TimelineKind.STARTED] == kinds

    def test_update_unknown_campaign(self, store: StorageBase) -> None:
        """Updating a campaign that was never added raises NotFoundError."""
        campaign, _ = sample_campaign()
        with pytest.raises(NotFoundError):
            store.update_campaign(campaign)

    def test_list_campaigns_oldest_first(self, store: StorageBase) -> None:
        """Campaigns are listed by creation time, then id."""
        late, _ = sample_campaign("b-late")
        late = attrs.evolve(late, created_at=T0 + timedelta(hours=1))
        early_b, _ = sample_campaign("b-early")
        early_a, _ = sample_campaign("a-early")
        for campaign in (late, early_b, early_a):
            store.add_campaign(campaign)
        assert ["a-early", "b-early", "b-late"] == [c.id for c in store.list_campaigns()]

    def test_events_for_unknown_campaign_are_refused(
        self, store: StorageBase, campaign: Campaign
    ) -> None:
        """A batch of events with one for an unknown campaign appends nothing."""
        ok = TimelineEvent(campaign_id=campaign.id, at=T0, kind=TimelineKind.STARTED)
        bad = TimelineEvent(campaign_id="nope", at=T0, kind=TimelineKind.STARTED)
        with pytest.raises(NotFoundError):
            store.append_events([ok, bad])
        assert 1 == len(store.timeline(campaign.id))
        store.append_events([ok])
        assert ok == store.timeline(campaign.id)[-1]

    # messages ----------------------------------------------------------------------------

    def test_messages_round_trip(self, store: StorageBase, campaign: Campaign) -> None:
        """Messages in every state read back equal, attempts and timestamps included."""
        messages = [_settle(m, i) for i, m in enumerate(sample_messages(campaign, 12))]
        assert 12 == store.add_messages(messages)
        for message in messages:
            assert message == store.get_message(message.id)
        assert sorted(messages, key=lambda m: m.id) == sorted(
            store.iter_messages(campaign.id), key=lambda m: m.id
        )

    def test_failed_batch_stores_nothing(self, store: StorageBase, campaign: Campaign) -> None:
        """A batch with one bad message (unknown campaign, repeated id or recipient) is refused
        whole, with a typed error."""
        good = sample_messages(campaign, 5)
        orphan = Message(
            id="orphan", campaign_id="nope", recipient="+33700000000", list_ids=(), queued_at=T0
        )
        same_id = attrs.evolve(good[0], recipient="+33799999999")
        same_recipient = attrs.evolve(good[0], id="another-id")
        for bad, error in (
            (orphan, NotFoundError),
            (same_id, DuplicateError),
            (same_recipient, DuplicateError),
        ):
            with pytest.raises(error):
                store.add_messages([*good, bad])
            assert [] == list(store.iter_messages(campaign.id))
        store.add_messages(good)
        with pytest.raises(DuplicateError):
            store.add_messages(sample_messages(campaign, 2, start=4))
        assert 5 == len(list(store.iter_messages(campaign.id)))

    def test_unknown_message(self, store: StorageBase, campaign: Campaign) -> None:
        """Unknown message ids raise NotFoundError; unknown provider ids give None."""
        with pytest.raises(NotFoundError):
            store.get_message("nope")
        assert store.find_message_by_provider_id("nope") is None
        (message,) = sample_messages(campaign, 1)
        with pytest.raises(NotFoundError):
            store.update_message(message)

    def test_find_by_provider_id(self, store: StorageBase, campaign: Campaign) -> None:
        """Every attempt's provider id finds its message; a provider id names one message."""
        first, second = sample_messages(campaign, 2)
        store.add_messages([first, second])
        first = store.update_message(first.submit(at=T0, provider_message_id="p-1"))
        first = store.update_message(first.requeue(BounceReason.RECIPIENT_UNREACHABLE))
        first = store.update_message(first.submit(at=T0, provider_message_id="p-2"))
        assert first == store.find_message_by_provider_id("p-1")
        assert first == store.find_message_by_provider_id("p-2")
        with pytest.raises(DuplicateError):
            store.update_message(second.submit(at=T0, provider_message_id="p-1"))
        assert second == store.get_message(second.id)

    def test_find_many_by_provider_ids(self, store: StorageBase, campaign: Campaign) -> None:
        """Many provider ids at once: each known one with its message, unknown ones absent."""
        messages = sample_messages(campaign, 3)
        store.add_messages(messages)
        sent = [
            store.update_message(m.submit(at=T0, provider_message_id=f"bulk-{i}"))
            for i, m in enumerate(messages)
        ]
        wanted = ["bulk-2", "nope", "bulk-0", "bulk-0"]
        assert {"bulk-0": sent[0], "bulk-2": sent[2]} == store.find_messages_by_provider_ids(wanted)
        many = [f"x{i}" for i in range(1100)] + ["bulk-1"]
        assert {"bulk-1": sent[1]} == store.find_messages_by_provider_ids(many)

    def test_update_message_is_compare_and_set(
        self, store: StorageBase, campaign: Campaign
    ) -> None:
        """The first update based on a version wins; the stale one raises and writes nothing."""
        (message,) = sample_messages(campaign, 1)
        store.add_messages([message])
        submitted = store.update_message(message.submit(at=T0, provider_message_id="p"))
        assert message.version + 1 == submitted.version
        with pytest.raises(ConflictError):
            store.update_message(message.cancel(at=T0))
        assert submitted == store.get_message(message.id)

    def test_update_messages_is_atomic(self, store: StorageBase, campaign: Campaign) -> None:
        """One stale message in a batch: nothing of the batch is written."""
        messages = sample_messages(campaign, 4)
        store.add_messages(messages)
        store.update_message(messages[3].cancel(at=T0))
        batch = [m.submit(at=T0, provider_message_id=f"p-{m.id}") for m in messages]
        with pytest.raises(ConflictError):
            store.update_messages(batch)
        assert MessageStatus.QUEUED == store.get_message(messages[0].id).status
        assert store.find_message_by_provider_id(f"p-{messages[0].id}") is None
        written = store.update_messages(batch[:3])
        assert [m.version + 1 for m in batch[:3]] == [m.version for m in written]
        assert written == [store.get_message(m.id) for m in batch[:3]]

    def test_update_messages_of_every_kind_in_one_batch(
        self, store: StorageBase, campaign: Campaign
    ) -> None:
        """One batch may deliver, submit again and move a message to other lists; a stale
        message anywhere in it writes nothing."""
        messages = sample_messages(campaign, 4)
        store.add_messages(messages)
        sent = store.update_messages(
            [m.submit(at=T0, provider_message_id=f"p-{m.id}") for m in messages]
        )
        later = T0 + timedelta(minutes=5)
        batch = [
            sent[0].deliver(at=later),
            sent[1].requeue(BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE),
            attrs.evolve(sent[2], list_ids=("moved",)),
        ]
        batch[1] = batch[1].submit(at=later, provider_message_id=f"p2-{messages[1].id}")
        stale = sent[3].hard_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=later)
        store.update_message(sent[3].deliver(at=later))
        with pytest.raises(ConflictError):
            store.update_messages([*batch, stale])
        assert sent[:3] == [store.get_message(m.id) for m in messages[:3]]
        written = store.update_messages(batch)
        assert written == [store.get_message(m.id) for m in messages[:3]]
        assert [m.version + 1 for m in batch] == [m.version for m in written]
        assert ("moved",) == written[2].list_ids
        assert later == written[1].last_attempt_at
        assert written[1] == store.find_message_by_provider_id(f"p2-{messages[1].id}")

    def test_update_messages_writes_their_blocks(
        self, store: StorageBase, campaign: Campaign
    ) -> None:
        """Blocks given with a batch are written with it, or not at all; a number already
        blocked is no error."""
        messages = sample_messages(campaign, 2)
        store.add_messages(messages)
        sent = store.update_messages(
            [m.submit(at=T0, provider_message_id=f"p-{m.id}") for m in messages]
        )
        bounced = sent[0].hard_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=T0)
        blocks = [Block(recipient=m.recipient, reason="hard_bounce", at=T0) for m in messages]
        store.update_message(sent[1].deliver(at=T0))
        with pytest.raises(ConflictError):
            store.update_messages([bounced, sent[1].deliver(at=T0)], blocks=blocks)
        assert frozenset() == store.blocked(m.recipient for m in messages)
        with pytest.raises(ValidationError):
            store.update_messages([bounced], blocks=["+33600000001"])  # type: ignore[list-item]
        assert MessageStatus.PROCESSING == store.get_message(bounced.id).status
        assert store.block(messages[1].recipient, reason="unsubscribed", at=T0)
        store.update_messages([bounced], blocks=blocks)
        assert frozenset(m.recipient for m in messages) == store.blocked(
            m.recipient for m in messages
        )
        assert not store.block(messages[0].recipient, reason="again", at=T0)

    def test_update_cannot_move_a_message(self, store: StorageBase, campaign: Campaign) -> None:
        """Campaign and recipient of a stored message are its identity: they cannot change."""
        (message,) = sample_messages(campaign, 1)
        store.add_messages([message])
        moved = attrs.evolve(message, recipient="+33711111111")
        with pytest.raises(ValidationError):
            store.update_message(moved)
        with pytest.raises(ValidationError):
            store.update_messages([message, message])
        assert message == store.get_message(message.id)

    def test_iteration_in_batches(self, store: StorageBase, campaign: Campaign) -> None:
        """Iteration yields each message exactly once, whatever the batch size."""
        messages = sample_messages(campaign, 23)
        store.add_messages(messages)
        expected = sorted(m.id for m in messages)
        for batch_size in (1, 5, 23, 1000):
            got = [m.id for m in store.iter_messages(campaign.id, batch_size=batch_size)]
            assert expected == sorted(got)
        with pytest.raises(ValidationError):
            store.iter_messages(campaign.id, batch_size=0)

    def test_concurrent_compare_and_set_loses_no_update(
        self, store: StorageBase, campaign: Campaign
    ) -> None:
        """Threads that re-read and retry on conflict apply every increment exactly once."""
        (message,) = sample_messages(campaign, 1)
        store.add_messages([message])
        threads, rounds = 4, 10

        def bump() -> None:
            for _ in range(rounds):
                while True:
                    current = store.get_message(message.id)
                    try:
                        store.update_message(current)
                        break
                    except ConflictError:
                        continue

        workers = [threading.Thread(target=bump) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert threads * rounds == store.get_message(message.id).version

    # replies, unsubscribes, counts ------------------------------------------------------

    def test_replies_and_unsubscribes(self, store: StorageBase, campaign: Campaign) -> None:
        """Recording is idempotent by id; lists come back oldest first; unknown campaigns fail."""
        later = Reply(id="r2", recipient="+33600000001", at=T0 + timedelta(hours=1), text="Oui")
        later = attrs.evolve(later, campaign_id=campaign.id)
        first = Reply(id="r1", recipient="+33600000000", at=T0, text="Hi", campaign_id=campaign.id)
        unattributed = Reply(id="r3", recipient="+33600000002", at=T0, text="?")
        assert store.record_reply(later)
        assert store.record_reply(first)
        assert store.record_reply(unattributed)
        assert not store.record_reply(first)
        assert [first, later] == store.replies(campaign.id)
        stop = Unsubscribe(
            id="u1", recipient="+33600000000", at=T0, keyword="STOP", campaign_id=campaign.id
        )
        assert store.record_unsubscribe(stop)
        assert not store.record_unsubscribe(stop)
        assert [stop] == store.unsubscribes(campaign.id)
        with pytest.raises(NotFoundError):
            store.record_reply(
                Reply(id="r9", recipient="+33600000000", at=T0, text="x", campaign_id="nope")
            )
        with pytest.raises(NotFoundError):
            store.record_unsubscribe(
                Unsubscribe(id="u9", recipient="+33600000000", at=T0, campaign_id="nope")
            )

    def test_counts_match_counting_the_messages(
        self, store: StorageBase, campaign: Campaign
    ) -> None:
        """The store's aggregate equals CampaignCounts.of_messages over the same data."""
        messages = [_settle(m, i) for i, m in enumerate(sample_messages(campaign, 60))]
        store.add_messages(messages)
        other, _ = sample_campaign("other")
        store.add_campaign(other)
        store.add_messages([_settle(m, 0) for m in sample_messages(other, 7)])
        recipients = [m.recipient for m in messages]
        _engage(
            store,
            campaign,
            replying=[*(recipients[i] for i in (0, 3, 6, 6, 9)), "+447700900000"],
            unsubscribing=[recipients[i] for i in (6, 12)],
        )
        assert _counted(store, campaign, messages) == store.campaign_counts(campaign.id)
        assert 60 == store.campaign_counts(campaign.id).messages
        assert CampaignCounts() == store.campaign_counts(_empty(store).id)

    def test_counts_whatever_the_order_of_arrival(
        self, store: StorageBase, campaign: Campaign
    ) -> None:
        """Replies and opt-outs recorded before their messages (a late import) count the same,
        and updating messages keeps them."""
        messages = [_settle(m, i) for i, m in enumerate(sample_messages(campaign, 30))]
        store.add_messages(messages[:10])
        recipients = [m.recipient for m in messages]
        _engage(
            store,
            campaign,
            replying=[recipients[i] for i in (2, 12, 12, 25)],
            unsubscribing=[recipients[i] for i in (3, 25)],
        )
        store.add_messages(messages[10:15])
        store.add_messages(messages[15:])
        assert _counted(store, campaign, messages) == store.campaign_counts(campaign.id)
        queued = [m for m in store.iter_messages(campaign.id) if m.status is MessageStatus.QUEUED]
        store.update_messages([m.cancel(at=T0) for m in queued])
        stored = list(store.iter_messages(campaign.id))
        assert _counted(store, campaign, stored) == store.campaign_counts(campaign.id)

    # engine support -----------------------------------------------------------------------

    def test_latest_message_to(self, store: StorageBase, campaign: Campaign) -> None:
        """The latest message sent to a number, any campaign, since a time; None otherwise."""
        (first,) = sample_messages(campaign, 1)
        other, _ = sample_campaign("other")
        store.add_campaign(other)
        second = attrs.evolve(first, id="o-1", campaign_id=other.id)
        store.add_messages([first, second])
        assert store.latest_message_to(first.recipient, since=T0) is None  # never sent
        store.update_message(first.submit(at=T0, provider_message_id="a"))
        later = store.update_message(
            second.submit(at=T0 + timedelta(hours=1), provider_message_id="b")
        )
        assert later == store.latest_message_to(first.recipient, since=T0)
        assert store.latest_message_to(first.recipient, since=T0 + timedelta(hours=2)) is None
        assert store.latest_message_to("+33700000000", since=T0) is None

    def test_iter_stale(self, store: StorageBase, campaign: Campaign) -> None:
        """Processing messages whose last attempt is older than the cutoff, each once."""
        messages = sample_messages(campaign, 7)
        store.add_messages(messages)
        sent = [
            store.update_message(
                m.submit(at=T0 + timedelta(minutes=i), provider_message_id=f"s{i}")
            )
            for i, m in enumerate(messages[:6])
        ]
        store.update_message(sent[0].deliver(at=T0))
        cutoff = T0 + timedelta(minutes=4)
        stale = sorted(m.id for m in store.iter_stale(submitted_before=cutoff, batch_size=2))
        assert sorted(m.id for m in sent[1:4]) == stale
        with pytest.raises(ValidationError):
            store.iter_stale(submitted_before=cutoff, batch_size=0)

    def test_orphan_reports(self, store: StorageBase) -> None:
        """Orphans are kept in arrival order and taken once."""
        store.add_orphan("p-1", {"status": "DELIVRD", "n": 1}, received_at=T0)
        store.add_orphan("p-2", {"status": "UNDELIV"}, received_at=T0)
        store.add_orphan("p-1", {"status": "DELIVRD", "n": 2}, received_at=T0)
        assert [{"status": "DELIVRD", "n": 1}, {"status": "DELIVRD", "n": 2}] == store.take_orphans(
            "p-1"
        )
        assert [] == store.take_orphans("p-1")
        assert [{"status": "UNDELIV"}] == store.take_orphans("p-2")
        with pytest.raises(ValidationError):
            store.add_orphan("p-3", ["not", "a", "mapping"], received_at=T0)  # type: ignore[arg-type]

    def test_blocklist(self, store: StorageBase) -> None:
        """A number is blocked once; blocked() answers for many numbers at a time."""
        assert store.block("+33600000001", reason="hard_bounce", at=T0)
        assert not store.block("+33600000001", reason="unsubscribed", at=T0)
        assert store.block("+33600000002", reason="unsubscribed", at=T0)
        numbers = [f"+3360000{i:04d}" for i in range(1200)]
        assert frozenset({"+33600000001", "+33600000002"}) == store.blocked(numbers)
        assert frozenset() == store.blocked([])

    # personal data --------------------------------------------------------------------------

    def test_forget_erases_a_number_and_keeps_the_counts(
        self, store: StorageBase, campaign: Campaign
    ) -> None:
        """forget() leaves no trace of the number, nor its texts, and changes no count."""
        messages = [_settle(m, i) for i, m in enumerate(sample_messages(campaign, 24))]
        store.add_messages(messages)
        other, _ = sample_campaign("other")
        store.add_campaign(other)
        store.add_messages([_settle(m, 2) for m in sample_messages(other, 3)])
        number, neighbour = messages[2].recipient, messages[3].recipient  # a hard bounce
        _engage(store, campaign, replying=[number, number, neighbour], unsubscribing=[number])
        store.record_reply(Reply(id="loose", recipient=number, at=T0, text="who is this?"))
        store.block(number, reason="hard_bounce", at=T0)
        store.block(neighbour, reason="unsubscribed", at=T0)
        store.add_orphan("late", {"details": {"to": number[1:]}, "via": [number]}, received_at=T0)
        store.add_orphan("late", {"n": 2, "ref": f"x{number[1:]}"}, received_at=T0)
        before = [store.campaign_counts(c.id) for c in (campaign, other)]
        history = store.timeline(campaign.id)

        assert 1 + 1 + 3 + 1 + 1 + 1 == store.forget(number)  # 2 messages, 4 inbound, 1+1

        assert before == [store.campaign_counts(c.id) for c in (campaign, other)]
        assert history == store.timeline(campaign.id)
        stored = [*store.iter_messages(campaign.id), *store.iter_messages(other.id)]
        assert number not in {m.recipient for m in stored}
        forgotten = store.get_message(messages[2].id)
        alias = forgotten.recipient
        assert alias.startswith("+999")
        assert len(alias) == 16
        assert attrs.evolve(messages[2], recipient=alias, version=1) == forgotten
        inbound: list[Reply | Unsubscribe] = [
            *store.replies(campaign.id),
            *store.unsubscribes(campaign.id),
        ]
        assert {alias, neighbour} == {item.recipient for item in inbound}
        assert ["", "", "merci"] == sorted(r.text for r in store.replies(campaign.id))
        assert [""] == [u.keyword for u in store.unsubscribes(campaign.id)]
        assert frozenset({number, neighbour}) == store.blocked([number, neighbour, alias])
        assert not store.block(number, reason="unsubscribed", at=T0)
        orphans = store.take_orphans("late")
        assert [
            {"details": {"to": alias}, "via": [alias]},
            {"n": 2, "ref": f"x{number[1:]}"},  # the number only inside another value
        ] == orphans
        # Idempotent: nothing left to forget; other numbers untouched.
        assert 0 == store.forget(number)
        assert before == [store.campaign_counts(c.id) for c in (campaign, other)]
        assert frozenset({number}) == store.blocked([number])
        assert neighbour == store.get_message(messages[3].id).recipient

    def test_forget_keeps_compare_and_set(self, store: StorageBase, campaign: Campaign) -> None:
        """A writer holding a message read before forget() gets ConflictError, and re-reading
        lets it apply its change to the pseudonymous message."""
        (message,) = sample_messages(campaign, 1)
        store.add_messages([message])
        read = store.get_message(message.id)
        assert 1 == store.forget(message.recipient)
        with pytest.raises(ConflictError):
            store.update_message(read.cancel(at=T0))
        cancelled = store.update_message(store.get_message(message.id).cancel(at=T0))
        assert MessageStatus.CANCELLED is cancelled.status

    def test_forget_an_unknown_or_unblocked_number(self, store: StorageBase) -> None:
        """Forgetting a number the store never saw changes nothing; a number that was not
        blocked does not become blocked; bad input is refused with ValidationError."""
        assert 0 == store.forget("+33600000009")
        assert frozenset() == store.blocked(["+33600000009"])
        assert store.block("+33600000009", reason="hard_bounce", at=T0)
        store.record_reply(Reply(id="r", recipient="+33600000008", at=T0, text="hello"))
        assert 1 == store.forget("+33600000008")
        assert frozenset({"+33600000009"}) == store.blocked(["+33600000008", "+33600000009"])
        for bad in ("", "   ", 42, "+999123456789012", "9" * 65):
            with pytest.raises(ValidationError):
                store.forget(bad)  # type: ignore[arg-type]

    def test_closed_store_refuses_work(self, store: StorageBase, campaign: Campaign) -> None:
        """After close(), operations raise StorageError."""
        store.close()
        with pytest.raises(StorageError):
            store.get_campaign(campaign.id)


def _engage(
    store: StorageBase, campaign: Campaign, *, replying: Sequence[str], unsubscribing: Sequence[str]
) -> None:
    """Record one reply per entry of ``replying`` (repeat a number for several replies) and one
    opt-out per entry of ``unsubscribing``, all attributed to ``campaign``."""
    for number, recipient in enumerate(replying):
        store.record_reply(
            Reply(
                id=f"{campaign.id}-r{number}",
                recipient=recipient,
                at=T0,
                text="merci",
                campaign_id=campaign.id,
            )
        )
    for number, recipient in enumerate(unsubscribing):
        store.record_unsubscribe(
            Unsubscribe(
                id=f"{campaign.id}-u{number}",
                recipient=recipient,
                at=T0,
                keyword="STOP",
                campaign_id=campaign.id,
            )
        )


def _counted(store: StorageBase, campaign: Campaign, messages: Sequence[Message]) -> CampaignCounts:
    """What the aggregate must be: the messages counted in memory with the store's engagement."""
    return CampaignCounts.of_messages(
        messages,
        replies=store.replies(campaign.id),
        unsubscribes=store.unsubscribes(campaign.id),
    )


def _empty(store: StorageBase) -> Campaign:
    campaign, _ = sample_campaign("empty")
    store.add_campaign(campaign)
    return campaign
