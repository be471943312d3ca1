"""The real operator against kmock's API emulator: ControlPlane and ChargingSite reconciliation."""

from __future__ import annotations

import copy
import functools
from typing import Any

from chargeplane.operator import resources as r
from chargeplane.operator.kube import KubeClient
from tests.eventually import eventually
from tests.operator.conftest import OperatorRunner
from tests.operator.emulator import ApiServerEmulator

NS = "chargeplane"
SITES = f"{r.API_VERSION}/{r.SITE_PLURAL}"
CPS = f"{r.API_VERSION}/{r.CHARGEPOINT_PLURAL}"
CPLANES = f"{r.API_VERSION}/{r.CONTROLPLANE_PLURAL}"


def _by_kind(examples: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [copy.deepcopy(d) for d in examples if d["kind"] == kind]


def obj(k8s: ApiServerEmulator, resource: str, name: str, ns: str = NS) -> dict[str, Any]:
    found: dict[str, Any] = k8s.objects[resource, ns, name].raw
    return found


def exists(k8s: ApiServerEmulator, resource: str, name: str, ns: str = NS) -> bool:
    try:
        return not k8s.objects[resource, ns, name].deleted
    except KeyError:
        return False


async def test_control_plane_becomes_services(
    k8s: ApiServerEmulator, api: KubeClient, operator: OperatorRunner, examples: list[dict[str, Any]]
) -> None:
    (cplane,) = _by_kind(examples, "ControlPlane")
    await api.create(cplane, NS)
    await operator.start()
    dep = await eventually(lambda: obj(k8s, "apps/v1/deployments", "chargeplane-registry"))
    assert dep["spec"]["replicas"] == 2
    (owner,) = dep["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("ControlPlane", "chargeplane", True)
    await eventually(lambda: exists(k8s, "v1/services", "chargeplane-api"))
    await eventually(lambda: exists(k8s, "networking.k8s.io/v1/ingresses", "chargeplane-api"))
    status = await eventually(lambda: obj(k8s, CPLANES, "chargeplane")["status"])
    assert status["registryAddress"] == "chargeplane-registry:50051"
    assert status["conditions"][0]["reason"] == "ServicesNotReady"  # no controller runs in the emulator


async def test_site_gets_its_gateway_shards(
    k8s: ApiServerEmulator, api: KubeClient, operator: OperatorRunner, examples: list[dict[str, Any]]
) -> None:
    (cplane,) = _by_kind(examples, "ControlPlane")
    (site,) = _by_kind(examples, "ChargingSite")
    await api.create(cplane, NS)
    await api.create(site, NS)
    await operator.start()
    sts = await eventually(lambda: obj(k8s, "apps/v1/statefulsets", "depot-amsterdam-gateway"))
    assert sts["spec"]["replicas"] == 2  # minShards with no ChargePoints yet
    for resource, name in [
        ("v1/services", "depot-amsterdam-gateway"),
        ("v1/services", "depot-amsterdam-gateway-pods"),
        ("policy/v1/poddisruptionbudgets", "depot-amsterdam-gateway"),
        ("v1/configmaps", "depot-amsterdam-smart-charging"),
        ("networking.k8s.io/v1/ingresses", "depot-amsterdam-gateway"),
    ]:
        child = await eventually(functools.partial(obj, k8s, resource, name))
        assert child["metadata"]["ownerReferences"][0]["name"] == "depot-amsterdam"
    status = await eventually(lambda: obj(k8s, SITES, "depot-amsterdam")["status"])
    assert status["shards"] == 2 and status["limitKw"] == 225.0
    assert status["ocppUrl"] == "wss://csms.example.com/ocpp/depot-amsterdam"
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "ShardsNotReady")

    # What the StatefulSet controller would do: report ready pods. The site follows.
    await api.patch(
        "apps/v1", "statefulsets", NS, "depot-amsterdam-gateway", {"status": {"readyReplicas": 2}}, sub="status"
    )

    def is_ready() -> bool:
        conds = obj(k8s, SITES, "depot-amsterdam")["status"]["conditions"]
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conds)

    await eventually(is_ready)
    assert obj(k8s, SITES, "depot-amsterdam")["status"]["shardsReady"] == 2
    # kopf's own bookkeeping lives in annotations, never in status.
    meta = obj(k8s, SITES, "depot-amsterdam")["metadata"]
    assert f"operator.{r.GROUP}/last-handled-configuration" in meta["annotations"]
    assert set(obj(k8s, SITES, "depot-amsterdam")["status"]) <= {
        "observedGeneration", "chargePoints", "connected", "charging", "shards", "shardsReady", "limitKw",
        "ocppUrl", "conditions",
    }  # fmt: skip


async def test_missing_control_plane_is_reported(
    k8s: ApiServerEmulator, api: KubeClient, operator: OperatorRunner, examples: list[dict[str, Any]]
) -> None:
    (site,) = _by_kind(examples, "ChargingSite")
    await api.create(site, NS)
    await operator.start()

    def reason() -> str:
        return str(obj(k8s, SITES, "depot-amsterdam")["status"]["conditions"][0]["reason"])

    assert await eventually(lambda: reason() == "ControlPlaneNotFound")
    assert not exists(k8s, "apps/v1/statefulsets", "depot-amsterdam-gateway")
