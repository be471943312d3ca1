from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import asyncpg
import grpc
import pytest

from chargeplane.config import Settings
from chargeplane.pb.billing.v1.billing_pb2_grpc import BillingServiceStub
from chargeplane.runtime import components as c

if TYPE_CHECKING:
    from chargeplane.pb.billing.v1.billing_pb2_grpc import BillingServiceAsyncStub


@pytest.fixture
def billing_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"billing_poll_interval": 0.05, "webhook_backoff_base": 0.05, "webhook_backoff_max": 0.2,
                "webhook_timeout": 2.0, "webhook_max_attempts": 50}
    )  # fmt: skip


@pytest.fixture
async def billing_server(billing_settings: Settings) -> AsyncIterator[tuple[int, asyncpg.Pool]]:
    """The billing service alone, on a real gRPC server and a fresh database."""
    async with contextlib.AsyncExitStack() as stack:
        pool = await c.open_pool(stack, billing_settings)
        srv = c.grpc_server(billing_settings, 0)
        c.add_billing(stack, srv, billing_settings, pool)
        await c.start_grpc(stack, srv)
        yield srv.port, pool


@pytest.fixture
async def billing(billing_server: tuple[int, asyncpg.Pool]) -> AsyncIterator[BillingServiceAsyncStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{billing_server[0]}") as channel:
        yield BillingServiceStub(channel)


@pytest.fixture
def db(billing_server: tuple[int, asyncpg.Pool]) -> asyncpg.Pool:
    return billing_server[1]
