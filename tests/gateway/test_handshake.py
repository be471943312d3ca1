"""Handshake rules: identity in the path, subprotocol negotiation, HTTP endpoints."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chargeplane.runtime.components import AllInOne


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/ocpp/" + "x" * 49, 400),
        ("/ocpp/CP%3A1", 400),
        ("/ocpp/a/b/c", 400),
        ("/nope/CP-1", 404),
        ("/", 404),
    ],
)
async def test_bad_paths_are_refused_before_upgrade(allinone: AllInOne, path: str, status: int) -> None:
    with pytest.raises(InvalidStatus) as info:
        async with websockets.connect(f"ws://127.0.0.1:{allinone.gateway_port}{path}", subprotocols=["ocpp1.6"]):  # type: ignore[list-item]
            pass
    assert info.value.response.status_code == status


async def test_percent_encoded_identity_is_decoded(allinone: AllInOne, ocpp_url: str) -> None:
    async with websockets.connect(f"{ocpp_url}/RDAM%20123", subprotocols=["ocpp1.6"]):  # type: ignore[list-item]
        for _ in range(100):
            if "RDAM 123" in allinone.gateway.connections:
                break
            await asyncio.sleep(0.01)
        assert "RDAM 123" in allinone.gateway.connections


async def test_site_path(allinone: AllInOne, ocpp_url: str) -> None:
    async with websockets.connect(f"{ocpp_url}/site-7/CP-S", subprotocols=["ocpp2.0.1"]):  # type: ignore[list-item]
        for _ in range(100):
            conn = allinone.gateway.connections.get("CP-S")
            if conn is not None:
                break
            await asyncio.sleep(0.01)
        assert conn is not None and conn.site == "site-7"


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (["ocpp1.6", "ocpp2.0.1"], "ocpp2.0.1"),
        (["ocpp2.0.1"], "ocpp2.0.1"),
        (["ocpp1.6"], "ocpp1.6"),
        (["ocpp1.5", "ocpp1.6"], "ocpp1.6"),
    ],
)
async def test_subprotocol_preference(ocpp_url: str, offered: list[str], chosen: str) -> None:
    async with websockets.connect(f"{ocpp_url}/SP-1", subprotocols=offered) as ws:  # type: ignore[arg-type]
        assert ws.subprotocol == chosen


@pytest.mark.parametrize("offered", [None, ["ocpp9.9"]])
async def test_no_common_subprotocol_is_closed(ocpp_url: str, offered: list[str] | None) -> None:
    async with websockets.connect(f"{ocpp_url}/SP-2", subprotocols=offered) as ws:  # type: ignore[arg-type]
        assert ws.subprotocol is None  # handshake completed without the header ...
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(ws.recv(), 5)
    assert info.value.rcvd is not None and info.value.rcvd.code == 1002  # ... then closed


async def test_health_and_metrics_on_the_gateway_port(allinone: AllInOne, ocpp_url: str) -> None:
    async with websockets.connect(f"{ocpp_url}/MET-1", subprotocols=["ocpp2.0.1"]) as ws:  # type: ignore[list-item]
        await ws.send('[2,"h1","Heartbeat",{}]')
        await ws.recv()
        await ws.send("not json")
        await ws.recv()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{allinone.gateway_port}") as http:
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/readyz")).status_code == 200
            body = (await http.get("/metrics")).text
    assert 'chargeplane_ocpp_connections{protocol="ocpp2.0.1"}' in body
    assert 'chargeplane_ocpp_messages_total{action="Heartbeat",direction="in",protocol="ocpp2.0.1"}' in body
    assert 'chargeplane_ocpp_call_errors_total{action="(frame)",code="RpcFrameworkError",protocol="ocpp2.0.1"}' in body
    assert "chargeplane_ocpp_handling_seconds_bucket" in body


async def test_permessage_deflate_with_a_small_window(ocpp_url: str) -> None:
    async with websockets.connect(f"{ocpp_url}/DEFLATE-1", subprotocols=["ocpp2.0.1"]) as ws:  # type: ignore[list-item]
        [extension] = ws.protocol.extensions
        assert extension.name == "permessage-deflate"
        assert extension.remote_max_window_bits <= 11  # type: ignore[attr-defined]
        await ws.send('[2,"d1","Heartbeat",{}]')
        assert '"currentTime"' in str(await ws.recv())


async def test_oversized_frame_closes_with_1009(allinone: AllInOne, ocpp_url: str) -> None:
    limit = allinone.settings.max_frame_bytes
    async with websockets.connect(f"{ocpp_url}/BIG-1", subprotocols=["ocpp2.0.1"], compression=None) as ws:  # type: ignore[list-item]
        await ws.send('[2,"big","DataTransfer",{"vendorId":"' + "x" * limit + '"}]')
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
    assert ws.close_code == 1009
