"""Typed outcomes of routing a command that are not an answer from the charger.

Each says what a caller may do next: an offline charger is worth retrying only once it
reconnects; a busy one soon; a disconnected one never blindly (it may have acted).
"""

from __future__ import annotations


class RoutingError(Exception):
    """Base of the typed outcomes that are not an answer from the charger."""


class ChargerOffline(RoutingError):
    """No gateway holds the charger: not connected, moved while routed, or its pod is dead."""


class RegistryUnavailable(RoutingError):
    """The connection registry (Redis) could not be read, so the owner is unknown."""


class ChargerTimeout(RoutingError):
    """The charger received the CALL but did not answer in time."""


class ChargerBusy(RoutingError):
    """Too many CALLs are queued for this charger at its gateway."""


class InvalidCommand(RoutingError):
    """The gateway refused the CALL: not valid for the charger's OCPP version."""


class ChargerDisconnected(RoutingError):
    """The charger went away after receiving the CALL: it may or may not have acted on it."""
