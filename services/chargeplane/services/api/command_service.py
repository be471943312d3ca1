"""Send a command to a charger: one service layer under both the REST and the gRPC API.

Each command is recorded before it is routed and completed with its outcome, whatever
that is: the charger's answer, its CALLERROR, a timeout, or "offline".
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import grpc

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.commands import COMMANDS, UnsupportedCommand, from_ocpp, reported_variables, to_ocpp
from chargeplane.pb.registry.v1 import registry_pb2 as registry_pb
from chargeplane.registry_messages import device_variables
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


class UnknownCommand(LookupError):
    """No command of that name."""


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
        name: str,
        params: Any,
        *,
        requested_by: str | None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> tuple[CommandRecord, dict[str, Any] | None]:
        """A version-neutral command, translated for the charger's live protocol; returns
        the record and, when the charger answered, the neutral interpretation."""
        command_type = COMMANDS.get(name)
        if command_type is None:
            raise UnknownCommand(f"unknown command {name!r}; known: {', '.join(sorted(COMMANDS))}")
        command = command_type.from_dict(params)  # ValueError: bad parameters
        try:
            protocol = Protocol(await self.protocol_of(cp_id))
        except RoutingError as exc:
            # Recorded under the command's name: there is no protocol to translate it for.
            command_id = await self.store.begin(cp_id, name, command.to_dict(), requested_by)
            record = await self.store.complete(command_id, _STATUS[type(exc)], error_description=str(exc))
            raise CommandFailed(record, exc) from exc
        try:
            action, payload = to_ocpp(command, protocol)
        except UnsupportedCommand as exc:
            command_id = await self.store.begin(cp_id, name, command.to_dict(), requested_by)
            invalid = InvalidCommand(str(exc))
            record = await self.store.complete(
                command_id, "rejected", protocol=protocol.value, error_description=str(exc)
            )
            raise CommandFailed(record, invalid) from exc
        record = await self.send(cp_id, action, payload, requested_by=requested_by, timeout=timeout)
        if record.status != "answered" or record.result is None:
            return record, None
        result = from_ocpp(command, protocol, record.result)
        reported = reported_variables(command, protocol, record.result)
        if reported and self.registry is not None:
            # Configuration read or changed by a command is kept with the device model, the
            # same way for both versions (NotifyReport is stored by the gateway).
            try:
                await self.registry.RecordDeviceVariables(
                    registry_pb.RecordDeviceVariablesRequest(
                        charge_point_id=cp_id, variables=device_variables(reported)
                    ),
                    timeout=self.deadline,
                )
            except grpc.aio.AioRpcError as exc:
                log.warning("could not store the configuration %s reported: %s", cp_id, exc.code())
        return record, {"status": result.status, "details": result.details}

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
