"""The command line on PostgreSQL: every ``--db`` takes a ``postgresql://`` URL, ``demo`` runs
there, and a password in the URL is never echoed (issue 14, point 5)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from sms_campaign_stats import cli
from sms_campaign_stats.testing import TemporaryPostgres


@pytest.fixture
def database(postgres_server: TemporaryPostgres) -> str:
    """A new, empty database of its own (the command line uses the default schema)."""
    return postgres_server.create_database(f"cli{uuid.uuid4().hex}")


def test_demo_then_report_stats_history(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo on PostgreSQL gives the very report the same demo gives on SQLite."""
    assert 0 == cli.main(["demo", "--db", database, "--recipients", "200", "--seed", "7"])
    out = capsys.readouterr().out
    assert "as campaign 'sim-7-default'" in out
    assert f"report --db {database} --campaign sim-7-default" in out
    assert 0 == cli.main(["report", "--db", database, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert "sim-7-default" == report["campaign"]["id"]
    sqlite = str(tmp_path / "demo.db")
    assert 0 == cli.main(["demo", "--db", sqlite, "--recipients", "200", "--seed", "7"])
    capsys.readouterr()
    assert 0 == cli.main(["report", "--db", sqlite, "--format", "json"])
    assert json.loads(capsys.readouterr().out) == report
    assert 0 == cli.main(["stats", "--db", database])
    assert "sim-7-default" in capsys.readouterr().out
    assert 0 == cli.main(["history", "--db", database, "--campaign", "sim-7-default"])
    assert "completed" in capsys.readouterr().out
    # The same demo again: refused, nothing written; the store still holds one campaign.
    assert 4 == cli.main(["demo", "--db", database, "--recipients", "200", "--seed", "7"])
    assert "already holds the demo campaign 'sim-7-default'" in capsys.readouterr().err


def test_reading_commands_never_create_a_schema(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``report`` on a database without our schema: one line and status 4, nothing created."""
    assert 4 == cli.main(["report", "--db", database])
    err = capsys.readouterr().err
    assert 1 == len(err.strip().splitlines())
    assert 0 == cli.main(["demo", "--db", database, "--recipients", "50"])  # it was not created
    capsys.readouterr()


def test_a_password_is_never_echoed(
    postgres_server: TemporaryPostgres, capsys: pytest.CaptureFixture[str]
) -> None:
    """A URL with a password that cannot connect: one line, status 4, the password hidden."""
    url = f"postgresql://someone:s3cr3t@127.0.0.1:{postgres_server.port}/nowhere"
    assert 4 == cli.main(["stats", "--db", url])
    err = capsys.readouterr().err
    assert "s3cr3t" not in err
    assert 1 == len(err.strip().splitlines())
    assert 4 == cli.main(["report", "--db", "postgresql://a:s3cr3t@127.0.0.1:1/x"])
    assert "s3cr3t" not in capsys.readouterr().err


def test_an_output_file_is_not_mistaken_for_the_database(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert 0 == cli.main(["demo", "--db", database, "--recipients", "30", "--seed", "3"])
    capsys.readouterr()
    output = f"{tmp_path}/report.txt"
    assert 0 == cli.main(["report", "--db", database, "--output", output])
    with open(output, encoding="utf-8") as written:
        assert "sim-3-default" in written.read()
