"""Local authorization list, OCPP 2.0.1: SendLocalList and GetLocalListVersion out."""

from __future__ import annotations

from typing import Any

from chargeplane.domain.commands import CommandResult, GetLocalListVersion, LocalListEntry, SendLocalList
from chargeplane.gateway.ocpp201.datatypes import id_token
from chargeplane.gateway.translation import OcppCall, Translation, translations
from chargeplane.gateway.wire import drop_none, to_iso


def _entry(e: LocalListEntry) -> dict[str, Any]:
    entry: dict[str, Any] = {"idToken": id_token(e.id_token, e.id_token_type)}
    if e.status is not None:
        entry["idTokenInfo"] = drop_none(
            {
                "status": e.status,
                "cacheExpiryDateTime": to_iso(e.expiry) if e.expiry else None,
                "groupIdToken": id_token(e.group_id_token) if e.group_id_token else None,
            }
        )
    return entry


def send_local_list(c: SendLocalList) -> OcppCall:
    payload: dict[str, Any] = {"versionNumber": c.version, "updateType": c.update_type}
    if c.entries:
        payload["localAuthorizationList"] = [_entry(e) for e in c.entries]
    return "SendLocalList", payload


def get_local_list_version(c: GetLocalListVersion) -> OcppCall:
    return "GetLocalListVersion", {}


def list_version(c: GetLocalListVersion, p: dict[str, Any]) -> CommandResult:
    return CommandResult("Accepted", {"version": p["versionNumber"]})


COMMANDS = translations(
    Translation(SendLocalList, send_local_list),
    Translation(GetLocalListVersion, get_local_list_version, list_version),
)
