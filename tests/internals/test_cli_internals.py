"""The command line's private seams: failures injected into its commands, its line limit and
provider table, the demo runner and the progress bar."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

from sms_campaign_stats import DeliveryReport, SQLiteStorage, cli, parse_vonage_receipt
from sms_campaign_stats.cli import _import as cli_import
from sms_campaign_stats.cli import _main as cli_main
from sms_campaign_stats.cli import _numbers as cli_numbers
from sms_campaign_stats.cli._demo import _CountingStorage, demo_campaign_id, run_demo
from sms_campaign_stats.cli._progress import _Silent, progress
from sms_campaign_stats.errors import (
    DeferralHorizonError,
    DuplicateError,
    NotFoundError,
    StorageError,
    ValidationError,
)
from sms_campaign_stats.quiet_hours import SendTimeDecision

from ..test_cli import DATA, _Terminal, demo_database, figures, import_events, make_db


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo database, built once for the module."""
    return demo_database(tmp_path_factory.mktemp("demo") / "demo.db")


# demo -----------------------------------------------------------------------------------------


def test_demo_raced_by_another_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another process storing the same demo campaign meanwhile: a storage error, not a crash."""

    def raced(*args: Any, **kwargs: Any) -> Any:
        raise DuplicateError("campaign", "sim-2026-default")

    monkeypatch.setattr(cli_main, "run_demo", raced)
    code = cli.main(["demo", "--db", str(tmp_path / "new.db"), "--recipients", "5"])
    assert code == cli.EXIT_STORAGE
    assert "already holds the demo campaign" in capsys.readouterr().err


def test_run_demo_validates_and_counts(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="recipients"):
        run_demo(tmp_path / "x.db", recipients=0, seed=1, done=_Silent())
    with pytest.raises(ValidationError, match="from 1 to 1,000,000"):
        run_demo(tmp_path / "x.db", recipients=1_000_001, seed=1, done=_Silent())
    assert not (tmp_path / "x.db").exists()
    counter = _Silent()
    result = run_demo(tmp_path / "y.db", recipients=60, seed=3, done=counter)
    assert result.campaign_id == demo_campaign_id(3) == "sim-3-default"
    assert counter.n == result.report.recipients  # every message settled, counted once
    assert result.history.campaign_id == result.campaign_id
    assert result.seconds > 0
    assert isinstance(_CountingStorage(tmp_path / "z.db", counter), SQLiteStorage)


class _StopAfter:
    """A progress counter that raises ``error`` once ``limit`` messages have settled."""

    def __init__(self, limit: int, error: BaseException) -> None:
        self.n = 0
        self._limit = limit
        self._error = error

    def update(self, n: int = 1) -> None:
        self.n += n
        if self.n >= self._limit:
            raise self._error

    def close(self) -> None:
        return None


@pytest.mark.parametrize("error", [KeyboardInterrupt(), RuntimeError("a bug")])
def test_a_demo_stopped_midway_leaves_the_target_untouched(
    error: BaseException, tmp_path: Path, demo_db: Path
) -> None:
    """A demo stopped halfway (interrupted, or a failure) leaves its target as it was, absent or
    with its campaigns, and no temporary file; a complete one keeps the target's campaigns."""
    fresh = tmp_path / "fresh.db"
    with pytest.raises(type(error)):
        run_demo(fresh, recipients=200, seed=5, done=_StopAfter(50, error))
    assert list(tmp_path.iterdir()) == []
    existing = tmp_path / "existing.db"
    existing.write_bytes(demo_db.read_bytes())
    before = existing.read_bytes()
    with pytest.raises(type(error)):
        run_demo(existing, recipients=200, seed=5, done=_StopAfter(50, error))
    assert existing.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["existing.db"]
    run_demo(existing, recipients=20, seed=5, done=_Silent())
    store = SQLiteStorage(existing)
    try:
        assert [c.id for c in store.list_campaigns()] == ["sim-2026-default", "sim-5-default"]
    finally:
        store.close()


def test_a_demo_database_has_the_usual_permissions(tmp_path: Path, demo_db: Path) -> None:
    """Built in a temporary file, the database still gets the mode a new file gets (0o666 less
    the umask), or keeps the mode of the file it replaces: not the temporary file's 0o600."""
    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.db"
        run_demo(fresh, recipients=10, seed=1, done=_Silent())
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        kept = tmp_path / "kept.db"
        kept.write_bytes(demo_db.read_bytes())
        kept.chmod(0o640)
        run_demo(kept, recipients=10, seed=1, done=_Silent())
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(umask)


def test_a_demo_that_cannot_write_beside_its_target(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="cannot create a file in"):
        run_demo(tmp_path / "no" / "such" / "x.db", recipients=5, seed=1, done=_Silent())
    with pytest.raises(StorageError, match="is a directory"):
        run_demo(tmp_path, recipients=5, seed=1, done=_Silent())


def test_read_only_is_sqlites_own_mode_ro(tmp_path: Path, demo_db: Path) -> None:
    """The read-only store's connection itself is opened with ``mode=ro`` (root, for whom file
    modes stop nothing, is refused by SQLite too), not merely guarded by the store."""
    db = tmp_path / "ro.db"
    db.write_bytes(demo_db.read_bytes())
    store = SQLiteStorage(db, read_only=True)
    try:
        connection = store._database.connection()
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            connection.execute("DELETE FROM campaigns")
    finally:
        store.close()
    writable = SQLiteStorage(db)
    try:
        assert [c.id for c in writable.list_campaigns()] == ["sim-2026-default"]
    finally:
        writable.close()


