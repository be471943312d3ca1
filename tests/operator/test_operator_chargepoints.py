"""The real operator against kmock's API emulator: ChargePoints, shard sizing, restarts, deletion."""

from __future__ import annotations

import asyncio
import base64
import copy
import os
import signal
import sys
from pathlib import Path
from typing import Any

from chargeplane.operator import resources as r
from chargeplane.operator.kube import KubeClient
from chargeplane.operator.registry import RegistryClient
from tests.eventually import eventually
from tests.operator.conftest import OperatorRunner
from tests.operator.emulator import ApiServerEmulator
from tests.operator.test_operator_sites import CPS, NS, SITES, exists, obj

STS = "apps/v1/statefulsets"


def example(examples: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    return copy.deepcopy(next(d for d in examples if d["kind"] == kind and name in (None, d["metadata"]["name"])))


def charge_point(name: str, site: str = "depot-amsterdam", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": r.API_VERSION,
        "kind": "ChargePoint",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"siteRef": site, **spec},
    }


async def setup_site(api: KubeClient, examples: list[dict[str, Any]], **gateway: int) -> None:
    site = example(examples, "ChargingSite")
    site["spec"]["gateway"].update(gateway)
    await api.create(example(examples, "ControlPlane"), NS)
    await api.create(site, NS)


def replicas(k8s: ApiServerEmulator) -> int:
    return int(obj(k8s, STS, "depot-amsterdam-gateway")["spec"]["replicas"])


def condition(k8s: ApiServerEmulator, resource: str, name: str, type_: str) -> dict[str, Any]:
    return next(c for c in obj(k8s, resource, name)["status"]["conditions"] if c["type"] == type_)


async def test_charge_point_count_and_spec_edits_drive_replicas(
    k8s: ApiServerEmulator, api: KubeClient, operator: OperatorRunner, examples: list[dict[str, Any]]
) -> None:
    await setup_site(api, examples, connectionsPerShard=2, minShards=1, maxShards=3)
    # No registry here: ChargePoints count for sizing whether or not they are registered. Slow
    # retries keep seven failing ChargePoints from crowding out the site's reconciliation.
    await operator.start(retry_delay=30, status_interval=30)
    assert await eventually(lambda: replicas(k8s) == 1)
    for i in range(3):
        await api.create(charge_point(f"cp-{i}", securityProfile=0), NS)
    assert await eventually(lambda: replicas(k8s) == 2)  # ceil(3 / 2)
    for i in range(3, 7):
        await api.create(charge_point(f"cp-{i}", securityProfile=0), NS)
    assert await eventually(lambda: replicas(k8s) == 3)  # ceil(7 / 2) = 4, clamped to maxShards
    assert await eventually(lambda: obj(k8s, SITES, "depot-amsterdam")["status"]["chargePoints"] == 7)

    # Spec edits propagate: a bigger shard size, and new gateway resources.
    await api.patch(
        r.API_VERSION, r.SITE_PLURAL, NS, "depot-amsterdam",
        {"spec": {"gateway": {"connectionsPerShard": 5, "resources": {"requests": {"cpu": "1"}, "limits": None}}}},
    )  # fmt: skip
    assert await eventually(lambda: replicas(k8s) == 2)  # ceil(7 / 5)
    container = obj(k8s, STS, "depot-amsterdam-gateway")["spec"]["template"]["spec"]["containers"][0]
    # Merged into the site spec, and the dropped limits are dropped from the pods too.
    assert container["resources"] == {"requests": {"cpu": "1", "memory": "256Mi"}}
    site = obj(k8s, SITES, "depot-amsterdam")
    assert site["metadata"]["generation"] == 2
    assert await eventually(lambda: obj(k8s, SITES, "depot-amsterdam")["status"]["observedGeneration"] == 2)

    # A ControlPlane edit (new image) reaches the site's shards too.
    await api.patch(r.API_VERSION, r.CONTROLPLANE_PLURAL, NS, "chargeplane", {"spec": {"image": {"tag": "0.2.0"}}})

    def image() -> str:
        return str(obj(k8s, STS, "depot-amsterdam-gateway")["spec"]["template"]["spec"]["containers"][0]["image"])

    assert await eventually(lambda: image().endswith(":0.2.0"))


async def test_killed_operator_converges_without_duplicates(
    k8s: ApiServerEmulator, api: KubeClient, operator: OperatorRunner, examples: list[dict[str, Any]]
) -> None:
    await setup_site(api, examples)
    # The real `chargeplane operator` process, SIGKILLed as soon as its first child shows up.
    first = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "chargeplane"),
        *["operator", "--all-namespaces", "--standalone", "--liveness="],
        env={**os.environ, "CHARGEPLANE_LOG_JSON": "false"},
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await eventually(
            lambda: exists(k8s, "v1/configmaps", "depot-amsterdam-smart-charging") or first.returncode, 30, 0.01
        )
    finally:
        if first.returncode is None:
            first.kill()
        _, stderr = await first.communicate()
    assert first.returncode == -signal.SIGKILL, stderr.decode()[-3000:]
    assert not exists(k8s, "networking.k8s.io/v1/ingresses", "depot-amsterdam-gateway")  # killed mid-way
    await operator.start()
    await eventually(lambda: exists(k8s, "networking.k8s.io/v1/ingresses", "depot-amsterdam-gateway"))
    assert await eventually(lambda: "shards" in obj(k8s, SITES, "depot-amsterdam")["status"])
    children = [key for key in k8s.objects if key[2].startswith("depot-amsterdam-")]
    assert len(children) == len(set(children)) == 6
    # Each child was created once: its history never went through a deletion or second creation.
    for key in children:
        assert None not in k8s.objects[key].history.raw, key


