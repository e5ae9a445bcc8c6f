"""The blocking driver: runs operations (``_steps``) on psycopg connections from a pool.

For each ``Work`` it borrows a connection, begins the transaction its kind asks for, feeds the
operation the results of its statements, and commits; on any failure it rolls back. A
serialization failure, a deadlock or a lock timeout runs the whole work again (after a short,
growing pause), ``busy_retries`` times at most, then raises ``StorageBusyError``: nothing was
written. A read whose connection was lost runs again on another connection. Every other
database error leaves as a ``StorageError`` (``_session.verdict``).

A driver belongs to the process that made it: its pool's connections and threads do not survive
a ``fork``. Used from another process it refuses with ``StorageError`` (open a store per
process).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import pq
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from sms_campaign_stats.errors import StorageError
from sms_campaign_stats.storage.postgres._session import (
    BEGIN,
    CONFIGURE,
    Options,
    busy,
    configure_params,
    pause,
    unreachable,
    verdict,
)
from sms_campaign_stats.storage.postgres._steps import (
    CopyIn,
    Execute,
    ExecuteMany,
    Fetch,
    Op,
    Step,
    Work,
)

__all__ = ["Driver"]

T = TypeVar("T")
_Connection = psycopg.Connection[Any]


class _Progress:
    """How far an attempt went: what a failure may have left written."""

    began = False
    committing = False


class Driver:
    """Runs ``Work`` on a pool of connections (see the module doc)."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.pid = os.getpid()
        self.closed = False
        self._pool: ConnectionPool[_Connection] | None = None

    def configure(self, connection: _Connection) -> None:
        """Set up a new connection (schema, time zone, timeouts)."""
        connection.execute(CONFIGURE, configure_params(self.options, connection))

    def open(self, work: Work[T]) -> T:
        """Run ``work`` (the schema's check) on a connection of its own, whose failure to
        connect says why in one line, then start the pool; its result."""
        try:
            connection = psycopg.connect(self.options.conninfo, **self.options.connect)
        except psycopg.Error as error:
            raise unreachable(self.options.name, error) from None
        try:
            self.configure(connection)
            result = self._run(work, lambda: _lent(connection))
        finally:
            connection.close()
        self._pool = ConnectionPool(
            self.options.conninfo,
            kwargs=dict(self.options.connect),
            min_size=self.options.min_size,
            max_size=self.options.max_size,
            configure=self.configure,
            open=False,
            name=f"sms_campaign_stats {self.options.schema}",
        )
        self._pool.open(wait=False)
        return result

    def check(self) -> None:
        """``StorageError`` if the store is closed, or used in another process than its own."""
        if self.closed:
            raise StorageError(f"{self.options.name}: this store is closed")
        if os.getpid() != self.pid:
            raise StorageError(
                f"{self.options.name}: this store was opened in process {self.pid} and cannot "
                "be used after a fork: open one store per process"
            )

    def run(self, work: Work[T]) -> T:
        """Run ``work`` on a connection of the pool, as the module doc says."""
        self.check()
        return self._run(work, self._borrow)

    @contextmanager
    def _borrow(self) -> Iterator[_Connection]:
        assert self._pool is not None
        try:
            with self._pool.connection() as connection:
                yield connection
        except PoolTimeout:
            raise StorageError(
                f"{self.options.name}: no connection within {self._pool.timeout:g} s (the "
                f"server is unreachable, or all {self.options.max_size} connections are busy)"
            ) from None
        except PoolClosed:
            raise StorageError(f"{self.options.name}: this store is closed") from None

    def _run(self, work: Work[T], borrow: Callable[[], Any]) -> T:
        attempts = 1 + self.options.busy_retries if work.replayable else 1
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            progress = _Progress()
            broken = False
            try:
                with borrow() as connection:
                    try:
                        return self._attempt(connection, work, progress)
                    finally:
                        broken = connection.broken
            except psycopg.Error as error:
                problem = verdict(
                    error,
                    work=work,
                    began=progress.began,
                    committing=progress.committing,
                    broken=broken,
                    name=self.options.name,
                )
                if problem is not None:
                    raise problem from error
                if attempt >= attempts:
                    raise busy(self.options.name, time.monotonic() - started) from error
            time.sleep(pause(attempt))

    def _attempt(self, connection: _Connection, work: Work[T], progress: _Progress) -> T:
        statement = BEGIN.get(work.kind)
        if statement is not None:
            connection.execute(statement)
        progress.began = True
        op = work.make()
        try:
            result = self._drive(connection, op)
            if statement is not None:
                progress.committing = True
                connection.execute("COMMIT")
            return result
        except BaseException:
            op.close()
            if not connection.broken and connection.info.transaction_status in (
                pq.TransactionStatus.INTRANS,
                pq.TransactionStatus.INERROR,
            ):
                connection.execute("ROLLBACK")
            raise

    def _drive(self, connection: _Connection, op: Op[T]) -> T:
        sent: Any = None
        failure: psycopg.IntegrityError | None = None
        while True:
            try:
                step = op.send(sent) if failure is None else op.throw(failure)
            except StopIteration as stop:
                result: T = stop.value
                return result
            failure = None
            if not step.guarded:
                sent = _execute(connection, step)
                continue
            connection.execute("SAVEPOINT step")
            try:
                sent = _execute(connection, step)
            except psycopg.IntegrityError as error:
                connection.execute("ROLLBACK TO SAVEPOINT step")
                failure = error
            else:
                connection.execute("RELEASE SAVEPOINT step")

    def close(self) -> None:
        """Close the pool (in the process that opened it: a forked child's copy of the pool
        shares the parent's sockets, and only forgets them)."""
        self.closed = True
        if self._pool is not None and os.getpid() == self.pid:
            self._pool.close()


@contextmanager
def _lent(connection: _Connection) -> Iterator[_Connection]:
    yield connection


def _execute(connection: _Connection, step: Step) -> Any:
    if isinstance(step, CopyIn):
        with connection.cursor() as cursor, cursor.copy(step.query) as copy:
            if step.types is not None:
                copy.set_types(step.types)
            for row in step.rows:
                copy.write_row(row)
        return None
    if isinstance(step, ExecuteMany):
        with connection.cursor(binary=True) as cursor:
            many = step.query  # an operation's SQL: constants of its module
            cursor.executemany(many, step.params, returning=step.returning)
            if not step.returning:
                return cursor.rowcount
            rows: list[Any] = []
            while step.params:  # a result per parameter set, each of at most one row
                rows.append(cursor.fetchone())
                if not cursor.nextset():
                    break
            return rows
    assert isinstance(step, Execute)
    with connection.cursor(binary=True) as cursor:
        statement = step.query  # an operation's SQL: constants of its module
        cursor.execute(statement, step.params)
        if step.fetch is Fetch.ALL:
            return cursor.fetchall()
        if step.fetch is Fetch.ONE:
            return cursor.fetchone()
        if step.fetch is Fetch.ROWCOUNT:
            return cursor.rowcount
        return None
