"""The public API is curated: pinned names, public paths everywhere, private modules, typed."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import sms_campaign_stats

PUBLIC = [
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

#: Names that services embedding the library call: they never move or change.
STABLE = ["CampaignEngine", "SQLiteStorage", "InMemoryStorage", "Campaign", "report_for"]
ENGINE_METHODS = [
    "plan",
    "due",
    "due_many",
    "submitted",
    "submitted_many",
    "handle",
    "handle_many",
    "inbound",
    "expire",
    "resume",
    "cancel",
]
ROOT = Path(__file__).parents[1]


def test_all_is_pinned() -> None:
    """Adding or removing a public name is a deliberate change to this list, which stays short:
    the common path only, everything else through its subpackage or module."""
    assert PUBLIC == sms_campaign_stats.__all__
    assert len(PUBLIC) <= 50
    for name in PUBLIC:
        assert hasattr(sms_campaign_stats, name)


def test_the_stable_names_stay() -> None:
    """The names embedding services call keep their place and their methods."""
    for name in STABLE:
        assert name in PUBLIC
    for method in ENGINE_METHODS:
        assert callable(getattr(sms_campaign_stats.CampaignEngine, method))


def _public_modules() -> list[str]:
    package = Path(sms_campaign_stats.__file__).parent
    return [
        info.name
        for info in pkgutil.walk_packages([str(package)], prefix="sms_campaign_stats.")
        if not any(part.startswith("_") for part in info.name.split("."))
    ]


def test_public_modules_declare_all() -> None:
    """Every public module and subpackage, at any depth, lists its names; every listed name
    exists."""
    modules = _public_modules()
    assert "sms_campaign_stats.storage.sqlite" in modules  # the walk reaches subpackages
    for name in modules:
        module = importlib.import_module(name)
        names = getattr(module, "__all__", None)
        assert names is not None, name
        for item in names:
            assert hasattr(module, item), (name, item)


def _private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "sms_campaign_stats" and any(
                part.startswith("_") and not part.startswith("__") for part in parts[1:]
            ):
                found.append(f"{path.name}:{node.lineno} {name}")
    return found


def test_tests_import_public_paths() -> None:
    """Tests, benchmarks, examples, scripts and fuzz harnesses use the public API; only the
    white-box tests under ``tests/internals/`` (fault injection, caches, private helpers) reach
    private modules."""
    files = [
        path
        for folder in ("tests", "benchmarks", "examples", "fuzz", "scripts")
        for path in (ROOT / folder).rglob("*.py")
        if "internals" not in path.relative_to(ROOT).parts
    ]
    assert any(path.name == "test_public_api.py" for path in files)
    assert [] == [found for path in files for found in _private_imports(path)]


def test_the_private_import_check_sees_one(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from sms_campaign_stats.storage import _memory\nimport os\n")
    assert ["sample.py:1 sms_campaign_stats.storage._memory"] == _private_imports(sample)


def test_package_is_typed() -> None:
    """py.typed ships with the package."""
    assert (Path(sms_campaign_stats.__file__).parent / "py.typed").exists()


def test_version_matches_metadata() -> None:
    """The package version and the installed distribution agree."""
    from importlib.metadata import version

    assert version("sms-campaign-stats") == sms_campaign_stats.__version__


def test_the_postgres_stores_resolve_on_use_and_only_then_import_psycopg() -> None:
    """``sms_campaign_stats.PostgresStorage`` and ``storage.PostgresStorage`` are the store of
    ``storage.postgres``; importing the package does not import psycopg (the extra), and a star
    import does not need it (the extra's names are not in ``__all__``)."""
    import subprocess
    import sys

    from sms_campaign_stats.storage import postgres

    assert sms_campaign_stats.PostgresStorage is postgres.PostgresStorage
    assert sms_campaign_stats.AsyncPostgresStorage is postgres.AsyncPostgresStorage
    assert sms_campaign_stats.storage.PostgresStorage is postgres.PostgresStorage
    assert "PostgresStorage" not in sms_campaign_stats.__all__
    probe = (
        "import sys, sms_campaign_stats, sms_campaign_stats.storage\n"
        "from sms_campaign_stats import *\n"
        "assert 'psycopg' not in sys.modules, 'psycopg imported'\n"
        "sms_campaign_stats.PostgresStorage\n"
        "assert 'psycopg' in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
