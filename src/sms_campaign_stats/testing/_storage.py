"""The storage contract as tests (``StorageConformance``) and the sample data it uses.

Check your own ``Storage`` implementation by subclassing ``StorageConformance`` in a pytest
module (requires pytest)::

    from sms_campaign_stats.testing import StorageConformance

    class TestMyStorage(StorageConformance):
        def make_storage(self):
            return MyStorage(...)      # a fresh, empty store for each test

Every test of the suite then runs against your store. Both built-in stores pass it. Your store
may implement ``Storage`` alone (the suite then gives it ``StorageBase``'s conveniences, which go
through its ``commit``) or subclass ``StorageBase``.

Atomicity under failures: define ``inject_commit_failure(store, campaign)`` to return a
``Change`` that your store accepts when it checks it but that fails while it is written (an item
your database refuses only on insert; or arrange a failure on ``store``, a trigger or a wrapped
method, and return a change that reaches it)::

        def inject_commit_failure(self, store, campaign):
            return Change(evidence=[Evidence(campaign_id=campaign.id, delivered=2**63)])

The suite merges it after a change holding every kind of item, and checks that nothing of
either is visible afterwards and that the store keeps working. Left undefined (``None``), those
tests are skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

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
    Outcome,
    Part,
    Reply,
    TimelineEvent,
    TimelineKind,
    Unsubscribe,
)
from sms_campaign_stats.storage import (
    Change,
    Committed,
    Completion,
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

    def unsubscribes(self, campaign_id: str, *, recipient: str | None = None) -> list[Unsubscribe]:
        return self.storage.unsubscribes(campaign_id, recipient=recipient)

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
    """The storage contract as tests. Subclass it and define ``make_storage``; define
    ``inject_commit_failure`` too to check that a commit failing while it writes leaves
    nothing (see the module doc)."""

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
            store.evidence,
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

    def test_get_many_messages_by_id(self, store: StorageBase, campaign: Campaign) -> None:
        """``get_messages``: each stored message of the ids asked, by id, in the order asked,
        each id once, as ``get_message`` reads it (a version written since included); unknown
        ids left out, more than one query's worth (1,100 ids) included."""
        messages = sample_messages(campaign, 3)
        store.add_messages(messages)
        sent = store.update_message(messages[1].submit(at=T0, provider_message_id="p-1"))
        found = store.get_messages([messages[2].id, "nope", sent.id, messages[2].id])
        assert [messages[2].id, sent.id] == list(found)
        assert {messages[2].id: messages[2], sent.id: sent} == found
        assert {m.id: store.get_message(m.id) for m in messages} == store.get_messages(
            m.id for m in messages
        )
        many = [f"x{i}" for i in range(1100)] + [messages[0].id]
        assert {messages[0].id: messages[0]} == store.get_messages(many)
        assert {} == store.get_messages([])

    # messages in several parts ---------------------------------------------------------------

    def test_every_part_id_finds_its_message(self, store: StorageBase, campaign: Campaign) -> None:
        """A message sent in several parts (one provider id per part, ``Attempt.parts``): every
        part's id finds the message, one lookup or many; the parts and their outcomes read back
        equal, field for field; a retry's parts add their ids, the earlier ones still resolve."""
        first, second = sample_messages(campaign, 2)
        store.add_messages([first, second])
        sent = store.update_message(first.submit(at=T0, part_ids=["mp-1a", "mp-1b", "mp-1c"]))
        assert ("mp-1a", "mp-1b", "mp-1c") == sent.attempts[0].provider_ids
        for pid in ("mp-1a", "mp-1b", "mp-1c"):
            assert sent == store.find_message_by_provider_id(pid)
        wanted = ["mp-1c", "nope", "mp-1a", "mp-1b"]
        assert dict.fromkeys(("mp-1a", "mp-1b", "mp-1c"), sent) == (
            store.find_messages_by_provider_ids(wanted)
        )
        report = {"provider": "smpp", "status": "UNDELIV", "details": {"err": "001"}}
        parts = (
            Part(provider_message_id="mp-1a", outcome=Outcome.DELIVERED),
            Part(provider_message_id="mp-1b", outcome=Outcome.HARD_BOUNCE, report=report),
            Part(provider_message_id="mp-1c"),
        )
        recorded = attrs.evolve(sent, attempts=(attrs.evolve(sent.attempts[0], parts=parts),))
        recorded = store.update_message(recorded)
        assert recorded == store.get_message(first.id)
        assert parts == store.get_message(first.id).attempts[0].parts
        again = store.update_message(recorded.requeue(BounceReason.RECIPIENT_UNREACHABLE))
        again = store.update_message(again.submit(at=T0, part_ids=["mp-2a", "mp-2b"]))
        for pid in ("mp-1a", "mp-1b", "mp-1c", "mp-2a", "mp-2b"):
            assert again == store.find_message_by_provider_id(pid)
        assert parts == again.attempts[0].parts == store.get_message(first.id).attempts[0].parts
        with pytest.raises(DuplicateError):  # a part's id names one message
            store.update_message(second.submit(at=T0, part_ids=["mp-x", "mp-1b"]))
        assert second == store.get_message(second.id)
        assert store.find_message_by_provider_id("mp-x") is None

    def test_parts_in_one_batch_and_on_import(self, store: StorageBase, campaign: Campaign) -> None:
        """Parts' ids are registered by ``update_messages`` and by ``add_messages`` (an import
        of messages already sent), and a message still counts once, its segments once."""
        messages = sample_messages(campaign, 3)
        store.add_messages(messages[:2])
        batch = [
            m.submit(at=T0, part_ids=[f"{m.id}-{n}" for n in range(1, 4)]) for m in messages[:2]
        ]
        written = store.update_messages(batch)
        imported = messages[2].submit(at=T0, part_ids=["imp-1", "imp-2"])
        store.add_messages([imported])
        found = store.find_messages_by_provider_ids(
            [f"{m.id}-{n}" for m in messages[:2] for n in range(1, 4)] + ["imp-1", "imp-2"]
        )
        assert 8 == len(found)
        assert {m.id for m in written} | {imported.id} == {m.id for m in found.values()}
        counts = store.campaign_counts(campaign.id)
        assert 3 == counts.messages
        assert 3 * messages[0].segments == sum(cell.segments for cell in counts.cells.values())

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
        # Alone, a message still with its provider moved to other lists again.
        moved = store.update_message(attrs.evolve(written[2], list_ids=("moved", "again")))
        assert moved == store.get_message(messages[2].id)
        assert {"moved", "again"} == set(moved.list_ids)

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
        other = Unsubscribe(
            id="u2", recipient="+33600000001", at=T0, keyword="STOP", campaign_id=campaign.id
        )
        assert store.record_unsubscribe(other)
        assert [stop, other] == store.unsubscribes(campaign.id)
        # one number's: what the engine reads to tell an opt-out it recorded already
        assert [other] == store.unsubscribes(campaign.id, recipient=other.recipient)
        assert [] == store.unsubscribes(campaign.id, recipient="+33600000009")
        with pytest.raises(NotFoundError):
            store.unsubscribes("nope", recipient=stop.recipient)
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

    def test_counts_bill_every_submission(self, store: StorageBase, campaign: Campaign) -> None:
        """The counts carry every submission and every failed one, with their segments (what a
        provider bills: a retry again, the failed first send of a message a retry delivered
        too), and count an unsubscriber only on a delivered message (issue 15)."""
        first, second, third, fourth, fifth = sample_messages(campaign, 5)
        at = T0 + timedelta(minutes=1)
        retried = (
            first.submit(at=at, provider_message_id=f"bill-{first.id}-1")
            .requeue(BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE)
            .submit(at=at, provider_message_id=f"bill-{first.id}-2")
            .requeue(None, outcome=Outcome.THROTTLED)
            .submit(at=at, provider_message_id=f"bill-{first.id}-3")
            .deliver(at=at)
        )
        failed = (
            second.submit(at=at, provider_message_id=f"bill-{second.id}-1")
            .requeue(BounceReason.PROVIDER_UNKNOWN_FAILURE)
            .submit(at=at, provider_message_id=f"bill-{second.id}-2")
            .soft_bounce(BounceReason.PROVIDER_UNKNOWN_FAILURE, at=at)
        )
        opted_out = third.submit(at=at, provider_message_id=f"bill-{third.id}").hard_bounce(
            BounceReason.OPTED_OUT_EARLIER, at=at
        )
        refused = fourth.soft_bounce(BounceReason.LANDLINE_NUMBER, at=at)
        messages = [retried, failed, opted_out, refused, fifth]
        store.add_messages(messages)
        _engage(
            store,
            campaign,
            replying=[],
            unsubscribing=[retried.recipient, opted_out.recipient, fifth.recipient],
        )
        counts = store.campaign_counts(campaign.id)
        assert _counted(store, campaign, messages) == counts
        cells = list(counts.cells.values())
        segments = campaign.segments
        assert (6, 6 * segments) == (
            sum(cell.attempts for cell in cells),
            sum(cell.attempt_segments for cell in cells),
        )
        # the handset's soft bounce, the platform's two, the earlier opt-out; not the throttle
        assert (4, 4 * segments) == (
            sum(cell.failed_attempts for cell in cells),
            sum(cell.failed_segments for cell in cells),
        )
        assert 1 == sum(found.unsubscribers for found in counts.engagement.values())

    def test_counts_compensable_messages_per_provider(
        self, store: StorageBase, campaign: Campaign
    ) -> None:
        """Each attempt keeps the provider whose report decided it (``Attempt.provider``), and
        the counts say how many compensable messages (sent, soft bounces of a platform-fault
        reason) each provider decided, by their last attempt; ``None`` for those without one;
        other messages count in none (issue 15)."""
        messages = sample_messages(campaign, 7)
        at = T0 + timedelta(minutes=1)
        fault = BounceReason.PROVIDER_UNKNOWN_FAILURE

        def sent(index: int) -> Message:
            return messages[index].submit(at=at, provider_message_id=f"comp-{index}")

        retried_elsewhere = (
            sent(0)
            .requeue(fault, provider="twilio")
            .submit(at=at, provider_message_id="comp-0-again")
            .soft_bounce(fault, at=at, provider="brevo")
        )
        written = [
            retried_elsewhere,
            sent(1).soft_bounce(fault, at=at, provider="brevo"),
            sent(2).soft_bounce(fault, at=at, provider="vonage"),
            sent(3).soft_bounce(fault, at=at),  # no provider recorded
            sent(4).soft_bounce(BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE, at=at, provider="x"),
            sent(5).deliver(at=at, provider="brevo"),
            messages[6].soft_bounce(BounceReason.LANDLINE_NUMBER, at=at),  # never sent
        ]
        store.add_messages(written)
        stored = store.get_message(retried_elsewhere.id)
        assert ["twilio", "brevo"] == [a.provider for a in stored.attempts]
        assert "brevo" == store.get_message(written[5].id).attempts[-1].provider
        counts = store.campaign_counts(campaign.id)
        assert {"brevo": 2, "vonage": 1, None: 1} == dict(counts.compensable_providers)
        assert _counted(store, campaign, written) == counts

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
        since = T0 - timedelta(days=365)
        assert [] == store.messages_to(number, since=since)  # what attributes a reply
        assert [alias, alias] == [m.recipient for m in store.messages_to(alias, since=since)]
        inbound: list[Reply | Unsubscribe] = [
            *store.replies(campaign.id),
            *store.unsubscribes(campaign.id),
        ]
        assert {alias, neighbour} == {item.recipient for item in inbound}
        assert ["", "", "merci"] == sorted(r.text for r in store.replies(campaign.id))
        assert [""] == [u.keyword for u in store.unsubscribes(campaign.id)]
        assert frozenset({number, neighbour}) == store.blocked([number, neighbour, alias])
        assert not store.block(number, reason="unsubscribed", at=T0)
        kept = [o.report for o in store.orphans(["late"])]  # read, as the engine reads them
        orphans = store.take_orphans("late")
        assert [
            {"details": {"to": alias}, "via": [alias]},
            {"n": 2, "ref": f"x{number[1:]}"},  # the number only inside another value
        ] == orphans
        assert orphans == kept
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

    # commit: one change, whole or nothing ---------------------------------------------------

    def inject_commit_failure(self, store: StorageBase, campaign: Campaign) -> Change | None:
        """A change that ``store`` accepts when it checks it, but that fails while it is
        written (any exception), for the tests of atomicity under failures; ``None`` (the
        default) skips them.

        Return, for example, a change holding an item that only fails at write time (a value
        your database refuses, a constraint it checks on insert), or arrange for ``store`` to
        fail on an item (a trigger, a wrapped method) and return a change that writes it.
        ``campaign`` is stored and SENDING. The suite merges your change after a change that
        holds every kind of item, and checks that nothing of either is visible afterwards.
        """
        return None

    def test_commit_writes_a_whole_change(self, store: StorageBase, campaign: Campaign) -> None:
        """One change of every kind of item is written whole, and ``Committed`` says what was
        written: new versions, new items, and only the replies, opt-outs and blocks that were
        not stored already."""
        world = _World.stored(store, campaign)
        change = world.everything()
        committed = store.commit(change)

        a, b = world.campaign, world.other
        assert [a.id, world.fresh.id, b.id] == [c.id for c in committed.campaigns]
        assert (a.version + 1, 0, b.version + 1) == tuple(c.version for c in committed.campaigns)
        assert committed.campaigns == tuple(store.get_campaign(c.id) for c in committed.campaigns)
        assert CampaignStatus.SUSPENDED is store.get_campaign(a.id).status
        assert (store.get_campaign(b.id),) == committed.completed
        assert CampaignStatus.COMPLETED is committed.completed[0].status
        assert [m.version + 1 for m in change.messages] == [
            m.version for m in committed.messages[: len(change.messages)]
        ]
        assert change.new_messages == committed.messages[len(change.messages) :]
        assert list(committed.messages) == [store.get_message(m.id) for m in committed.messages]
        assert committed.message(world.delivered.id) == store.get_message(world.delivered.id)
        assert (world.new_reply,) == committed.replies
        assert (world.new_unsubscribe,) == committed.unsubscribes
        assert (world.new_block,) == committed.blocks

        assert [TimelineKind.CREATED] == [e.kind for e in store.timeline(world.fresh.id)]
        assert TimelineKind.SUSPENDED is store.timeline(a.id)[-1].kind
        completed_event = store.timeline(b.id)[-1]
        assert (TimelineKind.COMPLETED, T0 + timedelta(hours=2)) == (
            completed_event.kind,
            completed_event.at,
        )
        assert [world.old_reply, world.new_reply] == store.replies(a.id)
        assert [world.new_unsubscribe] == store.unsubscribes(a.id)
        assert frozenset(world.numbers) == store.blocked([*world.numbers, "+33700000099"])
        assert [
            ("late-2", {"status": "DELIVRD", "n": 3}),
            ("late-3", {"status": "UNDELIV", "n": 4}),
        ] == [(o.provider_message_id, dict(o.report)) for o in store.orphans(world.provider_ids)]
        assert attrs.evolve(world.evidence, delivered=2, hard_bounces=1) == store.evidence(a.id)
        assert Evidence(campaign_id=b.id, soft_bounces=1) == store.evidence(b.id)
        for message in change.new_messages:
            assert message == store.get_message(message.id)
        imported = store.find_message_by_provider_id("imported-1")
        assert imported is not None
        assert world.imported.id == imported.id
        assert _counted(store, a, list(store.iter_messages(a.id))) == store.campaign_counts(a.id)

    @pytest.mark.parametrize(
        ("last", "error"),
        [
            ("stale campaign", ConflictError),
            ("stale message", ConflictError),
            ("unknown message", NotFoundError),
            ("moved message", ValidationError),
            ("campaign id again", DuplicateError),
            ("message id again", DuplicateError),
            ("recipient again", DuplicateError),
            ("message of an unknown campaign", NotFoundError),
            ("provider id of another message", DuplicateError),
            ("event of an unknown campaign", NotFoundError),
            ("reply to an unknown campaign", NotFoundError),
            ("opt-out of an unknown campaign", NotFoundError),
            ("evidence of an unknown campaign", NotFoundError),
            ("completion of an unknown campaign", NotFoundError),
        ],
    )
    def test_commit_writes_nothing_when_its_last_item_is_refused(
        self, store: StorageBase, campaign: Campaign, last: str, error: type[Exception]
    ) -> None:
        """A change whose last item is a conflict, a duplicate or names an unknown campaign
        raises the contract's error and writes nothing of the items before it."""
        world = _World.stored(store, campaign)
        change = world.everything()
        before = world.snapshot()
        with pytest.raises(error):
            store.commit(world.with_last(change, last))
        assert before == world.snapshot()
        store.commit(change)  # the same change without that item is written
        assert CampaignStatus.COMPLETED is store.get_campaign(world.other.id).status

    def test_commit_is_atomic_under_injected_failures(
        self, store: StorageBase, campaign: Campaign
    ) -> None:
        """A commit that fails while it writes (``inject_commit_failure``: a full disk, a value
        the database refuses, a killed writer) leaves nothing of its change visible, and the
        store keeps working."""
        world = _World.stored(store, campaign)
        poison = self.inject_commit_failure(store, world.campaign)
        if poison is None:
            pytest.skip("inject_commit_failure() gives no failing change for this store")
        change = world.everything()
        before = world.snapshot()
        with pytest.raises(Exception):  # noqa: B017, PT011 - a failure of any kind
            store.commit(change.merge(poison))
        assert before == world.snapshot()
        store.commit(change)
        assert CampaignStatus.COMPLETED is store.get_campaign(world.other.id).status

    def test_commit_refuses_what_it_cannot_keep(
        self, store: StorageBase, campaign: Campaign
    ) -> None:
        """Something else than a ``Change``, or an orphan report that is not a mapping, is a
        ``ValidationError``, and nothing of the change is written."""
        world = _World.stored(store, campaign)
        before = world.snapshot()
        with pytest.raises(ValidationError):
            store.commit(world.everything().merge)  # type: ignore[arg-type]
        not_a_mapping = Orphan(provider_message_id="p-x", report=["DELIVRD"], received_at=T0)  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            store.commit(attrs.evolve(world.everything(), orphans=[not_a_mapping]))
        assert before == world.snapshot()

    def test_commit_of_nothing(self, store: StorageBase, campaign: Campaign) -> None:
        """An empty change writes nothing and returns an empty ``Committed``."""
        world = _World.stored(store, campaign)
        before = world.snapshot()
        assert Committed() == store.commit(Change())
        assert before == world.snapshot()

    def test_commit_skips_inbound_already_stored(
        self, store: StorageBase, campaign: Campaign
    ) -> None:
        """Replies, opt-outs and blocks already stored (or twice in one change) are skipped,
        not errors, and not reported: a repeated webhook writes nothing."""
        reply = Reply(id="r1", recipient="+33600000001", at=T0, text="Oui", campaign_id=campaign.id)
        stop = Unsubscribe(
            id="u1", recipient="+33600000001", at=T0, keyword="STOP", campaign_id=campaign.id
        )
        block = Block(recipient="+33600000001", reason="unsubscribed", at=T0)
        again = Block(recipient="+33600000001", reason="hard_bounce", at=T0 + timedelta(hours=1))
        inbound = Change(replies=[reply, reply], unsubscribes=[stop, stop], blocks=[block, again])
        committed = store.commit(inbound)
        assert ((reply,), (stop,), (block,)) == (
            committed.replies,
            committed.unsubscribes,
            committed.blocks,
        )
        assert Committed() == store.commit(inbound)
        assert [reply] == store.replies(campaign.id)
        assert [stop] == store.unsubscribes(campaign.id)
        assert not store.block(block.recipient, reason="again", at=T0)
        assert [] == list(store.iter_messages(campaign.id))

    def test_taken_orphans_remove_exactly_those_reports(self, store: StorageBase) -> None:
        """``orphans`` reads without removing, oldest first across ids; ``taken_orphans``
        removes every report of exactly those provider ids, before the change's own orphans
        are kept."""
        kept = [
            Orphan(provider_message_id=pid, report={"n": n}, received_at=T0 + timedelta(hours=n))
            for n, pid in enumerate(["p-1", "p-2", "p-1", "p-3", "p-2"])
        ]
        store.commit(Change(orphans=kept))
        assert kept == store.orphans(["p-3", "p-2", "p-1", "p-9"])
        assert kept == store.orphans(["p-1", "p-2", "p-3"])  # still there
        assert [kept[1], kept[4]] == store.orphans(["p-2"])
        fresh = Orphan(provider_message_id="p-3", report={"n": 9}, received_at=T0)
        store.commit(Change(taken_orphans=["p-1", "p-3", "p-9"], orphans=[fresh]))
        assert [kept[1], kept[4], fresh] == store.orphans(["p-1", "p-2", "p-3"])
        assert [{"n": 1}, {"n": 4}] == store.take_orphans("p-2")
        assert [fresh] == store.orphans(["p-1", "p-2", "p-3"])

    def test_evidence_adds_and_restarts(self, store: StorageBase, campaign: Campaign) -> None:
        """A campaign's evidence starts at zero; a change adds its deltas, in order, and a
        restart sets it; an unknown campaign is refused. ``Committed.evidence`` gives each
        campaign's evidence as stored after the change (what another writer added before it
        included: the engine suspends from it)."""
        other, _ = sample_campaign("other")
        store.add_campaign(other)
        assert Evidence(campaign_id=campaign.id) == store.evidence(campaign.id)
        before = store.commit(Change(evidence=[Evidence(campaign_id=other.id, delivered=4)]))
        assert [Evidence(campaign_id=other.id, delivered=4)] == list(before.evidence)
        committed = store.commit(
            Change(
                evidence=[
                    Evidence(campaign_id=campaign.id, delivered=3, soft_bounces=1),
                    Evidence(campaign_id=campaign.id, hard_bounces=2, unsubscribes=1),
                    Evidence(campaign_id=other.id, delivered=3),
                ]
            )
        )
        added = Evidence(
            campaign_id=campaign.id, delivered=3, soft_bounces=1, hard_bounces=2, unsubscribes=1
        )
        assert added == store.evidence(campaign.id)
        assert {campaign.id: added, other.id: Evidence(campaign_id=other.id, delivered=7)} == {
            e.campaign_id: e for e in committed.evidence
        }
        assert 2 == len(committed.evidence)
        committed = store.commit(
            Change(
                evidence=[
                    Evidence(campaign_id=campaign.id, delivered=5),
                    Evidence(campaign_id=campaign.id, soft_bounces=2, restart=True),
                    Evidence(campaign_id=campaign.id, delivered=1),
                ]
            )
        )
        restarted = Evidence(campaign_id=campaign.id, delivered=1, soft_bounces=2)
        assert restarted == store.evidence(campaign.id)
        assert [restarted] == list(committed.evidence)
        committed = store.commit(Change(evidence=[Evidence(campaign_id=campaign.id, restart=True)]))
        assert Evidence(campaign_id=campaign.id) == store.evidence(campaign.id)
        assert [Evidence(campaign_id=campaign.id)] == list(committed.evidence)
        assert Evidence(campaign_id=other.id, delivered=7) == store.evidence(other.id)
        assert () == store.commit(Change(events=[])).evidence
        with pytest.raises(NotFoundError):
            store.evidence("nope")
        with pytest.raises(NotFoundError):
            store.commit(Change(evidence=[Evidence(campaign_id="nope", delivered=1)]))

    @pytest.mark.parametrize(
        "case",
        ["queued left", "processing left", "draft", "suspended", "completed already"],
    )
    def test_completion_never_completes_too_early(
        self, store: StorageBase, campaign: Campaign, case: str
    ) -> None:
        """A completion completes nothing while a message is queued or processing, nor a
        campaign that is not SENDING; the rest of its change is written."""
        messages = sample_messages(campaign, 3)
        store.add_messages(messages)
        if case != "draft":
            started = campaign.start(at=T0)
            campaign = store.update_campaign(started.campaign, events=[started.event])
        sent = store.update_messages([m.submit(at=T0, provider_message_id=m.id) for m in messages])
        final = [m.deliver(at=T0) for m in sent]
        if case == "queued left":
            final[2] = sent[2].requeue(BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE)
        elif case == "processing left":
            final = final[:2]
        elif case == "suspended":
            suspended = campaign.suspend(at=T0, reason="too many bounces")
            campaign = store.update_campaign(suspended.campaign, events=[suspended.event])
        elif case == "completed already":
            store.commit(
                Change(messages=final, completions=[Completion(campaign_id=campaign.id, at=T0)])
            )
            campaign = store.get_campaign(campaign.id)
            final = []
        history = store.timeline(campaign.id)
        committed = store.commit(
            Change(messages=final, completions=[Completion(campaign_id=campaign.id, at=T0)])
        )
        assert () == committed.completed
        assert campaign == store.get_campaign(campaign.id)
        assert history == store.timeline(campaign.id)
        assert [m.version + 1 for m in final] == [store.get_message(m.id).version for m in final]

    def test_completion_when_nothing_is_left_to_send(
        self, store: StorageBase, campaign: Campaign
    ) -> None:
        """The change that writes the last final outcome of a SENDING campaign completes it,
        in the same commit, once however often asked; a campaign without messages too."""
        empty, _ = sample_campaign("empty")
        store.add_campaign(empty.start(at=T0).campaign)
        messages = sample_messages(campaign, 2)
        store.add_messages(messages)
        started = campaign.start(at=T0)
        campaign = store.update_campaign(started.campaign, events=[started.event])
        sent = store.update_messages([m.submit(at=T0, provider_message_id=m.id) for m in messages])
        store.update_message(sent[0].hard_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=T0))
        at = T0 + timedelta(minutes=5)
        completions = [
            Completion(campaign_id=c, at=at) for c in (campaign.id, empty.id, campaign.id)
        ]
        committed = store.commit(Change(messages=[sent[1].deliver(at=at)], completions=completions))
        stored = store.get_campaign(campaign.id)
        assert (stored, store.get_campaign(empty.id)) == committed.completed
        assert stored in committed.campaigns
        assert (CampaignStatus.COMPLETED, campaign.version + 1) == (stored.status, stored.version)
        assert campaign.complete(at=at).event == store.timeline(campaign.id)[-1]
        assert [TimelineKind.CREATED, TimelineKind.STARTED, TimelineKind.COMPLETED] == [
            e.kind for e in store.timeline(campaign.id)
        ]
        assert () == store.commit(Change(completions=completions)).completed

    # due messages, zones, recent messages to a number --------------------------------------

    def test_zone_and_due_at_round_trip(self, store: StorageBase, campaign: Campaign) -> None:
        """A message's zone and due time are stored and read back, through every read; leaving
        QUEUED clears the due time and keeps the zone."""
        first, second, third = sample_messages(campaign, 3)
        first = first.wait_until(T0 + timedelta(hours=1), zone="America/New_York")
        second = second.wait_until(None, zone="Europe/Paris")
        store.add_messages([first, second])
        store.commit(Change(new_messages=[third.wait_until(T0)]))
        assert [first, second] == [store.get_message(m.id) for m in (first, second)]
        later = store.update_message(
            first.wait_until(T0 + timedelta(hours=9, microseconds=1), zone="Asia/Tokyo")
        )
        assert later == store.get_message(first.id)
        assert ("Asia/Tokyo", T0 + timedelta(hours=9, microseconds=1)) == (later.zone, later.due_at)
        sent = store.update_message(later.submit(at=T0, provider_message_id="z-1"))
        assert (None, "Asia/Tokyo") == (sent.due_at, sent.zone)
        assert {"z-1": sent} == store.find_messages_by_provider_ids(["z-1"])
        assert sorted([sent, second, store.get_message(third.id)], key=lambda m: m.id) == sorted(
            store.iter_messages(campaign.id), key=lambda m: m.id
        )

    def test_iter_due(self, store: StorageBase, campaign: Campaign) -> None:
        """Queued messages due at or before ``now``, of SENDING campaigns only, each once
        whatever the batch size; none that is processing, waits for a zone, or is due later."""
        other, _ = sample_campaign("other")
        store.add_campaign(other)  # a draft: its messages are never due
        messages = sample_messages(campaign, 8)
        due_at = [T0, T0, T0 + timedelta(minutes=1), T0 - timedelta(days=1), None, T0, T0, T0]
        planned = [m.wait_until(at) for m, at in zip(messages, due_at, strict=True)]
        planned[7] = planned[7].wait_until(T0 + timedelta(minutes=1, microseconds=1))
        store.add_messages(planned)
        store.add_messages([m.wait_until(T0) for m in sample_messages(other, 2, start=20)])
        store.update_message(planned[6].submit(at=T0, provider_message_id="sent"))
        assert [] == list(store.iter_due(T0 + timedelta(days=9)))  # not sending yet
        started = campaign.start(at=T0)
        store.update_campaign(started.campaign, events=[started.event])
        expected = {planned[i].id for i in (0, 1, 3, 5)}
        for batch_size in (1, 2, 3, 1000):
            due = [m.id for m in store.iter_due(T0, batch_size=batch_size)]
            assert sorted(expected) == sorted(due)
        later = {m.id for m in store.iter_due(T0 + timedelta(minutes=1))}
        assert expected | {planned[2].id} == later
        assert [store.get_message(planned[0].id)] == [
            m for m in store.iter_due(T0) if m.id == planned[0].id
        ]
        with pytest.raises(ValidationError):
            store.iter_due(T0, batch_size=0)

    def test_claim_due(self, store: StorageBase, campaign: Campaign) -> None:
        """``claim_due`` takes at most ``limit`` due messages, each due only at ``until``
        afterwards (a lease), stored at a new version; a second claim takes the others, and a
        lease that ran out makes a message due again."""
        started = campaign.start(at=T0)
        store.update_campaign(started.campaign, events=[started.event])
        planned = [m.wait_until(T0) for m in sample_messages(campaign, 5)]
        store.add_messages(planned)
        lease = T0 + timedelta(minutes=5)
        first = store.claim_due(T0, until=lease, limit=3)
        assert 3 == len(first)
        assert all(m.due_at == lease and m.version == 1 for m in first)
        assert first == [store.get_message(m.id) for m in first]
        second = store.claim_due(T0, until=lease, limit=3)
        assert 2 == len(second)
        assert not {m.id for m in first} & {m.id for m in second}
        assert [] == store.claim_due(T0 + timedelta(minutes=4), until=lease, limit=3)
        again = store.claim_due(lease, until=lease + timedelta(minutes=5), limit=10)
        assert sorted(m.id for m in planned) == sorted(m.id for m in again)
        with pytest.raises(ValidationError):
            store.claim_due(T0, until=T0, limit=1)
        with pytest.raises(ValidationError):
            store.claim_due(T0, until=lease, limit=0)

    def test_a_due_scan_overtaken_by_a_claim(self, store: StorageBase, campaign: Campaign) -> None:
        """A scan of due messages (``iter_due``) that another worker's claim overtakes yields a
        message as due, as it read it, or not at all: never as claimed since (due later), which
        a claim of the scan's messages (``claim_due``) would then take a second time."""
        started = campaign.start(at=T0)
        store.update_campaign(started.campaign, events=[started.event])
        store.add_messages([m.wait_until(T0) for m in sample_messages(campaign, 3)])
        lease = T0 + timedelta(minutes=5)
        scan = store.iter_due(T0, batch_size=1)
        first = next(scan)
        assert 3 == len(store.claim_due(T0, until=lease, limit=3))
        rest = list(scan)
        assert all(m.due_at is not None and m.due_at <= T0 for m in (first, *rest))
        for message in rest:  # read before the claim, at most: claiming it again is refused
            with pytest.raises(ConflictError):
                store.update_message(message.wait_until(lease))

    def test_a_stale_scan_overtaken_by_a_report(
        self, store: StorageBase, campaign: Campaign
    ) -> None:
        """A scan of stale messages (``iter_stale``) overtaken by their reports yields a message
        still processing, as it read it, or not at all: never as delivered since."""
        started = campaign.start(at=T0)
        store.update_campaign(started.campaign, events=[started.event])
        sent = [
            m.submit(at=T0, provider_message_id=f"stale-{m.id}")
            for m in sample_messages(campaign, 3)
        ]
        store.add_messages(sent)
        scan = store.iter_stale(submitted_before=T0 + timedelta(hours=1), batch_size=1)
        first = next(scan)
        for message in sent:
            store.update_message(
                store.get_message(message.id).deliver(at=T0 + timedelta(minutes=1))
            )
        rest = list(scan)
        assert all(m.status is MessageStatus.PROCESSING for m in (first, *rest))

    def test_claim_due_across_threads(self, store: StorageBase, campaign: Campaign) -> None:
        """Workers claiming at once never claim one message twice, and leave none unclaimed."""
        started = campaign.start(at=T0)
        store.update_campaign(started.campaign, events=[started.event])
        planned = [m.wait_until(T0) for m in sample_messages(campaign, 40)]
        store.add_messages(planned)
        lease = T0 + timedelta(minutes=5)
        taken: list[list[str]] = [[] for _ in range(4)]
        errors: list[BaseException] = []

        def work(index: int) -> None:
            try:
                while True:
                    claimed = store.claim_due(T0, until=lease, limit=3)
                    if not claimed and not any(True for _ in store.iter_due(T0)):
                        return
                    taken[index].extend(m.id for m in claimed)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [] == errors
        every = [message_id for ids in taken for message_id in ids]
        assert sorted(m.id for m in planned) == sorted(every)

    def test_messages_to_before(self, store: StorageBase, campaign: Campaign) -> None:
        """``messages_to`` and ``latest_message_to`` keep the messages whose last attempt was
        submitted in ``[since, before]``, oldest last attempt first."""
        other, _ = sample_campaign("other")
        store.add_campaign(other)
        (first,) = sample_messages(campaign, 1)
        second = attrs.evolve(first, id="o-1", campaign_id=other.id)
        store.add_messages([first, second])
        one = T0 + timedelta(hours=1)
        a = store.update_message(first.submit(at=T0, provider_message_id="a"))
        b = store.update_message(second.submit(at=one, provider_message_id="b"))
        number = first.recipient
        assert [a, b] == store.messages_to(number, since=T0)
        assert [a, b] == store.messages_to(number, since=T0, before=one)
        assert [a] == store.messages_to(number, since=T0, before=one - timedelta(microseconds=1))
        assert [b] == store.messages_to(number, since=one, before=one)
        assert [] == store.messages_to(
            number, since=T0 - timedelta(hours=1), before=T0 - timedelta(seconds=1)
        )
        assert a == store.latest_message_to(number, since=T0, before=T0 + timedelta(minutes=59))
        assert b == store.latest_message_to(number, since=T0, before=one)
        assert store.latest_message_to(number, since=T0, before=T0 - timedelta(seconds=1)) is None
        assert [] == store.messages_to("+33700000000", since=T0)


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


