"""Classification: precedence, overrides, chains and ``|``, escalation, the sender-registration
option, the expiry classification."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sms_campaign_stats import (
    BounceReason,
    Classification,
    DeliveryReport,
    Outcome,
    ValidationError,
    classify,
    parse_twilio_callback,
)
from sms_campaign_stats.bounces import (
    CODE_TABLES,
    EXPIRED,
    FALLBACK_ROW,
    UNKNOWN_ROW,
    BounceClassifier,
    FirstOf,
    SoftBounceEscalation,
    TableClassifier,
)
from sms_campaign_stats.providers import ErrorCode, ErrorNamespace

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def report(provider: str, status: str | None, error: ErrorCode | None = None) -> DeliveryReport:
    """A minimal report."""
    return DeliveryReport(provider=provider, provider_message_id="m", status=status, error=error)


def test_opt_out_comes_first() -> None:
    """An error meaning "opted out earlier" wins even over a delivered status: a hard bounce
    with its own reason, never retried; a provider's unsubscribe event is an unsubscribe."""
    found = classify(report("twilio", "delivered", ErrorCode(ErrorNamespace.TWILIO, "21610")))
    assert (Outcome.HARD_BOUNCE, BounceReason.OPTED_OUT_EARLIER) == (found.outcome, found.reason)
    assert not found.retryable
    assert found.avoidable_by_sender
    assert Outcome.UNSUBSCRIBED == classify(report("brevo", "unsubscribe")).outcome


#: Every code meaning that the recipient opted out before this campaign, per provider.
OPTED_OUT_EARLIER_CODES = [
    (ErrorNamespace.TWILIO, "21610"),
    (ErrorNamespace.TWILIO, "63014"),
    (ErrorNamespace.VONAGE, "9"),
    (ErrorNamespace.VONAGE, "53"),
    (ErrorNamespace.INFOBIP, "603"),
]


@pytest.mark.parametrize(("namespace", "code"), OPTED_OUT_EARLIER_CODES)
def test_an_earlier_opt_out_is_a_hard_bounce_of_its_own(
    namespace: ErrorNamespace, code: str
) -> None:
    """Each row meaning "opted out before" is a hard bounce, ``opted_out_earlier``, whatever
    the status word says, and its row names its source (issue 15, point 3)."""
    provider = namespace.value
    for status in (None, "failed", "delivered", "undelivered", "rejected"):
        found = classify(report(provider, status, ErrorCode(namespace, code)))
        assert (Outcome.HARD_BOUNCE, BounceReason.OPTED_OUT_EARLIER) == (
            found.outcome,
            found.reason,
        ), status
        assert found.row.source
        assert found.row.decision


def test_only_a_provider_unsubscribe_event_is_an_unsubscribe() -> None:
    """No code table row but Brevo's ``unsubscribe`` event gives UNSUBSCRIBED: every other
    opt-out signal is an earlier opt-out (issue 15, point 3)."""
    rows = [
        (name, code)
        for name, table in CODE_TABLES.items()
        for code, row in table.items()
        if row.outcome is Outcome.UNSUBSCRIBED
    ]
    assert [("brevo_event", "unsubscribe")] == rows
    opted_out = {
        (row.namespace, code)
        for table in CODE_TABLES.values()
        for code, row in table.items()
        if row.reason is BounceReason.OPTED_OUT_EARLIER
    }
    assert {(n.value, c) for n, c in OPTED_OUT_EARLIER_CODES} == opted_out


def test_an_error_code_never_turns_a_delivery_into_a_bounce() -> None:
    """Delivered stays delivered, pending stays pending, whatever error code comes along."""
    gsm = ErrorCode(ErrorNamespace.GSM_MAP, "1")
    assert Outcome.DELIVERED == classify(report("smpp", "DELIVRD", gsm)).outcome
    assert Outcome.PENDING == classify(report("smpp", "ENROUTE", gsm)).outcome


def test_known_code_refines_a_failure_and_unknown_codes_are_ignored() -> None:
    """UNDELIV + MAP 1 is a hard bounce; UNDELIV + a provider code is unknown failure."""
    hard = classify(report("smpp", "UNDELIV", ErrorCode(ErrorNamespace.GSM_MAP, "1")))
    assert (Outcome.HARD_BOUNCE, BounceReason.NUMBER_DOES_NOT_EXIST) == (hard.outcome, hard.reason)
    unknown = classify(report("smpp", "UNDELIV", ErrorCode(ErrorNamespace.PROVIDER, "75")))
    assert BounceReason.PROVIDER_UNKNOWN_FAILURE == unknown.reason
    assert unknown.platform_fault
    twilio_unknown = classify(report("twilio", "failed", ErrorCode(ErrorNamespace.TWILIO, "99999")))
    assert "failed" == twilio_unknown.row.code


