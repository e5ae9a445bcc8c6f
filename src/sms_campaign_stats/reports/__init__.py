"""Reports as values: a campaign's report, global statistics across campaigns, a campaign's
history, and the figures they hold. Built from ``CampaignCounts``, never from every message.

Each value renders itself through ``sms_campaign_stats.render`` (``to_text``, ``to_html``,
``to_csv``, ``to_email``) and, with the ``notebook`` extra, as DataFrames (``to_pandas``).
"""

from ._activity import Activity, HourFigures, RegionFigures, region_of
from ._campaign import CampaignReport, Compensable, MessageText, report_for, report_from_messages
from ._figures import REPORT_SCHEMA_VERSION, DeliveryFigures, Figure, ListFigures, ReasonFigure
from ._history import Timeline, history_for
from ._pricing import Costs, Pricing
from ._statistics import CampaignRow, GlobalStatistics, global_statistics

__all__ = [
    "REPORT_SCHEMA_VERSION",
    "Activity",
    "CampaignReport",
    "CampaignRow",
    "Compensable",
    "Costs",
    "DeliveryFigures",
    "Figure",
    "GlobalStatistics",
    "HourFigures",
    "ListFigures",
    "MessageText",
    "Pricing",
    "ReasonFigure",
    "RegionFigures",
    "Timeline",
    "global_statistics",
    "history_for",
    "region_of",
    "report_for",
    "report_from_messages",
]
