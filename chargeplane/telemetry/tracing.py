"""OpenTelemetry traces: one span per OCPP CALL, propagated over every gRPC hop.

Exporting follows the standard OTEL_* environment: OTEL_EXPORTER_OTLP_ENDPOINT enables the
OTLP exporter, OTEL_TRACES_EXPORTER=console prints spans. With neither, the API's no-op
tracer stays in place and spans cost next to nothing.
"""

from __future__ import annotations

import os
from typing import Any

import grpc
from opentelemetry import trace
from opentelemetry.instrumentation.grpc import aio_client_interceptors, aio_server_interceptor

tracer = trace.get_tracer("chargeplane")


def setup_tracing(service_name: str) -> None:
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    console = os.environ.get("OTEL_TRACES_EXPORTER") == "console"
    if not endpoint and not console:
        return
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
    return [aio_server_interceptor()]  # type: ignore[no-untyped-call]


def traced_channel(target: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(target, interceptors=aio_client_interceptors())  # type: ignore[no-untyped-call]
