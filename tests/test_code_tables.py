"""Every row of every code table, driven from the tables themselves; the provider registry
matches the provider modules."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from sms_campaign_stats import (
    BounceReason,
    DeliveryReport,
    Outcome,
    ValidationError,
    classify,
    providers,
)
from sms_campaign_stats.bounces import CODE_TABLES, FALLBACK_ROW, TableClassifier
from sms_campaign_stats.providers import (
    DECISIONS,
    PROVIDERS,
    SOURCES,
    CodeRow,
    ErrorCode,
    ErrorNamespace,
    Provider,
    ProviderRegistry,
    UnknownProviderError,
    code_row,
    code_table,
)
from sms_campaign_stats.providers.brevo import REASON_TABLE

from .campaigns import add_campaign

# For each status table: the provider whose reports it reads.
STATUS_TABLE_PROVIDER = {
    "smpp_status": "smpp",
    "twilio_status": "twilio",
    "vonage_status": "vonage",
    "brevo_event": "brevo",
    "kannel": "kannel",
    "infobip_status": "infobip",
}
# For each error table: its namespace, and a failure status of a provider that uses it.
ERROR_TABLE = {
    "smpp_command_status": (ErrorNamespace.SMPP_COMMAND_STATUS, "smpp", "ESME_RSUBMITFAIL"),
    "gsm_map": (ErrorNamespace.GSM_MAP, "smpp", "UNDELIV"),
    "twilio": (ErrorNamespace.TWILIO, "twilio", "undelivered"),
    "vonage": (ErrorNamespace.VONAGE, "vonage", "failed"),
    "infobip": (ErrorNamespace.INFOBIP, "infobip", "UNDELIVERABLE_NOT_DELIVERED"),
}


def rows(names: Iterable[str]) -> Iterator[tuple[str, str, CodeRow]]:
    """(table, key, rule) for the tables named."""
    for table_name in names:
        for key, row in CODE_TABLES[table_name].items():
            yield table_name, key, row


def row_id(item: tuple[str, str, CodeRow]) -> str:
    """A readable test id."""
    return f"{item[0]}:{item[1]}"


def report(provider: str, status: str, error: ErrorCode | None = None) -> DeliveryReport:
    """A minimal report."""
    details = {"group": "UNDELIVERABLE"} if provider == "infobip" else {}
    return DeliveryReport(
        provider=provider, provider_message_id="m", status=status, error=error, details=details
    )


@pytest.mark.parametrize("item", list(rows(STATUS_TABLE_PROVIDER)), ids=row_id)
def test_status_rows(item: tuple[str, str, CodeRow]) -> None:
    """A report with the status word and no error is classified by its row."""
    table_name, key, row = item
    found = classify(report(STATUS_TABLE_PROVIDER[table_name], key))
    assert row == found.row
    assert (row.outcome, row.reason, row.retryable) == (
        found.outcome,
        found.reason,
        found.retryable,
    )


@pytest.mark.parametrize("item", list(rows(ERROR_TABLE)), ids=row_id)
def test_error_rows(item: tuple[str, str, CodeRow]) -> None:
    """A failed report carrying the code is classified by the code's row."""
    table_name, key, row = item
    namespace, provider, failure = ERROR_TABLE[table_name]
    found = classify(report(provider, failure, ErrorCode(namespace, key)))
    assert row == found.row
    assert (row.outcome, row.reason) == (found.outcome, found.reason)


@pytest.mark.parametrize("item", list(rows({"infobip_group"})), ids=row_id)
def test_infobip_groups(item: tuple[str, str, CodeRow]) -> None:
    """An Infobip status not listed on its own is read by its group."""
    _, key, row = item
    found = classify(
        DeliveryReport(
            provider="infobip",
            provider_message_id="m",
            status="SOME_NEW_STATUS",
            details={"group": key},
        )
    )
    assert row == found.row


@pytest.mark.parametrize(("pattern", "row"), list(REASON_TABLE.items()), ids=lambda v: str(v)[:30])
def test_brevo_reason_rows(pattern: object, row: CodeRow) -> None:
    """Brevo's own sentence for each reason is recognised by its row."""
    sentences = {
        "not registered": "The account is not linked to a registered Sender ID",
        "unauthorized time": "Sent at an unauthorized time or date in the recipient's country",
        "landline": "Sent to a landline number",
        "invalid number or country code": "Phone number or country code is invalid",
        "turned off": "Recipient's phone turned off or no service",
        "expired": "SMS expired within the operator",
        "spam": "Failed or rejected due to suspicion of SPAM on the operator network",
        "undeliverable in its current form": "SMS in its current form is undeliverable",
        "operator network": "Temporary condition on the operator network",
        "unreachable": "Recipient is currently unreachable",
        "temporary phone error": "Temporary phone-related error, e.g. SIM card full",
        "does not exist": "The phone number does not exist",
        "blocked": "The recipient or mobile carrier blocked your number",
        "unknown reasons": "Provider failed to deliver for unknown reasons",
    }
    sentence = sentences[row.name]
    found = classify(
        report("brevo", "softBounce", ErrorCode(ErrorNamespace.BREVO, sentence.lower()))
    )
    assert row == found.row


