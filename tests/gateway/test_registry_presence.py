"""The connection registry in Redis: ownership, takeover, release, and Redis loss."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import grpc
import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError
from websockets.exceptions import ConnectionClosed

from chargeplane.config import Settings
from chargeplane.embedded import EmbeddedRedis
from chargeplane.gateway.clients.registry import RegistryClient
from chargeplane.gateway.server import GatewayServer
from chargeplane.routing.presence import PresenceRegistry, epoch_key, owner_key
from chargeplane.runtime.components import AllInOne, all_in_one
from tests.chargers import raw_charger
from tests.eventually import TRANSIENT, eventually, still

# While Redis restarts, a lookup raises redis' own ConnectionError (not the builtin one).
DURING_RESTART = (*TRANSIENT, RedisError)


@contextlib.asynccontextmanager
async def second_gateway(allinone: AllInOne, pod: str, redis: Redis | None = None) -> AsyncIterator[GatewayServer]:
    settings = allinone.settings.model_copy(
        update={"pod_name": pod, "gateway_port": 0, "gateway_grpc_address": f"{pod}:50052"}
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{allinone.grpc_port}") as channel:
        registry = RegistryClient(channel, deadline=5, flush_interval=0.2)
        gateway = GatewayServer(settings, registry, redis or allinone.redis)
        await gateway.start()
        try:
            yield gateway
        finally:
            await gateway.stop()


async def test_connect_claims_and_disconnect_releases(allinone: AllInOne, ocpp_url: str) -> None:
    presence = PresenceRegistry(allinone.redis)
    async with raw_charger(ocpp_url, "OWN-1", "1.6"):
        await eventually(lambda: _owned_by(presence, "OWN-1", allinone.settings.pod_name))
        owner = await presence.lookup("OWN-1")
        assert owner is not None and owner.protocol == "ocpp1.6" and owner.epoch >= 1
        assert owner.address == allinone.settings.gateway_grpc_address
    await eventually(lambda: _absent(presence, "OWN-1"))


async def _owned_by(presence: PresenceRegistry, cp_id: str, pod: str) -> bool:
    owner = await presence.lookup(cp_id)
    return owner is not None and owner.gateway == pod


async def _absent(presence: PresenceRegistry, cp_id: str) -> bool:
    return await presence.lookup(cp_id) is None


async def test_newer_connection_on_same_gateway_wins(allinone: AllInOne, ocpp_url: str) -> None:
    presence = PresenceRegistry(allinone.redis)
    async with raw_charger(ocpp_url, "DUP-1", "2.0.1") as first:
        await eventually(lambda: _owned_by(presence, "DUP-1", allinone.settings.pod_name))
        epoch1 = (await presence.lookup("DUP-1")).epoch  # type: ignore[union-attr]
        async with raw_charger(ocpp_url, "DUP-1", "2.0.1") as second:
            with pytest.raises(ConnectionClosed):
                await first.recv(timeout=5)
            assert first.ws.close_code == 1000
            reply = await second.call("Heartbeat", {})
            assert reply[0] == 3
            owner = await presence.lookup("DUP-1")
            assert owner is not None and owner.epoch > epoch1
        await eventually(lambda: _absent(presence, "DUP-1"))


async def test_takeover_across_gateways_closes_the_old_socket(allinone: AllInOne, ocpp_url: str) -> None:
    presence = PresenceRegistry(allinone.redis)
    async with second_gateway(allinone, "gw-b") as gw_b:
        url_b = f"ws://127.0.0.1:{gw_b.port}/ocpp"
        async with raw_charger(ocpp_url, "HOP-1", "1.6") as on_a:
            await eventually(lambda: _owned_by(presence, "HOP-1", allinone.settings.pod_name))
            async with raw_charger(url_b, "HOP-1", "1.6") as on_b:
                with pytest.raises(ConnectionClosed):
                    await on_a.recv(timeout=5)  # gateway A was told over Redis and closed it
                await eventually(lambda: _owned_by(presence, "HOP-1", "gw-b"))
                assert "HOP-1" not in allinone.gateway.connections
                assert (await on_b.call("Heartbeat", {}))[0] == 3
            # A's late disconnect must not release B's entry; B's own close releases it.
            await eventually(lambda: _absent(presence, "HOP-1"))


async def test_stale_refresh_closes_a_socket_the_registry_moved(allinone: AllInOne, ocpp_url: str) -> None:
    """The eviction message is lost (say, a Redis failover rewrote the entry): the next
    refresh finds a newer epoch, closes the socket and never claims the charger back."""
    presence = PresenceRegistry(allinone.redis)
    async with raw_charger(ocpp_url, "LOST-1", "2.0.1") as charger:
        await eventually(lambda: _owned_by(presence, "LOST-1", allinone.settings.pod_name))
        epoch = (await presence.lookup("LOST-1")).epoch  # type: ignore[union-attr]
        newer: dict[str, str | int] = {
            "gw": "gw-elsewhere",
            "addr": "10.0.0.9:50052",
            "epoch": epoch + 1,
            "proto": "ocpp2.0.1",
            "since": "0",
        }
        await allinone.redis.hset(
            owner_key("LOST-1"), mapping=cast(Any, newer)
        )  # redis-py types mapping keys invariantly
        await allinone.redis.set(epoch_key("LOST-1"), epoch + 1)
        await allinone.gateway.refresh_once()
        await allinone.gateway.refresh_once()
        assert (await presence.lookup("LOST-1")).gateway == "gw-elsewhere"  # type: ignore[union-attr]
        with pytest.raises(ConnectionClosed):
            await charger.recv(timeout=5)
    # Its handler has finished (the gateway dropped the connection): the entry stays the newer one.
    await eventually(lambda: "LOST-1" not in allinone.gateway.connections)
    await still(lambda: _owned_by(presence, "LOST-1", "gw-elsewhere"), duration=0.5)


async def test_registry_rebuilt_after_flush(allinone: AllInOne, ocpp_url: str) -> None:
    presence = PresenceRegistry(allinone.redis)
    async with raw_charger(ocpp_url, "FLUSH-1", "1.6") as charger:
        await eventually(lambda: _owned_by(presence, "FLUSH-1", allinone.settings.pod_name))
        epoch = (await presence.lookup("FLUSH-1")).epoch  # type: ignore[union-attr]
        await allinone.redis.flushall()
        # Re-registered by the periodic refresh (presence_ttl / 3 in tests: 1 s).
        await eventually(lambda: _owned_by(presence, "FLUSH-1", allinone.settings.pod_name), timeout=5)
        assert (await presence.lookup("FLUSH-1")).epoch == epoch  # type: ignore[union-attr]
        assert (await charger.call("Heartbeat", {}))[0] == 3  # never disconnected


async def test_registry_rebuilt_after_redis_restart(settings: Settings, tmp_path: Path) -> None:
    """A dedicated Redis is killed and restarted empty; gateways re-register live sockets."""
    own = EmbeddedRedis(tmp_path / "redis-own", durable=False)
    settings.redis_url = own.start()
    try:
        async with all_in_one(settings) as running:
            url = f"ws://127.0.0.1:{running.gateway_port}/ocpp"
            presence = PresenceRegistry(running.redis)
            async with raw_charger(url, "RESTART-1", "2.0.1") as charger:
                await eventually(lambda: _owned_by(presence, "RESTART-1", settings.pod_name))
                own.kill()
                await eventually(lambda: _redis_down(running.redis))
                assert (await charger.call("Heartbeat", {}))[0] == 3  # serving without Redis
                own.start()
                await eventually(
                    lambda: _owned_by(presence, "RESTART-1", settings.pod_name), timeout=10, transient=DURING_RESTART
                )
                assert (await charger.call("Heartbeat", {}))[0] == 3
    finally:
        own.stop()


async def _redis_down(redis: Redis) -> bool:
    try:
        await redis.ping()
    except RedisError:
        return True
    return False
