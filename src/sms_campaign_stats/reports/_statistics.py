"""Global statistics: every campaign of a store on one line each, and their totals, built from
each campaign's ``CampaignCounts`` (merged for the totals, so every message counts once)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from sms_campaign_stats.model import CampaignStatus
from sms_campaign_stats.reports._campaign import CampaignReport
from sms_campaign_stats.reports._figures import REPORT_SCHEMA_VERSION, DeliveryFigures
from sms_campaign_stats.storage import Storage
from sms_campaign_stats.storage._counts import CampaignCounts

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CampaignRow", "GlobalStatistics", "global_statistics"]


@attrs.frozen(kw_only=True)
class CampaignRow:
    """One campaign's line in the global statistics."""

    campaign_id: str
    campaign_name: str
    sender: str
    status: CampaignStatus
    created_at_iso: str
    figures: DeliveryFigures
    currency: str
    cost: Decimal
    bounced_cost: Decimal


@attrs.frozen(kw_only=True)
class GlobalStatistics:
    """Figures of every campaign of a store, and their totals.

    Totals count every message once; costs are summed per currency, never converted.
    """

    rows: tuple[CampaignRow, ...]
    totals: DeliveryFigures
    cost_by_currency: Mapping[str, Decimal]
    bounced_cost_by_currency: Mapping[str, Decimal]

    def to_dict(self) -> dict[str, Any]:
        """The statistics as JSON-ready data."""
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "campaigns": [
                {
                    "id": row.campaign_id,
                    "name": row.campaign_name,
                    "sender": row.sender,
                    "status": row.status.value,
                    "created_at": row.created_at_iso,
                    **row.figures.to_dict(),
                    "currency": row.currency,
                    "cost": str(row.cost),
                    "bounced_cost": str(row.bounced_cost),
                }
                for row in self.rows
            ],
            "totals": {
                **self.totals.to_dict(),
                "cost": {k: str(v) for k, v in sorted(self.cost_by_currency.items())},
                "bounced_cost": {
                    k: str(v) for k, v in sorted(self.bounced_cost_by_currency.items())
                },
            },
        }

    def to_text(self, *, locale: str | None = None) -> str:
        """A plain-text rendering that fits 100 columns, in English or ``locale="fr"``."""
        from sms_campaign_stats import render

        return render.to_text(self, locale=locale)

    def to_html(self, *, locale: str | None = None) -> str:
        """A self-contained, printable HTML document, in English or ``locale="fr"``."""
        from sms_campaign_stats import render

        return render.to_html(self, locale=locale)

    def _repr_html_(self) -> str:
        """An HTML fragment (no ``<html>`` wrapper) for notebooks."""
        from sms_campaign_stats import render

        return render.html_fragment(self)

    def to_csv(self, *, locale: str | None = None) -> dict[str, str]:
        """``{"campaigns.csv": ..., "totals.csv": ..., "costs.csv": ...}``: one row per
        campaign, the totals row, and the costs per currency (headers in ``locale``'s
        language)."""
        from sms_campaign_stats import render

        return render.to_csv(self, locale=locale)

    def to_json(self, *, indent: int | None = 2) -> str:
        """``to_dict()`` as JSON text (UTF-8, ending with a newline)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False) + "\n"

    def to_pandas(self) -> pd.DataFrame:
        """One row per campaign as a DataFrame (needs the ``notebook`` extra)."""
        from sms_campaign_stats.notebook import statistics_frame

        return statistics_frame(self)


def global_statistics(
    storage: Storage, campaign_ids: Iterable[str] | None = None
) -> GlobalStatistics:
    """Statistics over the given campaigns (default: all, oldest first), from aggregates."""
    if campaign_ids is None:
        campaigns = storage.list_campaigns()
    else:
        campaigns = [storage.get_campaign(campaign_id) for campaign_id in campaign_ids]
    rows = []
    all_counts = []
    cost: dict[str, Decimal] = {}
    bounced: dict[str, Decimal] = {}
    for campaign in campaigns:
        counts = storage.campaign_counts(campaign.id)
        all_counts.append(counts)
        report = CampaignReport.from_counts(campaign, counts)
        rows.append(
            CampaignRow(
                campaign_id=campaign.id,
                campaign_name=campaign.name,
                sender=campaign.sender,
                status=campaign.status,
                created_at_iso=campaign.created_at.isoformat(),
                figures=report.totals,
                currency=campaign.currency,
                cost=report.cost,
                bounced_cost=report.bounced_cost,
            )
        )
        cost[campaign.currency] = cost.get(campaign.currency, Decimal(0)) + report.cost
        bounced[campaign.currency] = (
            bounced.get(campaign.currency, Decimal(0)) + report.bounced_cost
        )
    merged = CampaignCounts.merge(all_counts)
    return GlobalStatistics(
        rows=tuple(rows),
        totals=DeliveryFigures.from_cells(merged.cells.items(), merged.engagement.values()),
        cost_by_currency=cost,
        bounced_cost_by_currency=bounced,
    )
