"""Authorizing a roaming partner's token: the whitelist rules of OCPI 2.2.1 (WhitelistType).

ALWAYS           whitelisted, real-time authorization not allowed: decided locally.
ALLOWED          whitelisting allowed: a valid token is accepted locally; an invalid one is
                 asked in real time (the text: validity may have changed since the push).
ALLOWED_OFFLINE  real-time; when the eMSP cannot be reached, a valid token is accepted.
NEVER            real-time only; when the eMSP cannot be reached, the token is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .enums import AllowedType, WhitelistType


class Decision(StrEnum):
    """The outcome for the charger (the auth service maps it to its OCPP answer)."""

    ACCEPTED = "ACCEPTED"
    BLOCKED = "BLOCKED"
    EXPIRED = "EXPIRED"
    INVALID = "INVALID"
    NO_CREDIT = "NO_CREDIT"
    NOT_AT_THIS_LOCATION = "NOT_AT_THIS_LOCATION"
    # Not a token any roaming partner pushed: the caller decides with its own tokens.
    UNKNOWN = "UNKNOWN"


class Source(StrEnum):
    """How the decision was reached (for logs, metrics and the caller's caching)."""

    WHITELIST = "WHITELIST"
    REALTIME = "REALTIME"
    CACHE = "CACHE"
    OFFLINE_FALLBACK = "OFFLINE_FALLBACK"
    NOT_FOUND = "NOT_FOUND"


@dataclass(frozen=True, slots=True)
class TokenRules:
    valid: bool
    whitelist: WhitelistType


def needs_realtime(token: TokenRules) -> bool:
    if token.whitelist is WhitelistType.ALWAYS:
        return False
    if token.whitelist is WhitelistType.ALLOWED:
        return not token.valid
    return True


def local_decision(token: TokenRules) -> Decision:
    return Decision.ACCEPTED if token.valid else Decision.BLOCKED


def unreachable_decision(token: TokenRules) -> Decision:
    """The eMSP did not answer the real-time request (down, timeout, server error)."""
    if token.whitelist in (WhitelistType.ALLOWED_OFFLINE, WhitelistType.ALLOWED):
        return local_decision(token)
    return Decision.INVALID  # NEVER: no answer, no charging


_REALTIME = {
    AllowedType.ALLOWED: Decision.ACCEPTED,
    AllowedType.BLOCKED: Decision.BLOCKED,
    AllowedType.EXPIRED: Decision.EXPIRED,
    AllowedType.NO_CREDIT: Decision.NO_CREDIT,
    AllowedType.NOT_ALLOWED: Decision.NOT_AT_THIS_LOCATION,
}


def realtime_decision(allowed: AllowedType) -> Decision:
    return _REALTIME[allowed]
