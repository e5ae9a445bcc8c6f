"""A campaign's history as a value: ``Timeline`` and ``history_for``, with its renderings."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs

from sms_campaign_stats._core.privacy import mask_numbers_in_data
from sms_campaign_stats.model import TimelineEvent
from sms_campaign_stats.reports._figures import REPORT_SCHEMA_VERSION
from sms_campaign_stats.storage import Storage

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Timeline", "history_for"]


@attrs.frozen(kw_only=True)
class Timeline:
    """A campaign's history: every event from its creation on, in the order it was appended."""

    campaign_id: str
    campaign_name: str
    events: tuple[TimelineEvent, ...]

    def to_dict(self, *, show_numbers: bool = False) -> dict[str, Any]:
        """The history as JSON-ready data: times in ISO 8601 UTC, details as stored except that
        phone numbers in them are masked unless ``show_numbers``."""
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "campaign": {"id": self.campaign_id, "name": self.campaign_name},
            "events": [
                {
                    "at": event.at.isoformat(),
                    "kind": event.kind.value,
                    "details": dict(event.details)
                    if show_numbers
                    else mask_numbers_in_data(event.details),
                }
                for event in self.events
            ],
        }

    def to_text(self, *, show_numbers: bool = False, locale: str | None = None) -> str:
        """One line per event (details wrapped), at most 100 columns, numbers masked unless
        ``show_numbers``, in English or ``locale="fr"``."""
        from sms_campaign_stats import render

        return render.to_text(self, show_numbers=show_numbers, locale=locale)

    def to_html(self, *, show_numbers: bool = False, locale: str | None = None) -> str:
        """A self-contained, printable HTML document, numbers masked unless ``show_numbers``."""
        from sms_campaign_stats import render

        return render.to_html(self, show_numbers=show_numbers, locale=locale)

    def _repr_html_(self) -> str:
        """An HTML fragment (no ``<html>`` wrapper, numbers masked) for notebooks."""
        from sms_campaign_stats import render

        return render.html_fragment(self)

    def to_csv(self, *, show_numbers: bool = False, locale: str | None = None) -> dict[str, str]:
        """``{"history.csv": ...}``: at, kind and details (compact JSON) per event."""
        from sms_campaign_stats import render

        return render.to_csv(self, show_numbers=show_numbers, locale=locale)

    def to_json(self, *, indent: int | None = 2, show_numbers: bool = False) -> str:
        """``to_dict(show_numbers=...)`` as JSON text (UTF-8, ending with a newline)."""
        data = self.to_dict(show_numbers=show_numbers)
        return json.dumps(data, indent=indent, ensure_ascii=False) + "\n"

    def to_pandas(self, *, show_numbers: bool = False) -> pd.DataFrame:
        """One row per event as a DataFrame (needs the ``notebook`` extra)."""
        from sms_campaign_stats.notebook import timeline_frame

        return timeline_frame(self, show_numbers=show_numbers)


def history_for(storage: Storage, campaign_id: str) -> Timeline:
    """The stored history of a campaign; ``NotFoundError`` for an unknown campaign."""
    campaign = storage.get_campaign(campaign_id)
    return Timeline(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        events=tuple(storage.timeline(campaign_id)),
    )
