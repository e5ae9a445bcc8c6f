"""Hostile input to every public entry point that takes outside data.

For any input: a valid result or the documented typed error (``sms_campaign_stats.errors``),
within a time bound; never a crash, a hang or an untyped exception (a ``TypeError``,
``ValueError``, ``OverflowError``, ``RecursionError``... escaping is a finding). Each finding is
kept below as an explicit regression case. The bounds are listed in docs/fuzzing.md; the
coverage-guided harnesses under fuzz/ are replayed over their seed corpus at the end.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sms_campaign_stats import (
    Campaign,
    CampaignEngine,
    InMemoryStorage,
    Message,
    SQLiteStorage,
    ThresholdPolicy,
    ValidationError,
    check_number,
    classify,
    parse_brevo_event,
    parse_infobip_result,
    parse_kannel_dlr,
    parse_smpp_receipt,
    parse_twilio_callback,
    parse_vonage_receipt,
)
from sms_campaign_stats.engine import StopWords
from sms_campaign_stats.errors import (
    DeferralHorizonError,
    MalformedReportError,
    SmsCampaignStatsError,
)
from sms_campaign_stats.lifecycle import TimelineKind
from sms_campaign_stats.model import Reply, TimelineEvent, Unsubscribe
from sms_campaign_stats.phone_numbers import build_recipients, check_numbers
from sms_campaign_stats.providers import MAX_NESTING, DeliveryReport, parse_smpp_submit_error
from sms_campaign_stats.quiet_hours import (
    CountryRule,
    HolidayCalendar,
    Source,
    WeeklySchedule,
    Window,
)
from sms_campaign_stats.retry import (
    Throttle,
    jitter_from_id,
    stop_after,
    stop_after_retries,
    wait_exponential,
    wait_fixed,
    wait_schedule,
)
from sms_campaign_stats.suspension import WilsonPolicy

R = TypeVar("R")
UTC = timezone.utc
T0 = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
BOUND_SECONDS = 0.5
ROOT = Path(__file__).resolve().parent.parent

HUGE_INT = 10**5000  # more digits than int -> str may write: repr() raises ValueError
SQL = "'); DROP TABLE messages; --"
# (a strategy holding HUGE_INT directly could not even be repr'd by hypothesis)
huge = st.sampled_from([1, -1]).map(lambda sign: sign * HUGE_INT)
RTL, ZWSP = "\u202e", "\u200b"


def bounded(
    call: Callable[[], R],
    errors: tuple[type[BaseException], ...] = (ValidationError,),
    seconds: float = BOUND_SECONDS,
) -> R | None:
    """``call()``'s result, or ``None`` when it raised one of the documented ``errors``; in time.

    Anything else propagates and fails the test: that is a finding."""
    start = time.perf_counter()
    refusal: BaseException | None = None
    try:
        result: R | None = call()
    except errors as error:
        refusal, result = error, None
    assert time.perf_counter() - start < seconds
    if refusal is not None:
        assert isinstance(refusal, SmsCampaignStatsError)
        assert str(refusal)  # a refusal says what was wrong
    return result


# -- delivery reports --------------------------------------------------------------------------

# Values that tripped the parsers: digits isdigit() accepts and int() refuses, numbers too long
# for int <-> str, nesting deeper than the recursion limit, oversized texts.
nasty_digits = st.sampled_from(["\u00b2", "\u2460", "\u0663", "\uff11", "1" * 5000, "0" * 30])
nasty_scalars = (
    st.sampled_from([2**200, math.nan, math.inf, True, b"\xff\xfe"])
    | huge
    | nasty_digits
    | st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from([RTL, ZWSP, "\x00"]))
)
FIELDS = [
    "MessageSid",
    "MessageStatus",
    "ErrorCode",
    "NumSegments",
    "RawDlrDoneDate",
    "messageId",
    "status",
    "err-code",
    "scts",
    "event",
    "reason",
    "date",
    "smsCount",
    "sentAt",
    "doneAt",
]
nasty_forms = st.dictionaries(st.sampled_from(FIELDS), nasty_scalars, max_size=6)
nasty_receipts = st.lists(
    st.sampled_from(["id:", " sub:", " dlvrd:", " submit date:", " done date:", " stat:", " err:"])
    | nasty_digits
    | st.sampled_from(["DELIVRD", "UNDELIV", "abc", " text:", RTL, ZWSP, "\u00b2" * 10]),
    max_size=16,
).map("".join)


def deep_mapping(levels: int) -> dict[str, Any]:
    """``{"a": {"a": ... {}}}`` nested ``levels`` deep (built without recursion)."""
    root: dict[str, Any] = {}
    node = root
    for _ in range(levels):
        node["a"] = {}
        node = node["a"]
    return root


DEEP_JSON = '{"a":' * 10_000 + "1" + "}" * 10_000  # 60 kB: under the size bound
DEEP_JSON_LIST = '{"messageId": "1", "status":' + "[" * 30_000 + "]" * 30_000 + "}"
MEGABYTE = "id:1 stat:DELIVRD err:000 text:" + "x" * 1_000_000

PARSERS: dict[str, Callable[[Any], DeliveryReport]] = {
    "smpp": parse_smpp_receipt,
    "submit": parse_smpp_submit_error,
    "twilio": parse_twilio_callback,
    "vonage": parse_vonage_receipt,
    "brevo": parse_brevo_event,
    "kannel": lambda value: parse_kannel_dlr(value, message_id="m1"),
    "kannel-reply": lambda value: parse_kannel_dlr("1", smsc_reply=value),
    "infobip": parse_infobip_result,
}


def use_report(report: DeliveryReport | None) -> None:
    """Everything a caller does with a parsed report must work too."""
    if report is not None:
        classify(report)
        _ = report.done_at, report.submitted_at
        assert DeliveryReport.from_dict(report.to_dict()) == report


def parse(name: str, payload: object) -> None:
    use_report(bounded(lambda: PARSERS[name](payload), (MalformedReportError,)))


# Each finding, kept: (parser, payload). Before the fix each raised the exception in the comment.
DLR_FINDINGS = [
    ("smpp", "id:1 stat:DELIVRD err:\u00b2"),  # ValueError: int('²')
    ("smpp", "id:1 sub:\u00b2 stat:DELIVRD"),  # ValueError: int('²')
    ("smpp", "id:1 stat:DELIVRD err:" + "1" * 5000),  # ValueError: 4300-digit limit
    ("smpp", "id:1 stat:DELIVRD done date:" + "\u00b2" * 10),  # ValueError in done_at
    ("submit", "\u00b2"),  # ValueError: int('²')
    ("submit", HUGE_INT),  # ValueError: repr() in the error message
    ("twilio", {"MessageSid": HUGE_INT, "MessageStatus": "sent"}),  # ValueError: str(int)
    ("twilio", {"MessageSid": "a", "MessageStatus": "failed", "ErrorCode": "\u00b2"}),
    ("twilio", {"MessageSid": "a", "MessageStatus": "sent", "NumSegments": "\u00b2"}),
    ("kannel", "\u00b2"),  # ValueError: int('²')
    ("kannel", HUGE_INT),  # ValueError: str(int)
    ("twilio", DEEP_JSON),  # RecursionError in json.loads
    ("infobip", DEEP_JSON_LIST),  # RecursionError in json.loads
    ("vonage", '{"messageId": "1", "status": "ok", "x": ' + "[" * 40 + "]" * 40 + "}"),
    ("twilio", deep_mapping(10_000)),
    ("infobip", deep_mapping(10_000)),
    ("smpp", MEGABYTE),
    ("smpp", MEGABYTE.encode()),
    ("vonage", "messageId=1&status=ok&" + "a=b&" * 300_000),
    ("brevo", b"\xff\xfe\x00{" * 1000),
    ("kannel-reply", b"id:1 stat:DELIVRD err:\xb2\xb2"),
]


@pytest.mark.parametrize(
    ("name", "payload"), DLR_FINDINGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(DLR_FINDINGS)]
)
def test_dlr_regressions(name: str, payload: object) -> None:
    """Every parser finding, as found."""
    parse(name, payload)


def test_nested_json_text_is_refused_by_the_nesting_bound() -> None:
    """JSON text obeys ``MAX_NESTING`` like a mapping does (it did not: only size was checked)."""
    nested = '{"MessageSid": "SM1", "MessageStatus": "sent", "x": ' + "[" * (MAX_NESTING + 2)
    with pytest.raises(MalformedReportError, match="nested"):
        parse_twilio_callback(nested + "]" * (MAX_NESTING + 2) + "}")
    with pytest.raises(MalformedReportError, match="nested"):
        parse_twilio_callback(DEEP_JSON)


@given(st.sampled_from(sorted(PARSERS)), nasty_forms | nasty_receipts | nasty_scalars)
@example("smpp", "id:1 stat:X " + "sub:" + "9" * 40)
def test_parsers_hostile_values(name: str, payload: object) -> None:
    """Hostile field values, to every parser, as mappings, JSON text and raw text."""
    parse(name, payload)
    if isinstance(payload, dict):
        text = json.dumps({k: v for k, v in payload.items() if not isinstance(v, (bytes, int))})
        parse(name, text)


@given(
    nasty_receipts, st.dictionaries(st.sampled_from(["message_state", "esm_class"]), nasty_scalars)
)
def test_smpp_receipt_hostile_tlvs(text: str, tlvs: dict[str, Any]) -> None:
    """Receipt texts with hostile TLV values."""
    use_report(bounded(lambda: parse_smpp_receipt(text, tlvs=tlvs), (MalformedReportError,)))


# -- phone numbers -----------------------------------------------------------------------------

digits_any_length = st.integers(0, 300).map(
    lambda n: "+" + "1234567890" * (n // 10) + "7" * (n % 10)
)
decorated = st.tuples(
    st.sampled_from(["+33612345678", "0612345678", "+1 202 555 0143", "+44 7700 900123"]),
    st.sampled_from(["", RTL, ZWSP, "\u200f", "\ufeff", "\x00", "\u00b2", "\uff10"]),
    st.integers(0, 12),
).map(lambda t: t[0][: t[2]] + t[1] + t[0][t[2] :])
number_texts = (
    st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from([RTL, ZWSP]), max_size=40)
    | digits_any_length
    | decorated
)
not_strings: st.SearchStrategy[Any] = (
    st.sampled_from([None, 33612345678, 1.5, math.nan, b"+33612345678", []]) | huge
)
regions = st.sampled_from([None, "FR", "US", "fr", "ZZ", "", "\u202eFR", 5, ["FR"]]) | huge


@given(number_texts | not_strings, regions)
@example("+3361234\ud8005678", "FR")  # a lone surrogate
@example(HUGE_INT, None)  # ValueError: repr() in the error message (finding)
@example("1", HUGE_INT)  # ValueError: repr() in the error message (finding)
@example("+" + "1" * 100_000, None)  # a huge string
def test_check_number_any_input(raw: Any, region: Any) -> None:
    """A NumberCheck for every text; ValidationError for a non-string or a bad region."""
    found = bounded(lambda: check_number(raw, default_region=region))
    if found is not None:
        assert found.ok == (found.reason is None)
        assert found.e164 is None or found.e164.startswith("+")


@given(st.lists(number_texts | not_strings, max_size=20), regions)
def test_check_numbers_any_input(raws: list[Any], region: Any) -> None:
    """The batch answers like the single check, or names the bad item."""
    bounded(lambda: check_numbers(raws, default_region=region))


list_keys = st.text(max_size=20) | st.sampled_from([SQL, RTL + "vip", " vip", "", "x" * 300])
list_values = st.lists(number_texts | not_strings, max_size=6) | not_strings | st.just("+3361")


@given(st.dictionaries(list_keys | st.sampled_from([5, b"vip"]) | huge, list_values, max_size=4))
def test_build_recipients_any_input(lists: dict[Any, Any]) -> None:
    """Lists of anything: a RecipientSet or a ValidationError."""
    found = bounded(lambda: build_recipients(lists, default_region="FR"))
    if found is not None:
        assert len({r.e164 for r in found.recipients}) == len(found.recipients)


def test_a_million_duplicates_cost_one_check() -> None:
    """200,000 copies of a few numbers (a million takes ~5x as long, see docs/fuzzing.md)."""
    numbers = ["+33612345678", "06 12 34 56 78", "not a number", RTL + "+33612345679"] * 50_000
    start = time.perf_counter()
    checks = check_numbers(numbers, default_region="FR")
    built = build_recipients({"a": numbers, "b": numbers[:1000]}, default_region="FR")
    elapsed = time.perf_counter() - start
    assert len(checks) == 200_000
    assert len(built.recipients) == 2  # phonenumbers skips a leading RTL mark
    assert {r.list_ids for r in built.recipients} == {("a", "b")}
    assert elapsed < 2.0


# -- inbound SMS -------------------------------------------------------------------------------

senders = number_texts | not_strings | st.sampled_from(["+33612345678", "0612345678"])
inbound_texts = (
    st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from([RTL, ZWSP]))
    | st.sampled_from(["STOP", " stop! ", RTL + "STOP", "ST" + ZWSP + "OP", "Arr\u00eat", SQL])
    | st.sampled_from(["x" * 40_001, "STOP" * 60, "\u00b2"])
)


@given(senders, inbound_texts | not_strings, st.sampled_from([T0, datetime(2025, 1, 1)]))
@example("+33612345678", "STOP", T0)
@example("+33612345678", SQL, T0)
def test_inbound_any_input(sender: Any, text: Any, at: datetime) -> None:
    """A reply, an unsubscribe, or a ValidationError (bad sender, text, naive time)."""
    engine = CampaignEngine(InMemoryStorage(), default_region="FR")
    found = bounded(lambda: engine.inbound(sender, text, at))
    if found is not None:
        assert found.kind in ("reply", "unsubscribe")


def test_inbound_lone_surrogate() -> None:
    """Reply and Unsubscribe refuse it (ValidationError); so does the engine, before hashing the
    text for the inbound id (a finding: it raised UnicodeEncodeError)."""
    engine = CampaignEngine(InMemoryStorage(), default_region="FR")
    with pytest.raises(ValidationError, match="surrogate"):
        engine.inbound("+33612345678", "hello \ud800", T0)


# -- domain objects from plain data ------------------------------------------------------------

texts = (
    st.text(max_size=30)
    | st.sampled_from([SQL, RTL + "Soldes" + ZWSP, "\ud800", "x" * 40_001, "", " "])
    | st.binary(max_size=8)
    | st.sampled_from([None, 5, 1.5])
    | huge
)
prices = (
    st.sampled_from(
        [
            Decimal("NaN"),
            Decimal("sNaN"),
            Decimal("Infinity"),
            Decimal("-Infinity"),
            Decimal(-1),
            Decimal("1e999999"),
            Decimal("1e-999999"),
            "1e9999999999999999999",
            "NaN",
            "-0",
            -1,
            0.1,
            Decimal("0.0475"),
            "0.05",
            None,
            b"1",
        ]
    )
    | huge
)
moments = st.sampled_from(
    [
        T0,
        datetime(2025, 1, 1),  # naive
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
        datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5))),
        date(2025, 1, 1),
        "2025-01-01T00:00:00Z",
        None,
    ]
) | st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-12))]))
list_ids = st.lists(texts, max_size=3) | texts


@given(texts, texts, texts, texts, list_ids, moments, prices, texts)
@example("c1", "n", "ACME", "hi", 5, T0, 0, "EUR")  # TypeError: tuple(5) (finding)
@example("c1", "n", "ACME", "hi", "vip", T0, 0, "EUR")  # three list ids "v", "i", "p" (finding)
@example("c1", "n", "\ud800", "hi", ["l"], T0, 0, "EUR")
@example("c1", "n\ud800", "ACME", "hi", ["l"], T0, 0, "EUR")  # UnicodeEncodeError in SQLite
@example("c1", "n", HUGE_INT, "hi", ["l"], T0, 0, HUGE_INT)  # ValueError: repr (finding)
@example("c1", "n", "ACME", "hi", ["l"], T0, Decimal("1e999999"), "EUR")  # decimal.Overflow
def test_campaign_create_any_input(
    id: Any,
    name: Any,
    sender: Any,
    content: Any,
    lists: Any,
    at: Any,
    price: Any,
    currency: Any,
) -> None:
    """A campaign (whose cost can be computed) or a ValidationError."""
    change = bounded(
        lambda: Campaign.create(
            id=id,
            name=name,
            sender=sender,
            content=content,
            list_ids=lists,
            at=at,
            unit_price=price,
            currency=currency,
        )
    )
    if change is not None:
        campaign = change.campaign
        assert campaign.list_ids == tuple(sorted(set(campaign.list_ids)))
        message = Message.for_campaign(
            campaign, id="m", recipient="+33612345678", list_ids=["l"], queued_at=T0
        )
        assert message.cost(campaign.unit_price) >= 0


CAMPAIGN = Campaign.create(
    id="c1", name="n", sender="ACME", content="hi", list_ids=["l"], at=T0
).campaign


@given(texts, texts | not_strings, list_ids, moments, texts | st.none())
@example("m", "+33612345678", 5, T0, None)  # TypeError: tuple(5) (finding)
def test_message_for_campaign_any_input(
    id: Any, recipient: Any, lists: Any, at: Any, content: Any
) -> None:
    """A queued message or a ValidationError."""
    bounded(
        lambda: Message.for_campaign(
            CAMPAIGN, id=id, recipient=recipient, list_ids=lists, queued_at=at, content=content
        )
    )


@given(texts, texts | number_texts, moments, texts, texts | st.none())
def test_reply_and_unsubscribe_any_input(
    id: Any, recipient: Any, at: Any, text: Any, campaign_id: Any
) -> None:
    """A Reply / Unsubscribe or a ValidationError."""
    bounded(lambda: Reply(id=id, recipient=recipient, at=at, text=text, campaign_id=campaign_id))
    bounded(
        lambda: Unsubscribe(
            id=id, recipient=recipient, at=at, keyword=text, campaign_id=campaign_id
        )
    )


# -- rules and policies from plain (JSON-decoded) data -----------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["08:00", "24:00", "mon-fri", "sat,sun", "sun-mon"])
    | huge
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
specs = st.dictionaries(
    st.sampled_from(["mon", "mon-fri", "sat,sun", "sun-mon", "xyz", ""]) | st.text(max_size=8),
    st.lists(
        st.lists(st.sampled_from(["08:00", "12:00", "20:00", "24:00", "25:00", "8h"]), max_size=3)
        | json_values,
        max_size=3,
    )
    | json_values,
    max_size=4,
)


@given(specs | json_values)
@example({1: []})  # AttributeError: int has no lower() (finding)
@example({"mon": [(HUGE_INT, "10:00")]})  # ValueError: repr (finding)
def test_weekly_schedule_from_spec_any_input(spec: Any) -> None:
    """A schedule or a ValidationError."""
    found = bounded(lambda: WeeklySchedule.from_spec(spec))
    if found is not None:
        assert len(found.days) == 7
        found.describe()


countries = st.sampled_from(["FR", "US", "XX", "", "fr", "__class__", 5, ["FR"], None]) | huge
subdivisions = st.sampled_from([None, "57", "TX", "", "x" * 60, 5, ["57"], SQL])
day_sets = st.sampled_from([frozenset(), [date(2025, 1, 2)], 5, "2025-01-01", [T0], [[1]], {}])


@given(countries, subdivisions, day_sets, day_sets)
@example(5, None, frozenset(), frozenset())  # TypeError in holidays (finding)
@example(["FR"], None, frozenset(), frozenset())  # TypeError: unhashable (finding)
@example("FR", 5, frozenset(), frozenset())  # TypeError: str + int (finding)
def test_holiday_calendar_any_input(
    country: Any, subdivision: Any, extra: Any, removed: Any
) -> None:
    """A calendar that answers is_holiday, or a ValidationError."""
    found = bounded(
        lambda: HolidayCalendar(country, subdivision, extra, removed), seconds=5.0
    )  # the first use of a country loads its calendar
    if found is not None:
        found.is_holiday(date(2025, 1, 1))


@given(
    st.sampled_from(["LAW", "OBS", [], "law", 5]),
    st.sampled_from(["cite", "", 5]),
    st.sampled_from([(), [], 5, "LAW", [5]]),
    st.sampled_from(["FR", 5, None]),
    st.sampled_from([WeeklySchedule.every_day("08:00", "20:00"), {"mon": []}, None]),
)
@example([], "x", (), "FR", None)  # TypeError: unhashable (finding)
def test_country_rule_any_input(
    confidence: Any, citation: Any, sources: Any, country: Any, schedule: Any
) -> None:
    """Source and CountryRule check their fields' types."""
    bounded(lambda: Source(confidence, citation))
    bounded(
        lambda: CountryRule(id="r", country=country, title="t", schedule=schedule, sources=sources)
    )


