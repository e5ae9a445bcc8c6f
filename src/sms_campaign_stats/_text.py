"""Plain-text rendering of a campaign report: printable, at most 100 columns wide."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .reports import CampaignReport, Figure

__all__ = ["WIDTH", "render_campaign_report"]

WIDTH = 100


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _percent(figure: Figure) -> str:
    percentage = figure.percentage
    return "-" if percentage is None else f"{percentage:.2f}%"


def _money(amount: Decimal, currency: str) -> str:
    # Two decimals as usual, more when a unit price has more (0.045 x 3 = 0.135): never rounded.
    exact = amount.normalize()
    exponent = exact.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        return f"{exact:,f} {currency}"
    return f"{amount:,.2f} {currency}"


def render_campaign_report(report: CampaignReport) -> str:
    """The report as text lines no longer than ``WIDTH`` characters."""
    t = report.totals
    lines = [
        _clip(f"Campaign   {report.campaign_name} ({report.campaign_id})", WIDTH),
        _clip(f"Sender     {report.sender}", WIDTH),
        f"Status     {report.status.value}",
        f"Recipients {t.recipients:,}"
        + (f"  (and {t.cancelled:,} cancelled)" if t.cancelled else ""),
        "",
        f"{'':<14}{'count':>12}{'%':>10}",
    ]
    for label, figure in (
        ("Delivered", t.delivered),
        ("Soft bounces", t.soft_bounces),
        ("Hard bounces", t.hard_bounces),
        ("Processing", t.processing),
    ):
        lines.append(f"{label:<14}{figure.count:>12,}{_percent(figure):>10}")
    lines.append(
        f"{'Replies':<14}{t.replies.count:>12,}{_percent(t.replies):>10} of delivered"
        f" ({t.reply_messages:,} messages)"
    )
    lines.append(
        f"{'Unsubscribes':<14}{t.unsubscribes.count:>12,}{_percent(t.unsubscribes):>10}"
        " of delivered"
    )
    lines += [
        "",
        f"Cost       {_money(report.cost, report.currency)} for {t.sent:,} messages sent "
        f"({t.segments_sent:,} segments)",
        f"           {_money(report.bounced_cost, report.currency)} spent on bounces, "
        f"of which {_money(report.avoidable_bounced_cost, report.currency)} avoidable",
    ]
    if report.lists:
        lines += [
            "",
            "Per list",
            f"{'list':<22}{'recipients':>11}{'delivered':>17}{'soft':>10}{'hard':>10}"
            f"{'processing':>11}{'replies':>9}{'unsub.':>8}",
        ]
        for item in report.lists:
            f = item.figures
            lines.append(
                f"{_clip(item.list_id, 21):<22}{f.recipients:>11,}"
                f"{f.delivered.count:>9,}{_percent(f.delivered):>8}"
                f"{f.soft_bounces.count:>10,}{f.hard_bounces.count:>10,}"
                f"{f.processing.count:>11,}{f.replies.count:>9,}{f.unsubscribes.count:>8,}"
            )
    if report.bounce_reasons:
        lines += [
            "",
            "Bounce reasons (* avoidable by the sender)",
            f"{'reason':<36}{'kind':>6}{'count':>10}{'%':>9}{'sent':>10}{'cost':>20}",
        ]
        for reason in report.bounce_reasons:
            mark = "*" if reason.avoidable_by_sender else " "
            lines.append(
                f"{mark}{reason.reason.value:<35}{reason.kind.value:>6}"
                f"{reason.recipients.count:>10,}{_percent(reason.recipients):>9}"
                f"{reason.sent:>10,}{_money(reason.cost, report.currency):>20}"
            )
    return "\n".join(lines) + "\n"
