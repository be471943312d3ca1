"""The operator API over gRPC (chargeplane.api.v1.OperatorService).

A thin adapter over the same service layer as the REST API: the same scopes, the same
command records, the same registry calls. Errors map to gRPC status codes the way REST
maps them to HTTP statuses (offline: FAILED_PRECONDITION, like REST's 409).
"""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import orjson

from chargeplane.domain.commands import UnknownCommand
from chargeplane.pb.api.v1 import api_pb2 as pb
from chargeplane.pb.api.v1.api_pb2_grpc import OperatorServiceServicer, add_OperatorServiceServicer_to_server
from chargeplane.pb.registry.v1 import registry_pb2 as registry_pb
from chargeplane.routing import (
    ChargerBusy,
    ChargerDisconnected,
    ChargerOffline,
    ChargerTimeout,
    InvalidCommand,
    RegistryUnavailable,
)
from chargeplane.rpc.timestamps import to_timestamp

from ..api_tokens import Principal, TokenVerifier
from ..command_service import MAX_TIMEOUT, CommandFailed, CommandService, command_from_params
from ..command_store import CommandRecord

Context = grpc.aio.ServicerContext[Any, Any]
SERVICE_NAME = "chargeplane.api.v1.OperatorService"

_FAILURE_CODE = {
    ChargerOffline: grpc.StatusCode.FAILED_PRECONDITION,
    ChargerTimeout: grpc.StatusCode.DEADLINE_EXCEEDED,
    ChargerBusy: grpc.StatusCode.RESOURCE_EXHAUSTED,
    InvalidCommand: grpc.StatusCode.INVALID_ARGUMENT,
    RegistryUnavailable: grpc.StatusCode.UNAVAILABLE,
    ChargerDisconnected: grpc.StatusCode.ABORTED,
}


def command_message(record: CommandRecord, outcome: dict[str, Any] | None = None) -> pb.Command:
    message = pb.Command(
        id=str(record.id),
        charge_point_id=record.charge_point_id,
        action=record.action,
        payload_json=orjson.dumps(record.payload),
        requested_by=record.requested_by or "",
        status=record.status,
        protocol=record.protocol or "",
        gateway=record.gateway or "",
        epoch=record.epoch or 0,
        message_id=record.message_id or "",
        result_json=b"" if record.result is None else orjson.dumps(record.result),
        error_code=record.error_code or "",
        error_description=record.error_description or "",
        error_details_json=b"" if record.error_details is None else orjson.dumps(record.error_details),
        created_at=to_timestamp(record.created_at),
        completed_at=to_timestamp(record.completed_at),
    )
    if outcome is not None:
        message.outcome_json = orjson.dumps(outcome)
    return message


def _timeout(seconds: float) -> float:
    return seconds if 0 < seconds <= MAX_TIMEOUT else 30.0


