"""Webhook subscriptions and the delivery worker that drains the outbox to them.

Each delivery is an HTTP POST of the event as JSON:
    {"id": "<event uuid>", "type": "cdr.issued", "created_at": "...", "data": {...}}
with headers
    Chargeplane-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
    Chargeplane-Event-Id / Idempotency-Key: <event uuid>   (deduplicate on it)
    Chargeplane-Event-Type: <type>
A receiver recomputes v1 over the exact body bytes with its secret, compares in constant
time, and rejects a t too far from its clock (replays). A 2xx answer is success; anything
else (or a timeout) is retried with exponential backoff and full jitter up to
`webhook_max_attempts`, then the delivery is dead-lettered and the next event goes.
Per subscription, events go one at a time in outbox order; a subscription that is down
waits on its own backoff and never holds up the others (each has its own task and a
lease, so several billing replicas never deliver one subscription's events at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import random
import secrets
import time
import uuid
from typing import Any

import asyncpg
import httpx
import orjson

from chargeplane.config import Settings
from chargeplane.rpc.errors import InvalidArgument

from . import outbox
from .metrics import OUTBOX_LAG, OUTBOX_PENDING, WEBHOOK_DELIVERIES

log = logging.getLogger(__name__)
LEASE_S = 30
PAGE = 200  # due events read at once per subscription
MARK_EVERY = 25  # successes recorded together


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, tolerance_s: int = 300, now: float | None = None) -> bool:
    """The receiver's check (documented here, used by the tests' receiver)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - t) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, t, body), f"t={t},v1={parts.get('v1', '')}")


class WebhookStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create(self, url: str, event_types: list[str]) -> tuple[Any, str]:
        if not url.startswith(("http://", "https://")) or len(url) > 2048:
            raise InvalidArgument("url must be an http(s) URL")
        secret = "whsec_" + secrets.token_urlsafe(32)
        row = await self.pool.fetchrow(
            "INSERT INTO billing_webhooks (id, url, secret, event_types) VALUES ($1, $2, $3, $4) "
            "RETURNING id, url, event_types, created_at",
            "wh_" + uuid.uuid4().hex[:20],
            url,
            secret,
            sorted(set(event_types)),
        )
        return row, secret

    async def list(self) -> list[Any]:
        return list(
            await self.pool.fetch(
                "SELECT id, url, event_types, created_at FROM billing_webhooks WHERE active ORDER BY created_at, id"
            )
        )

    async def delete(self, webhook_id: str) -> bool:
        done = await self.pool.execute("DELETE FROM billing_webhooks WHERE id = $1", webhook_id)
        return bool(done.endswith(" 1"))


