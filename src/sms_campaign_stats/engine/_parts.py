"""Messages in several parts: which part's receipt decides the message.

A text longer than one SMS goes out in parts. Over SMPP each part is its own ``submit_sm``, with
its own message id, and whether each part gets a receipt depends on the gateway:

* Jasmin requests a receipt on the last part only: its HTTP API sets ``registered_delivery`` on
  the last ``submit_sm`` ("Set DLR bit mask on the last pdu", jookies/jasmin
  ``jasmin/protocols/http/endpoints/send.py``), by design (the maintainer in
  https://github.com/jookies/jasmin/issues/789 and https://github.com/jookies/jasmin/issues/663);
* Kannel's bearerbox sets the receipt mask on the first part only: ``sms_split`` in
  ``gw/sms.c`` clears ``dlr_mask`` and ``dlr_url`` on every part after the first ("only ask DLR
  for the first one";
  https://github.com/markjeee/kannel/blob/17d34465deff437185a50ed201f95c0939fa7cea/gw/sms.c
  and https://github.com/kneodev/ksmppd/issues/37);
* other SMSCs send a receipt for every part when every part asks for one
  (https://github.com/apache/camel/pull/5651: "the SMSC send[s] a DLR for every segment").

``CampaignEngine.submitted`` records every part's id (``Attempt.parts``), so every part's receipt
finds its message; a ``PartPolicy`` says which receipts decide it. Pure functions over the
message as read, its attempt and the classification of the receipt: ``route`` for a receipt,
``expiry_report`` for an expiry.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from sms_campaign_stats._core.segments import MAX_SEGMENTS
from sms_campaign_stats.bounces import Classification
from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.lifecycle._statuses import MessageStatus, Outcome
from sms_campaign_stats.model import Attempt, Message, Part
from sms_campaign_stats.providers import DeliveryReport

__all__ = [
    "DEFAULT_PART_POLICY",
    "SEVERITY",
    "PartPolicy",
    "Route",
    "check_resubmission",
    "deciding_part",
    "expiry_report",
    "provider_ids_argument",
    "route",
    "to_part_policy",
]


class PartPolicy(str, enum.Enum):
    """Which receipts of a message sent in several parts decide its outcome.

    * ``FIRST_TO_REPORT`` (the default): the first part to send a final receipt decides, whichever
      it is; the other parts' receipts for that attempt change nothing. It decides under all three
      gateway behaviours (Jasmin's receipt on the last part, Kannel's on the first, a receipt per
      part elsewhere) without waiting for receipts that were never requested.
    * ``EVERY_PART``: the message is final when every part is final: delivered only if every part
      is delivered, otherwise the most severe part's outcome (hard before soft), ties to the
      earliest part. For SMSCs that send a receipt per part; under Jasmin or Kannel the parts
      that request no receipt stay silent until the message expires.
    * ``FIRST_PART``: the first part's receipt decides (Kannel); the others' change nothing.
    * ``LAST_PART``: the last part's receipt decides (Jasmin); the others' change nothing.
    """

    FIRST_TO_REPORT = "first_to_report"
    EVERY_PART = "every_part"
    FIRST_PART = "first_part"
    LAST_PART = "last_part"


#: The engine's default: decides under every gateway behaviour (see ``PartPolicy``).
DEFAULT_PART_POLICY = PartPolicy.FIRST_TO_REPORT

#: How severe a part's outcome is, for ``EVERY_PART``: the most severe part decides. Hard before
#: soft; the sender's set-up (which suspends the campaign) before a temporary failure; a provider
#: asking to slow down least of the failures.
SEVERITY: Mapping[Outcome, int] = {
    Outcome.DELIVERED: 0,
    Outcome.THROTTLED: 1,
    Outcome.SOFT_BOUNCE: 2,
    Outcome.REJECTED_CONFIG: 3,
    Outcome.HARD_BOUNCE: 4,
    Outcome.UNSUBSCRIBED: 5,
}


def to_part_policy(value: object) -> PartPolicy:
    """``value`` as a ``PartPolicy`` (a member, or its value: ``"every_part"``), else a
    ``ValidationError`` naming the engine's ``parts`` option."""
    try:
        return PartPolicy(value)
    except ValueError:
        names = ", ".join(repr(p.value) for p in PartPolicy)
        raise ValidationError("CampaignEngine.parts", f"{value!r} is not one of {names}") from None


def provider_ids_argument(value: object) -> tuple[str, ...]:
    """``submitted``'s provider ids: one id, or every part's in part order (distinct, non-empty
    strings, at most ``MAX_SEGMENTS``), as a tuple; else a ``ValidationError``."""
    field = "provider_message_id"
    if isinstance(value, str):
        ids: tuple[Any, ...] = (value,)
    elif isinstance(value, Sequence):
        ids = tuple(value)
    else:
        raise ValidationError(field, "a provider id, or a sequence of every part's ids")
    if not ids or not all(isinstance(pid, str) and pid for pid in ids):
        raise ValidationError(field, "each provider id must be a non-empty string")
    if len(set(ids)) != len(ids):
        raise ValidationError(field, "the parts' provider ids must be distinct")
    if len(ids) > MAX_SEGMENTS:
        raise ValidationError(field, f"{len(ids)} parts; a message has at most {MAX_SEGMENTS}")
    return ids


