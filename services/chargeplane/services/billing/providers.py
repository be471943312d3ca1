"""Payment providers: one interface, two implementations.

- `InvoiceProvider` (postpaid): nothing is held or charged at the session; the CDR goes on
  the contract's monthly invoice (invoices.py). Authorise checks the contract exists.
- `StripeProvider`: Stripe's official SDK. Authorise is a PaymentIntent with
  capture_method=manual (a hold on the card), capture takes the CDR amount (Stripe releases
  the rest), cancel releases the hold, refund refunds, and an idle fee beyond the hold is a
  new off-session PaymentIntent on the saved payment method. Every call carries an
  idempotency key derived from our payment id and the operation, so a retry after a
  timeout never charges twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import asyncpg
import stripe


@dataclass(frozen=True, slots=True)
class ProviderResult:
    ok: bool
    reference: str = ""  # the provider's id of the payment
    amount_minor: int = 0
    status: str = ""
    error: str = ""
    retryable: bool = False  # a network or server error: try again later with the same key


class PaymentProvider(Protocol):
    name: str

    async def authorize(
        self,
        *,
        amount_minor: int,
        currency: str,
        customer: str,
        payment_method: str,
        metadata: dict[str, str],
        key: str,
    ) -> ProviderResult: ...

    async def capture(self, *, reference: str, amount_minor: int, key: str) -> ProviderResult: ...

    async def cancel(self, *, reference: str, key: str) -> ProviderResult: ...

    async def refund(self, *, reference: str, amount_minor: int, key: str) -> ProviderResult: ...

    async def charge_idle_fee(
        self,
        *,
        amount_minor: int,
        currency: str,
        customer: str,
        payment_method: str,
        metadata: dict[str, str],
        key: str,
    ) -> ProviderResult: ...


class InvoiceProvider:
    """Postpaid: amounts are recorded here and billed on the contract's monthly invoice."""

    name = "invoice"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def authorize(
        self,
        *,
        amount_minor: int,
        currency: str,
        customer: str,
        payment_method: str,
        metadata: dict[str, str],
        key: str,
    ) -> ProviderResult:
        found = await self.pool.fetchval("SELECT 1 FROM billing_contracts WHERE contract_id = $1", customer)
        if not found:
            return ProviderResult(False, status="failed", error=f"no postpaid contract {customer!r}")
        return ProviderResult(True, reference=customer, amount_minor=amount_minor, status="authorized")

    async def capture(self, *, reference: str, amount_minor: int, key: str) -> ProviderResult:
        return ProviderResult(True, reference=reference, amount_minor=amount_minor, status="captured")

    async def cancel(self, *, reference: str, key: str) -> ProviderResult:
        return ProviderResult(True, reference=reference, status="canceled")

    async def refund(self, *, reference: str, amount_minor: int, key: str) -> ProviderResult:
        # The credit reaches the customer as a Credit CDR on the next invoice.
        return ProviderResult(True, reference=reference, amount_minor=amount_minor, status="refunded")

    async def charge_idle_fee(
        self,
        *,
        amount_minor: int,
        currency: str,
        customer: str,
        payment_method: str,
        metadata: dict[str, str],
        key: str,
    ) -> ProviderResult:
        return ProviderResult(True, reference=customer, amount_minor=amount_minor, status="captured")


def _failure(exc: stripe.StripeError) -> ProviderResult:
    retryable = isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (
        exc.http_status is not None and exc.http_status >= 500
    )
    code = getattr(exc, "code", None) or type(exc).__name__
    return ProviderResult(False, status="failed", error=f"{code}: {exc.user_message or exc}", retryable=retryable)


class StripeProvider:
    name = "stripe"

    def __init__(self, api_key: str, api_base: str = "") -> None:
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=stripe.HTTPXClient(),
            max_network_retries=0,  # retries are ours (payment worker), with the same idempotency key
        )

    async def authorize(
        self,
        *,
        amount_minor: int,
        currency: str,
        customer: str,
        payment_method: str,
        metadata: dict[str, str],
        key: str,
    ) -> ProviderResult:
        try:
            intent = await self.client.v1.payment_intents.create_async(
                {
                    "amount": amount_minor,
                    "currency": currency.lower(),
                    "capture_method": "manual",
                    "confirm": True,
                    "customer": customer,
                    "payment_method": payment_method,
                    "off_session": True,
                    "metadata": metadata,
                },
                {"idempotency_key": key},
            )
        except stripe.StripeError as exc:
            return _failure(exc)
        ok = intent.status == "requires_capture"
        return ProviderResult(ok, intent.id, intent.amount_capturable, intent.status, "" if ok else intent.status)

    async def capture(self, *, reference: str, amount_minor: int, key: str) -> ProviderResult:
        try:
            if amount_minor == 0:
                intent = await self.client.v1.payment_intents.cancel_async(reference, options={"idempotency_key": key})
            else:
                intent = await self.client.v1.payment_intents.capture_async(
                    reference, {"amount_to_capture": amount_minor}, {"idempotency_key": key}
                )
        except stripe.StripeError as exc:
            return _failure(exc)
        return ProviderResult(True, intent.id, intent.amount_received, intent.status)

    async def cancel(self, *, reference: str, key: str) -> ProviderResult:
        try:
            intent = await self.client.v1.payment_intents.cancel_async(reference, options={"idempotency_key": key})
        except stripe.StripeError as exc:
            return _failure(exc)
        return ProviderResult(True, intent.id, 0, intent.status)

    async def refund(self, *, reference: str, amount_minor: int, key: str) -> ProviderResult:
        try:
            refund = await self.client.v1.refunds.create_async(
                {"payment_intent": reference, "amount": amount_minor}, {"idempotency_key": key}
            )
        except stripe.StripeError as exc:
            return _failure(exc)
        return ProviderResult(refund.status == "succeeded", reference, refund.amount, refund.status or "")

    async def charge_idle_fee(
        self,
        *,
        amount_minor: int,
        currency: str,
        customer: str,
        payment_method: str,
        metadata: dict[str, str],
        key: str,
    ) -> ProviderResult:
        try:
            intent = await self.client.v1.payment_intents.create_async(
                {
                    "amount": amount_minor,
                    "currency": currency.lower(),
                    "confirm": True,
                    "customer": customer,
                    "payment_method": payment_method,
                    "off_session": True,
                    "metadata": metadata,
                },
                {"idempotency_key": key},
            )
        except stripe.StripeError as exc:
            return _failure(exc)
        ok = intent.status == "succeeded"
        return ProviderResult(ok, intent.id, intent.amount_received, intent.status, "" if ok else intent.status)
