"""Our small Kubernetes client: create-or-patch that converges, against the API emulator."""

from __future__ import annotations

from typing import Any

from chargeplane.operator.kube import LAST_APPLIED, KubeClient, contains, removals
from tests.operator.emulator import ApiServerEmulator
from tests.operator.test_operator_sites import obj


def config_map(data: dict[str, str], labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "cm", "namespace": "ns"}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def test_contains_is_a_subset_check() -> None:
    assert contains({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": 2}})
    assert not contains({"a": 1}, {"a": 2})
    assert not contains({"l": [1, 2, 3]}, {"l": [1, 2]})  # lists are owned whole
    assert contains({"l": [{"x": 1, "y": 2}]}, {"l": [{"x": 1}]})


def test_removals_drop_only_what_we_applied_before() -> None:
    last = {"spec": {"a": 1, "b": {"c": 2, "d": 3}, "e": 4, "f": {"g": 5}}}
    desired = {"spec": {"a": 1, "b": {"c": 2}}}
    assert removals(last, desired) == {"spec": {"a": 1, "b": {"c": 2, "d": None}, "e": None, "f": {"g": None}}}


async def test_ensure_converges(k8s: ApiServerEmulator, api: KubeClient) -> None:
    assert await api.ensure(config_map({"a": "1", "b": "2"}, {"team": "x"})) == "created"
    assert await api.ensure(config_map({"a": "1", "b": "2"}, {"team": "x"})) == "unchanged"
    # Someone else's label survives; our dropped key and label go; history shows one patch.
    await api.patch("v1", "configmaps", "ns", "cm", {"metadata": {"labels": {"other": "y"}}})
    assert await api.ensure(config_map({"a": "9"})) == "patched"
    cm = obj(k8s, "v1/configmaps", "cm", "ns")
    assert cm["data"] == {"a": "9"}
    assert cm["metadata"]["labels"] == {"other": "y"}
    assert LAST_APPLIED in cm["metadata"]["annotations"]
    assert await api.ensure(config_map({"a": "9"})) == "unchanged"


async def test_create_only_objects_are_never_patched(k8s: ApiServerEmulator, api: KubeClient) -> None:
    assert await api.ensure(config_map({"password": "first"}), update=False) == "created"
    assert await api.ensure(config_map({"password": "second"}), update=False) == "unchanged"
    assert obj(k8s, "v1/configmaps", "cm", "ns")["data"] == {"password": "first"}
