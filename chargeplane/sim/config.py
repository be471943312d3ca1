"""Simulation settings: one frozen object shared by every virtual charger."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Scenario(enum.StrEnum):
    IDLE = "idle"  # connect, boot, report status, heartbeat at the CSMS's interval
    BOOT_STORM = "boot-storm"  # everyone connects at once; ends when all are booted
    SESSIONS = "sessions"  # idle + Authorize / transactions with periodic meter values
    STATUS_CHURN = "status-churn"  # idle + frequent StatusNotification changes
    RECONNECT = "reconnect"  # idle + chargers drop and come back with 2.0.1 back-off
    # Closed loop: every charger sends `load_action` again as soon as the previous one
    # is answered. Used by the benchmarks (G2/G3) to find the server's ceiling.
    THROUGHPUT = "throughput"


class Protocol(enum.StrEnum):
    V16 = "1.6"
    V201 = "2.0.1"
    MIX = "mix"


@dataclass(frozen=True, slots=True)
class Backoff:
    """OCPP 2.0.1 reconnection back-off (OCPPCommCtrlr.RetryBackOff*, B.. / A.. rules).

    The first retry waits `wait_minimum` plus up to `random_range`; each failed attempt
    doubles the previous wait, at most `repeat_times` times, then the wait stays put.
    """

    wait_minimum: float = 3.0
    random_range: float = 10.0
    repeat_times: int = 3

    def delay(self, attempt: int, rand: float) -> float:
        """Back-off before reconnection attempt number `attempt` (0-based); rand in [0, 1)."""
        doublings = min(attempt, self.repeat_times)
        return self.wait_minimum * (1 << doublings) + rand * self.random_range


@dataclass(frozen=True, slots=True)
class SimConfig:
    url: str = "ws://127.0.0.1:9000/ocpp"
    chargers: int = 10
    protocol: Protocol = Protocol.V201
    scenario: Scenario = Scenario.IDLE
    prefix: str = "SIM"
    first_index: int = 1
    password: str | None = None
    seed: int = 1
    duration: float = 30.0  # seconds after the start; boot-storm stops earlier when done
    connect_rate: float = 1000.0  # new connections per second; 0 = as fast as possible
    max_pending_connects: int = 1000  # TCP + WebSocket handshakes in flight at once
    connectors: int = 1  # connectors (1.6) / EVSEs (2.0.1) per charger
    heartbeat_interval: float | None = None  # None: use the interval the CSMS returns
    call_timeout: float = 30.0  # OCPP suggests 30 s for a CALLRESULT
    connect_timeout: float = 10.0
    compression: bool = False  # permessage-deflate costs ~40 KiB per connection
    source_addresses: int = 0  # spread over 127.0.0.2..; 0 = automatic for > 5000 chargers
    # sessions
    session_interval: float = 60.0  # mean idle gap before a charger starts a session
    session_duration: float = 120.0
    meter_interval: float = 15.0
    id_tag: str = "SIMTAG"
    # status-churn
    status_interval: float = 10.0
    # reconnect
    reconnect_interval: float = 60.0  # mean connected time before a charger drops
    backoff: Backoff = Backoff()
    # throughput
    load_action: str = "Heartbeat"  # Heartbeat | MeterValues | StatusNotification
    warmup: float = 0.0  # throughput: latency/counts before this are not recorded

    def charger_id(self, index: int) -> str:
        return f"{self.prefix}{self.first_index + index}"
