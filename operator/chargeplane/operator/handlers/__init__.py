"""kopf handlers, registered on `REGISTRY` when this package is imported. Thin by design:
decisions live in the pure builder modules (sites, controlplanes, chargepoints)."""

from chargeplane.operator.handlers import chargepoints, controlplanes, sites
from chargeplane.operator.handlers.base import REGISTRY, configure

__all__ = ["REGISTRY", "chargepoints", "configure", "controlplanes", "sites"]
