"""Storage: the contract (``Storage``), the mergeable counts, and the two stores the library ships.

``InMemoryStorage`` is for tests and small jobs; ``SQLiteStorage`` (in ``storage.sqlite``) is the
embedded default. Your own store implements ``Storage`` (a few reads and
``commit(change)``), or subclasses ``StorageBase`` to get every convenience derived from them,
and runs the conformance suite in ``sms_campaign_stats.testing``.

For asyncio services: ``AsyncStorage`` is the same contract with coroutines (what
``AsyncCampaignEngine`` awaits), and ``ThreadedAsyncStorage`` turns any ``Storage`` into one,
each call run in a worker thread.
"""

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
