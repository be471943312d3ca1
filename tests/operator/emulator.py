"""kmock's stateful Kubernetes emulator, plus the apiserver bookkeeping kopf and our status rely on.

kmock 0.8 stores objects as plain JSON (ecosystem.md §1): no metadata.generation, uid,
creationTimestamp or resourceVersion, no status subresource split, no generateName, a replay
of every object on each watch, a 500 for a failed JSON-patch test and "/v1" as the core group
version. Each is fixed here the way an apiserver behaves, so observedGeneration, "status only
through /status", kopf's optimistic locking and its Events are exercised honestly. Still not
emulated (only a real cluster proves
them): schema validation and defaulting (see crdcheck.py), garbage collection by
ownerReferences, controllers (nothing sets a StatefulSet's readyReplicas unless a test
does), RBAC, and server-side admission.
"""

from __future__ import annotations

import copy
import itertools
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp.web
import jsonpatch
import kmock
from kmock._internal import dicts, enums, rendering

from chargeplane.operator import resources as r


class _Revisions:
    """etcd-like global revision counter: every write gets the next resourceVersion."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.current = 0

    def next(self) -> str:
        self.current = next(self._counter)
        return str(self.current)


_rv = _Revisions()

# What the emulator serves, as discovery tells kopf: (group/version/plural, kind, namespaced, subresources).
RESOURCES = [
    (f"{r.API_VERSION}/{r.SITE_PLURAL}", "ChargingSite", True, {"status"}),
    (f"{r.API_VERSION}/{r.CHARGEPOINT_PLURAL}", "ChargePoint", True, {"status"}),
    (f"{r.API_VERSION}/{r.CONTROLPLANE_PLURAL}", "ControlPlane", True, {"status"}),
    ("apps/v1/statefulsets", "StatefulSet", True, {"status"}),
    ("apps/v1/deployments", "Deployment", True, {"status"}),
    ("v1/services", "Service", True, {"status"}),
    ("v1/configmaps", "ConfigMap", True, set()),
    ("v1/secrets", "Secret", True, set()),
    ("v1/events", "Event", True, set()),
    ("networking.k8s.io/v1/ingresses", "Ingress", True, {"status"}),
    ("policy/v1/poddisruptionbudgets", "PodDisruptionBudget", True, {"status"}),
    ("kopf.dev/v1/kopfpeerings", "KopfPeering", True, set()),
    # kopf's "backbone": it waits until discovery shows these before it starts any watch.
    ("v1/namespaces", "Namespace", False, set()),
    ("apiextensions.k8s.io/v1/customresourcedefinitions", "CustomResourceDefinition", False, set()),
]


_WRITES = frozenset({enums.action.CREATE, enums.action.UPDATE, enums.action.DELETE})
_NOT_SERVED = "the server could not find the requested resource"


class ApiServerEmulator(kmock.KubernetesEmulator):
    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        for key, kind, namespaced, subresources in RESOURCES:
            self.resources[key] = kmock.ResourceInfo(
                kind=kind, namespaced=namespaced, singular=kind.lower(), subresources=subresources,
                verbs={"get", "list", "watch", "create", "update", "patch", "delete"},
            )  # fmt: skip

    async def _serve_version(self, request: rendering.Request) -> rendering.Payload:
        # kmock names the core group version "/v1"; client-go (Helm, kubectl) expects "v1".
        payload = await super()._serve_version(request)
        if isinstance(payload, dict) and str(payload.get("groupVersion", "")).startswith("/"):
            payload["groupVersion"] = payload["groupVersion"][1:]
        return payload

    async def _serve_list(self, request: rendering.Request) -> rendering.Payload:
        payload = await super()._serve_list(request)
        if isinstance(payload, dict):  # the revision a follow-up watch starts from
            payload["metadata"]["resourceVersion"] = str(_rv.current)
        return payload

    async def _serve_watch(self, request: rendering.Request) -> AsyncIterator[rendering.Payload]:
        # kmock replays every object as ADDED on each watch; an apiserver sends only what came
        # after the requested resourceVersion. Replays made kopf act on stale copies of objects
        # it had just patched, and then wait for an event that never came.
        since = (
            int(request.params.get("resourceVersion") or 0)
            if str(request.params.get("resourceVersion", "")).isdigit()
            else 0
        )
        async for event in super()._serve_watch(request):
            if since and isinstance(event, dict) and event.get("type") == "ADDED":
                version = event.get("object", {}).get("metadata", {}).get("resourceVersion", "0")
                if int(version) <= since:
                    continue
            yield event

    async def _render_error(self, exc: Exception) -> aiohttp.web.StreamResponse:
        # A failed JSON-patch "test" (kopf's optimistic lock on resourceVersion) is a 422 on a
        # real apiserver; kopf then retries on its next cycle. kmock would answer 500.
        if isinstance(exc, jsonpatch.JsonPatchTestFailed):
            exc = kmock.KubernetesError(status=422, reason="Invalid", message=str(exc))
        response: aiohttp.web.StreamResponse = await super()._render_error(exc)
        return response

    def _serves(self, resource: Any) -> bool:
        return any(res == resource for res in self.resources)

    def _has_status(self, request: rendering.Request) -> bool:
        for res in self.resources:
            if res == request.resource:
                return "status" in self.resources[res].subresources
        return False

    async def _handle(self, request: rendering.Request) -> aiohttp.web.StreamResponse:
        if request.resource is not None and request.action in _WRITES and not self._serves(request.resource):
            # kmock would store an object of any resource; an apiserver answers 404 until the
            # resource (e.g. its CRD) is served, which is what bootstrap.ensure_all waits out.
            return await self._render_error(kmock.KubernetesError(status=404, reason="NotFound", message=_NOT_SERVED))
        if request.resource is not None:
            if request.action == enums.action.CREATE and isinstance(request.data, dict):
                meta = request.data.setdefault("metadata", {})
                if not meta.get("name") and meta.get("generateName"):  # e.g. kopf's Events
                    meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
                meta.setdefault("uid", str(uuid.uuid4()))
                meta.setdefault("creationTimestamp", "2026-11-23T00:00:00Z")
                meta["generation"] = 1
                meta["resourceVersion"] = _rv.next()
                if self._has_status(request):
                    request.data.pop("status", None)  # status is written only through /status
            elif request.action == enums.action.UPDATE and request.name is not None:
                self._bookkeep_patch(request)
        return await super()._handle(request)

    def _bookkeep_patch(self, request: rendering.Request) -> None:
        assert request.resource is not None and request.name is not None  # checked by _handle
        key = (request.resource, request.namespace, request.name)
        if key not in self.objects or self.objects[key].deleted:
            return  # the emulator answers 404 itself
        current = copy.deepcopy(self.objects[key].raw)
        split = self._has_status(request)
        to_status = request.subresource == "status"
        rv = _rv.next()
        if isinstance(request.data, list):  # JSON patch (kopf tests resourceVersion first)
            ops = [op for op in request.data if not split or _is_status(op["path"]) == to_status or op["op"] == "test"]
            spec_touched = any(op["path"].startswith("/spec") for op in ops)
            # Request is frozen; its parsed body is not: edit the list in place.
            request.data[:] = [*ops, {"op": "add", "path": "/metadata/resourceVersion", "value": rv}]
            if spec_touched:
                request.data.append({"op": "add", "path": "/metadata/generation", "value": _generation(current) + 1})
            return
        data: dict[str, Any] = request.data
        if split:
            for field in list(data):
                if (field == "status") != to_status:
                    del data[field]
        data.setdefault("metadata", {})["resourceVersion"] = rv
        if "spec" in data:
            new_spec = dicts.merge_patch_dict(current.get("spec") or {}, data["spec"])
            if new_spec != current.get("spec"):  # the apiserver bumps generation on spec changes only
                data["metadata"]["generation"] = _generation(current) + 1


def _is_status(path: str) -> bool:
    return path == "/status" or path.startswith("/status/")


def _generation(obj: dict[str, Any]) -> int:
    return int(obj.get("metadata", {}).get("generation", 1))


def kubeconfig(path: Path, server: str) -> Path:
    path.write_text(
        f"""apiVersion: v1
kind: Config
clusters: [{{name: emulator, cluster: {{server: "{server}"}}}}]
users: [{{name: tester, user: {{token: emulator-token}}}}]
contexts: [{{name: emulator, context: {{cluster: emulator, user: tester, namespace: default}}}}]
current-context: emulator
"""
    )
    return path
