"""Prometheus metrics of the billing service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CDRS_ISSUED = Counter("chargeplane_billing_cdrs_issued_total", "CDRs issued", ["kind"])
PRICING_ERRORS = Counter("chargeplane_billing_pricing_errors_total", "Sessions that could not be priced", ["reason"])
PRICING_SECONDS = Histogram(
    "chargeplane_billing_pricing_seconds",
    "Time to price one session",
    buckets=(0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1),
)
CDR_BATCH = Histogram(
    "chargeplane_billing_cdr_batch_size",
    "CDRs numbered and stored in one transaction by the batch issuer",
    buckets=(1, 2, 5, 10, 25, 50, 100, 256),
)
OUTBOX_LAG = Gauge("chargeplane_billing_outbox_lag_seconds", "Age of the oldest undelivered webhook delivery")
OUTBOX_PENDING = Gauge("chargeplane_billing_outbox_pending", "Webhook deliveries not yet delivered")
WEBHOOK_DELIVERIES = Counter("chargeplane_billing_webhook_deliveries_total", "Webhook delivery attempts", ["outcome"])
PAYMENTS = Counter(
    "chargeplane_billing_payment_operations_total", "Payment provider operations", ["provider", "outcome"]
)