def test_fallback_for_anything_unrecognised() -> None:
    """No status: soft bounce, provider unknown failure. An unknown word is pending, typed
    unknown (issue 16)."""
    assert FALLBACK_ROW == classify(report("smpp", None)).row
    custom = classify(report("my-gateway", "DELIVRD"))
    assert Outcome.DELIVERED == custom.outcome  # unknown providers read SMPP words
    assert UNKNOWN_ROW == classify(report("my-gateway", "WHATEVER")).row
    assert classify(report("my-gateway", "WHATEVER")).unknown


def test_avoidable_and_platform_flags() -> None:
    """Avoidable: landline, invalid number, hours, and sender set-up; platform: unknown failure."""
    landline = classify(report("twilio", "undelivered", ErrorCode(ErrorNamespace.TWILIO, "30006")))
    assert (True, False, False) == (
        landline.avoidable_by_sender,
        landline.platform_fault,
        landline.retryable,
    )
    config = classify(report("twilio", "failed", ErrorCode(ErrorNamespace.TWILIO, "30002")))
    assert (Outcome.REJECTED_CONFIG, True) == (config.outcome, config.avoidable_by_sender)
    handset = classify(report("vonage", "failed", ErrorCode(ErrorNamespace.VONAGE, "2")))
    assert (False, False, True) == (
        handset.avoidable_by_sender,
        handset.platform_fault,
        handset.retryable,
    )


def test_override_single_codes_without_copying_tables() -> None:
    """with_override returns a new classifier; the default is untouched."""
    strict = TableClassifier().with_override(
        "vonage",
        6,
        Outcome.HARD_BOUNCE,
        BounceReason.BLOCKED_BY_RECIPIENT_OR_OPERATOR,
        source="our carrier contract, 2026",
    )
    spam = report("vonage", "rejected", ErrorCode(ErrorNamespace.VONAGE, "6"))
    assert Outcome.HARD_BOUNCE == classify(spam, classifier=strict).outcome
    assert "our carrier contract, 2026" == classify(spam, classifier=strict).row.source
    assert Outcome.SOFT_BOUNCE == classify(spam).outcome
    pending_accepted = TableClassifier().with_override(
        "smpp_status", "ACCEPTD", Outcome.DELIVERED, source="our SMSC's documentation"
    )
    assert Outcome.DELIVERED == pending_accepted(report("smpp", "ACCEPTD")).outcome
    with pytest.raises(ValidationError, match="not one of"):
        TableClassifier().with_override("nope", 1, Outcome.PENDING, source="x")
    with pytest.raises(ValidationError, match="reason"):
        TableClassifier().with_override("vonage", 6, Outcome.HARD_BOUNCE, source="x")


def test_sender_registration_option() -> None:
    """Off by default (REJECTED_CONFIG); on, a hard bounce as Brevo counts it."""
    unregistered = report("twilio", "undelivered", ErrorCode(ErrorNamespace.TWILIO, "30032"))
    assert Outcome.REJECTED_CONFIG == classify(unregistered).outcome
    brevo_like = TableClassifier(sender_registration_is_hard_bounce=True)
    found = brevo_like(unregistered)
    assert (Outcome.HARD_BOUNCE, BounceReason.BLOCKED_BY_RECIPIENT_OR_OPERATOR, True) == (
        found.outcome,
        found.reason,
        found.avoidable_by_sender,
    )
    other = brevo_like(report("twilio", "undelivered", ErrorCode(ErrorNamespace.TWILIO, "30002")))
    assert Outcome.REJECTED_CONFIG == other.outcome


def test_chain_first_answer_wins_and_functions_qualify() -> None:
    """Plain functions are classifiers; None passes to the next; the default answers last."""
    seen: list[str] = []

    def declines(found: DeliveryReport) -> Classification | None:
        seen.append("declines")
        return None

    def stop_word(found: DeliveryReport) -> Classification | None:
        seen.append("stop_word")
        if found.status == "STOPPED":
            return Classification.from_row(
                TableClassifier()
                .with_override("smpp_status", "STOPPED", Outcome.UNSUBSCRIBED, source="our SMSC")
                .overrides[("smpp_status", "STOPPED")]
            )
        return None

    chain = FirstOf(declines, stop_word)
    assert isinstance(chain, BounceClassifier)
    assert Outcome.UNSUBSCRIBED == chain(report("smpp", "STOPPED")).outcome
    assert Outcome.DELIVERED == chain(report("smpp", "DELIVRD")).outcome
    assert ["declines", "stop_word", "declines", "stop_word"] == seen
    assert Outcome.DELIVERED == classify(report("smpp", "DELIVRD"), classifier=declines).outcome
    with pytest.raises(ValidationError, match="not callable"):
        FirstOf("nope")  # type: ignore[arg-type]


