"""gRPC GatewayService: CSMS-initiated messages to a charger this pod holds.

Any API replica (or service) resolves the owning pod in the connection registry and calls
it here; the epoch it resolved fences against a connection that has moved since
(NOT_FOUND: the caller re-resolves once). `Call` sends a raw OCPP CALL; `SendCommand` a
version-neutral command, translated here by the charger's version package.
"""

from __future__ import annotations

import logging
from typing import Any

import grpc
import orjson
from pydantic import ValidationError

from chargeplane.domain.commands import Command, UnknownCommand, UnsupportedCommand, parse_command
from chargeplane.domain.fields import describe
from chargeplane.gateway import command_sender
from chargeplane.gateway.connection import (
    CallErrorReply,
    ChargerBusy,
    ChargerTimeout,
    ConnectionGone,
    InvalidCall,
    OcppConnection,
)
from chargeplane.gateway.server import GatewayServer
from chargeplane.pb.gateway.v1 import gateway_pb2 as pb
from chargeplane.pb.gateway.v1.gateway_pb2_grpc import GatewayServiceServicer, add_GatewayServiceServicer_to_server
from chargeplane.registry_messages import device_variables

log = logging.getLogger(__name__)
Context = grpc.aio.ServicerContext[Any, Any]
MAX_TIMEOUT = 300.0
SERVICE_NAME = "chargeplane.gateway.v1.GatewayService"
NotAnswered = pb.CommandNotAnswered


def _timeout(seconds: float) -> float | None:
    return seconds if 0 < seconds <= MAX_TIMEOUT else None


class GatewayServicer(GatewayServiceServicer):
    def __init__(self, gateway: GatewayServer) -> None:
        self.gateway = gateway

    async def _held(self, cp_id: str, epoch: int, context: Context) -> OcppConnection:
        conn = self.gateway.connections.get(cp_id)
        if conn is None or (epoch and epoch != conn.epoch):
            await context.abort(grpc.StatusCode.NOT_FOUND, f"{cp_id} is not connected to this gateway")
        assert conn is not None
        return conn

    async def Call(self, request: pb.CallRequest, context: Context) -> pb.CallResponse:
        conn = await self._held(request.charge_point_id, request.epoch, context)
        try:
            payload = orjson.loads(request.payload_json or b"{}")
        except orjson.JSONDecodeError:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "payload_json is not valid JSON")
        if not isinstance(payload, dict):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "payload_json must be a JSON object")
        try:
            outcome = await conn.call(request.action, payload, _timeout(request.timeout_seconds))
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

    async def SendCommand(self, request: pb.SendCommandRequest, context: Context) -> pb.SendCommandResponse:
        conn = await self._held(request.charge_point_id, request.epoch, context)
        command = await _parse_command(request, context)
        reply = pb.SendCommandResponse(protocol=conn.protocol.value)
        try:
            prepared = command_sender.prepare(conn.protocol, command)
        except UnsupportedCommand as exc:
            return _not_answered(reply, NotAnswered.REASON_NOT_EXPRESSIBLE, exc)
        reply.action, reply.request_json = prepared.action, orjson.dumps(prepared.payload)
        try:
            answered = await command_sender.send(conn, prepared, _timeout(request.timeout_seconds))
        except ConnectionGone as exc:
            if not exc.sent:  # nothing went out: the caller may re-resolve and retry
                await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
            return _not_answered(reply, NotAnswered.REASON_DISCONNECTED, exc)
        except (InvalidCall, ChargerBusy, ChargerTimeout) as exc:
            return _not_answered(reply, _NOT_SENT_REASON[type(exc)], exc)
        answer = answered.reply
        reply.message_id = answer.message_id
        if isinstance(answer, CallErrorReply):
            reply.error.CopyFrom(
                pb.CallError(
                    code=answer.code, description=answer.description, details_json=orjson.dumps(answer.details)
                )
            )
            return reply
        reply.result_json = orjson.dumps(answer.payload)
        if answered.result is not None:
            reply.outcome_json = orjson.dumps(answered.result.to_dict())
        reply.reported_variables.extend(device_variables(answered.reported))
        return reply

    async def Disconnect(self, request: pb.DisconnectRequest, context: Context) -> pb.DisconnectResponse:
        conn = self.gateway.connections.get(request.charge_point_id)
        if conn is None or (request.epoch and request.epoch != conn.epoch):
            return pb.DisconnectResponse(disconnected=False)
        log.info("disconnecting on request: %s", request.reason or "no reason given", extra={"cp_id": conn.cp_id})
        await conn.ws.close(1000, (request.reason or "disconnected by the CSMS")[:120])
        return pb.DisconnectResponse(disconnected=True)


async def _parse_command(request: pb.SendCommandRequest, context: Context) -> Command:
    """The neutral command the caller sent; INVALID_ARGUMENT (naming the field) otherwise."""
    try:
        return parse_command(request.command, orjson.loads(request.arguments_json or b"{}"))
    except orjson.JSONDecodeError:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "arguments_json is not valid JSON")
    except UnknownCommand as exc:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc.args[0]))
    except ValidationError as exc:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, describe(exc))


# Why a command was not answered, when the connection refused to send it or got no answer.
_NOT_SENT_REASON: dict[type[Exception], pb.CommandNotAnswered.Reason.ValueType] = {
    InvalidCall: NotAnswered.REASON_INVALID,
    ChargerBusy: NotAnswered.REASON_BUSY,
    ChargerTimeout: NotAnswered.REASON_TIMEOUT,
}


def _not_answered(
    reply: pb.SendCommandResponse, reason: pb.CommandNotAnswered.Reason.ValueType, exc: Exception
) -> pb.SendCommandResponse:
    reply.not_answered.CopyFrom(NotAnswered(reason=reason, description=str(exc)))
    return reply


def add_to_server(server: grpc.aio.Server, gateway: GatewayServer) -> None:
    add_GatewayServiceServicer_to_server(GatewayServicer(gateway), server)
