"""The domain: campaigns, messages and their attempts, replies, unsubscribes and history.

Everything here is a frozen, slotted ``attrs`` value, validated when it is built: datetimes are
aware (and kept in UTC), ids are non-empty, recipients are E.164, money is a non-negative
``Decimal``. A change returns a new object (``message.deliver(at=...)``); an event the lifecycle
table does not allow raises ``InvalidTransitionError`` and changes nothing. ``version`` belongs to
the store: it is the version a value was read at, and a store's compare-and-set checks it.
"""

from __future__ import annotations

import enum
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, cast

import attrs

from sms_campaign_stats._core import validate as v
from sms_campaign_stats._core.privacy import mask_number, mask_numbers_in_data
from sms_campaign_stats._core.segments import MAX_SEGMENTS, Encoding, SegmentInfo, segment_info
from sms_campaign_stats._core.shape import MessageShape, shape_of
from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.lifecycle._statuses import (
    BOUNCE_REASON_TABLE,
    BounceKind,
    BounceReason,
    BounceReasonInfo,
    CampaignEvent,
    CampaignStatus,
    MessageEvent,
    MessageStatus,
    Outcome,
    TimelineKind,
)
from sms_campaign_stats.lifecycle._transitions import (
    CAMPAIGN_EVENT_TIMELINE_KIND,
    CAMPAIGN_TRANSITIONS,
    MESSAGE_TRANSITIONS,
    next_campaign_status,
    next_message_status,
)

__all__ = [
    "BOUNCE_REASON_TABLE",
    "CAMPAIGN_EVENT_TIMELINE_KIND",
    "CAMPAIGN_TRANSITIONS",
    "MESSAGE_TRANSITIONS",
    "Attempt",
    "Block",
    "BounceKind",
    "BounceReason",
    "BounceReasonInfo",
    "Campaign",
    "CampaignChange",
    "CampaignEvent",
    "CampaignStatus",
    "Encoding",
    "Message",
    "MessageEvent",
    "MessageStatus",
    "Outcome",
    "Part",
    "Reply",
    "SegmentInfo",
    "TimelineEvent",
    "TimelineKind",
    "Unsubscribe",
    "segment_info",
]

# A sender is an alphanumeric sender ID (at most 11 characters, 3GPP TS 23.040 9.1.2.5: TP-OA
# holds 11 GSM 7-bit characters) with at least one letter, or a number: a short code or a long
# number, optionally in E.164 form (ITU-T E.164: at most 15 digits).
_ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 .&'_\-+]{1,11}")
_NUMERIC_SENDER = re.compile(r"\+?[0-9]{3,15}")
_CURRENCY = re.compile(r"[A-Z]{3}")  # ISO 4217 alphabetic code
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_MAX_RAW_NUMBER = 64  # a refused number is kept as written, up to this length