def test_or_builds_first_of_and_flattens() -> None:
    """``a | b`` is ``FirstOf(a, b)`` for the built-in classifiers; a plain function may be on
    either side; nested chains are flattened, keeping their default."""

    def declines(found: DeliveryReport) -> Classification | None:
        return None

    def delivered(found: DeliveryReport) -> Classification | None:
        return Classification.from_row(CODE_TABLES["smpp_status"]["DELIVRD"])

    table = TableClassifier()
    assert FirstOf(table, declines) == table | declines
    assert FirstOf(declines, table) == declines | table
    assert FirstOf(declines, delivered) == FirstOf(declines) | delivered
    assert FirstOf(declines, delivered, table) == (declines | FirstOf(delivered)) | table
    assert FirstOf(declines, delivered, table) == FirstOf(FirstOf(declines, delivered), table)
    assert (declines,) == (FirstOf(declines) | FirstOf()).classifiers
    strict = TableClassifier(sender_registration_is_hard_bounce=True)
    assert strict is (FirstOf(default=strict) | declines).default
    assert strict is (declines | FirstOf(default=strict)).default
    other_default = FirstOf(delivered, default=strict)
    assert (declines, other_default) == (FirstOf(declines) | other_default).classifiers
    chain = FirstOf(declines) | delivered
    assert isinstance(chain, FirstOf)
    assert isinstance(chain, BounceClassifier)
    assert Outcome.DELIVERED == chain(report("smpp", "UNDELIV")).outcome
    assert Outcome.SOFT_BOUNCE == (declines | FirstOf(declines))(report("smpp", "UNDELIV")).outcome
    with pytest.raises(TypeError):
        table | "nope"
    with pytest.raises(TypeError):
        "nope" | table
    with pytest.raises(ValidationError, match="default"):
        FirstOf(default="nope")  # type: ignore[arg-type]


def test_expired_is_what_the_smpp_expired_row_gives() -> None:
    """``EXPIRED``, recorded when a message expires without a final receipt, is a retryable soft
    bounce, expired at operator, from SMPP's EXPIRED row."""
    assert Classification.from_row(CODE_TABLES["smpp_status"]["EXPIRED"]) == EXPIRED
    assert (Outcome.SOFT_BOUNCE, BounceReason.EXPIRED_AT_OPERATOR, True) == (
        EXPIRED.outcome,
        EXPIRED.reason,
        EXPIRED.retryable,
    )


def test_escalation_after_repeated_soft_bounces() -> None:
    """The fifth soft bounce within 90 days is a hard bounce; older ones do not count."""
    policy = SoftBounceEscalation()
    soft = classify(
        parse_twilio_callback(
            {"MessageSid": "S", "MessageStatus": "undelivered", "ErrorCode": "30003"}
        )
    )
    recent = [NOW - timedelta(days=d) for d in (1, 10, 30, 89)]
    escalated = policy.apply(soft, earlier_soft_bounces=recent, now=NOW)
    assert (Outcome.HARD_BOUNCE, BounceReason.NUMBER_DOES_NOT_EXIST, False) == (
        escalated.outcome,
        escalated.reason,
        escalated.retryable,
    )
    assert BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE == escalated.escalated_from
    assert "W-VOYADO" == escalated.row.source
    old = [*recent[:3], NOW - timedelta(days=91)]
    assert soft == policy.apply(soft, earlier_soft_bounces=old, now=NOW)
    landline = classify(report("twilio", "undelivered", ErrorCode(ErrorNamespace.TWILIO, "30006")))
    assert landline == policy.apply(landline, earlier_soft_bounces=recent * 3, now=NOW)
    delivered = classify(report("twilio", "delivered"))
    assert delivered == policy.apply(delivered, earlier_soft_bounces=recent, now=NOW)
    assert (
        Outcome.HARD_BOUNCE
        == SoftBounceEscalation(threshold=1).apply(soft, earlier_soft_bounces=[], now=NOW).outcome
    )


@pytest.mark.parametrize(
    "options",
    [
        {"threshold": 0},
        {"threshold": 2.5},
        {"window": timedelta(0)},
        {"window": 90},
        {"reason": BounceReason.LANDLINE_NUMBER},
    ],
)
def test_escalation_options_are_checked(options: dict[str, object]) -> None:
    """Bad escalation settings are refused when built."""
    with pytest.raises(ValidationError):
        SoftBounceEscalation(**options)  # type: ignore[arg-type]


def test_classifications_are_cached_and_shared() -> None:
    """The same report shape gives the very same Classification object (cheap at scale)."""
    first = classify(report("smpp", "DELIVRD"))
    second = classify(
        DeliveryReport(provider="smpp", provider_message_id="other", status="DELIVRD")
    )
    assert first is second
