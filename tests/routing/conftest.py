from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest

from chargeplane.runtime.components import AllInOne


@pytest.fixture
async def api(allinone: AllInOne) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {allinone.api_token}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{allinone.api_port}", headers=headers, timeout=30) as c:
        yield c


async def make_token(allinone: AllInOne, name: str, scopes: list[str]) -> str:
    token = f"cpk_{name}-{'x' * 20}"
    await allinone.pool.execute(
        "INSERT INTO api_tokens (name, token_hash, scopes) VALUES ($1, $2, $3)",
        name,
        hashlib.sha256(token.encode()).hexdigest(),
        scopes,
    )
    return token
