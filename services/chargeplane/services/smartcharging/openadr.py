"""An OpenADR 2.0b VEN (openleadr) that turns a VTN's events into a site-limit schedule.

One VEN per site (or one per install, its events applying to every configured site). Each
event's intervals become limit steps of the source ``openadr:<ven name>`` of the site
(`Engine.set_external`); the site's planner then keeps the EVSEs under them, and because
events arrive before they start, the lower limits are already in the schedules the chargers
hold when the event begins.

Signals understood (anything else is answered optOut):
- ``LOAD_DISPATCH`` / ``setpoint``: the site may import at most the payload, in kW;
- ``LOAD_CONTROL`` / ``x-loadControlSetpoint``: the same;
- ``LOAD_CONTROL`` / ``x-loadControlCapacity``: at most payload x the grid limit (0..1);
- ``SIMPLE`` / ``level``: levels 0-3 keep 100 / 75 / 50 / 25 % of the grid limit (configurable).
The VEN answers optIn when it can honour the event (a known site and a signal it
understands) and optOut otherwise; a site's operator can opt out of all events (`opt_in`).
Cancelled and completed events are removed from the schedule.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .engine import Engine

log = logging.getLogger(__name__)

SIMPLE_LEVELS = {0: 1.0, 1: 0.75, 2: 0.5, 3: 0.25}


@dataclass
class VenConfig:
    vtn_url: str
    ven_name: str
    site_ids: Sequence[str]  # the sites its events apply to
    ven_id: str | None = None
    opt_in: bool = True
    simple_levels: Mapping[int, float] = field(default_factory=lambda: dict(SIMPLE_LEVELS))
    cert: str | None = None
    key: str | None = None
    ca_file: str | None = None
    vtn_fingerprint: str | None = None
    report_interval: timedelta = timedelta(seconds=60)  # telemetry of the site's EV load


def _grid_kw(settings: Mapping[str, Any]) -> float:
    limit = float(settings["grid_limit"])
    if settings["grid_unit"] == "kW":
        return limit
    return limit * float(settings["phases"]) * float(settings["voltage"]) / 1000


def event_steps(event: Mapping[str, Any], grid_kw: float, levels: Mapping[int, float]) -> list[dict[str, Any]] | None:
    """An event as limit steps (kW), or None when no signal of it is understood."""
    steps: dict[datetime, float | None] = {}
    understood = False
    for signal in event.get("event_signals") or []:
        name, kind = signal.get("signal_name"), signal.get("signal_type")
        for interval in signal.get("intervals") or []:
            value = interval.get("signal_payload")
            start = interval.get("dtstart")
            duration = interval.get("duration") or timedelta(0)
            if value is None or start is None:
                continue
            if (name, kind) in (("LOAD_DISPATCH", "setpoint"), ("LOAD_CONTROL", "x-loadControlSetpoint")):
                limit_kw = float(value)
            elif (name, kind) == ("LOAD_CONTROL", "x-loadControlCapacity"):
                limit_kw = max(0.0, float(value)) * grid_kw
            elif name == "SIMPLE" and kind == "level":
                limit_kw = levels.get(int(value), 1.0) * grid_kw
            else:
                continue
            understood = True
            end = start + duration
            current = steps.get(start)
            steps[start] = limit_kw if current is None else min(current, limit_kw)
            steps.setdefault(end, None)
    if not understood:
        return None
    return [{"start": at.isoformat(), "limit": limit, "unit": "kW"} for at, limit in sorted(steps.items())]


def merge(events: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Several events' steps as one schedule: at each moment the lowest limit in force."""
    moments = sorted({datetime.fromisoformat(s["start"]) for steps in events.values() for s in steps})
    out: list[dict[str, Any]] = []
    for at in moments:
        lowest: float | None = None
        for steps in events.values():
            current = None
            for s in steps:
                if datetime.fromisoformat(s["start"]) <= at:
                    current = s["limit"]
            if current is not None:
                lowest = current if lowest is None else min(lowest, current)
        if not out or out[-1]["limit"] != lowest:
            out.append({"start": at.isoformat(), "limit": lowest, "unit": "kW"})
    return out


