"""The OCPP WebSocket server of one gateway pod.

Lifecycle of a connection: the path names the charger (refused with an HTTP error before
the upgrade when it is bad); the subprotocol is negotiated (2.0.1 preferred); the pod then
claims the charger in the Redis connection registry with a new epoch (a newer connection
wins; the older socket is closed wherever it lives); the RPC session runs; on close the
registry entry is released if it still carries this connection's epoch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from http import HTTPStatus
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.asyncio import Redis
from redis.exceptions import RedisError
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from chargeplane.config import Settings
from chargeplane.domain.chargepoints import Protocol
from chargeplane.gateway import metrics
from chargeplane.gateway.connection import OcppConnection
from chargeplane.gateway.dependencies import Dependencies, dependencies
from chargeplane.gateway.identity import BadPath, Identity, parse_path
from chargeplane.gateway.ports import Registry
from chargeplane.gateway.validation import warm_up
from chargeplane.gateway.versions import build_dispatchers
from chargeplane.routing.presence import Lease, PresenceRegistry, evict_channel
from chargeplane.tasks import spawn

log = logging.getLogger(__name__)

# Server preference: 2.0.1 over 1.6 whatever order the charger lists them in.
SUBPROTOCOLS = [Subprotocol(Protocol.OCPP201.value), Subprotocol(Protocol.OCPP16.value)]
CLOSE_SUPERSEDED = 1000
CLOSE_NO_SUBPROTOCOL = 1002
HOT_ACTIONS = ["BootNotification", "Heartbeat", "StatusNotification", "MeterValues", "TransactionEvent"]


def _select_subprotocol(connection: ServerConnection, offered: Any) -> Subprotocol | None:
    for candidate in SUBPROTOCOLS:
        if candidate in offered:
            return candidate
    # No common subprotocol: complete the handshake without the header, then close
    # (OCPP-J 2.0.1 Part 4 §3.2) -- see GatewayServer._handle.
    return None


class GatewayServer:
    """`registry` records last-seen times; `deps` are the handlers' services (by default:
    the registry only, so no authorization, transaction or meter-value block)."""

    def __init__(self, settings: Settings, registry: Registry, redis: Redis, deps: Dependencies | None = None) -> None:
        self.settings = settings
        self.registry = registry
        self.deps = deps if deps is not None else dependencies(registry)
        self.presence = PresenceRegistry(
            redis, pod=settings.pod_name, address=settings.gateway_grpc_address, ttl=settings.presence_ttl
        )
        self.redis = redis
        self.connections: dict[str, OcppConnection] = {}
        self.leases: dict[str, Lease] = {}
        self._dispatchers = build_dispatchers(self.deps)
        self._server: Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._draining = False

    # ------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        for protocol in Protocol:
            warm_up(protocol, HOT_ACTIONS)
        s = self.settings
        extensions = (
            [
                ServerPerMessageDeflateFactory(
                    server_max_window_bits=s.compression_window_bits,
                    client_max_window_bits=s.compression_window_bits,
                    compress_settings={"memLevel": s.compression_mem_level},
                )
            ]
            if s.compression
            else None
        )
        self._server = await serve(
            self._handle,
            s.gateway_host,
            s.gateway_port,
            subprotocols=SUBPROTOCOLS,
            select_subprotocol=_select_subprotocol,
            process_request=self._process_request,
            extensions=extensions,
            compression=None,
            ping_interval=s.ping_interval,
            ping_timeout=s.ping_timeout,
            max_size=s.max_frame_bytes,
            open_timeout=s.open_timeout,
            server_header="chargeplane",
        )
        self._tasks = [
            asyncio.create_task(self._refresh_forever()),
            asyncio.create_task(self._listen_evictions()),
        ]

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Drain: stop accepting, close every socket with 1001 so chargers reconnect
        elsewhere, and release their registry entries."""
        self._draining = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            self._server.close(close_connections=True)
            await self._server.wait_closed()
        await self.deps.after_boot.stop()

    # ------------------------------------------------------------- handshake
    async def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        probe = self._probe(connection, request.path.split("?", 1)[0])
        if probe is not None:
            return probe
        try:
            identity = parse_path(request.path)
        except (BadPath, UnicodeDecodeError) as exc:
            metrics.REFUSED.labels("bad_identity").inc()
            return connection.respond(HTTPStatus.BAD_REQUEST, f"{exc}\n")
        if identity is None:
            metrics.REFUSED.labels("not_found").inc()
            return connection.respond(HTTPStatus.NOT_FOUND, "OCPP endpoint is /ocpp/<chargePointId>\n")
        if self._draining:
            metrics.REFUSED.labels("draining").inc()
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "gateway is draining\n")
        connection.cp_identity = identity  # type: ignore[attr-defined]
        return None

    def _probe(self, connection: ServerConnection, path: str) -> Response | None:
        """/healthz, /readyz and /metrics share the OCPP port (one port per gateway pod)."""
        if path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")
        if path == "/readyz":
            if self._draining:
                return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "draining\n")
            return connection.respond(HTTPStatus.OK, "ready\n")
        if path == "/metrics":
            return Response(200, "OK", Headers([("Content-Type", CONTENT_TYPE_LATEST)]), generate_latest())
        return None

    # ------------------------------------------------------------- session
    async def _handle(self, ws: ServerConnection) -> None:
        identity: Identity = ws.cp_identity  # type: ignore[attr-defined]
        if ws.subprotocol is None:
            metrics.REFUSED.labels("subprotocol").inc()
            log.warning("refusing %s: no common OCPP subprotocol", identity.cp_id)
            await ws.close(CLOSE_NO_SUBPROTOCOL, "no supported subprotocol: offer ocpp2.0.1 or ocpp1.6")
            return
        dispatcher = self._dispatchers[ws.subprotocol]
        conn = OcppConnection(
            ws,
            cp_id=identity.cp_id,
            site=identity.site,
            dispatcher=dispatcher,
            call_queue_limit=self.settings.call_queue_limit,
            call_timeout=self.settings.call_timeout,
            on_activity=self.registry.touch,
        )
        cp_id = identity.cp_id
        previous = self.connections.get(cp_id)
        self.connections[cp_id] = conn
        if previous is not None:
            self._supersede(previous, "a newer connection on this gateway")
        await self._claim(conn)
        gauge = metrics.CONNECTIONS.labels(dispatcher.protocol.value)
        gauge.inc()
        metrics.CONNECTS.labels(dispatcher.protocol.value).inc()
        log.info("connected", extra={"cp_id": cp_id, "protocol": ws.subprotocol, "epoch": conn.epoch})
        try:
            await conn.run()
        finally:
            gauge.dec()
            if self.connections.get(cp_id) is conn:
                del self.connections[cp_id]
                lease = self.leases.pop(cp_id, None)
                if lease is not None:
                    await self._release(lease)
            log.info("disconnected", extra={"cp_id": cp_id, "code": ws.close_code})

    def _supersede(self, old: OcppConnection, why: str) -> None:
        metrics.TAKEOVERS.inc()
        log.warning("closing superseded connection: %s", why, extra={"cp_id": old.cp_id, "epoch": old.epoch})
        spawn(old.ws.close(CLOSE_SUPERSEDED, "superseded by a newer connection"))

    async def _claim(self, conn: OcppConnection) -> None:
        try:
            lease, claim = await self.presence.claim(conn.cp_id, conn.protocol.value)
        except RedisError as exc:
            # The registry is soft state: serve the charger and claim on the next refresh.
            log.warning("could not register connection in Redis: %s", exc, extra={"cp_id": conn.cp_id})
            return
        if self.connections.get(conn.cp_id) is not conn:
            await self._release(lease)  # superseded while we were claiming
            return
        conn.epoch = lease.epoch
        self.leases[conn.cp_id] = lease
        if claim.previous_gateway and claim.previous_gateway != self.settings.pod_name:
            log.warning(
                "took over from gateway %s",
                claim.previous_gateway,
                extra={"cp_id": conn.cp_id, "epoch": lease.epoch, "previous_epoch": claim.previous_epoch},
            )

    async def _release(self, lease: Lease) -> None:
        try:
            await self.presence.release(lease)
        except RedisError as exc:
            log.warning("could not release registry entry (it will expire): %s", exc)

    # ------------------------------------------------------------- registry upkeep
    async def refresh_once(self) -> None:
        leases = [self.leases[cp] for cp in self.connections if cp in self.leases]
        results = await self.presence.refresh(leases)
        for lease, result in zip(leases, results, strict=True):
            conn = self.connections.get(lease.cp_id)
            if conn is None:
                continue
            if result == 0:
                # Forget it now, not when its socket has closed: a connection without a
                # lease would otherwise be re-claimed below and steal the charger back.
                self.connections.pop(lease.cp_id, None)
                self.leases.pop(lease.cp_id, None)
                self._supersede(conn, "the registry names a newer connection")
            elif result == 2:
                log.info("re-registered after the registry lost it", extra={"cp_id": lease.cp_id})
        for conn in [c for cp, c in self.connections.items() if cp not in self.leases]:
            await self._claim(conn)

    async def _refresh_forever(self) -> None:
        interval = self.settings.presence_ttl / 3
        while True:
            await asyncio.sleep(interval)
            started = time.perf_counter()
            try:
                await self.refresh_once()
            except RedisError as exc:
                log.warning("registry refresh failed: %s", exc)
            else:
                log.debug("refreshed %d leases in %.3fs", len(self.leases), time.perf_counter() - started)

    async def _listen_evictions(self) -> None:
        channel = evict_channel(self.settings.pod_name)
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(channel)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._on_eviction(message["data"])
            except RedisError as exc:
                log.warning("eviction listener lost Redis (%s); retrying", exc)
                await asyncio.sleep(1.0)

    def _on_eviction(self, data: bytes) -> None:
        epoch_text, _, cp_id = data.decode().partition(" ")
        conn = self.connections.get(cp_id)
        if conn is not None and epoch_text.isdigit() and conn.epoch == int(epoch_text):
            self.connections.pop(cp_id, None)
            self.leases.pop(cp_id, None)
            self._supersede(conn, "a newer connection on another gateway")
