"""/v1/.../commands and /v1/.../ocpp/{action}: CSMS-initiated messages to any charger."""

from __future__ import annotations

import inspect
import uuid
from datetime import datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from chargeplane.domain.commands import COMMANDS
from chargeplane.domain.commands import Command as NeutralCommand
from chargeplane.routing import (
    ChargerBusy,
    ChargerDisconnected,
    ChargerOffline,
    ChargerTimeout,
    InvalidCommand,
    RegistryUnavailable,
)

from ..api_tokens import Principal
from ..command_service import MAX_TIMEOUT, CommandFailed, CommandService
from ..command_store import CommandRecord
from .problems import Problem, ProblemError
from .security import require

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing or invalid bearer token."},
    403: {"model": Problem, "description": "The token lacks the required scope."},
    409: {"model": Problem, "description": "The charger is not connected (`command_id` names the record)."},
    422: {"model": Problem, "description": "The command is not valid for the charger's protocol version."},
    429: {"model": Problem, "description": "Too many commands are queued for this charger."},
    502: {"model": Problem, "description": "The charger disconnected after receiving the command (not resent)."},
    503: {"model": Problem, "description": "The connection registry is unavailable."},
    504: {"model": Problem, "description": "The charger did not answer in time."},
}

router = APIRouter(prefix="/v1", tags=["commands"], responses=_ERRORS)
Operator = Annotated[Principal, Depends(require("operate"))]
Reader = Annotated[Principal, Depends(require("read"))]
ChargePointId = Annotated[str, Path(min_length=1, max_length=48)]
Timeout = Annotated[float, Query(gt=0, le=MAX_TIMEOUT, description="Seconds to wait for the charger.")]


class Command(BaseModel):
    """One CSMS-initiated message and its outcome (the audit record)."""

    id: uuid.UUID
    charge_point_id: str
    action: str = Field(description="The OCPP action sent.")
    payload: dict[str, Any]
    requested_by: str | None = Field(description="Name of the API token that asked.")
    status: str = Field(description="answered, call_error, timeout, offline, rejected, failed or pending.")
    protocol: str | None
    gateway: str | None = Field(description="The gateway pod that held the charger.")
    epoch: int | None
    message_id: str | None
    result: dict[str, Any] | None = Field(description="The charger's CALLRESULT payload.")
    error_code: str | None = Field(description="The charger's CALLERROR code, when it sent one.")
    error_description: str | None
    error_details: dict[str, Any] | None
    created_at: datetime
    completed_at: datetime | None
    duration_ms: float | None


class CommandPage(BaseModel):
    items: list[Command]
    next_cursor: str | None


def command_model(record: CommandRecord) -> Command:
    return Command(
        id=record.id,
        charge_point_id=record.charge_point_id,
        action=record.action,
        payload=record.payload,
        requested_by=record.requested_by,
        status=record.status,
        protocol=record.protocol,
        gateway=record.gateway,
        epoch=record.epoch,
        message_id=record.message_id,
        result=record.result,
        error_code=record.error_code,
        error_description=record.error_description,
        error_details=record.error_details,
        created_at=record.created_at,
        completed_at=record.completed_at,
        duration_ms=record.duration_ms,
    )


_FAILURE_STATUS = {
    ChargerOffline: 409,
    ChargerTimeout: 504,
    ChargerBusy: 429,
    InvalidCommand: 422,
    RegistryUnavailable: 503,
    ChargerDisconnected: 502,
}


def failure_problem(exc: CommandFailed) -> ProblemError:
    status = _FAILURE_STATUS.get(type(exc.cause), 500)
    headers = {"Retry-After": "1"} if status in (429, 503) else None
    return ProblemError(status, str(exc.cause), headers=headers, command_id=str(exc.record.id))


def service(request: Request) -> CommandService:
    commands: CommandService | None = request.app.state.commands
    if commands is None:
        raise ProblemError(503, "this API process has no route to the gateways (no Redis configured)")
    return commands


async def send(
    request: Request, principal: Principal, cp_id: str, action: str, payload: dict[str, Any], timeout: float
) -> Command:
    try:
        record = await service(request).send(cp_id, action, payload, requested_by=principal.name, timeout=timeout)
    except CommandFailed as exc:
        raise failure_problem(exc) from None
    return command_model(record)


