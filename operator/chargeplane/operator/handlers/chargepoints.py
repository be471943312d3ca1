"""ChargePoint handlers: register in the registry, keep credentials, mirror live status."""

from __future__ import annotations

from typing import Any

import kopf

from chargeplane.operator import chargepoints as cps
from chargeplane.operator import conditions
from chargeplane.operator import resources as r
from chargeplane.operator.handlers.base import REGISTRY, kube, options, patch_status, registry, temporary
from chargeplane.operator.kube import KubeError
from chargeplane.operator.registry import RegistryUnavailable


def _as_dict(body: kopf.Body) -> dict[str, Any]:
    return {"metadata": {"name": body.metadata.name, "namespace": body.metadata.namespace}, "spec": dict(body.spec)}


async def _site_exists(memo: kopf.Memo, namespace: str, site: str) -> bool:
    return await kube(memo).get(r.API_VERSION, r.SITE_PLURAL, namespace, site) is not None


async def observe(body: kopf.Body, memo: kopf.Memo) -> dict[str, Any]:
    """Status from the live registry; raises RegistryUnavailable / KubeError for the caller."""
    cp = _as_dict(body)
    namespace = body.metadata.namespace or "default"
    site_ok = await _site_exists(memo, namespace, cps.site(cp))
    live = cps.live_status(await registry(memo).get(cps.identity(cp)))
    generation = body.metadata.get("generation")
    new_conditions = cps.status_conditions(live, generation=generation, site_ok=site_ok)
    return {
        **live,
        "observedGeneration": generation,
        "credentialsSecret": cps.credentials_secret_name(cp),
        "conditions": conditions.merge(body.status.get("conditions"), new_conditions),
    }


def _post_events(body: kopf.Body, old: dict[str, Any], new: dict[str, Any]) -> None:
    for event in cps.events(old, new):
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)


@kopf.on.resume(r.GROUP, r.VERSION, r.CHARGEPOINT_PLURAL, registry=REGISTRY)
@kopf.on.create(r.GROUP, r.VERSION, r.CHARGEPOINT_PLURAL, registry=REGISTRY)
@kopf.on.update(r.GROUP, r.VERSION, r.CHARGEPOINT_PLURAL, registry=REGISTRY)
async def chargepoint_changed(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, old: Any, **_: Any) -> None:
    cp = _as_dict(body)
    retry = options(memo).retry_delay
    try:
        if cps.needs_generated_secret(cp):
            secret = cps.credentials_secret(cp, cps.generate_password())
            kopf.adopt(secret, owner=body)
            await kube(memo).ensure(secret, update=False)  # never rotate a password silently
        # The CRD makes identity immutable; on a server that does not enforce CEL (or when an
        # identity is first spelled out), a changed identity must not leave the old one registered.
        if old:
            previous = cps.identity({"metadata": cp["metadata"], "spec": dict(old.get("spec") or {})})
            if previous != cps.identity(cp):
                await registry(memo).delete(previous)
        await registry(memo).upsert(cps.upsert_request(cp))
        status = await observe(body, memo)
    except (RegistryUnavailable, KubeError) as exc:
        failed = conditions.make(
            "Ready",
            False,
            "RegistryUnavailable" if isinstance(exc, RegistryUnavailable) else "ApiError",
            str(exc)[:1000],
            generation=body.metadata.get("generation"),
        )
        patch.status["conditions"] = conditions.merge(body.status.get("conditions"), [failed])
        raise temporary(exc, retry) from exc
    _post_events(body, dict(body.status), status)
    patch.status.update(status)


@kopf.on.delete(r.GROUP, r.VERSION, r.CHARGEPOINT_PLURAL, registry=REGISTRY)
async def chargepoint_deleted(body: kopf.Body, memo: kopf.Memo, logger: kopf.Logger, **_: Any) -> None:
    """The finalizer: forget the charger in the registry before Kubernetes forgets the object."""
    identity = cps.identity(_as_dict(body))
    try:
        deleted = await registry(memo).delete(identity)
    except RegistryUnavailable as exc:
        raise temporary(exc, options(memo).retry_delay) from exc
    logger.info("deregistered %s (was registered: %s)", identity, deleted)


@kopf.daemon(r.GROUP, r.VERSION, r.CHARGEPOINT_PLURAL, registry=REGISTRY, cancellation_timeout=5.0)
async def chargepoint_status(
    body: kopf.Body, memo: kopf.Memo, stopped: kopf.DaemonStopped, logger: kopf.Logger, **_: Any
) -> None:
    """Mirror the live registry into status every status_interval."""
    while not stopped:
        await stopped.wait(options(memo).status_interval)
        if stopped or body.metadata.get("deletionTimestamp"):
            break
        try:
            status = await observe(body, memo)
        except (RegistryUnavailable, KubeError) as exc:
            logger.warning("status refresh failed: %s", exc)
            continue
        _post_events(body, dict(body.status), status)
        await patch_status(
            memo, r.CHARGEPOINT_PLURAL, body.metadata.namespace or "default", body.metadata.name or "", status
        )
