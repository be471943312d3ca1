"""Push the desired configuration to a charger when its boot is accepted.

The registry's Boot reply carries the settings not yet applied; after the CALLRESULT of
the BootNotification is written, a background task sends them (1.6: one
ChangeConfiguration per key; 2.0.1: one SetVariables with all of them) through the
connection's one-outstanding-CALL queue, and records each result in the registry.
"""

from __future__ import annotations

import logging
from typing import Any

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.commands import ChangeConfiguration, ConfigurationSetting, UnsupportedCommand
from chargeplane.gateway.backend import Backend
from chargeplane.gateway.connection import (
    CallErrorReply,
    ChargerBusy,
    ChargerTimeout,
    ConnectionGone,
    Handler,
    InvalidCall,
    OcppConnection,
)
from chargeplane.tasks import spawn

log = logging.getLogger(__name__)

UNSUPPORTED = "Unsupported"  # the charger's OCPP version cannot express the key
TIMEOUT = "Timeout"
NO_RESULT = "NoResult"  # the charger's SetVariables answer left the key out


class ConfigurationPush:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def wrap_boot(self, boot: Handler) -> Handler:
        async def handler(conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
            try:
                reply = await boot(conn, p)
            finally:
                pending = self.backend.take_pending_configuration(conn.cp_id)
            if pending and reply.get("status") == "Accepted":
                # Runs after this handler returns: the CALLRESULT is written to the socket
                # before the task's first CALL (websockets writes send() synchronously).
                spawn(self.push(conn, pending))
            return reply

        return handler

    async def push(self, conn: OcppConnection, settings: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
        """Send `settings` and record the results; returns (key, value, result) triples."""
        if conn.protocol is Protocol.OCPP16:
            results = await self._push_16(conn, settings)
        else:
            results = await self._push_201(conn, settings)
        if results:
            try:
                await self.backend.record_configuration_results(conn.cp_id, conn.protocol, results)
            except Exception:
                log.warning("could not record configuration results of %s", conn.cp_id, exc_info=True)
        log.info(
            "pushed %d configuration setting(s) to %s: %s",
            len(results),
            conn.cp_id,
            ", ".join(f"{k}={r}" for k, _, r in results),
            extra={"cp_id": conn.cp_id},
        )
        return results

    async def _send(self, conn: OcppConnection, command: ChangeConfiguration) -> dict[str, Any] | str:
        """The charger's answer payload, or the result word when there is none."""
        try:
            action, payload = command.to_ocpp(conn.protocol)
        except UnsupportedCommand:
            return UNSUPPORTED
        try:
            reply = await conn.call(action, payload)
        except ChargerTimeout:
            return TIMEOUT
        except InvalidCall:
            return UNSUPPORTED
        except ChargerBusy:
            return "Busy"
        if isinstance(reply, CallErrorReply):
            return f"CallError:{reply.code}"
        return reply.payload

    async def _push_16(self, conn: OcppConnection, settings: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
        results: list[tuple[str, str, str]] = []
        for key, value in settings:
            command = ChangeConfiguration((ConfigurationSetting(key, value),))
            try:
                answer = await self._send(conn, command)
            except ConnectionGone:
                break  # the rest stays pending for the next boot
            status = answer if isinstance(answer, str) else command.from_ocpp(conn.protocol, answer).status
            results.append((key, value, status))
        return results

    async def _push_201(self, conn: OcppConnection, settings: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
        results: list[tuple[str, str, str]] = []
        sendable: list[ConfigurationSetting] = []
        for key, value in settings:
            try:
                ChangeConfiguration((ConfigurationSetting(key, value),)).to_ocpp(conn.protocol)
            except UnsupportedCommand:
                results.append((key, value, UNSUPPORTED))
                continue
            sendable.append(ConfigurationSetting(key, value))
        if not sendable:
            return results
        command = ChangeConfiguration(tuple(sendable))
        try:
            answer = await self._send(conn, command)
        except ConnectionGone:
            return results
        if isinstance(answer, str):
            return results + [(s.key, s.value, answer) for s in sendable]
        by_key = {r["key"]: r["status"] for r in command.from_ocpp(conn.protocol, answer).details["results"]}
        return results + [(s.key, s.value, by_key.get(s.key, NO_RESULT)) for s in sendable]
