"""helm lint/template of the chart, with every rendered object validated."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from chargeplane.operator import crdgen
from tests.chart.conftest import CHART, CI_VALUES, MONITORING_APIS, Render
from tests.operator.crdcheck import errors as cr_errors

Helm = Callable[..., subprocess.CompletedProcess[str]]
CI = CHART / "ci" / "ci-values.yaml"
K8S_VERSIONS = ["1.30.0", "1.34.0"]
# Kinds kubernetes-validate has no schema for; each is checked another way below.
FOREIGN = {"ServiceMonitor", "PrometheusRule"}


def _kinds(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


@pytest.mark.parametrize("values", [None, *CI_VALUES], ids=lambda v: v.name if v else "default")
def test_lint_strict(helm: Helm, values: Path | None) -> None:
    args = ["lint", "--strict", str(CHART)] + (["-f", str(values)] if values else [])
    result = helm(*args)
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout


@pytest.mark.parametrize("values", [None, *CI_VALUES], ids=lambda v: v.name if v else "default")
def test_every_rendered_object_is_valid(render: Render, values: Path | None) -> None:
    docs = render(*([values] if values else []), api_versions=tuple(MONITORING_APIS))
    assert docs
    for doc in docs:
        if doc["kind"] in FOREIGN:
            continue
        for version in K8S_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                raise AssertionError(f"{doc['kind']}/{doc['metadata']['name']} on {version}: {exc}") from exc


def test_default_render(render: Render) -> None:
    objs = _kinds(render())
    kinds = sorted({k for k, _ in objs})
    assert kinds == [
        "ClusterRole", "ConfigMap", "CustomResourceDefinition", "Deployment", "Pod", "Role", "RoleBinding",
        "ServiceAccount",
    ]  # fmt: skip
    # Namespaced by default: the only ClusterRoles are the aggregated view/edit roles for users.
    cluster_roles = [d for d in render() if d["kind"] == "ClusterRole"]
    assert all(
        "rbac.authorization.k8s.io/aggregate-to-view" in d["metadata"]["labels"]
        or "rbac.authorization.k8s.io/aggregate-to-edit" in d["metadata"]["labels"]
        for d in cluster_roles
    )
    # Production defaults: no bundled storage, no ingress, no monitoring objects.
    assert not any(k in ("StatefulSet", "Secret", "ServiceMonitor", "PrometheusRule") for k, _ in objs)


def test_crd_copies_match_the_source(render: Render) -> None:
    rendered = {d["metadata"]["name"]: d for d in render() if d["kind"] == "CustomResourceDefinition"}
    for path in sorted((CHART.parents[1] / "manifests" / "crds").glob("*.yaml")):
        source = yaml.safe_load(path.read_text())
        got = rendered.pop(source["metadata"]["name"])
        assert got["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"}
        del got["metadata"]["annotations"]
        assert got == source
    assert rendered == {}
    assert crdgen.stale() == []


def test_crds_toggle(render: Render) -> None:
    assert not [d for d in render(sets=("crds.install=false",)) if d["kind"] == "CustomResourceDefinition"]
    only_ours = [
        d["metadata"]["name"]
        for d in render(sets=("crds.kopfPeering=false",))
        if d["kind"] == "CustomResourceDefinition"
    ]
    assert sorted(only_ours) == [
        "chargepoints.chargeplane.io",
        "chargingsites.chargeplane.io",
        "controlplanes.chargeplane.io",
    ]


def _control_plane(docs: list[dict[str, Any]]) -> dict[str, Any]:
    cm = _kinds(docs)["ConfigMap", "rel-chargeplane-controlplane"]
    cp: dict[str, Any] = yaml.safe_load(cm["data"]["controlplane.yaml"])
    return cp


@pytest.mark.parametrize(
    "values",
    [None, *(v for v in CI_VALUES if v.name != "manifests-values.yaml")],
    ids=lambda v: v.name if v else "default",
)
def test_control_plane_resource_is_valid(render: Render, values: Path | None) -> None:
    cp = _control_plane(render(*([values] if values else [])))
    assert cp["kind"] == "ControlPlane" and cp["metadata"]["namespace"] == "chargeplane"
    assert cr_errors(cp) == []


def test_ci_values_turn_everything_on(render: Render) -> None:
    docs = render(CI, api_versions=tuple(MONITORING_APIS))
    objs = _kinds(docs)
    cp = _control_plane(docs)
    assert cp["spec"]["ingress"] == {
        "enabled": True, "host": "csms.example.com", "className": "nginx", "tlsSecretName": "csms-example-com-tls",
        "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"},
    }  # fmt: skip
    assert cp["spec"]["postgres"]["urlSecretRef"] == {"name": "rel-chargeplane-postgresql", "key": "url"}
    assert cp["spec"]["redis"]["urlSecretRef"] == {"name": "rel-chargeplane-redis", "key": "url"}
    assert ("StatefulSet", "rel-chargeplane-postgresql") in objs and ("Deployment", "rel-chargeplane-redis") in objs
    assert {("ServiceMonitor", "rel-chargeplane"), ("PrometheusRule", "rel-chargeplane")} <= set(objs)
    assert objs["ServiceMonitor", "rel-chargeplane"]["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    dashboard = objs["ConfigMap", "rel-chargeplane-dashboard"]
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    panels = json.loads(dashboard["data"]["chargeplane.json"])["panels"]
    assert all(p["datasource"]["uid"] == "${datasource}" for p in panels)
    # One Role per watched namespace, never a ClusterRole with write access.
    roles = sorted(d["metadata"]["namespace"] for d in docs if d["kind"] == "Role")
    assert roles == ["chargeplane", "depots"]


def test_bundled_storage_urls_use_the_generated_password(render: Render) -> None:
    import base64

    objs = _kinds(render(CI))
    secret = objs["Secret", "rel-chargeplane-postgresql"]["data"]
    password = base64.b64decode(secret["password"]).decode()
    assert len(password) == 32
    assert base64.b64decode(secret["url"]).decode() == (
        f"postgresql://chargeplane:{password}@rel-chargeplane-postgresql.chargeplane.svc:5432/chargeplane"
    )


def test_monitoring_needs_the_crds(render: Render) -> None:
    kinds = {d["kind"] for d in render(CI)}  # no --api-versions: the cluster lacks Prometheus Operator
    assert not kinds & FOREIGN


def test_operator_deployment(render: Render) -> None:
    objs = _kinds(render(CI))
    dep = objs["Deployment", "rel-chargeplane-operator"]
    pod = dep["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == [
        "operator", "--namespace=chargeplane", "--namespace=depots", "--priority=100", "--peering=rel-chargeplane",
        "--status-interval=10", "--liveness=http://0.0.0.0:8080/healthz", "--apply=/etc/chargeplane/controlplane.yaml",
    ]  # fmt: skip
    assert container["image"] == "ghcr.io/chargeplane/chargeplane:0.1.0-ci"
    assert dep["spec"]["replicas"] == 2 and dep["spec"]["strategy"]["type"] == "Recreate"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    selector = dep["spec"]["selector"]["matchLabels"]
    assert "helm.sh/chart" not in selector and "app.kubernetes.io/version" not in selector


def test_clusterwide_rbac(render: Render) -> None:
    docs = render(CHART / "ci" / "clusterwide-values.yaml")
    objs = _kinds(docs)
    assert not [d for d in docs if d["kind"] in ("Role", "RoleBinding", "CustomResourceDefinition")]
    rules = objs["ClusterRole", "rel-chargeplane-operator"]["rules"]
    assert {
        "apiGroups": ["kopf.dev"],
        "resources": ["clusterkopfpeerings"],
        "verbs": ["get", "list", "watch", "create", "patch"],
    } in rules
    assert (
        "--all-namespaces"
        in objs["Deployment", "rel-chargeplane-operator"]["spec"]["template"]["spec"]["containers"][0]["args"]
    )


def test_rbac_is_least_privilege(render: Render) -> None:
    for doc in render(CI):
        if doc["kind"] not in ("Role", "ClusterRole"):
            continue
        for rule in doc["rules"]:
            assert "*" not in rule["verbs"] and "*" not in rule["resources"], rule
            if "secrets" in rule["resources"]:
                assert set(rule["verbs"]) <= {"get", "create", "patch"}  # never list/watch every Secret


def test_helm_test_hook(render: Render) -> None:
    pod = _kinds(render(CI))["Pod", "rel-chargeplane-test-boot"]
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
    assert env["OCPP_URL"] == "ws://depot-amsterdam-gateway.chargeplane.svc:9000/ocpp/depot-amsterdam/helm-test-cp"
    assert env["API_URL"] == "http://chargeplane-api.chargeplane.svc:8080"
    script = pod["spec"]["containers"][0]["args"][0]
    compile(script, "helm-test", "exec")  # the embedded test program is valid Python
    assert "BootNotification" in script and "Accepted" in script


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("operator.replicas=0", "minimum"),
        ("image.pullPolicy=Sometimes", "pullPolicy"),
        ("controlPlane.bootPolicy=open", "bootPolicy"),
        ("unknownKey=1", "unknownKey"),
    ],
)
def test_values_schema_rejects_bad_values(helm: Helm, setting: str, message: str) -> None:
    result = helm("template", "rel", str(CHART), "--set", setting, check=False)
    assert result.returncode != 0 and message in result.stderr


def test_missing_required_values_fail_clearly(helm: Helm) -> None:
    result = helm("template", "rel", str(CHART), "--set", "ingress.enabled=true", check=False)
    assert result.returncode != 0 and "ingress.host is required" in result.stderr


def test_standby_replicas_need_peering(helm: Helm) -> None:
    args = ["template", "rel", str(CHART), "--set", "operator.replicas=2,crds.kopfPeering=false"]
    result = helm(*args, check=False)
    assert result.returncode != 0 and "needs kopf peering" in result.stderr
    helm(*args, "--api-versions", "kopf.dev/v1")  # fine when the cluster already has kopf's CRDs


def _undocumented(schema: dict[str, Any], where: str) -> list[str]:
    missing = [] if schema.get("description") or where == "" else [where]
    for key, sub in schema.get("properties", {}).items():
        missing += _undocumented(sub, f"{where}.{key}")
    if isinstance(schema.get("items"), dict):
        missing += _undocumented(schema["items"], f"{where}[]")
    return missing


def test_values_schema_describes_every_value() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert _undocumented(schema, "") == []
    values = yaml.safe_load((CHART / "values.yaml").read_text())

    def walk(value: Any, sch: dict[str, Any], where: str) -> None:
        if isinstance(value, dict) and "properties" in sch:
            for key, sub in value.items():
                assert key in sch["properties"], f"{where}.{key} is not in values.schema.json"
                walk(sub, sch["properties"][key], f"{where}.{key}")

    walk(values, schema, "")
