from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc
import httpx
import pytest

from chargeplane.pb.auth.v1.auth_pb2_grpc import AuthServiceStub
from chargeplane.runtime.components import AllInOne

if TYPE_CHECKING:  # the grpc.aio stub type exists in the .pyi only
    from chargeplane.pb.auth.v1.auth_pb2_grpc import AuthServiceAsyncStub


@pytest.fixture
async def http(allinone: AllInOne) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{allinone.api_port}", headers={"Authorization": f"Bearer {allinone.api_token}"}
    ) as client:
        yield client


@pytest.fixture
async def auth(allinone: AllInOne) -> AsyncIterator[AuthServiceAsyncStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{allinone.grpc_port}") as channel:
        yield AuthServiceStub(channel)
