"""OCPP-J CALLERROR codes, spelled the way each protocol version spells them.

Handlers raise `OcppError` with a version-neutral `ErrorKind`; the connection renders the
code for its own version. (The `ocpp` library uses 2.0.1 spelling on 1.6 connections.)
"""

from __future__ import annotations

from enum import Enum

from chargeplane.domain.chargepoints import Protocol

MAX_DESCRIPTION = 255  # OCPP-J: errorDescription is at most 255 characters


class ErrorKind(Enum):
    NOT_IMPLEMENTED = "NotImplemented"  # action not known
    NOT_SUPPORTED = "NotSupported"  # action known, not supported by the receiver
    INTERNAL = "InternalError"
    PROTOCOL = "ProtocolError"  # payload incomplete
    SECURITY = "SecurityError"
    FORMAT = "FormatViolation"  # syntactically incorrect / not the PDU structure
    PROPERTY_CONSTRAINT = "PropertyConstraintViolation"  # a field holds an invalid value
    OCCURRENCE_CONSTRAINT = "OccurrenceConstraintViolation"  # missing / too many elements
    TYPE_CONSTRAINT = "TypeConstraintViolation"  # a field has the wrong data type
    GENERIC = "GenericError"
    RPC_FRAMEWORK = "RpcFrameworkError"  # not a valid RPC message (2.0.1)
    MESSAGE_TYPE_NOT_SUPPORTED = "MessageTypeNotSupported"  # unknown MessageTypeId (2.0.1)


# OCPP-J 1.6 §4.2.3 keeps two misspellings (errata: "will not be fixed") and lacks the
# RPC-level codes that 2.0.1 added.
_V16 = {
    ErrorKind.FORMAT: "FormationViolation",
    ErrorKind.OCCURRENCE_CONSTRAINT: "OccurenceConstraintViolation",
    ErrorKind.RPC_FRAMEWORK: "FormationViolation",
    ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED: "ProtocolError",
}


def error_code(kind: ErrorKind, protocol: Protocol) -> str:
    if protocol is Protocol.OCPP16:
        return _V16.get(kind, kind.value)
    return kind.value


# Every code a charger may legitimately send back to us, per version.
VALID_CODES = {
    Protocol.OCPP16: frozenset(error_code(k, Protocol.OCPP16) for k in ErrorKind),
    Protocol.OCPP201: frozenset(k.value for k in ErrorKind),
}


class OcppError(Exception):
    """Raised while handling a CALL; answered with a CALLERROR, the socket stays open."""

    def __init__(self, kind: ErrorKind, description: str, details: dict[str, object] | None = None) -> None:
        super().__init__(description)
        self.kind = kind
        self.description = description[:MAX_DESCRIPTION]
        self.details = details or {}