_LATER = T0 + timedelta(hours=1)


class _World:
    """A store holding some of everything, a change that writes every kind of item, and what
    can be read of the store (to compare before and after a commit that must write nothing)."""

    def __init__(self, store: StorageBase, campaign: Campaign) -> None:
        self.store = store
        started = campaign.start(at=T0)
        self.campaign = store.update_campaign(started.campaign, events=[started.event])
        other, created = sample_campaign("other", lists=("vip",))
        store.add_campaign(other, events=[created])
        other_started = other.start(at=T0)
        self.other = store.update_campaign(other_started.campaign, events=[other_started.event])
        first, second, queued, spare = sample_messages(self.campaign, 4)
        store.add_messages([first, second, queued.wait_until(T0, zone="Europe/Paris"), spare])
        self.sent = store.update_messages(
            [m.submit(at=T0, provider_message_id=f"p-{m.id}") for m in (first, second)]
        )
        self.spare = store.update_message(spare.wait_until(_LATER))
        (pending,) = sample_messages(self.other, 1, start=50)
        store.add_messages([pending])
        self.pending = store.update_message(pending.submit(at=T0, provider_message_id="p-other"))
        store.commit(
            Change(
                orphans=[
                    Orphan(
                        provider_message_id=pid, report={"status": status, "n": n}, received_at=T0
                    )
                    for n, (pid, status) in enumerate(
                        [("late-1", "DELIVRD"), ("late-1", "DELIVRD"), ("late-2", "DELIVRD")], 1
                    )
                ],
                evidence=[
                    Evidence(campaign_id=self.campaign.id, delivered=1),
                    Evidence(campaign_id=self.other.id, delivered=5),
                ],
            )
        )
        self.evidence = store.evidence(self.campaign.id)
        self.old_reply = Reply(
            id="r-old", recipient=spare.recipient, at=T0, text="Hi", campaign_id=self.campaign.id
        )
        store.record_reply(self.old_reply)
        self.old_block = Block(recipient="+33700000001", reason="unsubscribed", at=T0)
        store.block(self.old_block.recipient, reason=self.old_block.reason, at=T0)
        # What the change writes.
        self.fresh, self.fresh_event = sample_campaign("fresh", lists=("winback",))
        self.delivered = self.sent[0].deliver(at=_LATER)
        self.bounced = self.sent[1].hard_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=_LATER)
        self.imported = Message.for_campaign(
            self.campaign,
            id="imported",
            recipient="+33799000001",
            list_ids=("vip",),
            queued_at=T0,
        ).submit(at=T0, provider_message_id="imported-1")
        self.new_reply = Reply(
            id="r-new",
            recipient=first.recipient,
            at=_LATER,
            text="Merci",
            campaign_id=self.campaign.id,
        )
        self.new_unsubscribe = Unsubscribe(
            id="u-new",
            recipient=first.recipient,
            at=_LATER,
            keyword="STOP",
            campaign_id=self.campaign.id,
        )
        self.new_block = Block(recipient=second.recipient, reason="hard_bounce", at=_LATER)
        self.numbers = [self.old_block.recipient, second.recipient]
        self.provider_ids = [
            "late-1",
            "late-2",
            "late-3",
            *(f"p-{m.id}" for m in (first, second)),
            "p-other",
            "imported-1",
            "p-extra",
        ]

    @classmethod
    def stored(cls, store: StorageBase, campaign: Campaign) -> _World:
        """The world, stored in ``store`` (which holds ``campaign``, a draft)."""
        return cls(store, campaign)

    def everything(self) -> Change:
        """A change with every kind of item: new and updated campaigns and messages, history,
        inbound items new and repeated, blocks new and repeated, orphans kept and taken,
        evidence added and restarted, a completion that completes and one that does not."""
        suspended = self.campaign.suspend(at=_LATER, reason="too many hard bounces")
        fresh_messages = [
            m.wait_until(T0 + timedelta(days=1), zone="Europe/Paris")
            for m in sample_messages(self.fresh, 2, start=70)
        ]
        finished = self.pending.soft_bounce(BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE, at=_LATER)
        return Change(
            campaigns=[suspended.campaign],
            new_campaigns=[self.fresh],
            messages=[self.delivered, self.bounced, finished],
            new_messages=[*fresh_messages, self.imported],
            events=[self.fresh_event, suspended.event],
            replies=[self.old_reply, self.new_reply],
            unsubscribes=[self.new_unsubscribe],
            blocks=[self.new_block, attrs.evolve(self.old_block, reason="hard_bounce")],
            orphans=[
                Orphan(
                    provider_message_id="late-3",
                    report={"status": "UNDELIV", "n": 4},
                    received_at=_LATER,
                )
            ],
            taken_orphans=["late-1"],
            evidence=[
                Evidence(campaign_id=self.campaign.id, delivered=1, hard_bounces=1),
                Evidence(campaign_id=self.other.id, soft_bounces=1, restart=True),
            ],
            completions=[
                Completion(campaign_id=self.other.id, at=T0 + timedelta(hours=2)),
                Completion(campaign_id=self.campaign.id, at=T0 + timedelta(hours=2)),
            ],
        )

    def with_last(self, change: Change, last: str) -> Change:
        """``change`` with one more item, last of its kind, that the store must refuse."""
        lost = Message(
            id="lost", campaign_id="nope", recipient="+33799000002", list_ids=(), queued_at=T0
        )
        newcomer = Message.for_campaign(
            self.campaign, id="newcomer", recipient="+33799000003", list_ids=(), queued_at=T0
        )
        refused: dict[str, dict[str, Any]] = {
            "stale campaign": {"campaigns": [attrs.evolve(self.other, name="Renamed", version=0)]},
            "stale message": {"messages": [attrs.evolve(self.spare.cancel(at=_LATER), version=0)]},
            "unknown message": {"messages": [newcomer]},
            "moved message": {"messages": [attrs.evolve(self.spare, recipient="+33799000004")]},
            "campaign id again": {"new_campaigns": [sample_campaign("other")[0]]},
            "message id again": {
                "new_messages": [attrs.evolve(self.spare, recipient="+33799000005", version=0)]
            },
            "recipient again": {
                "new_messages": [attrs.evolve(newcomer, recipient=self.spare.recipient)]
            },
            "message of an unknown campaign": {"new_messages": [lost]},
            "provider id of another message": {
                "new_messages": [newcomer.submit(at=T0, provider_message_id=f"p-{self.sent[0].id}")]
            },
            "event of an unknown campaign": {
                "events": [TimelineEvent(campaign_id="nope", at=T0, kind=TimelineKind.STARTED)]
            },
            "reply to an unknown campaign": {
                "replies": [
                    Reply(
                        id="r-lost", recipient="+33600000001", at=T0, text="?", campaign_id="nope"
                    )
                ]
            },
            "opt-out of an unknown campaign": {
                "unsubscribes": [
                    Unsubscribe(id="u-lost", recipient="+33600000001", at=T0, campaign_id="nope")
                ]
            },
            "evidence of an unknown campaign": {
                "evidence": [Evidence(campaign_id="nope", delivered=1)]
            },
            "completion of an unknown campaign": {
                "completions": [Completion(campaign_id="nope", at=T0)]
            },
        }
        ((field, items),) = refused[last].items()
        return attrs.evolve(change, **{field: (*getattr(change, field), *items)})

    def snapshot(self) -> tuple[Any, ...]:
        """Everything the contract's reads show of the world."""
        store = self.store
        campaigns = store.list_campaigns()
        messages = [sorted(store.iter_messages(c.id), key=lambda m: m.id) for c in campaigns]
        numbers = [m.recipient for group in messages for m in group] + self.numbers
        return (
            campaigns,
            messages,
            [store.timeline(c.id) for c in campaigns],
            [(store.replies(c.id), store.unsubscribes(c.id)) for c in campaigns],
            [(store.evidence(c.id), store.campaign_counts(c.id)) for c in campaigns],
            store.blocked([*numbers, "+33799000001", "+33799000003"]),
            store.orphans(self.provider_ids),
            store.find_messages_by_provider_ids(self.provider_ids),
            sorted(m.id for m in store.iter_due(T0 + timedelta(days=9))),
        )
