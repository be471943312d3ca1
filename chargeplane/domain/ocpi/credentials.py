"""Credentials and registration rules: version negotiation, endpoints, routing parties."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .enums import InterfaceRole, ModuleID, Role
from .models import CredentialsRole, Endpoint, Version

SUPPORTED_VERSIONS = ("2.2.1",)


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return ()


def pick_version(theirs: Iterable[Version], ours: Sequence[str] = SUPPORTED_VERSIONS) -> Version | None:
    """The highest version both sides implement (2.2.1 is the one we speak)."""
    mutual = [v for v in theirs if v.version in ours]
    return max(mutual, key=lambda v: _version_key(v.version), default=None)


def endpoint_url(endpoints: Iterable[Endpoint], module: ModuleID | str, role: InterfaceRole) -> str | None:
    """The URL of a module interface the partner implements. For credentials the role
    has no meaning (version details note), so any credentials endpoint is taken."""
    for e in endpoints:
        if e.identifier == module and (module == ModuleID.CREDENTIALS or e.role == role):
            return e.url
    return None


# Whom a CPO push is addressed to (OCPI-to headers), in order of preference: an eMSP-like
# role of the partner; through a hub, the hub itself (a broadcast push).
_CPO_AUDIENCE = (Role.EMSP, Role.NSP, Role.OTHER, Role.NAP, Role.SCSP, Role.HUB)


def push_audience(roles: Iterable[CredentialsRole]) -> CredentialsRole | None:
    """The partner role a CPO push (Locations...) goes to, or None if it has none."""
    by_role: dict[Role, CredentialsRole] = {}
    for r in roles:
        by_role.setdefault(r.role, r)
    for role in _CPO_AUDIENCE:
        if role in by_role:
            return by_role[role]
    return None


def owns(roles: Iterable[CredentialsRole], country_code: str, party_id: str) -> bool:
    """The partner announced this (country_code, party_id) in the credentials exchange."""
    cc, pid = country_code.upper(), party_id.upper()
    return any(r.country_code == cc and r.party_id == pid for r in roles)
