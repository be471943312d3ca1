"""Prometheus metrics of the smart-charging service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REPLANS = Counter("chargeplane_smartcharging_replans_total", "Site re-plans", ["site"])
PLAN_SECONDS = Histogram(
    "chargeplane_smartcharging_plan_seconds",
    "Time to plan a site and choose its pushes",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5),
)
HEADROOM = Gauge(
    "chargeplane_smartcharging_limit_headroom_amps",
    "Smallest spare capacity of a site (amps per phase; negative: limits sent exceed the site limit)",
    ["site"],
)
PUSHES = Counter("chargeplane_smartcharging_pushes_total", "Profile pushes by answer", ["action", "status"])
PUSHES_REJECTED = Counter("chargeplane_smartcharging_pushes_rejected_total", "Profile pushes a charger rejected")
