"""Which tariff applies to a session: the most specific assignment wins.

Scopes from most to least specific: EVSE, charge point, site, install default. Within a
scope, an assignment for the session's id-token group (e.g. members) comes before the one
for everyone. Location comes first: a charge point's own tariff beats a site-wide member
price; give the member price at the charge point too when both should hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    DEFAULT = "default"
    SITE = "site"
    CHARGE_POINT = "charge_point"
    EVSE = "evse"


@dataclass(frozen=True, slots=True)
class Assignment:
    scope: Scope
    tariff_id: str
    site_id: str = ""
    charge_point_id: str = ""
    evse_id: int = 0
    id_token_group: str = ""

    def key(self) -> tuple[str, str, str, int, str]:
        return (self.scope.value, self.site_id, self.charge_point_id, self.evse_id, self.id_token_group)


def normalized(a: Assignment) -> Assignment:
    """Only the fields of its scope identify an assignment (an EVSE is addressed by charge
    point and EVSE id; a site by site id)."""
    site = a.site_id if a.scope == Scope.SITE else ""
    cp = a.charge_point_id if a.scope in (Scope.CHARGE_POINT, Scope.EVSE) else ""
    evse = a.evse_id if a.scope == Scope.EVSE else 0
    return Assignment(a.scope, a.tariff_id, site, cp, evse, a.id_token_group)


def validate(a: Assignment) -> None:
    if a.scope == Scope.SITE and not a.site_id:
        raise ValueError("a site assignment needs site_id")
    if a.scope in (Scope.CHARGE_POINT, Scope.EVSE) and not a.charge_point_id:
        raise ValueError(f"a {a.scope.value} assignment needs charge_point_id")
    if a.scope == Scope.EVSE and a.evse_id < 1:
        raise ValueError("an evse assignment needs evse_id >= 1")
    if not a.tariff_id:
        raise ValueError("tariff_id is required")


def candidates(site_id: str, charge_point_id: str, evse_id: int, group: str) -> list[tuple[str, str, str, int, str]]:
    """Assignment keys that could apply, most specific first."""
    levels: list[tuple[str, str, str, int]] = []
    if charge_point_id and evse_id:
        levels.append((Scope.EVSE.value, "", charge_point_id, evse_id))
    if charge_point_id:
        levels.append((Scope.CHARGE_POINT.value, "", charge_point_id, 0))
    if site_id:
        levels.append((Scope.SITE.value, site_id, "", 0))
    levels.append((Scope.DEFAULT.value, "", "", 0))
    out = []
    for scope, site, cp, evse in levels:
        if group:
            out.append((scope, site, cp, evse, group))
        out.append((scope, site, cp, evse, ""))
    return out


def ranked(
    assignments: Iterable[Assignment], site_id: str, charge_point_id: str, evse_id: int, group: str
) -> list[Assignment]:
    """The assignments that apply to a session, most specific first."""
    by_key = {a.key(): a for a in assignments}
    return [by_key[k] for k in candidates(site_id, charge_point_id, evse_id, group) if k in by_key]
