"""Payments of transactions: pre-authorisation, capture of the CDR amount, refunds.

The capture is not an RPC: issuing a CDR marks the transaction's authorised payment
`capture_pending` in the same database transaction, and this worker calls the provider
(outside any database transaction), records the outcome and emits payment.captured or
payment.failed through the outbox. A network failure is retried with backoff under the
same idempotency key; a decline is final (payment.failed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import orjson

from chargeplane.config import Settings
from chargeplane.domain.billing.money import minor
from chargeplane.rpc.errors import InvalidArgument, NotFound

from .convert import ts
from .metrics import PAYMENTS
from .outbox import emit
from .providers import InvoiceProvider, PaymentProvider, ProviderResult, StripeProvider

log = logging.getLogger(__name__)
COLUMNS = (
    "id, transaction_id, provider, reference, currency, authorized, captured, refunded, status, last_error, details"
)


def payment_dict(r: Any) -> dict[str, Any]:
    return {
        k: r[k]
        for k in (
            "id",
            "transaction_id",
            "provider",
            "reference",
            "currency",
            "authorized",
            "captured",
            "refunded",
            "status",
            "last_error",
        )
    }


def providers_for(pool: asyncpg.Pool, settings: Settings) -> dict[str, PaymentProvider]:
    out: dict[str, PaymentProvider] = {"invoice": InvoiceProvider(pool)}
    if settings.stripe_api_key:
        out["stripe"] = StripeProvider(settings.stripe_api_key, settings.stripe_api_base)
    return out


class PaymentStore:
    def __init__(self, pool: asyncpg.Pool, providers: dict[str, PaymentProvider]) -> None:
        self.pool = pool
        self.providers = providers

    def provider(self, name: str) -> PaymentProvider:
        if name not in self.providers:
            raise InvalidArgument(f"payment provider {name!r} is not configured ({sorted(self.providers)})")
        return self.providers[name]

    async def get(self, transaction_id: str) -> Any:
        row = await self.pool.fetchrow(
            f"SELECT {COLUMNS} FROM billing_payments WHERE transaction_id = $1", transaction_id
        )
        if row is None:
            raise NotFound(f"no payment for transaction {transaction_id!r}")
        return row

    async def authorize(
        self, transaction_id: str, provider_name: str, currency: str, amount_minor: int, customer: str, method: str
    ) -> Any:
        if not transaction_id or amount_minor < 0 or len(currency) != 3:
            raise InvalidArgument("transaction_id, a 3-letter currency and a non-negative amount are required")
        provider = self.provider(provider_name)
        existing = await self.pool.fetchrow(
            f"SELECT {COLUMNS} FROM billing_payments WHERE transaction_id = $1", transaction_id
        )
        if existing is not None:
            return existing  # idempotent
        payment_id = "pay_" + uuid.uuid4().hex[:24]
        result = await provider.authorize(
            amount_minor=amount_minor,
            currency=currency,
            customer=customer,
            payment_method=method,
            metadata={"transaction_id": transaction_id, "payment_id": payment_id},
            key=f"chargeplane-{transaction_id}-authorize",
        )
        PAYMENTS.labels(provider=provider_name, outcome="ok" if result.ok else "failed").inc()
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "INSERT INTO billing_payments (id, transaction_id, provider, reference, currency, authorized, status, "
                "last_error, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (transaction_id) "
                f"DO NOTHING RETURNING {COLUMNS}",
                payment_id,
                transaction_id,
                provider_name,
                result.reference,
                currency.upper(),
                result.amount_minor if result.ok else 0,
                "authorized" if result.ok else "failed",
                result.error,
                orjson.dumps({"customer": customer, "payment_method": method}).decode(),
            )
            if row is None:
                return await self.get(transaction_id)
            await emit(conn, "payment.authorized" if result.ok else "payment.failed", payment_dict(row))
        return row

    async def refund(self, transaction_id: str, amount_minor: int) -> Any:
        row = await self.get(transaction_id)
        if amount_minor <= 0 or amount_minor > row["captured"] - row["refunded"]:
            raise InvalidArgument("the refund must be positive and at most the captured amount not yet refunded")
        provider = self.provider(row["provider"])
        key = f"chargeplane-{transaction_id}-refund-{row['refunded']}-{amount_minor}"
        result = await provider.refund(reference=row["reference"], amount_minor=amount_minor, key=key)
        PAYMENTS.labels(provider=row["provider"], outcome="ok" if result.ok else "failed").inc()
        if not result.ok:
            raise InvalidArgument(f"the refund failed: {result.error}")
        async with self.pool.acquire() as conn, conn.transaction():
            updated = await conn.fetchrow(
                "UPDATE billing_payments SET refunded = refunded + $2, updated_at = now() WHERE id = $1 "
                f"RETURNING {COLUMNS}",
                row["id"],
                amount_minor,
            )
            await emit(conn, "payment.refunded", {**payment_dict(updated), "amount": amount_minor})
        return updated


class PaymentWorker:
    def __init__(self, pool: asyncpg.Pool, providers: dict[str, PaymentProvider], settings: Settings) -> None:
        self.pool = pool
        self.providers = providers
        self.settings = settings
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="billing-payments")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                while await self.process_one():
                    pass
            except (OSError, asyncpg.PostgresError):
                log.warning("payment worker: storage error; retrying", exc_info=True)
            await asyncio.sleep(self.settings.billing_poll_interval)

    async def process_one(self) -> bool:
        """Run one due pending operation; False when there is none."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                f"SELECT {COLUMNS}, pending, attempts FROM billing_payments WHERE pending IS NOT NULL "
                "AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED"
            )
            if row is None:
                return False
            # Claim it for a while so no other worker runs it concurrently.
            await conn.execute(
                "UPDATE billing_payments SET next_attempt_at = now() + interval '60 seconds' WHERE id = $1", row["id"]
            )
        pending = orjson.loads(row["pending"])
        result = await self._capture(row, Decimal(pending["amount"]))
        async with self.pool.acquire() as conn, conn.transaction():
            if result.ok or not result.retryable:
                updated = await conn.fetchrow(
                    "UPDATE billing_payments SET pending = NULL, status = $2, captured = $3, last_error = $4, "
                    f"attempts = attempts + 1, updated_at = now() WHERE id = $1 RETURNING {COLUMNS}",
                    row["id"],
                    "captured" if result.ok else "failed",
                    result.amount_minor if result.ok else 0,
                    result.error,
                )
                await emit(
                    conn,
                    "payment.captured" if result.ok else "payment.failed",
                    {**payment_dict(updated), "cdr_id": pending.get("cdr_id")},
                )
            else:
                delay = min(3600.0, self.settings.webhook_backoff_base * 2 ** (row["attempts"] + 1))
                await conn.execute(
                    "UPDATE billing_payments SET attempts = attempts + 1, last_error = $2, "
                    "next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
                    row["id"],
                    result.error,
                    delay,
                )
        return True

    async def _capture(self, row: Any, amount: Decimal) -> ProviderResult:
        provider = self.providers.get(row["provider"])
        if provider is None:
            return ProviderResult(False, error=f"provider {row['provider']!r} is not configured", retryable=True)
        due = minor(amount, row["currency"])
        base = f"chargeplane-{row['transaction_id']}"
        held = row["authorized"]
        result = await provider.capture(reference=row["reference"], amount_minor=min(due, held), key=f"{base}-capture")
        if result.ok and due > held:  # e.g. idle fees beyond the hold: a second, off-session charge
            details = orjson.loads(row["details"])
            extra = await provider.charge_idle_fee(
                amount_minor=due - held,
                currency=row["currency"],
                customer=details.get("customer", ""),
                payment_method=details.get("payment_method", ""),
                metadata={"transaction_id": row["transaction_id"], "kind": "idle_fee"},
                key=f"{base}-idle-fee",
            )
            if not extra.ok:
                return extra
            result = ProviderResult(True, result.reference, result.amount_minor + extra.amount_minor, "captured")
        PAYMENTS.labels(provider=row["provider"], outcome="ok" if result.ok else "failed").inc()
        return result


def payment_pb_fields(r: Any) -> dict[str, Any]:
    return {
        "id": r["id"],
        "transaction_id": r["transaction_id"],
        "provider": r["provider"],
        "reference": r["reference"],
        "currency": r["currency"],
        "authorized_minor": r["authorized"],
        "captured_minor": r["captured"],
        "refunded_minor": r["refunded"],
        "status": r["status"],
        "last_error": r["last_error"],
    }


__all__ = ["PaymentStore", "PaymentWorker", "payment_pb_fields", "providers_for", "ts"]
