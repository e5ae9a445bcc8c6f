"""Storage: the contract (``Storage``), the mergeable counts, and the stores the library ships.

``InMemoryStorage`` is for tests and small jobs; ``SQLiteStorage`` (in ``storage.sqlite``) is the
embedded default; ``PostgresStorage`` and ``AsyncPostgresStorage`` (in ``storage.postgres``, the
``postgres`` extra, resolved here on first use so that psycopg is imported only then) serve many
workers on many hosts. Your own store implements ``Storage`` (a few reads and
``commit(change)``), or subclasses ``StorageBase`` to get every convenience derived from them,
and runs the conformance suite in ``sms_campaign_stats.testing``.

For asyncio services: ``AsyncStorage`` is the same contract with coroutines (what
``AsyncCampaignEngine`` awaits), and ``ThreadedAsyncStorage`` turns any ``Storage`` into one,
each call run in a worker thread.
"""

from typing import TYPE_CHECKING, Any

from ._async_contract import AsyncStorage
from ._base import StorageBase
from ._change import (
    ORPHAN_MAX_AGE,
    ORPHAN_MAX_COUNT,
    Change,
    Committed,
    Completion,
    Evidence,
    Orphan,
)
from ._contract import Storage
from ._counts import CampaignCounts, Cell, CellKey, Engagement
from ._memory import InMemoryStorage
from ._threaded import ThreadedAsyncStorage
from .sqlite import SCHEMA_VERSION, SQLiteStorage

if TYPE_CHECKING:
    from .postgres import AsyncPostgresStorage as AsyncPostgresStorage
    from .postgres import PostgresStorage as PostgresStorage

_EXTRAS = frozenset({"PostgresStorage", "AsyncPostgresStorage"})


def __getattr__(name: str) -> Any:
    """The PostgreSQL stores, imported on first use (they need the ``postgres`` extra)."""
    if name in _EXTRAS:
        from . import postgres

        return getattr(postgres, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ORPHAN_MAX_AGE",
    "ORPHAN_MAX_COUNT",
    "SCHEMA_VERSION",
    "AsyncStorage",
    "CampaignCounts",
    "Cell",
    "CellKey",
    "Change",
    "Committed",
    "Completion",
    "Engagement",
    "Evidence",
    "InMemoryStorage",
    "Orphan",
    "SQLiteStorage",
    "Storage",
    "StorageBase",
    "ThreadedAsyncStorage",
]
