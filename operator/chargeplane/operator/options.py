"""Run-time options of the operator (what `chargeplane operator` flags and env vars set)."""

from __future__ import annotations

from dataclasses import dataclass

from chargeplane.config import Settings


@dataclass(frozen=True)
class OperatorOptions:
    registry_address: str
    # How often live status is refreshed from the registry and from child workloads. Short
    # enough that `kubectl get chargepoints` feels live; long enough that 10k ChargePoints cost
    # the registry ~1k small reads per second at most.
    status_interval: float = 10.0
    site_interval: float = 15.0
    # Back-off when a dependency (registry, referenced site or control plane) is missing.
    retry_delay: float = 10.0
    registry_deadline: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> OperatorOptions:
        return cls(registry_address=settings.registry_target(), registry_deadline=settings.service_deadline)