RULE = CountryRule(
    id="fr",
    country="FR",
    title="t",
    schedule=WeeklySchedule.every_day("08:00", "20:00"),
    holidays=HolidayCalendar("FR"),
)
zones = st.sampled_from(["Europe/Paris", "Pacific/Kiritimati", "Etc/Unknown", "Nowhere", 5, []])


@given(moments, zones)
@example(datetime(9999, 12, 31, 23, tzinfo=UTC), "Europe/Paris")  # OverflowError (finding)
@example(T0, [])  # TypeError: unhashable in pytz_zone's cache (finding)
def test_country_rule_any_instant(at: Any, zone: Any) -> None:
    """is_allowed / next_allowed at any instant and zone: an answer or a typed error."""
    errors = (ValidationError, DeferralHorizonError)
    bounded(lambda: RULE.is_allowed(at, zone), errors)
    bounded(lambda: RULE.next_allowed(at, zone), errors)


numbers = (
    st.integers()
    | st.floats()
    | st.sampled_from([10**400, math.nan, -math.inf, True, None, "5"])
    | huge
    | st.timedeltas()
)


@given(numbers, numbers, numbers)
@example(1, 10**400, 10)  # OverflowError: int too large to convert to float (finding)
@example(HUGE_INT, 2, 10)  # ValueError: str(int) in the error message (finding)
def test_retry_blocks_any_numbers(a: Any, b: Any, c: Any) -> None:
    """Every retry block built from random numbers: a block or a ValidationError."""
    bounded(lambda: wait_fixed(a))
    bounded(lambda: wait_schedule(a, b, c))
    bounded(lambda: wait_exponential(a, b, maximum=c))
    bounded(lambda: jitter_from_id(a))
    bounded(lambda: jitter_from_id(max_delta=a))
    bounded(lambda: stop_after(a))
    bounded(lambda: stop_after_retries(a))
    bounded(lambda: Throttle(wait=a, max_retries=b))


