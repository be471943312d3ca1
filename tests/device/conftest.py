from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc
import pytest

from chargeplane.config import Settings
from chargeplane.pb.registry.v1.registry_pb2_grpc import RegistryServiceStub
from chargeplane.runtime.components import AllInOne

if TYPE_CHECKING:
    from chargeplane.pb.registry.v1.registry_pb2_grpc import RegistryServiceAsyncStub


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A short CSMS CALL timeout, so a silent charger's push result comes quickly."""
    return settings.model_copy(update={"call_timeout": 1.0})


@pytest.fixture
def ocpp_url(allinone: AllInOne) -> str:
    return f"ws://127.0.0.1:{allinone.gateway_port}/ocpp"


@pytest.fixture
async def registry(allinone: AllInOne) -> AsyncIterator[RegistryServiceAsyncStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{allinone.grpc_port}") as channel:
        yield RegistryServiceStub(channel)
