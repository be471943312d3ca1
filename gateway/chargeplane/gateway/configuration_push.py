"""Push the desired configuration to a charger after its boot is accepted (a post-boot hook).

The registry's boot decision carries the settings not yet applied. They are sent as
ChangeConfiguration commands, translated for the charger's version, through the
connection's one-outstanding-CALL queue: all in one CALL when the version can express
that (2.0.1 SetVariables), else one CALL per key (1.6 ChangeConfiguration); a key the
version cannot express is not sent ("Unsupported"). Every result is recorded in the
registry, so a setting the charger refused or never got stays pending for the next boot.
"""

from __future__ import annotations

import logging
from typing import Any

from chargeplane.domain.chargepoints import BootDecision
from chargeplane.domain.commands import ChangeConfiguration, ConfigurationSetting, UnsupportedCommand
from chargeplane.gateway import command_sender
from chargeplane.gateway.connection import (
    CallErrorReply,
    ChargerBusy,
    ChargerTimeout,
    ConnectionGone,
    InvalidCall,
    OcppConnection,
)
from chargeplane.gateway.ports import ConfigurationResults

log = logging.getLogger(__name__)

UNSUPPORTED = "Unsupported"  # the charger's OCPP version cannot express the key
TIMEOUT = "Timeout"
BUSY = "Busy"
NO_RESULT = "NoResult"  # the charger's answer left the key out

Result = tuple[str, str, str]  # key, value, result


class ConfigurationPush:
    def __init__(self, results: ConfigurationResults) -> None:
        self.results = results

    async def __call__(self, conn: OcppConnection, decision: BootDecision) -> list[Result]:
        return await self.push(conn, [ConfigurationSetting(key=k, value=v) for k, v in decision.pending_configuration])

    async def push(self, conn: OcppConnection, settings: list[ConfigurationSetting]) -> list[Result]:
        """Send `settings` and record the results; returns (key, value, result) triples."""
        if not settings:
            return []
        results = await self._send_all(conn, settings)
        if results:
            try:
                await self.results.record_configuration_results(conn.cp_id, conn.protocol, results)
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

    async def _send_all(self, conn: OcppConnection, settings: list[ConfigurationSetting]) -> list[Result]:
        results: list[Result] = []
        sendable: list[ConfigurationSetting] = []
        for s in settings:
            if _expressible(conn, (s,)):
                sendable.append(s)
            else:
                results.append((s.key, s.value, UNSUPPORTED))
        batches = [sendable] if _expressible(conn, tuple(sendable)) else [[s] for s in sendable]
        for batch in batches:
            if not batch:
                continue
            try:
                results += await self._send(conn, batch)
            except ConnectionGone:
                break  # the rest stays pending for the next boot
        return results

    async def _send(self, conn: OcppConnection, batch: list[ConfigurationSetting]) -> list[Result]:
        command = ChangeConfiguration(settings=tuple(batch))
        outcome = await _answer(conn, command)
        if isinstance(outcome, str):
            return [(s.key, s.value, outcome) for s in batch]
        by_key = {r["key"]: r["status"] for r in outcome["results"]}
        return [(s.key, s.value, by_key.get(s.key, NO_RESULT)) for s in batch]


def _expressible(conn: OcppConnection, settings: tuple[ConfigurationSetting, ...]) -> bool:
    if not settings:
        return True
    try:
        command_sender.prepare(conn.protocol, ChangeConfiguration(settings=settings))
    except UnsupportedCommand:
        return False
    return True


async def _answer(conn: OcppConnection, command: ChangeConfiguration) -> dict[str, Any] | str:
    """The neutral result's details, or the result word when the charger gave none."""
    try:
        answered = await command_sender.send(conn, command_sender.prepare(conn.protocol, command))
    except UnsupportedCommand:
        return UNSUPPORTED
    except ChargerTimeout:
        return TIMEOUT
    except InvalidCall:
        return UNSUPPORTED
    except ChargerBusy:
        return BUSY
    if isinstance(answered.reply, CallErrorReply) or answered.result is None:
        return f"CallError:{getattr(answered.reply, 'code', '')}"
    return answered.result.details
