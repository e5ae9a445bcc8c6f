"""A campaign's report, built from ``CampaignCounts``.

Definitions (the denominators matter, so here they are):

* **recipients**: the campaign's messages that were not cancelled; one per distinct number,
  whatever number of lists it is in. Cancelled messages are counted apart (``cancelled``).
* **delivered**, **soft bounces**, **hard bounces**, **processing** (queued or processing):
  counts and percentages *of recipients*. The four partition the recipients.
* **replies** and **unsubscribes**: recipients who replied (or opted out) at least once, as a
  count and a percentage *of delivered* messages; ``reply_messages`` counts the inbound texts.
* **per list**: the same figures over the messages of each list. A recipient in two lists
  counts in both lists and once in the totals, so list figures do not sum to the totals.
* **cost** (``pricing``, see ``reports._pricing``): by default what the provider bills, every
  *submission* (first send or retry) x its segments x the unit price, split into
  ``first_send_cost`` and ``retry_cost``; ``bounced_cost`` is the part spent on submissions
  that failed (soft or hard bounce), the failed first sends of messages a retry delivered
  included; ``avoidable_bounced_cost`` the part of that on messages that bounced for an
  avoidable reason. ``pricing="per_message_sent"`` counts each message sent once instead (no
  retry is billed; ``bounced_cost`` is then what the messages that bounced cost).
* **compensable**: the soft bounces caused by the platform's own fault (a platform-fault
  reason, ``PLATFORM_FAULT_REASONS``, on a message that was sent): their count, their cost,
  their reasons; what a customer may claim compensation for (Brevo's campaign report page).
* **message**: the campaign's text, its encoding (GSM-7 or UCS-2) and segments.
* **activity** (``None`` unless asked for with ``activity=True``): regions, outcomes per hour
  and the send window (see ``reports._activity``).

A report is built the same way from a store's aggregates (``report_for``) and from messages in
memory (``report_from_messages``), so the two cannot differ.

Renderings (text, HTML, CSV, email) are conveniences that call ``sms_campaign_stats.render`` at
call time; phone numbers in history details are masked unless ``show_numbers=True``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from sms_campaign_stats._core.segments import Encoding, segment_info
from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.lifecycle._statuses import BounceReason, MessageStatus
from sms_campaign_stats.model import Campaign, CampaignStatus, Message, Reply, Unsubscribe
from sms_campaign_stats.providers._rows import PLATFORM_FAULT_REASONS
from sms_campaign_stats.reports._activity import Activity, ActivityTally
from sms_campaign_stats.reports._figures import (
    BOUNCES,
    REPORT_SCHEMA_VERSION,
    DeliveryFigures,
    Figure,
    ListFigures,
    ReasonFigure,
)
from sms_campaign_stats.reports._history import Timeline
from sms_campaign_stats.reports._pricing import Costs, Pricing, to_pricing
from sms_campaign_stats.storage import Storage
from sms_campaign_stats.storage._counts import CampaignCounts, Cell, CellKey

if TYPE_CHECKING:
    from email.message import EmailMessage

    import pandas as pd

__all__ = ["CampaignReport", "Compensable", "MessageText", "report_for", "report_from_messages"]


@attrs.frozen(kw_only=True)
class MessageText:
    """The campaign's text as sent: its encoding, its length in that encoding's units and its
    SMS segments."""

    content: str
    encoding: Encoding
    units: int
    segments: int

    @classmethod
    def of(cls, content: str) -> MessageText:
        """The text ``content`` with its encoding and segments."""
        info = segment_info(content)
        return cls(
            content=content, encoding=info.encoding, units=info.units, segments=info.segments
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "content": self.content,
            "encoding": self.encoding.value,
            "units": self.units,
            "segments": self.segments,
        }


@attrs.frozen(kw_only=True)
class Compensable:
    """Soft bounces caused by the platform's own technical fault: what a customer may claim
    (Brevo's page: such a soft bounce "may be compensated"). Messages that were sent and ended
    as soft bounces with a platform-fault reason (``PLATFORM_FAULT_REASONS``); ``cost`` is what
    they cost under the report's pricing. ``providers`` counts them per provider: the one whose
    report decided each message's last attempt (``Attempt.provider``), most first; ``None``
    counts those whose provider was not recorded (stored before it was, or settled without a
    report)."""

    count: int
    cost: Decimal
    reasons: tuple[tuple[BounceReason, int], ...] = ()
    providers: tuple[tuple[str | None, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "count": self.count,
            "cost": str(self.cost),
            "reasons": [{"reason": r.value, "count": n} for r, n in self.reasons],
            "providers": [{"provider": p, "count": n} for p, n in self.providers],
        }


@attrs.frozen(kw_only=True)
class CampaignReport:
    """The report of one campaign. See the module documentation for every definition."""

    campaign_id: str
    campaign_name: str
    sender: str
    status: CampaignStatus
    currency: str
    unit_price: Decimal
    totals: DeliveryFigures
    lists: tuple[ListFigures, ...]
    bounce_reasons: tuple[ReasonFigure, ...]
    cost: Decimal
    bounced_cost: Decimal
    avoidable_bounced_cost: Decimal
    message: MessageText | None = None
    activity: Activity | None = None
    first_send_cost: Decimal | None = None
    retry_cost: Decimal | None = None
    compensable: Compensable | None = None
    pricing: Pricing = Pricing.PER_SUBMISSION

    @classmethod
    def from_counts(
        cls,
        campaign: Campaign,
        counts: CampaignCounts,
        *,
        activity: Activity | None = None,
        pricing: Pricing | str = Pricing.PER_SUBMISSION,
    ) -> CampaignReport:
        """Build the report of ``campaign`` from its counts (and its messages' ``activity``,
        when counted), its cost under ``pricing``."""
        pricing = to_pricing(pricing)
        price = campaign.unit_price
        cells = list(counts.cells.items())
        totals = DeliveryFigures.from_cells(cells, counts.engagement.values())
        costs = Costs.of(totals, price, pricing)
        return cls(
            campaign_id=campaign.id,
            campaign_name=campaign.name,
            sender=campaign.sender,
            status=campaign.status,
            currency=campaign.currency,
            unit_price=price,
            totals=totals,
            lists=_list_figures(campaign, counts, cells, pricing),
            bounce_reasons=_reason_figures(cells, totals.recipients, price, pricing),
            cost=costs.total,
            bounced_cost=costs.bounced,
            avoidable_bounced_cost=costs.avoidable_bounced,
            message=MessageText.of(campaign.content),
            activity=activity,
            first_send_cost=costs.first_sends,
            retry_cost=costs.retries,
            compensable=_compensable(cells, counts.compensable_providers, price, pricing),
            pricing=pricing,
        )

    @property
    def recipients(self) -> int:
        """Messages that were not cancelled (one per distinct recipient)."""
        return self.totals.recipients

    @property
    def delivered(self) -> Figure:
        """Delivered messages, of recipients."""
        return self.totals.delivered

    @property
    def soft_bounces(self) -> Figure:
        """Soft-bounced messages, of recipients."""
        return self.totals.soft_bounces

    @property
    def hard_bounces(self) -> Figure:
        """Hard-bounced messages, of recipients."""
        return self.totals.hard_bounces

    @property
    def processing(self) -> Figure:
        """Messages still queued or processing, of recipients."""
        return self.totals.processing

    @property
    def replies(self) -> Figure:
        """Recipients who replied, of delivered."""
        return self.totals.replies

    @property
    def unsubscribes(self) -> Figure:
        """Recipients who unsubscribed, of delivered."""
        return self.totals.unsubscribes

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data; the shape is documented in ``docs/reports.md``."""
        cost: dict[str, Any] = {
            "pricing": self.pricing.value,
            "currency": self.currency,
            "unit_price": str(self.unit_price),
            "sent": str(self.cost),
            "bounced": str(self.bounced_cost),
            "avoidable_bounced": str(self.avoidable_bounced_cost),
        }
        if self.first_send_cost is not None:
            cost["first_sends"] = str(self.first_send_cost)
        if self.retry_cost is not None:
            cost["retries"] = str(self.retry_cost)
        extra: dict[str, Any] = {}
        if self.compensable is not None:
            extra["compensable"] = self.compensable.to_dict()
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "campaign": {
                "id": self.campaign_id,
                "name": self.campaign_name,
                "sender": self.sender,
                "status": self.status.value,
            },
            "totals": self.totals.to_dict(),
            "lists": [
                {
                    "list_id": item.list_id,
                    **item.figures.to_dict(),
                    "cost": str(item.cost),
                    "bounced_cost": str(item.bounced_cost),
                }
                for item in self.lists
            ],
            "bounce_reasons": [
                {
                    "reason": item.reason.value,
                    "kind": item.kind.value,
                    "avoidable_by_sender": item.avoidable_by_sender,
                    **item.recipients.to_dict(),
                    "sent": item.sent,
                    "cost": str(item.cost),
                }
                for item in self.bounce_reasons
            ],
            "cost": cost,
            "message": None if self.message is None else self.message.to_dict(),
            "activity": None if self.activity is None else self.activity.to_dict(),
            **extra,
        }

    def _check_history(self, history: Timeline | None) -> None:
        if history is not None and history.campaign_id != self.campaign_id:
            raise ValidationError(
                "history",
                f"is the history of campaign {history.campaign_id!r}, not of {self.campaign_id!r}",
            )

    def to_text(
        self,
        *,
        history: Timeline | None = None,
        show_numbers: bool = False,
        locale: str | None = None,
    ) -> str:
        """A plain-text rendering that fits 100 columns, followed by ``history`` if given
        (phone numbers in its details masked unless ``show_numbers``), in English or
        ``locale="fr"``."""
        from sms_campaign_stats import render

        self._check_history(history)
        return render.to_text(self, history=history, show_numbers=show_numbers, locale=locale)

    def to_html(
        self,
        *,
        history: Timeline | None = None,
        show_numbers: bool = False,
        locale: str | None = None,
    ) -> str:
        """A self-contained, printable HTML document (inline CSS and SVG charts, no script,
        nothing external), with ``history`` if given (phone numbers in its details masked
        unless ``show_numbers``), in English or ``locale="fr"``.
        """
        from sms_campaign_stats import render

        self._check_history(history)
        return render.to_html(self, history=history, show_numbers=show_numbers, locale=locale)

    def _repr_html_(self) -> str:
        """An HTML fragment (no ``<html>`` wrapper) for notebooks."""
        from sms_campaign_stats import render

        return render.html_fragment(self)

    def to_csv(self, *, locale: str | None = None) -> dict[str, str]:
        """``{"summary.csv": ..., "lists.csv": ..., "bounce_reasons.csv": ...}``: CSV texts,
        each with its header row (in ``locale``'s language); columns in ``docs/reports.md``."""
        from sms_campaign_stats import render

        return render.to_csv(self, locale=locale)

    def to_json(self, *, indent: int | None = 2) -> str:
        """``to_dict()`` as JSON text (UTF-8, ending with a newline)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False) + "\n"

    def to_email(
        self,
        *,
        to: str | Sequence[str],
        sender: str,
        subject: str | None = None,
        history: Timeline | None = None,
        locale: str | None = None,
    ) -> EmailMessage:
        """The report as an email, built but never sent: text and HTML alternatives, the CSV
        files attached (``history.csv`` too when ``history`` is given, numbers masked), all in
        ``locale``'s language.

        ``ValidationError`` for an empty recipient list, an address without ``@`` or with a CR,
        LF or other control character, or a subject with one.
        """
        from sms_campaign_stats import render

        self._check_history(history)
        return render.to_email(
            self, to=to, sender=sender, subject=subject, history=history, locale=locale
        )

    def to_pandas(self) -> dict[str, pd.DataFrame]:
        """The report's tables as DataFrames (needs the ``notebook`` extra)."""
        from sms_campaign_stats.notebook import report_frames

        return report_frames(self)