def test_every_row_cites_a_known_source_and_decision() -> None:
    """Sources are tags listed in SOURCES; decisions are explained in DECISIONS."""
    for table in CODE_TABLES.values():
        for row in table.values():
            assert row.source in SOURCES, row
            assert row.decision == "" or row.decision in DECISIONS, row
    assert FALLBACK_ROW.source in SOURCES


def test_every_disagreement_has_a_decision_in_use() -> None:
    """Each of D1..D13 is explained and cited by at least one row."""
    cited = {row.decision for table in CODE_TABLES.values() for row in table.values()}
    for number in range(1, 14):
        assert f"D{number}" in DECISIONS
        assert f"D{number}" in cited | {FALLBACK_ROW.decision}


def test_rules_are_consistent() -> None:
    """Bounces carry a reason of their kind; landlines and invalid numbers are never retried."""
    for table in CODE_TABLES.values():
        for row in table.values():
            if row.reason in (
                BounceReason.LANDLINE_NUMBER,
                BounceReason.INVALID_NUMBER_OR_COUNTRY_CODE,
            ):
                assert not row.retryable, row
            if row.outcome in (Outcome.HARD_BOUNCE, Outcome.REJECTED_CONFIG, Outcome.UNSUBSCRIBED):
                assert not row.retryable, row
            if row.outcome in (Outcome.PENDING, Outcome.DELIVERED):
                assert not row.retryable, row


# The registry, as the holidays library checks its own: it matches the modules.
PACKAGE = Path(providers.__file__).parent
PUBLIC_MODULES = sorted(
    info.name for info in pkgutil.iter_modules([str(PACKAGE)]) if not info.name.startswith("_")
)


def test_every_public_provider_module_is_registered() -> None:
    """Each public module of ``providers`` is one provider, registered under its own name with
    the ``PROVIDER`` it declares; nothing else is registered."""
    assert ["brevo", "gsm", "infobip", "kannel", "smpp", "twilio", "vonage"] == PUBLIC_MODULES
    assert PUBLIC_MODULES == sorted(PROVIDERS.names)
    for name in PUBLIC_MODULES:
        module = importlib.import_module(f"sms_campaign_stats.providers.{name}")
        assert module.PROVIDER is PROVIDERS[name]
        assert "PROVIDER" in module.__all__


@pytest.mark.parametrize("provider", list(PROVIDERS), ids=lambda p: p.name)
def test_registered_parsers_and_tables_exist(provider: Provider) -> None:
    """Every parser and table a provider registers is a public name of its module (parsers also
    of the package), and every table it names for reading exists."""
    module = importlib.import_module(f"sms_campaign_stats.providers.{provider.name}")
    public = [getattr(module, name) for name in module.__all__]
    for name, parser in provider.parsers.items():
        assert parser is getattr(module, name)
        assert name in module.__all__
        assert parser is getattr(providers, name)
        assert name in providers.__all__
    for name, table in provider.tables.items():
        assert any(table is value for value in public), name
        assert table is CODE_TABLES[name]
        for code, row in table.items():
            assert (name, code) == (row.namespace, row.code)
    named = [*provider.status_tables, *(n for ns in provider.error_tables.values() for n in ns)]
    for name in [*named, *([provider.group_table] if provider.group_table else [])]:
        assert name in CODE_TABLES


@pytest.mark.parametrize("provider", list(PROVIDERS), ids=lambda p: p.name)
def test_every_row_source_exists_and_is_cited_by_its_provider(provider: Provider) -> None:
    """A row's source tag is one of ``SOURCES`` and one its provider cites; every tag a provider
    cites is in ``SOURCES``, and in its rows or its module's docstring."""
    module = importlib.import_module(f"sms_campaign_stats.providers.{provider.name}")
    cited_by_rows = {row.source for table in provider.tables.values() for row in table.values()}
    for tag in cited_by_rows:
        assert tag in SOURCES, tag
        assert tag in provider.sources, tag
    for tag in provider.sources:
        assert tag in SOURCES, tag
        assert tag in cited_by_rows or f"[{tag}]" in (module.__doc__ or ""), tag


