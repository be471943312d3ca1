"""The PrometheusRule's alerts, checked and unit-tested with promtool (Debian's prometheus)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.chart.conftest import CHART, MONITORING_APIS, Render

RULE_TESTS = Path(__file__).with_name("alerts_test.yaml")


def _rules_file(render: Render, tmp_path: Path) -> Path:
    docs = render(CHART / "ci" / "ci-values.yaml", api_versions=tuple(MONITORING_APIS))
    (rule,) = [d for d in docs if d["kind"] == "PrometheusRule"]
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(rule["spec"]))
    return path


def test_rules_are_valid(render: Render, promtool: Path, tmp_path: Path) -> None:
    rules = _rules_file(render, tmp_path)
    result = subprocess.run([str(promtool), "check", "rules", str(rules)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 4 rules found" in result.stdout


def test_alerts_fire_on_their_symptoms(render: Render, promtool: Path, tmp_path: Path) -> None:
    _rules_file(render, tmp_path)
    (tmp_path / "tests.yaml").write_text(RULE_TESTS.read_text())
    result = subprocess.run(
        [str(promtool), "test", "rules", "tests.yaml"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
