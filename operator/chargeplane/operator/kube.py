"""A small async Kubernetes client for the operator's children (aiohttp, which kopf already uses).

kopf talks to the API for the resources it watches; the children (StatefulSets, Services,
Secrets, ...) need plain get/create/merge-patch/delete, nothing more. `ensure` is the
restart-safe primitive: children have deterministic names, so "create, or patch what is
there" converges no matter where a previous run stopped.
"""

from __future__ import annotations

import base64
import json
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

Manifest = dict[str, Any]

PLURALS = {
    "ConfigMap": "configmaps",
    "Deployment": "deployments",
    "Event": "events",
    "Ingress": "ingresses",
    "PodDisruptionBudget": "poddisruptionbudgets",
    "Secret": "secrets",
    "Service": "services",
    "StatefulSet": "statefulsets",
}


class KubeError(RuntimeError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


@dataclass
class Credentials:
    server: str
    token: str | None = None
    token_path: str | None = None  # re-read on every request: bound SA tokens rotate hourly
    username: str | None = None
    password: str | None = None
    ca_path: str | None = None
    ca_data: bytes | None = None
    certificate_path: str | None = None
    private_key_path: str | None = None
    insecure: bool = False

    def ssl_context(self) -> ssl.SSLContext | bool:
        if not self.server.startswith("https"):
            return False
        if self.insecure:
            return False
        ctx = ssl.create_default_context(cafile=self.ca_path, cadata=self.ca_data.decode() if self.ca_data else None)
        if self.certificate_path:
            ctx.load_cert_chain(self.certificate_path, self.private_key_path)
        return ctx

    def headers(self) -> dict[str, str]:
        token = Path(self.token_path).read_text().strip() if self.token_path else self.token
        if token:
            return {"Authorization": f"Bearer {token}"}
        if self.username is not None:
            raw = f"{self.username}:{self.password or ''}".encode()
            return {"Authorization": f"Basic {base64.b64encode(raw).decode()}"}
        return {}


def path(api_version: str, plural: str, namespace: str | None, name: str | None = None, sub: str | None = None) -> str:
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    parts = [base]
    if namespace:
        parts.append(f"namespaces/{namespace}")
    parts.append(plural)
    if name:
        parts.append(name)
    if sub:
        parts.append(sub)
    return "/".join(parts)


LAST_APPLIED = "operator.chargeplane.io/last-applied"


def removals(last: Any, desired: Any) -> Any:
    """A merge patch that deletes what we applied last time and no longer want.

    Merge patches only add and overwrite; like `kubectl apply`, we remember what we applied
    (an annotation) so that a field dropped from the desired state is dropped from the object,
    while fields the server or other controllers set are left alone.
    """
    if not (isinstance(last, dict) and isinstance(desired, dict)):
        return desired
    out = dict(desired)
    for key, old in last.items():
        if key not in desired:
            # A whole map we stop setting: remove our keys from it, not the keys others added.
            out[key] = {k: None for k in old} if isinstance(old, dict) else None
        elif isinstance(old, dict) and isinstance(desired[key], dict):
            out[key] = removals(old, desired[key])
    return out


def with_last_applied(obj: Manifest) -> Manifest:
    meta = obj.get("metadata", {})
    annotations = {k: v for k, v in meta.get("annotations", {}).items() if k != LAST_APPLIED}
    recorded = {**obj, "metadata": {**meta, "annotations": annotations}}
    if not annotations:
        del recorded["metadata"]["annotations"]
    annotations = {**annotations, LAST_APPLIED: json.dumps(recorded, sort_keys=True, separators=(",", ":"))}
    return {**obj, "metadata": {**meta, "annotations": annotations}}


def contains(actual: Any, desired: Any) -> bool:
    """True when `actual` already holds everything in `desired` (the server may add more)."""
    if isinstance(desired, dict):
        return isinstance(actual, dict) and all(k in actual and contains(actual[k], v) for k, v in desired.items())
    if isinstance(desired, list):
        return isinstance(actual, list) and len(actual) == len(desired) and all(map(contains, actual, desired))
    return bool(actual == desired)


class KubeClient:
    def __init__(self, credentials: Credentials | None = None, *, timeout: float = 10.0) -> None:
        self.credentials = credentials
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _creds(self) -> Credentials:
        if self.credentials is None:
            raise KubeError(0, "not logged in to the Kubernetes API yet")
        return self.credentials

    async def _request(self, method: str, url_path: str, body: Manifest | None = None, *, merge: bool = False) -> Any:
        creds = self._creds()
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        headers = creds.headers()
        if merge:
            headers["Content-Type"] = "application/merge-patch+json"
        async with self._session.request(
            method, creds.server.rstrip("/") + url_path, json=body, headers=headers, ssl=creds.ssl_context()
        ) as resp:
            if resp.status >= 400:
                raise KubeError(resp.status, (await resp.text())[:500])
            return await resp.json(content_type=None)

    async def get(self, api_version: str, plural: str, namespace: str | None, name: str) -> Manifest | None:
        try:
            result: Manifest = await self._request("GET", path(api_version, plural, namespace, name))
        except KubeError as exc:
            if exc.status == 404:
                return None
            raise
        return result

    async def list(self, api_version: str, plural: str, namespace: str | None) -> list[Manifest]:
        result = await self._request("GET", path(api_version, plural, namespace))
        return list(result.get("items", []))

    async def create(self, obj: Manifest, namespace: str | None) -> Manifest:
        result: Manifest = await self._request("POST", path(obj["apiVersion"], PLURALS[obj["kind"]], namespace), obj)
        return result

    async def patch(
        self,
        api_version: str,
        plural: str,
        namespace: str | None,
        name: str,
        patch: Manifest,
        *,
        sub: str | None = None,
    ) -> Manifest:
        url = path(api_version, plural, namespace, name, sub)
        result: Manifest = await self._request("PATCH", url, patch, merge=True)
        return result

    async def delete(self, api_version: str, plural: str, namespace: str | None, name: str) -> bool:
        try:
            await self._request("DELETE", path(api_version, plural, namespace, name))
        except KubeError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    async def ensure(self, obj: Manifest, *, update: bool = True) -> str:
        """Create `obj`, or patch the existing one toward it. Returns created|patched|unchanged.

        With update=False an existing object is left alone (generated Secrets: a password
        must never be regenerated behind a charger's back).
        """
        if update:  # never copy create-only objects (generated Secrets) into an annotation
            obj = with_last_applied(obj)
        namespace = obj["metadata"].get("namespace")
        plural, name = PLURALS[obj["kind"]], obj["metadata"]["name"]
        existing = await self.get(obj["apiVersion"], plural, namespace, name)
        if existing is None:
            try:
                await self.create(obj, namespace)
                return "created"
            except KubeError as exc:
                if exc.status != 409:  # 409: created meanwhile by another run; fall through to patch
                    raise
                existing = await self.get(obj["apiVersion"], plural, namespace, name) or {}
        if not update or contains(existing, obj):
            return "unchanged"
        last = existing.get("metadata", {}).get("annotations", {}).get(LAST_APPLIED)
        body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
        if last:
            body = removals({k: v for k, v in json.loads(last).items() if k not in ("apiVersion", "kind")}, body)
        await self.patch(obj["apiVersion"], plural, namespace, name, body)
        return "patched"
