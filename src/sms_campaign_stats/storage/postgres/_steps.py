"""Operations as values: each store operation is written once, as a generator of steps.

An operation (``Op``) is a generator that yields the statements it needs (``Execute``,
``CopyIn``), receives each one's result, decides what to run next from it, and returns the
operation's result. It does no I/O: ``PostgresStorage`` runs it with a small blocking driver,
``AsyncPostgresStorage`` with a small asynchronous one, so the SQL and every decision exist once
(the h11 way: the protocol knows nothing of sockets).

A ``Work`` says how to run an operation: in which kind of transaction, and whether it may be run
again from the start after a serialization failure, a deadlock or a lock timeout (an operation
that streams a one-shot iterator may not). The drivers begin, commit, roll back and retry; an
operation only ever sees its own statements.

A step marked ``guarded`` runs inside a savepoint: if the database refuses it for an integrity
reason (a duplicate key, a missing foreign key), the driver rolls back to the savepoint and
throws the database's error into the operation, which may then read (in the same transaction)
to say precisely what was wrong, and raises the library's error. Any other failure ends the
transaction: the driver rolls it back and raises.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs
from psycopg import sql

__all__ = [
    "CopyIn",
    "Execute",
    "ExecuteMany",
    "Fetch",
    "Kind",
    "Op",
    "Query",
    "Row",
    "Step",
    "Work",
    "copy_in",
    "execute",
    "execute_many",
    "fetch_all",
    "fetch_one",
    "returning_many",
    "rowcount",
]

T = TypeVar("T")
#: SQL text: a constant, or composed with ``psycopg.sql`` (identifiers quoted).
Query = str | sql.Composed
#: A row as the drivers hand it to an operation.
Row = tuple[Any, ...]


class Fetch(enum.Enum):
    """What an ``Execute`` step sends back to its operation."""

    NOTHING = "nothing"  # None
    ROWCOUNT = "rowcount"  # the number of rows written (or returned)
    ONE = "one"  # the first row, or None
    ALL = "all"  # every row, as a list


class Kind(enum.Enum):
    """The transaction an operation runs in."""

    #: No explicit transaction: each statement is its own (a single-statement read or write).
    AUTOCOMMIT = "autocommit"
    #: ``REPEATABLE READ READ ONLY``: every statement reads one snapshot (reports).
    SNAPSHOT = "snapshot"
    #: ``READ COMMITTED`` read-write: a change, committed whole or rolled back whole.
    WRITE = "write"


@attrs.frozen
class Execute:
    """Run one statement with its parameters; send back what ``fetch`` asks for."""

    query: Query
    params: Sequence[Any] | Mapping[str, Any] | None = None
    fetch: Fetch = Fetch.NOTHING
    guarded: bool = False


@attrs.frozen
class ExecuteMany:
    """Run one statement once per parameter set, pipelined (psycopg's ``executemany``: one
    round trip, the statement prepared). Sends back the total number of rows written, or with
    ``returning`` the first row each run returned (``None`` for a run that returned none)."""

    query: Query
    params: Sequence[Sequence[Any]]
    returning: bool = False
    guarded: bool = False


@attrs.frozen
class CopyIn:
    """``COPY ... FROM STDIN`` these rows (an iterable, read once while copying: encoding a
    row overlaps with the server's work on those before it); sends back ``None``. ``types``:
    the columns' types (``copy.set_types``), required by a binary ``COPY``."""

    query: Query
    rows: Iterable[Row]
    guarded: bool = False
    types: Sequence[str] | None = None


Step = Execute | ExecuteMany | CopyIn
#: An operation: yields steps, receives their results, returns its own.
Op = Generator[Step, Any, T]


@attrs.frozen
class Work(Generic[T]):
    """An operation to run: ``make`` builds a fresh generator for each attempt. ``replayable``
    is false when a second attempt could not repeat the first (a one-shot iterator);
    ``reads_only``: it writes nothing, so it may run again on another connection when its
    connection is lost (a write may not: it may have been committed)."""

    kind: Kind
    make: Callable[[], Op[T]]
    replayable: bool = True
    reads_only: bool = False


def execute(query: Query, params: Sequence[Any] | None = None) -> Op[None]:
    """Run a statement for its effect."""
    yield Execute(query, params)


def rowcount(
    query: Query, params: Sequence[Any] | None = None, *, guarded: bool = False
) -> Op[int]:
    """Run a statement; how many rows it wrote (or returned)."""
    count: int = yield Execute(query, params, Fetch.ROWCOUNT, guarded)
    return count


def fetch_one(query: Query, params: Sequence[Any] | None = None) -> Op[Row | None]:
    """Run a statement; its first row, or ``None``."""
    row: Row | None = yield Execute(query, params, Fetch.ONE)
    return row


def fetch_all(
    query: Query, params: Sequence[Any] | None = None, *, guarded: bool = False
) -> Op[list[Row]]:
    """Run a statement; all its rows."""
    rows: list[Row] = yield Execute(query, params, Fetch.ALL, guarded)
    return rows


def execute_many(query: Query, params: Sequence[Sequence[Any]]) -> Op[int]:
    """Run a statement once per parameter set, pipelined; how many rows they wrote in all."""
    count: int = yield ExecuteMany(query, params)
    return count


def returning_many(query: Query, params: Sequence[Sequence[Any]]) -> Op[list[Row | None]]:
    """Run a statement once per parameter set, pipelined; the row each run returned (``None``:
    none)."""
    rows: list[Row | None] = yield ExecuteMany(query, params, returning=True)
    return rows


def copy_in(
    query: Query,
    rows: Iterable[Row],
    *,
    guarded: bool = False,
    types: Sequence[str] | None = None,
) -> Op[None]:
    """Copy rows into a table."""
    yield CopyIn(query, rows, guarded, types)
