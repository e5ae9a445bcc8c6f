"""PostgreSQL, white-box: a compare-and-set writes the messages a read by provider id found at
the version it carries where the read found them (``Seen``), without locking and reading them
first; whatever changed since (another writer, a rewritten table) it writes exactly what the
lock would, or refuses as the lock would."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import psycopg
import pytest
from psycopg import sql

from sms_campaign_stats.errors import ConflictError, ValidationError
from sms_campaign_stats.lifecycle import BounceReason
from sms_campaign_stats.model import Message
from sms_campaign_stats.storage.postgres import PostgresStorage, _messages, _steps
from sms_campaign_stats.storage.postgres._messages import Seen
from sms_campaign_stats.testing import T0, TemporaryPostgres

from .sent import sent


@pytest.fixture
def locks(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The ids of each batch the compare-and-set locks and reads first."""
    seen: list[list[str]] = []
    original = _steps.fetch_all

    def fetch_all(query: str, params: Any = ()) -> Any:
        if query == _messages._LOCK_MESSAGES:
            seen.append(list(params[0]))
        return (yield from original(query, params))

    monkeypatch.setattr(_messages, "fetch_all", fetch_all)
    return seen


def read(store: PostgresStorage, messages: list[Message]) -> list[Message]:
    found = store.find_messages_by_provider_ids(f"p-{m.id}" for m in messages)
    return [found[f"p-{m.id}"] for m in messages]


def raw(server: TemporaryPostgres, schema: str, statement: str) -> None:
    with psycopg.connect(server.conninfo, autocommit=True) as connection:
        connection.execute(sql.SQL(statement).format(sql.Identifier(schema)))


def test_messages_read_by_provider_id_are_written_without_a_lock(
    stores: list[PostgresStorage], locks: list[list[str]]
) -> None:
    """Delivered (the narrow statement) and retried under a new provider id (every column, and
    the id registered): as given, with no lock; a message read otherwise is locked first."""
    ours, _other = stores
    messages = sent(ours, 3)
    first, second = read(ours, messages[:2])
    delivered = first.deliver(at=T0 + timedelta(minutes=1))
    retried = second.requeue(BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE).submit(
        at=T0 + timedelta(minutes=5), provider_message_id="p-again"
    )
    written = ours.update_messages([delivered, retried])
    assert [] == locks
    assert [attrs.evolve(m, version=m.version + 1) for m in (delivered, retried)] == written
    assert written == [ours.get_message(m.id) for m in (delivered, retried)]
    assert retried.id == ours.find_messages_by_provider_ids(["p-again"])["p-again"].id

    third = ours.get_message(messages[2].id)  # not read by provider id: locked and read first
    ours.update_message(third.deliver(at=T0 + timedelta(minutes=1)))
    assert [[third.id]] == locks


def test_a_message_another_writer_changed_since_the_read_is_a_conflict(
    stores: list[PostgresStorage], locks: list[list[str]]
) -> None:
    """Read by provider id, then written by another worker: the value read is refused as stale
    (its version and the stored one), and nothing of the batch is written."""
    ours, other = stores
    first, second = read(ours, sent(ours, 2))
    theirs = other.update_message(
        other.get_message(first.id).hard_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=T0)
    )
    locks.clear()  # the other writer's
    with pytest.raises(ConflictError) as refused:
        ours.update_messages([first.deliver(at=T0), second.deliver(at=T0)])
    assert (first.version, theirs.version) == (
        refused.value.expected_version,
        refused.value.stored_version,
    )
    assert [[first.id]] == locks  # the one the read's place no longer held
    assert [theirs, second] == [ours.get_message(m.id) for m in (first, second)]


def test_messages_moved_by_a_rewrite_are_written_by_id_and_version(
    postgres_server: TemporaryPostgres,
    schema: str,
    stores: list[PostgresStorage],
    locks: list[list[str]],
) -> None:
    """Another writer changes the second message, then ``VACUUM FULL`` moves the rows: the
    places read now hold other messages, one of them that second message at its new version.
    Its stale value is refused as a conflict, with nothing written; the others are written with
    their own values (by id), and the one no longer at any place read is locked first."""
    ours, other = stores
    first, changed, *rest = read(ours, sent(ours, 5))
    theirs = other.update_message(other.get_message(changed.id).deliver(at=T0))
    locks.clear()  # the other writer's
    raw(postgres_server, schema, "VACUUM FULL {}.messages")
    at = T0 + timedelta(minutes=2)
    with pytest.raises(ConflictError):
        ours.update_messages([m.deliver(at=at) for m in (first, changed, *rest)])
    assert [theirs, *rest] == [ours.get_message(m.id) for m in (changed, *rest)]

    # Read again (the places now), the first one moved by its writer: written by id.
    first, *rest = read(ours, [first, *rest])
    ours.update_message(other.get_message(first.id).deliver(at=at))
    raw(postgres_server, schema, "VACUUM FULL {}.messages")
    locks.clear()
    values = [m.deliver(at=at) for m in rest]
    written = ours.update_messages(values)
    assert [attrs.evolve(m, version=m.version + 1) for m in values] == written
    assert written == [ours.get_message(m.id) for m in rest]
    assert [[rest[0].id]] == locks  # now where the first was: at no place read


def test_a_value_read_by_provider_id_cannot_change_its_identity(
    stores: list[PostgresStorage],
) -> None:
    """A recipient changed on a value read by provider id is refused, as on any other."""
    ours, _other = stores
    (message,) = read(ours, sent(ours, 1))
    with pytest.raises(ValidationError, match="campaign and recipient cannot change"):
        ours.update_message(attrs.evolve(message, recipient="+33612345678"))
    assert message == ours.get_message(message.id)


def test_seen_keeps_at_most_its_limit() -> None:
    """Past its limit the rows kept are forgotten; a row is taken once, at its version only."""
    seen = Seen(limit=3)
    seen.add([("a", 1), ("b", 2)])
    seen.add([("c", 3), ("d", 4)])  # five would be past three: a and b are forgotten
    assert {"c", "d"} == set(seen._rows)
    seen.add([(str(n), n) for n in range(5)])  # more than the limit: the last three
    assert {"2", "3", "4"} == set(seen._rows)
