"""Our HTTP client for partners' OCPI APIs (httpx): headers, envelopes, typed failures.

Every request carries `Authorization: Token <base64>`, a fresh X-Request-ID, an
X-Correlation-ID (given, to tie retries together, or fresh) and, for functional modules,
the routing headers. Redirects are not followed (the token would go along). A failure is
a PeerError that says whether the partner could not be reached or answered with an error.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from chargeplane.domain.ocpi.enums import StatusCode
from chargeplane.domain.ocpi.locations import Party
from chargeplane.domain.ocpi.models import Credentials, Version, VersionDetails

from .credential_tokens import encode_header
from .middleware import CORRELATION_ID, FROM_COUNTRY, FROM_PARTY, REQUEST_ID, TO_COUNTRY, TO_PARTY

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 16 * 1024 * 1024


class PeerError(Exception):
    """A partner call failed. `reachable` is False for network errors and timeouts."""

    def __init__(
        self, message: str, *, reachable: bool, http_status: int | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.reachable = reachable
        self.http_status = http_status
        self.status_code = status_code

    @property
    def server_side(self) -> bool:
        """Unreachable, 5xx or an OCPI 3xxx: worth retrying later."""
        if not self.reachable:
            return True
        if self.http_status is not None and self.http_status >= 500:
            return True
        return self.status_code is not None and 3000 <= self.status_code < 4000


@dataclass(frozen=True, slots=True)
class Routing:
    """OCPI-from/to headers of a functional-module request."""

    sender: Party
    receiver: Party | None


@dataclass(frozen=True, slots=True)
class Reply:
    http_status: int
    status_code: int | None
    data: Any


class OcpiClient:
    def __init__(self, timeout: float) -> None:
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
            headers={"User-Agent": "chargeplane-ocpi/2.2.1"},
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def request(
        self,
        method: str,
        url: str,
        token: str,
        *,
        body: Any = None,
        params: dict[str, str] | None = None,
        routing: Routing | None = None,
        correlation_id: str | None = None,
        accept_404: bool = False,
        timeout: float | None = None,
    ) -> Reply:
        headers = {
            "Authorization": encode_header(token),
            REQUEST_ID: str(uuid.uuid4()),
            CORRELATION_ID: correlation_id or str(uuid.uuid4()),
        }
        if routing is not None:
            headers[FROM_COUNTRY], headers[FROM_PARTY] = routing.sender.country_code, routing.sender.party_id
            if routing.receiver is not None:
                headers[TO_COUNTRY], headers[TO_PARTY] = routing.receiver.country_code, routing.receiver.party_id
        try:
            response = await self._http.request(
                method,
                url,
                json=body,
                params=params,
                headers=headers,
                timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
            )
        except httpx.HTTPError as exc:
            # The exception text names the URL at most, never the headers.
            raise PeerError(f"{method} {url}: {type(exc).__name__}: {exc}", reachable=False) from None
        return self._reply(method, url, response, accept_404)

    def _reply(self, method: str, url: str, response: httpx.Response, accept_404: bool) -> Reply:
        status_code: int | None = None
        data: Any = None
        if response.content and len(response.content) <= MAX_RESPONSE_BYTES:
            try:
                payload = response.json()
            except ValueError:
                payload = None
            if isinstance(payload, dict):
                raw_code = payload.get("status_code")
                status_code = raw_code if isinstance(raw_code, int) else None
                data = payload.get("data")
        if response.status_code == 404 and accept_404:
            return Reply(response.status_code, status_code, data)
        if response.status_code >= 300:
            raise PeerError(
                f"{method} {url}: HTTP {response.status_code}" + (f", OCPI {status_code}" if status_code else ""),
                reachable=True,
                http_status=response.status_code,
                status_code=status_code,
            )
        if status_code is not None and not 1000 <= status_code < 2000:
            raise PeerError(
                f"{method} {url}: OCPI status {status_code}",
                reachable=True,
                http_status=response.status_code,
                status_code=status_code,
            )
        return Reply(response.status_code, status_code, data)

    async def versions(self, url: str, token: str) -> list[Version]:
        reply = await self.request("GET", url, token)
        versions: list[Version] = _parse(list[Version], reply.data, url)
        return versions

    async def version_details(self, url: str, token: str) -> VersionDetails:
        reply = await self.request("GET", url, token)
        details: VersionDetails = _parse(VersionDetails, reply.data, url)
        return details

    async def credentials(self, method: str, url: str, token: str, ours: Credentials | None) -> Credentials | None:
        body = ours.model_dump(mode="json", exclude_none=True) if ours is not None else None
        reply = await self.request(method, url, token, body=body)
        if method == "DELETE":
            return None
        credentials: Credentials = _parse(Credentials, reply.data, url)
        return credentials


def _parse(model: Any, data: Any, url: str) -> Any:
    try:
        parsed = TypeAdapter(model).validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PeerError(
            f"{url}: the answer is not a valid OCPI object ({where}: {first['msg']})",
            reachable=True,
            status_code=int(StatusCode.UNABLE_TO_USE_CLIENT_API),
        ) from None
    if isinstance(parsed, BaseModel | list):
        return parsed
    raise PeerError(f"{url}: unexpected answer", reachable=True)
