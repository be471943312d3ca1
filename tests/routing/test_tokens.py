"""`chargeplane token create|list|revoke` and scopes on the API."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from chargeplane.runtime.components import AllInOne
from tests.test_runtime import CLI


def _cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, "token", *args, "--postgres-url", url], capture_output=True, text=True, timeout=60)


@pytest.mark.slow
async def test_token_lifecycle(allinone: AllInOne) -> None:
    url = allinone.settings.postgres_url
    created = _cli("create", "--name", "ops-team", "--scopes", "read,operate", url=url)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("cpk_")
    token_id = created.stderr.split()[1].rstrip(",")
    stored = await allinone.pool.fetchval("SELECT token_hash FROM api_tokens WHERE id = $1::uuid", token_id)
    assert secret not in stored  # only the hash is kept

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{allinone.api_port}") as http:
        ok = await http.get("/v1/chargepoints", headers={"Authorization": f"Bearer {secret}"})
        assert ok.status_code == 200
    listing = _cli("list", url=url)
    assert "ops-team" in listing.stdout and secret not in listing.stdout
    assert _cli("revoke", token_id, url=url).returncode == 0
    revoked = await allinone.pool.fetchval("SELECT revoked_at FROM api_tokens WHERE id = $1::uuid", token_id)
    assert revoked is not None
    bad = _cli("create", "--name", "x", "--scopes", "read,root", url=url)
    assert bad.returncode != 0 and "scopes" in bad.stderr
