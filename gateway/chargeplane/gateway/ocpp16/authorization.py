"""Authorization, OCPP 1.6: Authorize in; ClearCache out."""

from __future__ import annotations

from typing import Any

from chargeplane.domain.commands import ClearCache
from chargeplane.gateway.connection import Handler, OcppConnection
from chargeplane.gateway.ocpp16.datatypes import id_tag_info
from chargeplane.gateway.ports import Authorizer
from chargeplane.gateway.translation import OcppCall, Translation, translations


class Authorization:
    def __init__(self, auth: Authorizer) -> None:
        self.auth = auth

    def handlers(self) -> dict[str, Handler]:
        return {"Authorize": self.authorize}

    async def authorize(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        auth = await self.auth.authorize(conn.cp_id, conn.site, p["idTag"])
        return {"idTagInfo": id_tag_info(auth.decision)}


def clear_cache(c: ClearCache) -> OcppCall:
    return "ClearCache", {}


COMMANDS = translations(Translation(ClearCache, clear_cache))
