"""The storage contract as tests for an ``AsyncStorage``: ``AsyncStorageConformance``.

Check your own async store by subclassing it in a pytest module (requires pytest)::

    from sms_campaign_stats.testing import AsyncStorageConformance

    class TestMyAsyncStorage(AsyncStorageConformance):
        def make_async_storage(self):
            return MyAsyncStorage(...)      # a fresh, empty store for each test

Every test of ``StorageConformance`` then runs against your store, through a synchronous
bridge: ``make_storage()`` returns a ``StorageBase`` whose every method runs your store's
coroutine on a private event loop, in a thread of its own, and waits for it. Your
``make_async_storage()`` is called on that loop (``asyncio.get_running_loop()`` works there: a
pool or a connection may bind to it), and the bridge's ``close()`` awaits your store's
``close()`` and stops the loop. The conveniences the suite calls (``add_messages``,
``claim_due``, ``take_orphans``, ...) are your store's own coroutines when it has them, else
``StorageBase``'s, through your ``commit`` and reads.

Atomicity under failures: define ``inject_commit_failure(store, campaign)`` as in
``StorageConformance``. ``store`` is the bridge: ``store.storage`` is your async store, and
``store.wait(coroutine_function, *args)`` awaits a coroutine of yours on the bridge's loop (to
install a trigger, say) from the test's thread.
"""

from __future__ import annotations

from sms_campaign_stats.storage import AsyncStorage, Storage
from sms_campaign_stats.storage._threaded import BlockingStorage
from sms_campaign_stats.testing._storage import StorageConformance

__all__ = ["AsyncStorageConformance"]


class AsyncStorageConformance(StorageConformance):
    """The storage contract as tests, for an ``AsyncStorage``. Subclass it and define
    ``make_async_storage``; define ``inject_commit_failure`` too to check atomicity under a
    failure in the middle of a commit (see the module doc)."""

    def make_async_storage(self) -> AsyncStorage:
        """A fresh, empty async store (called on the bridge's event loop). Subclasses define
        this."""
        raise TypeError(
            f"{type(self).__name__} must define make_async_storage() returning a new async store"
        )

    def make_storage(self) -> Storage:
        """The async store of ``make_async_storage()`` behind a synchronous bridge on a private
        event loop (a ``StorageBase``; its ``close()`` closes the store and the loop)."""
        return BlockingStorage.on_own_loop(self.make_async_storage)
