"""Billing events reach webhooks signed, retried, in order; invoices are issued once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import asyncpg
import pytest
from aiohttp import web

from chargeplane.pb.billing.v1 import billing_pb2 as pb
from chargeplane.services.billing.webhooks import PAGE, verify
from tests.eventually import eventually

from .test_service import session, setup_site

if TYPE_CHECKING:
    from chargeplane.pb.billing.v1.billing_pb2_grpc import BillingServiceAsyncStub


class Receiver:
    """A real HTTP endpoint that fails its first `failures` requests."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.events: list[dict[str, object]] = []
        self.attempts = 0
        self.secret = ""
        self.bad_signatures = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        body = await request.read()
        if not verify(self.secret, request.headers["Chargeplane-Signature"], body):
            self.bad_signatures += 1
            return web.Response(status=400)
        if self.failures:
            self.failures -= 1
            return web.Response(status=503)
        event = json.loads(body)
        assert request.headers["Idempotency-Key"] == event["id"]
        self.events.append(event)
        return web.Response(status=204)


@pytest.fixture
async def receivers() -> AsyncIterator[tuple[str, Receiver, str, Receiver]]:
    flaky, steady = Receiver(failures=3), Receiver()
    app = web.Application()
    app.router.add_post("/flaky", flaky.handle)
    app.router.add_post("/steady", steady.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/flaky", flaky, f"http://127.0.0.1:{port}/steady", steady
    await runner.cleanup()


async def test_events_are_signed_retried_ordered_and_a_dead_subscriber_blocks_nobody(
    billing: BillingServiceAsyncStub, db: asyncpg.Pool, receivers: tuple[str, Receiver, str, Receiver]
) -> None:
    flaky_url, flaky, steady_url, steady = receivers
    for url, receiver in ((flaky_url, flaky), (steady_url, steady)):
        made = await billing.CreateWebhook(pb.CreateWebhookRequest(url=url, event_types=["cdr.issued"]))
        receiver.secret = made.secret
    # A subscriber that is down (nothing listens there) must not hold up the others.
    await billing.CreateWebhook(pb.CreateWebhookRequest(url="http://127.0.0.1:9/down"))
    await setup_site(billing)
    for i in range(4):
        await billing.IssueCdr(pb.IssueCdrRequest(session=session(f"tx-{i}")))
    expected = [f"tx-{i}" for i in range(4)]

    def delivered(r: Receiver) -> list[object]:
        return [e["data"]["transaction_id"] for e in r.events]  # type: ignore[index]

    await eventually(lambda: delivered(steady) == expected, timeout=20)
    await eventually(lambda: delivered(flaky) == expected, timeout=20)  # after 3 failures, still in order
    assert flaky.attempts == 7 and steady.bad_signatures == flaky.bad_signatures == 0
    assert {e["type"] for e in steady.events} == {"cdr.issued"}
    assert len({e["id"] for e in steady.events}) == 4
    down = await db.fetchval(
        "SELECT count(*) FROM billing_webhook_deliveries d JOIN billing_webhooks w ON w.id = d.webhook_id "
        "WHERE w.url LIKE '%/down' AND d.status = 'pending' AND d.attempts > 0"
    )
    assert down >= 1


async def test_more_events_than_a_page_arrive_once_each_in_order(
    billing: BillingServiceAsyncStub, db: asyncpg.Pool, receivers: tuple[str, Receiver, str, Receiver]
) -> None:
    # The worker reads due events a page at a time and records successes in groups: a burst
    # larger than a page still reaches the subscriber once per event, in outbox order.
    _, _, steady_url, steady = receivers
    made = await billing.CreateWebhook(pb.CreateWebhookRequest(url=steady_url, event_types=["cdr.issued"]))
    steady.secret = made.secret
    await setup_site(billing)
    count = PAGE + 60
    await asyncio.gather(*(billing.IssueCdr(pb.IssueCdrRequest(session=session(f"tx-{i}"))) for i in range(count)))
    await eventually(lambda: len(steady.events) >= count, timeout=60)
    by_number = await db.fetch("SELECT transaction_id FROM billing_cdrs ORDER BY number")
    assert [e["data"]["transaction_id"] for e in steady.events] == [r["transaction_id"] for r in by_number]  # type: ignore[index]
    assert len({e["id"] for e in steady.events}) == count
    await eventually(
        lambda: db.fetchval("SELECT count(*) = $1 FROM billing_webhook_deliveries WHERE status = 'delivered'", count),
        timeout=10,
    )


async def test_monthly_invoice_with_vat_lines_html_pdf_json(billing: BillingServiceAsyncStub) -> None:
    await setup_site(billing)
    await billing.UpsertContract(
        pb.UpsertContractRequest(
            contract=pb.Contract(contract_id="C-1", name="ACME Fleet", address="Main St 1", id_tokens=["TOKEN-1"])
        )
    )
    for i in range(2):
        await billing.IssueCdr(pb.IssueCdrRequest(session=session(f"tx-{i}")))
    out = await billing.IssueInvoice(pb.IssueInvoiceRequest(contract_id="C-1", period="2026-03", currency="EUR"))
    assert out.created and out.invoice.id.startswith("INV-2026-")
    body = json.loads(out.invoice.json)
    assert [line["amount_excl_vat"] for line in body["lines"]] == ["10.20", "10.20"]
    assert body["vat_lines"] == [{"rate": "21", "base": "20.40", "vat": "4.28"}]
    assert (out.invoice.total_excl_vat, out.invoice.total_vat, out.invoice.total_incl_vat) == ("20.40", "4.28", "24.68")
    again = await billing.IssueInvoice(pb.IssueInvoiceRequest(contract_id="C-1", period="2026-03", currency="EUR"))
    assert not again.created and again.invoice.id == out.invoice.id
    pdf = await billing.GetInvoice(pb.GetInvoiceRequest(invoice_id=out.invoice.id, format=pb.INVOICE_FORMAT_PDF))
    assert pdf.document.startswith(b"%PDF") and pdf.content_type == "application/pdf"
    page = await billing.GetInvoice(pb.GetInvoiceRequest(invoice_id=out.invoice.id, format=pb.INVOICE_FORMAT_HTML))
    assert b"ACME Fleet" in page.document and b"24.68" in page.document