def test_code_tables_are_the_registry_tables_in_order() -> None:
    """``CODE_TABLES`` is built from the registry: every table of every provider, in order."""
    expected = [name for provider in PROVIDERS for name in provider.tables]
    assert expected == list(CODE_TABLES)
    assert dict(PROVIDERS.tables) == dict(CODE_TABLES)


def test_an_unknown_provider_is_a_typed_lookup_error() -> None:
    """Lookup by name raises the library's error, which is also a ``LookupError``."""
    with pytest.raises(UnknownProviderError, match="no provider named 'nope'") as raised:
        PROVIDERS["nope"]
    assert isinstance(raised.value, LookupError)
    assert "nope" == raised.value.name
    assert PROVIDERS.names == raised.value.known
    assert PROVIDERS.get("nope") is None
    assert "nope" not in PROVIDERS
    assert "twilio" in PROVIDERS
    assert len(PROVIDERS.names) == len(PROVIDERS)


def acme(table_name: str = "acme_status") -> Provider:
    """A made-up provider whose status words ``OK`` and ``GONE`` one table reads."""
    return Provider(
        name="acme",
        title="Acme",
        parsers={},
        tables={
            table_name: code_table(
                [
                    code_row(table_name, "OK", "delivered", Outcome.DELIVERED, source="LIB"),
                    code_row(
                        table_name,
                        "GONE",
                        "gone",
                        Outcome.HARD_BOUNCE,
                        BounceReason.NUMBER_DOES_NOT_EXIST,
                        source="LIB",
                    ),
                ]
            )
        },
        sources=("LIB",),
        status_tables=(table_name,),
    )


def test_with_provider_returns_a_copy() -> None:
    """``with_provider`` adds (or replaces) in a copy; the built-in registry is unchanged; a
    classifier given the copy reads the new provider's reports."""
    names = PROVIDERS.names
    mine = PROVIDERS.with_provider(acme())
    assert names == PROVIDERS.names
    assert (*names, "acme") == mine.names
    assert "acme_status" in mine.tables
    assert "acme_status" not in CODE_TABLES
    replaced = mine.with_provider(acme("acme_words"))
    assert mine.names == replaced.names
    assert "acme_words" in replaced.tables
    assert "acme_status" not in replaced.tables
    found = classify(
        DeliveryReport(provider="acme", provider_message_id="1", status="gone"),
        classifier=TableClassifier(providers=mine),
    )
    assert (Outcome.HARD_BOUNCE, "LIB") == (found.outcome, found.row.source)


def test_a_registry_refuses_inconsistent_providers() -> None:
    """Names, tables and namespaces are unique; named tables exist; rows carry their table's
    name; only providers are registered."""
    made_up = acme()
    with pytest.raises(ValidationError, match="listed twice"):
        ProviderRegistry((made_up, made_up), fallback="acme")
    with pytest.raises(ValidationError, match="two providers have a table"):
        ProviderRegistry((made_up, Provider("b", "B", {}, made_up.tables, ())), fallback="acme")
    with pytest.raises(ValidationError, match="no table named nowhere"):
        ProviderRegistry((Provider("b", "B", {}, {}, (), status_tables=("nowhere",)),), "b")
    with pytest.raises(ValidationError, match="two providers read"):
        PROVIDERS.with_provider(
            Provider("b", "B", {}, {}, (), error_tables={ErrorNamespace.TWILIO: ("twilio",)})
        )
    with pytest.raises(ValidationError, match="fallback"):
        ProviderRegistry((made_up,), fallback="smpp")
    with pytest.raises(ValidationError, match="not a Provider"):
        PROVIDERS.with_provider("acme")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="not a CodeRow of namespace 'elsewhere'"):
        Provider("b", "B", {}, {"elsewhere": made_up.tables["acme_status"]}, ())
    with pytest.raises(ValidationError, match="not callable"):
        Provider("b", "B", {"parse_b": "nope"}, {}, ())  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="not a name"):
        Provider(" ", "B", {}, {}, ())
    with pytest.raises(ValidationError, match="pattern_tables"):
        Provider("b", "B", {}, {}, (), pattern_tables=frozenset({"nowhere"}))


# Issue 16: every code-table row names its source; a row without one is refused.


def test_a_row_without_a_source_is_refused() -> None:
    """``CodeRow`` refuses an empty source: a table cannot carry an unsourced row."""
    for source in ("", "   "):
        with pytest.raises(ValueError, match="names its source"):
            code_row("acme", 1, "x", Outcome.DELIVERED, source=source)


