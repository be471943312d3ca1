"""OpenTelemetry traces: one span per OCPP CALL, propagated over every gRPC hop.

Exporting follows the standard OTEL_* environment: OTEL_EXPORTER_OTLP_ENDPOINT enables the
OTLP exporter, OTEL_TRACES_EXPORTER=console prints spans. With neither, the API's no-op
tracer stays in place and spans cost next to nothing.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import grpc
from opentelemetry import trace
from opentelemetry.instrumentation.grpc import aio_client_interceptors, aio_server_interceptor

tracer = trace.get_tracer("chargeplane")
_enabled = False  # gRPC interceptors cost CPU on every call: only installed when exporting


def setup_tracing(service_name: str) -> None:
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    console = os.environ.get("OTEL_TRACES_EXPORTER") == "console"
    if not endpoint and not console:
        return
    global _enabled
    _enabled = True
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

    exporter: SpanExporter
    if endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    else:
        exporter = ConsoleSpanExporter()
    provider = TracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service_name)})
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)


def server_interceptors() -> list[Any]:
    return [aio_server_interceptor()] if _enabled else []  # type: ignore[no-untyped-call]


class ConcurrencyLimit(grpc.aio.UnaryUnaryClientInterceptor):
    """Bounds the calls in flight on one channel. grpc.aio fails calls with CANCELLED once
    well over a thousand are in flight at once (seen in a 2,000-charger boot storm); beyond
    the bound, calls wait here for their turn instead, within their own deadlines."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)

    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        async with self._slots:
            call = await continuation(client_call_details, request)
            await call  # hold the slot until the response (or error) arrived
            return call


MAX_CALLS_IN_FLIGHT = 512


def traced_channel(target: str) -> grpc.aio.Channel:
    """A client channel: bounded concurrency, and trace propagation when tracing is on."""
    interceptors: list[Any] = [ConcurrencyLimit(MAX_CALLS_IN_FLIGHT)]
    if _enabled:
        interceptors += aio_client_interceptors()  # type: ignore[no-untyped-call]
    return grpc.aio.insecure_channel(target, interceptors=interceptors)
