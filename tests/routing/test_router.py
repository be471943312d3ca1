"""chargeplane.routing used directly, as any service would: owner lookup, epoch fencing,
re-resolving once, and a typed error for every outcome that is not the charger's answer.

Everything is real (Redis registry, the gateway's gRPC service, a WebSocket charger). The
one seam is `StaleFirstLookup`: it hands the router an owner record read *before* the
charger moved, which is the race re-resolution exists for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from chargeplane.embedded._process import free_port
from chargeplane.routing import (
    ChargerDisconnected,
    ChargerOffline,
    ChargerTimeout,
    CommandRouter,
    InvalidCommand,
    Owner,
    PresenceRegistry,
    RegistryUnavailable,
)
from chargeplane.routing.presence import epoch_key, owner_key
from chargeplane.runtime.components import AllInOne
from tests.chargers import RawCharger, raw_charger
from tests.eventually import eventually


class StaleFirstLookup(CommandRouter):
    """Answers the first owner lookup with a record from before the charger moved."""

    def __init__(self, redis: Redis, stale: Owner) -> None:
        super().__init__(redis)
        self._stale: Owner | None = stale

    async def owner(self, cp_id: str) -> Owner:
        stale, self._stale = self._stale, None
        return stale if stale is not None else await super().owner(cp_id)


@pytest.fixture
async def router(allinone: AllInOne) -> AsyncIterator[CommandRouter]:
    router = CommandRouter(allinone.redis)
    yield router
    await router.close()


def _url(allinone: AllInOne) -> str:
    return f"ws://127.0.0.1:{allinone.gateway_port}/ocpp"


async def _owner(allinone: AllInOne, cp_id: str, after_epoch: int = 0) -> Owner:
    presence = PresenceRegistry(allinone.redis)

    async def registered() -> Owner | None:
        owner = await presence.lookup(cp_id)
        return owner if owner is not None and owner.epoch > after_epoch else None

    found = await eventually(registered)
    assert found is not None
    return found


async def _answer(charger: RawCharger, result: dict[str, Any]) -> list[Any]:
    incoming = await charger.recv()
    await charger.send([3, incoming[1], result])
    return incoming


async def test_call_reaches_the_owner_with_its_epoch(allinone: AllInOne, router: CommandRouter) -> None:
    async with raw_charger(_url(allinone), "RT-1", "1.6") as charger:
        owner = await _owner(allinone, "RT-1")
        call = asyncio.create_task(router.call("RT-1", "ClearCache", {}, timeout=5))
        incoming = await _answer(charger, {"status": "Accepted"})
        routed = await call
    assert incoming[2:] == ["ClearCache", {}]
    assert routed.result == {"status": "Accepted"} and routed.error_code is None
    assert (routed.owner.gateway, routed.owner.epoch) == (allinone.settings.pod_name, owner.epoch)
    assert routed.message_id == incoming[1] and routed.protocol == "ocpp1.6"


async def test_a_callerror_is_an_answer_not_an_exception(allinone: AllInOne, router: CommandRouter) -> None:
    async with raw_charger(_url(allinone), "RT-ERR", "1.6") as charger:
        await _owner(allinone, "RT-ERR")
        call = asyncio.create_task(router.call("RT-ERR", "ClearCache", {}, timeout=5))
        incoming = await charger.recv()
        await charger.send([4, incoming[1], "NotSupported", "no cache here", {"why": "none"}])
        routed = await call
    assert (routed.result, routed.error_code, routed.error_description) == (None, "NotSupported", "no cache here")
    assert routed.error_details == {"why": "none"}


async def test_a_stale_epoch_is_fenced_and_re_resolved_once(allinone: AllInOne) -> None:
    """The router read the owner, then the charger reconnected (new epoch): the gateway
    refuses the old epoch (NOT_FOUND) and the router tries the fresh owner once."""
    async with raw_charger(_url(allinone), "RT-MOVE", "2.0.1"):
        before = await _owner(allinone, "RT-MOVE")
    async with raw_charger(_url(allinone), "RT-MOVE", "2.0.1") as charger:
        after = await _owner(allinone, "RT-MOVE", after_epoch=before.epoch)
        router = StaleFirstLookup(allinone.redis, before)
        try:
            call = asyncio.create_task(router.call("RT-MOVE", "ClearCache", {}, timeout=5))
            await _answer(charger, {"status": "Accepted"})
            routed = await call
        finally:
            await router.close()
    assert routed.owner.epoch == after.epoch > before.epoch
    assert routed.result == {"status": "Accepted"}


async def test_a_stale_owner_that_did_not_change_is_offline(allinone: AllInOne) -> None:
    """Re-resolving finds the same stale record: offline, with no second call."""
    async with raw_charger(_url(allinone), "RT-GONE", "2.0.1"):
        before = await _owner(allinone, "RT-GONE")
    await eventually(lambda: _absent(allinone.redis, "RT-GONE"))
    # The registry still (wrongly) names the old connection, as if its release was lost.
    await _write_owner(allinone.redis, "RT-GONE", before.address, before.epoch)
    router = CommandRouter(allinone.redis)
    try:
        with pytest.raises(ChargerOffline, match="no longer holds it"):
            await router.call("RT-GONE", "ClearCache", {}, timeout=5)
    finally:
        await router.close()


async def test_nobody_holds_the_charger(router: CommandRouter) -> None:
    started = time.monotonic()
    with pytest.raises(ChargerOffline, match="is not connected"):
        await router.call("RT-NOBODY", "ClearCache", {}, timeout=5)
    assert time.monotonic() - started < 1.0


async def test_a_dead_pod_is_offline_at_once(allinone: AllInOne, router: CommandRouter) -> None:
    """An entry whose pod died (its TTL has not lapsed yet): UNAVAILABLE, re-resolved to
    the same dead entry, offline -- fast, never a hang until the charger's timeout."""
    await _write_owner(allinone.redis, "RT-DEAD", f"127.0.0.1:{free_port()}", 7)
    started = time.monotonic()
    with pytest.raises(ChargerOffline):
        await router.call("RT-DEAD", "ClearCache", {}, timeout=30)
    assert time.monotonic() - started < 5.0


