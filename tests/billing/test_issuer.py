"""CDR issuance in batches (issuer.py): the guarantees under concurrency and failure."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import asyncpg
import grpc

from chargeplane.config import Settings
from chargeplane.pb.billing.v1 import billing_pb2 as pb
from chargeplane.pb.billing.v1.billing_pb2_grpc import BillingServiceStub
from chargeplane.runtime import components as c

from .test_service import session, setup_site

if TYPE_CHECKING:
    from chargeplane.pb.billing.v1.billing_pb2_grpc import BillingServiceAsyncStub


async def _issue(billing: BillingServiceAsyncStub, s: pb.Session) -> pb.IssueCdrResponse | grpc.aio.AioRpcError:
    try:
        return await billing.IssueCdr(pb.IssueCdrRequest(session=s))
    except grpc.aio.AioRpcError as exc:
        return exc


async def test_a_session_the_database_refuses_fails_alone(billing: BillingServiceAsyncStub, db: asyncpg.Pool) -> None:
    # PostgreSQL stores no NUL character: this session prices fine and then fails in the
    # batch transaction; the batch is retried one transaction at a time and only it fails.
    await setup_site(billing)
    calls = [session(f"tx-{i}") for i in range(30)]
    calls.insert(17, session("tx-bad", id_token_group="members\x00"))
    results = await asyncio.gather(*(_issue(billing, s) for s in calls))
    bad = results.pop(17)
    assert isinstance(bad, grpc.aio.AioRpcError)
    assert all(isinstance(r, pb.IssueCdrResponse) and r.created for r in results)
    rows = await db.fetch("SELECT transaction_id, number FROM billing_cdrs ORDER BY number")
    assert [r["number"] for r in rows] == list(range(1, 31))  # gap-free: the failed batch gave its numbers back
    assert "tx-bad" not in {r["transaction_id"] for r in rows}
    events = await db.fetchval("SELECT count(*) FROM billing_outbox WHERE type = 'cdr.issued'")
    assert events == 30  # one event per CDR, none for the rolled-back attempt


async def test_an_invalid_session_in_a_batch_is_rejected_alone(billing: BillingServiceAsyncStub) -> None:
    await setup_site(billing)
    broken = session("tx-broken")
    broken.ended_at.seconds = broken.started_at.seconds - 60  # ends before it starts
    results = await asyncio.gather(*(_issue(billing, s) for s in [session("tx-1"), broken, session("tx-2")]))
    assert isinstance(results[1], grpc.aio.AioRpcError)
    assert results[1].code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [r.cdr.number for r in (results[0], results[2]) if isinstance(r, pb.IssueCdrResponse)] == [1, 2]


async def test_two_processes_issuing_the_same_transactions(
    billing: BillingServiceAsyncStub, billing_settings: Settings, db: asyncpg.Pool
) -> None:
    # A second billing process on the same database (its own pool, issuer and server):
    # every transaction is sent to both at once.
    await setup_site(billing)
    async with contextlib.AsyncExitStack() as stack:
        pool = await c.open_pool(stack, billing_settings)
        srv = c.grpc_server(billing_settings, 0)
        c.add_billing(stack, srv, billing_settings, pool)
        await c.start_grpc(stack, srv)
        channel = await stack.enter_async_context(grpc.aio.insecure_channel(f"127.0.0.1:{srv.port}"))
        other = BillingServiceStub(channel)
        sessions = [session(f"tx-{i}") for i in range(40)]
        results = await asyncio.gather(
            *(_issue(b, s) for s in sessions for b in (billing, other)),
        )
    assert all(isinstance(r, pb.IssueCdrResponse) for r in results)
    issued = [r for r in results if isinstance(r, pb.IssueCdrResponse)]
    assert sum(r.created for r in issued) == 40
    by_tx: dict[str, set[str]] = {}
    for r in issued:
        by_tx.setdefault(r.cdr.transaction_id, set()).add(r.cdr.id)
    assert len(by_tx) == 40 and all(len(ids) == 1 for ids in by_tx.values())
    numbers = await db.fetchval("SELECT array_agg(number ORDER BY number) FROM billing_cdrs")
    assert numbers == list(range(1, 41))
