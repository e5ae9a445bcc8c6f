"""The command line: end to end through ``python -m sms_campaign_stats``, and in-process."""

from __future__ import annotations

import contextlib
import email
import email.policy
import importlib
import io
import json
import os
import re
import runpy
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest

import sms_campaign_stats
from sms_campaign_stats import (
    Campaign,
    CampaignEngine,
    SendMessage,
    SQLiteStorage,
    cli,
    report_for,
)
from sms_campaign_stats.errors import SchemaError, StorageError, ValidationError

from .campaigns import add_campaign

UTC = timezone.utc
DATA = Path(__file__).parent / "data"
TUESDAY = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 in Paris
SATURDAY_NIGHT = "2026-05-09T20:30:00Z"  # 22:30 in Paris: closed until Monday 08:00
MONDAY_NOON = "2026-05-11T10:00:00Z"  # 12:00 in Paris
COMMANDS = ("demo", "report", "stats", "history", "check-number", "import-events")
FORMATS = ("text", "html", "csv", "json")  # of report, stats and history (checked in --help)
Run = Callable[..., subprocess.CompletedProcess[str]]


# helpers ------------------------------------------------------------------------------------


def make_db(path: Path, provider_ids: list[str]) -> Path:
    """A campaign 'spring' whose messages were submitted an hour ago (import-events applies
    reports at the clock's time) under ``provider_ids``, to German mobiles (no send-time
    rule: sent when planned)."""
    an_hour_ago = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    store = SQLiteStorage(path)
    add_campaign(store, "spring", at=an_hour_ago, lists=("vip",), content="-20% today! STOP 36111")
    engine = CampaignEngine(store)
    numbers = [f"+49151234567{i:02d}" for i in range(len(provider_ids))]
    planned = engine.plan("spring", {"vip": numbers}, an_hour_ago)
    sends = [a for a in planned.actions if isinstance(a, SendMessage)]
    assert len(sends) == len(provider_ids)
    for action, provider_id in zip(sends, provider_ids, strict=True):
        engine.submitted(action.message_id, provider_id, action.at)
    store.close()
    return path


def figures(path: Path) -> dict[str, int]:
    store = SQLiteStorage(path)
    try:
        report = report_for(store, "spring")
    finally:
        store.close()
    return {
        "delivered": report.delivered.count,
        "soft": report.soft_bounces.count,
        "hard": report.hard_bounces.count,
        "processing": report.processing.count,
    }


def garbage(path: Path) -> Path:
    path.write_bytes(b"this is not a database, just some bytes\x00\x01\x02" * 64)
    return path


