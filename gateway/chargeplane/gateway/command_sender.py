"""Send a version-neutral command to a charger connected here: translate it with the
charger's version package, send the CALL through the connection's one-outstanding-CALL
queue, and read the answer back version-neutrally.

Used by the GatewayService (commands from any API replica or service) and by the
post-boot configuration push.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.commands import Command, CommandResult, UnsupportedCommand
from chargeplane.domain.device import DeviceVariable
from chargeplane.gateway.connection import CallErrorReply, CallResult, OcppConnection
from chargeplane.gateway.translation import Translation
from chargeplane.gateway.versions import translations_of


@dataclass(frozen=True, slots=True)
class Prepared:
    """A command translated for one OCPP version: the CALL to send, and how to read the answer."""

    command: Command
    translation: Translation[Any]
    action: str
    payload: dict[str, Any]

    def read(self, answer: dict[str, Any]) -> CommandResult:
        """The charger's CALLRESULT payload (schema-valid) as a neutral result."""
        return self.translation.result(self.command, answer)

    def reported(self, answer: dict[str, Any]) -> list[DeviceVariable]:
        """What the answer tells about the charger's configuration."""
        return self.translation.reported(self.command, answer)


@dataclass(frozen=True, slots=True)
class Answered:
    """The charger's answer to a prepared command."""

    prepared: Prepared
    reply: CallResult | CallErrorReply
    result: CommandResult | None = None  # None on CALLERROR
    reported: list[DeviceVariable] = field(default_factory=list)


def prepare(protocol: Protocol, command: Command) -> Prepared:
    """The CALL for a charger of `protocol`; UnsupportedCommand when it cannot express it."""
    translation = translations_of(protocol).get(type(command))
    if translation is None:
        raise UnsupportedCommand(f"{command.name} has no {protocol.value} equivalent")
    action, payload = translation.request(command)
    return Prepared(command, translation, action, payload)


async def send(conn: OcppConnection, prepared: Prepared, timeout: float | None = None) -> Answered:
    """Send and wait; the connection's errors (InvalidCall, ChargerBusy, ChargerTimeout,
    ConnectionGone) pass through."""
    reply = await conn.call(prepared.action, prepared.payload, timeout)
    if isinstance(reply, CallErrorReply):
        return Answered(prepared, reply)
    t = prepared.translation
    return Answered(
        prepared, reply, t.result(prepared.command, reply.payload), t.reported(prepared.command, reply.payload)
    )
