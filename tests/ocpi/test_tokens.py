"""Tokens (2.2.1 chapter 12), CPO side: the eMSP's tokens pushed to our receiver, and the
authorization of a roaming token presented at our charger (whitelist types, real-time
authorization at the eMSP with a cache, the fallback when the eMSP is down)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chargeplane.pb.ocpi.v1 import ocpi_pb2 as pb
from chargeplane.runtime.components import AllInOne
from tests.eventually import eventually

from .cpo_setup import install, registered_emsp, registry_of

if TYPE_CHECKING:
    from chargeplane.pb.ocpi.v1.ocpi_pb2_grpc import OcpiServiceAsyncStub


async def test_tokens_pushed_by_the_emsp_are_stored(ocpi_admin: OcpiServiceAsyncStub) -> None:
    async with registered_emsp(ocpi_admin) as (p, _):
        token = await p.control("add-token", uid="04A1B2C3", whitelist="ALLOWED", group_id="G-1")
        first = await p.control("push-token", uid="04A1B2C3")
        assert (first["http_status"], first["envelope"]["status_code"]) == (201, 1000)
        again = await p.control("push-token", uid="04A1B2C3")
        assert again["http_status"] == 200
        got = await p.control("get-token", uid="04a1b2c3")  # uid is a CiString
        assert got["http_status"] == 200
        stored = got["envelope"]["data"]
        assert {k: stored[k] for k in ("uid", "type", "contract_id", "group_id", "whitelist", "valid")} == {
            k: token[k] for k in ("uid", "type", "contract_id", "group_id", "whitelist", "valid")
        }
        patched = await p.control("patch-token", uid="04A1B2C3", changes={"valid": False})
        assert patched["http_status"] == 200
        assert (await p.control("get-token", uid="04A1B2C3"))["envelope"]["data"]["valid"] is False

        # Someone else's tokens are not visible; an id that differs from the URL is refused.
        other = await p.control("get-token", uid="04A1B2C3", party="DE/XXX")
        assert other["http_status"] == 404
        mismatch = await p.control("push-token", uid="04A1B2C3", override={**token, "uid": "OTHER"})
        assert (mismatch["http_status"], mismatch["envelope"]["status_code"]) == (400, 2001)
        unknown = await p.control("get-token", uid="NOPE")
        assert (unknown["http_status"], unknown["envelope"]["status_code"]) == (404, 2004)
        missing = await p.control("push-token", uid="04A1B2C3", override={"uid": "04A1B2C3"})
        assert (missing["http_status"], missing["envelope"]["status_code"]) == (400, 2001)
        assert (await p.state())["violations"] == []


async def authorize(admin: OcpiServiceAsyncStub, id_token: str, **extra: Any) -> pb.AuthorizeTokenResponse:
    request = pb.AuthorizeTokenRequest(id_token=id_token, charge_point_id="CP-T", **extra)
    reply: pb.AuthorizeTokenResponse = await admin.AuthorizeToken(request)
    return reply


async def test_roaming_tokens_are_authorized(allinone: AllInOne, ocpi_admin: OcpiServiceAsyncStub) -> None:
    async with registered_emsp(ocpi_admin) as (p, partner_id), registry_of(allinone) as registry:
        await install(registry, "SITE-T", ["CP-T"], evse_count=2)
        for uid, whitelist, valid in [
            ("W-ALLOWED", "ALLOWED", True),
            ("W-ALWAYS-INVALID", "ALWAYS", False),
            ("W-NEVER", "NEVER", True),
            ("W-NEVER-NO", "NEVER", True),
            ("W-OFFLINE", "ALLOWED_OFFLINE", True),
            ("W-NEVER-DOWN", "NEVER", True),
        ]:
            await p.control("add-token", uid=uid, whitelist=whitelist, valid=valid)
            assert (await p.control("push-token", uid=uid))["http_status"] == 201

        unknown = await authorize(ocpi_admin, "NOT-ROAMING")
        assert (unknown.decision, unknown.source) == (pb.AUTHORIZATION_DECISION_UNKNOWN, pb.DECISION_SOURCE_NOT_FOUND)

        local = await authorize(ocpi_admin, "w-allowed")  # an RFID reader may send lower case
        assert (local.decision, local.source) == (pb.AUTHORIZATION_DECISION_ACCEPTED, pb.DECISION_SOURCE_WHITELIST)
        assert (local.country_code, local.party_id, local.partner_id) == ("NL", "EMS", partner_id)
        blocked = await authorize(ocpi_admin, "W-ALWAYS-INVALID", type="ISO14443")
        assert blocked.decision == pb.AUTHORIZATION_DECISION_BLOCKED
        assert not [r for r in (await p.state())["received"] if r["path"].endswith("/authorize")]

        # NEVER: real time, with the charger's location; the answer is then cached.
        async def published() -> bool:
            return bool((await authorize(ocpi_admin, "W-ALLOWED")).location_id)

        await eventually(published, 15)
        realtime = await authorize(ocpi_admin, "W-NEVER", evse_id=2)
        assert (realtime.decision, realtime.source) == (pb.AUTHORIZATION_DECISION_ACCEPTED, pb.DECISION_SOURCE_REALTIME)
        assert realtime.authorization_reference == "AUTH-W-NEVER"
        asked = [r for r in (await p.state())["received"] if r["path"].endswith("/W-NEVER/authorize")]
        assert len(asked) == 1 and asked[0]["type"] == "RFID"
        assert asked[0]["body"]["location_id"] == "SITE-T" and len(asked[0]["body"]["evse_uids"]) == 1
        cached = await authorize(ocpi_admin, "W-NEVER", evse_id=2)
        assert (cached.decision, cached.source) == (pb.AUTHORIZATION_DECISION_ACCEPTED, pb.DECISION_SOURCE_CACHE)
        assert cached.authorization_reference == "AUTH-W-NEVER"

        await p.control("set-allowed", uid="W-NEVER-NO", allowed="NOT_ALLOWED")
        refused = await authorize(ocpi_admin, "W-NEVER-NO")
        assert refused.decision == pb.AUTHORIZATION_DECISION_NOT_AT_THIS_LOCATION

        # The eMSP is down: ALLOWED_OFFLINE lets a valid token charge, NEVER does not.
        await p.control("fail", http_status=503)
        offline = await authorize(ocpi_admin, "W-OFFLINE")
        assert (offline.decision, offline.source) == (
            pb.AUTHORIZATION_DECISION_ACCEPTED,
            pb.DECISION_SOURCE_OFFLINE_FALLBACK,
        )
        never = await authorize(ocpi_admin, "W-NEVER-DOWN")
        assert (never.decision, never.source) == (
            pb.AUTHORIZATION_DECISION_INVALID,
            pb.DECISION_SOURCE_OFFLINE_FALLBACK,
        )
        assert (await p.state())["violations"] == []
