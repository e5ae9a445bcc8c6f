"""Every row of every code table, driven from the tables themselves."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest

from sms_campaign_stats import BounceReason, DeliveryReport, Outcome, classify
from sms_campaign_stats.bounces import CODE_TABLES, FALLBACK_RULE
from sms_campaign_stats.providers import ErrorCode, ErrorNamespace
from sms_campaign_stats.providers._decisions import DECISIONS
from sms_campaign_stats.providers._other_codes import BREVO_REASON_RULES
from sms_campaign_stats.providers._rows import Rule
from sms_campaign_stats.providers._sources import SOURCES

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


def rows(names: Iterable[str]) -> Iterator[tuple[str, str, Rule]]:
    """(table, key, rule) for the tables named."""
    for table_name in names:
        for key, row in CODE_TABLES[table_name].items():
            yield table_name, key, row


def row_id(item: tuple[str, str, Rule]) -> str:
    """A readable test id."""
    return f"{item[0]}:{item[1]}"


def report(provider: str, status: str, error: ErrorCode | None = None) -> DeliveryReport:
    """A minimal report."""
    details = {"group": "UNDELIVERABLE"} if provider == "infobip" else {}
    return DeliveryReport(
        provider=provider, provider_message_id="m", status=status, error=error, details=details
    )


@pytest.mark.parametrize("item", list(rows(STATUS_TABLE_PROVIDER)), ids=row_id)
def test_status_rows(item: tuple[str, str, Rule]) -> None:
    """A report with the status word and no error is classified by its row."""
    table_name, key, row = item
    found = classify(report(STATUS_TABLE_PROVIDER[table_name], key))
    assert row == found.rule
    assert (row.outcome, row.reason, row.retryable) == (
        found.outcome,
        found.reason,
        found.retryable,
    )


@pytest.mark.parametrize("item", list(rows(ERROR_TABLE)), ids=row_id)
def test_error_rows(item: tuple[str, str, Rule]) -> None:
    """A failed report carrying the code is classified by the code's row."""
    table_name, key, row = item
    namespace, provider, failure = ERROR_TABLE[table_name]
    found = classify(report(provider, failure, ErrorCode(namespace, key)))
    assert row == found.rule
    assert (row.outcome, row.reason) == (found.outcome, found.reason)


@pytest.mark.parametrize("item", list(rows({"infobip_group"})), ids=row_id)
def test_infobip_groups(item: tuple[str, str, Rule]) -> None:
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
    assert row == found.rule


@pytest.mark.parametrize(("pattern", "row"), BREVO_REASON_RULES, ids=lambda v: str(v)[:30])
def test_brevo_reason_rows(pattern: object, row: Rule) -> None:
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
    assert row == found.rule


def test_every_row_cites_a_known_source_and_decision() -> None:
    """Sources are tags listed in _sources.py; decisions are explained in _decisions.py."""
    for table in CODE_TABLES.values():
        for row in table.values():
            assert row.source in SOURCES, row
            assert row.decision == "" or row.decision in DECISIONS, row
    assert FALLBACK_RULE.source in SOURCES


def test_every_disagreement_has_a_decision_in_use() -> None:
    """Each of D1..D13 is explained and cited by at least one row."""
    cited = {row.decision for table in CODE_TABLES.values() for row in table.values()}
    for number in range(1, 14):
        assert f"D{number}" in DECISIONS
        assert f"D{number}" in cited | {FALLBACK_RULE.decision}


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
