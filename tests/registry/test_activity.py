"""Batched last-seen updates: one call, one statement, never moving backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import asyncpg

from chargeplane.pb.registry.v1 import registry_pb2 as pb

from .helpers import ts

if TYPE_CHECKING:
    from chargeplane.pb.registry.v1.registry_pb2_grpc import RegistryServiceAsyncStub

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def test_batch_of_1000_chargers_in_one_call(registry: RegistryServiceAsyncStub, pool: asyncpg.Pool) -> None:
    ids = [f"CP-{i:04d}" for i in range(1000)]
    await pool.executemany("INSERT INTO charge_points (id) VALUES ($1)", [(i,) for i in ids])
    seen = {cp_id: T0 + timedelta(seconds=n) for n, cp_id in enumerate(ids)}
    reply = await registry.RecordActivity(
        pb.RecordActivityRequest(activities=[pb.Activity(charge_point_id=i, seen_at=ts(at)) for i, at in seen.items()])
    )
    assert reply.updated == 1000
    rows = await pool.fetch("SELECT id, last_seen_at FROM charge_points")
    assert {r["id"]: r["last_seen_at"] for r in rows} == seen


async def test_last_seen_never_moves_backwards(registry: RegistryServiceAsyncStub, pool: asyncpg.Pool) -> None:
    await pool.execute("INSERT INTO charge_points (id, last_seen_at) VALUES ('A', $1), ('B', $1)", T0)
    reply = await registry.RecordActivity(
        pb.RecordActivityRequest(
            activities=[
                pb.Activity(charge_point_id="A", seen_at=ts(T0 - timedelta(minutes=1))),  # older
                pb.Activity(charge_point_id="B", seen_at=ts(T0 + timedelta(minutes=2))),
                pb.Activity(charge_point_id="B", seen_at=ts(T0 + timedelta(minutes=1))),  # same id twice
                pb.Activity(charge_point_id="UNKNOWN", seen_at=ts(T0)),  # ignored, not inserted
            ]
        )
    )
    assert reply.updated == 1
    rows = {r["id"]: r["last_seen_at"] for r in await pool.fetch("SELECT id, last_seen_at FROM charge_points")}
    assert rows == {"A": T0, "B": T0 + timedelta(minutes=2)}


async def test_empty_batch(registry: RegistryServiceAsyncStub) -> None:
    assert (await registry.RecordActivity(pb.RecordActivityRequest())).updated == 0
