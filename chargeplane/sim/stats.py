"""Counters and latency samples. Every error the simulator sees lands here, by kind.

Nothing is dropped silently: CALLERRORs are kept per (action, code), timeouts per
action, failed connects per reason, disconnects per close code, and protocol
violations by the server (unknown message ids, unparsable frames) per kind.
"""

from __future__ import annotations

import random
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MAX_SAMPLES = 500_000  # per action; beyond this a uniform reservoir keeps percentiles honest


class Latencies:
    """Round-trip samples (seconds) for one action, exact up to MAX_SAMPLES then sampled."""

    __slots__ = ("_rand", "count", "samples")

    def __init__(self) -> None:
        self.samples = array("d")
        self.count = 0
        self._rand = random.Random(0)

    def add(self, seconds: float) -> None:
        self.count += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(seconds)
        else:  # reservoir sampling (Algorithm R)
            slot = self._rand.randrange(self.count)
            if slot < MAX_SAMPLES:
                self.samples[slot] = seconds

    def percentiles(self) -> dict[str, float]:
        """p50/p90/p99/max in milliseconds (nearest-rank)."""
        if not self.samples:
            return {}
        ordered = sorted(self.samples)
        n = len(ordered)

        def rank(p: float) -> float:
            return ordered[min(n - 1, max(0, int(p * n + 0.999999) - 1))] * 1000.0

        return {"p50_ms": rank(0.50), "p90_ms": rank(0.90), "p99_ms": rank(0.99), "max_ms": ordered[-1] * 1000.0}


@dataclass
class Stats:
    sent: int = 0  # OCPP frames sent (CALLs and answers)
    received: int = 0
    latencies: dict[str, Latencies] = field(default_factory=dict)
    results: Counter[str] = field(default_factory=Counter)  # CALLRESULTs per action
    call_errors: Counter[tuple[str, str]] = field(default_factory=Counter)  # (action, code)
    timeouts: Counter[str] = field(default_factory=Counter)  # action (or "connect")
    connect_failures: Counter[str] = field(default_factory=Counter)  # reason
    disconnects: Counter[str] = field(default_factory=Counter)  # close code / reason
    protocol_errors: Counter[str] = field(default_factory=Counter)  # server misbehaviour
    lost_in_flight: Counter[str] = field(default_factory=Counter)  # CALL pending at disconnect
    boot_status: Counter[str] = field(default_factory=Counter)
    auth_status: Counter[str] = field(default_factory=Counter)
    csms_calls: Counter[str] = field(default_factory=Counter)  # CALLs the CSMS sent us
    csms_not_implemented: Counter[str] = field(default_factory=Counter)
    connects: int = 0  # WebSocket handshakes completed
    reconnects: int = 0  # handshakes after the first for a charger
    sessions_started: int = 0
    sessions_completed: int = 0
    sessions_failed: int = 0

    def latency(self, action: str) -> Latencies:
        found = self.latencies.get(action)
        if found is None:
            found = self.latencies[action] = Latencies()
        return found

    def error_total(self) -> int:
        return (
            sum(self.call_errors.values())
            + sum(self.timeouts.values())
            + sum(self.connect_failures.values())
            + sum(self.protocol_errors.values())
            + sum(self.lost_in_flight.values())
        )

    def reset_measurements(self) -> None:
        """Forget latencies and result counts (end of a warm-up); errors are kept."""
        self.latencies.clear()
        self.results.clear()

    def to_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "received": self.received,
            "connects": self.connects,
            "reconnects": self.reconnects,
            "actions": {
                action: {
                    "count": self.latencies[action].count if action in self.latencies else 0,
                    "results": self.results.get(action, 0),
                    "errors": sum(n for (a, _), n in self.call_errors.items() if a == action),
                    "timeouts": self.timeouts.get(action, 0),
                    **(self.latencies[action].percentiles() if action in self.latencies else {}),
                }
                for action in sorted(
                    set(self.latencies)
                    | set(self.results)
                    | {a for a, _ in self.call_errors}
                    | (set(self.timeouts) - {"connect", "handshake"})
                )
            },
            "call_errors": {f"{a}:{c}": n for (a, c), n in sorted(self.call_errors.items())},
            "timeouts": dict(sorted(self.timeouts.items())),
            "connect_failures": dict(sorted(self.connect_failures.items())),
            "disconnects": dict(sorted(self.disconnects.items())),
            "protocol_errors": dict(sorted(self.protocol_errors.items())),
            "lost_in_flight": dict(sorted(self.lost_in_flight.items())),
            "boot_status": dict(sorted(self.boot_status.items())),
            "auth_status": dict(sorted(self.auth_status.items())),
            "csms_calls": dict(sorted(self.csms_calls.items())),
            "csms_not_implemented": dict(sorted(self.csms_not_implemented.items())),
            "sessions": {
                "started": self.sessions_started,
                "completed": self.sessions_completed,
                "failed": self.sessions_failed,
            },
            "errors_total": self.error_total(),
        }
