"""``AsyncCampaignEngine``: ``CampaignEngine`` for an event loop, from the same decisions.

Every operation of the engine is one generator of requests to the store (``engine._driver``:
``Call``, ``Scan``, ``Commit``, ``Claim``), which decides and never waits. ``CampaignEngine``
answers the requests from a ``Storage`` in the caller's thread; this driver awaits each from an
``AsyncStorage`` (``AsyncPostgresStorage``, or any ``Storage`` behind ``ThreadedAsyncStorage``),
so the event loop runs other tasks while the store works. The constructor, the calls, their
results and their errors are ``CampaignEngine``'s: only ``await`` differs. Nothing here decides.

The engine holds no lock across an ``await``: two tasks of one engine are two workers of the
store, kept apart by its compare-and-set (a conflict is read again and decided again, inside the
operation). The suspension monitors' cache is shared by the tasks, as by threads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sms_campaign_stats.engine._actions import (
    Action,
    HandleResult,
    InboundResult,
    PlanResult,
    RetryMessage,
    SendMessage,
)
from sms_campaign_stats.engine._driver import (
    Claim,
    Messages,
    Operation,
    Prefetch,
    Scan,
    T,
    _Engine,
)
from sms_campaign_stats.model import Campaign, Message
from sms_campaign_stats.providers import DeliveryReport, InboundMessage
from sms_campaign_stats.storage import AsyncStorage
from sms_campaign_stats.storage._threaded import claim_due_async, get_messages_async

__all__ = ["AsyncCampaignEngine"]


async def _gathered(items: AsyncIterator[Message], keep: Callable[[Message], Any] | None) -> Any:
    """An async scan's items as ``Scan`` keeps them; the scan closed if this stops early."""
    try:
        if keep is None:
            return [item async for item in items]
        return [kept async for item in items if (kept := keep(item)) is not None]
    except BaseException:
        close = getattr(items, "aclose", None)
        if callable(close):
            await close()
        raise


