"""Authorization, OCPP 2.0.1: Authorize in; ClearCache out."""

from __future__ import annotations

from typing import Any

from chargeplane.domain.auth import IdTokenType
from chargeplane.domain.commands import ClearCache
from chargeplane.gateway.connection import Handler, OcppConnection
from chargeplane.gateway.errors import ErrorKind, OcppError
from chargeplane.gateway.ocpp201.datatypes import id_token_info
from chargeplane.gateway.ports import Authorizer
from chargeplane.gateway.translation import OcppCall, Translation, translations


class Authorization:
    def __init__(self, auth: Authorizer) -> None:
        self.auth = auth

    def handlers(self) -> dict[str, Handler]:
        return {"Authorize": self.authorize}

    async def authorize(self, conn: OcppConnection, p: dict[str, Any]) -> dict[str, Any]:
        token = p["idToken"]
        if token["type"] != IdTokenType.NO_AUTHORIZATION and not token["idToken"]:
            raise OcppError(ErrorKind.PROPERTY_CONSTRAINT, "idToken.idToken is empty")
        auth = await self.auth.authorize(conn.cp_id, conn.site, token["idToken"] or "-", token["type"])
        return {"idTokenInfo": id_token_info(auth)}


def clear_cache(c: ClearCache) -> OcppCall:
    return "ClearCache", {}


COMMANDS = translations(Translation(ClearCache, clear_cache))