class CommandOutcome(Command):
    """The audit record plus the version-neutral interpretation of the charger's answer."""

    outcome: dict[str, Any] | None = Field(
        description="`status` (the charger's status word) and `details`, the same for both OCPP versions."
    )


async def send_command(
    request: Request, principal: Principal, cp_id: str, command: NeutralCommand, timeout: float
) -> CommandOutcome:
    try:
        record, outcome = await service(request).send_command(
            cp_id, command, requested_by=principal.name, timeout=timeout
        )
    except CommandFailed as exc:
        raise failure_problem(exc) from None
    return CommandOutcome(**command_model(record).model_dump(), outcome=outcome)


def _command_route(name: str, model: type[NeutralCommand]) -> None:
    """POST .../commands/<name> with the command's model as the request body (documented in
    the OpenAPI schema; a bad body is a 422 naming the field)."""
    required = any(f.is_required() for f in model.model_fields.values())

    async def endpoint(
        request: Request,
        principal: Principal,
        charge_point_id: str,
        params: NeutralCommand | None = None,
        timeout: float = 30.0,
    ) -> CommandOutcome:
        return await send_command(request, principal, charge_point_id, params or model(), timeout)

    body = cast(Any, Annotated)[model if required else model | None, Body(description=f"The {name} parameters.")]
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
            inspect.Parameter("principal", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Operator),
            inspect.Parameter("charge_point_id", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=ChargePointId),
            inspect.Parameter(
                "params",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=body,
                default=inspect.Parameter.empty if required else None,
            ),
            inspect.Parameter("timeout", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Timeout, default=30.0),
        ],
        return_annotation=CommandOutcome,
    )
    router.add_api_route(
        f"/chargepoints/{{charge_point_id}}/commands/{name}",
        endpoint,
        methods=["POST"],
        response_model=CommandOutcome,
        name=f"command_{name.replace('-', '_')}",
        summary=f"{name}: a version-neutral command, translated for the charger's OCPP version",
        description=inspect.cleandoc(model.__doc__ or ""),
    )


for _name, _model in COMMANDS.items():
    _command_route(_name, _model)


@router.post(
    "/chargepoints/{charge_point_id}/commands/{command}",
    response_model=CommandOutcome,
    summary="Any other command name: 404",
    responses={404: {"model": Problem, "description": "No such command."}},
    include_in_schema=False,
)
async def unknown_command(
    principal: Operator,
    charge_point_id: ChargePointId,
    command: Annotated[str, Path(max_length=64)],
) -> CommandOutcome:
    raise ProblemError(404, f"unknown command {command!r}; known: {', '.join(sorted(COMMANDS))}")


@router.post(
    "/chargepoints/{charge_point_id}/ocpp/{action}",
    response_model=Command,
    summary="Send any OCPP CALL to a charger (raw passthrough, validated against its protocol's schema)",
)
async def raw_call(
    request: Request,
    principal: Operator,
    charge_point_id: ChargePointId,
    action: Annotated[str, Path(pattern=r"^[A-Za-z0-9]{1,64}$")],
    payload: Annotated[dict[str, Any], Body(description="The CALL payload.")],
    timeout: Timeout = 30.0,
) -> Command:
    return await send(request, principal, charge_point_id, action, payload, timeout)


@router.get("/commands/{command_id}", response_model=Command, summary="One command and its outcome")
async def get_command(request: Request, _: Reader, command_id: uuid.UUID) -> Command:
    record = await service(request).store.get(command_id)
    if record is None:
        raise ProblemError(404, f"no command {command_id}")
    return command_model(record)


@router.get("/commands", response_model=CommandPage, summary="Commands, newest first")
async def list_commands(
    request: Request,
    _: Reader,
    charge_point_id: Annotated[str | None, Query(min_length=1, max_length=48)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> CommandPage:
    try:
        records, next_cursor = await service(request).store.list(charge_point_id, limit, cursor)
    except ValueError as exc:
        raise ProblemError(400, str(exc)) from None
    return CommandPage(items=[command_model(r) for r in records], next_cursor=next_cursor)
