"""Property-based testing of our OCPI endpoints from their OpenAPI document (Schemathesis,
bounded and seeded): no server error, answers as documented (status codes, schemas).

The credentials POST is left out: a valid one makes us call the versions URL in its body
(an address Schemathesis makes up); its bad inputs are covered in test_transport.py. Its
PUT/DELETE/GET run with a token A (405/ok: nothing leaves the process), the rest with a
registered partner's token over seeded locations and tokens.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from chargeplane.pb.ocpi.v1 import ocpi_pb2 as pb
from chargeplane.runtime.components import AllInOne

from .cpo_setup import install, registry_of
from .peers import peer

if TYPE_CHECKING:
    from chargeplane.pb.ocpi.v1.ocpi_pb2_grpc import OcpiServiceAsyncStub

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


async def schemathesis(base_url: str, token: str, report: Path, *filters: str) -> tuple[int, str]:
    st = Path(sys.executable).parent / "st"
    args = [
        str(st), "run", f"{base_url}/ocpi/openapi.json", "--url", base_url,
        "--checks", CHECKS, "--max-examples", "25", "--seed", "20261201", "--workers", "1",
        "--phases", "examples,coverage,fuzzing", "--request-timeout", "10", "--no-shrink",
        "--header", f"Authorization: Token {base64.b64encode(token.encode()).decode()}",
        "--report", "json", "--report-json-path", str(report), *filters,
    ]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(proc.communicate(), 600)
    assert proc.returncode is not None
    return proc.returncode, output.decode(errors="replace")


@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_no_server_errors_and_answers_as_documented(
    allinone: AllInOne, ocpi_admin: OcpiServiceAsyncStub, tmp_path: Path
) -> None:
    base_url = f"http://127.0.0.1:{allinone.ocpi_port}"
    created = await ocpi_admin.CreatePartner(pb.CreatePartnerRequest(name="fuzzed-emsp"))
    token_a = (await ocpi_admin.CreatePartner(pb.CreatePartnerRequest(name="fuzzed-planned"))).token_a
    async with peer("emsp") as p, registry_of(allinone) as registry:
        registered = await p.control("register", versions_url=created.versions_url, token=created.token_a)
        token_c = registered["token_c"]
        for n in range(3):
            await install(registry, f"FZ-{n}", [f"CP-FZ{n}"], evse_count=2)
        await p.control("add-token", uid="FUZZ1")
        await p.control("push-token", uid="FUZZ1")

        code, output = await schemathesis(
            base_url, token_c, tmp_path / "modules.json", "--exclude-path-regex", "/credentials$"
        )
        assert code == 0, output[-6000:]
        code_a, output_a = await schemathesis(
            base_url, token_a, tmp_path / "credentials.json",
            "--include-path-regex", "/credentials$", "--exclude-method", "POST",
        )  # fmt: skip
        assert code_a == 0, output_a[-6000:]
    for name in ("modules.json", "credentials.json"):
        report = json.loads((tmp_path / name).read_text())
        cases = report["test_cases"]
        assert cases["with_failures"] == 0 and cases["errored"] == 0, cases
        assert report["operations"]["tested"] == report["operations"]["selected"] > 0
        print(f"schemathesis {name}: {report['operations']['tested']} operations, {cases['generated']} cases")