# check-number ---------------------------------------------------------------------------------


def test_check_number_undecidable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(at: datetime, **kwargs: Any) -> SendTimeDecision:
        return SendTimeDecision(
            action="refuse",
            send_at=None,
            requested_at=at,
            rule_id="fr-af2m-2024",
            zones=(),
            zone_basis="none",
            reason=None,
            explanation="no time zone is known for this recipient: give one explicitly",
        )

    monkeypatch.setattr(cli_numbers, "plan_send_time", refuse)
    assert cli.main(["check-number", "+33612345678"]) == cli.EXIT_NOT_NOW
    assert "cannot tell: no time zone is known" in capsys.readouterr().out

    def beyond(at: datetime, **kwargs: Any) -> SendTimeDecision:
        raise DeferralHorizonError("fr-af2m-2024", at, cli_numbers._HORIZON)

    monkeypatch.setattr(cli_numbers, "plan_send_time", beyond)
    assert cli.main(["check-number", "+33612345678"]) == cli.EXIT_NOT_NOW
    assert "never allowed within 400 days" in capsys.readouterr().out


def test_describe_rule_without_country() -> None:
    assert cli_numbers._describe_rule(None) == "none: the number's country is unknown"


# import-events --------------------------------------------------------------------------------


def test_import_bytes_long_lines_and_odd_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = make_db(tmp_path / "b.db", ["V1", "V2"])
    monkeypatch.setattr(cli_import, "MAX_LINE_BYTES", 80)
    good = b'{"messageId": "V1", "status": "delivered", "err-code": "0"}\n'
    lines = tmp_path / "bytes.ndjson"
    lines.write_bytes(
        b"\xef\xbb\xbf" + good + b'{"x": "\xff"}\n' + b"[" * 200 + b"\n" + b"[" * 100 + b"]" * 100
    )
    code, out, err = import_events(db, "vonage", lines)
    assert code == cli.EXIT_BAD_LINES
    assert [e.split(": ", 1)[1] for e in err] == [
        "not UTF-8 text",
        "longer than 80 bytes",
        "longer than 80 bytes",
    ]
    assert "4 lines read (0 blank), 1 report, 3 bad lines" in out

    deep = tmp_path / "deep.txt"
    deep.write_bytes(b"[" * 100_000 + b"\n")
    monkeypatch.setattr(cli_import, "MAX_LINE_BYTES", 1 << 20)
    code, _, err = import_events(db, "vonage", deep, "--input-format", "jsonl")
    assert err == [f"{deep}:1: invalid JSON (nested too deeply)"]

    table = tmp_path / "odd.csv"
    table.write_bytes(
        b"messageId,status,err-code\nV2,deliv\xffered,0\nV2,deli\rvered,0\n\nV2,delivered,0\n"
    )
    code, out, err = import_events(db, "vonage", table)
    assert [e.split(": ", 1)[1] for e in err] == [
        "not UTF-8 text",
        "not CSV (new-line character seen in unquoted field)",
    ]
    assert "4 rows read (1 blank), 1 report, 2 bad rows" in out
    assert figures(db)["delivered"] == 2


def test_import_report_without_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = make_db(tmp_path / "n.db", ["V1"])
    nameless = attrs.evolve(
        parse_vonage_receipt({"messageId": "V1", "status": "delivered"}), provider_message_id=None
    )

    def parse(payload: Any, now: datetime) -> list[DeliveryReport]:
        return [nameless]

    monkeypatch.setitem(cli_import._PROVIDERS, "vonage", parse)
    code, _, err = import_events(db, "vonage", DATA / "cli_brevo.jsonl")
    assert code == cli.EXIT_BAD_LINES
    assert err[0].endswith(":1: the report has no message id")


# errors in general, progress bars -------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (NotFoundError("campaign", "x"), cli.EXIT_NOT_FOUND),
        (StorageError("disk full"), cli.EXIT_STORAGE),
        (ValidationError("field", "wrong"), cli.EXIT_USAGE),
        (KeyboardInterrupt(), 130),
        (OSError(28, "No space left on device", "out.txt"), cli.EXIT_STORAGE),
        (OSError("no reason given"), cli.EXIT_STORAGE),
    ],
)
def test_errors_become_exit_codes(
    error: BaseException,
    code: int,
    monkeypatch: pytest.MonkeyPatch,
    demo_db: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def fail(args: Any) -> int:
        raise error

    monkeypatch.setattr(cli_main, "_stats", fail)
    assert cli.main(["stats", "--db", str(demo_db)]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("sms-campaign-stats")


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(progress(10, description="x", unit="msg", stream=io.StringIO()), _Silent)
    screen = _Terminal()
    bar = progress(10, description="settled", unit="msg", stream=screen)
    assert not isinstance(bar, _Silent)
    bar.update(4)
    bar.close()  # an estimated total ends at the count reached
    assert "settled" in screen.getvalue()
    assert "4/4" in screen.getvalue()
    exact = progress(None, description="reading", unit="B", stream=screen)
    exact.update(2048)
    exact.close()
    monkeypatch.setitem(sys.modules, "tqdm", None)  # not installed
    assert isinstance(progress(10, description="x", unit="msg", stream=_Terminal()), _Silent)
