"""manifests/: generated from one source each, and valid."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from chargeplane.operator import manifestgen
from chargeplane.operator.crds import all_crds, peering_crds
from tests.chart.conftest import REPO
from tests.operator.crdcheck import errors as cr_errors

MANIFESTS = REPO / "manifests"


def test_operator_manifests_are_rendered_from_the_chart(helm_bin: Path) -> None:
    path = manifestgen.target()
    assert path.read_text() == manifestgen.render(), "run: python -m chargeplane.operator.manifestgen"
    assert manifestgen.main(["--check"]) == 0


@pytest.mark.parametrize("path", sorted(MANIFESTS.glob("*/*.yaml")), ids=lambda p: str(p.relative_to(MANIFESTS)))
def test_every_manifest_is_valid(path: Path) -> None:
    for doc in (d for d in yaml.safe_load_all(path.read_text()) if d):
        if doc["apiVersion"].startswith("chargeplane.io/"):
            assert cr_errors(doc) == [], doc["metadata"]["name"]
        else:
            kubernetes_validate.validate(doc, "1.30.0", strict=True)


def test_crds_folder_holds_exactly_the_generated_crds() -> None:
    names = {yaml.safe_load(p.read_text())["metadata"]["name"] for p in (MANIFESTS / "crds").glob("*.yaml")}
    assert names == {c["metadata"]["name"] for c in [*all_crds(), *peering_crds()]}


def test_operator_manifest_runs_with_peering_in_its_namespace() -> None:
    docs = list(yaml.safe_load_all(manifestgen.target().read_text()))
    (dep,) = [d for d in docs if d and d["kind"] == "Deployment"]
    args = dep["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--namespace=chargeplane" in args and "--standalone" not in args
    assert not any(a.startswith("--apply") for a in args)  # the example ControlPlane is applied by hand
