"""ChargingSite -> the desired objects of its gateway shards. Pure: no I/O, no kopf.

A site gets one StatefulSet of gateway pods ("shards"), sized from how many ChargePoints
reference it; a headless Service so any pod can reach a shard's gRPC by a stable DNS name
(command routing, DESIGN.md §1); a Service and an Ingress route for /ocpp/<site>/; a
PodDisruptionBudget; and a ConfigMap with the limits the smart-charging service enforces.
"""

from __future__ import annotations

import json
import math
from typing import Any

from chargeplane.operator import naming, workloads
from chargeplane.operator import resources as r

Manifest = dict[str, Any]

GATEWAY_DEFAULTS = {"connectionsPerShard": 2000, "minShards": 1, "maxShards": 10, "ingress": True}

# Chargers hold one WebSocket for days; proxies must not cut idle-looking connections (the
# gateway pings every 60 s by default) nor buffer frames.
WEBSOCKET_ANNOTATIONS = {
    "nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
    "nginx.ingress.kubernetes.io/proxy-send-timeout": "3600",
    "nginx.ingress.kubernetes.io/proxy-buffering": "off",
}


def gateway_policy(site: Manifest) -> dict[str, Any]:
    return {**GATEWAY_DEFAULTS, **site.get("spec", {}).get("gateway", {})}


def desired_shards(charge_points: int, connections_per_shard: int, min_shards: int, max_shards: int) -> int:
    """clamp(ceil(charge points / connections per shard), min, max)."""
    wanted = math.ceil(charge_points / connections_per_shard) if charge_points > 0 else 0
    return max(min_shards, min(max_shards, wanted))


def shards_for(site: Manifest, charge_points: int) -> int:
    policy = gateway_policy(site)
    return desired_shards(
        charge_points, int(policy["connectionsPerShard"]), int(policy["minShards"]), int(policy["maxShards"])
    )


def limit_kw(site: Manifest) -> float | None:
    """The power the site may draw after the safety margin; None when smart charging is off."""
    spec = site.get("spec", {})
    smart = {"strategy": "Static", "safetyMarginPercent": 5, **spec.get("smartCharging", {})}
    if smart["strategy"] == "Off":
        return None
    grid = {"phases": 3, "voltageV": 230, **spec.get("gridConnection", {})}
    candidates = []
    if "maxPowerKw" in grid:
        candidates.append(float(grid["maxPowerKw"]))
    if "maxCurrentA" in grid:
        candidates.append(float(grid["maxCurrentA"]) * float(grid["voltageV"]) * int(grid["phases"]) / 1000.0)
    if not candidates:
        return None
    return round(min(candidates) * (100 - int(smart["safetyMarginPercent"])) / 100.0, 3)


def _ingress_spec(control_plane: Manifest) -> Manifest:
    return {"enabled": False, **control_plane.get("spec", {}).get("ingress", {})}


def ocpp_url(site: Manifest, control_plane: Manifest) -> str:
    name, namespace = site["metadata"]["name"], site["metadata"].get("namespace", "default")
    ing = _ingress_spec(control_plane)
    if ing["enabled"] and gateway_policy(site)["ingress"]:
        scheme = "wss" if ing.get("tlsSecretName") else "ws"
        return f"{scheme}://{ing['host']}/ocpp/{name}"
    return f"ws://{naming.gateway(name)}.{namespace}.svc:{r.GATEWAY_OCPP_PORT}/ocpp/{name}"


def _labels(site: str, control_plane: Manifest) -> dict[str, str]:
    out = naming.labels(
        name="chargeplane-gateway", instance=site, component="gateway", version=workloads.image_tag(control_plane)
    )
    out[r.SITE_LABEL] = site
    return out


def _selector(site: str) -> dict[str, str]:
    return naming.selector(name="chargeplane-gateway", instance=site)


