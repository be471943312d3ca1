"""Command routing: send a CSMS-initiated CALL to whichever gateway pod holds the charger.

Any service may route commands (the operator API today; billing, smart charging and OCPI
next). `presence` is the connection registry in Redis (owner, epoch fencing); `router`
resolves the owner, calls its GatewayService and re-resolves once when the charger moved;
`errors` are the typed outcomes that are not an answer from the charger.
"""

from chargeplane.routing.errors import (
    ChargerBusy,
    ChargerDisconnected,
    ChargerOffline,
    ChargerTimeout,
    InvalidCommand,
    RegistryUnavailable,
    RoutingError,
)
from chargeplane.routing.presence import Owner, PresenceRegistry
from chargeplane.routing.router import CommandRouter, Routed

__all__ = [
    "ChargerBusy",
    "ChargerDisconnected",
    "ChargerOffline",
    "ChargerTimeout",
    "CommandRouter",
    "InvalidCommand",
    "Owner",
    "PresenceRegistry",
    "RegistryUnavailable",
    "Routed",
    "RoutingError",
]
