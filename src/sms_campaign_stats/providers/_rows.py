"""``Rule``: one row of a code table, and the helpers that keep the tables short and uniform.

A rule says what one status word or error code means: the outcome, the bounce reason, whether a
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

__all__ = ["Rule", "rule", "table"]

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
class Rule:
    """What one code or status word means, and who says so."""

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

    def __attrs_post_init__(self) -> None:
        bounce = self.outcome in (Outcome.SOFT_BOUNCE, Outcome.HARD_BOUNCE)
        if bounce != (self.reason is not None):
            raise ValueError(f"{self.namespace}:{self.code}: a reason goes with bounces only")
        if self.reason is not None and self.reason.is_soft != (self.outcome is Outcome.SOFT_BOUNCE):
            raise ValueError(f"{self.namespace}:{self.code}: reason kind and outcome disagree")


def rule(
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
) -> Rule:
    """A table row, with the default retry and platform-fault flags for its outcome and reason."""
    if retryable is None:
        retryable = outcome is Outcome.THROTTLED or (
            outcome is Outcome.SOFT_BOUNCE and reason not in NOT_RETRYABLE_REASONS
        )
    if platform_fault is None:
        platform_fault = reason in PLATFORM_FAULT_REASONS
    return Rule(
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
    )


def table(rows: Iterable[Rule]) -> Mapping[str, Rule]:
    """Rows keyed by code; a code listed twice is a mistake in the table."""
    keyed: dict[str, Rule] = {}
    for row in rows:
        if row.code in keyed:
            raise ValueError(f"{row.namespace}: code {row.code} is listed twice")
        keyed[row.code] = row
    return MappingProxyType(keyed)
