"""What a delivery report means: outcome, bounce reason, and whether a retry can help.

``classify(report)`` answers with a ``Classification`` and the code-table row (``CodeRow``) that
decided. The order of precedence:

1. an opt-out signal decides whatever the status says: an error meaning the recipient opted
   out *before* (Twilio 21610 and 63014, Vonage err 9 and 53, Infobip 603) is a HARD_BOUNCE,
   ``opted_out_earlier``, that blocklists the number; a provider's unsubscribe event for a
   message of this campaign (Brevo's ``unsubscribe``) is UNSUBSCRIBED;
2. an intermediate status (ENROUTE, ACCEPTD, buffered, queued, sent, ...) or a report marked
   intermediate gives PENDING, and a delivered status gives DELIVERED: an error code never turns
   a delivery into a bounce;
3. an error code in a namespace the library knows decides (GSM MAP, SMPP command status, Twilio,
   Vonage, Infobip, Brevo reason texts); a provider's own codes (``ErrorNamespace.PROVIDER``)
   are kept but not interpreted;
4. otherwise the provider's status word decides;
5. a status word no table knows (``bogus``, a new Brevo event), with no error code or only a
   provider's own, is PENDING, typed as unknown (``Classification.unknown``, ``UNKNOWN_ROW``)
   and logged: never a final, retryable platform fault (the engine's pending timeout decides,
   as for any silent message);
6. anything else (no status word; an unlisted code of a vocabulary the library reads, such as
   an unlisted ``submit_sm_resp`` command status) is a SOFT_BOUNCE with
   PROVIDER_UNKNOWN_FAILURE (``FALLBACK_ROW``).

The tables are data, one provider module each, listed by the registry
``sms_campaign_stats.providers.PROVIDERS``; ``CODE_TABLES`` gathers them, each row citing its
source; ``docs/code-tables.md`` is generated from them. A classifier is anything callable as
``classifier(report)`` returning a ``Classification`` or ``None`` (no answer): a plain function
qualifies. ``FirstOf`` asks several in turn, the first that answers wins (``a | b`` builds one);
``TableClassifier.with_override`` changes single codes without copying a table, and
``TableClassifier(providers=...)`` reads a registry you extended; ``SoftBounceEscalation`` turns a
number's repeated soft bounces into a hard bounce.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Protocol, runtime_checkable

import attrs

from sms_campaign_stats._core.privacy import mask_numbers_in
from sms_campaign_stats._core.validate import check_utc, describe
from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.lifecycle._statuses import BounceKind, BounceReason, Outcome
from sms_campaign_stats.providers import (
    DECISIONS,
    PROVIDERS,
    CodeRow,
    DeliveryReport,
    ErrorCode,
    ErrorNamespace,
    ProviderRegistry,
    code_row,
)

__all__ = [
    "CODE_TABLES",
    "DECISIONS",
    "EXPIRED",
    "FALLBACK_ROW",
    "UNKNOWN_ROW",
    "BounceClassifier",
    "Classification",
    "CodeRow",
    "FirstOf",
    "Outcome",
    "SoftBounceEscalation",
    "TableClassifier",
    "classify",
]

_log = logging.getLogger(__name__)

#: Every table of every registered provider, by the namespace its rows carry, in the registry's
#: order. Brevo reasons are patterns, listed in order.
CODE_TABLES: Mapping[str, Mapping[str, CodeRow]] = PROVIDERS.tables

#: What a report with no status word and no known error code is.
FALLBACK_ROW = code_row(
    "fallback",
    "final",
    "a final failure no table recognises",
    Outcome.SOFT_BOUNCE,
    BounceReason.PROVIDER_UNKNOWN_FAILURE,
    source="LIB",
    decision="D4",
)
#: What a status word no table knows is: still on its way (not final, never retried as a
#: platform fault), marked unknown (``Classification.unknown``) and logged.
UNKNOWN_ROW = code_row(
    "unknown",
    "status",
    "a status word no table knows: kept pending until a known status or the pending timeout",
    Outcome.PENDING,
    source="LIB",
    decision="UNKNOWN",
)
_INTERMEDIATE_ROW = code_row(
    "intermediate",
    "intermediate",
    "marked as an intermediate notification",
    Outcome.PENDING,
    source="W-SMSCENTRAL",
    decision="D2",
)
_REGISTRATION_REASON = BounceReason.BLOCKED_BY_RECIPIENT_OR_OPERATOR


@attrs.frozen
class Classification:
    """What a report means. ``row`` is the code-table row (``CodeRow``) that decided.

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
    row: CodeRow
    escalated_from: BounceReason | None = None

    @property
    def unknown(self) -> bool:
        """True when no table knew the report's status word (the outcome is then PENDING)."""
        return self.row is UNKNOWN_ROW

    @classmethod
    def from_row(cls, row: CodeRow) -> Classification:
        """The classification a code-table row gives.

        >>> Classification.from_row(CODE_TABLES["twilio"]["30003"]).retryable
        True
        """
        if row.avoidable_by_sender is not None:
            avoidable = row.avoidable_by_sender
        elif row.reason is not None:
            avoidable = row.reason.avoidable_by_sender
        else:
            avoidable = row.outcome is Outcome.REJECTED_CONFIG
        return cls(row.outcome, row.reason, row.retryable, avoidable, row.platform_fault, row)