levels = numbers | st.floats(0, 1)
metrics: st.SearchStrategy[Any] = st.sampled_from(
    ["hard_bounce_rate", "unsubscribe_rate", "x", 5, [], None]
)


@given(metrics, levels, levels, numbers, levels)
def test_suspension_policies_any_levels(
    metric: Any, warn: Any, suspend: Any, sample: Any, confidence: Any
) -> None:
    """ThresholdPolicy and WilsonPolicy from random levels: a policy or a ValidationError."""
    for make in (
        lambda: ThresholdPolicy(metric=metric, warn_at=warn, suspend_at=suspend, min_sample=sample),
        lambda: WilsonPolicy(
            metric=metric,
            warn_at=warn,
            suspend_at=suspend,
            min_sample=sample,
            confidence=confidence,
        ),
    ):
        policy = bounded(make)
        if policy is not None:
            policy.verdict()


keywords = st.lists(texts, max_size=3) | texts | st.dictionaries(st.text(max_size=3), texts)


@given(st.dictionaries(st.text(max_size=5) | st.integers() | huge, keywords, max_size=3))
@example({"en": [5]})  # TypeError: normalize() argument 2 must be str (finding)
@example({"en": 5})  # TypeError: int is not iterable (finding)
def test_stop_words_any_input(languages: Any) -> None:
    """StopWords from any mapping: keywords that match themselves, or a ValidationError."""
    found = bounded(lambda: StopWords(languages))
    if found is not None:
        for words in languages.values():
            for word in words:
                assert found.match(word) is not None