class AsyncCampaignEngine(_Engine[AsyncStorage]):
    """The campaign engine over an ``AsyncStorage``: ``CampaignEngine``'s constructor (the same
    policies and options, checked the same way) and calls, each a coroutine with the same
    result and the same errors. See ``CampaignEngine`` for what each call does."""

    _NAME = "AsyncCampaignEngine"

    async def _run(self, operation: Operation[T]) -> T:
        """Await the operation's requests from the store until it returns."""
        storage = self.storage
        result: Any = None
        failure: Exception | None = None
        while True:
            try:
                if failure is None:
                    request = operation.send(result)
                else:
                    # Thrown outside a handler: what the operation raises is not chained to it.
                    request, failure = operation.throw(failure), None
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            try:
                if type(request) is Scan:
                    result = await _gathered(request.serve(storage), request.keep)
                elif type(request) is Claim:
                    result = await claim_due_async(
                        storage, request.now, until=request.until, limit=request.limit
                    )
                elif type(request) is Messages:
                    result = await get_messages_async(storage, request.message_ids)
                elif type(request) is Prefetch:
                    hint = request.serve(storage)
                    result = None if hint is None else await hint
                else:
                    result = await request.serve(storage)
            except Exception as error:
                result, failure = None, error

    # planning and sending --------------------------------------------------------------------

    async def plan(
        self,
        campaign_id: str,
        lists: Mapping[str, Iterable[str]],
        now: datetime,
        *,
        explicit_zones: Mapping[str, str] | None = None,
        category: str = "marketing",
    ) -> PlanResult:
        """``CampaignEngine.plan``: plan a campaign's messages and start it, in one change."""
        return await self._run(self._plan(campaign_id, lists, now, explicit_zones, category))

    async def assign_zone(self, message_id: str, zone: str, now: datetime) -> Action | None:
        """``CampaignEngine.assign_zone``: the zone a ``NeedsZone`` asked for."""
        return await self._run(self._assign_zone(message_id, zone, now))

    async def due(self, message_id: str, now: datetime) -> Action | None:
        """``CampaignEngine.due``: just before sending, is it still to be sent, and now?"""
        return await self._run(self._due(message_id, now))

    async def due_many(
        self, message_ids: Iterable[str], now: datetime, *, batch_size: int = 1000
    ) -> dict[str, Action | None]:
        """``CampaignEngine.due_many``: ``due`` for many messages at one instant."""
        return await self._run(self._due_many(message_ids, now, batch_size))

    async def due_retries(self, now: datetime, *, batch_size: int = 1000) -> list[RetryMessage]:
        """``CampaignEngine.due_retries``: the stored retries whose time has come."""
        return await self._run(self._due_retries(now, batch_size))

    async def claim_due_retries(
        self, now: datetime, *, lease: timedelta = timedelta(minutes=5), limit: int = 100
    ) -> list[RetryMessage | SendMessage]:
        """``CampaignEngine.claim_due_retries``: due messages leased to this worker alone."""
        return await self._run(self._claim_due_retries(now, lease, limit))

    # campaign decisions ----------------------------------------------------------------------

    async def resume(self, campaign_id: str, now: datetime, *, reason: str = "") -> list[Action]:
        """``CampaignEngine.resume``: resume a suspended campaign, plan its messages again."""
        return await self._run(self._resume(campaign_id, now, reason))

    async def cancel(self, campaign_id: str, now: datetime, *, reason: str = "") -> Campaign:
        """``CampaignEngine.cancel``: cancel a campaign and its queued messages."""
        return await self._run(self._cancel(campaign_id, now, reason))

    async def complete_if_done(self, campaign_id: str, now: datetime) -> Campaign:
        """``CampaignEngine.complete_if_done``: complete a campaign with nothing left to send."""
        return await self._run(self._complete_if_done(campaign_id, now))

    # reports ---------------------------------------------------------------------------------

    async def submitted(
        self, message_id: str, provider_message_id: str | Sequence[str], at: datetime
    ) -> list[HandleResult]:
        """``CampaignEngine.submitted``: the provider took it (its orphans applied with it)."""
        return await self._run(self._submitted(message_id, provider_message_id, at))

    async def submitted_many(
        self,
        acknowledged: Mapping[str, str | Sequence[str]],
        at: datetime,
        *,
        batch_size: int = 1000,
    ) -> dict[str, list[HandleResult]]:
        """``CampaignEngine.submitted_many``: a bulk send's acknowledgements, one change per
        batch."""
        return await self._run(self._submitted_many(acknowledged, at, batch_size))

    async def handle(self, report: DeliveryReport, now: datetime) -> HandleResult:
        """``CampaignEngine.handle``: apply one delivery report, in one change."""
        return (await self._run(self._handle(report, now)))[0]

    async def handle_many(
        self, reports: Sequence[DeliveryReport], now: datetime, *, batch_size: int = 1000
    ) -> list[HandleResult]:
        """``CampaignEngine.handle_many``: many reports, one lookup and one change per batch."""
        return await self._run(self._handle_many(reports, now, batch_size))

    async def expire(self, now: datetime, *, batch_size: int = 1000) -> list[HandleResult]:
        """``CampaignEngine.expire``: messages without a final report after the timeout."""
        return await self._run(self._expire(now, batch_size))

    # suspension and inbound ------------------------------------------------------------------

    async def monitor_verdict(self, campaign_id: str) -> Any:
        """``CampaignEngine.monitor_verdict``: the campaign's current suspension verdict."""
        return await self._run(self._monitor_verdict(campaign_id))

    async def inbound(
        self,
        sender: str | InboundMessage,
        text: str | None = None,
        at: datetime | None = None,
        *,
        inbound_id: str | None = None,
        default_region: str | None = None,
    ) -> InboundResult:
        """``CampaignEngine.inbound``: a reply or an opt-out, attributed, in one change."""
        return await self._run(self._inbound(sender, text, at, inbound_id, default_region))