async def test_charge_point_without_registry_reports_and_blocks_deletion(
    k8s: ApiServerEmulator, api: KubeClient, operator: OperatorRunner, examples: list[dict[str, Any]]
) -> None:
    await setup_site(api, examples)
    await operator.start(registry_address="127.0.0.1:9")  # nothing listens there
    await api.create(charge_point("cp-x"), NS)
    ready = await eventually(lambda: condition(k8s, CPS, "cp-x", "Ready"))
    assert (ready["status"], ready["reason"]) == ("False", "RegistryUnavailable")
    # The credentials Secret is created before the registry is asked: password rules hold.
    secret = obj(k8s, "v1/secrets", "cp-x-credentials")
    assert 16 <= len(base64.b64decode(secret["data"]["password"])) <= 40
    assert "operator.chargeplane.io/last-applied" not in secret["metadata"].get("annotations", {})
    assert obj(k8s, CPS, "cp-x")["metadata"]["finalizers"] == [r.FINALIZER]
    # Deleting it waits for deregistration, which cannot happen while the registry is down.
    await api.delete(r.API_VERSION, r.CHARGEPOINT_PLURAL, NS, "cp-x")
    assert await eventually(lambda: obj(k8s, CPS, "cp-x")["metadata"].get("deletionTimestamp"))
    await eventually(lambda: len(k8s.objects[CPS, NS, "cp-x"].history) > 3)
    assert exists(k8s, CPS, "cp-x") and obj(k8s, CPS, "cp-x")["metadata"]["finalizers"] == [r.FINALIZER]


async def _gone(registry: RegistryClient, cp_id: str) -> bool:
    return await registry.get(cp_id) is None


async def test_charge_point_lifecycle_with_a_real_registry(
    k8s: ApiServerEmulator,
    api: KubeClient,
    operator: OperatorRunner,
    examples: list[dict[str, Any]],
    registry_address: str,
) -> None:
    registry = RegistryClient(registry_address)
    try:
        await setup_site(api, examples)
        await operator.start(registry_address=registry_address)
        await api.create(example(examples, "ChargePoint", "ams-dc-01"), NS)
        await api.create(example(examples, "ChargePoint", "ams-ac-02"), NS)

        found = await eventually(lambda: registry.get("AMS-DC-01"))
        assert found is not None
        assert (found.site, found.registered) == ("depot-amsterdam", True)
        ready = await eventually(lambda: condition(k8s, CPS, "ams-dc-01", "Ready"))
        assert (ready["status"], ready["reason"], ready["observedGeneration"]) == ("True", "Registered", 1)
        status = obj(k8s, CPS, "ams-dc-01")["status"]
        assert status["registered"] is True and status["connected"] is False
        assert status["credentialsSecret"] == "ams-dc-01-credentials"
        assert exists(k8s, "v1/secrets", "ams-dc-01-credentials")
        # A user-referenced Secret is used as it is; none is generated.
        assert await eventually(
            lambda: obj(k8s, CPS, "ams-ac-02")["status"]["credentialsSecret"] == "ams-ac-02-password"
        )
        assert not exists(k8s, "v1/secrets", "ams-ac-02-credentials")

        # Spec edits reach the registry.
        await api.patch(r.API_VERSION, r.CHARGEPOINT_PLURAL, NS, "ams-dc-01", {"spec": {"ocppVersions": ["ocpp1.6"]}})
        await eventually(lambda: condition(k8s, CPS, "ams-dc-01", "Ready").get("observedGeneration") == 2)
        # The password never rotates behind the charger's back.
        first = obj(k8s, "v1/secrets", "ams-dc-01-credentials")["data"]["password"]
        assert obj(k8s, "v1/secrets", "ams-dc-01-credentials")["data"]["password"] == first

        # Spelling out an identity (allowed once by the CEL rule) moves the registration.
        await api.create(example(examples, "ChargePoint", "ams-ac-03"), NS)
        await eventually(lambda: registry.get("ams-ac-03"))
        await api.patch(r.API_VERSION, r.CHARGEPOINT_PLURAL, NS, "ams-ac-03", {"spec": {"identity": "AMS-AC-03"}})
        await eventually(lambda: registry.get("AMS-AC-03"))
        assert await eventually(lambda: _gone(registry, "ams-ac-03"))

        # Deletion honours the finalizer: deregistered first, then gone.
        await api.delete(r.API_VERSION, r.CHARGEPOINT_PLURAL, NS, "ams-dc-01")
        assert await eventually(lambda: not exists(k8s, CPS, "ams-dc-01"))
        assert await registry.get("AMS-DC-01") is None
        assert await registry.get("AMS-AC-02") is not None
        # ...and the site stops counting it.
        assert await eventually(lambda: obj(k8s, SITES, "depot-amsterdam")["status"]["chargePoints"] == 2)
    finally:
        await registry.close()