@given(st.sampled_from(["08:00", "24:00", "8", 480, None, "23:60"]) | huge, st.integers(-5, 1500))
def test_window_any_input(start: Any, minutes: Any) -> None:
    """Window.parse and Window from any values."""
    bounded(lambda: Window.parse(start, "24:00"))
    bounded(lambda: Window(start, minutes))


# -- SQL-looking text in every stored field ----------------------------------------------------

HOSTILE_TEXTS = [
    SQL,
    "Robert'); DROP TABLE campaigns;--",
    "1; DELETE FROM messages WHERE 1=1",
    '" OR ""="',
    RTL + "evil" + ZWSP + "name\u200f",
    "\x00nul",
]


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "hostile.db"


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_sql_looking_text_is_stored_verbatim(sqlite_path: Path, text: str) -> None:
    """Every text field stored and read back exactly; the statements are never executed."""
    store = SQLiteStorage(sqlite_path)
    ident = text.replace(" ", "_").strip() or "x"
    created = Campaign.create(
        id=ident, name=text, sender="ACME", content=text, list_ids=[ident, "l"], at=T0
    )
    store.add_campaign(created.campaign, events=[created.event])
    message = Message.for_campaign(
        created.campaign, id=ident + ":m", recipient="+33612345678", list_ids=[ident], queued_at=T0
    )
    store.add_messages([message])
    store.update_message(message.submit(at=T0, provider_message_id=ident))
    store.append_events(
        [TimelineEvent(campaign_id=ident, at=T0, kind=TimelineKind.SUSPENDED, details={text: text})]
    )
    reply = Reply(id=ident + ":r", recipient="+33612345678", at=T0, text=text, campaign_id=ident)
    stop = Unsubscribe(
        id=ident + ":u", recipient="+33612345678", at=T0, keyword=text, campaign_id=ident
    )
    assert store.record_reply(reply)
    assert store.record_unsubscribe(stop)
    store.add_orphan(text, {"text": text, text: [text]}, received_at=T0)
    store.close()

    store = SQLiteStorage(sqlite_path)
    campaign = store.get_campaign(ident)
    assert (campaign.name, campaign.content) == (text, text)
    assert set(campaign.list_ids) == {ident, "l"}
    assert store.get_message(ident + ":m").list_ids == (ident,)
    found = store.find_message_by_provider_id(ident)
    assert found is not None
    assert found.id == ident + ":m"
    assert [r.text for r in store.replies(ident)] == [text]
    assert [u.keyword for u in store.unsubscribes(ident)] == [text]
    assert any(event.details == {text: text} for event in store.timeline(ident))
    assert store.take_orphans(text) == [{"text": text, text: [text]}]
    store.close()
    with sqlite3.connect(sqlite_path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    assert {"campaigns", "messages"} <= tables


def test_lone_surrogates_are_refused_before_storage() -> None:
    """A lone surrogate cannot be written as UTF-8: refused by the domain objects (before the fix
    SQLite raised UnicodeEncodeError on add_campaign)."""
    with pytest.raises(ValidationError, match="surrogate"):
        Campaign.create(id="c", name="n\ud800", sender="ACME", content="hi", list_ids=["l"], at=T0)
    with pytest.raises(ValidationError, match="surrogate"):
        Reply(id="r\udfff", recipient="+33612345678", at=T0, text="x")


# -- the coverage-guided harnesses, replayed over their corpus ---------------------------------


def _harness(name: str) -> ModuleType:
    path = ROOT / "fuzz" / f"fuzz_{name}.py"
    spec = importlib.util.spec_from_file_location(f"fuzz_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["dlr", "numbers", "inbound", "rules"])
def test_fuzz_corpus_replays(name: str) -> None:
    """Every seed input goes through its harness without a finding (no atheris needed)."""
    harness = _harness(name)
    corpus = sorted((ROOT / "fuzz" / "corpus" / name).iterdir())
    assert len(corpus) >= 5
    for path in corpus:
        harness.test_one_input(path.read_bytes())
    for data in (b"", b"\x00", b"\xff" * 64, bytes(range(256))):
        harness.test_one_input(data)


@pytest.mark.parametrize(
    "bad",
    [
        {"subdivision": 57},
        {"holidays": "FR"},
        {"effective_from": T0},
        {"title": None},
        {"sources": [5]},
        {"sources": "LAW"},
    ],
    ids=lambda bad: next(iter(bad)),
)
def test_country_rule_field_types(bad: dict[str, Any]) -> None:
    """Each plain field of a CountryRule is checked, naming the field."""
    fields: dict[str, Any] = {
        "id": "r",
        "country": "FR",
        "title": "t",
        "schedule": WeeklySchedule.every_day("08:00", "20:00"),
    }
    with pytest.raises(ValidationError, match="CountryRule"):
        CountryRule(**{**fields, **bad})
