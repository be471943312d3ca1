"""Opt-in end-to-end suite on a real cluster: install the chart, apply the examples, boot a charger.

Runs only when KUBECONFIG points at a cluster (and CHARGEPLANE_TEST_IMAGE names an image the
cluster can pull); otherwise every test is skipped with the reason. It proves what the API
emulator cannot: schema/CEL admission, defaulting, garbage collection, real controllers and
probes, RBAC, Ingress/Service wiring and `helm test`.

    KUBECONFIG=~/.kube/config CHARGEPLANE_TEST_IMAGE=ghcr.io/chargeplane/chargeplane:dev \\
        .venv/bin/pytest tests/chart/test_cluster.py -m cluster
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chart.conftest import CHART, REPO

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(
        not os.environ.get("KUBECONFIG"), reason="no real cluster: set KUBECONFIG to run the cluster suite"
    ),
    pytest.mark.skipif(
        not os.environ.get("CHARGEPLANE_TEST_IMAGE"),
        reason="no image: set CHARGEPLANE_TEST_IMAGE to an image of this tree the cluster can pull",
    ),
]


ENV: dict[str, str] = {}  # helm's temp cache dirs plus the real KUBECONFIG, set by `release`


def run(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=ENV or None)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)}:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def release(helm_bin: Path, helm_env: dict[str, str]) -> Iterator[tuple[str, str]]:
    from chargeplane.tools import helm as helm_tool

    ENV.update(helm_env, KUBECONFIG=os.environ["KUBECONFIG"])
    kubectl = str(helm_tool.kubectl_path())
    namespace = f"cp-e2e-{uuid.uuid4().hex[:6]}"
    repository, _, tag = os.environ["CHARGEPLANE_TEST_IMAGE"].rpartition(":")
    run(
        str(helm_bin), "install", "e2e", str(CHART), "--namespace", namespace, "--create-namespace", "--wait",
        "--timeout", "10m", "--set", f"image.repository={repository},image.tag={tag}",
        "--set", "postgresql.bundled=true,redis.bundled=true,controlPlane.bootPolicy=dev",
        "--set", "tests.site=depot-amsterdam,tests.chargePointId=E2E-CP-1",
        timeout=900,
    )  # fmt: skip
    try:
        yield kubectl, namespace
    finally:
        run(str(helm_bin), "uninstall", "e2e", "--namespace", namespace, check=False)
        run(kubectl, "delete", "namespace", namespace, "--wait=false", check=False)


def get(kubectl: str, namespace: str, kind: str, name: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(run(kubectl, "get", kind, name, "-n", namespace, "-o", "json").stdout)
    return out


def test_apiserver_rejects_an_invalid_site(release: tuple[str, str]) -> None:
    kubectl, namespace = release
    bad = '{"apiVersion":"chargeplane.io/v1alpha1","kind":"ChargingSite","metadata":{"name":"bad"},' \
          '"spec":{"gridConnection":{"maxPowerKw":10},"gateway":{"minShards":5,"maxShards":2}}}'  # fmt: skip
    result = subprocess.run([kubectl, "apply", "-n", namespace, "-f", "-"], input=bad, capture_output=True, text=True)
    assert result.returncode != 0 and "minShards must not exceed maxShards" in result.stderr


def test_examples_reconcile_and_a_charger_boots(release: tuple[str, str]) -> None:
    kubectl, namespace = release
    for name in ("10-chargingsite.yaml", "20-chargepoints.yaml"):
        manifest = (
            (REPO / "manifests" / "examples" / name)
            .read_text()
            .replace("namespace: chargeplane", f"namespace: {namespace}")
        )
        subprocess.run([kubectl, "apply", "-f", "-"], input=manifest, check=True, text=True, capture_output=True)
    cp = '{"apiVersion":"chargeplane.io/v1alpha1","kind":"ChargePoint","metadata":{"name":"e2e-cp-1"},' \
         '"spec":{"siteRef":"depot-amsterdam","identity":"E2E-CP-1","securityProfile":0}}'  # fmt: skip
    subprocess.run([kubectl, "apply", "-n", namespace, "-f", "-"], input=cp, check=True, text=True, capture_output=True)
    run(kubectl, "wait", "-n", namespace, "--for=condition=Ready", "chargingsite/depot-amsterdam", "--timeout=5m")
    run(kubectl, "wait", "-n", namespace, "--for=condition=Ready", "chargepoint/e2e-cp-1", "--timeout=2m")
    # The helm test Pod is a virtual charger: OCPP 2.0.1 Boot through the site's gateway Service.
    from chargeplane.tools import helm as helm_tool

    run(str(helm_tool.helm_path()), "test", "e2e", "--namespace", namespace, "--logs", timeout=300)
    run(kubectl, "wait", "-n", namespace, "--for=condition=Accepted", "chargepoint/e2e-cp-1", "--timeout=2m")
    status = get(kubectl, namespace, "chargepoint", "e2e-cp-1")["status"]
    assert status["bootStatus"] == "Accepted" and status["model"] == "helm-test"
    # Deleting the site's owner garbage-collects its shards (ownerReferences).
    run(kubectl, "delete", "-n", namespace, "chargingsite/depot-amsterdam", "--wait=true", "--timeout=2m")
    gone = run(kubectl, "get", "-n", namespace, "statefulset/depot-amsterdam-gateway", check=False)
    assert gone.returncode != 0
