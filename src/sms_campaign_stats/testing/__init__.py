"""Test helpers that are part of the product: conformance suites users subclass to check their
own store and policies, and sample data (requires pytest).

Check your own ``Storage`` implementation by subclassing ``StorageConformance`` in a pytest
module::

    from sms_campaign_stats.testing import StorageConformance

    class TestMyStorage(StorageConformance):
        def make_storage(self):
            return MyStorage(...)      # a fresh, empty store for each test

Every test of the suite then runs against your store. Both built-in stores pass it.
"""

from ._storage import T0, StorageConformance, sample_campaign, sample_messages

__all__ = ["T0", "StorageConformance", "sample_campaign", "sample_messages"]
