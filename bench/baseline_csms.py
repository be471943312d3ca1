"""The baseline: a central system written the plain way the `ocpp` docs show.

`ocpp.v16.ChargePoint` / `ocpp.v201.ChargePoint` subclasses with `@on` handlers over
`websockets.serve`, library defaults (schema validation on, asyncio loop, websockets'
default compression offer and keepalive). It answers BootNotification, Heartbeat,
StatusNotification and MeterValues and records nothing, like the reference servers in
DESIGN.md §5. Anything else gets the library's automatic NotImplemented CALLERROR.

    python -m bench.baseline_csms --port 9100
"""

# The `ocpp` package ships no type information; its @on decorator is untyped.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from datetime import UTC, datetime
from typing import Any

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v16.enums import RegistrationStatus
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201
from ocpp.v201.enums import RegistrationStatusEnumType
from websockets.typing import Subprotocol

HEARTBEAT_INTERVAL = 300


def _now() -> str:
    return datetime.now(UTC).isoformat()


class CentralSystem16(ChargePoint16):  # type: ignore[misc]
    @on(Action16.boot_notification)
    async def on_boot_notification(self, charge_point_vendor: str, charge_point_model: str, **kwargs: Any) -> Any:
        return result16.BootNotification(
            current_time=_now(), interval=HEARTBEAT_INTERVAL, status=RegistrationStatus.accepted
        )

    @on(Action16.heartbeat)
    async def on_heartbeat(self) -> Any:
        return result16.Heartbeat(current_time=_now())

    @on(Action16.status_notification)
    async def on_status_notification(self, connector_id: int, error_code: str, status: str, **kwargs: Any) -> Any:
        return result16.StatusNotification()

    @on(Action16.meter_values)
    async def on_meter_values(self, connector_id: int, meter_value: list[Any], **kwargs: Any) -> Any:
        return result16.MeterValues()


class CentralSystem201(ChargePoint201):  # type: ignore[misc]
    @on(Action201.boot_notification)
    async def on_boot_notification(self, charging_station: Any, reason: str, **kwargs: Any) -> Any:
        return result201.BootNotification(
            current_time=_now(), interval=HEARTBEAT_INTERVAL, status=RegistrationStatusEnumType.accepted
        )

    @on(Action201.heartbeat)
    async def on_heartbeat(self) -> Any:
        return result201.Heartbeat(current_time=_now())

    @on(Action201.status_notification)
    async def on_status_notification(self, **kwargs: Any) -> Any:
        return result201.StatusNotification()

    @on(Action201.meter_values)
    async def on_meter_values(self, evse_id: int, meter_value: list[Any], **kwargs: Any) -> Any:
        return result201.MeterValues()


async def on_connect(websocket: Any) -> None:
    # As in the ocpp README: refuse a connection without an agreed subprotocol.
    if websocket.subprotocol is None:
        await websocket.close()
        return
    charge_point_id = websocket.request.path.strip("/").split("/")[-1]
    cls = CentralSystem16 if websocket.subprotocol == "ocpp1.6" else CentralSystem201
    charge_point = cls(charge_point_id, websocket)
    with contextlib.suppress(websockets.exceptions.ConnectionClosed):
        await charge_point.start()


async def serve(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with websockets.serve(
        on_connect, host, port, subprotocols=[Subprotocol("ocpp1.6"), Subprotocol("ocpp2.0.1")]
    ):
        print(f"charger URL: ws://{host}:{port}/ocpp", flush=True)
        await stop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--uvloop", action="store_true", help="not the documented default")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # The library logs a traceback for every NotImplemented answer; that would measure
    # logging, not the server. Errors still reach the client as CALLERRORs.
    logging.getLogger("ocpp").setLevel(logging.CRITICAL)
    if args.uvloop:
        import uvloop

        uvloop.run(serve(args.host, args.port))
    else:
        asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
