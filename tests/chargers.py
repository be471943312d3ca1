"""Test chargers: the `ocpp` library's ChargePoint classes and a raw-frame client.

Real OCPP clients over real WebSockets; the raw client exists for malformed input that
no well-behaved library would send.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Any

import orjson
import websockets
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v201 import ChargePoint as ChargePoint201
from websockets.asyncio.client import ClientConnection

__all__ = ["ChargePoint16", "ChargePoint201", "RawCharger", "library_charger", "raw_charger"]

SUBPROTOCOL = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}


class RawCharger:
    """Sends frames verbatim and reads whatever comes back."""

    _ids = itertools.count(1)

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, frame: str | list[Any]) -> None:
        await self.ws.send(frame if isinstance(frame, str) else orjson.dumps(frame).decode())

    async def recv(self, timeout: float = 5.0) -> list[Any]:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        msg = orjson.loads(raw)
        assert isinstance(msg, list)
        return msg

    async def call(self, action: str, payload: Any, message_id: str | None = None) -> list[Any]:
        message_id = message_id or f"m{next(self._ids)}"
        await self.send([2, message_id, action, payload])
        reply = await self.recv()
        assert reply[1] == message_id, reply
        return reply


@contextlib.asynccontextmanager
async def raw_charger(base_url: str, cp_id: str, version: str = "2.0.1", **kwargs: Any) -> AsyncIterator[RawCharger]:
    async with websockets.connect(f"{base_url}/{cp_id}", subprotocols=[SUBPROTOCOL[version]], **kwargs) as ws:  # type: ignore[list-item]
        yield RawCharger(ws)


@contextlib.asynccontextmanager
async def library_charger(base_url: str, cp_id: str, version: str) -> AsyncIterator[Any]:
    """An `ocpp` library ChargePoint connected and listening."""
    cls = ChargePoint16 if version == "1.6" else ChargePoint201
    async with websockets.connect(f"{base_url}/{cp_id}", subprotocols=[SUBPROTOCOL[version]]) as ws:  # type: ignore[list-item]
        cp = cls(cp_id, ws)
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
