"""Deterministic child names and labels.

Every child name is a pure function of its parent's name: an operator killed between
"create child" and "record progress" finds the child under the same name on restart and
patches it instead of creating a twin.
"""

from __future__ import annotations

from chargeplane.operator import resources as r


def gateway(site: str) -> str:
    """StatefulSet, Service, Ingress and PodDisruptionBudget of a site's gateway shards."""
    return f"{site}-gateway"


def gateway_headless(site: str) -> str:
    """Headless Service that gives each shard pod a stable DNS name for gRPC."""
    return f"{site}-gateway-pods"


def smart_charging(site: str) -> str:
    """ConfigMap with the site's limits, read by the smart-charging service."""
    return f"{site}-smart-charging"


def credentials(chargepoint: str) -> str:
    return f"{chargepoint}-credentials"


def service(control_plane: str, component: str) -> str:
    return f"{control_plane}-{component}"


def labels(*, name: str, instance: str, component: str, version: str = "") -> dict[str, str]:
    out = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": instance,
        r.COMPONENT_LABEL: component,
        "app.kubernetes.io/part-of": r.PART_OF,
        "app.kubernetes.io/managed-by": r.MANAGED_BY,
    }
    if version:
        out["app.kubernetes.io/version"] = version[:63]
    return out


def selector(*, name: str, instance: str) -> dict[str, str]:
    # Only identity labels: selectors are immutable, so nothing that changes on upgrade.
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": instance}
