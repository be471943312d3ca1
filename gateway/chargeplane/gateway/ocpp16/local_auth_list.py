"""Local authorization list, OCPP 1.6: SendLocalList and GetLocalListVersion out."""

from __future__ import annotations

from typing import Any

from chargeplane.domain.commands import CommandResult, GetLocalListVersion, LocalListEntry, SendLocalList
from chargeplane.domain.commands.local_auth_list import TOKEN_STATUSES_16
from chargeplane.gateway.ocpp16.datatypes import cannot, id_tag
from chargeplane.gateway.translation import OcppCall, Translation, translations
from chargeplane.gateway.wire import drop_none, to_iso


def _entry(e: LocalListEntry) -> dict[str, Any]:
    entry: dict[str, Any] = {"idTag": id_tag(e.id_token)}
    if e.status is not None:
        if e.status not in TOKEN_STATUSES_16:
            raise cannot(f"the id token status {e.status}")
        entry["idTagInfo"] = drop_none(
            {
                "status": e.status,
                "expiryDate": to_iso(e.expiry) if e.expiry else None,
                "parentIdTag": id_tag(e.group_id_token, "group_id_token") if e.group_id_token else None,
            }
        )
    return entry


def send_local_list(c: SendLocalList) -> OcppCall:
    payload: dict[str, Any] = {"listVersion": c.version, "updateType": c.update_type}
    if c.entries:
        payload["localAuthorizationList"] = [_entry(e) for e in c.entries]
    return "SendLocalList", payload


def get_local_list_version(c: GetLocalListVersion) -> OcppCall:
    return "GetLocalListVersion", {}


def list_version(c: GetLocalListVersion, p: dict[str, Any]) -> CommandResult:
    return CommandResult("Accepted", {"version": p["listVersion"]})


COMMANDS = translations(
    Translation(SendLocalList, send_local_list),
    Translation(GetLocalListVersion, get_local_list_version, list_version),
)
