"""The smart-charging service: charging profiles of both OCPP versions (validation,
history, active set, distribution), composite schedules computed by the CSMS, and site
load management (a planner loop per site, external limits, OpenADR demand response)."""

from __future__ import annotations

from typing import Any

import asyncpg
import grpc
from grpc_health.v1 import health_pb2
from redis.asyncio import Redis

from chargeplane.pb.smartcharging.v1 import smartcharging_pb2, smartcharging_pb2_grpc

from .engine import Engine
from .sender import ClearCriteria, ProfileSender, PushAnswer, PushStatus, UnroutedSender
from .servicer import SmartChargingServicer
from .store import Store

SERVICE_NAME: str = smartcharging_pb2.DESCRIPTOR.services_by_name["SmartChargingService"].full_name

__all__ = [
    "SERVICE_NAME",
    "ClearCriteria",
    "Engine",
    "ProfileSender",
    "PushAnswer",
    "PushStatus",
    "SmartChargingServicer",
    "Store",
    "UnroutedSender",
    "add_to_server",
]


async def add_to_server(
    server: grpc.aio.Server,
    pool: asyncpg.Pool,
    redis: Redis,
    sender: ProfileSender,
    *,
    health_servicer: Any,
    push_timeout: float = 35.0,
) -> Engine:
    """Register the service on `server` and return its engine: the caller starts it
    (`await engine.start()`, which loads the state and the site loops) and stops it."""
    engine = Engine(Store(pool, redis), sender, push_timeout=push_timeout)
    smartcharging_pb2_grpc.add_SmartChargingServiceServicer_to_server(SmartChargingServicer(engine), server)
    await health_servicer.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
    return engine
