"""Global statistics: every campaign of a store on one line each, and their totals, built from
each campaign's ``CampaignCounts`` (merged for the totals, so every message counts once).

Money adds up as in each campaign's report, under one ``pricing`` (per submission by default):
a campaign's row holds its report's cost, retry cost, bounced cost and compensable soft
bounces, and the totals are their sums per currency."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from sms_campaign_stats.model import CampaignStatus
from sms_campaign_stats.reports._campaign import CampaignReport, Compensable
from sms_campaign_stats.reports._figures import REPORT_SCHEMA_VERSION, DeliveryFigures
from sms_campaign_stats.reports._pricing import Pricing, to_pricing
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
    retry_cost: Decimal = Decimal(0)
    compensable: Compensable = attrs.field(factory=lambda: Compensable(count=0, cost=Decimal(0)))


@attrs.frozen(kw_only=True)
class GlobalStatistics:
    """Figures of every campaign of a store, and their totals.

    Totals count every message once; costs are summed per currency, never converted.
    """

    rows: tuple[CampaignRow, ...]
    totals: DeliveryFigures
    cost_by_currency: Mapping[str, Decimal]
    bounced_cost_by_currency: Mapping[str, Decimal]
    retry_cost_by_currency: Mapping[str, Decimal] = attrs.field(factory=dict)
    compensable_cost_by_currency: Mapping[str, Decimal] = attrs.field(factory=dict)
    pricing: Pricing = Pricing.PER_SUBMISSION

    @property
    def compensable(self) -> int:
        """Compensable soft bounces over every campaign."""
        return sum(row.compensable.count for row in self.rows)

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
                    "retry_cost": str(row.retry_cost),
                    "bounced_cost": str(row.bounced_cost),
                    "compensable": row.compensable.to_dict(),
                }
                for row in self.rows
            ],
            "totals": {
                **self.totals.to_dict(),
                "pricing": self.pricing.value,
                "cost": _amounts(self.cost_by_currency),
                "retry_cost": _amounts(self.retry_cost_by_currency),
                "bounced_cost": _amounts(self.bounced_cost_by_currency),
                "compensable": {
                    "count": self.compensable,
                    "cost": _amounts(self.compensable_cost_by_currency),
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


def _amounts(by_currency: Mapping[str, Decimal]) -> dict[str, str]:
    return {k: str(v) for k, v in sorted(by_currency.items())}


def _add(into: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    into[currency] = into.get(currency, Decimal(0)) + amount


def global_statistics(
    storage: Storage,
    campaign_ids: Iterable[str] | None = None,
    *,
    pricing: Pricing | str = Pricing.PER_SUBMISSION,
) -> GlobalStatistics:
    """Statistics over the given campaigns (default: all, oldest first), from aggregates, the
    money under ``pricing`` as in each campaign's report."""
    pricing = to_pricing(pricing)
    if campaign_ids is None:
        campaigns = storage.list_campaigns()
    else:
        campaigns = [storage.get_campaign(campaign_id) for campaign_id in campaign_ids]
    rows = []
    all_counts = []
    cost: dict[str, Decimal] = {}
    bounced: dict[str, Decimal] = {}
    retries: dict[str, Decimal] = {}
    compensable: dict[str, Decimal] = {}
    for campaign in campaigns:
        counts = storage.campaign_counts(campaign.id)
        all_counts.append(counts)
        report = CampaignReport.from_counts(campaign, counts, pricing=pricing)
        assert report.retry_cost is not None
        assert report.compensable is not None
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
                retry_cost=report.retry_cost,
                compensable=report.compensable,
            )
        )
        _add(cost, campaign.currency, report.cost)
        _add(bounced, campaign.currency, report.bounced_cost)
        _add(retries, campaign.currency, report.retry_cost)
        _add(compensable, campaign.currency, report.compensable.cost)
    merged = CampaignCounts.merge(all_counts)
    return GlobalStatistics(
        rows=tuple(rows),
        totals=DeliveryFigures.from_cells(merged.cells.items(), merged.engagement.values()),
        cost_by_currency=cost,
        bounced_cost_by_currency=bounced,
        retry_cost_by_currency=retries,
        compensable_cost_by_currency=compensable,
        pricing=pricing,
    )
