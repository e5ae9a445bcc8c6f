"""The asynchronous driver: runs operations (``_steps``) on psycopg's ``AsyncConnection`` from an
``AsyncConnectionPool``. It is the blocking driver (``_driver``) with ``await`` where that one
waits: same transactions, same retries, same errors (``_session``), same operations."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import pq
from psycopg_pool import AsyncConnectionPool, PoolClosed, PoolTimeout

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

__all__ = ["AsyncDriver"]

T = TypeVar("T")
_Connection = psycopg.AsyncConnection[Any]


class _Progress:
    began = False
    committing = False


class AsyncDriver:
    """Runs ``Work`` on a pool of asynchronous connections, opened by ``open``."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.pid = os.getpid()
        self.closed = False
        self._pool: AsyncConnectionPool[_Connection] | None = None

    @property
    def opened(self) -> bool:
        return self._pool is not None

    async def configure(self, connection: _Connection) -> None:
        """Set up a new connection (schema, time zone, timeouts)."""
        await connection.execute(CONFIGURE, configure_params(self.options, connection))

    async def open(self, work: Work[T]) -> T:
        """Run ``work`` (the schema's check) on a connection of its own, then start the pool."""
        self.check()
        try:
            connection = await psycopg.AsyncConnection.connect(
                self.options.conninfo, **self.options.connect
            )
        except psycopg.Error as error:
            raise unreachable(self.options.name, error) from None
        try:
            await self.configure(connection)
            result = await self._run(work, lambda: _lent(connection))
        finally:
            await connection.close()
        pool: AsyncConnectionPool[_Connection] = AsyncConnectionPool(
            self.options.conninfo,
            kwargs=dict(self.options.connect),
            min_size=self.options.min_size,
            max_size=self.options.max_size,
            configure=self.configure,
            open=False,
            name=f"sms_campaign_stats {self.options.schema}",
        )
        await pool.open(wait=False)
        self._pool = pool
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

    async def run(self, work: Work[T]) -> T:
        """Run ``work`` on a connection of the pool."""
        self.check()
        return await self._run(work, self._borrow)

    @asynccontextmanager
    async def _borrow(self) -> AsyncIterator[_Connection]:
        assert self._pool is not None
        try:
            async with self._pool.connection() as connection:
                yield connection
        except PoolTimeout:
            raise StorageError(
                f"{self.options.name}: no connection within {self._pool.timeout:g} s (the "
                f"server is unreachable, or all {self.options.max_size} connections are busy)"
            ) from None
        except PoolClosed:
            raise StorageError(f"{self.options.name}: this store is closed") from None

    async def _run(self, work: Work[T], borrow: Callable[[], Any]) -> T:
        attempts = 1 + self.options.busy_retries if work.replayable else 1
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            progress = _Progress()
            broken = False
            try:
                async with borrow() as connection:
                    try:
                        return await self._attempt(connection, work, progress)
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
            await asyncio.sleep(pause(attempt))

    async def _attempt(self, connection: _Connection, work: Work[T], progress: _Progress) -> T:
        statement = BEGIN.get(work.kind)
        if statement is not None:
            await connection.execute(statement)
        progress.began = True
        op = work.make()
        try:
            result = await self._drive(connection, op)
            if statement is not None:
                progress.committing = True
                await connection.execute("COMMIT")
            return result
        except BaseException:
            op.close()
            if not connection.broken and connection.info.transaction_status in (
                pq.TransactionStatus.INTRANS,
                pq.TransactionStatus.INERROR,
            ):
                await connection.execute("ROLLBACK")
            raise

    async def _drive(self, connection: _Connection, op: Op[T]) -> T:
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
                sent = await _execute(connection, step)
                continue
            await connection.execute("SAVEPOINT step")
            try:
                sent = await _execute(connection, step)
            except psycopg.IntegrityError as error:
                await connection.execute("ROLLBACK TO SAVEPOINT step")
                failure = error
            else:
                await connection.execute("RELEASE SAVEPOINT step")

    async def close(self) -> None:
        """Close the pool (in the process that opened it)."""
        self.closed = True
        if self._pool is not None and os.getpid() == self.pid:
            await self._pool.close()


@asynccontextmanager
async def _lent(connection: _Connection) -> AsyncIterator[_Connection]:
    yield connection


async def _execute(connection: _Connection, step: Step) -> Any:
    if isinstance(step, CopyIn):
        async with connection.cursor() as cursor, cursor.copy(step.query) as copy:
            if step.types is not None:
                copy.set_types(step.types)
            for row in step.rows:
                await copy.write_row(row)
        return None
    if isinstance(step, ExecuteMany):
        async with connection.cursor(binary=True) as cursor:
            many = step.query  # an operation's SQL: constants of its module
            await cursor.executemany(many, step.params, returning=step.returning)
            if not step.returning:
                return cursor.rowcount
            rows: list[Any] = []
            while step.params:  # a result per parameter set, each of at most one row
                rows.append(await cursor.fetchone())
                if not cursor.nextset():
                    break
            return rows
    assert isinstance(step, Execute)
    async with connection.cursor(binary=True) as cursor:
        statement = step.query  # an operation's SQL: constants of its module
        await cursor.execute(statement, step.params)
        if step.fetch is Fetch.ALL:
            return await cursor.fetchall()
        if step.fetch is Fetch.ONE:
            return await cursor.fetchone()
        if step.fetch is Fetch.ROWCOUNT:
            return cursor.rowcount
        return None
