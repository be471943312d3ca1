"""Bearer-token authentication and scopes; the bootstrap token."""

from __future__ import annotations

import asyncio
import hashlib
import stat

import asyncpg

from chargeplane.config import Settings
from chargeplane.services.api import ensure_bootstrap_token

from .conftest import Api
from .problems import assert_problem


async def test_missing_token_is_401(api: Api) -> None:
    response = await api.anonymous.get("/v1/chargepoints")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_bad_token_is_401(api: Api) -> None:
    response = await api.anonymous.get("/v1/chargepoints", headers={"Authorization": "Bearer cpk_nope"})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    basic = await api.anonymous.get("/v1/chargepoints", headers={"Authorization": f"Basic {api.token}"})
    assert_problem(basic, 401)


async def test_bootstrap_token_reads(api: Api) -> None:
    response = await api.client.get("/v1/chargepoints")
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


async def test_token_without_read_scope_is_403(api: Api, pool: asyncpg.Pool) -> None:
    token = "cpk_operator-only"
    await pool.execute(
        "INSERT INTO api_tokens (name, token_hash, scopes) VALUES ('ops', $1, '{operate}')",
        hashlib.sha256(token.encode()).hexdigest(),
    )
    response = await api.anonymous.get("/v1/chargepoints", headers={"Authorization": f"Bearer {token}"})
    body = assert_problem(response, 403)
    assert "read" in str(body["detail"])


async def test_revoked_token_is_401(api: Api, pool: asyncpg.Pool) -> None:
    token = "cpk_revoked"
    await pool.execute(
        "INSERT INTO api_tokens (name, token_hash, scopes, revoked_at) VALUES ('old', $1, '{read}', now())",
        hashlib.sha256(token.encode()).hexdigest(),
    )
    response = await api.anonymous.get("/v1/chargepoints", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401)


async def test_use_is_recorded(api: Api, pool: asyncpg.Pool) -> None:
    await api.client.get("/v1/chargepoints")
    assert await pool.fetchval("SELECT last_used_at FROM api_tokens WHERE name = 'bootstrap'") is not None


async def test_bootstrap_token_file(pool: asyncpg.Pool, settings: Settings) -> None:
    first, second = await asyncio.gather(ensure_bootstrap_token(pool, settings), ensure_bootstrap_token(pool, settings))
    assert first == second and first.startswith("cpk_")
    path = settings.data_dir / "api-token"
    assert path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert await ensure_bootstrap_token(pool, settings) == first  # read back, not regenerated
    rows = await pool.fetch("SELECT token_hash, scopes FROM api_tokens")
    assert [(r["token_hash"], sorted(r["scopes"])) for r in rows] == [
        (hashlib.sha256(first.encode()).hexdigest(), ["admin", "operate", "read"])
    ]
    assert list(settings.data_dir.iterdir()) == [path]  # no temporary files left behind


async def test_bootstrap_token_from_settings(pool: asyncpg.Pool, settings: Settings) -> None:
    configured = settings.model_copy(update={"api_token": "cpk_from-the-environment"})
    assert await ensure_bootstrap_token(pool, configured) == "cpk_from-the-environment"
    assert await ensure_bootstrap_token(pool, configured) == "cpk_from-the-environment"
    assert not (settings.data_dir / "api-token").exists()
    assert await pool.fetchval("SELECT count(*) FROM api_tokens") == 1
