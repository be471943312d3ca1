"""ChargingSite handlers: gateway shards sized by the ChargePoints that reference the site."""

from __future__ import annotations

from typing import Any

import kopf

from chargeplane.operator import chargepoints, conditions, naming, sites
from chargeplane.operator import resources as r
from chargeplane.operator.handlers.base import REGISTRY, kube, options, patch_status, temporary
from chargeplane.operator.kube import KubeError


@kopf.index(r.GROUP, r.VERSION, r.CHARGEPOINT_PLURAL, registry=REGISTRY)
def chargepoints_by_site(
    namespace: str | None, name: str, spec: kopf.Spec, status: kopf.Status, **_: Any
) -> dict[tuple[str | None, str], dict[str, Any]]:
    """Which ChargePoints reference which site, with the live bits the site's status sums up."""
    return {
        (namespace, str(spec.get("siteRef", ""))): {
            "name": name,
            "connected": bool(status.get("connected")),
            "charging": chargepoints.is_charging(status.get("connectors") or []),
        }
    }


async def reconcile(body: kopf.Body, memo: kopf.Memo, index: kopf.Index[Any, Any]) -> dict[str, Any]:
    """Converge the site's children and return its new status. Safe to repeat at any point."""
    namespace, name = body.metadata.namespace or "default", body.metadata.name or ""
    generation = body.metadata.get("generation")
    site = {"metadata": {"name": name, "namespace": namespace}, "spec": dict(body.spec)}
    members = list(index.get((namespace, name), []))
    old_conditions = list(body.status.get("conditions") or [])
    cp_name = body.spec.get("controlPlaneRef", "chargeplane")
    client = kube(memo)
    try:
        control_plane = await client.get(r.API_VERSION, r.CONTROLPLANE_PLURAL, namespace, cp_name)
    except KubeError as exc:
        raise temporary(exc, options(memo).retry_delay) from exc
    if control_plane is None:
        ready = conditions.make(
            "Ready", False, "ControlPlaneNotFound", f"ControlPlane {cp_name!r} not found", generation=generation
        )
        return {
            "observedGeneration": generation,
            "chargePoints": len(members),
            "conditions": conditions.merge(old_conditions, [ready]),
        }

    try:
        for child in sites.children(site, control_plane, len(members)):
            kopf.adopt(child, owner=body)
            await client.ensure(child)
        if sites.ingress(site, control_plane) is None:  # turned off since: remove the route
            await client.delete("networking.k8s.io/v1", "ingresses", namespace, naming.gateway(name))
        sts = await client.get("apps/v1", "statefulsets", namespace, naming.gateway(name)) or {}
    except KubeError as exc:
        raise temporary(exc, options(memo).retry_delay) from exc

    wanted = sites.shards_for(site, len(members))
    ready_shards = int(sts.get("status", {}).get("readyReplicas") or 0)
    if ready_shards >= wanted:
        ready = conditions.make(
            "Ready", True, "ShardsReady", f"{ready_shards}/{wanted} gateway shards ready", generation=generation
        )
    else:
        ready = conditions.make(
            "Ready", False, "ShardsNotReady", f"{ready_shards}/{wanted} gateway shards ready", generation=generation
        )
    limit = sites.limit_kw(site)
    enforced = conditions.make(
        "PowerLimitEnforced",
        limit is not None,
        "LimitPublished" if limit is not None else "SmartChargingOff",
        f"site limit {limit} kW handed to smart charging" if limit is not None else "no site limit",
        generation=generation,
    )
    return {
        "observedGeneration": generation,
        "chargePoints": len(members),
        "connected": sum(1 for m in members if m["connected"]),
        "charging": sum(1 for m in members if m["charging"]),
        "shards": wanted,
        "shardsReady": ready_shards,
        "limitKw": limit,
        "ocppUrl": sites.ocpp_url(site, control_plane),
        "conditions": conditions.merge(old_conditions, [ready, enforced]),
    }


@kopf.on.resume(r.GROUP, r.VERSION, r.SITE_PLURAL, registry=REGISTRY)
@kopf.on.create(r.GROUP, r.VERSION, r.SITE_PLURAL, registry=REGISTRY)
@kopf.on.update(r.GROUP, r.VERSION, r.SITE_PLURAL, registry=REGISTRY)
async def site_changed(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **kwargs: Any) -> None:
    # kopf injects indexes by name through **kwargs; its callback protocols cannot declare them.
    patch.status.update(await reconcile(body, memo, kwargs["chargepoints_by_site"]))


@kopf.daemon(r.GROUP, r.VERSION, r.SITE_PLURAL, registry=REGISTRY, cancellation_timeout=5.0)
async def site_status(body: kopf.Body, memo: kopf.Memo, stopped: kopf.DaemonStopped, **kwargs: Any) -> None:
    """Follow ChargePoints coming and going (replicas) and their live state (status)."""
    while not stopped:
        await stopped.wait(options(memo).site_interval)
        if stopped or body.metadata.get("deletionTimestamp"):
            break
        try:
            status = await reconcile(body, memo, kwargs["chargepoints_by_site"])
        except kopf.TemporaryError:
            continue  # the next tick retries; create/update handlers own the error reporting
        await patch_status(memo, r.SITE_PLURAL, body.metadata.namespace or "default", body.metadata.name or "", status)
