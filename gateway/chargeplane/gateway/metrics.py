"""Gateway metrics (prometheus-client). Labels are bounded: never a charger id."""

from __future__ import annotations

from functools import cache

from prometheus_client import Counter, Gauge, Histogram

from chargeplane.domain.chargepoints import Protocol

CONNECTIONS = Gauge("chargeplane_ocpp_connections", "Live charger connections", ["protocol"])
CONNECTS = Counter("chargeplane_ocpp_connects", "Accepted charger WebSocket connections", ["protocol"])
REFUSED = Counter("chargeplane_ocpp_handshakes_refused", "Handshakes refused before the upgrade", ["reason"])
TAKEOVERS = Counter("chargeplane_ocpp_takeovers", "Connections closed because a newer one for the same charger won")
MESSAGES = Counter(
    "chargeplane_ocpp_messages", "OCPP CALLs by action and direction", ["protocol", "action", "direction"]
)
CALL_ERRORS = Counter("chargeplane_ocpp_call_errors", "CALLERRORs sent to chargers", ["protocol", "action", "code"])
HANDLING = Histogram(
    "chargeplane_ocpp_handling_seconds",
    "Time from receiving a charger CALL to sending its CALLRESULT",
    ["protocol", "action"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


class ProtocolMetrics:
    """Per-protocol label children, resolved once per action (label lookup is not free)."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol.value
        self._received: dict[str, Counter] = {}
        self._sent: dict[str, Counter] = {}
        self._handled: dict[str, Histogram] = {}

    def received(self, action: str) -> None:
        child = self._received.get(action)
        if child is None:
            child = self._received[action] = MESSAGES.labels(self.protocol, action, "in")
        child.inc()

    def sent(self, action: str) -> None:
        child = self._sent.get(action)
        if child is None:
            child = self._sent[action] = MESSAGES.labels(self.protocol, action, "out")
        child.inc()

    def handled(self, action: str, seconds: float) -> None:
        child = self._handled.get(action)
        if child is None:
            child = self._handled[action] = HANDLING.labels(self.protocol, action)
        child.observe(seconds)

    def error(self, action: str, code: str) -> None:
        CALL_ERRORS.labels(self.protocol, action, code).inc()


@cache
def for_protocol(protocol: Protocol) -> ProtocolMetrics:
    return ProtocolMetrics(protocol)