class DeliveryWorker:
    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self.pool = pool
        self.settings = settings
        self._task: asyncio.Task[None] | None = None
        self._running: dict[str, asyncio.Task[None]] = {}
        self._client: httpx.AsyncClient | None = None

    def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.settings.webhook_timeout, follow_redirects=False)
        self._task = asyncio.create_task(self._loop(), name="billing-webhooks")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._running.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.aclose()

    async def _loop(self) -> None:
        while True:
            try:
                await self._dispatch()
            except (OSError, asyncpg.PostgresError):
                log.warning("webhook dispatch failed; retrying", exc_info=True)
            outbox.wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(outbox.wakeup.wait(), self.settings.billing_poll_interval)

    async def _dispatch(self) -> None:
        heads = await self.pool.fetch(
            "SELECT webhook_id, count(*) AS pending, min(next_attempt_at) AS due, "
            "extract(epoch FROM now() - min(o.created_at)) AS lag "
            "FROM billing_webhook_deliveries d JOIN billing_outbox o ON o.id = d.outbox_id "
            "WHERE d.status = 'pending' GROUP BY webhook_id"
        )
        OUTBOX_PENDING.set(sum(r["pending"] for r in heads))
        OUTBOX_LAG.set(max((float(r["lag"]) for r in heads), default=0.0))
        for r in heads:
            webhook = r["webhook_id"]
            running = self._running.get(webhook)
            if running is None or running.done():
                self._running[webhook] = asyncio.create_task(self._drain(webhook), name=f"webhook-{webhook}")

    async def _drain(self, webhook_id: str) -> None:
        """Deliver one subscription's due events in order, under its lease.

        Events are read a page at a time and successes recorded in groups of up to
        MARK_EVERY (and always before a failure is recorded or the drain ends): a crash in
        between delivers those few again, which the contract allows (at least once; the
        receiver deduplicates on the event id)."""
        hook = await self.pool.fetchrow(
            "UPDATE billing_webhooks SET lease_until = now() + make_interval(secs => $2) "
            "WHERE id = $1 AND active AND (lease_until IS NULL OR lease_until < now()) RETURNING url, secret",
            webhook_id,
            LEASE_S,
        )
        if hook is None:
            return
        delivered: list[int] = []
        try:
            deadline = time.monotonic() + LEASE_S / 2
            while time.monotonic() < deadline:
                await self._mark(webhook_id, delivered)  # before reading the next page
                page = await self.pool.fetch(
                    "SELECT d.outbox_id, d.attempts, d.next_attempt_at <= now() AS due, o.event_id, o.type, "
                    "o.payload, o.created_at FROM billing_webhook_deliveries d "
                    "JOIN billing_outbox o ON o.id = d.outbox_id "
                    "WHERE d.webhook_id = $1 AND d.status = 'pending' ORDER BY d.outbox_id LIMIT $2",
                    webhook_id,
                    PAGE,
                )
                for head in page:
                    if not head["due"] or time.monotonic() >= deadline:
                        return
                    error = await self._post(hook["url"], hook["secret"], head)
                    if error is None:
                        delivered.append(head["outbox_id"])
                        if len(delivered) >= MARK_EVERY:
                            await self._mark(webhook_id, delivered)
                        continue
                    await self._mark(webhook_id, delivered)
                    if not await self._failed(webhook_id, head, error):
                        return  # backing off: later events of this subscription wait (ordering)
                if len(page) < PAGE:
                    return
        finally:
            await self._mark(webhook_id, delivered)
            await self.pool.execute("UPDATE billing_webhooks SET lease_until = NULL WHERE id = $1", webhook_id)

    async def _mark(self, webhook_id: str, delivered: list[int]) -> None:
        """Record `delivered` (outbox ids) as delivered, and empty the list."""
        if not delivered:
            return
        await self.pool.execute(
            "UPDATE billing_webhook_deliveries SET status = 'delivered', delivered_at = now(), "
            "attempts = attempts + 1 WHERE webhook_id = $1 AND outbox_id = ANY ($2::bigint[])",
            webhook_id,
            delivered,
        )
        WEBHOOK_DELIVERIES.labels(outcome="delivered").inc(len(delivered))
        delivered.clear()

    async def _post(self, url: str, secret: str, head: Any) -> str | None:
        """POST one event; None on a 2xx answer, else what went wrong."""
        event_id = str(head["event_id"])
        body = orjson.dumps(
            {
                "id": event_id,
                "type": head["type"],
                "created_at": head["created_at"].isoformat(),
                "data": orjson.loads(head["payload"]),
            }
        )
        headers = {
            "Content-Type": "application/json",
            "Chargeplane-Signature": sign(secret, int(time.time()), body),
            "Chargeplane-Event-Id": event_id,
            "Chargeplane-Event-Type": head["type"],
            "Idempotency-Key": event_id,
            "User-Agent": "chargeplane-billing",
        }
        assert self._client is not None
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return type(exc).__name__
        return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"

    async def _failed(self, webhook_id: str, head: Any, error: str) -> bool:
        """Schedule the retry of a failed delivery (backoff with full jitter), or dead-letter
        it after `webhook_max_attempts`; True when dead (it no longer blocks the next)."""
        attempts = head["attempts"] + 1
        dead = attempts >= self.settings.webhook_max_attempts
        backoff = random.uniform(
            0, min(self.settings.webhook_backoff_max, self.settings.webhook_backoff_base * 2**attempts)
        )
        await self.pool.execute(
            "UPDATE billing_webhook_deliveries SET attempts = $3, last_error = $4, status = $5, "
            "next_attempt_at = now() + make_interval(secs => $6) WHERE webhook_id = $1 AND outbox_id = $2",
            webhook_id,
            head["outbox_id"],
            attempts,
            error,
            "dead" if dead else "pending",
            backoff,
        )
        WEBHOOK_DELIVERIES.labels(outcome="dead" if dead else "retry").inc()
        if dead:
            log.warning(
                "webhook %s: event %s dead-lettered after %d attempts (%s)",
                webhook_id,
                head["event_id"],
                attempts,
                error,
            )
        return bool(dead)
