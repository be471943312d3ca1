"""ControlPlane handlers: the shared services' Deployments and Services."""

from __future__ import annotations

from typing import Any

import kopf

from chargeplane.operator import conditions, controlplanes, naming, workloads
from chargeplane.operator import resources as r
from chargeplane.operator.handlers.base import REGISTRY, kube, options, patch_status, temporary
from chargeplane.operator.kube import KubeError


async def reconcile(body: kopf.Body, memo: kopf.Memo) -> dict[str, Any]:
    namespace, name = body.metadata.namespace or "default", body.metadata.name or ""
    generation = body.metadata.get("generation")
    control_plane = {"metadata": {"name": name, "namespace": namespace}, "spec": dict(body.spec)}
    client = kube(memo)
    services: list[dict[str, Any]] = []
    try:
        for child in controlplanes.children(control_plane):
            kopf.adopt(child, owner=body)
            await client.ensure(child)
        if controlplanes.api_ingress(control_plane) is None:
            await client.delete("networking.k8s.io/v1", "ingresses", namespace, naming.service(name, "api"))
        for comp in controlplanes.COMPONENTS:
            dep = await client.get("apps/v1", "deployments", namespace, naming.service(name, comp.name)) or {}
            services.append(
                {
                    "name": comp.name,
                    "replicas": controlplanes.replicas(control_plane, comp.name),
                    "readyReplicas": int(dep.get("status", {}).get("readyReplicas") or 0),
                }
            )
    except KubeError as exc:
        raise temporary(exc, options(memo).retry_delay) from exc
    waiting = [s["name"] for s in services if s["readyReplicas"] < s["replicas"]]
    if waiting:
        ready = conditions.make(
            "Ready", False, "ServicesNotReady", f"waiting for {', '.join(waiting)}", generation=generation
        )
    else:
        ready = conditions.make("Ready", True, "ServicesReady", "all services ready", generation=generation)
    return {
        "observedGeneration": generation,
        "registryAddress": workloads.registry_address(control_plane),
        "services": services,
        "conditions": conditions.merge(body.status.get("conditions"), [ready]),
    }


@kopf.on.resume(r.GROUP, r.VERSION, r.CONTROLPLANE_PLURAL, registry=REGISTRY)
@kopf.on.create(r.GROUP, r.VERSION, r.CONTROLPLANE_PLURAL, registry=REGISTRY)
@kopf.on.update(r.GROUP, r.VERSION, r.CONTROLPLANE_PLURAL, registry=REGISTRY)
async def controlplane_changed(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    patch.status.update(await reconcile(body, memo))


@kopf.daemon(r.GROUP, r.VERSION, r.CONTROLPLANE_PLURAL, registry=REGISTRY, cancellation_timeout=5.0)
async def controlplane_status(body: kopf.Body, memo: kopf.Memo, stopped: kopf.DaemonStopped, **_: Any) -> None:
    """Follow the Deployments' readiness into status."""
    while not stopped:
        await stopped.wait(options(memo).site_interval)
        if stopped or body.metadata.get("deletionTimestamp"):
            break
        try:
            status = await reconcile(body, memo)
        except kopf.TemporaryError:
            continue
        await patch_status(
            memo, r.CONTROLPLANE_PLURAL, body.metadata.namespace or "default", body.metadata.name or "", status
        )
