"""A local OpenADR 2.0b VTN (openleadr) for the VEN tests, run as its own process.

Usage: python -m tests.smartcharging.vtn PORT EVENTS_JSON
Registers any VEN, queues the events of EVENTS_JSON (list of {signal_name, signal_type,
intervals: [{start_in, duration, payload}]}) for it, and prints one line per happening:
"READY", "REGISTERED <ven_id>", "OPT <event_id> <optIn|optOut>", "REPORT <resource> <value>".
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from openleadr import OpenADRServer


def say(*parts: object) -> None:
    print(*parts, flush=True)


async def main(port: int, events: list[dict[str, Any]]) -> None:
    server = OpenADRServer(
        vtn_id="test-vtn",
        http_port=port,
        http_host="127.0.0.1",
        verify_message_signatures=False,
        requested_poll_freq=timedelta(seconds=1),
    )

    def register(payload: dict[str, Any]) -> tuple[str, str]:
        ven_id = f"ven-{payload['ven_name']}"
        say("REGISTERED", ven_id)
        now = datetime.now(UTC)
        for spec in events:
            intervals = [
                {
                    "dtstart": now + timedelta(seconds=i["start_in"]),
                    "duration": timedelta(seconds=i["duration"]),
                    "signal_payload": i["payload"],
                }
                for i in spec["intervals"]
            ]
            server.add_event(
                ven_id=ven_id,
                signal_name=spec["signal_name"],
                signal_type=spec["signal_type"],
                intervals=intervals,
                callback=lambda ven_id, event_id, opt_type: say("OPT", event_id, opt_type),
            )
        return ven_id, f"reg-{ven_id}"

    def register_report(
        ven_id: str,
        resource_id: str,
        measurement: str,
        unit: str,
        scale: str,
        min_sampling_interval: timedelta,
        max_sampling_interval: timedelta,
    ) -> tuple[Any, timedelta]:
        async def received(data: list[tuple[datetime, float]]) -> None:
            for _, value in data:
                say("REPORT", resource_id, value)

        return received, max(min_sampling_interval, timedelta(seconds=1))

    server.add_handler("on_create_party_registration", register)
    server.add_handler("on_register_report", register_report)
    await server.run_async()
    say("READY")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), json.loads(sys.argv[2])))
