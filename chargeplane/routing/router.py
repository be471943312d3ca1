"""Route a CSMS-initiated CALL to the gateway pod that holds the charger's socket.

The connection registry in Redis names the owner (pod, gRPC address, epoch). The router
calls that pod's GatewayService with the epoch as a fencing token -- `Call` for a raw OCPP
action, `SendCommand` for a version-neutral command that the gateway's version package
translates. A pod that no longer holds the charger answers NOT_FOUND and the router
re-resolves exactly once. A charger nobody holds, or whose pod is unreachable, is offline:
a typed error at once, never a hang. Every gRPC call carries a deadline.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import grpc
import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from chargeplane.pb.gateway.v1 import gateway_pb2 as pb
from chargeplane.pb.gateway.v1.gateway_pb2_grpc import GatewayServiceStub
from chargeplane.routing.errors import (
    ChargerBusy,
    ChargerDisconnected,
    ChargerOffline,
    ChargerTimeout,
    InvalidCommand,
    RegistryUnavailable,
)
from chargeplane.routing.presence import Owner, PresenceRegistry
from chargeplane.telemetry.tracing import traced_channel

if TYPE_CHECKING:  # mypy-protobuf declares the grpc.aio stub type in the .pyi only
    from chargeplane.pb.gateway.v1.gateway_pb2_grpc import GatewayServiceAsyncStub

log = logging.getLogger(__name__)

T = TypeVar("T")

# Time the gateway needs on top of the charger's own timeout (queueing, one hop).
ROUTING_MARGIN = 2.0
MAX_CHANNELS = 256


@dataclass(frozen=True, slots=True)
class Routed:
    owner: Owner
    message_id: str
    protocol: str
    result: dict[str, Any] | None  # the CALLRESULT payload, or None on CALLERROR
    error_code: str | None = None
    error_description: str | None = None
    error_details: dict[str, Any] | None = None


class _Moved(Exception):
    """The addressed pod does not hold the charger (anymore), or is gone."""


class CommandRouter:
    def __init__(self, redis: Redis) -> None:
        self.presence = PresenceRegistry(redis)
        self._stubs: OrderedDict[str, tuple[grpc.aio.Channel, GatewayServiceAsyncStub]] = OrderedDict()
        self._closing: list[grpc.aio.Channel] = []

    async def owner(self, cp_id: str) -> Owner:
        """The gateway holding `cp_id` now (ChargerOffline / RegistryUnavailable otherwise)."""
        try:
            owner = await self.presence.lookup(cp_id)
        except RedisError as exc:
            raise RegistryUnavailable(f"the connection registry is unavailable: {exc}") from exc
        if owner is None or not owner.address:
            raise ChargerOffline(f"{cp_id} is not connected")
        return owner

    async def call(self, cp_id: str, action: str, payload: dict[str, Any], timeout: float) -> Routed:
        """A raw OCPP CALL, in the charger's own protocol version."""
        _, routed = await self._route(cp_id, lambda owner: self._call_owner(owner, cp_id, action, payload, timeout))
        return routed

    async def send_command(
        self, cp_id: str, name: str, arguments: dict[str, Any], timeout: float
    ) -> tuple[Owner, pb.SendCommandResponse]:
        """A version-neutral command; the owning gateway translates it for the charger's version.
        The reply says what was sent and how the charger answered (or why it did not)."""
        request = pb.SendCommandRequest(
            charge_point_id=cp_id,
            command=name,
            arguments_json=orjson.dumps(arguments),
            timeout_seconds=timeout,
        )

        async def send(owner: Owner) -> pb.SendCommandResponse:
            request.epoch = owner.epoch
            try:
                reply: pb.SendCommandResponse = await self._stub(owner.address).SendCommand(
                    request, timeout=timeout + ROUTING_MARGIN
                )
            except grpc.aio.AioRpcError as exc:
                raise _routing_error(exc, cp_id, name, timeout) from None
            return reply

        return await self._route(cp_id, send)

    async def _route(self, cp_id: str, send: Callable[[Owner], Awaitable[T]]) -> tuple[Owner, T]:
        """`send` to the owner, re-resolved exactly once when that pod no longer holds the charger."""
        owner = await self.owner(cp_id)
        try:
            return owner, await send(owner)
        except _Moved:
            pass
        # The pod no longer holds the charger: the registry may already name the new one.
        fresh = await self.owner(cp_id)
        if fresh.epoch == owner.epoch and fresh.address == owner.address:
            raise ChargerOffline(f"{cp_id} is not connected (its gateway {owner.gateway} no longer holds it)")
        try:
            return fresh, await send(fresh)
        except _Moved:
            raise ChargerOffline(f"{cp_id} moved while the command was routed; it is not reachable now") from None

    async def _call_owner(
        self, owner: Owner, cp_id: str, action: str, payload: dict[str, Any], timeout: float
    ) -> Routed:
        request = pb.CallRequest(
            charge_point_id=cp_id,
            epoch=owner.epoch,
            action=action,
            payload_json=orjson.dumps(payload),
            timeout_seconds=timeout,
        )
        try:
            reply = await self._stub(owner.address).Call(request, timeout=timeout + ROUTING_MARGIN)
        except grpc.aio.AioRpcError as exc:
            raise _routing_error(exc, cp_id, action, timeout) from None
        if reply.WhichOneof("outcome") == "error":
            return Routed(
                owner,
                reply.message_id,
                reply.protocol,
                None,
                reply.error.code,
                reply.error.description,
                orjson.loads(reply.error.details_json or b"{}"),
            )
        return Routed(owner, reply.message_id, reply.protocol, orjson.loads(reply.result_json or b"{}"))

    def _stub(self, address: str) -> GatewayServiceAsyncStub:
        entry = self._stubs.get(address)
        if entry is not None:
            self._stubs.move_to_end(address)
            return entry[1]
        channel = traced_channel(address)
        stub = GatewayServiceStub(channel)
        self._stubs[address] = (channel, stub)
        if len(self._stubs) > MAX_CHANNELS:  # pods come and go: keep the cache bounded
            _, (old, _) = self._stubs.popitem(last=False)
            self._closing.append(old)
        return stub

    async def close(self) -> None:
        for channel, _ in self._stubs.values():
            await channel.close()
        for channel in self._closing:
            await channel.close()
        self._stubs.clear()
        self._closing.clear()


# The gateway's answer when it did not deliver a CALLRESULT/CALLERROR (rpc_service.py).
_NOT_HELD = (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNAVAILABLE)  # moved, or a dead pod not yet lapsed


def _routing_error(exc: grpc.aio.AioRpcError, cp_id: str, action: str, timeout: float) -> Exception:
    """The typed outcome for a gateway's gRPC status (the RpcError itself if unexpected)."""
    code, detail = exc.code(), exc.details() or ""
    if code in _NOT_HELD:
        return _Moved()
    if code == grpc.StatusCode.ABORTED:
        return ChargerDisconnected(
            f"{cp_id} disconnected after receiving {action} and before answering; it was not resent"
        )
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return ChargerTimeout(f"{cp_id} did not answer {action} within {timeout:g}s")
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return ChargerBusy(detail)
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidCommand(detail)
    return exc
