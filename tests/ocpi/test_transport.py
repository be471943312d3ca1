"""Transport and format (2.2.1 chapter 4): the Authorization header, the envelope, unique
message ids, and errors that never leave the envelope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from chargeplane.domain.ocpi.datetimes import parse_datetime
from chargeplane.pb.ocpi.v1 import ocpi_pb2 as pb

from .conftest import token_header

if TYPE_CHECKING:
    from chargeplane.pb.ocpi.v1.ocpi_pb2_grpc import OcpiServiceAsyncStub


def envelope(response: httpx.Response, http_status: int, status_code: int) -> Any:
    assert response.status_code == http_status, response.text
    body = response.json()
    assert body["status_code"] == status_code, body
    parse_datetime(body["timestamp"])
    assert response.headers["X-Request-ID"] and response.headers["X-Correlation-ID"]
    return body.get("data")


async def test_token_a_opens_versions_only(ocpi_admin: OcpiServiceAsyncStub, ocpi_http: httpx.AsyncClient) -> None:
    created = await ocpi_admin.CreatePartner(pb.CreatePartnerRequest(name="emsp-1"))
    assert created.token_a and created.versions_url.endswith("/ocpi/versions")
    assert created.partner.state == pb.PARTNER_STATE_PLANNED

    versions = envelope(await ocpi_http.get("/ocpi/versions", headers=token_header(created.token_a)), 200, 1000)
    assert [v["version"] for v in versions] == ["2.2.1"]
    # The un-encoded form of 2.1.1/2.2 peers is accepted too.
    details = envelope(
        await ocpi_http.get(versions[0]["url"], headers=token_header(created.token_a, encode=False)), 200, 1000
    )
    modules = {(e["identifier"], e["role"]) for e in details["endpoints"]}
    assert {("credentials", "SENDER"), ("locations", "SENDER"), ("tokens", "RECEIVER")} <= modules
    assert {("hubclientinfo", "RECEIVER"), ("hubclientinfo", "SENDER")} <= modules
    locations = next(e["url"] for e in details["endpoints"] if e["identifier"] == "locations")
    # Token A on a functional module: 401 (transport chapter 4.1.2).
    envelope(await ocpi_http.get(locations, headers=token_header(created.token_a)), 401, 2000)


async def test_missing_or_unknown_token_is_401_with_envelope(ocpi_http: httpx.AsyncClient) -> None:
    envelope(await ocpi_http.get("/ocpi/versions"), 401, 2000)
    envelope(await ocpi_http.get("/ocpi/versions", headers=token_header("nope")), 401, 2000)
    envelope(await ocpi_http.get("/ocpi/versions", headers={"Authorization": "Bearer x"}), 401, 2000)


async def test_ids_are_echoed_or_generated(ocpi_http: httpx.AsyncClient) -> None:
    response = await ocpi_http.get("/ocpi/versions", headers={"X-Request-ID": "req-1", "X-Correlation-ID": "cor-1"})
    assert (response.headers["X-Request-ID"], response.headers["X-Correlation-ID"]) == ("req-1", "cor-1")
    other = await ocpi_http.get("/ocpi/versions")
    assert other.headers["X-Request-ID"] != other.headers["X-Correlation-ID"]


async def test_errors_keep_the_envelope(ocpi_admin: OcpiServiceAsyncStub, ocpi_http: httpx.AsyncClient) -> None:
    token = (await ocpi_admin.CreatePartner(pb.CreatePartnerRequest(name="emsp-2"))).token_a
    envelope(await ocpi_http.get("/ocpi/nowhere", headers=token_header(token)), 404, 2000)
    envelope(await ocpi_http.patch("/ocpi/versions", headers=token_header(token)), 405, 2000)
    bad_json = await ocpi_http.post(
        "/ocpi/2.2.1/credentials",
        headers={**token_header(token), "Content-Type": "application/json"},
        content=b"{not json",
    )
    envelope(bad_json, 400, 2001)
    missing = await ocpi_http.post("/ocpi/2.2.1/credentials", headers=token_header(token), json={"token": "x"})
    assert "url" in envelope_message(missing, 400, 2001)


def envelope_message(response: httpx.Response, http_status: int, status_code: int) -> str:
    envelope(response, http_status, status_code)
    message: str = response.json()["status_message"]
    return message


async def test_registration_with_an_unusable_api_is_answered_3001(
    ocpi_admin: OcpiServiceAsyncStub, ocpi_http: httpx.AsyncClient
) -> None:
    created = await ocpi_admin.CreatePartner(pb.CreatePartnerRequest(name="broken"))
    role = {"role": "EMSP", "party_id": "BRK", "country_code": "NL", "business_details": {"name": "Broken"}}
    body = {"token": "their-token-b", "url": "http://127.0.0.1:9/ocpi/versions", "roles": [role]}
    answer = await ocpi_http.post("/ocpi/2.2.1/credentials", headers=token_header(created.token_a), json=body)
    # Valid JSON to an existing resource: no HTTP error, the OCPI status says it (7.1.5).
    assert envelope_message(answer, 200, 3001)
    partner = (await ocpi_admin.GetPartner(pb.GetPartnerRequest(partner_id=created.partner.id))).partner
    assert partner.state == pb.PARTNER_STATE_PLANNED
    assert (await ocpi_http.get("/ocpi/versions", headers=token_header(created.token_a))).status_code == 200