class OpenAdrVen:
    """Runs one openleadr client; `start()` registers with the VTN and polls it."""

    def __init__(self, engine: Engine, config: VenConfig) -> None:
        self.engine = engine
        self.config = config
        self.source = f"openadr:{config.ven_name}"
        self.events: dict[str, Mapping[str, Any]] = {}  # event id -> the event (opted in)
        self.answers: dict[str, str] = {}  # event id -> optIn / optOut
        self.client: Any = None

    async def start(self) -> None:
        from openleadr import OpenADRClient

        c = self.config
        self.client = OpenADRClient(
            ven_name=c.ven_name,
            vtn_url=c.vtn_url,
            ven_id=c.ven_id,
            cert=c.cert,
            key=c.key,
            ca_file=c.ca_file,
            vtn_fingerprint=c.vtn_fingerprint,
            show_fingerprint=False,
            disable_signature=c.cert is None,
        )
        self.client.add_handler("on_event", self.on_event)
        self.client.add_handler("on_update_event", self.on_event)
        for site_id in c.site_ids:
            self.client.add_report(
                callback=self._site_power(site_id),
                resource_id=site_id,
                measurement="RealPower",
                sampling_rate=c.report_interval,
                report_duration=timedelta(hours=1),
                unit="W",
            )
        await self.client.run()

    async def keep_registered(self, retry: float = 30.0) -> None:
        """Register (and poll) until stopped; an unreachable VTN is retried every `retry` s."""
        while True:
            try:
                await self.start()
            except Exception as exc:  # noqa: BLE001 - network or VTN failure: try again later
                log.warning("OpenADR VTN %s unreachable: %s", self.config.vtn_url, exc)
            if self.client is not None and self.client.registration_id:
                return
            await self.stop()
            await asyncio.sleep(retry)

    async def stop(self) -> None:
        if self.client is not None and self.client.client_session is not None:
            await self.client.stop()
            self.client.client_session = None

    def _site_power(self, site_id: str) -> Any:
        """What the site's EVSEs may draw now (W): the telemetry the VTN asks for."""

        def read() -> float:
            loop = self.engine.loops.get(site_id)
            if loop is None or loop.last is None:
                return 0.0
            settings = self.engine.state.sites.get(site_id, {})
            return sum(loop.last.reserved_a.values()) * float(settings.get("voltage", 230.0))

        return read

    async def on_event(self, event: Mapping[str, Any]) -> str:
        descriptor = event.get("event_descriptor") or {}
        event_id = str(descriptor.get("event_id"))
        status = descriptor.get("event_status")
        if status in ("cancelled", "completed"):
            self.events.pop(event_id, None)
            await self._publish()
            return self.answers.get(event_id, "optIn")
        answer = "optOut"
        known = any(s in self.engine.state.sites for s in self.config.site_ids)
        if self.config.opt_in and known and event_steps(event, 1.0, self.config.simple_levels) is not None:
            self.events[event_id] = event
            answer = "optIn"
        if answer == "optOut":
            self.events.pop(event_id, None)
        self.answers[event_id] = answer
        await self._publish()
        log.info("OpenADR event %s (%s): %s", event_id, status, answer)
        return answer

    async def _publish(self) -> None:
        for site_id in self.config.site_ids:
            settings = self.engine.state.sites.get(site_id)
            if settings is None:
                continue
            grid = _grid_kw(settings)
            per_event = {}
            for event_id, event in self.events.items():
                steps = event_steps(event, grid, self.config.simple_levels)
                if steps is not None:
                    per_event[event_id] = steps
            await self.engine.set_external(site_id, self.source, merge(per_event))
