"""HubClientInfo (2.2.1 chapter 15): a hub pushes ClientInfo objects to our receiver; our
sender lists the parties we are connected to with their connection status."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chargeplane.pb.ocpi.v1 import ocpi_pb2 as pb

from .cpo_setup import registered_emsp

if TYPE_CHECKING:
    from chargeplane.pb.ocpi.v1.ocpi_pb2_grpc import OcpiServiceAsyncStub


async def test_client_info_in_both_directions(ocpi_admin: OcpiServiceAsyncStub) -> None:
    await ocpi_admin.CreatePartner(pb.CreatePartnerRequest(name="planned-one"))
    async with registered_emsp(ocpi_admin) as (p, _):
        info = {"party_id": "ABC", "country_code": "BE", "role": "EMSP", "status": "CONNECTED",
                "last_updated": "2026-01-01T10:00:00Z"}  # fmt: skip
        put = await p.control(
            "request", method="PUT", module="hubclientinfo", role="RECEIVER", path="/BE/ABC", body=info
        )
        assert (put["http_status"], put["envelope"]["status_code"]) == (201, 1000)
        got = await p.control("request", module="hubclientinfo", role="RECEIVER", path="/be/abc")
        assert got["envelope"]["data"] == info
        older = {**info, "status": "OFFLINE", "last_updated": "2025-01-01T10:00:00Z"}
        await p.control("request", method="PUT", module="hubclientinfo", role="RECEIVER", path="/BE/ABC", body=older)
        got = await p.control("request", module="hubclientinfo", role="RECEIVER", path="/BE/ABC")
        assert got["envelope"]["data"]["status"] == "CONNECTED"  # an older update does not win
        mismatch = await p.control(
            "request", method="PUT", module="hubclientinfo", role="RECEIVER", path="/BE/XYZ", body=info
        )
        assert (mismatch["http_status"], mismatch["envelope"]["status_code"]) == (400, 2001)
        missing = await p.control("request", module="hubclientinfo", role="RECEIVER", path="/BE/QQQ")
        assert missing["http_status"] == 404
        # No routing headers on a configuration module.
        assert not any(h.lower().startswith("ocpi-") for h in got["headers"])

        listed = await p.control("request", module="hubclientinfo", role="SENDER", params={"limit": 10})
        assert listed["http_status"] == 200 and listed["headers"]["x-total-count"] == "1"
        (ours,) = listed["envelope"]["data"]
        assert (ours["country_code"], ours["party_id"], ours["role"], ours["status"]) == (
            "NL",
            "EMS",
            "EMSP",
            "CONNECTED",
        )
        assert (await p.state())["violations"] == []
