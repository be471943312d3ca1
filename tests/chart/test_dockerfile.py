"""The Dockerfile cannot be built here (no container runtime); check what can be checked statically."""

from __future__ import annotations

import fnmatch
import re
import shlex
import tomllib

from tests.chart.conftest import REPO

DOCKERFILE = (REPO / "Dockerfile").read_text()
IGNORED = [
    line.strip()
    for line in (REPO / ".dockerignore").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_multi_stage_non_root_with_chargeplane_entrypoint() -> None:
    instructions = _instructions()
    known = {"FROM", "ARG", "ENV", "WORKDIR", "COPY", "RUN", "LABEL", "USER", "EXPOSE", "ENTRYPOINT", "CMD"}
    assert {kw for kw, _ in instructions} <= known
    froms = [rest for kw, rest in instructions if kw == "FROM"]
    assert len(froms) == 2 and froms[0].endswith("AS build")
    final = instructions[max(i for i, (kw, _) in enumerate(instructions) if kw == "FROM") :]
    users = [rest for kw, rest in final if kw == "USER"]
    assert users and users[-1].split(":")[0] == "10001"  # numeric, matches the chart's runAsUser
    assert ("ENTRYPOINT", '["chargeplane"]') in final
    assert not any(kw == "COPY" and "--from=build" not in rest for kw, rest in final)  # no sources in the runtime


def _ignored(path: str) -> bool:
    return any(fnmatch.fnmatch(path, pat) or path.startswith(pat.rstrip("/") + "/") for pat in IGNORED)


def test_everything_copied_exists_and_is_in_the_build_context() -> None:
    for kw, rest in _instructions():
        if kw != "COPY" or "--from=" in rest:
            continue
        *sources, _dest = shlex.split(rest)
        for source in sources:
            assert (REPO / source).exists(), source
            assert not _ignored(source), f"{source} is excluded by .dockerignore"


def test_every_namespace_portion_is_copied() -> None:
    # The wheel is built from these folders (pyproject `only-include`); a missing one breaks imports.
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    portions = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["only-include"]
    copied = {shlex.split(rest)[0] for kw, rest in _instructions() if kw == "COPY" and "--from" not in rest}
    assert portions
    for portion in portions:
        assert any(portion == c or portion.startswith(c.rstrip("/") + "/") for c in copied), portion
