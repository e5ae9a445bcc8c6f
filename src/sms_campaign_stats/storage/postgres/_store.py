"""``PostgresStorage``: the store for many workers on many hosts, on PostgreSQL with psycopg 3.

* One schema of its own (``schema=``), created and versioned by the library (``store_meta``);
  a schema made by something else, or by a newer version, is refused with ``SchemaError``.
* ``commit(change)`` is one ``READ COMMITTED`` transaction: campaigns and messages are
  compare-and-set by version, so concurrent writers never lose an update; a serialization
  failure, a deadlock or a lock timeout runs the whole transaction again, ``busy_retries`` times
  at most, then ``StorageBusyError`` with nothing written.
* Every statement has a ``statement_timeout``, every lock wait a ``lock_timeout``.
* Reports are SQL aggregates over covering indexes, read in one ``REPEATABLE READ`` snapshot;
  scans page by keyset; bulk inserts stream through ``COPY``; ``claim_due`` is one statement
  with ``FOR UPDATE SKIP LOCKED``.
* One store per process: its pool does not survive a ``fork`` (a child that uses its parent's
  store gets ``StorageError``; open another one in the child).

Every operation is written once, in ``_operations`` and ``_writes`` (generators of statements);
this class runs them with the blocking driver, ``AsyncPostgresStorage`` with the asynchronous
one.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.model import Campaign, Message, Reply, TimelineEvent, Unsubscribe
from sms_campaign_stats.storage._base import StorageBase, log_evicted
from sms_campaign_stats.storage._change import (
    ORPHAN_MAX_AGE,
    ORPHAN_MAX_COUNT,
    Change,
    Committed,
    Evidence,
    Orphan,
)
from sms_campaign_stats.storage._counts import CampaignCounts
from sms_campaign_stats.storage._forgetting import blocklist_key, check_forgettable, pseudonym
from sms_campaign_stats.storage.postgres import _operations as ops
from sms_campaign_stats.storage.postgres._driver import Driver
from sms_campaign_stats.storage.postgres._messages import Seen
from sms_campaign_stats.storage.postgres._prefetch import ReadsAhead
from sms_campaign_stats.storage.postgres._schema import SCHEMA_VERSION, open_schema
from sms_campaign_stats.storage.postgres._session import check_options
from sms_campaign_stats.storage.postgres._steps import Kind, Work
from sms_campaign_stats.storage.postgres._writes import encode

__all__ = ["SCHEMA_VERSION", "PostgresStorage"]

K = TypeVar("K")
_DEFAULT_STATEMENT_TIMEOUT = timedelta(seconds=30)
_DEFAULT_LOCK_TIMEOUT = timedelta(seconds=5)


class PostgresStorage(StorageBase):
    """A store in one schema of a PostgreSQL database, shared by any number of workers.

    ``conninfo`` is a libpq connection string (``"host=db dbname=sms user=app"``) or a
    ``postgresql://`` URL. The store keeps a pool of ``min_size`` to ``max_size`` connections
    (``close()`` closes it); each runs with the schema as its ``search_path``, in UTC, with the
    timeouts given. Opening creates the schema if it has no table, or checks it (and migrates
    an older version), under an advisory lock: workers may open at once. ``create=False``
    writes nothing when opening: a schema that is missing, empty or older is a ``SchemaError``
    (reports, a read replica). ``read_ahead`` (with a ``max_size`` of 2 or more): while
    ``handle_many`` handles a batch, the next one is looked up on a second connection
    (``prefetch_messages_by_provider_ids``); ``False`` keeps each call to one connection at a
    time (a worker whose cores are all taken gains nothing from it; see docs/performance.md).
    """

    def __init__(
        self,
        conninfo: str,
        *,
        schema: str = "sms_campaign_stats",
        min_size: int = 1,
        max_size: int = 10,
        statement_timeout: timedelta = _DEFAULT_STATEMENT_TIMEOUT,
        lock_timeout: timedelta = _DEFAULT_LOCK_TIMEOUT,
        busy_retries: int = 5,
        orphan_max_age: timedelta = ORPHAN_MAX_AGE,
        orphan_max_count: int = ORPHAN_MAX_COUNT,
        create: bool = True,
        read_ahead: bool = True,
    ) -> None:
        self._options = check_options(
            "PostgresStorage",
            conninfo,
            schema=schema,
            min_size=min_size,
            max_size=max_size,
            statement_timeout=statement_timeout,
            lock_timeout=lock_timeout,
            busy_retries=busy_retries,
            orphan_max_age=orphan_max_age,
            orphan_max_count=orphan_max_count,
            read_ahead=read_ahead,
        )
        self.schema = schema
        self._create = bool(create)
        self._driver = Driver(self._options)
        # Committed list-set ids, shared by threads: list ids -> id.
        self._list_sets: dict[tuple[str, ...], int] = {}
        # The lists of each list set id read (a list set never changes).
        self._list_ids: dict[int, tuple[str, ...]] = {}
        # Where reads by provider id found messages: their compare-and-set skips the lock.
        self._seen = Seen()
        self._ahead = ReadsAhead(self._rows, self._decode)
        self._salt = self._driver.open(
            Work(
                Kind.WRITE,
                functools.partial(open_schema, schema, self._options.name, create=self._create),
            )
        )
        self._run = self._driver.run

    def __repr__(self) -> str:
        return f"PostgresStorage({self._options.name!r})"

    def _key(self, number: str) -> str:
        return blocklist_key(self._salt, number)

    # campaigns and history --------------------------------------------------------------------

    def get_campaign(self, campaign_id: str) -> Campaign:
        return self._run(ops.get_campaign(campaign_id))

    def list_campaigns(self) -> list[Campaign]:
        return self._run(ops.list_campaigns())

    def timeline(self, campaign_id: str) -> list[TimelineEvent]:
        return self._run(ops.timeline(campaign_id))

    def evidence(self, campaign_id: str) -> Evidence:
        return self._run(ops.evidence(campaign_id))

    # messages ---------------------------------------------------------------------------------

    def get_message(self, message_id: str) -> Message:
        return self._run(ops.get_message(message_id))

    def get_messages(self, message_ids: Iterable[str]) -> dict[str, Message]:
        return self._run(ops.get_messages(message_ids))

    def find_messages_by_provider_ids(
        self, provider_message_ids: Iterable[str]
    ) -> dict[str, Message]:
        return self._ahead.find(provider_message_ids)

    def prefetch_messages_by_provider_ids(self, provider_message_ids: Iterable[str]) -> None:
        """A hint: ``find_messages_by_provider_ids`` of these ids comes soon (``handle_many``
        gives the next batch's). They are looked up meanwhile, by a thread of the store's on a
        connection of its pool; the find takes that read, and reads again what this store
        wrote since (``_prefetch``). Results are the same with or without the hint."""
        self._driver.check()
        if self._options.read_ahead:
            self._ahead.start(provider_message_ids)

    def _rows(self, provider_message_ids: tuple[str, ...]) -> list[tuple[Any, ...]]:
        return self._run(ops.rows_by_provider_ids(provider_message_ids, self._list_ids))

    def _decode(self, rows: list[tuple[Any, ...]]) -> dict[str, Message]:
        return ops.messages_of_rows(rows, self._list_ids, self._seen)

    def find_message_by_provider_id(self, provider_message_id: str) -> Message | None:
        return self.find_messages_by_provider_ids([provider_message_id]).get(provider_message_id)

    def iter_messages(self, campaign_id: str, *, batch_size: int = 1000) -> Iterator[Message]:
        scan = ops.scan_messages(campaign_id, batch_size)
        first, after = self._run(scan.page(scan.start))  # an unknown campaign fails here
        return self._pages(scan, first, after)

    def iter_due(self, now: datetime, *, batch_size: int = 1000) -> Iterator[Message]:
        scan = ops.scan_due(now, batch_size)
        return self._pages(scan, [], scan.start)

    def iter_stale(
        self, *, submitted_before: datetime, batch_size: int = 1000
    ) -> Iterator[Message]:
        scan = ops.scan_stale(submitted_before, batch_size)
        return self._pages(scan, [], scan.start)

    def _pages(self, scan: ops.Scan[K], first: list[Message], after: K | None) -> Iterator[Message]:
        yield from first
        while after is not None:
            batch, after = self._run(scan.page(after))
            yield from batch

    def messages_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> list[Message]:
        return self._run(ops.messages_to(recipient, since, before))

    def latest_message_to(
        self, recipient: str, *, since: datetime, before: datetime | None = None
    ) -> Message | None:
        found = self._run(ops.messages_to(recipient, since, before, latest=True))
        return found[0] if found else None

    def claim_due(self, now: datetime, *, until: datetime, limit: int = 100) -> list[Message]:
        """Claim at most ``limit`` due messages for this worker alone, in one statement: the
        rows other workers are claiming at the same instant are skipped (``FOR UPDATE SKIP
        LOCKED``), so across workers and hosts each due message is claimed once per lease."""
        return self._run(ops.claim_due(now, until, limit))

    # replies, unsubscribes, blocklist, orphans ---------------------------------------------------

    def replies(self, campaign_id: str) -> list[Reply]:
        return self._run(ops.replies(campaign_id))

    def unsubscribes(self, campaign_id: str, *, recipient: str | None = None) -> list[Unsubscribe]:
        return self._run(ops.unsubscribes(campaign_id, recipient))

    def blocked(self, recipients: Iterable[str]) -> frozenset[str]:
        return self._run(ops.blocked(recipients, self._key))

    def orphans(self, provider_message_ids: Iterable[str]) -> list[Orphan]:
        return self._run(ops.orphans(provider_message_ids))

    def take_orphans(self, provider_message_id: str) -> list[Mapping[str, Any]]:
        return self._run(ops.take_orphans(provider_message_id))

    # writes -----------------------------------------------------------------------------------

    def commit(self, change: Change) -> Committed:
        if not isinstance(change, Change):
            raise ValidationError("commit", f"expected a Change, got {type(change).__name__}")
        if change.is_empty:
            self._driver.check()  # a closed store refuses even an empty change
            return Committed()
        encoded = encode(change, [self._key(block.recipient) for block in change.blocks])
        written = self._run(
            ops.commit(
                change,
                encoded,
                self._list_sets,
                self._seen,
                orphan_max_age=self._options.orphan_max_age,
                orphan_max_count=self._options.orphan_max_count,
            )
        )
        written.list_sets.committed()
        self._ahead.written(written.committed.messages)
        if written.evicted:
            log_evicted(
                written.evicted, self._options.orphan_max_age, self._options.orphan_max_count
            )
        return written.committed

    def add_messages(self, messages: Iterable[Message]) -> int:
        # Streamed into one transaction by COPY, chunk by chunk: an import of millions is never
        # held whole in memory.
        count, list_sets = self._run(ops.add_messages(messages, self._list_sets))
        list_sets.committed()
        return count

    def forget(self, recipient: str) -> int:
        recipient = check_forgettable(recipient)
        alias = pseudonym(self._salt, recipient)
        self._ahead.drop()
        return self._run(ops.forget(recipient, alias, self._key(recipient)))

    # aggregates -------------------------------------------------------------------------------

    def campaign_counts(self, campaign_id: str) -> CampaignCounts:
        return self._run(ops.campaign_counts(campaign_id))

    def close(self) -> None:
        """Close the pool (after the read ahead under way, if any); later use raises
        ``StorageError``."""
        self._ahead.close()
        self._driver.close()
