"""The ocpi service: OCPI 2.2.1 (CPO role) for roaming partners.

REST under /ocpi/ (versions, credentials, locations sender, tokens receiver, hub client
info), a gRPC OcpiService (partner administration, roaming token authorization), the
Locations projection fed by the registry's change stream, and the outbox pusher. It reads
the registry through gRPC only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import asyncpg
import grpc
from fastapi import FastAPI
from redis.asyncio import Redis

from chargeplane.config import Settings
from chargeplane.domain.ocpi.locations import Party
from chargeplane.pb.ocpi.v1 import ocpi_pb2_grpc
from chargeplane.pb.registry.v1.registry_pb2_grpc import RegistryServiceStub

from .app import create_app
from .authorizer import Authorizer
from .change_feed import ChangeFeed
from .client import OcpiClient
from .client_info import ClientInfoStore
from .credential_tokens import TokenCipher
from .location_store import LocationStore
from .location_sync import LocationSync
from .outbox import Outbox
from .partners import PartnerRepository
from .pusher import Pusher
from .registration import Registration
from .servicer import SERVICE_NAME, OcpiServicer
from .token_store import TokenStore

__all__ = ["SERVICE_NAME", "OcpiService", "build"]

log = logging.getLogger(__name__)


@dataclass
class OcpiService:
    app: FastAPI
    servicer: OcpiServicer
    sync: LocationSync
    feed: ChangeFeed
    pusher: Pusher
    client: OcpiClient

    async def start(self) -> None:
        self.pusher.start()
        await self.feed.start()

    async def stop(self) -> None:
        await self.feed.stop()
        await self.pusher.stop()
        await self.client.close()

    def add_to_server(self, server: grpc.aio.Server) -> None:
        ocpi_pb2_grpc.add_OcpiServiceServicer_to_server(self.servicer, server)


def build(
    settings: Settings, pool: asyncpg.Pool, redis: Redis, registry: grpc.aio.Channel, secret_key: bytes
) -> OcpiService:
    """Wire the service; the caller owns pool, redis and the registry channel."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # request lines at INFO are noise
    party = Party(settings.ocpi_country_code, settings.ocpi_party_id)
    cipher = TokenCipher(secret_key)
    client = OcpiClient(settings.ocpi_request_timeout)
    partners = PartnerRepository(pool)
    store = LocationStore(pool)
    outbox = Outbox(pool)
    tokens = TokenStore(pool)
    registration = Registration(settings, partners, client, cipher, party)
    pusher = Pusher(settings, outbox, partners, store, client, cipher, party)
    registry_stub: Any = RegistryServiceStub(registry)
    sync = LocationSync(settings, pool, registry_stub, store, party, on_enqueued=pusher.wake)
    feed = ChangeFeed(settings, redis, sync)
    authorizer = Authorizer(settings, tokens, partners, client, cipher, redis, party)
    app = create_app(
        party,
        settings=settings,
        pool=pool,
        partners=partners,
        registration=registration,
        locations=store,
        tokens=tokens,
        client_info=ClientInfoStore(pool),
    )
    servicer = OcpiServicer(partners, outbox, registration, authorizer)
    return OcpiService(app, servicer, sync, feed, pusher, client)
