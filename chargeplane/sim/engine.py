"""The simulation engine: connection ramp, timeout sweep, progress, summary.

It is the chargers' host (ports.Host): chargers call back into it when they boot, go
offline or reboot; it passes every charger the shared config and stats.

Per charger there is one `Charger` and, while connected, one `WsLink` + websockets
`ClientProtocol`. Shared machinery (this module) does everything periodic: a single
ramp task opens connections at the configured rate with a bounded number of
handshakes in flight, a single sweep task finds timed-out CALLs and handshakes.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import random
import ssl
import sys
import time
from collections import deque
from typing import Any, TextIO

from chargeplane.sim.charger import Charger
from chargeplane.sim.config import Protocol, Scenario, SimConfig
from chargeplane.sim.messages import V16, V201, Dialect
from chargeplane.sim.states import CONNECTING, OFFLINE
from chargeplane.sim.stats import Stats
from chargeplane.sim.transport import Endpoint, WsLink

CHARGERS_PER_SOURCE_ADDRESS = 5000  # well under the ~28k ephemeral ports per address
SWEEP_INTERVAL = 0.5


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class Simulation:
    def __init__(self, config: SimConfig, *, progress: TextIO | None = None, progress_interval: float = 1.0):
        self.config = config
        self.stats = Stats()
        self.rand = random.Random(config.seed)
        self.endpoint = Endpoint(config, self.stats)
        self.progress_stream = progress
        self.progress_interval = progress_interval
        self.chargers: list[Charger] = []
        self.recording = config.warmup <= 0
        self.stopping = False
        self.ready = 0  # chargers with an accepted boot on their current connection
        self.first_boots = 0  # chargers booted at least once
        self.rebooting: set[int] = set()
        self._queue: deque[Charger] = deque()
        self._pending_connects = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._waiter: asyncio.Future[None] | None = None  # the ramp sleeps on it when idle
        self._storm_mode = False
        self.connect_rate = config.connect_rate  # reconnect_storm() lifts the limit
        self.linked = 0  # chargers holding a socket
        self._unlinked: asyncio.Event | None = None
        self._previous_handler: Any = None
        self._ready_waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._ssl: ssl.SSLContext | None = ssl.create_default_context() if self.endpoint.uri.secure else None
        self._sources = self._source_addresses()
        # measurements for the footprint / connect-rate report (G12)
        self.t_start = 0.0
        self.cpu_start = 0.0
        self.rss_start = 0
        self.all_booted_at: float | None = None
        self.cpu_all_booted: float | None = None
        self.rss_all_booted: int | None = None
        self.peak_ready = 0
        self.t_end = 0.0

    # -- setup ---------------------------------------------------------------------------
    def _source_addresses(self) -> list[str]:
        cfg = self.config
        if not self.endpoint.uri.host.startswith("127."):
            return []
        count = cfg.source_addresses
        if count == 0 and cfg.chargers > CHARGERS_PER_SOURCE_ADDRESS:
            count = -(-cfg.chargers // CHARGERS_PER_SOURCE_ADDRESS)
        return [f"127.0.0.{2 + i}" for i in range(min(count, 250))]

    def dialect_for(self, index: int) -> Dialect:
        proto = self.config.protocol
        if proto is Protocol.V16:
            return V16
        if proto is Protocol.V201:
            return V201
        return V16 if self.rand.random() < 0.5 else V201

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        """Create the chargers and start connecting them (returns immediately)."""
        self.rss_start = rss_bytes()
        self.t_start = time.monotonic()
        self.cpu_start = time.process_time()
        self._last_progress = (self.t_start, 0)
        cfg = self.config
        self.chargers = [
            Charger(self, cfg, self.stats, i, cfg.charger_id(i), self.dialect_for(i)) for i in range(cfg.chargers)
        ]
        self._queue.extend(self.chargers)
        self._previous_handler = self.loop.get_exception_handler()
        self.loop.set_exception_handler(self._on_loop_exception)
        self._spawn(self._ramp())
        self._spawn(self._sweep())
        if self.progress_stream is not None:
            self._spawn(self._progress())
        if cfg.warmup > 0:
            self.loop.call_later(cfg.warmup, self.end_warmup)

    def _on_loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        # A bug in a callback must not vanish into the loop's log: count it as an error
        # (it shows in the summary and fails --strict) and print the first few.
        self.stats.protocol_errors["simulator_internal_error"] += 1
        if self.stats.protocol_errors["simulator_internal_error"] <= 3:
            loop.default_exception_handler(context)

    def end_warmup(self) -> None:
        self.stats.reset_measurements()
        self.stats.sent = self.stats.received = 0
        self.recording = True

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_ready(self, count: int | None = None, timeout: float | None = None) -> bool:
        """Wait until `count` chargers (default: all) are booted; False on timeout."""
        wanted = self.config.chargers if count is None else count
        if self.ready >= wanted:
            return True
        fut: asyncio.Future[None] = self.loop.create_future()
        self._ready_waiters.append((wanted, fut))
        try:
            await asyncio.wait_for(asyncio.shield(fut), timeout)
        except TimeoutError:
            return False
        finally:
            self._ready_waiters = [(n, f) for n, f in self._ready_waiters if f is not fut]
        return True

    async def run(self) -> dict[str, Any]:
        """Run the configured scenario for `duration` seconds and return the report."""
        cfg = self.config
        await self.start()
        if cfg.scenario is Scenario.BOOT_STORM:
            await self.wait_ready(timeout=cfg.duration)
        else:
            await asyncio.sleep(cfg.duration)
        await self.stop()
        return self.report()

    async def stop(self, grace: float = 3.0) -> None:
        """Close every connection with a closing handshake, then abort stragglers."""
        self.stopping = True
        self.t_end = time.monotonic()
        if self.progress_stream is not None:
            self._print_progress(final=True)  # the state just before we close everything
        for task in list(self._tasks):
            task.cancel()
        for charger in self.chargers:
            if charger.link is not None:
                charger.link.close(1000)
        await self._wait_unlinked(grace)
        for charger in self.chargers:
            if charger.link is not None:
                charger.link.abort()
        await asyncio.sleep(0)
        self.loop.set_exception_handler(self._previous_handler)

    async def drop_all(self, timeout: float = 10.0) -> None:
        """Abort every connection at once (a gateway restart, seen from the chargers)."""
        for charger in self.chargers:
            if charger.link is not None:
                charger.link.abort()
        await self._wait_unlinked(timeout)

    async def _wait_unlinked(self, timeout: float) -> None:
        """Wait until no charger holds a socket (connection_lost ran for all)."""
        if self.linked == 0:
            return
        self._unlinked = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._unlinked.wait(), timeout)
        self._unlinked = None

    def on_link(self, delta: int) -> None:
        self.linked += delta
        if self.linked == 0 and self._unlinked is not None:
            self._unlinked.set()

    async def reconnect_storm(self, timeout: float = 60.0) -> float | None:
        """Drop every charger, then reconnect all at once (no back-off, no rate limit).

        Returns the seconds until all are booted again, or None on timeout.
        """
        self._storm_mode = True  # no back-off reconnects while everyone is dropped
        await self.drop_all()
        self._storm_mode = False
        self.connect_rate = 0.0
        self._queue.clear()
        for charger in self.chargers:
            charger.attempt = 0
        t0 = time.monotonic()
        self._queue.extend(self.chargers)
        self._wake()
        ok = await self.wait_ready(timeout=timeout)
        return time.monotonic() - t0 if ok else None

    # -- callbacks from chargers -----------------------------------------------------------
    def on_booted(self, charger: Charger, first: bool) -> None:
        self.ready += 1
        self.peak_ready = max(self.peak_ready, self.ready)
        if first:
            self.first_boots += 1
            if self.first_boots == self.config.chargers:
                self.all_booted_at = time.monotonic()
                self.cpu_all_booted = time.process_time()
                self.rss_all_booted = rss_bytes()
        for wanted, fut in self._ready_waiters:
            if self.ready >= wanted and not fut.done():
                fut.set_result(None)
        if self.config.scenario is not Scenario.BOOT_STORM:
            charger.begin_scenario()

    def on_offline(self, charger: Charger, closed_by_sim: bool, was_ready: bool) -> None:
        if was_ready:
            self.ready -= 1
        if self.stopping or self._storm_mode:
            return  # stop() / reconnect_storm() decide what happens next
        if charger.index in self.rebooting:
            self.rebooting.discard(charger.index)
            delay = 1.0  # time a charger needs to reboot
        else:
            delay = charger.backoff_delay()
            charger.attempt += 1
        self.loop.call_later(delay, self._requeue, charger)

    def on_reboot(self, charger: Charger) -> None:
        self.rebooting.add(charger.index)

    def _requeue(self, charger: Charger) -> None:
        if not self.stopping and charger.state == OFFLINE:
            self._queue.append(charger)
            self._wake()

    # -- periodic machinery ----------------------------------------------------------------
    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _ramp(self) -> None:
        cfg = self.config
        loop = self.loop
        tokens = 1.0
        last = loop.time()
        while True:
            rate = self.connect_rate
            burst = max(1.0, rate * 0.02)  # at most 20 ms worth of connects back to back
            if not self._queue or self._pending_connects >= cfg.max_pending_connects:
                self._waiter = loop.create_future()
                await self._waiter
                continue
            if rate > 0:
                now = loop.time()
                tokens = min(burst, tokens + (now - last) * rate)
                last = now
                if tokens < 1.0:
                    await asyncio.sleep((1.0 - tokens) / rate)
                    continue
                tokens -= 1.0
            charger = self._queue.popleft()
            if charger.state != OFFLINE:
                continue
            charger.state = CONNECTING
            charger.connect_deadline = time.monotonic() + cfg.connect_timeout
            self._pending_connects += 1
            self._spawn(self._open(charger))
            if rate <= 0 and self._pending_connects % 64 == 0:
                await asyncio.sleep(0)  # let handshakes progress during an unlimited burst

    async def _open(self, charger: Charger) -> None:
        uri = self.endpoint.uri
        local = (self._sources[charger.index % len(self._sources)], 0) if self._sources else None
        try:
            async with asyncio.timeout(self.config.connect_timeout):
                await self.loop.create_connection(
                    lambda: WsLink(charger, self.endpoint),
                    uri.host,
                    uri.port,
                    ssl=self._ssl,
                    local_addr=local,
                )
        except TimeoutError:
            self._connect_failed(charger, "timeout")
        except OSError as exc:
            self._connect_failed(charger, errno.errorcode.get(exc.errno or 0, type(exc).__name__))
        finally:
            self._pending_connects -= 1
            self._wake()

    def _connect_failed(self, charger: Charger, reason: str) -> None:
        self.stats.connect_failures[reason] += 1
        charger.state = OFFLINE
        if not self.stopping:
            delay = charger.backoff_delay()
            charger.attempt += 1
            self.loop.call_later(delay, self._requeue, charger)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            now = time.monotonic()
            for charger in self.chargers:
                charger.check_timeout(now)

    async def _progress(self) -> None:
        while True:
            await asyncio.sleep(self.progress_interval)
            self._print_progress()

    _last_progress = (0.0, 0)

    def _print_progress(self, final: bool = False) -> None:
        stream = self.progress_stream
        if stream is None:
            return
        now = time.monotonic()
        total = self.stats.sent + self.stats.received
        last_t, last_total = self._last_progress
        rate = (total - last_total) / (now - last_t) if last_t and now > last_t else 0.0
        self._last_progress = (now, total)
        sessions = sum(1 for c in self.chargers if c.in_session)
        line = (
            f"[{now - self.t_start:6.1f}s] connected {self.ready}/{self.config.chargers}"
            f"  in session {sessions}  msgs/s {rate:,.0f}  errors {self.stats.error_total()}"
            f"  reconnects {self.stats.reconnects}"
        )
        tty = stream.isatty()
        stream.write(("\r" + line.ljust(100)) if tty else line + "\n")
        if final and tty:
            stream.write("\n")
        stream.flush()

    # -- report --------------------------------------------------------------------------
    def report(self) -> dict[str, Any]:
        cfg = self.config
        end = self.t_end or time.monotonic()
        footprint: dict[str, Any] = {"rss_start_bytes": self.rss_start, "peak_connected": self.peak_ready}
        if self.all_booted_at is not None and self.cpu_all_booted is not None:
            ramp = self.all_booted_at - self.t_start
            cpu = self.cpu_all_booted - self.cpu_start
            footprint.update(
                all_booted_seconds=round(ramp, 3),
                connects_per_second=round(cfg.chargers / ramp, 1) if ramp > 0 else None,
                connect_cpu_seconds=round(cpu, 3),
                connects_per_cpu_second=round(cfg.chargers / cpu, 1) if cpu > 0 else None,
            )
            if self.rss_all_booted:
                per = (self.rss_all_booted - self.rss_start) / cfg.chargers
                footprint.update(rss_booted_bytes=self.rss_all_booted, kib_per_charger=round(per / 1024, 2))
        return {
            "config": {
                "url": cfg.url,
                "chargers": cfg.chargers,
                "protocol": str(cfg.protocol),
                "scenario": str(cfg.scenario),
                "seed": cfg.seed,
                "duration": cfg.duration,
                "compression": cfg.compression,
            },
            "elapsed_seconds": round(end - self.t_start, 3),
            "cpu_seconds": round(time.process_time() - self.cpu_start, 3),
            "booted": self.first_boots,
            "footprint": footprint,
            **self.stats.to_json(),
        }


def default_progress_stream() -> TextIO:
    return sys.stderr


__all__ = ["Simulation"]
