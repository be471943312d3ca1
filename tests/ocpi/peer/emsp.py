"""A test eMSP (OCPI 2.2.1), run as its own process: `python -m tests.ocpi.peer.emsp --port N`.

Implements the Locations receiver interface (PUT/PATCH/GET of Location, EVSE, Connector,
keeping parents' last_updated as 8.2.2 asks) and the Tokens sender interface (GET list,
real-time authorization POST {uid}/authorize). It checks what the CPO sends against the
module's object descriptions and records every deviation.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .party import VERSION, Party, now, serve

LOCATIONS = f"/ocpi/emsp/{VERSION}/locations"
TOKENS = f"/ocpi/emsp/{VERSION}/tokens"

EVSE_STATUSES = {
    "AVAILABLE",
    "BLOCKED",
    "CHARGING",
    "INOPERATIVE",
    "OUTOFORDER",
    "PLANNED",
    "REMOVED",
    "RESERVED",
    "UNKNOWN",
}
LOCATION_REQUIRED = (
    "country_code",
    "party_id",
    "id",
    "publish",
    "address",
    "city",
    "country",
    "coordinates",
    "time_zone",
    "last_updated",
)
EVSE_REQUIRED = ("uid", "status", "connectors", "last_updated")
CONNECTOR_REQUIRED = ("id", "standard", "format", "power_type", "max_voltage", "max_amperage", "last_updated")


class Emsp(Party):
    def __init__(self) -> None:
        super().__init__("EMSP", "NL", "EMS", "Test eMSP")
        self.modules = [("locations", "RECEIVER", LOCATIONS), ("tokens", "SENDER", TOKENS)]
        self.locations: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.allowed: dict[str, str] = {}  # uid -> AllowedType answered in real time
        self.routes = [
            Route(LOCATIONS + "/{cc}/{pid}/{location_id}", self.location_object, methods=["GET", "PUT", "PATCH"]),
            Route(
                LOCATIONS + "/{cc}/{pid}/{location_id}/{evse_uid}", self.evse_object, methods=["GET", "PUT", "PATCH"]
            ),
            Route(
                LOCATIONS + "/{cc}/{pid}/{location_id}/{evse_uid}/{connector_id}",
                self.connector_object,
                methods=["GET", "PUT", "PATCH"],
            ),
            Route(TOKENS, self.token_list, methods=["GET"]),
            Route(TOKENS + "/{uid}/authorize", self.authorize, methods=["POST"]),
        ]

    # -- checks of pushed objects ---------------------------------------------------------

    def check(self, what: str, obj: dict[str, Any], required: tuple[str, ...]) -> None:
        for field in required:
            if field not in obj:
                self.violation(f"{what} without {field}: {obj}")
        stamp = obj.get("last_updated")
        if stamp is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z?", stamp):
            self.violation(f"{what}: last_updated {stamp!r} is not an OCPI DateTime")

    def check_evse(self, evse: dict[str, Any]) -> None:
        self.check("EVSE", evse, EVSE_REQUIRED)
        if evse.get("status") not in EVSE_STATUSES:
            self.violation(f"EVSE status {evse.get('status')!r}")
        if not evse.get("connectors"):
            self.violation(f"EVSE {evse.get('uid')} without connectors")
        for connector in evse.get("connectors", []):
            self.check("Connector", connector, CONNECTOR_REQUIRED)

    def check_location(self, location: dict[str, Any]) -> None:
        self.check("Location", location, LOCATION_REQUIRED)
        coordinates = location.get("coordinates", {})
        if not re.fullmatch(r"-?[0-9]{1,2}\.[0-9]{5,7}", str(coordinates.get("latitude"))):
            self.violation(f"latitude {coordinates.get('latitude')!r}")
        if not re.fullmatch(r"[A-Z]{3}", str(location.get("country"))):
            self.violation(f"country {location.get('country')!r} is not ISO 3166 alpha-3")
        for evse in location.get("evses", []):
            self.check_evse(evse)

    # -- Locations receiver ---------------------------------------------------------------

    async def _begin(self, request: Request) -> tuple[Any, dict[str, Any] | None]:
        if self.caller(request, functional=True) is None:
            return self.unauthorized(request), None
        body = await request.json() if request.method in ("PUT", "PATCH") else None
        self.received.append({"method": request.method, "path": request.url.path, "body": body, "at": now()})
        if self.fail_with:
            return self.answer(request, None, 3000, self.fail_with, "down for the test"), None
        cc, pid = request.path_params["cc"], request.path_params["pid"]
        if (cc, pid) not in {(r["country_code"], r["party_id"]) for r in self.their_roles}:
            self.violation(f"{request.method} {request.url.path}: {cc}/{pid} is not the CPO's party")
        if request.method == "PATCH" and (body is None or "last_updated" not in body):
            self.violation(f"PATCH {request.url.path} without last_updated")
        return None, body

    def _key(self, request: Request) -> str:
        p = request.path_params
        return f"{p['cc']}/{p['pid']}/{p['location_id']}"

    async def location_object(self, request: Request) -> Response:
        refused, body = await self._begin(request)
        if refused is not None:
            return refused  # type: ignore[no-any-return]
        key = self._key(request)
        current = self.locations.get(key)
        if request.method == "GET":
            return self.answer(request, current) if current else self.answer(request, None, 2003, 404, "unknown")
        assert body is not None
        if request.method == "PUT":
            self.check_location(body)
            if body.get("id") != request.path_params["location_id"]:
                self.violation(f"PUT {key}: id {body.get('id')} differs from the URL")
            self.locations[key] = body
            return self.answer(request, None, 1000, 201 if current is None else 200)
        if current is None:
            return self.answer(request, None, 2003, 404, "unknown location")
        current.update(body)
        return self.answer(request)

    async def evse_object(self, request: Request) -> Response:
        refused, body = await self._begin(request)
        if refused is not None:
            return refused  # type: ignore[no-any-return]
        location = self.locations.get(self._key(request))
        uid = request.path_params["evse_uid"]
        evse = next((e for e in (location or {}).get("evses", []) if e["uid"] == uid), None)
        if request.method == "GET":
            return self.answer(request, evse) if evse else self.answer(request, None, 2003, 404, "unknown")
        if location is None:
            return self.answer(request, None, 2003, 404, "unknown location")
        assert body is not None
        if request.method == "PUT":
            self.check_evse(body)
            location["evses"] = [e for e in location.get("evses", []) if e["uid"] != uid] + [body]
        elif evse is None:
            return self.answer(request, None, 2003, 404, "unknown EVSE")
        else:
            evse.update(body)
        # 8.2.2.2/8.2.2.3: the parent's last_updated follows the pushed object's.
        location["last_updated"] = body.get("last_updated", location.get("last_updated"))
        return self.answer(request)

    async def connector_object(self, request: Request) -> Response:
        refused, body = await self._begin(request)
        if refused is not None:
            return refused  # type: ignore[no-any-return]
        location = self.locations.get(self._key(request)) or {}
        evse = next((e for e in location.get("evses", []) if e["uid"] == request.path_params["evse_uid"]), None)
        connector = next(
            (c for c in (evse or {}).get("connectors", []) if c["id"] == request.path_params["connector_id"]), None
        )
        if request.method == "GET" or connector is None or evse is None:
            return self.answer(request, connector) if connector else self.answer(request, None, 2003, 404, "unknown")
        assert body is not None
        if request.method == "PUT":
            self.check("Connector", body, CONNECTOR_REQUIRED)
            connector.clear()
        connector.update(body)
        evse["last_updated"] = location["last_updated"] = body.get("last_updated")
        return self.answer(request)

    # -- Tokens sender --------------------------------------------------------------------

    async def token_list(self, request: Request) -> Response:
        if self.caller(request, functional=True) is None:
            return self.unauthorized(request)
        items = list(self.tokens.values())
        offset, limit = int(request.query_params.get("offset", 0)), int(request.query_params.get("limit", 50))
        page = items[offset : offset + limit]
        response = self.answer(request, page)
        response.headers["X-Total-Count"], response.headers["X-Limit"] = str(len(items)), "50"
        return response

    async def authorize(self, request: Request) -> Response:
        if self.caller(request, functional=True) is None:
            return self.unauthorized(request)
        uid = request.path_params["uid"]
        token_type = request.query_params.get("type", "RFID")
        raw = await request.body()
        references = await request.json() if raw else None
        self.received.append({"method": "POST", "path": request.url.path, "body": references, "type": token_type})
        if self.fail_with:
            return self.answer(request, None, 3000, self.fail_with, "down for the test")
        if references is not None and "location_id" not in references:
            self.violation(f"authorize {uid}: LocationReferences without location_id: {references}")
        token = self.tokens.get(uid)
        if token is None or token["type"] != token_type:
            return self.answer(request, None, 2004, 404, "unknown token")
        info: dict[str, Any] = {
            "allowed": self.allowed.get(uid, "ALLOWED"),
            "token": token,
            "authorization_reference": f"AUTH-{uid}",
        }
        if references is not None:
            info["location"] = references
        return self.answer(request, info)

    # -- controls -------------------------------------------------------------------------

    def extra_controls(self) -> dict[str, Any]:
        return {
            "add-token": self._add_token,
            "push-token": self._push_token,
            "patch-token": self._patch_token,
            "get-token": self._get_token,
            "set-allowed": self._set_allowed,
            "pull-locations": self._pull_locations,
            "get-location": self._get_location,
            "forget-locations": self._forget_locations,
        }

    def extra_state(self) -> dict[str, Any]:
        return {"locations": self.locations}

    async def _add_token(self, body: dict[str, Any]) -> dict[str, Any]:
        token = {
            "country_code": self.country_code,
            "party_id": self.party_id,
            "uid": body["uid"],
            "type": body.get("type", "RFID"),
            "contract_id": body.get("contract_id", f"NL-EMS-C{body['uid']}"),
            "issuer": self.name,
            "valid": body.get("valid", True),
            "whitelist": body.get("whitelist", "ALLOWED"),
            "last_updated": body.get("last_updated", now()),
        }
        if "group_id" in body:
            token["group_id"] = body["group_id"]
        self.tokens[body["uid"]] = token
        return token

    def _token_url(self, uid: str, token_type: str) -> tuple[str, dict[str, str]]:
        base = self.endpoint("tokens", "RECEIVER").rstrip("/")
        return f"{base}/{self.country_code}/{self.party_id}/{uid}", {"type": token_type}

    def _cpo(self) -> tuple[str, str]:
        cpo = next(r for r in self.their_roles if r["role"] == "CPO")
        return cpo["country_code"], cpo["party_id"]

    async def _push_token(self, body: dict[str, Any]) -> dict[str, Any]:
        token = self.tokens[body["uid"]]
        url, params = self._token_url(token["uid"], token["type"])
        response, envelope = await self.call(
            "PUT", url, body=body.get("override", token), params=params, functional=True, to=self._cpo()
        )
        return {"http_status": response.status_code, "envelope": envelope}

    async def _patch_token(self, body: dict[str, Any]) -> dict[str, Any]:
        token = self.tokens[body["uid"]]
        changes = {**body["changes"], "last_updated": now()}
        token.update(changes)
        url, params = self._token_url(token["uid"], token["type"])
        response, envelope = await self.call("PATCH", url, body=changes, params=params, functional=True, to=self._cpo())
        return {"http_status": response.status_code, "envelope": envelope}

    async def _get_token(self, body: dict[str, Any]) -> dict[str, Any]:
        url, params = self._token_url(body["uid"], body.get("type", "RFID"))
        if "party" in body:  # someone else's party: the CPO should not show it
            url = url.replace(f"/{self.country_code}/{self.party_id}/", f"/{body['party']}/")
        response, envelope = await self.call("GET", url, params=params, functional=True, to=self._cpo())
        return {"http_status": response.status_code, "envelope": envelope}

    async def _set_allowed(self, body: dict[str, Any]) -> dict[str, Any]:
        self.allowed[body["uid"]] = body["allowed"]
        return {"ok": True}

    async def _pull_locations(self, body: dict[str, Any]) -> dict[str, Any]:
        """GET every Location following the Link headers (transport 4.1.4.1)."""
        url: str | None = self.endpoint("locations", "SENDER")
        params: dict[str, Any] | None = {k: v for k, v in body.items() if k in ("limit", "date_from", "date_to")}
        items: list[dict[str, Any]] = []
        pages: list[dict[str, Any]] = []
        while url is not None:
            response, envelope = await self.call("GET", url, params=params, functional=True, to=self._cpo())
            if response.status_code != 200:
                return {"ok": False, "http_status": response.status_code, "envelope": envelope}
            for header in ("X-Total-Count", "X-Limit"):
                if header not in response.headers:
                    self.violation(f"GET {url}: no {header}")
            for location in envelope["data"]:
                self.check_location(location)
            items.extend(envelope["data"])
            pages.append(
                {
                    "count": len(envelope["data"]),
                    "total": int(response.headers.get("X-Total-Count", -1)),
                    "limit": int(response.headers.get("X-Limit", -1)),
                }
            )
            link = response.headers.get("Link")
            match = re.match(r'<([^>]+)>;\s*rel="next"', link) if link else None
            url, params = (match.group(1), None) if match else (None, None)
        return {"ok": True, "locations": items, "pages": pages}

    async def _get_location(self, body: dict[str, Any]) -> dict[str, Any]:
        url = self.endpoint("locations", "SENDER").rstrip("/") + "/" + body["path"].lstrip("/")
        response, envelope = await self.call("GET", url, functional=True, to=self._cpo())
        return {"http_status": response.status_code, "envelope": envelope}

    async def _forget_locations(self, body: dict[str, Any]) -> dict[str, Any]:
        self.locations.clear()
        self.received.clear()
        return {"ok": True}

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(self.locations)


if __name__ == "__main__":
    serve(Emsp())