def _field(instance: object, attribute: attrs.Attribute[Any]) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def _an_id(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    v.check_id(_field(instance, attribute), value)


def _an_optional_id(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        v.check_id(_field(instance, attribute), value)


def _a_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    v.check_text(_field(instance, attribute), value)


def _a_non_empty_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    v.check_text(_field(instance, attribute), value, allow_empty=False)


def _a_raw_number(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    field = _field(instance, attribute)
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_RAW_NUMBER:
        shown = mask_number(value) if isinstance(value, str) else type(value).__name__
        raise ValidationError(field, f"{shown} is not a phone number")


def _an_e164(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    v.check_e164(_field(instance, attribute), value)


def _a_count(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    v.non_negative_int(_field(instance, attribute), value)


def _a_bool(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise ValidationError(
            _field(instance, attribute), f"expected True or False, got {v.describe(value)}"
        )


def _aware(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    v.check_utc(_field(instance, attribute), value)


def _optional_zone(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        v.check_text("Message.zone", value, allow_empty=False)


def _optional_aware(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        v.check_utc(_field(instance, attribute), value)


def _money(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    v.check_money(_field(instance, attribute), value)


def _lists(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    v.check_list_ids(_field(instance, attribute), value)


def _member_of(enum_type: type[enum.Enum], *, optional: bool = False) -> Any:
    def validate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None or not optional:
            v.check_member(_field(instance, attribute), enum_type, value)

    return validate


# Named converters (the attrs mypy plugin only understands named functions): they coerce stored
# or JSON values to members, and pass anything else on for the validator to refuse by name.
def _to_outcome(value: Outcome | str | None) -> Outcome | None:
    return None if value is None else cast(Outcome, v.coerce_enum(Outcome, value))


def _to_campaign_status(value: CampaignStatus | str) -> CampaignStatus:
    return cast(CampaignStatus, v.coerce_enum(CampaignStatus, value))


def _to_message_status(value: MessageStatus | str) -> MessageStatus:
    return cast(MessageStatus, v.coerce_enum(MessageStatus, value))


def _to_bounce_reason(value: BounceReason | str | None) -> BounceReason | None:
    return None if value is None else cast(BounceReason, v.coerce_enum(BounceReason, value))


def _to_timeline_kind(value: TimelineKind | str) -> TimelineKind:
    return cast(TimelineKind, v.coerce_enum(TimelineKind, value))


def _an_optional_code(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        v.check_text(_field(instance, attribute), value, allow_empty=False)


def _an_optional_report(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Mapping):
        raise ValidationError(
            _field(instance, attribute), f"expected a report's mapping, got {v.describe(value)}"
        )


@attrs.frozen(kw_only=True)
class Part:
    """One part of a message sent in several parts (over SMPP, one ``submit_sm`` each, under its
    own provider message id), and what its own receipt said (``outcome``, ``None``: nothing
    final yet). ``report`` is the receipt of a part that failed (``DeliveryReport.to_dict()``,
    without its ``details``: no free text, no number), kept while the message waits for its
    other parts: the most severe part decides the message (``engine.PartPolicy.EVERY_PART``),
    classified again when the last part reports."""

    provider_message_id: str = attrs.field(validator=_an_id)
    outcome: Outcome | None = attrs.field(
        default=None, converter=_to_outcome, validator=_member_of(Outcome, optional=True)
    )
    report: Mapping[str, Any] | None = attrs.field(
        default=None, validator=_an_optional_report, hash=False
    )


def _part_tuple(parts: Iterable[Part]) -> tuple[Part, ...]:
    return parts if isinstance(parts, tuple) else tuple(parts)


@attrs.frozen(kw_only=True)
class Attempt:
    """One hand-over of a message to a provider, and what came of it (``None``: not known yet).

    ``parts``: for a message handed over in several parts, each part in order (the first one's
    id is ``provider_message_id``); empty for a message sent whole, under one id. ``provider``:
    the name of the provider whose report decided the outcome (``DeliveryReport.provider``:
    ``"brevo"``, ``"twilio"``, ...; ``None``: no report decided it, or it was not recorded)."""

    number: int = attrs.field(validator=_a_count)
    submitted_at: datetime = attrs.field(converter=v.to_utc, validator=_aware)
    provider_message_id: str | None = attrs.field(default=None, validator=_an_optional_id)
    outcome: Outcome | None = attrs.field(
        default=None, converter=_to_outcome, validator=_member_of(Outcome, optional=True)
    )
    provider_error_code: str | None = attrs.field(default=None, validator=_an_optional_code)
    parts: tuple[Part, ...] = attrs.field(default=(), converter=_part_tuple)
    provider: str | None = attrs.field(default=None, validator=_an_optional_code)

    def __attrs_post_init__(self) -> None:
        v.ensure("Attempt.number", self.number >= 1, "attempts are numbered from 1")
        if not self.parts:
            return
        ids = [part.provider_message_id for part in self.parts if isinstance(part, Part)]
        v.ensure(
            "Attempt.parts",
            len(ids) == len(self.parts) >= 2,
            "a message in several parts has at least two Part values",
        )
        v.ensure(
            "Attempt.parts",
            ids[0] == self.provider_message_id and len(set(ids)) == len(ids),
            "the first part's id is the attempt's provider_message_id, and the ids are distinct",
        )

    @property
    def provider_ids(self) -> tuple[str, ...]:
        """Every provider id the attempt is known by: each part's, in part order, or its one."""
        if self.parts:
            return tuple(part.provider_message_id for part in self.parts)
        pid = self.provider_message_id
        return () if pid is None else (pid,)


def _masked_details(details: Mapping[str, Any]) -> str:
    return repr(mask_numbers_in_data(details))


@attrs.frozen(kw_only=True)
class TimelineEvent:
    """One entry in a campaign's history. ``details`` is JSON-like data (copied, made plain)."""

    campaign_id: str = attrs.field(validator=_an_id)
    at: datetime = attrs.field(converter=v.to_utc, validator=_aware)
    kind: TimelineKind = attrs.field(
        converter=_to_timeline_kind, validator=_member_of(TimelineKind)
    )
    details: Mapping[str, Any] = attrs.field(
        factory=dict, converter=v.plain_json, hash=False, repr=_masked_details
    )


class CampaignChange(NamedTuple):
    """What a campaign transition returns: the new campaign and the history entry it leaves."""

    campaign: Campaign
    event: TimelineEvent


def _validate_sender(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    field = _field(instance, attribute)
    if not isinstance(value, str) or not (
        _ALPHANUMERIC_SENDER.fullmatch(value) or _NUMERIC_SENDER.fullmatch(value)
    ):
        raise ValidationError(
            field,
            f"{v.describe(value)} is neither an alphanumeric sender ID (1 to 11 letters, digits, "
            "spaces or . & ' _ - +, with at least one letter) nor a number (3 to 15 digits, "
            "optional '+')",
        )


def _validate_content(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    field = _field(instance, attribute)
    text = v.check_text(field, value, allow_empty=False)
    info = segment_info(text)
    v.ensure(
        field,
        info.segments <= MAX_SEGMENTS,
        f"needs {info.segments} SMS segments; at most {MAX_SEGMENTS} can be concatenated",
    )


def _validate_currency(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or _CURRENCY.fullmatch(value) is None:
        raise ValidationError(
            _field(instance, attribute),
            f"{v.describe(value)} is not an ISO 4217 code such as 'EUR'",
        )


@attrs.frozen(kw_only=True)
class Campaign:
    """An SMS campaign: what is sent, by whom, to which contact lists, at what price.

    ``unit_price`` is the price of one SMS segment in ``currency``.
    """

    id: str = attrs.field(validator=_an_id)
    name: str = attrs.field(validator=_a_non_empty_text)
    sender: str = attrs.field(validator=_validate_sender)
    content: str = attrs.field(validator=_validate_content)
    list_ids: tuple[str, ...] = attrs.field(converter=v.to_list_ids, validator=_lists)
    status: CampaignStatus = attrs.field(
        default=CampaignStatus.DRAFT,
        converter=_to_campaign_status,
        validator=_member_of(CampaignStatus),
    )
    created_at: datetime = attrs.field(converter=v.to_utc, validator=_aware)
    scheduled_at: datetime | None = attrs.field(
        default=None, converter=v.optional_to_utc, validator=_optional_aware
    )
    unit_price: Decimal = attrs.field(default=Decimal(0), converter=v.to_decimal, validator=_money)
    currency: str = attrs.field(default="EUR", validator=_validate_currency)
    version: int = attrs.field(default=0, validator=_a_count)

    @property
    def segments(self) -> int:
        """SMS segments the content takes (GSM 03.38 rules, see ``segment_info``)."""
        return segment_info(self.content).segments

    @classmethod
    def create(
        cls,
        *,
        id: str,
        name: str,
        sender: str,
        content: str,
        list_ids: Iterable[str],
        at: datetime,
        unit_price: Decimal | int | str = Decimal(0),
        currency: str = "EUR",
    ) -> CampaignChange:
        """A new DRAFT campaign and the CREATED entry that starts its history."""
        campaign = cls(
            id=id,
            name=name,
            sender=sender,
            content=content,
            list_ids=v.list_ids_argument("Campaign.list_ids", list_ids),
            created_at=at,
            unit_price=unit_price,
            currency=currency,
        )
        event = TimelineEvent(
            campaign_id=campaign.id,
            at=campaign.created_at,
            kind=TimelineKind.CREATED,
            details={
                "name": campaign.name,
                "sender": campaign.sender,
                "list_ids": list(campaign.list_ids),
                "segments": campaign.segments,
                "unit_price": campaign.unit_price,
                "currency": campaign.currency,
            },
        )
        return CampaignChange(campaign, event)

    def _apply(
        self, event: CampaignEvent, at: datetime, details: Mapping[str, Any], **changes: Any
    ) -> CampaignChange:
        status = next_campaign_status(self.status, event, subject=f"campaign {self.id!r}")
        campaign = attrs.evolve(self, status=status, **changes)
        entry = TimelineEvent(
            campaign_id=self.id, at=at, kind=CAMPAIGN_EVENT_TIMELINE_KIND[event], details=details
        )
        return CampaignChange(campaign, entry)

    def edit_content(self, content: str, *, at: datetime) -> CampaignChange:
        """Replace the text (before sending starts); the history keeps the previous text."""
        details = {
            "previous_content": self.content,
            "previous_segments": self.segments,
            "segments": segment_info(v.check_text("Campaign.content", content)).segments,
        }
        return self._apply(CampaignEvent.EDIT_CONTENT, at, details, content=content)

    def schedule(self, send_at: datetime, *, at: datetime) -> CampaignChange:
        """Plan (or move) the start of sending to ``send_at``."""
        send_at_utc = v.check_utc("Campaign.scheduled_at", send_at)
        details = {"send_at": send_at_utc}
        return self._apply(CampaignEvent.SCHEDULE, at, details, scheduled_at=send_at_utc)

    def start(self, *, at: datetime) -> CampaignChange:
        """Sending begins."""
        return self._apply(CampaignEvent.START, at, {})

    def suspend(
        self, *, at: datetime, reason: str, evidence: Mapping[str, Any] | None = None
    ) -> CampaignChange:
        """Stop sending, saying why; ``evidence`` (rates, thresholds, sample sizes) is kept."""
        v.check_text("Campaign.suspend.reason", reason, allow_empty=False)
        details = {"reason": reason, "evidence": dict(evidence or {})}
        return self._apply(CampaignEvent.SUSPEND, at, details)

    def resume(self, *, at: datetime, reason: str = "") -> CampaignChange:
        """Sending continues after a suspension: an explicit, recorded decision."""
        return self._apply(CampaignEvent.RESUME, at, {"reason": reason} if reason else {})

    def complete(self, *, at: datetime) -> CampaignChange:
        """Every message reached a final state."""
        return self._apply(CampaignEvent.COMPLETE, at, {})

    def cancel(self, *, at: datetime, reason: str = "") -> CampaignChange:
        """Stop for good; queued messages are to be cancelled by the caller or the engine."""
        return self._apply(CampaignEvent.CANCEL, at, {"reason": reason} if reason else {})


#: The most attempts a message keeps (what the stores' counts encode: 12 bits).
MAX_ATTEMPTS = 4095
#: The outcomes of an attempt that failed (billed by a provider that bills per submission).
FAILED_OUTCOMES = frozenset({Outcome.SOFT_BOUNCE, Outcome.HARD_BOUNCE})


def failed_attempts(attempts: Iterable[Attempt]) -> int:
    """How many of ``attempts`` came to a soft or hard bounce."""
    return sum(1 for attempt in attempts if attempt.outcome in FAILED_OUTCOMES)


def _failed_count(attempts: tuple[Attempt, ...]) -> int:
    # ``failed_attempts`` for the hot paths: most messages have one attempt, or none.
    if len(attempts) == 1:
        return 1 if attempts[0].outcome in FAILED_OUTCOMES else 0
    return failed_attempts(attempts) if attempts else 0


def _attempt_tuple(attempts: Iterable[Attempt]) -> tuple[Attempt, ...]:
    return attempts if isinstance(attempts, tuple) else tuple(attempts)


_BOUNCE_STATUS_KIND = {
    MessageStatus.SOFT_BOUNCE: BounceKind.SOFT,
    MessageStatus.HARD_BOUNCE: BounceKind.HARD,
}


class _Counted:
    """Holds a message's precomputed ``MessageShape`` outside the attrs fields (not compared,
    not shown, not copied by ``evolve``: recomputed from the fields on every construction)."""

    __slots__ = ("_shape",)
    _shape: MessageShape


@attrs.frozen(kw_only=True)
class Message(_Counted):
    """One SMS of a campaign to one recipient, whatever number of lists the recipient is in.

    ``list_ids`` are the contact lists the recipient came from (sorted): the message counts once
    in the campaign's totals and once in each of these lists. ``sent`` says whether it was ever
    handed to a provider; unsent messages (invalid numbers, landlines, dropped outside allowed
    hours) cost nothing. ``bounce_reason`` is set on bounces, and on queued or processing messages
    that failed temporarily and wait for a retry (the last failure's reason).

    ``due_at`` is when a queued message is to be sent (its planned send time, or its retry's),
    kept in the store so that a restarted service finds it (``None``: not queued, or waiting for
    a zone). ``zone`` is the IANA zone its send-time rules were applied in when it was given one
    (``explicit_zones=``, ``assign_zone``); ``None``: the number's own zones. A retry is planned in
    the same zone.
    """

    id: str = attrs.field(validator=_an_id)
    campaign_id: str = attrs.field(validator=_an_id)
    recipient: str = attrs.field(validator=_a_raw_number, repr=mask_number)
    list_ids: tuple[str, ...] = attrs.field(converter=v.to_list_ids, validator=_lists)
    status: MessageStatus = attrs.field(
        default=MessageStatus.QUEUED,
        converter=_to_message_status,
        validator=_member_of(MessageStatus),
    )
    bounce_reason: BounceReason | None = attrs.field(
        default=None,
        converter=_to_bounce_reason,
        validator=_member_of(BounceReason, optional=True),
    )
    attempts: tuple[Attempt, ...] = attrs.field(default=(), converter=_attempt_tuple)
    segments: int = attrs.field(default=1, validator=_a_count)
    queued_at: datetime = attrs.field(converter=v.to_utc, validator=_aware)
    submitted_at: datetime | None = attrs.field(
        default=None, converter=v.optional_to_utc, validator=_optional_aware
    )
    final_at: datetime | None = attrs.field(
        default=None, converter=v.optional_to_utc, validator=_optional_aware
    )
    sent: bool = attrs.field(default=False, validator=_a_bool)
    version: int = attrs.field(default=0, validator=_a_count)
    zone: str | None = attrs.field(default=None, validator=_optional_zone)
    due_at: datetime | None = attrs.field(
        default=None, converter=v.optional_to_utc, validator=_optional_aware
    )

    def __attrs_post_init__(self) -> None:
        v.ensure(
            "Message.due_at",
            self.due_at is None or self.status is MessageStatus.QUEUED,
            "only a queued message is due to be sent",
        )
        v.ensure(
            "Message.segments",
            1 <= self.segments <= MAX_SEGMENTS,
            f"{self.segments} is not between 1 and {MAX_SEGMENTS}",
        )
        for number, attempt in enumerate(self.attempts, start=1):
            if not isinstance(attempt, Attempt) or attempt.number != number:
                raise ValidationError(
                    "Message.attempts", f"item {number} must be an Attempt numbered {number}"
                )
        reason, status = self.bounce_reason, self.status
        expected_kind = _BOUNCE_STATUS_KIND.get(status)
        if expected_kind is not None:
            v.ensure(
                "Message.bounce_reason",
                reason is not None and reason.kind is expected_kind,
                f"a {status.value} message needs a {expected_kind.value} bounce reason, "
                f"got {reason}",
            )
        elif reason is not None:
            v.ensure(
                "Message.bounce_reason",
                status is not MessageStatus.DELIVERED and reason.is_soft,
                f"a {status.value} message can only carry the reason of a temporary failure, "
                f"got {reason.value}",
            )
        v.ensure(
            "Message.final_at",
            (self.final_at is not None) == status.is_final,
            "final_at is set exactly when the status is final",
        )
        v.ensure(
            "Message.sent",
            self.sent == (self.submitted_at is not None),
            "a message is sent exactly when it has a submission time",
        )
        v.ensure(
            "Message.sent",
            not self.sent or bool(self.attempts),
            "a sent message has at least one attempt",
        )
        if not _E164.fullmatch(self.recipient) and not (
            status is MessageStatus.SOFT_BOUNCE
            and reason is BounceReason.INVALID_NUMBER_OR_COUNTRY_CODE
            and not self.sent
        ):
            # Only a number refused as invalid, never sent, may stay as the list wrote it.
            v.check_e164("Message.recipient", self.recipient)
        v.ensure(
            "Message.attempts",
            len(self.attempts) <= MAX_ATTEMPTS,
            f"{len(self.attempts)} attempts; at most {MAX_ATTEMPTS} are kept",
        )
        shape = shape_of(
            self.list_ids,
            status,
            reason,
            self.sent,
            self.segments,
            len(self.attempts),
            failed_attempts(self.attempts),
        )
        object.__setattr__(self, "_shape", shape)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle and copy through the constructor, so the shape is rebuilt and fields revalidated.
        return (_rebuild_message, (attrs.asdict(self, recurse=False),))

    @classmethod
    def for_campaign(
        cls,
        campaign: Campaign,
        *,
        id: str,
        recipient: str,
        list_ids: Iterable[str],
        queued_at: datetime,
        content: str | None = None,
    ) -> Message:
        """A QUEUED message of ``campaign``; segments are counted from ``content`` (default: the
        campaign's text; pass the personalised text when it differs)."""
        text = campaign.content if content is None else v.check_text("Message.content", content)
        return cls(
            id=id,
            campaign_id=campaign.id,
            recipient=recipient,
            list_ids=v.list_ids_argument("Message.list_ids", list_ids),
            segments=segment_info(text).segments,
            queued_at=queued_at,
        )

    @classmethod
    def refused(
        cls,
        campaign: Campaign,
        *,
        id: str,
        recipient: str,
        list_ids: Iterable[str],
        reason: BounceReason,
        at: datetime,
        content: str | None = None,
    ) -> Message:
        """A message refused before sending (an invalid number, a landline, a forbidden hour):
        a soft bounce with an avoidable reason, never sent, no cost. An invalid number keeps the
        text the contact list held."""
        text = campaign.content if content is None else v.check_text("Message.content", content)
        reason = v.check_member(
            "Message.bounce_reason", BounceReason, v.coerce_enum(BounceReason, reason)
        )
        if not reason.avoidable_by_sender:
            raise ValidationError(
                "Message.bounce_reason", f"{reason.value} is not a refusal before sending"
            )
        return cls(
            id=id,
            campaign_id=campaign.id,
            recipient=recipient,
            list_ids=v.list_ids_argument("Message.list_ids", list_ids),
            status=MessageStatus.SOFT_BOUNCE,
            bounce_reason=reason,
            segments=segment_info(text).segments,
            queued_at=at,
            final_at=at,
        )

    def sibling(
        self,
        *,
        id: str,
        recipient: str,
        list_ids: Iterable[str],
        due_at: datetime | None = None,
        zone: str | None = None,
    ) -> Message:
        """A message like this one (same campaign, status, reason, segments and times: a
        planned or refused message), to another ``recipient`` under another ``id``. Planning
        builds its first message with the constructor and the rest with this: only what
        differs is checked, a fraction of the cost of a constructor call per recipient."""
        v.check_id("Message.id", id)
        if not isinstance(recipient, str) or not recipient.strip() or len(recipient) > 64:
            raise ValidationError("Message.recipient", "not a phone number")
        if self.status is not MessageStatus.SOFT_BOUNCE and not _E164.fullmatch(recipient):
            raise ValidationError("Message.recipient", f"{mask_number(recipient)} is not E.164")
        lists = v.check_list_ids(
            "Message.list_ids", v.to_list_ids(v.list_ids_argument("Message.list_ids", list_ids))
        )
        if due_at is not None and self.status is not MessageStatus.QUEUED:
            raise ValidationError("Message.due_at", "only a queued message is due to be sent")
        if zone is not None:
            v.check_text("Message.zone", zone, allow_empty=False)
        return self._replace(
            id=id,
            recipient=recipient,
            list_ids=lists,
            due_at=v.optional_to_utc(due_at),
            zone=zone,
            version=0,
        )

    @property
    def last_attempt_at(self) -> datetime | None:
        """When the last attempt was handed to a provider (``None`` if never sent)."""
        return self.attempts[-1].submitted_at if self.attempts else None

    def cost(self, unit_price: Decimal) -> Decimal:
        """What a provider bills for the message: segments x unit price for each submission
        (attempt), a retry billed again; nothing if it was never sent. A report can count each
        message sent once instead (``pricing="per_message_sent"``)."""
        return unit_price * self.segments * len(self.attempts)

    def _next(self, event: MessageEvent) -> MessageStatus:
        found = MESSAGE_TRANSITIONS[self.status].get(event)
        if found is None:  # refused: the error names the message
            return next_message_status(self.status, event, subject=f"message {self.id!r}")
        return found

    def _replace(self, **changes: Any) -> Message:
        """A copy with ``changes``, built without running the validators again.

        For the transitions below only: each checks its own inputs, and its result keeps the
        invariants by construction (tests rebuild every transition's result through the
        validating constructor to prove it).
        """
        values = list(_message_values(self))
        for name, value in changes.items():
            values[_FIELD_INDEX[name]] = value
        if _SHAPE_FIELDS.isdisjoint(changes):  # the shape is made of these fields only
            return _assembled(values, self._shape)
        return built_message(*values)

    def _closed_attempts(
        self, outcome: Outcome, provider_error_code: str | None, provider: str | None = None
    ) -> tuple[Attempt, ...]:
        if not self.attempts:
            return ()
        last = self.attempts[-1]
        closed = trusted_attempt(
            last.number,
            last.submitted_at,
            last.provider_message_id,
            outcome,
            provider_error_code or last.provider_error_code,
            last.parts,
            _provider(provider) or last.provider,
        )
        return (*self.attempts[:-1], closed)

    def submit(
        self,
        *,
        at: datetime,
        provider_message_id: str | None = None,
        part_ids: Iterable[str] = (),
    ) -> Message:
        """Handed to a provider: a new attempt starts and the message is PROCESSING.

        ``part_ids``: every part's provider id, in part order, for a message handed over in
        several parts (``provider_message_id`` is then the first one's)."""
        status = self._next(MessageEvent.SUBMIT)
        ids = tuple(part_ids)
        if ids and provider_message_id is None:
            provider_message_id = ids[0]
        attempt = Attempt(
            number=len(self.attempts) + 1,
            submitted_at=at,
            provider_message_id=provider_message_id,
            parts=tuple(Part(provider_message_id=pid) for pid in ids) if len(ids) > 1 else (),
        )
        return self._replace(
            status=status,
            attempts=(*self.attempts, attempt),
            submitted_at=self.submitted_at or attempt.submitted_at,
            sent=True,
            due_at=None,
        )

    def deliver(
        self, *, at: datetime, provider_error_code: str | None = None, provider: str | None = None
    ) -> Message:
        """The provider confirmed delivery (``provider``: whose report said so, kept on the
        attempt)."""
        status = self._next(MessageEvent.DELIVER)
        return self._replace(
            status=status,
            bounce_reason=None,
            attempts=self._closed_attempts(Outcome.DELIVERED, _code(provider_error_code), provider),
            final_at=v.check_utc("Message.final_at", at),
        )

    def _bounce(
        self,
        event: MessageEvent,
        kind: BounceKind,
        reason: BounceReason,
        at: datetime,
        provider_error_code: str | None,
        provider: str | None,
    ) -> Message:
        status = self._next(event)
        reason = v.check_member(
            "Message.bounce_reason", BounceReason, v.coerce_enum(BounceReason, reason)
        )
        if reason.kind is not kind:
            raise ValidationError(
                "Message.bounce_reason", f"{reason.value} is not a {kind.value} bounce reason"
            )
        outcome = Outcome.SOFT_BOUNCE if kind is BounceKind.SOFT else Outcome.HARD_BOUNCE
        return self._replace(
            status=status,
            bounce_reason=reason,
            attempts=self._closed_attempts(outcome, _code(provider_error_code), provider),
            final_at=v.check_utc("Message.final_at", at),
            due_at=None,
        )

    def soft_bounce(
        self,
        reason: BounceReason,
        *,
        at: datetime,
        provider_error_code: str | None = None,
        provider: str | None = None,
    ) -> Message:
        """A temporary failure that will not be retried (any more): final SOFT_BOUNCE."""
        return self._bounce(
            MessageEvent.SOFT_BOUNCE, BounceKind.SOFT, reason, at, provider_error_code, provider
        )

    def hard_bounce(
        self,
        reason: BounceReason,
        *,
        at: datetime,
        provider_error_code: str | None = None,
        provider: str | None = None,
    ) -> Message:
        """A permanent failure: final HARD_BOUNCE."""
        return self._bounce(
            MessageEvent.HARD_BOUNCE, BounceKind.HARD, reason, at, provider_error_code, provider
        )

    def requeue(
        self,
        reason: BounceReason | None,
        *,
        outcome: Outcome = Outcome.SOFT_BOUNCE,
        provider_error_code: str | None = None,
        provider: str | None = None,
    ) -> Message:
        """A temporary failure that will be retried: back to QUEUED, keeping the failure's reason.

        ``outcome`` is what the failed attempt came to (THROTTLED for a provider asking to slow
        down, which carries no bounce reason).
        """
        status = self._next(MessageEvent.REQUEUE)
        if reason is not None:
            reason = v.check_member(
                "Message.bounce_reason", BounceReason, v.coerce_enum(BounceReason, reason)
            )
            if not reason.is_soft:
                raise ValidationError(
                    "Message.bounce_reason", f"{reason.value} is not a temporary failure"
                )
        outcome = v.check_member("Attempt.outcome", Outcome, v.coerce_enum(Outcome, outcome))
        return self._replace(
            status=status,
            bounce_reason=self.bounce_reason if reason is None else reason,
            attempts=self._closed_attempts(outcome, _code(provider_error_code), provider),
        )

    def cancel(self, *, at: datetime) -> Message:
        """Withdrawn before it was handed to a provider (its campaign was cancelled)."""
        status = self._next(MessageEvent.CANCEL)
        return self._replace(
            status=status, final_at=v.check_utc("Message.final_at", at), due_at=None
        )

    def wait_until(self, at: datetime | None, *, zone: str | None = None) -> Message:
        """The queued message, to be sent at ``at`` (``None``: not before a zone is given), its
        send-time rules applied in ``zone`` (``None``: the number's own zones). Kept in the
        store, so that a restarted service finds when each message is due."""
        if self.status is not MessageStatus.QUEUED:
            raise ValidationError(
                "Message.due_at", f"message {self.id!r} is {self.status.value}, not queued"
            )
        if zone is not None:
            v.check_text("Message.zone", zone, allow_empty=False)
        return self._replace(due_at=v.optional_to_utc(at), zone=zone)


_MESSAGE_FIELDS = tuple(field.name for field in attrs.fields(Message))
assert _MESSAGE_FIELDS == (  # the order built_message and _assembled set them in
    "id", "campaign_id", "recipient", "list_ids", "status", "bounce_reason", "attempts",
    "segments", "queued_at", "submitted_at", "final_at", "sent", "version", "zone", "due_at",
)  # fmt: skip
#: Fields a row written before they existed may lack (schema version 2).
_MESSAGE_DEFAULTS: Mapping[str, Any] = {"zone": None, "due_at": None}
#: A message's field values, in ``_MESSAGE_FIELDS`` order (one C call).
_message_values = operator.attrgetter(*_MESSAGE_FIELDS)
_FIELD_INDEX = {name: index for index, name in enumerate(_MESSAGE_FIELDS)}
_VERSION = _FIELD_INDEX["version"]
#: The fields a message's shape is derived from (``shape_of``).
_SHAPE_FIELDS = frozenset({"list_ids", "status", "bounce_reason", "sent", "segments", "attempts"})
_new = object.__new__
_set = object.__setattr__


def _code(value: str | None) -> str | None:
    return (
        None
        if value is None
        else v.check_text("Attempt.provider_error_code", value, allow_empty=False)
    )


def _provider(value: str | None) -> str | None:
    return None if value is None else v.check_text("Attempt.provider", value, allow_empty=False)


def trusted_message(values: Mapping[str, Any]) -> Message:
    """A message from values known to be valid (a transition's result, a row this library
    wrote), without running the validators: a tenth of the cost, for the hot paths."""
    return built_message(
        values["id"],
        values["campaign_id"],
        values["recipient"],
        values["list_ids"],
        values["status"],
        values["bounce_reason"],
        values["attempts"],
        values["segments"],
        values["queued_at"],
        values["submitted_at"],
        values["final_at"],
        values["sent"],
        values["version"],
        values["zone"] if "zone" in values else _MESSAGE_DEFAULTS["zone"],
        values["due_at"] if "due_at" in values else _MESSAGE_DEFAULTS["due_at"],
    )


def built_message(
    id: str,
    campaign_id: str,
    recipient: str,
    list_ids: tuple[str, ...],
    status: MessageStatus,
    bounce_reason: BounceReason | None,
    attempts: tuple[Attempt, ...],
    segments: int,
    queued_at: datetime,
    submitted_at: datetime | None,
    final_at: datetime | None,
    sent: bool,
    version: int,
    zone: str | None,
    due_at: datetime | None,
) -> Message:
    """``trusted_message`` from its fields in order (``_MESSAGE_FIELDS``), without a mapping:
    what the stores decode each row they read with."""
    message: Message = _new(Message)
    _set(message, "id", id)
    _set(message, "campaign_id", campaign_id)
    _set(message, "recipient", recipient)
    _set(message, "list_ids", list_ids)
    _set(message, "status", status)
    _set(message, "bounce_reason", bounce_reason)
    _set(message, "attempts", attempts)
    _set(message, "segments", segments)
    _set(message, "queued_at", queued_at)
    _set(message, "submitted_at", submitted_at)
    _set(message, "final_at", final_at)
    _set(message, "sent", sent)
    _set(message, "version", version)
    _set(message, "zone", zone)
    _set(message, "due_at", due_at)
    shape = shape_of(
        list_ids,
        status,
        bounce_reason,
        sent,
        segments,
        len(attempts),
        _failed_count(attempts),
    )
    _set(message, "_shape", shape)
    return message


def stored_version(message: Message, version: int) -> Message:
    """``message`` at ``version``, as a store returns it once written: nothing else changes,
    so nothing is checked or derived again (its shape included)."""
    values = list(_message_values(message))
    values[_VERSION] = version
    return _assembled(values, message._shape)


def _assembled(values: Sequence[Any], shape: MessageShape) -> Message:
    """The message of these field values (``_MESSAGE_FIELDS`` order) and ``shape``."""
    message: Message = _new(Message)
    _set(message, "id", values[0])
    _set(message, "campaign_id", values[1])
    _set(message, "recipient", values[2])
    _set(message, "list_ids", values[3])
    _set(message, "status", values[4])
    _set(message, "bounce_reason", values[5])
    _set(message, "attempts", values[6])
    _set(message, "segments", values[7])
    _set(message, "queued_at", values[8])
    _set(message, "submitted_at", values[9])
    _set(message, "final_at", values[10])
    _set(message, "sent", values[11])
    _set(message, "version", values[12])
    _set(message, "zone", values[13])
    _set(message, "due_at", values[14])
    _set(message, "_shape", shape)
    return message


def trusted_attempt(
    number: int,
    submitted_at: datetime,
    provider_message_id: str | None,
    outcome: Outcome | None,
    provider_error_code: str | None,
    parts: tuple[Part, ...] = (),
    provider: str | None = None,
) -> Attempt:
    """An attempt from values known to be valid, without running the validators."""
    attempt: Attempt = _new(Attempt)
    _set(attempt, "number", number)
    _set(attempt, "submitted_at", submitted_at)
    _set(attempt, "provider_message_id", provider_message_id)
    _set(attempt, "outcome", outcome)
    _set(attempt, "provider_error_code", provider_error_code)
    _set(attempt, "parts", parts)
    _set(attempt, "provider", provider)
    return attempt


def _rebuild_message(fields: dict[str, Any]) -> Message:
    return Message(**fields)


@attrs.frozen(kw_only=True)
class Reply:
    """An inbound SMS from a recipient, attributed to a campaign when one can be found."""

    id: str = attrs.field(validator=_an_id)
    recipient: str = attrs.field(validator=_an_e164, repr=mask_number)
    at: datetime = attrs.field(converter=v.to_utc, validator=_aware)
    text: str = attrs.field(validator=_a_text, repr=False)
    campaign_id: str | None = attrs.field(default=None, validator=_an_optional_id)


@attrs.frozen(kw_only=True)
class Unsubscribe:
    """A recipient's opt-out (a STOP keyword, a link, a carrier signal), per campaign if known."""

    id: str = attrs.field(validator=_an_id)
    recipient: str = attrs.field(validator=_an_e164, repr=mask_number)
    at: datetime = attrs.field(converter=v.to_utc, validator=_aware)
    keyword: str = attrs.field(default="", validator=_a_text)
    campaign_id: str | None = attrs.field(default=None, validator=_an_optional_id)


@attrs.frozen(kw_only=True)
class Block:
    """A number never to send to again: why (``"hard_bounce"``, ``"unsubscribed"``) and since
    when. Stores write the blocks of an outcome with the messages that caused them
    (``Storage.update_messages(..., blocks=...)``): a hard bounce is never stored without its
    block, nor a block without its bounce."""

    recipient: str = attrs.field(validator=_an_e164, repr=mask_number)
    reason: str = attrs.field(validator=_a_non_empty_text)
    at: datetime = attrs.field(converter=v.to_utc, validator=_aware)
