"""A ``DeliveryReport`` checks its own fields, and every parser bounds every field it accepts
(issue 13, item 4): a report built directly is held to what the parsers ensure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_campaign_stats import (
    CampaignEngine,
    InMemoryStorage,
    SQLiteStorage,
    parse_kannel_dlr,
    parse_smpp_receipt,
)
from sms_campaign_stats.errors import MalformedReportError, ValidationError
from sms_campaign_stats.providers import (
    MAX_NESTING,
    MAX_PAYLOAD_BYTES,
    DeliveryReport,
    ErrorCode,
    ErrorNamespace,
    parse_smpp_submit_error,
)
from sms_campaign_stats.storage import StorageBase

NOW = datetime(2026, 3, 3, 9, tzinfo=timezone.utc)
TEN_MB = "x" * 10_000_000


def deep(levels: int) -> dict[str, Any]:
    """``{"a": {"a": ... {}}}`` nested ``levels`` deep, built without recursion."""
    root: dict[str, Any] = {}
    node = root
    for _ in range(levels):
        node["a"] = {}
        node = node["a"]
    return root


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StorageBase]:
    storage: StorageBase = (
        InMemoryStorage() if request.param == "memory" else SQLiteStorage(tmp_path / "r.db")
    )
    yield storage
    storage.close()


def report(**fields: Any) -> DeliveryReport:
    values: dict[str, Any] = {"provider": "acme", "provider_message_id": "p-1", "status": "ok"}
    values.update(fields)
    return DeliveryReport(**values)


def test_3000_deep_details_are_refused_and_nothing_is_stored(store: StorageBase) -> None:
    """The issue's first reproduction: it reached SQLite and raised RecursionError."""
    engine = CampaignEngine(store)
    with pytest.raises(ValidationError, match="nested") as raised:
        engine.handle(report(details=deep(3000)), NOW)
    assert "DeliveryReport.details" == raised.value.field
    assert [] == store.orphans(["p-1"])
    with pytest.raises(MalformedReportError):
        DeliveryReport.from_dict({**report().to_dict(), "details": deep(3000)})


@pytest.mark.parametrize("name", ["provider_message_id", "status", "provider"])
def test_10_mb_ids_and_statuses_are_refused_and_nothing_is_stored(
    store: StorageBase, name: str
) -> None:
    """The issue's second reproduction: a 10 MB provider id or status was stored as an orphan."""
    engine = CampaignEngine(store)
    with pytest.raises(ValidationError) as raised:
        engine.handle(report(**{name: TEN_MB}), NOW)
    assert f"DeliveryReport.{name}" == raised.value.field
    with pytest.raises(ValidationError):
        engine.handle_many([report(**{name: TEN_MB})], NOW)
    assert [] == store.orphans(["p-1", TEN_MB])


def test_kannel_10_mb_smsc_reply_is_refused() -> None:
    """The issue's third reproduction: the 10 MB %A text was kept in the report."""
    with pytest.raises(MalformedReportError, match="larger"):
        parse_kannel_dlr("1", smsc_reply=TEN_MB, message_id="m1")
    with pytest.raises(MalformedReportError, match="larger"):
        parse_kannel_dlr("1", smsc_reply=TEN_MB.encode())
    assert "m1" == parse_kannel_dlr("1", smsc_reply="x" * 1000, message_id="m1").provider_message_id


def test_parser_arguments_are_bounded_like_payload_fields() -> None:
    """The SMPP parsers' own arguments that become report fields: bounded names."""
    with pytest.raises(MalformedReportError):
        parse_smpp_submit_error(0x58, provider_message_id=TEN_MB)
    with pytest.raises(MalformedReportError):
        parse_smpp_submit_error(0x58, provider=TEN_MB)
    with pytest.raises(MalformedReportError):
        parse_smpp_receipt("id:1 stat:DELIVRD err:000", provider=TEN_MB)
    assert "p" == parse_smpp_submit_error(0x58, provider_message_id="p").provider_message_id


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"provider": None}, "provider"),
        ({"provider": 5}, "provider"),
        ({"provider_message_id": b"p"}, "provider_message_id"),
        ({"provider_message_id": "p" * 257}, "provider_message_id"),
        ({"status": "s" * 257}, "status"),
        ({"submitted_text": "1" * (MAX_PAYLOAD_BYTES + 1)}, "submitted_text"),
        ({"done_text": "\u00e9" * (MAX_PAYLOAD_BYTES // 2 + 1)}, "done_text"),  # UTF-8 bytes
        ({"done_text": 2401010000}, "done_text"),
        ({"error": ErrorCode(ErrorNamespace.PROVIDER, TEN_MB)}, "error"),
        ({"error": "27"}, "error"),
        ({"times_in_utc": "yes"}, "times_in_utc"),
        ({"intermediate": 1}, "intermediate"),
        ({"segments_submitted": -1}, "segments_submitted"),
        ({"segments_delivered": 10**400}, "segments_delivered"),
        ({"segments_delivered": True}, "segments_delivered"),
        ({"details": {"a": TEN_MB}}, "details"),
        ({"details": {"a": ["x" * 1000] * 100}}, "details"),
        ({"details": {5: "x"}}, "details"),
        ({"details": "a=b"}, "details"),
        ({"details": deep(MAX_NESTING + 1)}, "details"),
    ],
)
def test_every_field_is_checked(fields: dict[str, Any], name: str) -> None:
    with pytest.raises(ValidationError) as raised:
        report(**fields)
    assert f"DeliveryReport.{name}" == raised.value.field


def test_reports_within_the_bounds_are_built() -> None:
    built = report(
        status=None,
        provider_message_id="p" * 256,
        done_text="1" * MAX_PAYLOAD_BYTES,
        details=deep(MAX_NESTING - 1),
        segments_submitted=999_999_999,
    )
    assert DeliveryReport.from_dict(built.to_dict()) == built


@given(
    st.dictionaries(
        st.sampled_from(
            ["provider", "provider_message_id", "status", "submitted_text", "done_text"]
        ),
        st.none() | st.integers() | st.text(max_size=300) | st.binary(max_size=5),
    ),
    st.recursive(
        st.none() | st.text(max_size=20) | st.integers(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=30,
    ),
)
def test_any_fields_build_a_report_or_a_validation_error(fields: Any, details: Any) -> None:
    field = None
    try:
        built = report(**fields, details={"d": details})
    except ValidationError as error:
        field = error.field
    if field is not None:
        assert field.startswith("DeliveryReport.")
    else:
        assert DeliveryReport.from_dict(built.to_dict()) == built
