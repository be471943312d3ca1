"""Setting up the CPO side of a test: sites, charge points and their hardware in the
registry (as an operator does), and eMSP peers registered with us."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import grpc

from chargeplane.pb.ocpi.v1 import ocpi_pb2
from chargeplane.pb.registry.v1 import registry_pb2 as pb
from chargeplane.pb.registry.v1 import registry_pb2_grpc
from chargeplane.runtime.components import AllInOne

from .peers import Peer, peer
from .sites import evses, site

if TYPE_CHECKING:
    from chargeplane.pb.ocpi.v1.ocpi_pb2_grpc import OcpiServiceAsyncStub
    from chargeplane.pb.registry.v1.registry_pb2_grpc import RegistryServiceAsyncStub


@contextlib.asynccontextmanager
async def registry_of(allinone: AllInOne) -> AsyncIterator[RegistryServiceAsyncStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{allinone.grpc_port}") as channel:
        yield registry_pb2_grpc.RegistryServiceStub(channel)


async def install(
    registry: RegistryServiceAsyncStub,
    site_id: str,
    charge_points: list[str],
    *,
    evse_count: int = 1,
    **site_fields: Any,
) -> None:
    await registry.UpsertSite(pb.UpsertSiteRequest(site=site(site_id, **site_fields)))
    for cp_id in charge_points:
        await registry.UpsertChargePoint(pb.UpsertChargePointRequest(charge_point_id=cp_id, site=site_id))
        await registry.SetEvseSpecs(pb.SetEvseSpecsRequest(charge_point_id=cp_id, evses=evses(evse_count)))


@contextlib.asynccontextmanager
async def registered_emsp(ocpi_admin: OcpiServiceAsyncStub, name: str = "emsp") -> AsyncIterator[tuple[Peer, str]]:
    """An eMSP peer that registered at us; yields it and its partner id."""
    created = await ocpi_admin.CreatePartner(ocpi_pb2.CreatePartnerRequest(name=name))
    async with peer("emsp") as p:
        result = await p.control("register", versions_url=created.versions_url, token=created.token_a)
        assert result["ok"], result
        yield p, created.partner.id