@pytest.mark.parametrize("tag", list(SOURCES))
def test_every_source_tag_says_where(tag: str) -> None:
    """Each source tag gives an address: a web page, or a repository (owner/name, with the
    commit cited where there is one); ``LIB`` points at the decisions."""
    where = SOURCES[tag]
    if tag == "LIB":
        assert "docs/code-tables.md" in where
        return
    assert "http" in where or re.match(r"[\w.-]+/[\w.-]+", where), (tag, where)


def test_the_code_tables_page_lists_every_row_and_source() -> None:
    """docs/code-tables.md shows every row with its source tag, and every tag's address."""
    page = (Path(__file__).parent.parent / "docs" / "code-tables.md").read_text(encoding="utf-8")
    for table in CODE_TABLES.values():
        for row in table.values():
            assert f"| {row.source} |" in page, row
    for tag in SOURCES:
        assert f"| `{tag}` |" in page


# Issue 16, "Providers as plug-ins": one module and one registration, as docs/providers.md shows.

ACME_MODULE = '''
"""Acme SMS: a provider of your own, in one module (its parsers, its table, its PROVIDER)."""

from sms_campaign_stats import BounceReason, Outcome
from sms_campaign_stats.providers import (
    DeliveryReport, InboundMessage, Provider, code_row, code_table,
)

STATES = code_table([
    code_row("acme_state", "delivered", "delivered", Outcome.DELIVERED,
             source="Acme API guide, 2026, section 4"),
    code_row("acme_state", "busy", "handset busy", Outcome.SOFT_BOUNCE,
             BounceReason.HANDSET_TEMPORARY_ERROR, source="Acme API guide, 2026, section 4"),
])


def parse_acme_webhook(payload, *, received_at=None):
    return DeliveryReport(provider="acme", provider_message_id=payload["id"],
                          status=payload["state"], received_at=received_at, raw=payload)


def parse_acme_inbound(payload, *, received_at=None):
    return InboundMessage(sender=payload["from"], text=payload["text"], provider="acme",
                          provider_message_id=payload["id"], received_at=received_at)


PROVIDER = Provider(
    name="acme",
    title="Acme SMS",
    parsers={"parse_acme_webhook": parse_acme_webhook},
    inbound_parsers={"parse_acme_inbound": parse_acme_inbound},
    tables={"acme_state": STATES},
    sources=("Acme API guide, 2026, section 4",),
    status_tables=("acme_state",),
    status_key=str.lower,
)
'''


def test_a_provider_is_one_module_and_one_registration(tmp_path: Path) -> None:
    """A provider of your own: one module (parsers, table, ``PROVIDER``) and one registration
    (``PROVIDERS.with_provider``); the classifier and the engine then read its reports, and its
    inbound parser feeds ``engine.inbound``. The built-in registry is untouched."""
    from datetime import datetime, timedelta, timezone

    from sms_campaign_stats import (
        CampaignEngine,
        InMemoryStorage,
        MessageStatus,
        SendMessage,
    )

    (tmp_path / "acme_provider.py").write_text(ACME_MODULE, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("acme_provider", tmp_path / "acme_provider.py")
    assert spec is not None
    assert spec.loader is not None
    acme = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(acme)

    registry = PROVIDERS.with_provider(acme.PROVIDER)  # the one registration
    assert "acme" in registry
    assert "acme" not in PROVIDERS
    classifier = TableClassifier(providers=registry)
    busy = acme.parse_acme_webhook({"id": "a-1", "state": "BUSY"})
    found = classify(busy, classifier=classifier)
    assert (Outcome.SOFT_BOUNCE, "Acme API guide, 2026, section 4") == (
        found.outcome,
        found.row.source,
    )
    assert classify(busy).unknown  # the built-in tables do not know the word

    now = datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc)
    store = InMemoryStorage()
    add_campaign(store, "c", at=now, lists=("l",), sender="Shop", content="Hi")
    engine = CampaignEngine(store, default_region="FR", classifier=classifier)
    send = next(
        a
        for a in engine.plan("c", {"l": ["+33612345678"]}, now).actions
        if isinstance(a, SendMessage)
    )
    engine.submitted(send.message_id, "a-2", send.at)
    engine.handle(acme.parse_acme_webhook({"id": "a-2", "state": "Delivered"}), send.at)
    assert MessageStatus.DELIVERED == store.get_message(send.message_id).status
    reply = registry["acme"].inbound_parsers["parse_acme_inbound"](
        {"id": "in-1", "from": "+33612345678", "text": "STOP"}
    )
    engine.inbound(
        reply.sender, reply.text, send.at + timedelta(hours=1), inbound_id=reply.provider_message_id
    )
    assert ["+33612345678"] == [u.recipient for u in store.unsubscribes("c")]
