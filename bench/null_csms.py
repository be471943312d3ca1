"""A minimal CSMS for measuring the simulator itself (G12), not a server.

Raw websockets + uvloop + orjson, no validation, no state: BootNotification is
Accepted, every other CALL gets an empty CALLRESULT. It keeps the server side cheap so
the simulator's own CPU and memory per charger are what G12 sees.

    python -m bench.null_csms --port 9200
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

import orjson
import uvloop
from websockets.asyncio.server import serve
from websockets.typing import Subprotocol

BOOT = {"currentTime": "2026-01-01T00:00:00Z", "interval": 3600, "status": "Accepted"}


async def handler(ws: Any) -> None:
    async for raw in ws:
        msg = orjson.loads(raw)
        if msg[0] == 2:
            await ws.send(orjson.dumps([3, msg[1], BOOT if msg[2] == "BootNotification" else {}]).decode())


async def main(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        handler,
        host,
        port,
        subprotocols=[Subprotocol("ocpp1.6"), Subprotocol("ocpp2.0.1")],
        compression=None,
        backlog=4096,
        ping_interval=None,
    ):
        print(f"charger URL: ws://{host}:{port}/ocpp", flush=True)
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9200)
    args = parser.parse_args()
    uvloop.run(main(args.host, args.port))
