"""The transactional outbox: a billing event is written in the same database transaction as
the change it reports, with one delivery row per matching webhook subscription. Nothing is
published for a change that rolled back; every committed event reaches every subscriber
at least once (the delivery worker retries), and subscribers deduplicate on its id.

Event types: tariff.updated, tariff.deleted, cdr.issued, cdr.credited, invoice.issued,
payment.authorized, payment.captured, payment.failed, payment.refunded.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson

# Set after a commit that wrote events, so the delivery worker of this process wakes at once
# (other processes find them at their next poll).
wakeup = asyncio.Event()


async def emit(conn: Any, event_type: str, data: dict[str, Any]) -> str:
    """Record `event_type` with `data` inside the caller's transaction; returns the event id."""
    event_id = str(uuid.uuid4())
    await conn.execute(
        """
        WITH event AS (
            INSERT INTO billing_outbox (event_id, type, payload) VALUES ($1, $2, $3) RETURNING id
        )
        INSERT INTO billing_webhook_deliveries (webhook_id, outbox_id)
        SELECT w.id, event.id FROM billing_webhooks w, event
        WHERE w.active AND (cardinality(w.event_types) = 0 OR $2 = ANY (w.event_types))
        """,
        uuid.UUID(event_id),
        event_type,
        orjson.dumps(data).decode(),
    )
    asyncio.get_running_loop().call_soon(wakeup.set)
    return event_id


async def emit_many(conn: Any, events: list[tuple[str, dict[str, Any]]]) -> None:
    """`emit` for several events in one statement, in the order given (outbox ids, and so
    delivery order per subscription, follow it)."""
    if not events:
        return
    await conn.execute(
        """
        WITH event AS (
            INSERT INTO billing_outbox (event_id, type, payload)
            SELECT e, t, p::jsonb FROM unnest($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS x(e, t, p, n)
            ORDER BY n
            RETURNING id, type
        )
        INSERT INTO billing_webhook_deliveries (webhook_id, outbox_id)
        SELECT w.id, event.id FROM billing_webhooks w, event
        WHERE w.active AND (cardinality(w.event_types) = 0 OR event.type = ANY (w.event_types))
        """,
        [uuid.uuid4() for _ in events],
        [t for t, _ in events],
        [orjson.dumps(data).decode() for _, data in events],
    )
    asyncio.get_running_loop().call_soon(wakeup.set)
