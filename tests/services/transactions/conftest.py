from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc
import pytest

from chargeplane.config import Settings
from chargeplane.pb.auth.v1 import auth_pb2 as apb
from chargeplane.pb.auth.v1.auth_pb2_grpc import AuthServiceStub
from chargeplane.pb.transactions.v1.transactions_pb2_grpc import TransactionsServiceStub
from chargeplane.runtime.components import AllInOne, all_in_one

if TYPE_CHECKING:
    from chargeplane.pb.auth.v1.auth_pb2_grpc import AuthServiceAsyncStub
    from chargeplane.pb.transactions.v1.transactions_pb2_grpc import TransactionsServiceAsyncStub


@pytest.fixture
def tx_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"meter_block_ms": 20, "meter_claim_idle_ms": 500, "meter_batch_size": 200})


@pytest.fixture
async def cs(tx_settings: Settings) -> AsyncIterator[AllInOne]:
    """The whole CSMS in this process, with a fast meter-stream writer."""
    async with all_in_one(tx_settings) as running:
        yield running


@pytest.fixture
def ocpp_url(cs: AllInOne) -> str:
    return f"ws://127.0.0.1:{cs.gateway_port}/ocpp"


@pytest.fixture
async def grpc_channel(cs: AllInOne) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{cs.grpc_port}") as channel:
        yield channel


@pytest.fixture
def auth(grpc_channel: grpc.aio.Channel) -> AuthServiceAsyncStub:
    return AuthServiceStub(grpc_channel)


@pytest.fixture
def transactions(grpc_channel: grpc.aio.Channel) -> TransactionsServiceAsyncStub:
    return TransactionsServiceStub(grpc_channel)


STATUS = {
    "Accepted": apb.AUTHORIZATION_STATUS_ACCEPTED,
    "Blocked": apb.AUTHORIZATION_STATUS_BLOCKED,
    "Expired": apb.AUTHORIZATION_STATUS_EXPIRED,
    "Invalid": apb.AUTHORIZATION_STATUS_INVALID,
}


@pytest.fixture
def add_token(auth: AuthServiceAsyncStub) -> Callable[..., Awaitable[Any]]:
    async def add(id_token: str, status: str = "Accepted", **fields: Any) -> Any:
        return await auth.UpsertToken(
            apb.UpsertTokenRequest(token=apb.Token(id_token=id_token, status=STATUS[status], **fields))
        )

    return add
