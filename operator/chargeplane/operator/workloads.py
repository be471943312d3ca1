"""Pod pieces shared by the gateway shards and the services: image, env, probes, security.

Processes are configured only through CHARGEPLANE_* variables (chargeplane.config.Settings),
so a pod and a laptop run the same code with the same knobs.
"""

from __future__ import annotations

from typing import Any

from chargeplane.operator import naming
from chargeplane.operator import resources as r

Manifest = dict[str, Any]

DEFAULT_IMAGE = {"repository": "ghcr.io/chargeplane/chargeplane", "tag": "0.1.0", "pullPolicy": "IfNotPresent"}


def image(control_plane: Manifest) -> str:
    img = {**DEFAULT_IMAGE, **control_plane.get("spec", {}).get("image", {})}
    return f"{img['repository']}:{img['tag']}"


def image_tag(control_plane: Manifest) -> str:
    return str({**DEFAULT_IMAGE, **control_plane.get("spec", {}).get("image", {})}["tag"])


def pull_policy(control_plane: Manifest) -> str:
    return str({**DEFAULT_IMAGE, **control_plane.get("spec", {}).get("image", {})}["pullPolicy"])


def env(name: str, value: str | int) -> Manifest:
    return {"name": name, "value": str(value)}


def secret_env(name: str, ref: Manifest) -> Manifest:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": ref["name"], "key": ref.get("key", "url")}}}


def field_env(name: str, path: str) -> Manifest:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def registry_address(control_plane: Manifest) -> str:
    name = control_plane["metadata"]["name"]
    return f"{naming.service(name, 'registry')}:{r.SERVICE_GRPC_PORT}"


def common_env(control_plane: Manifest, *, postgres: bool, redis: bool) -> list[Manifest]:
    """Settings every component shares; storage URLs only for components that use them."""
    spec = control_plane.get("spec", {})
    out = [
        env("CHARGEPLANE_LOG_LEVEL", spec.get("logLevel", "INFO")),
        env("CHARGEPLANE_LOG_JSON", "true"),
        env("CHARGEPLANE_BOOT_POLICY", spec.get("bootPolicy", "production")),
        env("CHARGEPLANE_REGISTRY_ADDRESS", registry_address(control_plane)),
        # The root filesystem is read-only; anything a component keeps locally goes to /tmp.
        env("CHARGEPLANE_DATA_DIR", "/tmp/chargeplane"),
        field_env("CHARGEPLANE_POD_NAME", "metadata.name"),
        field_env("CHARGEPLANE_POD_NAMESPACE", "metadata.namespace"),
    ]
    if postgres:
        out.append(secret_env("CHARGEPLANE_POSTGRES_URL", spec["postgres"]["urlSecretRef"]))
    if redis:
        out.append(secret_env("CHARGEPLANE_REDIS_URL", spec["redis"]["urlSecretRef"]))
    return out


def http_probe(path: str, port: str, *, period: int, failures: int) -> Manifest:
    return {
        "httpGet": {"path": path, "port": port},
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": failures,
    }


def grpc_probe(port: int, *, period: int, failures: int) -> Manifest:
    return {"grpc": {"port": port}, "periodSeconds": period, "timeoutSeconds": 2, "failureThreshold": failures}


def container_security() -> Manifest:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }


def pod_spec(control_plane: Manifest, container: Manifest, **extra: Any) -> Manifest:
    spec = control_plane.get("spec", {})
    pod: Manifest = {
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        # No API access from the workloads: only the operator talks to Kubernetes.
        "automountServiceAccountToken": False,
        **extra,
    }
    if spec.get("serviceAccountName"):
        pod["serviceAccountName"] = spec["serviceAccountName"]
    if spec.get("imagePullSecrets"):
        pod["imagePullSecrets"] = [{"name": s["name"]} for s in spec["imagePullSecrets"]]
    return pod


def container(
    control_plane: Manifest,
    *,
    name: str,
    args: list[str],
    env_vars: list[Manifest],
    ports: list[Manifest],
    resources: Manifest | None,
    readiness: Manifest,
    liveness: Manifest,
) -> Manifest:
    c: Manifest = {
        "name": name,
        "image": image(control_plane),
        "imagePullPolicy": pull_policy(control_plane),
        "args": args,
        "env": env_vars,
        "ports": ports,
        "readinessProbe": readiness,
        "livenessProbe": liveness,
        "securityContext": container_security(),
        # /tmp is the only writable path (the root filesystem is read-only).
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    if resources:
        c["resources"] = resources
    return c


TMP_VOLUME: Manifest = {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}
