"""What both PostgreSQL stores share about their connections: the options (checked once), how
each connection is set up, and what a database error means (retry it, or which error to raise).

Every connection the stores open runs in UTC (instants come back in UTC), with ``search_path``
set to the store's schema (and nothing else: every name the stores use is in it), a
``statement_timeout``, a ``lock_timeout`` and an ``idle_in_transaction_session_timeout`` (a
client that stops in the middle of a transaction does not hold its locks for ever). The pool's
``configure`` callback sets them when a connection is made.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import attrs
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sms_campaign_stats.errors import StorageBusyError, StorageError, ValidationError
from sms_campaign_stats.storage._base import check_orphan_bounds
from sms_campaign_stats.storage.postgres._steps import Kind, Work

__all__ = [
    "BEGIN",
    "BUSY",
    "Options",
    "check_options",
    "configure_params",
    "pause",
    "verdict",
]

#: SQLSTATEs that mean "another transaction was in the way": a serialization failure, a
#: deadlock, a lock not obtained within ``lock_timeout``. The whole transaction is run again.
BUSY = frozenset({"40001", "40P01", "55P03"})
#: How each kind of transaction begins (``AUTOCOMMIT``: it does not).
BEGIN: Mapping[Kind, str] = {
    Kind.WRITE: "BEGIN ISOLATION LEVEL READ COMMITTED",
    Kind.SNAPSHOT: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
}
#: Sets up a new connection (values: search_path, the three timeouts in milliseconds).
CONFIGURE = (
    "SELECT set_config('search_path', %s, false), set_config('TimeZone', 'UTC', false), "
    "set_config('statement_timeout', %s, false), set_config('lock_timeout', %s, false), "
    "set_config('idle_in_transaction_session_timeout', %s, false)"
)
_MAX_SCHEMA = 63  # PostgreSQL's longest identifier, in bytes
_CONNECT_TIMEOUT = "10"  # seconds, unless the connection string says otherwise


def _milliseconds(store: str, field: str, value: object) -> int:
    """A positive duration (a ``timedelta``, or seconds) in whole milliseconds, at least 1."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise ValidationError(f"{store}.{field}", f"expected a timedelta, got {value!r}")
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValidationError(f"{store}.{field}", "must be a positive duration")
    if seconds > 2_000_000:  # PostgreSQL's limit is 2**31 - 1 milliseconds (24 days)
        raise ValidationError(f"{store}.{field}", "must be at most 2,000,000 seconds")
    return max(1, math.ceil(seconds * 1000))


