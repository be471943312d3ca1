"""ControlPlane -> Deployments and Services of the shared services. Pure: no I/O, no kopf.

Each service is its own Deployment so it scales and rolls out alone; all run the one image
with `chargeplane serve <component>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chargeplane.operator import naming, workloads
from chargeplane.operator import resources as r

Manifest = dict[str, Any]


@dataclass(frozen=True)
class Component:
    name: str
    postgres: bool
    redis: bool
    port_name: str
    port: int

    def probe(self, path: str, *, period: int, failures: int) -> Manifest:
        if self.port_name == "grpc":  # grpc.health.v1, served by every gRPC service
            return workloads.grpc_probe(self.port, period=period, failures=failures)
        return workloads.http_probe(path, self.port_name, period=period, failures=failures)


# What each `chargeplane serve <component>` needs (runtime/cli.py): least privilege on storage.
COMPONENTS = (
    Component("registry", postgres=True, redis=True, port_name="grpc", port=r.SERVICE_GRPC_PORT),
    Component("api", postgres=True, redis=False, port_name="http", port=r.API_HTTP_PORT),
)


def replicas(control_plane: Manifest, component: str) -> int:
    return int(control_plane.get("spec", {}).get(component, {}).get("replicas", 1))


def _labels(control_plane: Manifest, component: str) -> dict[str, str]:
    return naming.labels(
        name=f"chargeplane-{component}",
        instance=control_plane["metadata"]["name"],
        component=component,
        version=workloads.image_tag(control_plane),
    )


def _selector(control_plane: Manifest, component: str) -> dict[str, str]:
    return naming.selector(name=f"chargeplane-{component}", instance=control_plane["metadata"]["name"])


def _env(control_plane: Manifest, comp: Component) -> list[Manifest]:
    env = workloads.common_env(control_plane, postgres=comp.postgres, redis=comp.redis)
    if comp.name == "api":
        env += [workloads.env("CHARGEPLANE_API_HOST", "0.0.0.0"), workloads.env("CHARGEPLANE_API_PORT", comp.port)]
    else:
        env += [workloads.env("CHARGEPLANE_GRPC_HOST", "0.0.0.0"), workloads.env("CHARGEPLANE_GRPC_PORT", comp.port)]
    return env


def deployment(control_plane: Manifest, comp: Component) -> Manifest:
    spec = control_plane.get("spec", {}).get(comp.name, {})
    labels = _labels(control_plane, comp.name)
    container = workloads.container(
        control_plane,
        name=comp.name,
        args=["serve", comp.name],
        env_vars=_env(control_plane, comp),
        ports=[{"name": comp.port_name, "containerPort": comp.port, "protocol": "TCP"}],
        resources=spec.get("resources"),
        readiness=comp.probe("/readyz", period=5, failures=2),
        liveness=comp.probe("/healthz", period=10, failures=3),
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": naming.service(control_plane["metadata"]["name"], comp.name), "labels": labels},
        "spec": {
            "replicas": replicas(control_plane, comp.name),
            "selector": {"matchLabels": _selector(control_plane, comp.name)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": labels},
                "spec": workloads.pod_spec(control_plane, container, volumes=[workloads.TMP_VOLUME]),
            },
        },
    }


def service(control_plane: Manifest, comp: Component) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": naming.service(control_plane["metadata"]["name"], comp.name),
            "labels": _labels(control_plane, comp.name),
        },
        "spec": {
            "type": "ClusterIP",
            "selector": _selector(control_plane, comp.name),
            "ports": [{"name": comp.port_name, "port": comp.port, "targetPort": comp.port_name, "protocol": "TCP"}],
        },
    }


def api_ingress(control_plane: Manifest) -> Manifest | None:
    ing = {"enabled": False, **control_plane.get("spec", {}).get("ingress", {})}
    if not ing["enabled"] or replicas(control_plane, "api") == 0:
        return None
    name = naming.service(control_plane["metadata"]["name"], "api")
    path = {"path": "/api", "pathType": "Prefix", "backend": {"service": {"name": name, "port": {"name": "http"}}}}
    spec: Manifest = {"rules": [{"host": ing["host"], "http": {"paths": [path]}}]}
    if ing.get("className"):
        spec["ingressClassName"] = ing["className"]
    if ing.get("tlsSecretName"):
        spec["tls"] = [{"hosts": [ing["host"]], "secretName": ing["tlsSecretName"]}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": name,
            "labels": _labels(control_plane, "api"),
            "annotations": dict(ing.get("annotations", {})),
        },
        "spec": spec,
    }


def children(control_plane: Manifest) -> list[Manifest]:
    out: list[Manifest] = []
    for comp in COMPONENTS:
        out += [service(control_plane, comp), deployment(control_plane, comp)]
    ing = api_ingress(control_plane)
    if ing is not None:
        out.append(ing)
    return out