def _list_figures(
    campaign: Campaign,
    counts: CampaignCounts,
    cells: Sequence[tuple[CellKey, Cell]],
    pricing: Pricing,
) -> tuple[ListFigures, ...]:
    seen = {list_id for key, _ in cells for list_id in key.list_ids}
    seen.update(list_id for lists in counts.engagement for list_id in lists)
    # The campaign's own lists in its order (even when empty), then any other list found.
    order = [*campaign.list_ids, *sorted(seen - set(campaign.list_ids))]
    price = campaign.unit_price
    result = []
    for list_id in order:
        figures = DeliveryFigures.from_cells(
            ((key, cell) for key, cell in cells if list_id in key.list_ids),
            (found for lists, found in counts.engagement.items() if list_id in lists),
        )
        costs = Costs.of(figures, price, pricing)
        result.append(
            ListFigures(
                list_id=list_id, figures=figures, cost=costs.total, bounced_cost=costs.bounced
            )
        )
    return tuple(result)


def _billed_segments(cell: Cell, pricing: Pricing) -> int:
    """The segments ``pricing`` bills for the sent messages of ``cell``."""
    return cell.segments if pricing is Pricing.PER_MESSAGE_SENT else cell.attempt_segments


def _reason_figures(
    cells: Sequence[tuple[CellKey, Cell]], recipients: int, price: Decimal, pricing: Pricing
) -> tuple[ReasonFigure, ...]:
    messages: dict[BounceReason, int] = {}
    sent: dict[BounceReason, int] = {}
    segments: dict[BounceReason, int] = {}
    for key, cell in cells:
        if key.status in BOUNCES and key.reason is not None:
            messages[key.reason] = messages.get(key.reason, 0) + cell.messages
            if key.sent:
                sent[key.reason] = sent.get(key.reason, 0) + cell.messages
                billed = _billed_segments(cell, pricing)
                segments[key.reason] = segments.get(key.reason, 0) + billed
    order = list(BounceReason)
    ranked = sorted(messages, key=lambda reason: (-messages[reason], order.index(reason)))
    return tuple(
        ReasonFigure(
            reason=reason,
            kind=reason.kind,
            avoidable_by_sender=reason.avoidable_by_sender,
            recipients=Figure(messages[reason], recipients),
            sent=sent.get(reason, 0),
            cost=price * segments.get(reason, 0),
        )
        for reason in ranked
    )


