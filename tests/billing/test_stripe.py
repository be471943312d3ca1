"""The Stripe adapter, on the official SDK, against a local server that follows Stripe's
documented API for PaymentIntents (manual capture) and refunds: form-encoded requests,
Bearer secret keys, Idempotency-Key replay, the documented objects and error shapes."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from chargeplane.config import Settings
from chargeplane.pb.billing.v1 import billing_pb2 as pb
from tests.eventually import eventually

from .test_service import session, setup_site

if TYPE_CHECKING:
    from chargeplane.pb.billing.v1.billing_pb2_grpc import BillingServiceAsyncStub

KEY = "sk_test_chargeplane"


class FakeStripe:
    def __init__(self) -> None:
        self.intents: dict[str, dict[str, Any]] = {}
        self.replays: dict[str, tuple[str, JSONResponse]] = {}
        self.ids = itertools.count(1)
        self.requests: list[tuple[str, dict[str, str]]] = []

    def error(self, status: int, type_: str, message: str, code: str = "", **extra: Any) -> JSONResponse:
        return JSONResponse({"error": {"type": type_, "message": message, "code": code, **extra}}, status_code=status)

    async def dispatch(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {KEY}":
            return self.error(401, "invalid_request_error", "Invalid API Key provided")
        # Stripe requests are application/x-www-form-urlencoded (nested keys like metadata[x]).
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        self.requests.append((request.url.path, {k: str(v) for k, v in form.items()}))
        key = request.headers.get("idempotency-key")
        fingerprint = f"{request.url.path}:{sorted(form.items())}"
        if key and key in self.replays:
            seen, response = self.replays[key]
            if seen != fingerprint:
                return self.error(
                    400, "idempotency_error", "Keys for idempotent requests can only be used with the same parameters"
                )
            return response
        response = self.route(request.url.path, {k: str(v) for k, v in form.items()})
        if key:
            self.replays[key] = (fingerprint, response)
        return response

    def route(self, path: str, form: dict[str, str]) -> JSONResponse:
        parts = path.strip("/").split("/")
        if parts == ["v1", "payment_intents"]:
            if form.get("payment_method") == "pm_card_chargeDeclined":
                return self.error(
                    402, "card_error", "Your card was declined.", "card_declined", decline_code="generic_decline"
                )
            pi: dict[str, Any]
            pi = {"id": f"pi_{next(self.ids)}", "object": "payment_intent", "amount": int(form["amount"]),
                  "currency": form["currency"], "capture_method": form.get("capture_method", "automatic_async"),
                  "customer": form.get("customer"), "payment_method": form.get("payment_method"),
                  "amount_capturable": 0, "amount_received": 0, "livemode": False, "metadata": {}}  # fmt: skip
            if pi["capture_method"] == "manual":
                pi.update(status="requires_capture", amount_capturable=pi["amount"])
            else:
                pi.update(status="succeeded", amount_received=pi["amount"])
            self.intents[pi["id"]] = pi
            return JSONResponse(pi)
        if len(parts) == 4 and parts[:2] == ["v1", "payment_intents"]:
            found = self.intents.get(parts[2])
            if found is None:
                return self.error(404, "invalid_request_error", "No such payment_intent", "resource_missing")
            pi = found
            if pi["status"] != "requires_capture":
                return self.error(400, "invalid_request_error", "This PaymentIntent could not be captured",
                                  "payment_intent_unexpected_state")  # fmt: skip
            if parts[3] == "capture":
                amount = int(form.get("amount_to_capture", pi["amount"]))
                if amount > pi["amount_capturable"]:
                    return self.error(400, "invalid_request_error", "amount_to_capture too large", "amount_too_large")
                pi.update(status="succeeded", amount_received=amount, amount_capturable=0)
            else:
                pi.update(status="canceled", amount_capturable=0)
            return JSONResponse(pi)
        if parts == ["v1", "refunds"]:
            pi = self.intents[form["payment_intent"]]
            return JSONResponse({"id": f"re_{next(self.ids)}", "object": "refund", "amount": int(form["amount"]),
                                 "currency": pi["currency"], "payment_intent": pi["id"],
                                 "status": "succeeded"})  # fmt: skip
        return self.error(404, "invalid_request_error", f"Unrecognized request URL (POST: {path})")


@pytest.fixture
async def stripe_server() -> AsyncIterator[tuple[str, FakeStripe]]:
    fake = FakeStripe()
    app = Starlette(routes=[Route("/{path:path}", fake.dispatch, methods=["POST", "GET"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, timeout=10)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", fake
    server.should_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.fixture
def billing_settings(settings: Settings, stripe_server: tuple[str, FakeStripe]) -> Settings:
    return settings.model_copy(
        update={"billing_poll_interval": 0.05, "stripe_api_key": KEY, "stripe_api_base": stripe_server[0]}
    )


async def authorize(billing: BillingServiceAsyncStub, tx: str, method: str = "pm_card_visa") -> pb.Payment:
    out = await billing.AuthorizePayment(
        pb.AuthorizePaymentRequest(
            transaction_id=tx,
            provider="stripe",
            currency="EUR",
            amount_minor=5000,
            customer="cus_1",
            payment_method=method,
        )
    )
    return out.payment


async def test_preauthorise_then_capture_the_cdr_amount_and_refund(
    billing: BillingServiceAsyncStub, stripe_server: tuple[str, FakeStripe]
) -> None:
    _, fake = stripe_server
    await setup_site(billing)
    payment = await authorize(billing, "tx-1")
    assert (payment.status, payment.authorized_minor, payment.reference) == ("authorized", 5000, "pi_1")
    assert fake.requests[0][1]["capture_method"] == "manual"
    assert (await authorize(billing, "tx-1")).id == payment.id  # idempotent
    await billing.IssueCdr(pb.IssueCdrRequest(session=session("tx-1")))  # 12.34 incl. VAT

    async def captured() -> bool:
        p = (await billing.GetPayment(pb.GetPaymentRequest(transaction_id="tx-1"))).payment
        return p.status == "captured" and p.captured_minor == 1234

    await eventually(captured, timeout=15)
    assert fake.intents["pi_1"]["amount_received"] == 1234
    refunded = await billing.RefundPayment(pb.RefundPaymentRequest(transaction_id="tx-1", amount_minor=234))
    assert refunded.payment.refunded_minor == 234


async def test_a_declined_card_is_a_failed_payment(billing: BillingServiceAsyncStub) -> None:
    payment = await authorize(billing, "tx-2", method="pm_card_chargeDeclined")
    assert payment.status == "failed" and "card_declined" in payment.last_error


async def test_the_sdk_replays_with_the_same_idempotency_key(stripe_server: tuple[str, FakeStripe]) -> None:
    from chargeplane.services.billing.providers import StripeProvider

    url, fake = stripe_server
    provider = StripeProvider(KEY, url)
    first = await provider.authorize(amount_minor=100, currency="EUR", customer="c", payment_method="pm_card_visa",
                                     metadata={}, key="k-1")  # fmt: skip
    again = await provider.authorize(amount_minor=100, currency="EUR", customer="c", payment_method="pm_card_visa",
                                     metadata={}, key="k-1")  # fmt: skip
    assert first.reference == again.reference and len(fake.intents) == 1
    bad = StripeProvider("sk_test_wrong", url)
    denied = await bad.authorize(amount_minor=100, currency="EUR", customer="c", payment_method="pm_card_visa",
                                 metadata={}, key="k-2")  # fmt: skip
    assert not denied.ok and not denied.retryable
