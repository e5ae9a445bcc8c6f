"""``CodeRow``: one row of a code table, and the helpers that keep the tables short and uniform.

A row says what one status word or error code means: the outcome, the bounce reason, whether a
retry can help, whether it is a failure of the provider's platform, and which source says so
(tags listed in ``_sources.py``). ``decision`` names the reference's disagreement (D1..D13) or
the library's own choice where sources disagree or are silent; ``docs/code-tables.md`` explains
each one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs

from sms_campaign_stats.lifecycle._statuses import BounceReason, Outcome

__all__ = ["NOT_RETRYABLE_REASONS", "PLATFORM_FAULT_REASONS", "CodeRow", "code_row", "code_table"]

_R = BounceReason

#: Soft reasons for which sending the same message again cannot help: the number cannot take
#: SMS, is invalid, or the content or sender is refused. Every other soft reason is retryable.
NOT_RETRYABLE_REASONS = frozenset(
    {
        _R.LANDLINE_NUMBER,
        _R.INVALID_NUMBER_OR_COUNTRY_CODE,
        _R.SPAM_FILTERED_BY_OPERATOR,
        _R.UNDELIVERABLE_CONTENT,
    }
)
#: Soft reasons that are, by default, a failure of the provider's own platform: the kind of soft
#: bounce a customer may claim compensation for. Operator, handset and recipient problems are not.
PLATFORM_FAULT_REASONS = frozenset({_R.PROVIDER_UNKNOWN_FAILURE})


@attrs.frozen
class CodeRow:
    """What one code or status word means, and who says so.

    ``namespace`` is the name of the table the row belongs to (``"twilio"``, ``"smpp_status"``),
    ``code`` its key there; ``source`` a tag of ``SOURCES`` (a row without one is refused),
    ``decision`` a key of ``DECISIONS`` (or empty). ``avoidable_by_sender`` overrides what the
    outcome and reason imply (``None``: they decide). Build rows with ``code_row``, which fills in
    the retry and platform-fault flags.
    """

    namespace: str
    code: str
    name: str
    outcome: Outcome
    reason: BounceReason | None
    retryable: bool
    platform_fault: bool
    source: str
    decision: str = ""
    sender_registration: bool = False
    avoidable_by_sender: bool | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.source, str) or not self.source.strip():
            raise ValueError(f"{self.namespace}:{self.code}: a row names its source")
        bounce = self.outcome in (Outcome.SOFT_BOUNCE, Outcome.HARD_BOUNCE)
        if bounce != (self.reason is not None):
            raise ValueError(f"{self.namespace}:{self.code}: a reason goes with bounces only")
        if self.reason is not None and self.reason.is_soft != (self.outcome is Outcome.SOFT_BOUNCE):
            raise ValueError(f"{self.namespace}:{self.code}: reason kind and outcome disagree")


def code_row(
    namespace: str,
    code: str | int,
    name: str,
    outcome: Outcome,
    reason: BounceReason | None = None,
    *,
    source: str,
    decision: str = "",
    retryable: bool | None = None,
    platform_fault: bool | None = None,
    sender_registration: bool = False,
    avoidable_by_sender: bool | None = None,
) -> CodeRow:
    """A table row, with the default retry and platform-fault flags for its outcome and reason.

    A soft bounce is retryable unless its reason says sending again cannot help (landline,
    invalid number, spam filter, content); a throttled request is retryable; nothing else is.
    ``ValueError`` if the outcome and the reason disagree (a reason goes with bounces only).

    >>> from sms_campaign_stats import BounceReason, Outcome
    >>> code_row("acme", 7, "number gone", Outcome.HARD_BOUNCE,
    ...          BounceReason.NUMBER_DOES_NOT_EXIST, source="LIB").retryable
    False
    """
    if retryable is None:
        retryable = outcome is Outcome.THROTTLED or (
            outcome is Outcome.SOFT_BOUNCE and reason not in NOT_RETRYABLE_REASONS
        )
    if platform_fault is None:
        platform_fault = reason in PLATFORM_FAULT_REASONS
    return CodeRow(
        namespace=namespace,
        code=str(code),
        name=name,
        outcome=outcome,
        reason=reason,
        retryable=retryable,
        platform_fault=platform_fault,
        source=source,
        decision=decision,
        sender_registration=sender_registration,
        avoidable_by_sender=avoidable_by_sender,
    )


def code_table(rows: Iterable[CodeRow]) -> Mapping[str, CodeRow]:
    """Rows keyed by code, read-only, in the order given; a code listed twice is a mistake in the
    table (``ValueError``)."""
    keyed: dict[str, CodeRow] = {}
    for row in rows:
        if row.code in keyed:
            raise ValueError(f"{row.namespace}: code {row.code} is listed twice")
        keyed[row.code] = row
    return MappingProxyType(keyed)
