"""Objects the operator creates for itself before kopf starts. No kopf import.

Helm cannot create a custom resource in the same release that installs its CRD (it maps
every object to an API before creating any), so the chart renders the ControlPlane into a
ConfigMap and the operator applies it here; likewise the kopf peering objects, without
which kopf's keep-alives find nothing and every replica would think it is alone.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from chargeplane.operator import resources as r
from chargeplane.operator.kube import PLURALS, KubeClient, KubeError

log = logging.getLogger(__name__)

Manifest = dict[str, Any]

# Our kinds and kopf's, on top of the built-ins the children use.
PLURALS.update(
    {
        "ControlPlane": r.CONTROLPLANE_PLURAL,
        "ChargingSite": r.SITE_PLURAL,
        "ChargePoint": r.CHARGEPOINT_PLURAL,
        "KopfPeering": "kopfpeerings",
        "ClusterKopfPeering": "clusterkopfpeerings",
    }
)


def effective_priority(base: int, pod_name: str) -> int:
    """kopf freezes *every* operator that sees a peer of equal priority; a per-pod tiebreaker
    keeps replicas of one Deployment apart while the base still orders deployments."""
    tiebreak = int.from_bytes(hashlib.sha256(pod_name.encode()).digest()[:4], "big") % 1000
    return base * 1000 + tiebreak


def peering_objects(name: str, namespaces: Iterable[str], *, clusterwide: bool) -> list[Manifest]:
    meta_labels = {"app.kubernetes.io/part-of": r.PART_OF}
    if clusterwide:
        return [
            {
                "apiVersion": "kopf.dev/v1",
                "kind": "ClusterKopfPeering",
                "metadata": {"name": name, "labels": meta_labels},
            }
        ]
    return [
        {
            "apiVersion": "kopf.dev/v1",
            "kind": "KopfPeering",
            "metadata": {"name": name, "namespace": ns, "labels": meta_labels},
        }
        for ns in namespaces
    ]


def load_manifests(path: Path, namespace: str) -> list[Manifest]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    for doc in docs:
        doc.setdefault("metadata", {}).setdefault("namespace", namespace)
    return docs


async def ensure_all(client: KubeClient, objs: list[Manifest], *, attempts: int = 30, delay: float = 2.0) -> None:
    """Create or patch each object; retry while its CRD is still being established."""
    for obj in objs:
        for attempt in range(1, attempts + 1):
            try:
                outcome = await client.ensure(obj)
            except KubeError as exc:
                if exc.status not in (404, 0) or attempt == attempts:
                    raise
                log.info("waiting for the %s API (%s)", obj["kind"], exc)
                await asyncio.sleep(delay)
            else:
                log.info(
                    "%s %s/%s: %s", obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"], outcome
                )
                break