def _compensable(
    cells: Sequence[tuple[CellKey, Cell]],
    providers: Mapping[str | None, int],
    price: Decimal,
    pricing: Pricing,
) -> Compensable:
    """The sent soft bounces with a platform-fault reason: count, cost, reasons, providers."""
    by_reason: dict[BounceReason, int] = {}
    segments = 0
    for key, cell in cells:
        if (
            key.status is MessageStatus.SOFT_BOUNCE
            and key.sent
            and key.reason in PLATFORM_FAULT_REASONS
        ):
            by_reason[key.reason] = by_reason.get(key.reason, 0) + cell.messages
            segments += _billed_segments(cell, pricing)
    order = list(BounceReason)
    reasons = sorted(by_reason.items(), key=lambda item: (-item[1], order.index(item[0])))
    return Compensable(
        count=sum(by_reason.values()),
        cost=price * segments,
        reasons=tuple(reasons),
        providers=tuple(
            sorted(providers.items(), key=lambda item: (-item[1], item[0] is None, item[0] or ""))
        ),
    )


def report_for(
    storage: Storage,
    campaign_id: str,
    *,
    activity: bool = False,
    pricing: Pricing | str = Pricing.PER_SUBMISSION,
) -> CampaignReport:
    """The report of a stored campaign, from the store's aggregate counts, its cost under
    ``pricing`` (``"per_submission"``, the default: what a provider bills, retries included;
    ``"per_message_sent"``: each message sent once).

    ``activity=True`` also reads the campaign's messages once, in batches, for the regions,
    outcomes per hour and send window (``CampaignReport.activity``; ``None`` otherwise). It
    reads the recipients' numbers: a number the store has forgotten (``forget``) counts in no
    region.
    """
    campaign = storage.get_campaign(campaign_id)
    counts = storage.campaign_counts(campaign_id)
    found = Activity.of_messages(storage.iter_messages(campaign_id)) if activity else None
    return CampaignReport.from_counts(campaign, counts, activity=found, pricing=pricing)


def report_from_messages(
    campaign: Campaign,
    messages: Iterable[Message],
    *,
    replies: Iterable[Reply] = (),
    unsubscribes: Iterable[Unsubscribe] = (),
    activity: bool = False,
    pricing: Pricing | str = Pricing.PER_SUBMISSION,
) -> CampaignReport:
    """The report of ``campaign`` over messages in memory (one pass, bounded memory), with its
    ``activity`` counted in the same pass when ``activity=True``, its cost under ``pricing``."""
    pricing = to_pricing(pricing)
    if not activity:
        counts = CampaignCounts.of_messages(messages, replies=replies, unsubscribes=unsubscribes)
        return CampaignReport.from_counts(campaign, counts, pricing=pricing)
    tally = ActivityTally()

    def counted() -> Iterator[Message]:
        for message in messages:
            tally.add(message)
            yield message

    counts = CampaignCounts.of_messages(counted(), replies=replies, unsubscribes=unsubscribes)
    return CampaignReport.from_counts(campaign, counts, activity=tally.result(), pricing=pricing)