def check_resubmission(message: Message, ids: tuple[str, ...]) -> None:
    """Refuse, with a ``ValidationError``, a submission ``submit`` could not record, unless it
    repeats (some of) the ids of an attempt recorded already: a repeated acknowledgement."""
    wanted = set(ids)
    for attempt in message.attempts:
        known = set(attempt.provider_ids)
        if wanted <= known:
            return
        if wanted & known:
            raise ValidationError(
                "provider_message_id",
                f"message {message.id!r}: attempt {attempt.number} was recorded under other "
                "parts' ids; a new attempt's parts have new ids",
            )
    raise ValidationError(
        "submitted", f"message {message.id!r} is {message.status.value}, not queued"
    )


def deciding_part(outcomes: Sequence[Outcome | None]) -> int | None:
    """Under ``EVERY_PART``, the index of the part whose outcome the message takes: ``None``
    while a part is silent; else the most severe part (all delivered: the first), ties to the
    earliest in part order. A part's outcome is final (never ``PENDING``)."""
    if not outcomes or any(outcome is None for outcome in outcomes):
        return None
    ranks = [SEVERITY[outcome] for outcome in outcomes if outcome is not None]
    return ranks.index(max(ranks))


@attrs.frozen
class Route:
    """What a part's receipt does. ``effect`` not ``None``: the message is not decided now
    (``"part"``: this part's outcome recorded in ``message``, the others awaited;
    ``"duplicate"``: this part was recorded already; ``"pending"``: a part the policy does not
    read). ``effect`` ``None``: decide the message (``message``, this part recorded in it, if
    changed) with ``decider``, the stored receipt of the part that decides (``None``: this one)."""

    effect: str | None
    message: Message | None = None
    decider: Mapping[str, Any] | None = None


_IGNORED = Route("pending")
_DUPLICATE = Route("duplicate")


def route(
    policy: PartPolicy,
    message: Message,
    attempt: int,
    provider_message_id: str | None,
    found: Classification,
    report: DeliveryReport,
) -> Route | None:
    """What the receipt ``report`` (classified as ``found``) of the part ``provider_message_id``
    of ``message``'s attempt number ``attempt`` (an index) does; ``None`` when the parts do not
    matter: a message sent whole, a receipt the lifecycle decides (``late``, ``duplicate``,
    ``pending``: the message is not processing that attempt), an intermediate receipt, or the
    ``FIRST_TO_REPORT`` policy (any final receipt decides)."""
    current = message.attempts[attempt]
    if (
        not current.parts
        or message.status is not MessageStatus.PROCESSING
        or attempt != len(message.attempts) - 1
        or found.outcome is Outcome.PENDING
        or policy is PartPolicy.FIRST_TO_REPORT
    ):
        return None
    index = current.provider_ids.index(provider_message_id or "")
    if policy is PartPolicy.FIRST_PART:
        return None if index == 0 else _IGNORED
    if policy is PartPolicy.LAST_PART:
        return None if index == len(current.parts) - 1 else _IGNORED
    if current.parts[index].outcome is not None:
        return _DUPLICATE
    parts = list(current.parts)
    # A failed part's receipt is kept to be classified again, without its ``details`` (free
    # text, names, numbers: what ``forget`` could not find inside an attempt).
    kept = None if found.outcome is Outcome.DELIVERED else {**report.to_dict(), "details": {}}
    parts[index] = Part(
        provider_message_id=parts[index].provider_message_id, outcome=found.outcome, report=kept
    )
    recorded = _with_parts(message, current, tuple(parts))
    decides = deciding_part([part.outcome for part in parts])
    if decides is None:
        return Route("part", recorded)
    if decides == index or parts[decides].outcome is Outcome.DELIVERED:
        return Route(None, recorded)  # this part decides, or every part was delivered
    return Route(None, recorded, parts[decides].report)


def expiry_report(policy: PartPolicy, message: Message) -> Mapping[str, Any] | None:
    """For an expiry of ``message`` (its last attempt silent too long): the stored receipt of a
    part that failed more severely than the expiry's soft bounce (``EVERY_PART``: a part that
    hard bounced decides, the silent parts counting as expired), else ``None`` (the expiry
    decides)."""
    if policy is not PartPolicy.EVERY_PART:
        return None
    parts = message.attempts[-1].parts  # an expired message was sent: it has an attempt
    outcomes = [Outcome.SOFT_BOUNCE if p.outcome is None else p.outcome for p in parts]
    decides = deciding_part(outcomes)  # None: a message sent whole
    if decides is None or SEVERITY[outcomes[decides]] <= SEVERITY[Outcome.SOFT_BOUNCE]:
        return None  # no part failed worse than silence: the expiry decides
    return parts[decides].report


def _with_parts(message: Message, attempt: Attempt, parts: tuple[Part, ...]) -> Message:
    """``message`` with its last attempt's parts replaced (validated again: a rare path)."""
    changed = attrs.evolve(attempt, parts=parts)
    return attrs.evolve(message, attempts=(*message.attempts[:-1], changed))
