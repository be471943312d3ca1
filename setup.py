"""Package discovery for the mapped-folder layout (README: "Repository layout").

One import root `chargeplane`; component code lives in the mandated top-level folders.
The operator package sits one level down (operator/src) so the repository root never
holds an `operator/__init__.py` that would shadow the standard library's `operator`.
"""

from setuptools import find_packages, setup

ROOTS = {
    "chargeplane": "chargeplane",
    "chargeplane.gateway": "gateway",
    "chargeplane.services": "services",
    "chargeplane.operator": "operator/src",
}

packages: list[str] = []
for prefix, folder in ROOTS.items():
    packages.append(prefix)
    packages.extend(f"{prefix}.{sub}" for sub in find_packages(folder))

setup(packages=packages, package_dir=ROOTS)
