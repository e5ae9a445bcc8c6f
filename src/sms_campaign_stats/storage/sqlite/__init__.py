"""The embedded default store: one SQLite file (or ``":memory:"``), aggregates computed in SQL."""

from ._store import APPLICATION_ID, SCHEMA_VERSION, SQLiteStorage

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "SQLiteStorage"]
