"""The OCPP versions this gateway speaks, by subprotocol: each version package's routing
table. A charger CALL with no handler is answered NotSupported (an action the version
defines) or NotImplemented (unknown); a command with no translation is refused before
anything is sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chargeplane.domain.chargepoints import Protocol
from chargeplane.gateway.connection import Dispatcher, Handler
from chargeplane.gateway.ocpp16 import routes as ocpp16
from chargeplane.gateway.ocpp201 import routes as ocpp201
from chargeplane.gateway.translation import Translations

if TYPE_CHECKING:
    from chargeplane.gateway.dependencies import Dependencies


@dataclass(frozen=True, slots=True)
class Version:
    handlers: Callable[[Dependencies], dict[str, Handler]]  # charger -> CSMS
    commands: Translations  # CSMS -> charger


VERSIONS = {
    Protocol.OCPP16: Version(ocpp16.handlers, ocpp16.COMMANDS),
    Protocol.OCPP201: Version(ocpp201.handlers, ocpp201.COMMANDS),
}


@dataclass(frozen=True, slots=True)
class HandlerTable:
    protocol: Protocol
    handlers: dict[str, Handler]

    def handler(self, action: str) -> Handler | None:
        return self.handlers.get(action)


def translations_of(protocol: Protocol) -> Translations:
    return VERSIONS[protocol].commands


def build_dispatchers(deps: Dependencies) -> dict[str, Dispatcher]:
    """The dispatcher of each subprotocol, keyed by its name ("ocpp1.6", "ocpp2.0.1")."""
    return {p.value: HandlerTable(p, version.handlers(deps)) for p, version in VERSIONS.items()}
