"""The billing service: tariffs, pricing, CDRs, invoices, payments and billing webhooks.

It owns its tables (migration r0005) and reads no other service's. Sessions reach it as
the billing-owned `Session` message (billing.proto): the transactions lifecycle calls
OpenSession when a transaction starts, RunningCost while it runs and IssueCdr when it
ends; IssueCdr calls are numbered and stored in batches, one transaction each (issuer.py).
Two background workers run next to the gRPC servicer: webhook delivery from the outbox and
payment captures.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import grpc

from chargeplane.config import Settings
from chargeplane.pb.billing.v1 import billing_pb2, billing_pb2_grpc
from chargeplane.rpc.server import HealthServicer, mark_serving

from .payments import PaymentStore, PaymentWorker, providers_for
from .servicer import BillingServicer
from .webhooks import DeliveryWorker

SERVICE_NAME: str = billing_pb2.DESCRIPTOR.services_by_name["BillingService"].full_name

__all__ = ["SERVICE_NAME", "BillingServicer", "BillingWorkers", "add_to_server"]


@dataclass
class BillingWorkers:
    """The background work of a billing process: started and stopped by the runtime."""

    deliveries: DeliveryWorker
    payments: PaymentWorker

    def start(self) -> None:
        self.deliveries.start()
        self.payments.start()

    async def stop(self) -> None:
        await self.deliveries.stop()
        await self.payments.stop()


def add_to_server(
    server: grpc.aio.Server,
    pool: asyncpg.Pool,
    settings: Settings,
    *,
    health_servicer: HealthServicer | None = None,
) -> BillingWorkers:
    """Register the billing service on `server` (SERVING in grpc.health.v1); returns its
    workers, which the caller starts once the loop runs and stops on shutdown."""
    providers = providers_for(pool, settings)
    servicer = BillingServicer(pool, settings, PaymentStore(pool, providers))
    billing_pb2_grpc.add_BillingServiceServicer_to_server(servicer, server)
    mark_serving(server, SERVICE_NAME, health_servicer)
    return BillingWorkers(DeliveryWorker(pool, settings), PaymentWorker(pool, providers, settings))
