"""The command line's ``demo``: a simulated campaign run through the engine into a SQLite file
(or a PostgreSQL database, given a ``postgresql://`` URL).

``run_demo`` drives ``simulation.simulate`` (the real engine, a seeded synthetic carrier) on a
``SQLiteStorage`` and returns the report, the history and the time it took. The database is built
in a temporary file beside the target (a copy of it when it exists: its other campaigns are
kept) and moved into place with ``os.replace`` only when complete: an interrupted or failed
demo leaves the target as it was, and no temporary file behind. The file is opened
with ``durability="normal"``: a demo does not need each of its tens of thousands of small
transactions to survive a power cut, and ``"full"`` makes it about twice as slow.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import attrs

from sms_campaign_stats.cli._common import is_postgres_url
from sms_campaign_stats.cli._progress import Progress
from sms_campaign_stats.errors import StorageError, ValidationError
from sms_campaign_stats.reports import CampaignReport, Timeline, history_for, report_for
from sms_campaign_stats.simulation import PolicySet, World, simulate
from sms_campaign_stats.storage import Change, Committed, SQLiteStorage, StorageBase

__all__ = ["DEFAULT_DATABASE", "MAX_RECIPIENTS", "DemoResult", "demo_campaign_id", "run_demo"]

#: Where ``demo`` writes when no ``--db`` is given: in the current directory.
DEFAULT_DATABASE = "sms-campaign-stats-demo.db"
#: The most contacts ``demo --recipients`` accepts (about 20 minutes of simulation).
MAX_RECIPIENTS = 1_000_000
_POLICIES = PolicySet(name="default")


@attrs.frozen(kw_only=True)
class DemoResult:
    """What a demo run produced."""

    campaign_id: str
    report: CampaignReport
    history: Timeline
    events: Mapping[str, int]
    seconds: float


class _Counting(StorageBase):
    """A store that counts the messages reaching a final state, for a progress bar (mixed in
    before the store's class: its ``commit`` wraps the store's)."""

    _done: Progress

    def commit(self, change: Change) -> Committed:
        # The mixin comes before a concrete store's class: super() is that store.
        committed = super().commit(change)  # type: ignore[safe-super]
        # Final states are terminal: every final message a commit writes (new or changed)
        # became final with it.
        self._done.update(sum(1 for m in committed.messages if m.status.is_final))
        return committed


class _CountingStorage(_Counting, SQLiteStorage):
    """A SQLite store (``durability="normal"``) that counts final messages."""

    def __init__(self, path: str | os.PathLike[str], done: Progress) -> None:
        super().__init__(path, durability="normal")
        self._done = done


def demo_campaign_id(seed: int) -> str:
    """The id ``simulate`` gives the demo campaign of ``seed``."""
    return f"sim-{seed}-{_POLICIES.name}"


def run_demo(
    path: str | os.PathLike[str], *, recipients: int, seed: int, done: Progress
) -> DemoResult:
    """Simulate a campaign to ``recipients`` contacts into the SQLite file at ``path``.

    ``done`` is told about each message that reaches a final state. Raises ``DuplicateError``
    if the file already holds this seed's demo campaign (nothing is written then).
    """
    if (
        isinstance(recipients, bool)
        or not isinstance(recipients, int)
        or not 1 <= recipients <= MAX_RECIPIENTS
    ):
        raise ValidationError(
            "recipients", f"must be a whole number from 1 to {MAX_RECIPIENTS:,}, got {recipients!r}"
        )
    started = time.perf_counter()
    if isinstance(path, str) and is_postgres_url(path):
        return _run_on_postgres(path, recipients=recipients, seed=seed, done=done)
    target = Path(path)
    if target.is_dir():
        raise StorageError(f"{target}: is a directory, not a database file")
    building = _temporary_beside(target)
    try:
        _give_mode(building, target)
        if target.is_file() and target.stat().st_size > 0:
            _copy_database(target, building)
        store = _CountingStorage(building, done)
        try:
            result = simulate(World(recipients=recipients, seed=seed), _POLICIES, storage=store)
            history = history_for(store, result.report.campaign_id)
            report = report_for(store, result.report.campaign_id, activity=True)
        finally:
            store.close()
        os.replace(building, target)
    except OSError as error:
        raise StorageError(f"{target}: cannot write the database ({error.strerror})") from None
    finally:
        _remove(building)
    return DemoResult(
        campaign_id=result.report.campaign_id,
        report=report,
        history=history,
        events=result.events,
        seconds=time.perf_counter() - started,
    )


def _run_on_postgres(url: str, *, recipients: int, seed: int, done: Progress) -> DemoResult:
    """The demo on a PostgreSQL database, written as a service writes: one transaction per
    event, straight into the store (an interrupted demo leaves its campaign part-way; run it
    again with another ``--seed``)."""
    from sms_campaign_stats.storage.postgres import PostgresStorage

    class _CountingPostgres(_Counting, PostgresStorage):
        pass

    started = time.perf_counter()
    store = _CountingPostgres(url)
    store._done = done
    try:
        result = simulate(World(recipients=recipients, seed=seed), _POLICIES, storage=store)
        history = history_for(store, result.report.campaign_id)
        report = report_for(store, result.report.campaign_id, activity=True)
    finally:
        store.close()
    return DemoResult(
        campaign_id=result.report.campaign_id,
        report=report,
        history=history,
        events=result.events,
        seconds=time.perf_counter() - started,
    )


def _temporary_beside(target: Path) -> Path:
    """A new empty file in ``target``'s directory (so that ``os.replace`` is a rename)."""
    try:
        handle, name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".building"
        )
    except OSError as error:
        raise StorageError(
            f"{target}: cannot create a file in {target.parent} ({error.strerror})"
        ) from None
    os.close(handle)
    return Path(name)


def _give_mode(building: Path, target: Path) -> None:
    """The permissions the target has, or a new file would get (0o666 less the umask): not
    mkstemp's private 0o600."""
    if target.exists():
        mode = stat.S_IMODE(target.stat().st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(building, mode)


def _copy_database(source: Path, copy: Path) -> None:
    """A consistent copy of the SQLite file ``source`` (its write-ahead log included)."""
    try:
        with (
            contextlib.closing(sqlite3.connect(source)) as reader,
            contextlib.closing(sqlite3.connect(copy)) as writer,
        ):
            reader.backup(writer)
    except sqlite3.DatabaseError as error:
        raise StorageError(f"{source}: cannot copy the database ({error})") from None


def _remove(building: Path) -> None:
    """The temporary file and SQLite's files beside it, if still there."""
    for leftover in (building, *(Path(f"{building}{end}") for end in ("-wal", "-shm", "-journal"))):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
