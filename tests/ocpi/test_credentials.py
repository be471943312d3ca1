"""Credentials and registration in both directions (2.2.1 chapter 7), against independent
peers: they register at us, we register at them; update (PUT) and unregistration (DELETE)
from either side. Tokens never appear in logs or in the admin API."""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any

import grpc
import httpx
import pytest

from chargeplane.pb.ocpi.v1 import ocpi_pb2 as pb
from chargeplane.runtime.components import AllInOne

from .conftest import token_header
from .peers import Peer, peer

if TYPE_CHECKING:
    from chargeplane.pb.ocpi.v1.ocpi_pb2_grpc import OcpiServiceAsyncStub


async def versions_status(http: httpx.AsyncClient, token: str) -> int:
    return (await http.get("/ocpi/versions", headers=token_header(token))).status_code


async def no_violations(p: Peer) -> dict[str, Any]:
    state = await p.state()
    assert state["violations"] == [], state["violations"]
    return state


@pytest.mark.parametrize("role", ["emsp", "cpo"])
async def test_peer_registers_updates_and_unregisters(
    role: str,
    allinone: AllInOne,
    ocpi_admin: OcpiServiceAsyncStub,
    ocpi_http: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    created = await ocpi_admin.CreatePartner(pb.CreatePartnerRequest(name=f"peer-{role}"))
    partner_id = created.partner.id
    async with peer(role) as p:
        result = await p.control("register", versions_url=created.versions_url, token=created.token_a)
        assert result["ok"], result
        token_c = result["token_c"]
        partner = (await ocpi_admin.GetPartner(pb.GetPartnerRequest(partner_id=partner_id))).partner
        assert partner.state == pb.PARTNER_STATE_REGISTERED and partner.version == "2.2.1"
        expected_role = "EMSP" if role == "emsp" else "CPO"
        assert [(r.role, r.country_code) for r in partner.roles] == [(expected_role, "NL" if role == "emsp" else "DE")]
        assert partner.versions_url == p.versions_url
        assert {e.module for e in partner.endpoints} >= {"credentials", "locations", "tokens"}
        state = await no_violations(p)
        assert state["registered"] and [r["role"] for r in state["roles"]] == ["CPO"]
        # Token A is gone; token C opens everything.
        assert await versions_status(ocpi_http, created.token_a) == 401
        assert await versions_status(ocpi_http, token_c) == 200
        # Stored: the hash of the token they present, the token we present encrypted.
        row = await allinone.pool.fetchrow(
            "SELECT token_hash, peer_token FROM ocpi_partners WHERE id = $1::uuid", partner_id
        )
        assert row is not None and row["token_hash"] == hashlib.sha256(token_c.encode()).hexdigest()
        assert len(row["peer_token"]) > 28 and token_c.encode() not in row["peer_token"]
        # A second registration of a registered party: 405 (7.2.2).
        again = await ocpi_http.post(
            "/ocpi/2.2.1/credentials",
            headers=token_header(token_c),
            json={"token": "x", "url": p.versions_url, "roles": state["roles"]},
        )
        assert again.status_code == 405 and again.json()["status_code"] == 2000

        assert (await p.control("update"))["ok"]
        assert await versions_status(ocpi_http, token_c) == 401  # replaced by a new token C
        await no_violations(p)

        assert (await p.control("unregister"))["ok"]
        partner = (await ocpi_admin.GetPartner(pb.GetPartnerRequest(partner_id=partner_id))).partner
        assert partner.state == pb.PARTNER_STATE_UNREGISTERED
        await no_violations(p)
    assert created.token_a not in caplog.text and token_c not in caplog.text


@pytest.mark.parametrize("role", ["emsp", "cpo"])
async def test_we_register_update_and_unregister_at_the_peer(
    role: str, ocpi_admin: OcpiServiceAsyncStub, allinone: AllInOne, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with peer(role) as p:
        offered = await p.control("issue-token-a")
        reply = await ocpi_admin.RegisterAtPartner(
            pb.RegisterAtPartnerRequest(
                name=f"at-{role}", versions_url=offered["versions_url"], token_a=offered["token"]
            )
        )
        partner = reply.partner
        assert partner.state == pb.PARTNER_STATE_REGISTERED and partner.versions_url == offered["versions_url"]
        state = await no_violations(p)
        assert state["registered"] and state["version"] == "2.2.1"
        ours = state["roles"][0]
        assert (ours["role"], ours["country_code"], ours["party_id"]) == (
            "CPO",
            allinone.settings.ocpi_country_code,
            allinone.settings.ocpi_party_id,
        )
        assert {e["identifier"] for e in state["endpoints"]} >= {"credentials", "locations", "tokens"}

        updated = await ocpi_admin.UpdatePartnerCredentials(pb.UpdatePartnerCredentialsRequest(partner_id=partner.id))
        assert updated.partner.state == pb.PARTNER_STATE_REGISTERED
        await no_violations(p)

        gone = await ocpi_admin.UnregisterPartner(pb.UnregisterPartnerRequest(partner_id=partner.id))
        assert gone.partner.state == pb.PARTNER_STATE_UNREGISTERED
        state = await no_violations(p)
        assert not state["registered"]
    assert offered["token"] not in caplog.text


async def test_failed_registration_says_why(ocpi_admin: OcpiServiceAsyncStub) -> None:
    async with peer("emsp") as p:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await ocpi_admin.RegisterAtPartner(
                pb.RegisterAtPartnerRequest(name="wrong", versions_url=p.versions_url, token_a="not-their-token")
            )
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "OCPI 3001" in (err.value.details() or "")
        partner = (await ocpi_admin.ListPartners(pb.ListPartnersRequest())).partners[0]
        assert partner.state == pb.PARTNER_STATE_PLANNED
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await ocpi_admin.RegisterAtPartner(
            pb.RegisterAtPartnerRequest(name="gone", versions_url="http://127.0.0.1:9/ocpi/versions", token_a="t")
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await ocpi_admin.RegisterAtPartner(pb.RegisterAtPartnerRequest(name="x", versions_url="ftp://x", token_a="t"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_token_a_can_be_reissued_until_registered(
    ocpi_admin: OcpiServiceAsyncStub, ocpi_http: httpx.AsyncClient
) -> None:
    created = await ocpi_admin.CreatePartner(pb.CreatePartnerRequest(name="late"))
    again = await ocpi_admin.IssueTokenA(pb.IssueTokenARequest(partner_id=created.partner.id))
    assert await versions_status(ocpi_http, created.token_a) == 401
    assert await versions_status(ocpi_http, again.token_a) == 200
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await ocpi_admin.CreatePartner(pb.CreatePartnerRequest(name="late"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
