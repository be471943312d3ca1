"""`helm install --dry-run` against the Kubernetes API emulator: Helm's own install path.

Helm maps every rendered object to an API resource before creating anything; a custom
resource whose CRD ships in the same release fails right there ("ensure CRDs are installed
first"), which is why the ControlPlane travels in a ConfigMap. The dry run also renders
NOTES.txt, which `helm template` never does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import kmock
import pytest

from tests.chart.conftest import CHART
from tests.operator.emulator import ApiServerEmulator, kubeconfig

# What a 1.34 cluster serves for the kinds this chart renders (discovery is all Helm needs here).
EXTRA = [
    ("v1/serviceaccounts", "ServiceAccount", True),
    ("v1/pods", "Pod", True),
    ("rbac.authorization.k8s.io/v1/roles", "Role", True),
    ("rbac.authorization.k8s.io/v1/rolebindings", "RoleBinding", True),
    ("rbac.authorization.k8s.io/v1/clusterroles", "ClusterRole", False),
    ("rbac.authorization.k8s.io/v1/clusterrolebindings", "ClusterRoleBinding", False),
]


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Path]:
    async with ApiServerEmulator() as emulator, kmock.Server(emulator) as server:
        for key, kind, namespaced in EXTRA:
            emulator.resources[key] = kmock.ResourceInfo(
                kind=kind, namespaced=namespaced, verbs={"get", "list", "create"}
            )
        emulator["get /version"] << {"major": "1", "minor": "34", "gitVersion": "v1.34.0"}
        yield kubeconfig(tmp_path / "kubeconfig", str(server.url))


async def _install(helm_bin: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        str(helm_bin), "install", "csms", str(CHART), "--namespace", "chargeplane",
        "--dry-run=client", "--disable-openapi-validation", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


async def test_install_dry_run_maps_every_object_and_prints_notes(
    helm_bin: Path, helm_env: dict[str, str], cluster: Path
) -> None:
    env = {**helm_env, "KUBECONFIG": str(cluster)}
    code, out = await _install(helm_bin, env, "--set", "ingress.enabled=true,ingress.host=csms.example.com")
    assert code == 0, out
    notes = out.split("NOTES:", 1)[1]
    assert "kubectl get chargeplane -n chargeplane" in notes
    assert "ws://csms.example.com/ocpp/depot/cp-001" in notes
    assert "helm test csms -n chargeplane" in notes


async def test_a_custom_resource_next_to_its_crd_would_not_install(
    helm_bin: Path, helm_env: dict[str, str], cluster: Path, tmp_path: Path
) -> None:
    # The failure mode the ConfigMap route avoids, shown with a chart that does it the naive way:
    # a CRD the cluster does not serve yet, and a resource of that kind in the same release.
    bad = tmp_path / "bad"
    (bad / "templates").mkdir(parents=True)
    (bad / "Chart.yaml").write_text("apiVersion: v2\nname: bad\nversion: 0.1.0\n")
    crd = (CHART / "templates" / "crds" / "chargeplane.io_controlplanes.yaml").read_text()
    crd = crd.replace(".Values.crds.install", "true").replace("chargeplane.io", "example.com")
    (bad / "templates" / "crd.yaml").write_text(crd)
    (bad / "templates" / "cr.yaml").write_text(
        "apiVersion: example.com/v1alpha1\nkind: ControlPlane\nmetadata: {name: x}\nspec: {}\n"
    )
    env = {**helm_env, "KUBECONFIG": str(cluster)}
    proc = await asyncio.create_subprocess_exec(
        str(helm_bin), "install", "bad", str(bad), "--dry-run=client", "--disable-openapi-validation",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    assert proc.returncode != 0 and "ensure CRDs are installed first" in out.decode()
