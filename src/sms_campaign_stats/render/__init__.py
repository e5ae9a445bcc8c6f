"""Renderings: functions over report values (``CampaignReport``, ``GlobalStatistics``,
``Timeline``), never methods the reports depend on.

* ``to_text``: plain text that fits 100 columns;
* ``to_html``: one self-contained, printable HTML document (inline CSS, no script, nothing
  external); ``html_fragment`` is the same without the ``<html>`` wrapper, for notebooks;
* ``to_csv``: one CSV text per table, by file name;
* ``to_email``: an ``EmailMessage`` with text and HTML alternatives and the CSV files attached,
  built but never sent;
* ``GENERATED_PAGES``: the documentation pages rendered from the library's tables (lifecycles,
  bounce reasons, code tables, send-time rules), by file name under ``docs/``.

Every rendering speaks English (the default) or French: ``locale="fr"``. Words come from the
gettext catalogs shipped in the package (``LOCALE_DIR``, domain ``CATALOG_DOMAIN``; the CSV
headers are translated in the context ``CSV_COLUMN_CONTEXT``), numbers, money and dates from
Babel (``localizer``); CSV files change only their header row.

The reports' conveniences (``report.to_html()``, ...) call these lazily: the reports never import
this package at load time, and this package imports the reports, in that one direction.
Phone numbers in history details are masked unless ``show_numbers=True``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sms_campaign_stats.errors import ValidationError
from sms_campaign_stats.reports import CampaignReport, GlobalStatistics, Timeline

from . import _csv, _html, _text
from ._csv import ALL_COLUMNS as CSV_COLUMNS
from ._csv import COLUMN_CONTEXT as CSV_COLUMN_CONTEXT
from ._i18n import DOMAIN as CATALOG_DOMAIN
from ._i18n import LANGUAGES, LOCALE_DIR, Localizer, localizer
from ._tables import GENERATED_PAGES

if TYPE_CHECKING:
    from email.message import EmailMessage

__all__ = [
    "CATALOG_DOMAIN",
    "CSV_COLUMNS",
    "CSV_COLUMN_CONTEXT",
    "GENERATED_PAGES",
    "LANGUAGES",
    "LOCALE_DIR",
    "Localizer",
    "Renderable",
    "html_fragment",
    "localizer",
    "to_csv",
    "to_email",
    "to_html",
    "to_text",
]

#: What the renderers take.
Renderable = CampaignReport | GlobalStatistics | Timeline


def _unknown(value: object) -> ValidationError:
    return ValidationError(
        "value",
        f"is a {type(value).__name__}; expected a CampaignReport, GlobalStatistics or Timeline",
    )


def to_text(
    value: Renderable,
    *,
    history: Timeline | None = None,
    show_numbers: bool = False,
    locale: str | None = None,
) -> str:
    """``value`` as plain text at most 100 columns wide; a report is followed by ``history``."""
    words = localizer(locale)
    if isinstance(value, CampaignReport):
        return _text.render_campaign_report(value, history, show_numbers=show_numbers, words=words)
    if isinstance(value, GlobalStatistics):
        return _text.render_statistics(value, words=words)
    if isinstance(value, Timeline):
        return _text.render_timeline(value, show_numbers=show_numbers, words=words)
    raise _unknown(value)


def to_html(
    value: Renderable,
    *,
    history: Timeline | None = None,
    show_numbers: bool = False,
    locale: str | None = None,
) -> str:
    """``value`` as one self-contained, printable HTML document."""
    words = localizer(locale)
    if isinstance(value, CampaignReport):
        fragment = _html.campaign_report_html(
            value, history, show_numbers=show_numbers, words=words
        )
        title = words._("Campaign report: {name}").format(name=value.campaign_name)
        return _html.document(title, fragment, words=words)
    if isinstance(value, GlobalStatistics):
        return _html.document(
            words._("Campaign statistics"), _html.statistics_html(value, words=words), words=words
        )
    if isinstance(value, Timeline):
        fragment = _html.timeline_html(value, show_numbers=show_numbers, words=words)
        title = words._("History of {name}").format(name=value.campaign_name)
        return _html.document(title, fragment, words=words)
    raise _unknown(value)


def html_fragment(value: Renderable, *, locale: str | None = None) -> str:
    """``value`` as an HTML fragment with its style (no ``<html>`` wrapper), numbers masked."""
    words = localizer(locale)
    if isinstance(value, CampaignReport):
        return _html.with_style(_html.campaign_report_html(value, words=words))
    if isinstance(value, GlobalStatistics):
        return _html.with_style(_html.statistics_html(value, words=words))
    if isinstance(value, Timeline):
        return _html.with_style(_html.timeline_html(value, words=words))
    raise _unknown(value)


def to_csv(
    value: Renderable, *, show_numbers: bool = False, locale: str | None = None
) -> dict[str, str]:
    """``value``'s tables as CSV texts, by file name (columns in ``docs/reports.md``). The
    header row is in the locale's language; the values are the same in every language."""
    words = localizer(locale)
    if isinstance(value, CampaignReport):
        return _csv.campaign_report_files(value, words=words)
    if isinstance(value, GlobalStatistics):
        return _csv.statistics_files(value, words=words)
    if isinstance(value, Timeline):
        return _csv.timeline_files(value, show_numbers=show_numbers, words=words)
    raise _unknown(value)


def to_email(
    report: CampaignReport,
    *,
    to: str | Sequence[str],
    sender: str,
    subject: str | None = None,
    history: Timeline | None = None,
    locale: str | None = None,
) -> EmailMessage:
    """``report`` as an e-mail, built but never sent (see ``CampaignReport.to_email``)."""
    from ._email import campaign_report_email

    if not isinstance(report, CampaignReport):
        raise _unknown(report)
    return campaign_report_email(
        report, to=to, sender=sender, subject=subject, history=history, locale=locale
    )
