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
* **cost**: segments x unit price over messages that were *sent* (handed to a provider);
  ``bounced_cost`` is the part spent on messages that then bounced, ``avoidable_bounced_cost``
  the part of that on avoidable reasons.

A report is built the same way from a store's aggregates (``report_for``) and from messages in
memory (``report_from_messages``), so the two cannot differ.

Renderings (text, HTML, CSV, email) are conveniences that call ``sms_campaign_stats.render`` at
call time; phone numbers in history details are masked unless ``show_numbers=True``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.lifecycle._statuses import BounceReason
from sms_campaign_stats.model import Campaign, CampaignStatus, Message, Reply, Unsubscribe
from sms_campaign_stats.reports._figures import (
    BOUNCES,
    REPORT_SCHEMA_VERSION,
    DeliveryFigures,
    Figure,
    ListFigures,
    ReasonFigure,
)
from sms_campaign_stats.reports._history import Timeline
from sms_campaign_stats.storage import Storage
from sms_campaign_stats.storage._counts import CampaignCounts, Cell, CellKey

if TYPE_CHECKING:
    from email.message import EmailMessage

    import pandas as pd

__all__ = ["CampaignReport", "report_for", "report_from_messages"]


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

    @classmethod
    def from_counts(cls, campaign: Campaign, counts: CampaignCounts) -> CampaignReport:
        """Build the report of ``campaign`` from its counts."""
        price = campaign.unit_price
        cells = list(counts.cells.items())
        totals = DeliveryFigures.from_cells(cells, counts.engagement.values())
        return cls(
            campaign_id=campaign.id,
            campaign_name=campaign.name,
            sender=campaign.sender,
            status=campaign.status,
            currency=campaign.currency,
            unit_price=price,
            totals=totals,
            lists=_list_figures(campaign, counts, cells),
            bounce_reasons=_reason_figures(cells, totals.recipients, price),
            cost=price * totals.segments_sent,
            bounced_cost=price * totals.segments_bounced,
            avoidable_bounced_cost=price * totals.segments_avoidable_bounced,
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
            "cost": {
                "currency": self.currency,
                "unit_price": str(self.unit_price),
                "sent": str(self.cost),
                "bounced": str(self.bounced_cost),
                "avoidable_bounced": str(self.avoidable_bounced_cost),
            },
        }

    def _check_history(self, history: Timeline | None) -> None:
        if history is not None and history.campaign_id != self.campaign_id:
            raise ValidationError(
                "history",
                f"is the history of campaign {history.campaign_id!r}, not of {self.campaign_id!r}",
            )

    def to_text(self, *, history: Timeline | None = None, show_numbers: bool = False) -> str:
        """A plain-text rendering that fits 100 columns, followed by ``history`` if given
        (phone numbers in its details masked unless ``show_numbers``)."""
        from sms_campaign_stats import render

        self._check_history(history)
        return render.to_text(self, history=history, show_numbers=show_numbers)

    def to_html(self, *, history: Timeline | None = None, show_numbers: bool = False) -> str:
        """A self-contained, printable HTML document (inline CSS, no script, nothing external),
        with ``history`` if given (phone numbers in its details masked unless ``show_numbers``).
        """
        from sms_campaign_stats import render

        self._check_history(history)
        return render.to_html(self, history=history, show_numbers=show_numbers)

    def _repr_html_(self) -> str:
        """An HTML fragment (no ``<html>`` wrapper) for notebooks."""
        from sms_campaign_stats import render

        return render.html_fragment(self)

    def to_csv(self) -> dict[str, str]:
        """``{"summary.csv": ..., "lists.csv": ..., "bounce_reasons.csv": ...}``: CSV texts,
        each with its header row; columns in ``docs/reports.md``."""
        from sms_campaign_stats import render

        return render.to_csv(self)

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
    ) -> EmailMessage:
        """The report as an email, built but never sent: text and HTML alternatives, the CSV
        files attached (``history.csv`` too when ``history`` is given, numbers masked).

        ``ValidationError`` for an empty recipient list, an address without ``@`` or with a CR,
        LF or other control character, or a subject with one.
        """
        from sms_campaign_stats import render

        self._check_history(history)
        return render.to_email(self, to=to, sender=sender, subject=subject, history=history)

    def to_pandas(self) -> dict[str, pd.DataFrame]:
        """The report's tables as DataFrames (needs the ``notebook`` extra)."""
        from sms_campaign_stats.notebook import report_frames

        return report_frames(self)


def _list_figures(
    campaign: Campaign, counts: CampaignCounts, cells: Sequence[tuple[CellKey, Cell]]
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
        result.append(
            ListFigures(
                list_id=list_id,
                figures=figures,
                cost=price * figures.segments_sent,
                bounced_cost=price * figures.segments_bounced,
            )
        )
    return tuple(result)


def _reason_figures(
    cells: Sequence[tuple[CellKey, Cell]], recipients: int, price: Decimal
) -> tuple[ReasonFigure, ...]:
    messages: dict[BounceReason, int] = {}
    sent: dict[BounceReason, int] = {}
    segments: dict[BounceReason, int] = {}
    for key, cell in cells:
        if key.status in BOUNCES and key.reason is not None:
            messages[key.reason] = messages.get(key.reason, 0) + cell.messages
            if key.sent:
                sent[key.reason] = sent.get(key.reason, 0) + cell.messages
                segments[key.reason] = segments.get(key.reason, 0) + cell.segments
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


def report_for(storage: Storage, campaign_id: str) -> CampaignReport:
    """The report of a stored campaign, from the store's aggregate counts."""
    campaign = storage.get_campaign(campaign_id)
    return CampaignReport.from_counts(campaign, storage.campaign_counts(campaign_id))


def report_from_messages(
    campaign: Campaign,
    messages: Iterable[Message],
    *,
    replies: Iterable[Reply] = (),
    unsubscribes: Iterable[Unsubscribe] = (),
) -> CampaignReport:
    """The report of ``campaign`` over messages in memory (one pass, bounded memory)."""
    counts = CampaignCounts.of_messages(messages, replies=replies, unsubscribes=unsubscribes)
    return CampaignReport.from_counts(campaign, counts)
