"""What a campaign's messages say beyond their counts: when they went out, when their outcomes
came back, and to which countries.

``CampaignCounts`` (what the stores count) hold neither times nor numbers, so ``Activity`` is
counted in one pass over the messages (``Activity.of_messages``), in bounded memory: a few
counters per region and per hour. A report carries it when asked for
(``report_from_messages(..., activity=True)``, ``report_for(..., activity=True)``: the command
line's ``report`` and ``demo`` do), and ``None`` otherwise: renderings then leave out the
charts and tables it feeds. It is not the default because it reads every message (a store's
counts do not) and the recipients' numbers (which a store's ``forget`` replaces).

* **region**: the recipient's country or territory (ISO 3166-1 code) as phonenumbers reads the
  number (``+262 262`` is Réunion, ``+1 416`` Canada); ``None`` for a number that was refused as
  invalid and never parsed.
* **outcomes per hour**: final outcomes (delivered, soft bounce, hard bounce) by the hour, in
  UTC, of the message's ``final_at``.
* **send window**: the first submission, the last submission, and the last final outcome.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import phonenumbers

from sms_campaign_stats.lifecycle._statuses import MessageStatus
from sms_campaign_stats.model import Message
from sms_campaign_stats.reports._figures import Figure

__all__ = ["Activity", "ActivityTally", "HourFigures", "RegionFigures", "region_of"]

_UTC = timezone.utc


@functools.lru_cache(maxsize=1024)
def _single_region(country_code: int) -> str | None:
    """The region of a calling code that only one region uses (``33`` -> ``FR``), else None."""
    regions = phonenumbers.region_codes_for_country_code(country_code)
    return regions[0] if len(regions) == 1 and regions[0] != "001" else None


def region_of(number: str) -> str | None:
    """The region (ISO 3166-1 alpha-2) of an E.164 number, ``None`` when it cannot be told.

    A calling code used by one region answers at once; a shared one (``+1``, ``+44``, ``+262``,
    ``+7``...) is resolved by phonenumbers from the whole number, or is the code's main region
    (``US``, ``GB``, ``RE``...) for a number valid in none of them.
    """
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    code = parsed.country_code or 0
    single = _single_region(code)
    if single is not None:
        return single
    region = phonenumbers.region_code_for_number(parsed)
    if region is None:  # not valid in any of them: the calling code's main region
        region = phonenumbers.region_code_for_country_code(code)
    if region in (None, "ZZ", "001"):
        return None
    return str(region)


@attrs.frozen(kw_only=True)
class RegionFigures:
    """The outcomes of the recipients of one region (``None``: not known)."""

    region: str | None
    recipients: int
    delivered: Figure
    soft_bounces: Figure
    hard_bounces: Figure
    processing: Figure
    sent: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "region": self.region,
            "recipients": self.recipients,
            "delivered": self.delivered.to_dict(),
            "soft_bounces": self.soft_bounces.to_dict(),
            "hard_bounces": self.hard_bounces.to_dict(),
            "processing": self.processing.to_dict(),
            "sent": self.sent,
        }


@attrs.frozen(kw_only=True)
class HourFigures:
    """The final outcomes of one hour (``start``, UTC, on the hour)."""

    start: datetime
    delivered: int
    soft_bounces: int
    hard_bounces: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "start": self.start.isoformat(),
            "delivered": self.delivered,
            "soft_bounces": self.soft_bounces,
            "hard_bounces": self.hard_bounces,
        }


_COLUMN = {
    MessageStatus.DELIVERED: 0,
    MessageStatus.SOFT_BOUNCE: 1,
    MessageStatus.HARD_BOUNCE: 2,
    MessageStatus.QUEUED: 3,
    MessageStatus.PROCESSING: 3,
}


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


class ActivityTally:
    """Counts messages one at a time into an ``Activity`` (``add``, then ``result``)."""

    def __init__(self) -> None:
        # region -> [delivered, soft, hard, processing, sent]
        self._regions: dict[str | None, list[int]] = {}
        self._hours: dict[datetime, list[int]] = {}
        self._first: datetime | None = None
        self._last: datetime | None = None
        self._outcome: datetime | None = None

    def add(self, message: Message) -> None:
        """Count one message."""
        column = _COLUMN.get(message.status)
        if column is None:  # cancelled
            return
        region = region_of(message.recipient)
        row = self._regions.get(region)
        if row is None:
            row = self._regions[region] = [0, 0, 0, 0, 0]
        row[column] += 1
        if message.sent:
            row[4] += 1
            self._first = _earliest(self._first, message.submitted_at)
            self._last = _latest(self._last, message.last_attempt_at)
        if message.final_at is not None:
            self._outcome = _latest(self._outcome, message.final_at)
            hour = message.final_at.replace(minute=0, second=0, microsecond=0)
            counts = self._hours.get(hour)
            if counts is None:
                counts = self._hours[hour] = [0, 0, 0]
            counts[column] += 1

    def result(self) -> Activity:
        """What was counted."""
        figures = []
        for region, (delivered, soft, hard, processing, sent) in self._regions.items():
            recipients = delivered + soft + hard + processing
            figures.append(
                RegionFigures(
                    region=region,
                    recipients=recipients,
                    delivered=Figure(delivered, recipients),
                    soft_bounces=Figure(soft, recipients),
                    hard_bounces=Figure(hard, recipients),
                    processing=Figure(processing, recipients),
                    sent=sent,
                )
            )
        # Most recipients first, the unknown region last; ties by code.
        figures.sort(key=lambda f: (f.region is None, -f.recipients, f.region or ""))
        return Activity(
            first_submitted_at=self._first,
            last_submitted_at=self._last,
            last_outcome_at=self._outcome,
            regions=tuple(figures),
            outcomes_per_hour=tuple(
                HourFigures(start=start, delivered=d, soft_bounces=s, hard_bounces=h)
                for start, (d, s, h) in sorted(self._hours.items())
            ),
        )


@attrs.frozen(kw_only=True)
class Activity:
    """Regions, outcomes per hour and the send window of a campaign's messages."""

    first_submitted_at: datetime | None
    last_submitted_at: datetime | None
    last_outcome_at: datetime | None
    regions: tuple[RegionFigures, ...]
    outcomes_per_hour: tuple[HourFigures, ...]

    @classmethod
    def of_messages(cls, messages: Iterable[Message]) -> Activity:
        """Count ``messages`` (cancelled ones are left out, as from the recipients)."""
        tally = ActivityTally()
        for message in messages:
            tally.add(message)
        return tally.result()

    @property
    def duration(self) -> timedelta | None:
        """From the first submission to the last final outcome, or ``None`` (nothing sent)."""
        if self.first_submitted_at is None or self.last_outcome_at is None:
            return None
        return max(self.last_outcome_at - self.first_submitted_at, timedelta(0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: times in ISO 8601 UTC."""

        def iso(at: datetime | None) -> str | None:
            return None if at is None else at.astimezone(_UTC).isoformat()

        return {
            "first_submitted_at": iso(self.first_submitted_at),
            "last_submitted_at": iso(self.last_submitted_at),
            "last_outcome_at": iso(self.last_outcome_at),
            "regions": [item.to_dict() for item in self.regions],
            "outcomes_per_hour": [item.to_dict() for item in self.outcomes_per_hour],
        }