def statefulset(site: Manifest, control_plane: Manifest, charge_points: int) -> Manifest:
    name = site["metadata"]["name"]
    policy = gateway_policy(site)
    headless = naming.gateway_headless(name)
    env = [
        workloads.env("CHARGEPLANE_GATEWAY_HOST", "0.0.0.0"),
        workloads.env("CHARGEPLANE_GATEWAY_PORT", r.GATEWAY_OCPP_PORT),
        workloads.env("CHARGEPLANE_GRPC_HOST", "0.0.0.0"),
        workloads.env("CHARGEPLANE_GRPC_PORT", r.GATEWAY_GRPC_PORT),
        *workloads.common_env(control_plane, postgres=False, redis=True),
        # $(VAR) expands the downward-API variables above: each pod advertises its own stable
        # DNS name through the headless Service, so commands reach the shard holding a charger.
        workloads.env(
            "CHARGEPLANE_GATEWAY_GRPC_ADDRESS",
            f"$(CHARGEPLANE_POD_NAME).{headless}.$(CHARGEPLANE_POD_NAMESPACE).svc:{r.GATEWAY_GRPC_PORT}",
        ),
        workloads.env("CHARGEPLANE_GATEWAY_PUBLIC_URL", ocpp_url(site, control_plane)),
    ]
    container = workloads.container(
        control_plane,
        name="gateway",
        args=["serve", "gateway"],
        env_vars=env,
        ports=[
            {"name": "ocpp", "containerPort": r.GATEWAY_OCPP_PORT, "protocol": "TCP"},
            {"name": "grpc", "containerPort": r.GATEWAY_GRPC_PORT, "protocol": "TCP"},
        ],
        resources=policy.get("resources"),
        readiness=workloads.http_probe("/readyz", "ocpp", period=5, failures=2),
        liveness=workloads.http_probe("/healthz", "ocpp", period=10, failures=3),
    )
    labels = _labels(name, control_plane)
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": naming.gateway(name), "labels": labels},
        "spec": {
            "replicas": shards_for(site, charge_points),
            "serviceName": headless,
            # Shards are independent: start and stop them all at once, not one by one.
            "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": _selector(name)},
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": str(r.GATEWAY_OCPP_PORT)},
                },
                "spec": workloads.pod_spec(
                    control_plane,
                    container,
                    volumes=[workloads.TMP_VOLUME],
                    # Draining closes every socket so chargers reconnect to another shard.
                    terminationGracePeriodSeconds=60,
                ),
            },
        },
    }


def headless_service(site: Manifest, control_plane: Manifest) -> Manifest:
    name = site["metadata"]["name"]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": naming.gateway_headless(name), "labels": _labels(name, control_plane)},
        "spec": {
            "clusterIP": "None",
            # A draining shard still owns chargers until they move; keep its name resolvable.
            "publishNotReadyAddresses": True,
            "selector": _selector(name),
            "ports": [{"name": "grpc", "port": r.GATEWAY_GRPC_PORT, "targetPort": "grpc", "protocol": "TCP"}],
        },
    }


def service(site: Manifest, control_plane: Manifest) -> Manifest:
    name = site["metadata"]["name"]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": naming.gateway(name), "labels": _labels(name, control_plane)},
        "spec": {
            "type": "ClusterIP",
            "selector": _selector(name),
            "ports": [{"name": "ocpp", "port": r.GATEWAY_OCPP_PORT, "targetPort": "ocpp", "protocol": "TCP"}],
        },
    }


def pod_disruption_budget(site: Manifest, control_plane: Manifest) -> Manifest:
    name = site["metadata"]["name"]
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": naming.gateway(name), "labels": _labels(name, control_plane)},
        # One shard at a time: its chargers reconnect to the others before the next one goes.
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": _selector(name)}},
    }


def ingress(site: Manifest, control_plane: Manifest) -> Manifest | None:
    ing = _ingress_spec(control_plane)
    if not (ing["enabled"] and gateway_policy(site)["ingress"]):
        return None
    name = site["metadata"]["name"]
    spec: Manifest = {
        "rules": [
            {
                "host": ing["host"],
                "http": {
                    "paths": [
                        {
                            "path": f"/ocpp/{name}",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": naming.gateway(name), "port": {"name": "ocpp"}}},
                        }
                    ]
                },
            }
        ]
    }
    if ing.get("className"):
        spec["ingressClassName"] = ing["className"]
    if ing.get("tlsSecretName"):
        spec["tls"] = [{"hosts": [ing["host"]], "secretName": ing["tlsSecretName"]}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": naming.gateway(name),
            "labels": _labels(name, control_plane),
            "annotations": {**WEBSOCKET_ANNOTATIONS, **ing.get("annotations", {})},
        },
        "spec": spec,
    }


def smart_charging_config(site: Manifest, control_plane: Manifest) -> Manifest:
    name = site["metadata"]["name"]
    spec = site.get("spec", {})
    limits = {
        "site": name,
        "strategy": {"strategy": "Static", **spec.get("smartCharging", {})}["strategy"],
        "limitKw": limit_kw(site),
        "gridConnection": spec.get("gridConnection", {}),
        "tariffRef": spec.get("tariffRef"),
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": naming.smart_charging(name), "labels": _labels(name, control_plane)},
        "data": {"limits.json": json.dumps(limits, sort_keys=True)},
    }


def children(site: Manifest, control_plane: Manifest, charge_points: int) -> list[Manifest]:
    """Everything the site owns, in creation order (Services before the pods that use them)."""
    out = [
        smart_charging_config(site, control_plane),
        headless_service(site, control_plane),
        service(site, control_plane),
        statefulset(site, control_plane, charge_points),
        pod_disruption_budget(site, control_plane),
    ]
    ing = ingress(site, control_plane)
    if ing is not None:
        out.append(ing)
    return out
