"""A test CPO (OCPI 2.2.1), run as its own process: `python -m tests.ocpi.peer.cpo --port N`.

It publishes a few Locations (sender, paginated) and holds tokens pushed to it (receiver):
the counterpart for the eMSP role of the platform under test, and a second kind of partner
for the credentials exchange in both directions.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .party import VERSION, Party, now, serve

LOCATIONS = f"/ocpi/cpo/{VERSION}/locations"
TOKENS = f"/ocpi/cpo/{VERSION}/tokens"


def _location(n: int) -> dict[str, Any]:
    stamp = now()
    return {
        "country_code": "DE",
        "party_id": "CPX",
        "id": f"LOC{n}",
        "publish": True,
        "address": f"Hauptstrasse {n}",
        "city": "Berlin",
        "country": "DEU",
        "coordinates": {"latitude": "52.520008", "longitude": "13.404954"},
        "time_zone": "Europe/Berlin",
        "evses": [
            {
                "uid": f"EVSE-{n}",
                "status": "AVAILABLE",
                "connectors": [
                    {
                        "id": "1",
                        "standard": "IEC_62196_T2",
                        "format": "SOCKET",
                        "power_type": "AC_3_PHASE",
                        "max_voltage": 230,
                        "max_amperage": 16,
                        "last_updated": stamp,
                    }
                ],
                "last_updated": stamp,
            }
        ],
        "last_updated": stamp,
    }


class Cpo(Party):
    def __init__(self) -> None:
        super().__init__("CPO", "DE", "CPX", "Test CPO")
        self.modules = [("locations", "SENDER", LOCATIONS), ("tokens", "RECEIVER", TOKENS)]
        self.locations = [_location(n) for n in range(1, 6)]
        self.tokens: dict[str, dict[str, Any]] = {}
        self.routes = [
            Route(LOCATIONS, self.location_list, methods=["GET"]),
            Route(TOKENS + "/{cc}/{pid}/{uid}", self.token, methods=["GET", "PUT"]),
        ]

    async def location_list(self, request: Request) -> Response:
        if self.caller(request, functional=True) is None:
            return self.unauthorized(request)
        offset = int(request.query_params.get("offset", 0))
        limit = min(int(request.query_params.get("limit", 2)), 2)
        page = self.locations[offset : offset + limit]
        response = self.answer(request, page)
        response.headers["X-Total-Count"], response.headers["X-Limit"] = str(len(self.locations)), "2"
        if offset + limit < len(self.locations):
            response.headers["Link"] = f'<{self.base_url}{LOCATIONS}?offset={offset + limit}&limit={limit}>; rel="next"'
        return response

    async def token(self, request: Request) -> Response:
        if self.caller(request, functional=True) is None:
            return self.unauthorized(request)
        key = "/".join(request.path_params[k] for k in ("cc", "pid", "uid"))
        if request.method == "GET":
            found = self.tokens.get(key)
            return self.answer(request, found) if found else self.answer(request, None, 2004, 404, "unknown token")
        created = key not in self.tokens
        self.tokens[key] = await request.json()
        self.received.append({"method": "PUT", "path": request.url.path, "body": self.tokens[key]})
        return self.answer(request, None, 1000, 201 if created else 200)

    def extra_state(self) -> dict[str, Any]:
        return {"tokens": self.tokens}


if __name__ == "__main__":
    serve(Cpo())