#: What the engine records when a message expires without a final receipt (its pending timeout
#: passed): a soft bounce, expired at operator, retryable, as SMPP's ``EXPIRED`` row says (D3).
EXPIRED = Classification.from_row(CODE_TABLES["smpp_status"]["EXPIRED"])


@runtime_checkable
class BounceClassifier(Protocol):
    """Anything that reads a report: a ``Classification``, or ``None`` to let the next answer."""

    def __call__(self, report: DeliveryReport, /) -> Classification | None:
        """Classify ``report``, or decline with ``None``."""
        ...


_Classifier = Callable[[DeliveryReport], "Classification | None"]


class _FirstOfOperator:
    """``a | b`` is ``FirstOf(a, b)``: ask ``a``, then ``b`` if ``a`` declines. Either side may be
    a plain function; a ``FirstOf`` on either side is flattened (its classifiers joined, its
    default kept)."""

    __slots__ = ()

    def __or__(self, other: object) -> FirstOf:
        if not callable(other):
            return NotImplemented
        return FirstOf(self, other, default=_default_of(self, other))  # type: ignore[arg-type]

    def __ror__(self, other: object) -> FirstOf:
        if not callable(other):
            return NotImplemented
        return FirstOf(other, self, default=_default_of(other, self))  # type: ignore[arg-type]


def _default_of(left: object, right: object) -> BounceClassifier:
    """The default of a chain joined by ``|``: the left chain's, else the right chain's."""
    for side in (left, right):
        if isinstance(side, FirstOf):
            return side.default
    return DEFAULT_CLASSIFIER


def _frozen_overrides(
    value: Mapping[tuple[str, str], CodeRow],
) -> Mapping[tuple[str, str], CodeRow]:
    return MappingProxyType(dict(value))


