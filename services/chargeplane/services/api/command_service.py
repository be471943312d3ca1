"""Send a command to a charger: one service layer under both the REST and the gRPC API.

Each command is recorded before it is routed and completed with its outcome, whatever
that is: the charger's answer, its CALLERROR, a timeout, or "offline". A version-neutral
command goes to the owning gateway as such (GatewayService.SendCommand): the gateway's
version package translates it, and the record is completed with the OCPP action and
payload actually sent.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import grpc
import orjson
from pydantic import ValidationError

from chargeplane.domain.commands import Command, parse_command
from chargeplane.domain.fields import describe
from chargeplane.pb.gateway.v1 import gateway_pb2 as gateway_pb
from chargeplane.pb.registry.v1 import registry_pb2 as registry_pb
from chargeplane.routing import (
    ChargerBusy,
    ChargerDisconnected,
    ChargerOffline,
    ChargerTimeout,
    CommandRouter,
    InvalidCommand,
    RegistryUnavailable,
    RoutingError,
)

from .command_store import CommandRecord, CommandStore

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 120.0

_STATUS = {
    ChargerOffline: "offline",
    ChargerTimeout: "timeout",
    ChargerBusy: "rejected",
    InvalidCommand: "rejected",
    RegistryUnavailable: "failed",
    ChargerDisconnected: "failed",
}


NotAnswered = gateway_pb.CommandNotAnswered
_NOT_ANSWERED: dict[int, type[RoutingError]] = {
    NotAnswered.REASON_NOT_EXPRESSIBLE: InvalidCommand,
    NotAnswered.REASON_INVALID: InvalidCommand,
    NotAnswered.REASON_BUSY: ChargerBusy,
    NotAnswered.REASON_TIMEOUT: ChargerTimeout,
    NotAnswered.REASON_DISCONNECTED: ChargerDisconnected,
}


def command_from_params(name: str, params: Any) -> Command:
    """A command from JSON parameters (gRPC); UnknownCommand, or ValueError naming the field."""
    try:
        return parse_command(name, params)
    except ValidationError as exc:
        raise ValueError(describe(exc)) from None


class CommandFailed(Exception):
    """The command did not get an answer from the charger; `record` says why."""

    def __init__(self, record: CommandRecord, cause: RoutingError) -> None:
        super().__init__(str(cause))
        self.record = record
        self.cause = cause


class CommandService:
    def __init__(self, store: CommandStore, router: CommandRouter, registry: Any = None, deadline: float = 5.0) -> None:
        self.store = store
        self.router = router
        self.registry = registry  # RegistryServiceStub (grpc.aio): keeps reported configuration
        self.deadline = deadline

    async def protocol_of(self, cp_id: str) -> str:
        """The live connection's protocol (ChargerOffline when not connected)."""
        return (await self.router.owner(cp_id)).protocol

    async def send_command(
        self,
        cp_id: str,
        command: Command,
        *,
        requested_by: str | None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> tuple[CommandRecord, dict[str, Any] | None]:
        """A version-neutral command, translated by the owning gateway for the charger's live
        protocol; returns the record and, when the charger answered, the neutral reading."""
        # Recorded under the command's name while it travels; completed with what was sent.
        begin = asyncio.ensure_future(self.store.begin(cp_id, command.name, command.to_dict(), requested_by))
        try:
            owner, reply = await self.router.send_command(cp_id, command.name, command.to_dict(), timeout)
        except RoutingError as exc:
            record = await self.store.complete(await begin, _STATUS[type(exc)], error_description=str(exc))
            raise CommandFailed(record, exc) from exc
        except BaseException:
            await self.store.complete(await begin, "failed", error_description="internal error while routing")
            raise
        command_id = await begin
        complete = functools.partial(
            self.store.complete,
            command_id,
            gateway=owner.gateway,
            epoch=owner.epoch,
            protocol=reply.protocol,
            action=reply.action or None,
            payload=orjson.loads(reply.request_json) if reply.action else None,
        )
        outcome = reply.WhichOneof("outcome")
        if outcome == "not_answered":
            cause = _NOT_ANSWERED.get(reply.not_answered.reason, RegistryUnavailable)(reply.not_answered.description)
            record = await complete(_STATUS[type(cause)], error_description=str(cause))
            raise CommandFailed(record, cause)
        if outcome == "error":
            record = await complete(
                "call_error",
                message_id=reply.message_id,
                error_code=reply.error.code,
                error_description=reply.error.description,
                error_details=orjson.loads(reply.error.details_json or b"{}"),
            )
            return record, None
        record = await complete(
            "answered", message_id=reply.message_id, result=orjson.loads(reply.result_json or b"{}")
        )
        if reply.reported_variables and self.registry is not None:
            # Configuration read or changed by a command is kept with the device model, the
            # same way for both versions (NotifyReport is stored by the gateway).
            try:
                await self.registry.RecordDeviceVariables(
                    registry_pb.RecordDeviceVariablesRequest(charge_point_id=cp_id, variables=reply.reported_variables),
                    timeout=self.deadline,
                )
            except grpc.aio.AioRpcError as exc:
                log.warning("could not store the configuration %s reported: %s", cp_id, exc.code())
        return record, orjson.loads(reply.outcome_json) if reply.outcome_json else None

    async def send(
        self,
        cp_id: str,
        action: str,
        payload: dict[str, Any],
        *,
        requested_by: str | None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> CommandRecord:
        # The intent is recorded while the command travels (one round trip less on the
        # critical path); the outcome is written only after that record exists.
        begin = asyncio.ensure_future(self.store.begin(cp_id, action, payload, requested_by))
        try:
            routed = await self.router.call(cp_id, action, payload, timeout)
        except RoutingError as exc:
            record = await self.store.complete(await begin, _STATUS[type(exc)], error_description=str(exc))
            raise CommandFailed(record, exc) from exc
        except BaseException:
            await self.store.complete(await begin, "failed", error_description="internal error while routing")
            raise
        command_id = await begin
        owner = routed.owner
        return await self.store.complete(
            command_id,
            "answered" if routed.error_code is None else "call_error",
            gateway=owner.gateway,
            epoch=owner.epoch,
            protocol=routed.protocol,
            message_id=routed.message_id,
            result=routed.result,
            error_code=routed.error_code,
            error_description=routed.error_description,
            error_details=routed.error_details,
        )
