"""The OpenADR 2.0b VEN against a local openleadr VTN in its own process (real HTTP)."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chargeplane.domain.chargepoints import Protocol
from chargeplane.services.smartcharging.openadr import OpenAdrVen, VenConfig, event_steps, merge
from chargeplane.services.smartcharging.state import EvseSpec
from tests.eventually import eventually

from .test_service import Service, applied, service  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Vtn:
    def __init__(self, proc: asyncio.subprocess.Process, port: int) -> None:
        self.proc = proc
        self.port = port
        self.lines: list[str] = []
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            self.lines.append(line.decode().strip())

    def seen(self, prefix: str) -> list[str]:
        return [line for line in self.lines if line.startswith(prefix)]


@pytest.fixture
async def vtn(request: pytest.FixtureRequest) -> AsyncIterator[Vtn]:
    events = request.param
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.smartcharging.vtn",
        str(port),
        json.dumps(events),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    server = Vtn(proc, port)
    try:
        await eventually(lambda: server.seen("READY"), 20)
        yield server
    finally:
        proc.terminate()
        await proc.wait()


def test_event_steps_per_signal() -> None:
    start = datetime(2026, 3, 2, 17, tzinfo=UTC)

    interval = {"dtstart": start, "duration": timedelta(hours=1), "signal_payload": 2}
    simple = {"event_signals": [{"signal_name": "SIMPLE", "signal_type": "level", "intervals": [interval]}]}
    assert event_steps(simple, 22.0, {0: 1.0, 1: 0.75, 2: 0.5, 3: 0.25}) == [
        {"start": start.isoformat(), "limit": 11.0, "unit": "kW"},
        {"start": (start + timedelta(hours=1)).isoformat(), "limit": None, "unit": "kW"},
    ]
    price = {"event_signals": [{"signal_name": "ELECTRICITY_PRICE", "signal_type": "price", "intervals": [interval]}]}
    assert event_steps(price, 22.0, {}) is None
    a = [
        {"start": start.isoformat(), "limit": 10.0, "unit": "kW"},
        {"start": (start + timedelta(hours=2)).isoformat(), "limit": None, "unit": "kW"},
    ]
    b = [
        {"start": (start + timedelta(hours=1)).isoformat(), "limit": 5.0, "unit": "kW"},
        {"start": (start + timedelta(hours=3)).isoformat(), "limit": None, "unit": "kW"},
    ]
    assert [s["limit"] for s in merge({"a": a, "b": b})] == [10.0, 5.0, None]


DISPATCH = [
    {
        "signal_name": "LOAD_DISPATCH",
        "signal_type": "setpoint",
        "intervals": [{"start_in": 8, "duration": 600, "payload": 8.28}],
    },
    {
        "signal_name": "ELECTRICITY_PRICE",
        "signal_type": "price",
        "intervals": [{"start_in": 0, "duration": 600, "payload": 0.3}],
    },
]


@pytest.mark.slow
@pytest.mark.parametrize("vtn", [DISPATCH], indirect=True)
async def test_a_vtn_event_limits_the_site_before_it_starts(service: Service, vtn: Vtn) -> None:  # noqa: F811
    svc = service
    from chargeplane.pb.smartcharging.v1 import smartcharging_pb2 as pb

    await svc.stub.PutSite(pb.PutSiteRequest(site=pb.Site(id="depot", grid_limit=32, grid_unit="A", phases=3)))
    for cp in ("CP16-A", "CP16-B", "CP201-A", "CP201-B"):
        protocol = Protocol.OCPP16 if "16" in cp else Protocol.OCPP201
        svc.fake.add(cp, protocol, [1])
        await svc.engine.upsert_charger(cp, "depot", protocol, [EvseSpec(1, (1, 2, 3), 32.0)])
        await svc.engine.set_online(cp, True)
    await eventually(lambda: applied(svc) == dict.fromkeys(applied(svc), 0.0), 10)
    svc.fake.totals.clear()  # from here on, every limit is the planner's
    for i, cp in enumerate(("CP16-A", "CP16-B", "CP201-A", "CP201-B")):
        svc.fake.start(cp, 1, str(10 + i))
        await svc.engine.report_session(cp, 1, str(10 + i), "started", datetime.now(UTC), {})
    await eventually(lambda: applied(svc) == dict.fromkeys(applied(svc), 8.0), 10)

    ven = OpenAdrVen(
        svc.engine,
        VenConfig(
            f"http://127.0.0.1:{vtn.port}/OpenADR2/Simple/2.0b",
            "depot-ven",
            ["depot"],
            report_interval=timedelta(seconds=1),
        ),
    )
    await ven.start()
    try:
        # The VTN gets optIn for the load dispatch, optOut for the price signal.
        await eventually(lambda: sorted(line.split()[2] for line in vtn.seen("OPT")) == ["optIn", "optOut"], 20)
        steps = svc.engine.state.external["depot"]["openadr:depot-ven"]
        assert [s["limit"] for s in steps] == [8.28, None]
        # The chargers hold the lower limit for the event's start before it starts.
        begins = datetime.fromisoformat(steps[0]["start"])

        def during_event() -> float:
            at = begins + timedelta(seconds=1)
            return sum(c.applied_a(1, at) for c in svc.fake.chargers.values())

        await eventually(lambda: during_event() <= 12.0, 8)
        assert datetime.now(UTC) < begins
        # 8.28 kW = 12 A on three phases: two sessions at their 6 A minimum, the other two wait.
        await eventually(lambda: sorted(applied(svc).values()) == [0.0, 0.0, 6.0, 6.0], 15)
        # The site's load is reported to the VTN.
        await eventually(lambda: vtn.seen("REPORT depot"), 20)
    finally:
        await ven.stop()
    assert max(total for _, total in svc.fake.totals) <= 32.0


@pytest.mark.slow
async def test_the_ven_waits_for_an_unreachable_vtn(service: Service) -> None:  # noqa: F811
    from chargeplane.pb.smartcharging.v1 import smartcharging_pb2 as pb

    await service.stub.PutSite(pb.PutSiteRequest(site=pb.Site(id="depot", grid_limit=32, grid_unit="A", phases=3)))
    port = free_port()
    ven = OpenAdrVen(service.engine, VenConfig(f"http://127.0.0.1:{port}/OpenADR2/Simple/2.0b", "late-ven", ["depot"]))
    task = asyncio.create_task(ven.keep_registered(retry=0.5))
    try:
        await asyncio.sleep(0)  # the first attempts find nobody listening
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.smartcharging.vtn", str(port), json.dumps(DISPATCH[:1]),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        vtn = Vtn(proc, port)
        try:
            await eventually(lambda: vtn.seen("REGISTERED ven-late-ven"), 30)
            await eventually(lambda: vtn.seen("OPT"), 20)
            await asyncio.wait_for(task, 10)
        finally:
            proc.terminate()
            await proc.wait()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await ven.stop()
