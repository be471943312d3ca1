"""An independent OCPI 2.2.1 party for tests: written from the 2.2.1 text, speaking only
HTTP, importing nothing of chargeplane (the `/control/state` answer proves it).

What every role shares: the versions and credentials modules in both directions, the
Authorization header (2.2.1: base64 of the token; this party is strict and accepts
nothing else), the response envelope, X-Request-ID / X-Correlation-ID, routing headers.
Whatever the platform under test does against the spec is recorded in `violations`,
which tests assert to be empty.

A `/control/...` API (no OCPI, no auth) lets a test drive the party.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import re
import secrets
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

VERSION = "2.2.1"
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?$")


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def encode(token: str) -> str:
    return "Token " + base64.b64encode(token.encode()).decode()


class Party:
    """One OCPI platform with one role."""

    def __init__(self, role: str, country_code: str, party_id: str, name: str) -> None:
        self.role, self.country_code, self.party_id, self.name = role, country_code, party_id, name
        self.base_url = ""
        self.registered = False
        self.their_versions_url: str | None = None
        self.their_version: str | None = None
        self.their_endpoints: list[dict[str, Any]] = []
        self.their_roles: list[dict[str, Any]] = []
        self.outgoing_token: str | None = None  # the token we present to the platform
        self.incoming: dict[str, str] = {}  # tokens we accept -> "A" (registration only) or "full"
        self.violations: list[str] = []
        self.received: list[dict[str, Any]] = []  # requests to our functional modules
        self.fail_with: int | None = None  # answer functional modules with this HTTP status
        self.http = httpx.AsyncClient(timeout=10)
        self.modules: list[tuple[str, str, str]] = []  # (identifier, role, path)
        self.routes: list[Route] = []

    # -- what we check in every request the platform sends us ----------------------------

    def violation(self, text: str) -> None:
        self.violations.append(text)

    def caller(self, request: Request, *, functional: bool) -> str | None:
        """The token the request carries, if we accept it here; records violations."""
        for header in ("X-Request-ID", "X-Correlation-ID"):
            if not request.headers.get(header):
                self.violation(f"{request.method} {request.url.path}: no {header}")
        header = request.headers.get("Authorization", "")
        if not header.startswith("Token "):
            self.violation(f"{request.method} {request.url.path}: Authorization is not 'Token ...'")
            return None
        try:
            token = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            self.violation(f"{request.method} {request.url.path}: the token is not base64 (2.2.1 requires it)")
            return None
        scope = self.incoming.get(token)
        if scope is None or (functional and scope != "full"):
            return None
        if functional:
            self.check_routing(request)
        return token

    def check_routing(self, request: Request) -> None:
        sender = (request.headers.get("OCPI-from-country-code"), request.headers.get("OCPI-from-party-id"))
        receiver = (request.headers.get("OCPI-to-country-code"), request.headers.get("OCPI-to-party-id"))
        known = {(r["country_code"], r["party_id"]) for r in self.their_roles}
        if sender not in known:
            self.violation(f"{request.method} {request.url.path}: OCPI-from {sender} is none of {known}")
        if receiver != (self.country_code, self.party_id):
            self.violation(f"{request.method} {request.url.path}: OCPI-to {receiver} is not us")

    def answer(
        self, request: Request, data: Any = None, status_code: int = 1000, http_status: int = 200, message: str = ""
    ) -> JSONResponse:
        body: dict[str, Any] = {"status_code": status_code, "timestamp": now()}
        if data is not None:
            body["data"] = data
        if message:
            body["status_message"] = message
        headers = {
            "X-Request-ID": request.headers.get("X-Request-ID", str(uuid.uuid4())),
            "X-Correlation-ID": request.headers.get("X-Correlation-ID", str(uuid.uuid4())),
        }
        return JSONResponse(body, status_code=http_status, headers=headers)

    def unauthorized(self, request: Request) -> JSONResponse:
        return self.answer(request, None, 2000, 401, "unknown token")

    # -- calling the platform ------------------------------------------------------------

    def check_envelope(self, what: str, response: httpx.Response) -> dict[str, Any]:
        for header in ("X-Request-ID", "X-Correlation-ID"):
            if not response.headers.get(header):
                self.violation(f"{what}: answer without {header}")
        try:
            body = response.json()
        except ValueError:
            self.violation(f"{what}: answer is not JSON ({response.status_code})")
            return {}
        if not isinstance(body.get("status_code"), int) or not DATETIME.match(str(body.get("timestamp"))):
            self.violation(f"{what}: answer is not an OCPI envelope: {body}")
        return dict(body)

    async def call(
        self,
        method: str,
        url: str,
        *,
        token: str | None = None,
        body: Any = None,
        params: dict[str, Any] | None = None,
        functional: bool = False,
        to: tuple[str, str] | None = None,
    ) -> tuple[httpx.Response, dict[str, Any]]:
        request_id = str(uuid.uuid4())
        headers = {
            "Authorization": encode(token or self.outgoing_token or ""),
            "X-Request-ID": request_id,
            "X-Correlation-ID": str(uuid.uuid4()),
        }
        if functional:
            headers["OCPI-from-country-code"], headers["OCPI-from-party-id"] = self.country_code, self.party_id
            if to is not None:
                headers["OCPI-to-country-code"], headers["OCPI-to-party-id"] = to
        response = await self.http.request(method, url, json=body, params=params, headers=headers)
        envelope = self.check_envelope(f"{method} {url}", response)
        if response.headers.get("X-Request-ID") != request_id:
            self.violation(f"{method} {url}: X-Request-ID not echoed")
        if functional:  # a direct response goes TO the requesting party FROM the receiving one (4.1.8.6)
            answered_to = (response.headers.get("OCPI-to-country-code"), response.headers.get("OCPI-to-party-id"))
            if answered_to != (self.country_code, self.party_id):
                self.violation(f"{method} {url}: answer OCPI-to {answered_to} is not us")
            answered_from = (response.headers.get("OCPI-from-country-code"), response.headers.get("OCPI-from-party-id"))
            if to is not None and answered_from != to:
                self.violation(f"{method} {url}: answer OCPI-from {answered_from} is not {to}")
        return response, envelope

    def endpoint(self, module: str, role: str) -> str:
        for e in self.their_endpoints:
            if e["identifier"] == module and (module == "credentials" or e["role"] == role):
                return str(e["url"])
        raise LookupError(f"the platform has no {module} {role} endpoint")

    def credentials(self, token: str) -> dict[str, Any]:
        return {
            "token": token,
            "url": f"{self.base_url}/ocpi/versions",
            "roles": [
                {
                    "role": self.role,
                    "party_id": self.party_id,
                    "country_code": self.country_code,
                    "business_details": {"name": self.name},
                }
            ],
        }

    async def discover(self, versions_url: str, token: str) -> None:
        """GET versions, pick 2.2.1, GET its details (with `token`)."""
        response, envelope = await self.call("GET", versions_url, token=token)
        if response.status_code != 200:
            raise RuntimeError(f"versions: HTTP {response.status_code} {envelope}")
        chosen = [v for v in envelope["data"] if v["version"] == VERSION]
        if not chosen:
            raise RuntimeError(f"no {VERSION} in {envelope['data']}")
        response, envelope = await self.call("GET", chosen[0]["url"], token=token)
        if response.status_code != 200:
            raise RuntimeError(f"version details: HTTP {response.status_code} {envelope}")
        self.their_versions_url, self.their_version = versions_url, VERSION
        self.their_endpoints = envelope["data"]["endpoints"]

    def adopt(self, credentials: dict[str, Any]) -> None:
        for field in ("token", "url", "roles"):
            if field not in credentials:
                self.violation(f"credentials without {field}: {credentials}")
        token = str(credentials.get("token", ""))
        if not re.fullmatch(r"[!-~]{1,64}", token):
            self.violation(f"credentials token {token!r} is not 1-64 printable non-whitespace ASCII")
        self.outgoing_token = token
        self.their_roles = list(credentials.get("roles", []))

    async def register_at(self, versions_url: str, token_a: str) -> dict[str, Any]:
        """We are the Sender of the credentials exchange (7.1.1)."""
        await self.discover(versions_url, token_a)
        token_b = secrets.token_hex(16)
        self.incoming[token_b] = "full"  # the platform calls our versions with it during the POST
        response, envelope = await self.call(
            "POST", self.endpoint("credentials", "SENDER"), token=token_a, body=self.credentials(token_b)
        )
        if response.status_code != 200 or envelope.get("status_code") != 1000:
            self.incoming.pop(token_b, None)
            return {"ok": False, "http_status": response.status_code, "envelope": envelope}
        self.adopt(envelope["data"])
        self.registered = True
        return {"ok": True, "token_c": self.outgoing_token}

    async def update_at(self) -> dict[str, Any]:
        assert self.their_versions_url and self.outgoing_token
        await self.discover(self.their_versions_url, self.outgoing_token)
        new_token = secrets.token_hex(16)
        old = [t for t, s in self.incoming.items() if s == "full"]
        self.incoming[new_token] = "full"
        response, envelope = await self.call(
            "PUT", self.endpoint("credentials", "SENDER"), body=self.credentials(new_token)
        )
        if response.status_code != 200 or envelope.get("status_code") != 1000:
            self.incoming.pop(new_token, None)
            return {"ok": False, "http_status": response.status_code, "envelope": envelope}
        for t in old:
            self.incoming.pop(t, None)
        self.adopt(envelope["data"])
        return {"ok": True}

    async def unregister_at(self) -> dict[str, Any]:
        response, envelope = await self.call("DELETE", self.endpoint("credentials", "SENDER"))
        self.registered = False
        self.incoming.clear()
        return {"ok": response.status_code == 200, "http_status": response.status_code, "envelope": envelope}

    # -- our configuration modules -------------------------------------------------------

    async def versions(self, request: Request) -> Response:
        if self.caller(request, functional=False) is None:
            return self.unauthorized(request)
        return self.answer(request, [{"version": VERSION, "url": f"{self.base_url}/ocpi/{VERSION}"}])

    async def details(self, request: Request) -> Response:
        if self.caller(request, functional=False) is None:
            return self.unauthorized(request)
        endpoints = [
            {"identifier": "credentials", "role": "SENDER", "url": f"{self.base_url}/ocpi/{VERSION}/credentials"}
        ]
        endpoints += [{"identifier": m, "role": r, "url": f"{self.base_url}{p}"} for m, r, p in self.modules]
        return self.answer(request, {"version": VERSION, "endpoints": endpoints})

    async def credentials_module(self, request: Request) -> Response:
        token = self.caller(request, functional=False)
        if token is None:
            return self.unauthorized(request)
        if request.method == "GET":
            return self.answer(request, self.credentials(token))
        if request.method == "DELETE":
            if not self.registered:
                return self.answer(request, None, 2000, 405, "not registered")
            self.registered = False
            self.incoming.clear()
            return self.answer(request)
        registering = request.method == "POST"
        if registering == self.registered:
            return self.answer(request, None, 2000, 405, "already registered" if registering else "not registered")
        theirs = await request.json()
        try:
            # The platform's new token for us; we fetch its endpoints with it (7.2.2/7.2.3).
            await self.discover(theirs["url"], theirs["token"])
        except (RuntimeError, KeyError, httpx.HTTPError) as exc:
            return self.answer(request, None, 3001, 200, f"cannot use your API: {exc}")
        self.adopt(theirs)
        if token in self.incoming:
            del self.incoming[token]  # token A (or the previous token C) is no longer valid
        token_c = secrets.token_hex(16)
        self.incoming[token_c] = "full"
        self.registered = True
        return self.answer(request, self.credentials(token_c))

    # -- control API for tests -----------------------------------------------------------

    async def control(self, request: Request) -> Response:
        action = request.path_params["action"]
        body = await request.json() if request.method == "POST" else {}
        handler = self.controls.get(action)
        if handler is None:
            return JSONResponse({"error": f"unknown control {action}"}, status_code=404)
        try:
            result = await handler(body)
        except (httpx.HTTPError, RuntimeError, LookupError) as exc:
            return JSONResponse({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, status_code=500)
        return JSONResponse(result)

    @property
    def controls(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]:
        return {
            "register": lambda b: self.register_at(b["versions_url"], b["token"]),
            "update": lambda b: self.update_at(),
            "unregister": lambda b: self.unregister_at(),
            "issue-token-a": self._issue_token_a,
            "state": self._state,
            "fail": self._fail,
            "request": self._request,
            **self.extra_controls(),
        }

    def extra_controls(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]:
        return {}

    async def _issue_token_a(self, body: dict[str, Any]) -> dict[str, Any]:
        token_a = secrets.token_hex(16)
        self.incoming[token_a] = "A"
        return {"token": token_a, "versions_url": f"{self.base_url}/ocpi/versions"}

    async def _request(self, body: dict[str, Any]) -> dict[str, Any]:
        """Any call to one of the platform's endpoints: {method, module, role, path, body, params}."""
        url = self.endpoint(body["module"], body.get("role", "SENDER")).rstrip("/") + body.get("path", "")
        functional = body["module"] not in ("credentials", "hubclientinfo")
        to = None
        if functional:
            cpo = [r for r in self.their_roles if r["role"] == "CPO"] or self.their_roles
            to = (cpo[0]["country_code"], cpo[0]["party_id"])
        response, envelope = await self.call(
            body.get("method", "GET"),
            url,
            body=body.get("body"),
            params=body.get("params"),
            functional=functional,
            to=to,
        )
        return {"http_status": response.status_code, "envelope": envelope, "headers": dict(response.headers)}

    async def _fail(self, body: dict[str, Any]) -> dict[str, Any]:
        self.fail_with = body.get("http_status")
        return {"ok": True}

    async def _state(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "registered": self.registered,
            "version": self.their_version,
            "endpoints": self.their_endpoints,
            "roles": self.their_roles,
            "violations": self.violations,
            "received": self.received,
            "chargeplane_imported": any(m == "chargeplane" or m.startswith("chargeplane.") for m in sys.modules),
            **self.extra_state(),
        }

    def extra_state(self) -> dict[str, Any]:
        return {}

    def app(self) -> Starlette:
        routes = [
            Route("/ocpi/versions", self.versions, methods=["GET"]),
            Route(f"/ocpi/{VERSION}", self.details, methods=["GET"]),
            Route(f"/ocpi/{VERSION}/credentials", self.credentials_module, methods=["GET", "POST", "PUT", "DELETE"]),
            Route("/control/{action}", self.control, methods=["GET", "POST"]),
            *self.routes,
        ]
        return Starlette(routes=routes)


def serve(party: Party) -> None:
    """`python -m tests.ocpi.peer.<role> --port N`: prints `listening on <url>` when ready."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    party.base_url = f"http://127.0.0.1:{args.port}"
    config = uvicorn.Config(party.app(), host="127.0.0.1", port=args.port, log_level="warning")
    server = uvicorn.Server(config)
    original = server.startup

    async def startup(sockets: Any = None) -> None:
        await original(sockets)
        print(f"listening on {party.base_url}", flush=True)

    server.startup = startup  # type: ignore[method-assign]
    server.run()
