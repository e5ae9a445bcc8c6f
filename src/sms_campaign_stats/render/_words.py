"""The words a reader sees for the library's codes: bounce reasons, statuses, history events.

Every text here is English and marked for the catalogs (``N_``); ``words(...)`` translates it at
the time of rendering. The French words are those of Brevo's French report page
(``délivrés``, ``soft bounces``, ``hard bounces``, ``en cours de traitement``, ``réponses``,
``désinscriptions``): see ``docs/reports.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sms_campaign_stats.lifecycle._statuses import (
    BounceKind,
    BounceReason,
    CampaignStatus,
    TimelineKind,
)
from sms_campaign_stats.render._i18n import N_, Localizer
from sms_campaign_stats.reports._pricing import Pricing

if TYPE_CHECKING:
    from sms_campaign_stats.reports import CampaignReport

__all__ = [
    "OUTCOMES",
    "bounce_kind",
    "campaign_status",
    "cost_notes",
    "event_kind",
    "outcome",
    "provider",
    "reason",
    "reason_words",
]

#: A bounce reason as a reader says it (Brevo's help page lists the same reasons as sentences).
REASON_WORDS: Mapping[BounceReason, str] = {
    BounceReason.SENT_OUTSIDE_ALLOWED_HOURS: N_("Sent at a time the country does not allow"),
    BounceReason.LANDLINE_NUMBER: N_("Landline number"),
    BounceReason.INVALID_NUMBER_OR_COUNTRY_CODE: N_("Invalid number or country code"),
    BounceReason.HANDSET_OFF_OR_OUT_OF_COVERAGE: N_("Phone off or out of coverage"),
    BounceReason.EXPIRED_AT_OPERATOR: N_("Expired at the operator"),
    BounceReason.PROVIDER_UNKNOWN_FAILURE: N_("Provider failure, reason unknown"),
    BounceReason.SPAM_FILTERED_BY_OPERATOR: N_("Filtered as spam by the operator"),
    BounceReason.UNDELIVERABLE_CONTENT: N_("Content that cannot be delivered"),
    BounceReason.TEMPORARY_OPERATOR_NETWORK_ISSUE: N_(
        "Temporary problem on the operator's network"
    ),
    BounceReason.RECIPIENT_UNREACHABLE: N_("Recipient unreachable"),
    BounceReason.HANDSET_TEMPORARY_ERROR: N_("Temporary phone error (SIM or memory full)"),
    BounceReason.BLOCKED_BY_RECIPIENT_OR_OPERATOR: N_("Blocked by the recipient or the operator"),
    BounceReason.NUMBER_DOES_NOT_EXIST: N_("Number does not exist"),
    BounceReason.OPTED_OUT_EARLIER: N_("Opted out before this campaign"),
}

_STATUS_WORDS: Mapping[CampaignStatus, str] = {
    CampaignStatus.DRAFT: N_("draft"),
    CampaignStatus.SCHEDULED: N_("scheduled"),
    CampaignStatus.SENDING: N_("sending"),
    CampaignStatus.SUSPENDED: N_("suspended"),
    CampaignStatus.COMPLETED: N_("completed"),
    CampaignStatus.CANCELLED: N_("cancelled"),
}

_EVENT_WORDS: Mapping[TimelineKind, str] = {
    TimelineKind.CREATED: N_("created"),
    TimelineKind.CONTENT_EDITED: N_("text edited"),
    TimelineKind.SCHEDULED: N_("scheduled"),
    TimelineKind.STARTED: N_("started"),
    TimelineKind.SUSPENDED: N_("suspended"),
    TimelineKind.RESUMED: N_("resumed"),
    TimelineKind.COMPLETED: N_("completed"),
    TimelineKind.CANCELLED: N_("cancelled"),
}

_KIND_WORDS: Mapping[BounceKind, str] = {
    BounceKind.SOFT: N_("soft"),
    BounceKind.HARD: N_("hard"),
}

#: The four outcomes that partition the recipients, as ``DeliveryFigures`` attributes, and
#: their labels (Brevo's words in French).
OUTCOMES: Mapping[str, str] = {
    "delivered": N_("Delivered"),
    "soft_bounces": N_("Soft bounces"),
    "hard_bounces": N_("Hard bounces"),
    "processing": N_("Processing"),
}


def _spelt(code: str) -> str:
    """A code the tables above do not know yet, as words: ``a_new_reason`` -> ``A new reason``."""
    return code.replace("_", " ").capitalize()


def reason_words(value: BounceReason) -> str:
    """The English words of a bounce reason (the catalogs' source text)."""
    return REASON_WORDS.get(value) or _spelt(value.value)


def reason(words: Localizer, value: BounceReason) -> str:
    """A bounce reason in words, in the localizer's language."""
    return words._(reason_words(value))


def provider(words: Localizer, name: str | None) -> str:
    """A compensable figure's provider as a label: ``Provider brevo``; ``Provider not
    recorded`` for messages whose provider the store does not know."""
    if name is None:
        return words._("Provider not recorded")
    return words._("Provider {name}").format(name=name)


def campaign_status(words: Localizer, value: CampaignStatus) -> str:
    """A campaign status in words."""
    english = _STATUS_WORDS.get(value)
    return words._(english) if english else _spelt(value.value)


def event_kind(words: Localizer, value: TimelineKind) -> str:
    """A history event's kind in words."""
    english = _EVENT_WORDS.get(value)
    return words._(english) if english else _spelt(value.value)


def bounce_kind(words: Localizer, value: BounceKind) -> str:
    """``soft`` or ``hard`` in words."""
    return words._(_KIND_WORDS[value])


def outcome(words: Localizer, name: str) -> str:
    """One of ``OUTCOMES`` in words."""
    return words._(OUTCOMES[name])


def cost_notes(words: Localizer, report: CampaignReport) -> tuple[str, str, str, str]:
    """What the cost, first-send, retry and bounce amounts count, in words (the same in every
    rendering): submissions and segments under the default pricing, messages sent under
    ``per_message_sent``."""
    w, t = words, report.totals
    sent = w.ngettext("{count} message sent", "{count} messages sent", t.sent).format(
        count=w.integer(t.sent)
    )
    per = w._("{price} per segment").format(price=w.price(report.unit_price, report.currency))
    if report.pricing is Pricing.PER_MESSAGE_SENT:
        segments = w.ngettext("{count} segment", "{count} segments", t.segments_sent).format(
            count=w.integer(t.segments_sent)
        )
        billed = w._("billed per message sent, retries not billed")
        return f"{sent}, {segments}, {per}", sent, billed, ""
    submissions = w.ngettext("{count} submission", "{count} submissions", t.submissions)
    segments = w.ngettext("{count} segment", "{count} segments", t.segments_submitted).format(
        count=w.integer(t.segments_submitted)
    )
    retries = w.ngettext("{count} retry", "{count} retries", t.retries)
    failed = w.ngettext(
        "{count} failed submission", "{count} failed submissions", t.failed_submissions
    )
    return (
        f"{submissions.format(count=w.integer(t.submissions))}, {segments}, {per}",
        sent,
        retries.format(count=w.integer(t.retries)),
        failed.format(count=w.integer(t.failed_submissions)),
    )
