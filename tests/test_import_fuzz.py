"""Bulk import of delivery reports never crashes, whatever the file holds: every line is either
applied or reported bad with its line number, and re-importing counts nothing twice."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sms_campaign_stats import cli

from .test_cli import figures, make_db

PROVIDERS = ["smpp", "twilio", "vonage", "brevo", "kannel", "infobip"]
IDS = ["F1", "F2", "F3"]

# Lines that look like reports, broken ones, and noise: JSON values of every type, provider-ish
# objects with hostile field values, bytes that are not UTF-8, very long lines.
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from([*IDS, "delivered", "failed", "DELIVRD", "UNDELIV", "30003", "2"]),
)
objects = st.dictionaries(
    st.sampled_from(
        [
            "messageId",
            "status",
            "err-code",
            "MessageSid",
            "MessageStatus",
            "ErrorCode",
            "message-id",
            "event",
            "reason",
            "text",
            "value",
            "message_id",
            "results",
            "x",
        ]
    ),
    values,
    max_size=5,
)
json_lines = st.one_of(objects, values, st.lists(values, max_size=3)).map(
    lambda v: json.dumps(v).encode()
)
raw_lines = st.one_of(
    json_lines,
    st.binary(max_size=40),
    st.sampled_from([b"", b"   ", b"{", b"\xff\xfe", b"id:F1 stat:DELIVRD err:000", b"a" * 5000]),
)


def _run(db: Path, provider: str, path: Path) -> tuple[int, list[str]]:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = cli.main(["import-events", "--db", str(db), "--provider", provider, str(path)])
    finally:
        sys.stdout, sys.stderr = saved
    return code, err.getvalue().splitlines()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_db(tmp_path_factory.mktemp("import-fuzz") / "template.db", IDS)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    provider=st.sampled_from(PROVIDERS),
    lines=st.lists(raw_lines, min_size=1, max_size=12),
    as_csv=st.booleans(),
)
def test_any_file_is_imported_or_refused_line_by_line(
    template: Path, tmp_path: Path, provider: str, lines: list[bytes], as_csv: bool
) -> None:
    db = tmp_path / f"{provider}.db"
    shutil.copy(template, db)
    path = tmp_path / ("events.csv" if as_csv else "events.jsonl")
    path.write_bytes(b"\n".join(lines) + b"\n")
    before = figures(db)
    code, errors = _run(db, provider, path)
    if code == cli.EXIT_USAGE:  # a CSV file must start with its header row: nothing applied
        assert as_csv
        assert ["expected the CSV header row"] == [e[-27:] for e in errors]
        assert before == figures(db)
        return
    assert code in (0, cli.EXIT_BAD_LINES), errors
    reported = [int(line.split(": ")[0].rsplit(":", 1)[1]) for line in errors]
    assert reported == sorted(reported), errors  # each bad line named, in file order
    # A line is what ends in b"\n" (the reader splits bytes on it alone); a generated "line"
    # may itself hold b"\n", so count the file's lines, not the list's items.
    in_file = path.read_bytes().count(b"\n")
    assert all(1 <= number <= in_file for number in reported), errors
    assert (code == 0) == (not errors)
    once = figures(db)
    assert (code, errors) == _run(db, provider, path)  # the same file again
    assert once == figures(db)  # ... applies nothing twice
