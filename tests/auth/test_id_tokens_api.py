"""REST /v1/id-tokens: CRUD and bulk import with per-row errors; Authorize sees every change."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from chargeplane.pb.auth.v1 import auth_pb2 as pb

if TYPE_CHECKING:  # the grpc.aio stub type exists in the .pyi only
    from chargeplane.pb.auth.v1.auth_pb2_grpc import AuthServiceAsyncStub


async def _status(auth: AuthServiceAsyncStub, token: str, cp: str = "CP-1") -> int:
    reply = await auth.Authorize(pb.AuthorizeRequest(charge_point_id=cp, id_token=token))
    return int(reply.status)


async def test_crud(http: httpx.AsyncClient, auth: AuthServiceAsyncStub) -> None:
    created = await http.put("/v1/id-tokens/CARD-1", json={"type": "ISO14443", "group_id": "FLEET"})
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "Accepted"
    assert await _status(auth, "CARD-1") == pb.AUTHORIZATION_STATUS_ACCEPTED
    updated = await http.put("/v1/id-tokens/CARD-1", json={"status": "Blocked"})
    assert updated.status_code == 200
    assert await _status(auth, "CARD-1") == pb.AUTHORIZATION_STATUS_BLOCKED  # cache invalidated
    got = (await http.get("/v1/id-tokens/CARD-1")).json()
    assert got["status"] == "Blocked" and got["type"] == "Central"  # PUT replaces the whole token
    assert (await http.delete("/v1/id-tokens/CARD-1")).status_code == 204
    assert (await http.delete("/v1/id-tokens/CARD-1")).status_code == 204
    missing = await http.get("/v1/id-tokens/CARD-1")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
    assert await _status(auth, "CARD-1") == pb.AUTHORIZATION_STATUS_INVALID
    bad = await http.put("/v1/id-tokens/CARD-2", json={"status": "Maybe"})
    assert bad.status_code in (400, 422)
    naive = await http.put("/v1/id-tokens/CARD-3", json={"expiry": "2030-01-01T00:00:00"})
    assert naive.status_code == 400 and "UTC offset" in naive.json()["detail"]
    assert (await http.get("/v1/id-tokens", headers={"Authorization": "Bearer nope"})).status_code == 401


async def test_csv_import_reports_bad_rows_and_stores_good_ones(
    http: httpx.AsyncClient, auth: AuthServiceAsyncStub
) -> None:
    csv_text = (
        "id_token,type,status,expiry,group_id,sites,charge_points\n"
        "A1,ISO14443,Accepted,,FLEET,,\n"
        "A2,KeyCode,Blocked,2030-01-01T00:00:00Z,,site-1;site-2,\n"
        ",Central,Accepted,,,,\n"  # row 3: no id_token
        "A4,Bogus,Accepted,,,,\n"  # row 4: unknown type
        "A5,Central,Accepted,not-a-date,,,\n"  # row 5: bad expiry
        "A1,Central,Blocked,,,,\n"  # row 6: repeats row 1
        "A7,Central,Accepted,,,,,extra\n"  # row 7: too many fields
        "A8,,,,,,CP-1;CP-2\n"
    )
    reply = await http.post("/v1/id-tokens/import", content=csv_text, headers={"Content-Type": "text/csv"})
    assert reply.status_code == 200, reply.text
    result = reply.json()
    assert (result["created"], result["updated"]) == (3, 0)
    assert [e["row"] for e in result["errors"]] == [3, 4, 5, 6, 7]
    assert "id_token" in result["errors"][0]["message"]
    assert "type" in result["errors"][1]["message"]
    assert "expiry" in result["errors"][2]["message"]
    assert "repeats row 1" in result["errors"][3]["message"]
    a2 = (await http.get("/v1/id-tokens/A2")).json()
    assert a2["sites"] == ["site-1", "site-2"] and a2["status"] == "Blocked"
    assert await _status(auth, "A8", "CP-2") == pb.AUTHORIZATION_STATUS_ACCEPTED
    assert await _status(auth, "A8", "CP-9") == pb.AUTHORIZATION_STATUS_NOT_AT_THIS_LOCATION
    page1 = (await http.get("/v1/id-tokens", params={"limit": 2})).json()
    page2 = (await http.get("/v1/id-tokens", params={"limit": 2, "cursor": page1["next_cursor"]})).json()
    assert [t["id_token"] for t in page1["items"] + page2["items"]] == ["A1", "A2", "A8"]
    assert page2["next_cursor"] is None


async def test_json_import(http: httpx.AsyncClient) -> None:
    body = [{"id_token": "J1"}, {"id_token": "J2", "status": "Expired"}, {"id_token": "x" * 40}, "nope"]
    result = (await http.post("/v1/id-tokens/import", json=body)).json()
    assert (result["created"], result["updated"]) == (2, 0)
    assert [e["row"] for e in result["errors"]] == [3, 4]
    again = (await http.post("/v1/id-tokens/import", json=body[:2])).json()
    assert (again["created"], again["updated"], again["errors"]) == (0, 2, [])
    assert (
        await http.post("/v1/id-tokens/import", content="{", headers={"Content-Type": "application/json"})
    ).status_code == 400
    assert (
        await http.post("/v1/id-tokens/import", content="x", headers={"Content-Type": "text/plain"})
    ).status_code == 415
