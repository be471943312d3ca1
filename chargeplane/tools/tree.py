"""Run a static checker (import-linter, mypy) on the installed layout of the package.

Both tools discover modules by walking folders, so they cannot see the mapped folders
(gateway/, services/, operator/src) of an editable install. This assembles the layout the
wheel has -- every mapped folder under one `chargeplane/` -- in a temporary directory,
runs the tool there and maps reported paths back to the source folders.

    python -m chargeplane.tools.tree lint-imports
    python -m chargeplane.tools.tree mypy [extra mypy args]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAPPED = {"gateway": "gateway", "services": "services", "operator": "operator/src"}
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def assemble(target: Path) -> Path:
    package = target / "chargeplane"
    shutil.copytree(ROOT / "chargeplane", package, ignore=_IGNORE)
    for name, folder in MAPPED.items():
        shutil.copytree(ROOT / folder, package / name, ignore=_IGNORE)
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def _to_source(line: str) -> str:
    for name, folder in MAPPED.items():
        line = line.replace(f"chargeplane/{name}/", f"{folder}/")
    return line


def run(tool: str, args: list[str]) -> int:
    bindir = Path(sys.executable).parent
    commands = {
        "lint-imports": [str(bindir / "lint-imports"), "--no-cache"],
        "mypy": [str(bindir / "mypy"), "--cache-dir", str(ROOT / ".mypy_cache")],
    }
    with tempfile.TemporaryDirectory() as tmp:
        tree = assemble(Path(tmp))
        # PYTHONPATH puts the tree before the editable-install finder, so the tree wins.
        env = {**os.environ, "PYTHONPATH": str(tree)}
        result = subprocess.run([*commands[tool], *args], cwd=tree, env=env, capture_output=True, text=True)
    sys.stdout.write("".join(_to_source(line) for line in result.stdout.splitlines(keepends=True)))
    sys.stderr.write(result.stderr)
    return result.returncode


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("lint-imports", "mypy"):
        print(__doc__, file=sys.stderr)
        return 2
    return run(sys.argv[1], sys.argv[2:])


if __name__ == "__main__":
    raise SystemExit(main())
