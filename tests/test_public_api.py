"""The public API is curated: pinned names, private modules, typed package."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import sms_campaign_stats

PUBLIC = [
    "BOUNCE_REASON_TABLE",
    "CAMPAIGN_TRANSITIONS",
    "DEFAULT_RETRY_POLICY",
    "DEFAULT_SUSPENSION_POLICY",
    "MESSAGE_TRANSITIONS",
    "AllOf",
    "Attempt",
    "Block",
    "BlockRecipient",
    "BounceClassifier",
    "BounceKind",
    "BounceReason",
    "Campaign",
    "CampaignChange",
    "CampaignCounts",
    "CampaignEngine",
    "CampaignEvent",
    "CampaignReport",
    "CampaignStatus",
    "CampaignWarning",
    "Classification",
    "ClassifierChain",
    "ConflictError",
    "CountryRule",
    "CusumPolicy",
    "DeferralHorizonError",
    "DeliveryFigures",
    "DeliveryReport",
    "DuplicateError",
    "Encoding",
    "ErrorCode",
    "ErrorNamespace",
    "Figure",
    "GiveUp",
    "GlobalStatistics",
    "HandleResult",
    "InMemoryStorage",
    "InboundResult",
    "InvalidTransitionError",
    "Level",
    "LineType",
    "ListFigures",
    "MalformedReportError",
    "Message",
    "MessageEvent",
    "MessageStatus",
    "Metric",
    "NeedsZone",
    "NoRule",
    "NotFoundError",
    "NumberCheck",
    "NumberValidator",
    "Observation",
    "OptionalDependencyError",
    "Outcome",
    "OutsideAllowedHoursError",
    "OutsideWindow",
    "PhoneNumberValidator",
    "PlanResult",
    "ProviderTime",
    "ReasonFigure",
    "Recipient",
    "RecipientSet",
    "Reply",
    "RetryAt",
    "RetryContext",
    "RetryMessage",
    "RetryPolicy",
    "Retrying",
    "RuleRegistry",
    "SQLiteStorage",
    "SchemaError",
    "SegmentInfo",
    "SendMessage",
    "SendTimeDecision",
    "SendTimeError",
    "SendTimeRule",
    "SmsCampaignStatsError",
    "SoftBounceEscalation",
    "SprtPolicy",
    "StopWords",
    "Storage",
    "StorageBusyError",
    "StorageError",
    "SuspendCampaign",
    "SuspensionPolicy",
    "TableClassifier",
    "ThresholdPolicy",
    "Timeline",
    "TimelineEvent",
    "TimelineKind",
    "UnknownTimeZoneError",
    "Unsubscribe",
    "ValidationError",
    "Verdict",
    "WeeklySchedule",
    "WilsonPolicy",
    "ZonePolicy",
    "__version__",
    "build_recipients",
    "check_number",
    "check_numbers",
    "classify",
    "global_statistics",
    "history_for",
    "mask_number",
    "parse_brevo_event",
    "parse_infobip_result",
    "parse_kannel_dlr",
    "parse_smpp_receipt",
    "parse_smpp_submit_error",
    "parse_twilio_callback",
    "parse_vonage_receipt",
    "plan_send_time",
    "report_for",
    "report_from_messages",
    "resolve_zones",
    "rule_for",
    "segment_info",
]


def test_all_is_pinned() -> None:
    """Adding or removing a public name is a deliberate change to this list."""
    assert PUBLIC == sms_campaign_stats.__all__
    for name in PUBLIC:
        assert hasattr(sms_campaign_stats, name)


def test_public_modules_declare_all() -> None:
    """Every public module lists its names; every listed name exists."""
    package = Path(sms_campaign_stats.__file__).parent
    for info in pkgutil.iter_modules([str(package)]):
        module = importlib.import_module(f"sms_campaign_stats.{info.name}")
        names = getattr(module, "__all__", None)
        assert names is not None, info.name
        for name in names:
            assert hasattr(module, name), (info.name, name)


def test_package_is_typed() -> None:
    """py.typed ships with the package."""
    assert (Path(sms_campaign_stats.__file__).parent / "py.typed").exists()


def test_version_matches_metadata() -> None:
    """The package version and the installed distribution agree."""
    from importlib.metadata import version

    assert version("sms-campaign-stats") == sms_campaign_stats.__version__