@attrs.frozen
class TableClassifier(_FirstOfOperator):
    """The built-in classifier: the registered providers' code tables, plus your overrides.

    ``overrides`` maps ``(namespace, code)`` to a ``CodeRow``, where namespace is a table's name in
    ``CODE_TABLES`` (``"twilio"``, ``"smpp_status"``, ...) and code its key there (status words
    in the table's case). ``sender_registration_is_hard_bounce`` counts a missing sender
    registration as a hard bounce, as Brevo does (decision D9), instead of REJECTED_CONFIG.
    ``providers`` is the registry whose tables are read (``PROVIDERS`` by default; pass
    ``PROVIDERS.with_provider(yours)`` to read a provider of your own). It always answers, so
    in ``a | b`` it belongs last.
    """

    overrides: Mapping[tuple[str, str], CodeRow] = attrs.field(
        factory=dict, converter=_frozen_overrides, hash=False
    )
    sender_registration_is_hard_bounce: bool = False
    providers: ProviderRegistry = attrs.field(
        default=PROVIDERS, validator=attrs.validators.instance_of(ProviderRegistry)
    )
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
        tables = self.providers.tables
        if namespace not in tables:
            raise ValidationError(
                "TableClassifier.with_override.namespace",
                f"{describe(namespace)} is not one of: {', '.join(tables)}",
            )
        try:
            row = code_row(
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

    def _lookup(self, names: Iterable[str], code: str) -> CodeRow | None:
        tables = self.providers.tables
        for name in names:
            found = tables[name].get(code)
            if found is not None:
                return self.overrides.get((found.namespace, code), found)
        return None

    def _override(self, namespaces: Iterable[str], code: str) -> CodeRow | None:
        for namespace in namespaces:
            found = self.overrides.get((namespace, code))
            if found is not None:
                return found
        return None

    def _error_row(self, error: ErrorCode) -> CodeRow | None:
        names = self.providers.error_tables(error.namespace)
        patterns = self.providers.patterns(names[0]) if names else ()
        if patterns:  # a reason text (Brevo): the first pattern found in it decides
            for pattern, row in patterns:
                if pattern.search(error.code):
                    return self.overrides.get((row.namespace, row.code), row)
            return None
        return self._override((error.namespace.value,), error.code) or self._lookup(
            names, error.code
        )

    def _status_row(self, report: DeliveryReport) -> CodeRow | None:
        if report.status is None:
            return None
        reader = self.providers.reader(report.provider)
        key = reader.status_key(report.status)
        found = self._override(reader.status_tables, key) or self._lookup(reader.status_tables, key)
        if found is None and reader.group_table:
            group = report.details.get("group", "").upper()
            found = self._override((reader.group_table,), group) or self._lookup(
                (reader.group_table,), group
            )
        return found

    def _decide(self, report: DeliveryReport) -> CodeRow:
        error_row = None if report.error is None else self._error_row(report.error)
        if error_row is not None and (
            error_row.outcome is Outcome.UNSUBSCRIBED
            or error_row.reason is BounceReason.OPTED_OUT_EARLIER
        ):
            return error_row
        status_row = self._status_row(report)
        if report.intermediate:
            return _INTERMEDIATE_ROW
        if status_row is not None and status_row.outcome in (Outcome.PENDING, Outcome.DELIVERED):
            return status_row
        if status_row is not None and status_row.outcome is Outcome.UNSUBSCRIBED:
            return status_row
        if (
            error_row is None
            and status_row is None
            and report.status is not None
            and (report.error is None or report.error.namespace is ErrorNamespace.PROVIDER)
        ):
            return UNKNOWN_ROW  # a word no table knows: not final, not a platform fault
        return error_row or status_row or FALLBACK_ROW

    def __call__(self, report: DeliveryReport, /) -> Classification:
        """Classify ``report``; this classifier always answers."""
        key = (
            report.provider,
            report.status,
            report.error,
            report.intermediate,
            report.details.get("group"),
        )
        found = self._cache.get(key)
        if found is None:
            found = self._classification(self._decide(report))
            if len(self._cache) < 65_536:
                self._cache[key] = found
        if found.row is UNKNOWN_ROW:
            _log.warning(
                "unknown status word %s from provider %s: kept pending",
                mask_numbers_in(repr(report.status)[:60]),
                mask_numbers_in(repr(report.provider)[:60]),
            )
        return found

    def _classification(self, row: CodeRow) -> Classification:
        if row.sender_registration and self.sender_registration_is_hard_bounce:
            return Classification(
                Outcome.HARD_BOUNCE, _REGISTRATION_REASON, False, True, False, row
            )
        return Classification.from_row(row)


#: The classifier ``classify`` uses by default.
DEFAULT_CLASSIFIER = TableClassifier()


def classify(
    report: DeliveryReport, *, classifier: BounceClassifier | None = None
) -> Classification:
    """What ``report`` means, by ``classifier`` (default: the built-in tables).

    >>> from sms_campaign_stats.providers import parse_twilio_callback
    >>> found = classify(parse_twilio_callback(
    ...     {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003"}))
    >>> found.outcome, found.reason, found.retryable, found.row.source
    (<Outcome.SOFT_BOUNCE: 'soft_bounce'>, <BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE: \
'handset_off_or_out_of_coverage'>, True, 'W-TW-ERR')
    """
    found = (classifier or DEFAULT_CLASSIFIER)(report)
    return found if found is not None else DEFAULT_CLASSIFIER(report)


@attrs.frozen(init=False)
class FirstOf(_FirstOfOperator):
    """The first classifier that answers: each in turn, then ``default`` (which always answers).

    ``a | b`` builds ``FirstOf(a, b)``; a nested ``FirstOf`` with the same default is flattened,
    so ``(a | b) | c == FirstOf(a, b, c)``. A plain function qualifies, on either side of ``|``.

    >>> def stop_means_unsubscribe(report):
    ...     return None  # a plain function qualifies; None lets the next one answer
    >>> def my_gateway(report):
    ...     return None
    >>> FirstOf(stop_means_unsubscribe) | my_gateway == FirstOf(stop_means_unsubscribe, my_gateway)
    True
    """

    classifiers: tuple[_Classifier, ...]
    default: BounceClassifier

    def __init__(
        self, *classifiers: _Classifier, default: BounceClassifier = DEFAULT_CLASSIFIER
    ) -> None:
        flat: list[_Classifier] = []
        for index, item in enumerate(classifiers):
            if not callable(item):
                raise ValidationError(f"FirstOf[{index}]", f"{describe(item)} is not callable")
            if isinstance(item, FirstOf) and item.default == default:
                flat.extend(item.classifiers)
            else:
                flat.append(item)
        if not callable(default):
            raise ValidationError("FirstOf.default", f"{describe(default)} is not callable")
        self.__attrs_init__(tuple(flat), default)

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
        row = code_row(
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
