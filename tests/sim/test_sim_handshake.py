"""The simulator's own opening handshake (uncompressed fast path) and the websockets path."""

from __future__ import annotations

from typing import Any

from websockets.asyncio.server import serve

from chargeplane.sim import SimConfig, Simulation
from chargeplane.sim.handshake import accept_for, build_request, parse_response

KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 §1.3 example


def response(*headers: str, status: str = "101 Switching Protocols") -> bytes:
    return ("\r\n".join([f"HTTP/1.1 {status}", *headers]) + "\r\n\r\n").encode()


GOOD = ("Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Accept: {accept_for(KEY)}")


def test_accept_matches_rfc_example() -> None:
    assert accept_for(KEY) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_request_has_the_mandatory_fields() -> None:
    raw = build_request("127.0.0.1:9000", "/ocpp/CP1", KEY, "ocpp2.0.1", "Basic Q1AxOnNlY3JldA==").decode()
    assert raw.startswith("GET /ocpp/CP1 HTTP/1.1\r\n") and raw.endswith("\r\n\r\n")
    for line in (
        "Host: 127.0.0.1:9000",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {KEY}",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: ocpp2.0.1",
        "Authorization: Basic Q1AxOnNlY3JldA==",
    ):
        assert f"\r\n{line}\r\n" in raw


def test_good_response_with_trailing_frame() -> None:
    data = response(*GOOD, "Sec-WebSocket-Protocol: ocpp1.6") + b"\x81\x02[]"
    outcome = parse_response(data, KEY)
    assert outcome is not None and outcome.ok and outcome.subprotocol == "ocpp1.6"
    assert data[outcome.consumed :] == b"\x81\x02[]"


def test_incomplete_then_failures() -> None:
    assert parse_response(response(*GOOD)[:-3], KEY) is None
    cases = {
        response(status="401 Unauthorized"): "http_401",
        response("Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: wrong"): "invalid_accept",
        response("Connection: Upgrade", f"Sec-WebSocket-Accept: {accept_for(KEY)}"): "invalid_upgrade",
        response(*GOOD, "Sec-WebSocket-Extensions: permessage-deflate"): "unrequested_extension",
        response(*GOOD, "Sec-WebSocket-Protocol: a", "Sec-WebSocket-Protocol: b"): "multiple_subprotocols",
        b"garbage\r\n\r\n": "invalid_status_line",
        b"x" * 20000: "response_head_too_large",
    }
    for data, reason in cases.items():
        outcome = parse_response(data, KEY)
        assert outcome is not None and not outcome.ok and outcome.reason == reason


async def test_auth_rejection_is_a_counted_connect_failure() -> None:
    async def refuse(connection: Any, request: Any) -> Any:
        return connection.respond(401, "no\n")

    async def handler(ws: Any) -> None:
        raise AssertionError("must not be reached")

    async with serve(handler, "127.0.0.1", 0, process_request=refuse) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        report = await Simulation(
            SimConfig(url=f"ws://127.0.0.1:{port}/ocpp", chargers=2, duration=1.0, password="x" * 16)
        ).run()
    assert report["connect_failures"].get("http_401", 0) >= 2
    assert report["booted"] == 0


async def test_compressed_path_through_websockets(start_csms: Any, fake_csms_class: Any) -> None:
    csms = await start_csms(fake_csms_class())
    report = await Simulation(SimConfig(url=csms.url, chargers=3, duration=1.5, compression=True)).run()
    assert report["booted"] == 3 and report["errors_total"] == 0
