"""sms_campaign_stats: trustworthy statistics and safe sending decisions for SMS campaigns.

The names here are the common path (the README's example and what most services call). The rest
is reached through its subpackage or module, each the home of one concept::

    model, lifecycle          the domain values; statuses, outcomes, bounce reasons, transitions
    providers                 delivery-report parsers and code tables, one module per provider
    bounces, retry,           the policies: classification, retry scheduling, automatic
    suspension, quiet_hours,  suspension, send-time rules (building blocks in send_time),
    phone_numbers             number validation
    storage                   the storage contract, counts, InMemoryStorage, SQLiteStorage,
                              AsyncStorage and ThreadedAsyncStorage for asyncio services;
                              storage.postgres: PostgresStorage, AsyncPostgresStorage (the
                              postgres extra; also resolved here on use, not in __all__)
    engine                    CampaignEngine (and AsyncCampaignEngine), the actions it returns
                              and the results of its calls
    reports, render           reports as values; text, HTML, CSV and e-mail renderings
    errors, testing           the error tree; conformance suites for your stores and policies

``docs/architecture.md`` draws the layers and the rule for imports.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sms_campaign_stats._core.privacy import mask_number
    from sms_campaign_stats.bounces import Classification, classify
    from sms_campaign_stats.engine import (
        AsyncCampaignEngine,
        BlockRecipient,
        CampaignEngine,
        CampaignWarning,
        HandleResult,
        InboundResult,
        NeedsZone,
        PlanResult,
        RetryMessage,
        SendMessage,
        SuspendCampaign,
    )
    from sms_campaign_stats.errors import SmsCampaignStatsError, ValidationError
    from sms_campaign_stats.lifecycle import BounceReason, CampaignStatus, MessageStatus, Outcome
    from sms_campaign_stats.model import Campaign, Message
    from sms_campaign_stats.phone_numbers import NumberCheck, PhoneNumberValidator, check_number
    from sms_campaign_stats.providers import (
        DeliveryReport,
        parse_brevo_event,
        parse_infobip_result,
        parse_kannel_dlr,
        parse_smpp_receipt,
        parse_twilio_callback,
        parse_vonage_receipt,
    )
    from sms_campaign_stats.quiet_hours import CountryRule, plan_send_time, rule_for
    from sms_campaign_stats.reports import (
        CampaignReport,
        GlobalStatistics,
        Timeline,
        global_statistics,
        history_for,
        report_for,
    )
    from sms_campaign_stats.retry import DEFAULT_RETRY_POLICY, Retrying
    from sms_campaign_stats.storage import AsyncStorage as AsyncStorage
    from sms_campaign_stats.storage import InMemoryStorage, SQLiteStorage, Storage
    from sms_campaign_stats.storage import ThreadedAsyncStorage as ThreadedAsyncStorage
    from sms_campaign_stats.storage.postgres import AsyncPostgresStorage as AsyncPostgresStorage
    from sms_campaign_stats.storage.postgres import PostgresStorage as PostgresStorage
    from sms_campaign_stats.suspension import DEFAULT_SUSPENSION_POLICY, ThresholdPolicy

__version__ = "0.1.0.dev0"

# The library logs under "sms_campaign_stats.*" and prints nothing unless the application
# configures logging: only the standard library's NullHandler, so Python's last-resort handler
# never writes our warnings to stderr (https://docs.python.org/3/howto/logging.html#library-config).
logging.getLogger(__name__).addHandler(logging.NullHandler())

#: Where each name of ``__all__`` lives. The names are loaded on first use (PEP 562): importing
#: the package costs nothing until one is asked for, so the command line can install its
#: interrupt handling before the library loads.
_EXPORTS: dict[str, str] = {
    "mask_number": "sms_campaign_stats._core.privacy",
    "Classification": "sms_campaign_stats.bounces",
    "classify": "sms_campaign_stats.bounces",
    "AsyncCampaignEngine": "sms_campaign_stats.engine",
    "BlockRecipient": "sms_campaign_stats.engine",
    "CampaignEngine": "sms_campaign_stats.engine",
    "CampaignWarning": "sms_campaign_stats.engine",
    "HandleResult": "sms_campaign_stats.engine",
    "InboundResult": "sms_campaign_stats.engine",
    "NeedsZone": "sms_campaign_stats.engine",
    "PlanResult": "sms_campaign_stats.engine",
    "RetryMessage": "sms_campaign_stats.engine",
    "SendMessage": "sms_campaign_stats.engine",
    "SuspendCampaign": "sms_campaign_stats.engine",
    "SmsCampaignStatsError": "sms_campaign_stats.errors",
    "ValidationError": "sms_campaign_stats.errors",
    "BounceReason": "sms_campaign_stats.lifecycle",
    "CampaignStatus": "sms_campaign_stats.lifecycle",
    "MessageStatus": "sms_campaign_stats.lifecycle",
    "Outcome": "sms_campaign_stats.lifecycle",
    "Campaign": "sms_campaign_stats.model",
    "Message": "sms_campaign_stats.model",
    "NumberCheck": "sms_campaign_stats.phone_numbers",
    "PhoneNumberValidator": "sms_campaign_stats.phone_numbers",
    "check_number": "sms_campaign_stats.phone_numbers",
    "DeliveryReport": "sms_campaign_stats.providers",
    "parse_brevo_event": "sms_campaign_stats.providers",
    "parse_infobip_result": "sms_campaign_stats.providers",
    "parse_kannel_dlr": "sms_campaign_stats.providers",
    "parse_smpp_receipt": "sms_campaign_stats.providers",
    "parse_twilio_callback": "sms_campaign_stats.providers",
    "parse_vonage_receipt": "sms_campaign_stats.providers",
    "CountryRule": "sms_campaign_stats.quiet_hours",
    "plan_send_time": "sms_campaign_stats.quiet_hours",
    "rule_for": "sms_campaign_stats.quiet_hours",
    "CampaignReport": "sms_campaign_stats.reports",
    "GlobalStatistics": "sms_campaign_stats.reports",
    "Timeline": "sms_campaign_stats.reports",
    "global_statistics": "sms_campaign_stats.reports",
    "history_for": "sms_campaign_stats.reports",
    "report_for": "sms_campaign_stats.reports",
    "DEFAULT_RETRY_POLICY": "sms_campaign_stats.retry",
    "Retrying": "sms_campaign_stats.retry",
    "AsyncStorage": "sms_campaign_stats.storage",
    "InMemoryStorage": "sms_campaign_stats.storage",
    "SQLiteStorage": "sms_campaign_stats.storage",
    "Storage": "sms_campaign_stats.storage",
    "ThreadedAsyncStorage": "sms_campaign_stats.storage",
    # The postgres extra: resolved on use (psycopg is imported then), not in __all__ (a star
    # import must not need an extra).
    "PostgresStorage": "sms_campaign_stats.storage.postgres",
    "AsyncPostgresStorage": "sms_campaign_stats.storage.postgres",
    "DEFAULT_SUSPENSION_POLICY": "sms_campaign_stats.suspension",
    "ThresholdPolicy": "sms_campaign_stats.suspension",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "DEFAULT_RETRY_POLICY",
    "DEFAULT_SUSPENSION_POLICY",
    "AsyncCampaignEngine",
    "BlockRecipient",
    "BounceReason",
    "Campaign",
    "CampaignEngine",
    "CampaignReport",
    "CampaignStatus",
    "CampaignWarning",
    "Classification",
    "CountryRule",
    "DeliveryReport",
    "GlobalStatistics",
    "HandleResult",
    "InMemoryStorage",
    "InboundResult",
    "Message",
    "MessageStatus",
    "NeedsZone",
    "NumberCheck",
    "Outcome",
    "PhoneNumberValidator",
    "PlanResult",
    "RetryMessage",
    "Retrying",
    "SQLiteStorage",
    "SendMessage",
    "SmsCampaignStatsError",
    "Storage",
    "SuspendCampaign",
    "ThresholdPolicy",
    "Timeline",
    "ValidationError",
    "__version__",
    "check_number",
    "classify",
    "global_statistics",
    "history_for",
    "mask_number",
    "parse_brevo_event",
    "parse_infobip_result",
    "parse_kannel_dlr",
    "parse_smpp_receipt",
    "parse_twilio_callback",
    "parse_vonage_receipt",
    "plan_send_time",
    "report_for",
    "rule_for",
]
