"""The PostgreSQL stores (the ``postgres`` extra): ``PostgresStorage`` for threads and processes,
``AsyncPostgresStorage`` for asyncio services, on psycopg 3 and its connection pool."""

try:
    import psycopg  # noqa: F401
    import psycopg_pool  # noqa: F401
except ImportError:  # pragma: no cover - the test extra installs them
    raise ImportError(
        'PostgresStorage needs psycopg: pip install "sms-campaign-stats[postgres]"'
    ) from None

from ._async_store import AsyncPostgresStorage
from ._schema import SCHEMA_VERSION
from ._store import PostgresStorage

__all__ = ["SCHEMA_VERSION", "AsyncPostgresStorage", "PostgresStorage"]