async def test_typed_errors_from_the_gateway(allinone: AllInOne, router: CommandRouter) -> None:
    async with raw_charger(_url(allinone), "RT-TYPED", "2.0.1") as charger:
        await _owner(allinone, "RT-TYPED")
        with pytest.raises(InvalidCommand, match="Reset"):  # 2.0.1 Reset has no type Hard
            await router.call("RT-TYPED", "Reset", {"type": "Hard"}, timeout=5)
        with pytest.raises(ChargerTimeout, match="did not answer"):
            await router.call("RT-TYPED", "ClearCache", {}, timeout=0.3)
        await charger.recv()  # it did reach the charger
        call = asyncio.create_task(router.call("RT-TYPED", "ClearCache", {}, timeout=5))
        await charger.recv()
        await charger.ws.close()  # gone after receiving it, before answering
        with pytest.raises(ChargerDisconnected, match="not resent"):
            await call


async def test_registry_unavailable() -> None:
    redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}", socket_connect_timeout=1)
    router = CommandRouter(redis)
    try:
        with pytest.raises(RegistryUnavailable):
            await router.call("RT-ANY", "ClearCache", {}, timeout=5)
    finally:
        await router.close()
        await redis.aclose()


async def _absent(redis: Redis, cp_id: str) -> bool:
    return await PresenceRegistry(redis).lookup(cp_id) is None


async def _write_owner(redis: Redis, cp_id: str, address: str, epoch: int) -> None:
    await redis.hset(
        owner_key(cp_id), mapping={"gw": "gw-old", "addr": address, "epoch": epoch, "proto": "ocpp2.0.1", "since": "0"}
    )
    await redis.set(epoch_key(cp_id), epoch)
