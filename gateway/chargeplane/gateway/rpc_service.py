"""gRPC GatewayService: send a CSMS-initiated CALL to a charger this pod holds.

Any API replica resolves the owning pod in the connection registry and calls it here;
the epoch it resolved fences against a connection that has moved since (NOT_FOUND: the
caller re-resolves once).
"""

from __future__ import annotations

import logging
from typing import Any

import grpc
import orjson

from chargeplane.gateway.connection import (
    CallErrorReply,
    ChargerBusy,
    ChargerTimeout,
    ConnectionGone,
    InvalidCall,
)
from chargeplane.gateway.server import GatewayServer
from chargeplane.pb.gateway.v1 import gateway_pb2 as pb
from chargeplane.pb.gateway.v1.gateway_pb2_grpc import GatewayServiceServicer, add_GatewayServiceServicer_to_server

log = logging.getLogger(__name__)
Context = grpc.aio.ServicerContext[Any, Any]
MAX_TIMEOUT = 300.0
SERVICE_NAME = "chargeplane.gateway.v1.GatewayService"


class GatewayServicer(GatewayServiceServicer):
    def __init__(self, gateway: GatewayServer) -> None:
        self.gateway = gateway

    async def Call(self, request: pb.CallRequest, context: Context) -> pb.CallResponse:
        conn = self.gateway.connections.get(request.charge_point_id)
        if conn is None or (request.epoch and request.epoch != conn.epoch):
            await context.abort(
                grpc.StatusCode.NOT_FOUND, f"{request.charge_point_id} is not connected to this gateway"
            )
        assert conn is not None
        try:
            payload = orjson.loads(request.payload_json or b"{}")
        except orjson.JSONDecodeError:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "payload_json is not valid JSON")
        if not isinstance(payload, dict):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "payload_json must be a JSON object")
        timeout = request.timeout_seconds if 0 < request.timeout_seconds <= MAX_TIMEOUT else None
        try:
            outcome = await conn.call(request.action, payload, timeout)
        except InvalidCall as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except ChargerBusy as exc:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
        except ConnectionGone as exc:
            # Not sent: safe for the caller to re-resolve and retry. Sent: the charger may
            # have acted on it; retrying could run it twice, so the caller must not.
            code = grpc.StatusCode.ABORTED if exc.sent else grpc.StatusCode.NOT_FOUND
            await context.abort(code, str(exc))
        except ChargerTimeout as exc:
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, str(exc))
        reply = pb.CallResponse(message_id=outcome.message_id, protocol=conn.protocol.value)
        if isinstance(outcome, CallErrorReply):
            reply.error.CopyFrom(
                pb.CallError(
                    code=outcome.code, description=outcome.description, details_json=orjson.dumps(outcome.details)
                )
            )
        else:
            reply.result_json = orjson.dumps(outcome.payload)
        return reply

    async def Disconnect(self, request: pb.DisconnectRequest, context: Context) -> pb.DisconnectResponse:
        conn = self.gateway.connections.get(request.charge_point_id)
        if conn is None or (request.epoch and request.epoch != conn.epoch):
            return pb.DisconnectResponse(disconnected=False)
        log.info("disconnecting on request: %s", request.reason or "no reason given", extra={"cp_id": conn.cp_id})
        await conn.ws.close(1000, (request.reason or "disconnected by the CSMS")[:120])
        return pb.DisconnectResponse(disconnected=True)


def add_to_server(server: grpc.aio.Server, gateway: GatewayServer) -> None:
    add_GatewayServiceServicer_to_server(GatewayServicer(gateway), server)