def demo_database(path: Path) -> Path:
    """A demo database of 300 recipients (seed 2026) at ``path``, built by the ``demo``
    command (its report printed to nowhere)."""
    with contextlib.redirect_stdout(io.StringIO()):
        assert 0 == cli.main(["demo", "--db", str(path), "--recipients", "300", "--seed", "2026"])
    return path


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo database, built once for the module."""
    return demo_database(tmp_path_factory.mktemp("demo") / "demo.db")


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """``python -m sms_campaign_stats ARGS`` in ``tmp_path``."""

    def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sms_campaign_stats", *map(str, args)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run_cli


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 1, result.stderr


# end to end, through python -m --------------------------------------------------------------


def test_e2e_demo_then_report_stats_history(run: Run, tmp_path: Path) -> None:
    first = run("demo", "--recipients", "300")
    assert first.returncode == 0, first.stderr
    assert (
        "Campaign     Simulated campaign (default)\nCampaign id  sim-2026-default" in first.stdout
    )
    assert "History (times in UTC)" in first.stdout
    assert "Simulated 300 contacts (seed 2026) in " in first.stdout
    db = tmp_path / "sms-campaign-stats-demo.db"
    assert db.is_file()

    again = run("demo", "--recipients", "300")
    assert again.returncode == cli.EXIT_STORAGE
    assert "already holds the demo campaign 'sim-2026-default'" in again.stderr
    no_traceback(again)

    report = run("report", "--db", db)
    assert report.returncode == 0
    assert report.stdout.startswith("Campaign     Simulated campaign (default)")
    assert "History (times in UTC)" in report.stdout

    tables = run("report", "--db", db, "--format", "csv", "--output", tmp_path / "csv")
    assert tables.returncode == 0
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == [
        "bounce_reasons.csv",
        "lists.csv",
        "summary.csv",
    ]

    stats = run("stats", "--db", db, "--format", "json")
    assert stats.returncode == 0
    assert [c["id"] for c in json.loads(stats.stdout)["campaigns"]] == ["sim-2026-default"]

    history = run("history", "--db", db, "--campaign", "sim-2026-default", "--format", "html")
    assert history.returncode == 0
    assert history.stdout.startswith("<!DOCTYPE html>")


def test_e2e_check_number(run: Run) -> None:
    allowed = run("check-number", "+33 6 12 34 56 78", "--at", MONDAY_NOON)
    assert allowed.returncode == 0
    assert "allowed at that time" in allowed.stdout

    closed = run("check-number", "+33612345678", "--at", SATURDAY_NIGHT)
    assert closed.returncode == cli.EXIT_NOT_NOW
    assert "Next allowed  2026-05-11 06:00 UTC (Monday)" in closed.stdout
    assert "Monday 2026-05-11 08:00 CEST in Europe/Paris" in closed.stdout

    malformed = run("check-number", "not-a-number")
    assert malformed.returncode == cli.EXIT_REFUSED
    assert "'not-a-number' cannot receive an SMS: not a phone number" in malformed.stderr
    no_traceback(malformed)

    naive = run("check-number", "+33612345678", "--at", "2026-05-09T20:30")
    assert naive.returncode == cli.EXIT_USAGE
    assert "has no UTC offset" in naive.stderr
    no_traceback(naive)


def test_e2e_import_events_applies_good_lines_once(run: Run, tmp_path: Path) -> None:
    db = make_db(tmp_path / "spring.db", ["V1", "V2", "V3", "V5"])
    events = DATA / "cli_vonage_mixed.jsonl"
    first = run("import-events", "--db", db, "--provider", "vonage", events)
    assert first.returncode == cli.EXIT_BAD_LINES
    bad = first.stderr.splitlines()
    assert [line.split(": ", 1)[0] for line in bad] == [f"{events}:{n}" for n in (5, 6, 7)]
    assert "invalid JSON" in bad[0]
    assert "malformed delivery report: Vonage delivery receipt: no messageId" in bad[1]
    assert "got a number" in bad[2]
    assert "10 lines read (2 blank), 5 reports, 3 bad lines" in first.stdout
    assert "3  applied" in first.stdout
    assert "1  unknown message id (kept as orphans" in first.stdout
    after_first = figures(db)
    assert after_first == {"delivered": 2, "soft": 0, "hard": 1, "processing": 1}

    second = run("import-events", "--db", db, "--provider", "vonage", events)
    assert second.returncode == cli.EXIT_BAD_LINES
    assert re.search(r"\d  applied$", second.stdout, re.MULTILINE) is None
    assert "3  late (ignored: the message was already final or retried)" in second.stdout
    assert figures(db) == after_first

    as_json = run("report", "--db", db, "--format", "json")
    assert json.loads(as_json.stdout)["totals"]["delivered"]["count"] == 2


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["report", "--db", "missing.db"], cli.EXIT_NOT_FOUND, "missing.db: no such database file"),
        (["stats", "--db", "garbage.db"], cli.EXIT_STORAGE, "not a readable SQLite database"),
        (["report", "--db", "spring.db", "--campaign", "nope"], cli.EXIT_NOT_FOUND, "'nope'"),
        (
            ["import-events", "--db", "spring.db", "--provider", "carrier-pigeon", "x.jsonl"],
            cli.EXIT_USAGE,
            "invalid choice: 'carrier-pigeon'",
        ),
        (
            ["import-events", "--db", "spring.db", "--provider", "vonage", "absent.jsonl"],
            cli.EXIT_NOT_FOUND,
            "absent.jsonl: no such file",
        ),
        (["demo", "--recipients", "0"], cli.EXIT_USAGE, "must be at least 1, got 0"),
    ],
)
def test_e2e_errors(run: Run, tmp_path: Path, args: list[str], code: int, message: str) -> None:
    garbage(tmp_path / "garbage.db")
    make_db(tmp_path / "spring.db", ["V1"])
    result = run(*args)
    assert result.returncode == code
    assert message in result.stderr
    no_traceback(result)
    assert not (tmp_path / "missing.db").exists()


def test_e2e_broken_pipe_is_quiet(tmp_path: Path, demo_db: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "sms_campaign_stats", "report", "--db", str(demo_db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.close()  # the reader is gone before the report is written
    error = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=120) == cli.EXIT_BROKEN_PIPE
    assert error == ""


def test_e2e_unwritable_stdout_is_one_line(tmp_path: Path, demo_db: Path) -> None:
    """Standard output on a full device (``> /dev/full``, ENOSPC): one line on stderr, status
    4, no traceback, for a big output (report) as for a small one (check-number)."""
    commands = [
        ["report", "--db", str(demo_db)],
        ["stats", "--db", str(demo_db), "--format", "csv"],
        ["check-number", "+33612345678", "--at", MONDAY_NOON],
    ]
    for args in commands:
        with open("/dev/full", "w", encoding="utf-8") as full:
            result = subprocess.run(
                [sys.executable, "-m", "sms_campaign_stats", *args],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                cwd=tmp_path,
                timeout=120,
                check=False,
            )
        assert result.returncode == cli.EXIT_STORAGE, result.stderr
        assert result.stderr.endswith(
            ": standard output: cannot write (No space left on device)\n"
        ), result.stderr
        no_traceback(result)


DEMO_200K = ["--recipients", "200000", "--seed", "9"]


@pytest.mark.parametrize("existing", [True, False])
def test_e2e_interrupted_demo_leaves_the_target_untouched(
    existing: bool, tmp_path: Path, demo_db: Path
) -> None:
    """Ctrl-C in the middle of a demo: status 130, one line, and the target is as it was (the
    same bytes, or still absent): the demo is built beside it and moved in only when done."""
    target = tmp_path / "shop.db"
    if existing:
        shutil.copyfile(demo_db, target)
    before = target.read_bytes() if existing else None
    process = subprocess.Popen(
        [sys.executable, "-m", "sms_campaign_stats", "demo", "--db", str(target), *DEMO_200K],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".shop.db.*.building-wal")):  # the simulation is writing
        assert process.poll() is None, "the demo ended before it was interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert err == "sms-campaign-stats: interrupted\n"
    assert (target.read_bytes() if existing else None) == before
    assert target.exists() == existing
    assert sorted(p.name for p in tmp_path.iterdir()) == (["shop.db"] if existing else [])


def test_e2e_help(run: Run) -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout
    assert "exit status:" in result.stdout


# in-process: help, version, entry points -----------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: sms-campaign-stats {command}")
    assert "exit status:" in out
    assert "141 " in out


def test_version_and_missing_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("sms-campaign-stats 0.")
    assert cli.main([]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "the following arguments are required: COMMAND" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["demo", "--recipients", "many"], "argument --recipients: 'many' is not a whole number"),
        (["demo", "--recipients", "-3"], "argument --recipients: must be at least 1, got -3"),
        (
            ["import-events", "--db", "x.db", "--provider", "vonage", "--batch-size", "0", "f"],
            "argument --batch-size: must be at least 1, got 0",
        ),
        (["import-events", "--db", "x.db", "--provider", "vonage", "f.jsonl"], "f.jsonl: no such"),
    ],
)
def test_usage_errors_in_process(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(args) in (cli.EXIT_USAGE, cli.EXIT_NOT_FOUND)
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_main_reads_sys_argv_and_module_entry_point(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["sms-campaign-stats", "check-number", "+33612345678"])
    assert cli.main() in (0, cli.EXIT_NOT_NOW)  # now: allowed or not, depending on the clock
    assert "Valid         yes: +33612345678" in capsys.readouterr().out
    monkeypatch.delitem(sys.modules, "sms_campaign_stats.__main__", raising=False)
    importlib.import_module("sms_campaign_stats.__main__")  # imported, not run: does nothing
    monkeypatch.delitem(sys.modules, "sms_campaign_stats.__main__")
    monkeypatch.setattr(sys, "argv", ["sms_campaign_stats", "--version"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("sms_campaign_stats", run_name="__main__")
    assert exited.value.code == 0


# in-process: demo ------------------------------------------------------------------------------


def test_demo_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "d.db"
    assert cli.main(["demo", "--db", str(db), "--recipients", "120", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "Campaign id  sim-7-default\n" in out
    assert f"report --db {db} --campaign sim-7-default" in out
    assert cli.main(["demo", "--db", str(db), "--recipients", "120", "--seed", "7"]) == 4
    assert "already holds the demo campaign 'sim-7-default'" in capsys.readouterr().err
    # Another seed adds a second campaign; report then picks the most recent and says so.
    assert cli.main(["demo", "--db", str(db), "--recipients", "50", "--seed", "8"]) == 0
    capsys.readouterr()
    assert cli.main(["report", "--db", str(db)]) == 0
    captured = capsys.readouterr()
    assert "2 campaigns in" in captured.err
    assert "(choose with --campaign)" in captured.err
    assert "Campaign id  sim-8-default\n" in captured.out


@pytest.mark.parametrize(
    ("recipients", "message"),
    [
        ("99999999999999999999999999", "at most 1,000,000, got a number of 26 digits"),
        ("1000001", "at most 1,000,000, got 1,000,001"),
    ],
)
def test_demo_recipients_have_a_maximum(
    recipients: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--recipients`` above 1,000,000 is a usage error naming the option, before any file is
    touched (neither the named database nor the default one in the current directory)."""
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "big.db"
    assert cli.main(["demo", "--db", str(db), "--recipients", recipients]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"argument --recipients: {message}" in err
    assert list(tmp_path.iterdir()) == []


def test_demo_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = garbage(tmp_path / "bad.db")
    assert cli.main(["demo", "--db", str(bad), "--recipients", "5"]) == cli.EXIT_STORAGE
    assert "not a readable SQLite database" in capsys.readouterr().err
    assert cli.main(["demo", "--db", str(tmp_path), "--recipients", "5"]) == cli.EXIT_STORAGE
    assert "is a directory" in capsys.readouterr().err


# in-process: report, stats, history ----------------------------------------------------------


@pytest.mark.parametrize("command", ["report", "stats", "history"])
def test_formats_are_the_ones_help_lists(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """FORMATS, which the next test runs one by one, are the choices ``--format`` offers (and
    e-mail for a report, tested on its own)."""
    assert cli.EXIT_OK == cli.main([command, "--help"])
    formats = [*FORMATS, "email"] if command == "report" else FORMATS
    assert f"--format {{{','.join(formats)}}}" in capsys.readouterr().out


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", ["report", "stats", "history"])
def test_every_format_to_stdout_and_file(
    command: str, fmt: str, demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = [command, "--db", str(demo_db), "--format", fmt]
    if command == "history":
        base += ["--campaign", "sim-2026-default"]
    if command != "stats":
        base.append("--show-numbers")
    assert cli.main(base) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        assert json.loads(out)["schema_version"] == 1
    elif fmt == "html":
        assert out.startswith("<!DOCTYPE html>")
    elif fmt == "csv":
        assert out.startswith("# ")
        assert ".csv\n" in out.splitlines(keepends=True)[0]
    else:
        assert "sim-2026-default" in out
    target = tmp_path / f"out-{fmt}"
    assert cli.main([*base, "--output", str(target)]) == 0
    assert capsys.readouterr().out == ""
    if fmt == "csv":
        assert all(p.suffix == ".csv" for p in target.iterdir())
        assert len(list(target.iterdir())) >= 1
    else:
        assert target.read_text(encoding="utf-8").strip()


def test_output_errors(demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing_dir = tmp_path / "no" / "such" / "dir" / "r.txt"
    assert cli.main(["report", "--db", str(demo_db), "--output", str(missing_dir)]) == 4
    assert "cannot write" in capsys.readouterr().err
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    code = cli.main(["stats", "--db", str(demo_db), "--format", "csv", "--output", str(a_file)])
    assert code == cli.EXIT_STORAGE
    assert f"{a_file}: cannot write" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["report", "stats", "history"])
def test_output_that_names_the_database_is_refused(
    command: str, demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--output`` naming the database (the same path, another spelling of it, a link to it)
    is a usage error and writes nothing: the database is left as it was."""
    before = demo_db.read_bytes()
    link = tmp_path / "link.db"
    link.symlink_to(demo_db)
    spelt_otherwise = demo_db.parent / "." / demo_db.name
    for output, fmt in [(demo_db, "json"), (spelt_otherwise, "text"), (link, "csv")]:
        args = [command, "--db", str(demo_db), "--format", fmt, "--output", str(output)]
        if command == "history":
            args += ["--campaign", "sim-2026-default"]
        assert cli.main(args) == cli.EXIT_USAGE
        captured = capsys.readouterr()
        assert captured.err.count("\n") == 1
        assert "--output" in captured.err
        assert "is the database" in captured.err
        assert captured.out == ""
    assert demo_db.read_bytes() == before
    assert link.is_symlink()


def test_database_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.db"
    assert cli.main(["history", "--db", str(missing), "--campaign", "x"]) == 3
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    empty.touch()
    assert cli.main(["stats", "--db", str(empty)]) == cli.EXIT_STORAGE
    assert "an empty file" in capsys.readouterr().err
    assert empty.stat().st_size == 0
    assert cli.main(["report", "--db", str(tmp_path)]) == cli.EXIT_STORAGE
    assert "is a directory" in capsys.readouterr().err
    assert cli.main(["report", "--db", str(garbage(tmp_path / "g.db"))]) == cli.EXIT_STORAGE
    assert "not a readable SQLite database" in capsys.readouterr().err


def test_no_campaign_and_unknown_campaign(
    tmp_path: Path, demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = tmp_path / "fresh.db"
    SQLiteStorage(fresh).close()
    assert cli.main(["report", "--db", str(fresh)]) == cli.EXIT_NOT_FOUND
    assert "no campaign is stored" in capsys.readouterr().err
    assert cli.main(["history", "--db", str(fresh), "--campaign", "x"]) == 3
    assert "no campaign 'x' (no campaign is stored)" in capsys.readouterr().err
    assert cli.main(["history", "--db", str(demo_db), "--campaign", "x"]) == 3
    assert "(campaigns stored: sim-2026-default)" in capsys.readouterr().err


def test_unknown_campaign_lists_a_few(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "many.db"
    store = SQLiteStorage(db)
    for index in range(7):
        campaign, created = Campaign.create(
            id=f"c{index}", name="C", sender="Shop", content="Hi", list_ids=["a"], at=TUESDAY
        )
        store.add_campaign(campaign, events=[created])
    store.close()
    assert cli.main(["report", "--db", str(db), "--campaign", "zz"]) == 3
    assert "c0, c1, c2, c3, c4 and 2 more" in capsys.readouterr().err


LONG = "6" * 100_000


@pytest.mark.parametrize(
    "args",
    [
        ["check-number", LONG],
        ["check-number", "+33612345678", "--region", LONG],
        ["check-number", "+33612345678", "--at", LONG],
        ["check-number", "+33612345678", "--zone", LONG],
        ["demo", "--recipients", LONG + "x"],
        ["import-events", "--db", "x.db", "--provider", LONG, "f.jsonl"],
        ["report", "--db", "DEMO", "--campaign", LONG],
        ["history", "--db", "DEMO", "--campaign", LONG],
    ],
)
def test_echoed_input_is_cut(
    args: list[str], demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A value the command line echoes (a 100,000-digit number, a campaign id, an option's
    value) is cut to 64 characters with "…" appended, on stdout as on stderr."""
    args = [str(demo_db) if arg == "DEMO" else arg for arg in args]
    assert cli.main(args) != cli.EXIT_OK
    captured = capsys.readouterr()
    both = captured.out + captured.err
    assert "6" * 65 not in both
    assert "6" * 64 + "…" in both
    assert len(both) < 2_000
    assert captured.err.count("\n") == 1


def test_echoed_paths_are_cut_at_the_longest_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file path is echoed up to 4096 characters (the longest path the system opens)."""
    long_path = "d/" * 60_000 + "x.db"
    assert cli.main(["stats", "--db", long_path]) in (cli.EXIT_NOT_FOUND, cli.EXIT_STORAGE)
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert long_path[:4096] + "…" in err
    assert len(err) < 4096 + 200


# read-only databases -------------------------------------------------------------------------


def test_a_store_opened_read_only_writes_nothing(tmp_path: Path, demo_db: Path) -> None:
    """``SQLiteStorage(path, read_only=True)`` reads, refuses every write with StorageError, and
    leaves the file's bytes as they were."""
    db = tmp_path / "ro.db"
    db.write_bytes(demo_db.read_bytes())
    before = db.read_bytes()
    store = SQLiteStorage(db, read_only=True)
    try:
        assert [c.id for c in store.list_campaigns()] == ["sim-2026-default"]
        assert report_for(store, "sim-2026-default").recipients > 0
        campaign, created = Campaign.create(
            id="new", name="N", sender="Shop", content="Hi", list_ids=["a"], at=TUESDAY
        )
        with pytest.raises(StorageError, match="read-only"):
            store.add_campaign(campaign, events=[created])
        with pytest.raises(StorageError):
            store.forget("+33612345678")
    finally:
        store.close()
    assert db.read_bytes() == before


def test_a_read_only_store_creates_and_migrates_nothing(tmp_path: Path, demo_db: Path) -> None:
    """Read-only, a file that opening would write to is refused with SchemaError, unchanged:
    an empty one (no schema is created), an older schema (no migration); a missing one is a
    StorageError and is not created."""
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(SchemaError, match="empty"):
        SQLiteStorage(empty, read_only=True)
    assert empty.stat().st_size == 0
    older = tmp_path / "older.db"
    older.write_bytes(demo_db.read_bytes())
    with contextlib.closing(sqlite3.connect(older)) as connection:
        connection.execute("PRAGMA user_version = 2")
    before = older.read_bytes()
    with pytest.raises(SchemaError, match="needs a migration"):
        SQLiteStorage(older, read_only=True)
    assert older.read_bytes() == before
    assert cli.main(["report", "--db", str(older)]) == cli.EXIT_STORAGE
    assert older.read_bytes() == before
    with pytest.raises(StorageError):
        SQLiteStorage(tmp_path / "missing.db", read_only=True)
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(ValidationError, match="read_only"):
        SQLiteStorage(":memory:", read_only=True)


def test_report_stats_history_read_a_read_only_file(
    tmp_path: Path, demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """report, stats and history open the database read-only: they work on a 0o444 file in a
    0o555 directory and change none of its bytes (run as root, the modes stop nothing: the
    next test runs them as an unprivileged user)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "shop.db"
    db.write_bytes(demo_db.read_bytes())
    before = db.read_bytes()
    db.chmod(0o444)
    folder.chmod(0o555)
    try:
        for args in (
            ["report", "--db", str(db)],
            ["stats", "--db", str(db)],
            ["history", "--db", str(db), "--campaign", "sim-2026-default"],
        ):
            assert cli.main(args) == cli.EXIT_OK
            assert "sim-2026-default" in capsys.readouterr().out
        assert db.read_bytes() == before
        # SQLite's own files may appear beside it (root may create them), nothing else.
        assert {p.name for p in folder.iterdir()} <= {"shop.db", "shop.db-wal", "shop.db-shm"}
    finally:
        folder.chmod(0o755)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to run the command line as an unprivileged user",
)
def test_e2e_read_only_directory_as_an_unprivileged_user(demo_db: Path) -> None:
    """As a user who cannot write the file nor its directory (as on a read-only mount), report,
    stats and history work; the WAL database is opened immutable since SQLite cannot create its
    shared-memory file there."""
    folder = Path(tempfile.mkdtemp(prefix="sms-ro-"))
    # The unprivileged user must reach the interpreter, the installed package and its
    # dependencies: a checkout in a private directory (mktemp's 0700) is searchable by its owner
    # only. Lend "others" the search permission on each ancestor that lacks it, for this test.
    lent: dict[Path, int] = {}
    for place in (Path(sms_campaign_stats.__file__).resolve(), Path(sys.prefix).resolve()):
        for ancestor in place.parents:
            mode = ancestor.stat().st_mode
            if not mode & stat.S_IXOTH and ancestor not in lent:
                lent[ancestor] = mode
                ancestor.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
    try:
        db = folder / "shop.db"
        db.write_bytes(demo_db.read_bytes())
        db.chmod(0o444)
        folder.chmod(0o555)
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        import_args = ["--db", str(db), "--provider", "vonage", str(DATA / "cli_brevo.jsonl")]
        for args in (["stats"], ["report"], ["history", "--campaign", "sim-2026-default"]):
            result = subprocess.run(
                [*nobody, sys.executable, "-m", "sms_campaign_stats", *args, "--db", str(db)],
                capture_output=True,
                text=True,
                cwd=folder,
                timeout=120,
                check=False,
            )
            assert (result.returncode, result.stderr) == (0, ""), result.stderr
            assert "sim-2026-default" in result.stdout
        writable = subprocess.run(
            [*nobody, sys.executable, "-m", "sms_campaign_stats", "import-events", *import_args],
            capture_output=True,
            text=True,
            cwd=folder,
            timeout=120,
            check=False,
        )
        assert writable.returncode == cli.EXIT_STORAGE  # import-events writes: refused
        no_traceback(writable)
    finally:
        for ancestor, mode in lent.items():
            ancestor.chmod(stat.S_IMODE(mode))
        folder.chmod(0o755)
        shutil.rmtree(folder)


# in-process: check-number -----------------------------------------------------------------------


def test_check_number_allowed_and_not_now(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check-number", "06 12 34 56 78", "--region", "FR", "--at", MONDAY_NOON]) == 0
    out = capsys.readouterr().out
    assert "Valid         yes: +33612345678" in out
    assert "Rule          fr-af2m-2024: mon-sat 08:00-22:00" in out
    code = cli.main(["check-number", "+33", "6", "12345678", "--at", "2026-05-09T22:30+02:00"])
    assert code == cli.EXIT_NOT_NOW
    out = capsys.readouterr().out
    assert "Number        +33 6 12345678" in out
    assert "At            2026-05-09 20:30 UTC (Saturday)" in out
    assert "not allowed at that time" in out
    assert all(len(line) <= 100 for line in out.splitlines())


def test_check_number_subdivision_many_zones_and_no_rule(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli.main(
        ["check-number", "+12125550123", "--subdivision", "TX", "--at", "2026-05-11T02:00Z"]
    )
    assert code == cli.EXIT_NOT_NOW
    out = capsys.readouterr().out
    assert "us-tcpa: mon-sun 08:00-21:00; and us-tx:" in out
    assert "Monday 2026-05-11 09:00 EDT in America/New_York" in out
    assert cli.main(["check-number", "+79123456789", "--at", SATURDAY_NIGHT]) == 0
    out = capsys.readouterr().out
    assert "(and 13 more zones)" in out
    assert "no send-time rule is known for RU" in out
    assert cli.main(["check-number", "+33612345678", "--zone", "Europe/Paris"]) in (0, 6)
    capsys.readouterr()


def test_check_number_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check-number", "+33142685300"]) == cli.EXIT_REFUSED
    captured = capsys.readouterr()
    assert "Valid         no: landline_number" in captured.out
    assert "E.164         +33142685300" in captured.out
    assert "cannot receive an SMS: line type fixed_line is not accepted" in captured.err
    assert cli.main(["check-number", "0612"]) == cli.EXIT_REFUSED
    captured = capsys.readouterr()
    assert "E.164" not in captured.out
    assert "no known country code" in captured.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "yesterday"], "is not an ISO 8601 time"),
        (["--at", "2026-05-09"], "has no UTC offset"),
        (["--region", "XYZ"], "--region: 'XYZ' is not a two-letter region code"),
        (["--zone", "Mars/Olympus"], "'Mars/Olympus' is not an IANA time zone name"),
    ],
)
def test_check_number_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check-number", "+33612345678", *args]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


# in-process: import-events ---------------------------------------------------------------------


def import_events(db: Path, provider: str, path: Path, *extra: str) -> tuple[int, str, list[str]]:
    """Run import-events in-process: (exit status, stdout, stderr lines)."""
    capture_out, capture_err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = capture_out, capture_err
    try:
        code = cli.main(
            ["import-events", "--db", str(db), "--provider", provider, *extra, str(path)]
        )
    finally:
        sys.stdout, sys.stderr = saved
    return code, capture_out.getvalue(), capture_err.getvalue().splitlines()


def test_import_vonage_in_batches(tmp_path: Path) -> None:
    db = make_db(tmp_path / "v.db", ["V1", "V2", "V3", "V5"])
    path = DATA / "cli_vonage_mixed.jsonl"
    code, out, err = import_events(db, "vonage", path, "--batch-size", "2")
    assert code == cli.EXIT_BAD_LINES
    assert [line.split(": ")[0].rsplit(":", 1)[1] for line in err] == ["5", "6", "7"]
    assert "intermediate (nothing to change)" in out
    assert figures(db) == {"delivered": 2, "soft": 0, "hard": 1, "processing": 1}
    assert "Engine actions (this command sends nothing" in out
    assert "BlockRecipient 1" in out  # the hard bounce's block, already stored
    code, out, _ = import_events(db, "vonage", path, "--batch-size", "2")
    assert "3  late (ignored" in out
    assert figures(db) == {"delivered": 2, "soft": 0, "hard": 1, "processing": 1}


def test_import_twilio_csv(tmp_path: Path) -> None:
    db = make_db(tmp_path / "t.db", ["T1", "T2", "T4"])
    code, out, err = import_events(db, "twilio", DATA / "cli_twilio.csv")
    assert code == cli.EXIT_BAD_LINES
    assert err[0].endswith("cli_twilio.csv:5: 4 fields, the header has 3")
    assert "1 field," not in "".join(err)
    assert err[1].endswith(
        "cli_twilio.csv:6: malformed delivery report: Twilio status callback: no MessageSid"
    )
    assert len(err) == 2
    assert "6 rows read (1 blank), 3 reports, 2 bad rows" in out
    assert "RetryMessage 1" in out  # 30003: the handset was unreachable, retry later
    assert figures(db) == {"delivered": 1, "soft": 0, "hard": 0, "processing": 2}
    _, out, _ = import_events(db, "twilio", DATA / "cli_twilio.csv")
    assert "1  already applied (ignored)" in out  # T1
    assert "1  late (ignored" in out  # T2: that attempt failed, a retry is to come
    assert figures(db) == {"delivered": 1, "soft": 0, "hard": 0, "processing": 2}


@pytest.mark.parametrize(
    ("provider", "name", "ids", "bad", "delivered"),
    [
        ("infobip", "cli_infobip.jsonl", ["I1", "I2", "I3", "I4"], [3], 3),
        ("smpp", "cli_smpp.jsonl", ["S1", "S2", "S3"], [4], 3),
        ("kannel", "cli_kannel.csv", ["K1", "K2"], [4], 1),
        ("brevo", "cli_brevo.jsonl", ["B1", "B2", "B3"], [], 3),
    ],
)
def test_import_every_provider(
    tmp_path: Path, provider: str, name: str, ids: list[str], bad: list[int], delivered: int
) -> None:
    db = make_db(tmp_path / "p.db", ids)
    code, _, err = import_events(db, provider, DATA / name)
    assert code == (cli.EXIT_BAD_LINES if bad else 0)
    assert [int(line.split(": ")[0].rsplit(":", 1)[1]) for line in err] == bad
    assert figures(db)["delivered"] == delivered


def test_import_wrong_payload_types(tmp_path: Path) -> None:
    db = make_db(tmp_path / "w.db", ["X1"])
    lines = tmp_path / "types.jsonl"
    lines.write_text('[1]\n"id:X1"\n{"results": 3}\n', encoding="utf-8")
    _, _, err = import_events(db, "kannel", lines)
    assert "expected an object with 'value'" in err[0]
    _, _, err = import_events(db, "smpp", lines)
    assert "expected a receipt text or an object with 'text', got a list" in err[0]
    _, _, err = import_events(db, "infobip", lines)
    assert "got a list" in err[0]
    assert "expected fields" in err[1] or "Infobip result" in err[1]
    lines.write_text("null\ntrue\n", encoding="utf-8")
    _, _, err = import_events(db, "vonage", lines)
    assert ["got null" in err[0], "got a boolean" in err[1]] == [True, True]


def test_import_input_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = make_db(tmp_path / "i.db", ["V1"])
    other = tmp_path / "events.txt"
    other.write_text("", encoding="utf-8")
    assert import_events(db, "vonage", other)[0] == cli.EXIT_USAGE
    code, out, _ = import_events(db, "vonage", other, "--input-format", "csv")
    assert code == 0
    assert "0 rows read (0 blank), 0 reports, 0 bad rows" in out
    headless = tmp_path / "headless.csv"
    headless.write_bytes(b"\nV1,delivered,0\n")
    code, _, err = import_events(db, "vonage", headless)
    assert code == cli.EXIT_USAGE
    assert err == [f"sms-campaign-stats import-events: {headless}:1: expected the CSV header row"]
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    code, _, err = import_events(db, "vonage", folder)
    assert code == cli.EXIT_STORAGE
    assert "cannot read" in err[0]
    code, _, err = import_events(tmp_path / "nope.db", "vonage", DATA / "cli_brevo.jsonl")
    assert code == cli.EXIT_NOT_FOUND


# in-process: errors in general, progress bars ------------------------------------------------


class _ClosedPipe(io.StringIO):
    def __init__(self, fileno: Callable[[], int]) -> None:
        super().__init__()
        self._fileno = fileno

    def write(self, text: str) -> int:
        raise BrokenPipeError

    def fileno(self) -> int:
        return self._fileno()


def test_broken_pipe_in_process(
    tmp_path: Path, demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = os.open(tmp_path / "sink", os.O_WRONLY | os.O_CREAT)
    try:
        monkeypatch.setattr(sys, "stdout", _ClosedPipe(lambda: sink))
        assert cli.main(["stats", "--db", str(demo_db)]) == cli.EXIT_BROKEN_PIPE

        def unsupported() -> int:
            raise io.UnsupportedOperation("fileno")

        monkeypatch.setattr(sys, "stdout", _ClosedPipe(unsupported))
        assert cli.main(["stats", "--db", str(demo_db)]) == cli.EXIT_BROKEN_PIPE
    finally:
        os.close(sink)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_demo_and_import_draw_bars_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    screen = _Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    assert cli.main(["demo", "--db", str(tmp_path / "t.db"), "--recipients", "40"]) == 0
    assert "messages settled" in screen.getvalue()
    db = make_db(tmp_path / "v.db", ["V1", "V2", "V3", "V5"])
    assert (
        cli.main(
            [
                "import-events",
                "--db",
                str(db),
                "--provider",
                "vonage",
                str(DATA / "cli_vonage_mixed.jsonl"),
            ]
        )
        == cli.EXIT_BAD_LINES
    )
    assert "reading" in screen.getvalue()
    capsys.readouterr()


# issue 15: e-mail, languages, help, plurals, region codes --------------------------------------


def test_report_as_an_email_ready_to_send(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--format email --output X.eml``: a whole message (Date, Message-ID, From, To, Subject),
    CRLF line ends, text and HTML in the chosen language, the CSV files attached."""
    target = tmp_path / "report.eml"
    code = cli.main(
        [
            "report",
            "--db",
            str(demo_db),
            "--format",
            "email",
            "--to",
            "ops@example.com",
            "--to",
            "Ana <ana@example.com>",
            "--from",
            "reports@shop.example",
            "--locale",
            "fr",
            "--output",
            str(target),
        ]
    )
    assert cli.EXIT_OK == code, capsys.readouterr().err
    data = target.read_bytes()
    assert b"\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    for header in ("Date", "Message-ID", "From", "To", "Subject"):
        assert message[header], header
    assert message["Message-ID"].endswith("@shop.example>")
    assert ["ops@example.com", "ana@example.com"] == [a.addr_spec for a in message["To"].addresses]
    assert message["Subject"].startswith("Rapport de campagne : Simulated campaign (default)")
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert "Délivrés" in plain.get_content()
    assert '<html lang="fr">' in html.get_content()
    names = [part.get_filename() for part in message.iter_attachments()]
    assert ["summary.csv", "lists.csv", "bounce_reasons.csv", "history.csv"] == names
    assert "wrote" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--format", "email"], "--format email needs --to and --from"),
        (["--format", "email", "--to", "a@x.example"], "--format email needs --from"),
        (["--to", "a@x.example"], "--to: only with --format email"),
        (["--format", "email", "--to", "nobody", "--from", "r@x.example"], "--to: "),
        (["--format", "email", "--to", "a@x.example", "--from", "me"], "--from: "),
        (["--locale", "de"], "'de' is not a language of the reports: en, fr"),
    ],
)
def test_email_and_locale_errors_name_the_option(
    extra: list[str], expected: str, demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing or bad address, or an unknown language: usage error naming the option."""
    assert cli.EXIT_USAGE == cli.main(["report", "--db", str(demo_db), *extra])
    err = capsys.readouterr().err
    assert expected in err
    assert "to_email" not in err
    assert 1 == len(err.strip().splitlines())


@pytest.mark.parametrize("command", ["report", "stats", "history"])
@pytest.mark.parametrize("locale", ["fr", "FR", "fr_FR"])
def test_locale_on_report_stats_history(
    command: str, locale: str, demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--locale fr`` (any case) renders in French; the default is English."""
    base = [command, "--db", str(demo_db)]
    if command == "history":
        base += ["--campaign", "sim-2026-default"]
    assert cli.EXIT_OK == cli.main([*base, "--locale", locale])
    french = capsys.readouterr().out
    assert cli.EXIT_OK == cli.main(base)
    english = capsys.readouterr().out
    word = {"report": "Destinataires", "stats": "Destinataires", "history": "Historique"}[command]
    assert word in french
    assert word not in english


@pytest.mark.parametrize("command", ["report", "stats"])
def test_pricing_on_report_and_stats(
    command: str, demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The cost counts every submission by default (retries billed: more than the messages
    sent); ``--pricing per_message_sent`` counts each message sent once; anything else is a
    usage error (issue 15)."""
    base = [command, "--db", str(demo_db), "--format", "json"]
    assert cli.EXIT_OK == cli.main(base)
    default = json.loads(capsys.readouterr().out)
    assert cli.EXIT_OK == cli.main([*base, "--pricing", "per_message_sent"])
    per_message = json.loads(capsys.readouterr().out)
    if command == "report":
        assert "per_submission" == default["cost"]["pricing"]
        assert "per_message_sent" == per_message["cost"]["pricing"]
        totals = default["totals"]
        assert totals["submissions"] == totals["sent"] + totals["retries"]
        price = Decimal(default["cost"]["unit_price"])
        assert price * totals["segments_submitted"] == Decimal(default["cost"]["sent"])
        assert price * totals["segments_sent"] == Decimal(per_message["cost"]["sent"])
    else:
        assert "per_message_sent" == per_message["totals"]["pricing"]
        assert default["totals"]["cost"] != per_message["totals"]["cost"] or (
            0 == default["totals"]["retries"]
        )
    assert cli.EXIT_USAGE == cli.main([*base, "--pricing", "per_sms"])
    assert "--pricing" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "codes"),
    [
        ("demo", [0, 2, 4, 141]),
        ("report", [0, 2, 3, 4, 141]),
        ("stats", [0, 2, 3, 4, 141]),
        ("history", [0, 2, 3, 4, 141]),
        ("check-number", [0, 1, 2, 6, 141]),
        ("import-events", [0, 2, 3, 4, 5, 141]),
    ],
)
def test_each_help_lists_its_own_exit_codes(
    command: str, codes: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    """A command's --help lists the statuses it can end with, not the whole table."""
    assert cli.EXIT_OK == cli.main([command, "--help"])
    out = capsys.readouterr().out
    epilog = out[out.index("exit status:") :]
    listed = [int(line.split()[0]) for line in epilog.splitlines()[1:] if line[:4].strip()]
    assert codes == listed
    assert "check-number:" not in epilog
    assert "import-events:" not in epilog


def test_region_codes_in_any_case_and_errors_name_the_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--region fr`` is FR; a national number without it asks for ``--region``."""
    args = ["check-number", "06 12 34 56 78", "--at", MONDAY_NOON]
    assert cli.EXIT_OK == cli.main([*args, "--region", "fr"])
    assert "+33612345678" in capsys.readouterr().out
    assert cli.EXIT_REFUSED == cli.main(args)
    captured = capsys.readouterr()
    assert "--region" in captured.err
    assert "default_region" not in captured.err + captured.out
    assert cli.EXIT_USAGE == cli.main(["check-number", "+33612345678", "--zone", "Nowhere/Zone"])
    assert capsys.readouterr().err.startswith("sms-campaign-stats check-number: --zone: ")


def test_plurals_in_messages(tmp_path: Path) -> None:
    """One line, one report: singular words (issue 15: "1 fields", "1 messages")."""
    db = make_db(tmp_path / "one.db", ["V1"])
    source = tmp_path / "one.jsonl"
    source.write_text('{"messageId": "V1", "status": "delivered"}\n', encoding="utf-8")
    code, out, _ = import_events(db, "vonage", source)
    assert cli.EXIT_OK == code
    assert "1 line read (0 blank), 1 report, 0 bad lines" in out


def test_docs_list_every_exit_code_and_command() -> None:
    page = (Path(__file__).parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    for code in cli.EXIT_CODES:
        assert f"| {code} |" in page
    for command in COMMANDS:
        assert f"## `{command}`" in page


def test_e2e_import_events_from_standard_input(tmp_path: Path) -> None:
    """``-`` reads the reports from standard input (JSON lines by default, CSV when asked)."""
    db = make_db(tmp_path / "stdin.db", ["V1", "V2", "T1"])
    command = [sys.executable, "-m", "sms_campaign_stats", "import-events", "--db", str(db)]
    lines = '{"messageId": "V1", "status": "delivered"}\nnot json\n'
    piped = subprocess.run(
        [*command, "--provider", "vonage", "-"],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert cli.EXIT_BAD_LINES == piped.returncode
    assert piped.stderr.startswith("<stdin>:2: ")
    assert "<stdin>: 2 lines read (0 blank), 1 report, 1 bad line" in piped.stdout
    rows = "MessageSid,MessageStatus\nT1,delivered\n"
    as_csv = subprocess.run(
        [*command, "--provider", "twilio", "--input-format", "csv", "-"],
        input=rows,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (0, "") == (as_csv.returncode, as_csv.stderr)
    assert 2 == figures(db)["delivered"]


def test_import_events_from_standard_input_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = make_db(tmp_path / "stdin.db", ["V1"])
    stdin = io.TextIOWrapper(io.BytesIO(b'{"messageId": "V1", "status": "delivered"}\n'))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert 0 == cli.main(["import-events", "--db", str(db), "--provider", "vonage", "-"])
    assert "<stdin>: 1 line read" in capsys.readouterr().out
    assert 1 == figures(db)["delivered"]


@pytest.mark.parametrize("delay", [0.15, 0.22, 0.3, 0.45])
def test_e2e_ctrl_c_while_the_library_loads_is_one_line(delay: float, tmp_path: Path) -> None:
    """Ctrl-C at any moment of the start, the library's imports included, ends with one line
    and status 130 (or, once the command has run, its own status): never a traceback. (Only
    the interpreter's own first milliseconds, before any of our code, are out of reach.)"""
    process = subprocess.Popen(
        [sys.executable, "-m", "sms_campaign_stats", "stats", "--db", str(tmp_path / "no.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert "Traceback" not in err, err
    # After the command's own end, the signal may find the interpreter shutting down: killed
    # by it, silently (-SIGINT), which is no traceback either.
    assert process.returncode in (cli.EXIT_INTERRUPTED, cli.EXIT_NOT_FOUND, -signal.SIGINT), err
    if process.returncode == cli.EXIT_INTERRUPTED:
        assert "sms-campaign-stats: interrupted\n" == err


@pytest.mark.parametrize("at", ["9998-12-31T00:00Z", "0001-01-01T00:00Z"])
def test_check_number_at_the_ends_of_the_calendar_is_a_typed_error(
    at: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``check-number --at`` near year 1 or 9999: a usage error of one line, never an
    OverflowError (the search for the next allowed time must end inside the calendar)."""
    assert cli.EXIT_USAGE == cli.main(["check-number", "+33612345678", "--at", at])
    err = capsys.readouterr().err
    assert "too close to the ends of the calendar" in err
    assert "Traceback" not in err
