"""What a delivery report means: outcome, bounce reason, and whether a retry can help.

``classify(report)`` answers with a ``Classification`` and the table row (``Rule``) that decided.
The order of precedence:

1. an opt-out signal (Twilio 21610 and 63014, Vonage err 9, Infobip 603, a Brevo unsubscribe)
   gives UNSUBSCRIBED, whatever the status says;
2. an intermediate status (ENROUTE, ACCEPTD, buffered, queued, sent, ...) or a report marked
   intermediate gives PENDING, and a delivered status gives DELIVERED: an error code never turns
   a delivery into a bounce;
3. an error code in a namespace the library knows decides (GSM MAP, SMPP command status, Twilio,
   Vonage, Infobip, Brevo reason texts); a provider's own codes (``ErrorNamespace.PROVIDER``)
   are kept but not interpreted;
4. otherwise the provider's status word decides;
5. any other final failure is a SOFT_BOUNCE with PROVIDER_UNKNOWN_FAILURE.

The tables are data (``CODE_TABLES``), each row citing its source; ``docs/code-tables.md`` is
generated from them. A classifier is anything callable as ``classifier(report)`` returning a
``Classification`` or ``None`` (no answer): a plain function qualifies. ``ClassifierChain`` asks
several in turn; ``TableClassifier.with_override`` changes single codes without copying a table;
``SoftBounceEscalation`` turns a number's repeated soft bounces into a hard bounce.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Protocol, runtime_checkable

import attrs

from sms_campaign_stats._core.validate import check_utc, describe
from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.lifecycle._statuses import BounceKind, BounceReason, Outcome
from sms_campaign_stats.providers import _infobip_codes as infobip
from sms_campaign_stats.providers import _twilio_codes as twilio
from sms_campaign_stats.providers import _vonage_codes as vonage
from sms_campaign_stats.providers._decisions import DECISIONS
from sms_campaign_stats.providers._other_codes import (
    BREVO_REASON_RULES,
    BREVO_STATUS_RULES,
    KANNEL_RULES,
    brevo_event_key,
)
from sms_campaign_stats.providers._report import DeliveryReport, ErrorCode, ErrorNamespace
from sms_campaign_stats.providers._rows import Rule, rule
from sms_campaign_stats.providers._smpp_codes import COMMAND_STATUS_RULES
from sms_campaign_stats.providers._smpp_codes import STATUS_RULES as SMPP_STATUS_RULES
from sms_campaign_stats.providers.gsm import MAP_RULES

__all__ = [
    "CODE_TABLES",
    "DECISIONS",
    "EXPIRED",
    "FALLBACK_RULE",
    "BounceClassifier",
    "Classification",
    "ClassifierChain",
    "Outcome",
    "Rule",
    "SoftBounceEscalation",
    "TableClassifier",
    "classify",
]

#: Every table, by the namespace its rows carry. Brevo reasons are patterns, listed in order.
CODE_TABLES: Mapping[str, Mapping[str, Rule]] = MappingProxyType(
    {
        "smpp_status": SMPP_STATUS_RULES,
        "smpp_command_status": COMMAND_STATUS_RULES,
        "gsm_map": MAP_RULES,
        "twilio_status": twilio.STATUS_RULES,
        "twilio": twilio.ERROR_RULES,
        "vonage_status": vonage.STATUS_RULES,
        "vonage": vonage.ERROR_RULES,
        "infobip_group": infobip.GROUP_RULES,
        "infobip_status": infobip.STATUS_RULES,
        "infobip": infobip.ERROR_RULES,
        "brevo_event": BREVO_STATUS_RULES,
        "brevo": MappingProxyType({r.code: r for _, r in BREVO_REASON_RULES}),
        "kannel": KANNEL_RULES,
    }
)

#: What a final failure nothing recognises is.
FALLBACK_RULE = rule(
    "fallback",
    "final",
    "a final failure no table recognises",
    Outcome.SOFT_BOUNCE,
    BounceReason.PROVIDER_UNKNOWN_FAILURE,
    source="LIB",
    decision="D4",
)
_INTERMEDIATE_RULE = rule(
    "intermediate",
    "intermediate",
    "marked as an intermediate notification",
    Outcome.PENDING,
    source="W-SMSCENTRAL",
    decision="D2",
)
_REGISTRATION_RULE_REASON = BounceReason.BLOCKED_BY_RECIPIENT_OR_OPERATOR


@attrs.frozen
class Classification:
    """What a report means. ``rule`` is the table row that decided.

    ``avoidable_by_sender``: checking before sending (numbers, send-time rules, sender set-up)
    would have prevented it. ``platform_fault``: a technical failure of the provider's platform,
    the kind of soft bounce a customer may claim compensation for. ``escalated_from``: the soft
    reason a ``SoftBounceEscalation`` turned into this hard bounce.
    """

    outcome: Outcome
    reason: BounceReason | None
    retryable: bool
    avoidable_by_sender: bool
    platform_fault: bool
    rule: Rule
    escalated_from: BounceReason | None = None

    @classmethod
    def from_rule(cls, row: Rule) -> Classification:
        """The classification a table row gives."""
        avoidable = (
            row.reason.avoidable_by_sender
            if row.reason is not None
            else row.outcome is Outcome.REJECTED_CONFIG
        )
        return cls(row.outcome, row.reason, row.retryable, avoidable, row.platform_fault, row)


@runtime_checkable
class BounceClassifier(Protocol):
    """Anything that reads a report: a ``Classification``, or ``None`` to let the next answer."""

    def __call__(self, report: DeliveryReport, /) -> Classification | None:
        """Classify ``report``, or decline with ``None``."""
        ...


_PROVIDER_STATUS_TABLES: Mapping[str, tuple[Mapping[str, Rule], ...]] = {
    "smpp": (SMPP_STATUS_RULES,),
    "twilio": (twilio.STATUS_RULES,),
    "vonage": (vonage.STATUS_RULES,),
    "brevo": (BREVO_STATUS_RULES,),
    "kannel": (KANNEL_RULES, SMPP_STATUS_RULES),
    "infobip": (infobip.STATUS_RULES,),
}
_ERROR_TABLES: Mapping[ErrorNamespace, tuple[Mapping[str, Rule], ...]] = {
    ErrorNamespace.SMPP_COMMAND_STATUS: (COMMAND_STATUS_RULES,),
    ErrorNamespace.GSM_MAP: (MAP_RULES,),
    ErrorNamespace.TWILIO: (twilio.ERROR_RULES,),
    ErrorNamespace.VONAGE: (vonage.ERROR_RULES,),
    ErrorNamespace.INFOBIP: (infobip.ERROR_RULES, MAP_RULES),  # ids 1-71 are MAP codes
}


def _status_key(provider: str, status: str) -> str:
    if provider == "brevo":
        return brevo_event_key(status)
    if provider in ("twilio", "vonage"):
        return status.lower()
    return status.upper()


def _frozen_overrides(value: Mapping[tuple[str, str], Rule]) -> Mapping[tuple[str, str], Rule]:
    return MappingProxyType(dict(value))


@attrs.frozen
class TableClassifier:
    """The built-in classifier: the code tables, plus your overrides.

    ``overrides`` maps ``(namespace, code)`` to a ``Rule``, where namespace is a table's name in
    ``CODE_TABLES`` (``"twilio"``, ``"smpp_status"``, ...) and code its key there (status words
    in the table's case). ``sender_registration_is_hard_bounce`` counts a missing sender
    registration as a hard bounce, as Brevo does (decision D9), instead of REJECTED_CONFIG.
    """

    overrides: Mapping[tuple[str, str], Rule] = attrs.field(
        factory=dict, converter=_frozen_overrides, hash=False
    )
    sender_registration_is_hard_bounce: bool = False
    _cache: dict[tuple[object, ...], Classification] = attrs.field(
        factory=dict, init=False, eq=False, repr=False
    )

    def with_override(
        self,
        namespace: str,
        code: str | int,
        outcome: Outcome,
        reason: BounceReason | None = None,
        *,
        source: str,
        name: str = "",
        retryable: bool | None = None,
        platform_fault: bool | None = None,
    ) -> TableClassifier:
        """A copy that reads ``code`` of ``namespace`` your way; ``source`` says who says so."""
        if namespace not in CODE_TABLES:
            raise ValidationError(
                "TableClassifier.with_override.namespace",
                f"{describe(namespace)} is not one of: {', '.join(CODE_TABLES)}",
            )
        try:
            row = rule(
                namespace,
                code,
                name or str(code),
                outcome,
                reason,
                source=source,
                retryable=retryable,
                platform_fault=platform_fault,
            )
        except ValueError as error:
            raise ValidationError("TableClassifier.with_override", str(error)) from None
        return attrs.evolve(self, overrides={**self.overrides, (namespace, row.code): row})

    def _lookup(self, tables: tuple[Mapping[str, Rule], ...], code: str) -> Rule | None:
        for found_table in tables:
            found = found_table.get(code)
            if found is not None:
                return self.overrides.get((found.namespace, code), found)
        return None

    def _override(self, namespaces: Iterable[str], code: str) -> Rule | None:
        for namespace in namespaces:
            found = self.overrides.get((namespace, code))
            if found is not None:
                return found
        return None

    def _error_rule(self, error: ErrorCode) -> Rule | None:
        if error.namespace is ErrorNamespace.BREVO:
            for pattern, row in BREVO_REASON_RULES:
                if pattern.search(error.code):
                    return self.overrides.get(("brevo", row.code), row)
            return None
        tables = _ERROR_TABLES.get(error.namespace, ())
        return self._override((error.namespace.value,), error.code) or self._lookup(
            tables, error.code
        )

    def _status_rule(self, report: DeliveryReport) -> Rule | None:
        if report.status is None:
            return None
        key = _status_key(report.provider, report.status)
        tables = _PROVIDER_STATUS_TABLES.get(report.provider, (SMPP_STATUS_RULES,))
        namespaces = [next(iter(t.values())).namespace for t in tables if t]
        found = self._override(namespaces, key) or self._lookup(tables, key)
        if found is None and report.provider == "infobip":
            group = report.details.get("group", "").upper()
            found = self._override(("infobip_group",), group) or infobip.GROUP_RULES.get(group)
        return found

    def _decide(self, report: DeliveryReport) -> Rule:
        error_rule = None if report.error is None else self._error_rule(report.error)
        if error_rule is not None and error_rule.outcome is Outcome.UNSUBSCRIBED:
            return error_rule
        status_rule = self._status_rule(report)
        if report.intermediate:
            return _INTERMEDIATE_RULE
        if status_rule is not None and status_rule.outcome in (Outcome.PENDING, Outcome.DELIVERED):
            return status_rule
        if status_rule is not None and status_rule.outcome is Outcome.UNSUBSCRIBED:
            return status_rule
        return error_rule or status_rule or FALLBACK_RULE

    def __call__(self, report: DeliveryReport, /) -> Classification:
        """Classify ``report``; this classifier always answers."""
        key = (
            report.provider,
            report.status,
            report.error,
            report.intermediate,
            report.details.get("group") if report.provider == "infobip" else None,
        )
        found = self._cache.get(key)
        if found is None:
            found = self._classification(self._decide(report))
            if len(self._cache) < 65_536:
                self._cache[key] = found
        return found

    def _classification(self, row: Rule) -> Classification:
        if row.sender_registration and self.sender_registration_is_hard_bounce:
            return Classification(
                Outcome.HARD_BOUNCE, _REGISTRATION_RULE_REASON, False, True, False, row
            )
        return Classification.from_rule(row)


#: What the engine records when a message expires without a final receipt (its pending timeout
#: passed): a soft bounce, expired at operator, retryable, as SMPP's ``EXPIRED`` row says (D3).
EXPIRED = Classification.from_rule(SMPP_STATUS_RULES["EXPIRED"])

#: The classifier ``classify`` uses by default.
DEFAULT_CLASSIFIER = TableClassifier()


def classify(
    report: DeliveryReport, *, classifier: BounceClassifier | None = None
) -> Classification:
    """What ``report`` means, by ``classifier`` (default: the built-in tables).

    >>> from sms_campaign_stats.providers import parse_twilio_callback
    >>> found = classify(parse_twilio_callback(
    ...     {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003"}))
    >>> found.outcome, found.reason, found.retryable, found.rule.source
    (<Outcome.SOFT_BOUNCE: 'soft_bounce'>, <BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE: \
'handset_off_or_out_of_coverage'>, True, 'W-TW-ERR')
    """
    found = (classifier or DEFAULT_CLASSIFIER)(report)
    return found if found is not None else DEFAULT_CLASSIFIER(report)


@attrs.frozen(init=False)
class ClassifierChain:
    """Asks each classifier in turn; the first that answers wins, then ``default``.

    >>> def stop_means_unsubscribe(report):
    ...     return None  # a plain function qualifies; None lets the next one answer
    >>> chain = ClassifierChain(stop_means_unsubscribe)
    """

    classifiers: tuple[Callable[[DeliveryReport], Classification | None], ...]
    default: BounceClassifier

    def __init__(
        self,
        *classifiers: Callable[[DeliveryReport], Classification | None],
        default: BounceClassifier = DEFAULT_CLASSIFIER,
    ) -> None:
        for index, item in enumerate(classifiers):
            if not callable(item):
                raise ValidationError(
                    f"ClassifierChain[{index}]", f"{describe(item)} is not callable"
                )
        self.__attrs_init__(tuple(classifiers), default)

    def __call__(self, report: DeliveryReport, /) -> Classification:
        """The first answer, or the default's."""
        for classifier in self.classifiers:
            found = classifier(report)
            if found is not None:
                return found
        return classify(report, classifier=self.default)


_ESCALATION_SOURCE = "W-VOYADO"


@attrs.frozen
class SoftBounceEscalation:
    """Counts a number's repeated soft bounces as a hard bounce.

    When this soft bounce and the earlier ones of the same number within ``window`` number at
    least ``threshold``, the classification becomes a hard bounce with ``reason``. Voyado's rule
    is the default: 5 soft bounces in 90 days ([W-VOYADO]). Avoidable reasons (landline, invalid
    number, forbidden hours) never escalate: they are the sender's to fix, and such messages are
    not even sent.
    """

    threshold: int = 5
    window: timedelta = timedelta(days=90)
    reason: BounceReason = BounceReason.NUMBER_DOES_NOT_EXIST

    def __attrs_post_init__(self) -> None:
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int):
            raise ValidationError("SoftBounceEscalation.threshold", "must be an integer")
        if self.threshold < 1:
            raise ValidationError("SoftBounceEscalation.threshold", "must be at least 1")
        if not isinstance(self.window, timedelta) or self.window <= timedelta(0):
            raise ValidationError("SoftBounceEscalation.window", "must be a positive timedelta")
        if not isinstance(self.reason, BounceReason) or self.reason.kind is not BounceKind.HARD:
            raise ValidationError("SoftBounceEscalation.reason", "must be a hard bounce reason")

    def apply(
        self,
        classification: Classification,
        *,
        earlier_soft_bounces: Iterable[datetime],
        now: datetime,
    ) -> Classification:
        """``classification``, escalated if this number soft-bounced too often lately.

        ``earlier_soft_bounces`` are the times of the number's previous (non-avoidable) soft
        bounces; ``now`` the time of this one.
        """
        now = check_utc("SoftBounceEscalation.now", now)
        if classification.outcome is not Outcome.SOFT_BOUNCE or classification.avoidable_by_sender:
            return classification
        since = now - self.window
        recent = sum(
            1
            for moment in earlier_soft_bounces
            if since < check_utc("earlier_soft_bounces", moment) <= now
        )
        if recent + 1 < self.threshold:
            return classification
        row = rule(
            "escalation",
            f"{self.threshold}/{self.window.days}d",
            f"{self.threshold} soft bounces within {self.window}",
            Outcome.HARD_BOUNCE,
            self.reason,
            source=_ESCALATION_SOURCE,
        )
        return Classification(
            Outcome.HARD_BOUNCE,
            self.reason,
            False,
            False,
            False,
            row,
            escalated_from=classification.reason,
        )
