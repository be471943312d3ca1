"""The CRDs: one source, generated copies in sync, conventions users rely on, validation rules."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest

from chargeplane.operator import crdgen, crds
from chargeplane.operator import resources as r
from tests.operator.conftest import REPO
from tests.operator.crdcheck import errors, schema_for

# Short names kubectl already resolves to built-in resources (kubectl api-resources, 1.34).
BUILTIN_SHORT_NAMES = {
    "cm", "cs", "csr", "cj", "crd", "crds", "deploy", "ds", "ep", "ev", "hpa", "ing", "limits", "netpol", "no",
    "ns", "pc", "pdb", "po", "psp", "pv", "pvc", "quota", "rc", "rs", "sa", "sc", "sts", "svc", "ingclass",
}  # fmt: skip


def test_generated_files_match_the_source() -> None:
    assert crdgen.stale() == [], "run: python -m chargeplane.operator.crdgen"


def test_drift_is_detected(tmp_path: Path) -> None:
    crdgen.write(tmp_path)
    assert crdgen.stale(tmp_path) == []
    target = tmp_path / "manifests" / "crds" / "chargeplane.io_chargepoints.yaml"
    target.write_text(target.read_text().replace("minimum: 0", "minimum: 1", 1))
    (tmp_path / "charts" / "chargeplane" / "templates" / "crds" / "old.yaml").write_text("stray")
    assert sorted(p.name for p in crdgen.stale(tmp_path)) == ["chargeplane.io_chargepoints.yaml", "old.yaml"]
    assert crdgen.main(["--check", "--root", str(tmp_path)]) == 1
    crdgen.write(tmp_path)
    assert crdgen.main(["--check", "--root", str(tmp_path)]) == 0


def test_chart_copy_is_toggled_and_kept() -> None:
    text = (REPO / "charts/chargeplane/templates/crds/chargeplane.io_chargingsites.yaml").read_text()
    assert "{{- if .Values.crds.install }}" in text and text.rstrip().endswith("{{- end }}")
    assert "helm.sh/resource-policy: keep" in text


@pytest.mark.parametrize("crd", crds.all_crds(), ids=lambda c: c["spec"]["names"]["kind"])
def test_crd_conventions(crd: dict[str, Any]) -> None:
    names = crd["spec"]["names"]
    assert crd["spec"]["group"] == r.GROUP
    assert names["categories"] == [r.CATEGORY]
    assert not set(names["shortNames"]) & BUILTIN_SHORT_NAMES
    (version,) = crd["spec"]["versions"]
    assert version["name"] == r.VERSION and version["served"] and version["storage"]
    assert version["subresources"] == {"status": {}}
    columns = {c["name"]: c for c in version["additionalPrinterColumns"]}
    assert columns["Age"]["jsonPath"] == ".metadata.creationTimestamp"
    assert all(c.get("description") for c in columns.values())
    status = version["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]
    assert status["observedGeneration"]["type"] == "integer"
    conds = status["conditions"]
    assert conds["x-kubernetes-list-type"] == "map" and conds["x-kubernetes-list-map-keys"] == ["type"]
    assert set(conds["items"]["required"]) == {"type", "status", "lastTransitionTime", "reason", "message"}


def _undocumented(schema: dict[str, Any], where: str) -> list[str]:
    missing = [] if schema.get("description") else [where]
    for key, sub in schema.get("properties", {}).items():
        missing += _undocumented(sub, f"{where}.{key}")
    if isinstance(schema.get("items"), dict):
        missing += _undocumented(schema["items"], f"{where}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        missing += _undocumented(schema["additionalProperties"], f"{where}{{}}")
    return missing


@pytest.mark.parametrize("kind", ["ChargingSite", "ChargePoint", "ControlPlane"])
def test_every_property_is_described(kind: str) -> None:
    assert _undocumented(schema_for(kind), kind) == []


def test_short_names_are_unique_across_our_crds() -> None:
    short = [n for crd in crds.all_crds() for n in crd["spec"]["names"]["shortNames"]]
    assert len(short) == len(set(short))


def test_examples_are_valid(examples: list[dict[str, Any]]) -> None:
    kinds = [d["kind"] for d in examples]
    assert kinds.count("ChargePoint") == 3 and kinds.count("ChargingSite") == 1
    for doc in examples:
        assert errors(doc) == [], doc["metadata"]["name"]


def _site(examples: list[dict[str, Any]]) -> dict[str, Any]:
    return copy.deepcopy(next(d for d in examples if d["kind"] == "ChargingSite"))


def _cp(examples: list[dict[str, Any]], name: str = "ams-dc-01") -> dict[str, Any]:
    return copy.deepcopy(next(d for d in examples if d["metadata"]["name"] == name))


def test_cel_min_shards_not_above_max(examples: list[dict[str, Any]]) -> None:
    site = _site(examples)
    site["spec"]["gateway"].update(minShards=7, maxShards=6)
    assert errors(site) == ["self.spec.gateway: minShards must not exceed maxShards"]


def test_cel_defaults_are_applied_before_rules(examples: list[dict[str, Any]]) -> None:
    site = _site(examples)
    site["spec"]["gateway"] = {"minShards": 11}  # maxShards defaults to 10
    assert errors(site) == ["self.spec.gateway: minShards must not exceed maxShards"]


def test_cel_grid_needs_a_limit(examples: list[dict[str, Any]]) -> None:
    site = _site(examples)
    site["spec"]["gridConnection"] = {"phases": 1}
    assert errors(site) == ["self.spec.gridConnection: set maxCurrentA or maxPowerKw (or both)"]


def test_cel_site_name_length(examples: list[dict[str, Any]]) -> None:
    site = _site(examples)
    site["metadata"]["name"] = "a" * 41
    assert errors(site) == ["self: ChargingSite names are at most 40 characters"]


def test_schema_rejects_bad_values(examples: list[dict[str, Any]]) -> None:
    cp = _cp(examples)
    cp["spec"]["ocppVersions"] = ["ocpp1.5"]
    cp["spec"]["identity"] = "has space"
    cp["spec"]["evses"][0]["connectors"][0]["maxPowerKw"] = 0
    found = errors(cp)
    assert any("ocppVersions.0" in e for e in found)
    assert any(e.startswith("spec.identity") for e in found)
    assert any("maxPowerKw" in e for e in found)


def test_cel_connector_power_within_evse(examples: list[dict[str, Any]]) -> None:
    cp = _cp(examples)
    cp["spec"]["evses"][0]["connectors"][0]["maxPowerKw"] = 200
    assert errors(cp) == ["self.spec.evses[0]: a connector's maxPowerKw must not exceed its EVSE's maxPowerKw"]


def test_cel_identity_is_immutable_on_update(examples: list[dict[str, Any]]) -> None:
    old = _cp(examples)
    new = copy.deepcopy(old)
    new["spec"]["identity"] = "AMS-DC-99"
    assert errors(new) == []  # a create: transition rules do not apply
    assert errors(new, old=old) == ["self.spec: identity is immutable; create a new ChargePoint instead"]
    assert errors(copy.deepcopy(old), old=old) == []


def test_cel_profile_zero_has_no_password(examples: list[dict[str, Any]]) -> None:
    cp = _cp(examples, "ams-ac-02")
    cp["spec"]["securityProfile"] = 0
    assert errors(cp) == ["self.spec: securityProfile 0 has no password; remove credentialsSecretRef"]


def test_cel_ocpp16_config_needs_ocpp16(examples: list[dict[str, Any]]) -> None:
    cp = _cp(examples, "ams-ac-02")
    cp["spec"]["ocppVersions"] = ["ocpp2.0.1"]
    assert errors(cp) == ["self.spec: configuration.ocpp16 needs ocpp1.6 in ocppVersions"]


def test_cel_ingress_needs_host(examples: list[dict[str, Any]]) -> None:
    cplane = copy.deepcopy(next(d for d in examples if d["kind"] == "ControlPlane"))
    del cplane["spec"]["ingress"]["host"]
    assert errors(cplane) == ["self.spec.ingress: ingress.host is required when ingress is enabled"]


def test_crdgen_cli_writes_into_a_root(tmp_path: Path) -> None:
    assert crdgen.main(["--root", str(tmp_path)]) == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.yaml"))
    assert len(written) == 10
    shutil.rmtree(tmp_path / "manifests")
    assert crdgen.main(["--check", "--root", str(tmp_path)]) == 1
