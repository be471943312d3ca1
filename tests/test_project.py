"""Project-level checks: packaging of the namespace portions, layering, generated code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPONENTS = ["chargeplane.gateway", "chargeplane.services", "chargeplane.operator"]
IMPORT_CHECK = (
    "import importlib, sys; "
    f"mods = [importlib.import_module(m) for m in {COMPONENTS!r}]; "
    "print('\\n'.join(m.__file__ for m in mods))"
)


def test_editable_install_imports_every_component() -> None:
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK], cwd="/", check=True, capture_output=True, text=True
    ).stdout.split()
    assert [Path(p).parent.relative_to(ROOT).as_posix() for p in out] == [
        "gateway/chargeplane/gateway",
        "services/chargeplane/services",
        "operator/chargeplane/operator",
    ]


def test_stdlib_operator_is_not_shadowed_from_the_repo_root() -> None:
    code = (
        "import operator, sys; "
        "assert operator.__file__.startswith(sys.base_prefix), operator.__file__; print(operator.itemgetter)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    # `python -m pytest` puts the repo root first on sys.path: the same must hold there.
    subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); {code}"], cwd=ROOT, check=True
    )


@pytest.mark.slow
def test_built_wheel_imports_every_component(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", ".chargeplane", "*.egg-info", "build", ".tools", "__pycache__", ".*_cache"
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = (tmp_path / "dist").glob("chargeplane-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for expected in [
        "chargeplane/gateway/server.py",
        "chargeplane/services/__init__.py",
        "chargeplane/operator/__init__.py",
        "chargeplane/pb/registry/v1/registry_pb2.py",
        "chargeplane/db/migrations/env.py",
    ]:
        assert expected in names, expected
    assert not any(n.startswith(("operator/", "gateway/", "services/")) for n in names)
    # PEP 420: no portion may carry the root package's __init__.py, or it would hide the others.
    assert "chargeplane/__init__.py" not in names
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r}); {IMPORT_CHECK}"],
        cwd="/",
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert all(line.startswith(str(target)) for line in out.split()), out


def test_import_layering_contracts() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_grpc_code_is_fresh() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chargeplane.tools.protogen", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_protos_pass_buf_lint() -> None:
    buf = Path(sys.executable).parent / "buf"
    result = subprocess.run([str(buf), "lint"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