class OperatorServicer(OperatorServiceServicer):
    def __init__(self, registry: Any, commands: CommandService, verifier: TokenVerifier, deadline: float) -> None:
        self.registry = registry
        self.commands = commands
        self.verifier = verifier
        self.deadline = deadline

    async def _authorize(self, context: Context, scope: str) -> Principal:
        metadata = dict(context.invocation_metadata() or ())
        scheme, _, token = str(metadata.get("authorization", "")).partition(" ")
        principal = await self.verifier.verify(token) if scheme.lower() == "bearer" else None
        if principal is None:
            await context.abort(
                grpc.StatusCode.UNAUTHENTICATED, "a valid bearer token is required (metadata authorization)"
            )
        assert principal is not None
        if scope not in principal.scopes:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, f"the token lacks the {scope!r} scope")
        return principal

    async def _registry_call(self, context: Context, method: str, request: Any) -> Any:
        try:
            return await getattr(self.registry, method)(request, timeout=self.deadline)
        except grpc.aio.AioRpcError as exc:
            await context.abort(exc.code(), exc.details() or "registry error")

    async def _fail(self, context: Context, exc: CommandFailed) -> None:
        code = _FAILURE_CODE.get(type(exc.cause), grpc.StatusCode.INTERNAL)
        await context.abort(code, f"{exc.cause} (command {exc.record.id})")

    async def ListChargePoints(
        self, request: pb.ListChargePointsRequest, context: Context
    ) -> pb.ListChargePointsResponse:
        await self._authorize(context, "read")
        reply = await self._registry_call(
            context,
            "ListChargePoints",
            registry_pb.ListChargePointsRequest(
                page_size=request.page_size, page_token=request.page_token, site=request.site
            ),
        )
        return pb.ListChargePointsResponse(charge_points=reply.charge_points, next_page_token=reply.next_page_token)

    async def GetChargePoint(self, request: pb.GetChargePointRequest, context: Context) -> pb.GetChargePointResponse:
        await self._authorize(context, "read")
        reply = await self._registry_call(
            context, "GetChargePoint", registry_pb.GetChargePointRequest(charge_point_id=request.charge_point_id)
        )
        return pb.GetChargePointResponse(charge_point=reply.charge_point)

    async def RegisterChargePoint(
        self, request: pb.RegisterChargePointRequest, context: Context
    ) -> pb.RegisterChargePointResponse:
        await self._authorize(context, "admin")
        reply = await self._registry_call(
            context,
            "UpsertChargePoint",
            registry_pb.UpsertChargePointRequest(
                charge_point_id=request.charge_point_id, site=request.site, allowed_protocols=request.allowed_protocols
            ),
        )
        return pb.RegisterChargePointResponse(charge_point=reply.charge_point, created=reply.created)

    async def DeregisterChargePoint(
        self, request: pb.DeregisterChargePointRequest, context: Context
    ) -> pb.DeregisterChargePointResponse:
        await self._authorize(context, "admin")
        reply = await self._registry_call(
            context, "DeleteChargePoint", registry_pb.DeleteChargePointRequest(charge_point_id=request.charge_point_id)
        )
        return pb.DeregisterChargePointResponse(deleted=reply.deleted)

    async def SendCommand(self, request: pb.SendCommandRequest, context: Context) -> pb.SendCommandResponse:
        principal = await self._authorize(context, "operate")
        try:
            params = orjson.loads(request.params_json or b"{}")
        except orjson.JSONDecodeError:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "params_json is not valid JSON")
        try:
            command = command_from_params(request.command, params)
        except UnknownCommand as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc.args[0]))
        except ValueError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        try:
            record, outcome = await self.commands.send_command(
                request.charge_point_id,
                command,
                requested_by=principal.name,
                timeout=_timeout(request.timeout_seconds),
            )
        except CommandFailed as exc:
            await self._fail(context, exc)
            raise
        return pb.SendCommandResponse(command=command_message(record, outcome))

    async def SendOcppCall(self, request: pb.SendOcppCallRequest, context: Context) -> pb.SendOcppCallResponse:
        principal = await self._authorize(context, "operate")
        try:
            payload = orjson.loads(request.payload_json or b"{}")
        except orjson.JSONDecodeError:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "payload_json is not valid JSON")
        if not isinstance(payload, dict):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "payload_json must be a JSON object")
        try:
            record = await self.commands.send(
                request.charge_point_id,
                request.action,
                payload,
                requested_by=principal.name,
                timeout=_timeout(request.timeout_seconds),
            )
        except CommandFailed as exc:
            await self._fail(context, exc)
            raise
        return pb.SendOcppCallResponse(command=command_message(record))

    async def GetCommand(self, request: pb.GetCommandRequest, context: Context) -> pb.GetCommandResponse:
        await self._authorize(context, "read")
        try:
            command_id = uuid.UUID(request.id)
        except ValueError:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "id must be a UUID")
        record = await self.commands.store.get(command_id)
        if record is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no command {request.id}")
        assert record is not None
        return pb.GetCommandResponse(command=command_message(record))

    async def ListCommands(self, request: pb.ListCommandsRequest, context: Context) -> pb.ListCommandsResponse:
        await self._authorize(context, "read")
        limit = request.page_size if 0 < request.page_size <= 1000 else 100
        try:
            records, cursor = await self.commands.store.list(
                request.charge_point_id or None, limit, request.page_token or None
            )
        except ValueError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return pb.ListCommandsResponse(commands=[command_message(r) for r in records], next_page_token=cursor or "")


def add_to_server(server: grpc.aio.Server, servicer: OperatorServicer) -> None:
    add_OperatorServiceServicer_to_server(servicer, server)
