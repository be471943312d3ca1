"""Run-time detection of server features: send one message, see whether it is served.

A benchmark whose feature has not landed reports `not_landed` with the server's own
answer as the reason (e.g. CALLERROR NotImplemented), so the suite lights up by itself
once the feature exists.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import connect

from chargeplane.sim.messages import V16, V201

BOOT_16 = V16.boot("PROBE16")
BOOT_201 = V201.boot("PROBE201")


async def _exchange(ws: Any, uid: str, action: str, payload: dict[str, Any]) -> tuple[int, Any]:
    await ws.send(json.dumps([2, uid, action, payload]))
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if msg[0] == 2:  # a CSMS-initiated CALL: refuse it politely and keep waiting
            await ws.send(json.dumps([4, msg[1], "NotImplemented", "probe", {}]))
            continue
        if msg[1] == uid:
            return int(msg[0]), (msg[2] if msg[0] == 3 else f"{msg[2]}: {msg[3]}")


async def probe(
    url: str, version: str, cp_id: str, calls: list[tuple[str, dict[str, Any]]], password: str | None = None
) -> dict[str, str]:
    """Boot, then send each CALL; return action -> 'ok' or the CALLERROR/problem text."""
    sub = "ocpp1.6" if version == "1.6" else "ocpp2.0.1"
    headers = {}
    if password:
        import base64

        headers["Authorization"] = "Basic " + base64.b64encode(f"{cp_id}:{password}".encode()).decode()
    out: dict[str, str] = {}
    try:
        async with connect(f"{url}/{cp_id}", subprotocols=[sub], additional_headers=headers, open_timeout=10) as ws:  # type: ignore[list-item]
            kind, result = await _exchange(ws, "b", "BootNotification", BOOT_16 if version == "1.6" else BOOT_201)
            if kind != 3 or result.get("status") != "Accepted":
                return {action: f"boot not accepted: {result}" for action, _ in calls}
            for i, (action, payload) in enumerate(calls):
                kind, result = await _exchange(ws, f"p{i}", action, payload)
                out[action] = "ok" if kind == 3 else f"CALLERROR {result}"
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        for action, _ in calls:
            out.setdefault(action, f"probe failed: {type(exc).__name__}: {exc}")
    return out


def probe_features(url: str) -> dict[str, str]:
    """Which of Authorize / transactions does the server serve (both versions)?"""

    async def main() -> dict[str, str]:
        r16 = await probe(
            url,
            "1.6",
            "PROBE16",
            [("Authorize", V16.authorize("PROBETAG")), ("StartTransaction", V16.start(1, "PROBETAG", 0, ""))],
        )
        r201 = await probe(
            url,
            "2.0.1",
            "PROBE201",
            [
                ("Authorize", V201.authorize("PROBETAG")),
                ("TransactionEvent", V201.start(1, "PROBETAG", 0, "probe-tx-1")),
            ],
        )
        return {
            "Authorize/1.6": r16.get("Authorize", "?"),
            "StartTransaction/1.6": r16.get("StartTransaction", "?"),
            "Authorize/2.0.1": r201.get("Authorize", "?"),
            "TransactionEvent/2.0.1": r201.get("TransactionEvent", "?"),
        }

    return asyncio.run(main())
