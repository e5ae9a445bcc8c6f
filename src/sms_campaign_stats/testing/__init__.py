"""Test helpers that are part of the product: conformance suites users subclass to check their
own store and policies, and sample data.

Each suite is a base class: subclass it in a pytest module (pytest collects ``Test*`` classes)
and give it what it checks, and every test of the suite runs against yours::

    from sms_campaign_stats.testing import StorageConformance

    class TestMyStorage(StorageConformance):
        def make_storage(self):
            return MyStorage(...)      # a fresh, empty store for each test

* ``StorageConformance``: define ``make_storage()``, and ``inject_commit_failure()`` to check
  atomicity under a failure in the middle of a commit (needs pytest);
* ``AsyncStorageConformance``: the same suite for an ``AsyncStorage``: define
  ``make_async_storage()`` (and ``inject_commit_failure()`` as above);
* ``SendTimeRuleConformance``: a ``rule`` fixture (and ``zones`` to choose the zones);
* ``RetryPolicyConformance``: a ``policy`` fixture, and ``window`` if not 72 h;
* ``SuspensionPolicyConformance``: a ``policy`` fixture and ``min_sample``;
* ``ClassifierConformance``: a ``classifier`` fixture.

``TemporaryPostgres`` starts a throwaway PostgreSQL server from the machine's own server
programs (tests, benchmarks, the demo), and removes it afterwards.

The policy suites are hypothesis properties (they need hypothesis too, imported only when they
run). The built-in stores and policies pass them all.
"""

from ._async_storage import AsyncStorageConformance
from ._classifiers import ClassifierConformance
from ._postgres import PostgresUnavailableError, TemporaryPostgres
from ._retry import RetryPolicyConformance
from ._send_time import SendTimeRuleConformance
from ._storage import T0, StorageConformance, sample_campaign, sample_messages
from ._suspension import SuspensionPolicyConformance

__all__ = [
    "T0",
    "AsyncStorageConformance",
    "ClassifierConformance",
    "PostgresUnavailableError",
    "RetryPolicyConformance",
    "SendTimeRuleConformance",
    "StorageConformance",
    "SuspensionPolicyConformance",
    "TemporaryPostgres",
    "sample_campaign",
    "sample_messages",
]
