"""Generate the gRPC Python code from proto/ into chargeplane/pb/ (committed).

The rule (README, "gRPC contracts"): generated code is committed; `make proto`
regenerates it and CI fails when it is stale (`--check`). Protos live at
proto/chargeplane/<svc>/v1/ as buf expects; their Python modules land at
chargeplane/pb/<svc>/v1/ with imports rewritten to that package.
"""

from __future__ import annotations

import argparse
import filecmp
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = ROOT / "proto"
OUT_DIR = ROOT / "chargeplane" / "pb"
_IMPORT = re.compile(r"^(from|import) chargeplane\.(?!pb\.)", re.MULTILINE)


def generate(target: Path) -> None:
    from grpc_tools import protoc  # dev dependency: only needed to regenerate

    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as raw:
        args = [
            "protoc",
            f"-I{PROTO_DIR}",
            f"-I{Path(protoc.__file__).parent / '_proto'}",
            f"--python_out={raw}",
            f"--grpc_python_out={raw}",
            f"--plugin=protoc-gen-mypy={bindir / 'protoc-gen-mypy'}",
            f"--plugin=protoc-gen-mypy_grpc={bindir / 'protoc-gen-mypy_grpc'}",
            f"--mypy_out={raw}",
            f"--mypy_grpc_out={raw}",
            *protos,
        ]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed")
        generated = Path(raw) / "chargeplane"
        target.mkdir(parents=True, exist_ok=True)
        (target / "__init__.py").write_text('"""Generated gRPC code (see chargeplane.tools.protogen)."""\n')
        for src in sorted(generated.rglob("*")):
            if src.is_dir():
                continue
            dest = target / src.relative_to(generated)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(_IMPORT.sub(r"\1 chargeplane.pb.", src.read_text()))
        for pkg in [p for p in target.rglob("*") if p.is_dir()]:
            init = pkg / "__init__.py"
            if not init.exists():
                init.write_text("")


def differences(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__"])
    out: list[str] = []

    def walk(c: filecmp.dircmp[str], prefix: str) -> None:
        out.extend(f"{prefix}{n}" for n in c.left_only + c.right_only)
        out.extend(f"{prefix}{n}" for n in c.diff_files)
        for name, sub in c.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(cmp, "")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if chargeplane/pb is stale")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / "pb"
            generate(fresh)
            stale = differences(fresh, OUT_DIR) if OUT_DIR.exists() else ["chargeplane/pb missing"]
        if stale:
            print("generated gRPC code is stale; run `make proto`:", *stale, sep="\n  ")
            return 1
        print("generated gRPC code is fresh")
        return 0
    if OUT_DIR.exists():
        shutil.rmtree(OUT_DIR)
    generate(OUT_DIR)
    print(f"generated {OUT_DIR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
