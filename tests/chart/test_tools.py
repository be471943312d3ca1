"""chargeplane.tools.helm: the offline Helm 3 binary, checked by sha256."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

import pytest

from chargeplane.tools import helm as helm_tool


def test_helm_is_the_pinned_version(helm_bin: Path, helm_env: dict[str, str]) -> None:
    out = subprocess.run(
        [str(helm_bin), "version", "--short"], capture_output=True, text=True, env=helm_env, check=True
    )
    assert out.stdout.startswith("v3.19.0+")
    assert helm_tool.helm_path() == helm_bin  # cached: the second call downloads nothing


def test_a_tampered_binary_is_refused(tmp_path: Path) -> None:
    layer = io.BytesIO()
    with zipfile.ZipFile(layer, "w") as zf:
        zf.writestr("helm/helm", b"#!/bin/sh\necho not helm\n")
        zf.writestr("kubectl/kubectl", b"")
    with pytest.raises(helm_tool.ToolError, match="does not match the pinned"):
        helm_tool._install(layer.getvalue(), tmp_path / "bin")
    assert not (tmp_path / "bin" / "helm").exists()


def test_cached_binaries_are_reverified(tmp_path: Path, helm_bin: Path) -> None:
    bin_dir = tmp_path / "helm-3.19.0" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "helm").write_bytes(helm_bin.read_bytes())
    (bin_dir / "kubectl").write_bytes(b"corrupted")
    assert helm_tool._verified(bin_dir / "helm")
    assert not helm_tool._verified(bin_dir / "kubectl")  # so ensure() would fetch again