def _count(store: str, field: str, value: object, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValidationError(f"{store}.{field}", f"must be a whole number >= {least}")
    return value


@attrs.frozen
class Options:
    """A store's checked options. ``name`` says which database and schema, without password:
    it names the store in errors and in ``repr``."""

    conninfo: str
    connect: Mapping[str, Any]
    schema: str
    name: str
    min_size: int
    max_size: int
    statement_timeout_ms: int
    lock_timeout_ms: int
    busy_retries: int
    orphan_max_age: timedelta
    orphan_max_count: int
    #: ``handle_many``'s next batch looked up on a second connection (never with a pool of one
    #: connection: it would only queue for it).
    read_ahead: bool = False


def check_options(
    store: str,
    conninfo: object,
    *,
    schema: object,
    min_size: object,
    max_size: object,
    statement_timeout: object,
    lock_timeout: object,
    busy_retries: object,
    orphan_max_age: object,
    orphan_max_count: object,
    read_ahead: object = False,
) -> Options:
    """The options of ``store`` (its class name), each checked: ``ValidationError`` naming
    the option and what is wrong with it. The connection string is never quoted back (it may
    hold a password)."""
    if not isinstance(conninfo, str):
        raise ValidationError(f"{store}.conninfo", "expected a libpq connection string or URL")
    try:
        parts = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        raise ValidationError(
            f"{store}.conninfo",
            "not a libpq connection string ('host=... dbname=...') nor a postgresql:// URL",
        ) from None
    if not isinstance(schema, str) or not schema or "\x00" in schema:
        raise ValidationError(f"{store}.schema", "expected the name of a schema")
    if len(schema.encode()) > _MAX_SCHEMA or schema.startswith("pg_"):
        raise ValidationError(
            f"{store}.schema", "at most 63 bytes, not starting with 'pg_' (PostgreSQL's own)"
        )
    low = _count(store, "min_size", min_size, 0)
    high = _count(store, "max_size", max_size, max(1, low))
    age, count = check_orphan_bounds(store, orphan_max_age, orphan_max_count)
    if not isinstance(read_ahead, bool):
        raise ValidationError(f"{store}.read_ahead", "expected True or False")
    shown: dict[str, Any] = {k: v for k, v in parts.items() if k != "password"}
    return Options(
        conninfo=conninfo,
        connect={
            "autocommit": True,
            "connect_timeout": parts.get("connect_timeout", _CONNECT_TIMEOUT),
            "application_name": parts.get("application_name", "sms_campaign_stats"),
        },
        schema=schema,
        name=f"postgresql {make_conninfo('', **shown)} schema {schema}",
        min_size=low,
        max_size=high,
        statement_timeout_ms=_milliseconds(store, "statement_timeout", statement_timeout),
        lock_timeout_ms=_milliseconds(store, "lock_timeout", lock_timeout),
        busy_retries=_count(store, "busy_retries", busy_retries, 0),
        orphan_max_age=age,
        orphan_max_count=count,
        read_ahead=read_ahead and high > 1,
    )


def configure_params(options: Options, connection: psycopg.BaseConnection[Any]) -> tuple[str, ...]:
    """The values ``CONFIGURE`` sets on ``connection``: the schema quoted as an identifier,
    and the timeouts (idle in a transaction: as long as a statement may run)."""
    path = sql.Identifier(options.schema).as_string(connection)
    timeout = str(options.statement_timeout_ms)
    return (path, timeout, str(options.lock_timeout_ms), timeout)


def pause(attempt: int) -> float:
    """Seconds to wait before running a busy transaction again, growing: 10, 20, 40 ... ms,
    at most half a second."""
    return min(0.01 * 2.0 ** (attempt - 1), 0.5)


def _first_line(error: BaseException) -> str:
    diag = getattr(error, "diag", None)
    primary = getattr(diag, "message_primary", None)
    text = primary or str(error) or type(error).__name__
    return " ".join(text.split())


def verdict(
    error: psycopg.Error,
    *,
    work: Work[Any],
    began: bool,
    committing: bool,
    broken: bool,
    name: str,
) -> StorageError | None:
    """What a database error means: ``None`` to run the work again (another transaction was in
    the way, or the connection was lost before anything could have been written), else the
    error to raise. ``began``: the work's statements had started; ``committing``: the error
    came from ``COMMIT``; ``broken``: the connection is lost."""
    if error.sqlstate in BUSY:
        return None
    reason = _first_line(error)
    if broken:
        if work.reads_only or work.kind is Kind.SNAPSHOT or not began:
            return None
        if committing:
            return StorageError(
                f"{name}: the connection was lost while committing ({reason}); the change may or "
                "may not have been written: read it back before retrying"
            )
        if work.kind is Kind.WRITE:
            return StorageError(f"{name}: the connection was lost ({reason}); nothing was written")
        return StorageError(f"{name}: the connection was lost ({reason})")
    if error.sqlstate == "57014":
        return StorageError(
            f"{name}: a statement ran longer than statement_timeout and was cancelled; "
            "nothing was written"
        )
    return StorageError(f"{name}: the database refused ({reason}); nothing was written")


def busy(name: str, waited: float) -> StorageBusyError:
    """The error once every attempt met another transaction."""
    return StorageBusyError(name, round(waited, 3))


def unreachable(name: str, error: BaseException) -> StorageError:
    """The error for a connection that could not be made (never quotes a password)."""
    return StorageError(f"{name}: cannot connect ({_first_line(error)})")
