"""OpenTelemetry traces: one referral's path, from the POST through the outbox, Kafka and every consumer, is one trace.

Off by default. Set the standard variables to export over OTLP/HTTP (OTEL_EXPORTER_OTLP_ENDPOINT, or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, with OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, OTEL_RESOURCE_ATTRIBUTES as the SDK
reads them); OTEL_SDK_DISABLED=true turns it off again. The context travels as W3C `traceparent`: written into the
outbox row with the event (shared.outbox), put on the Kafka record by the relay (shared.relay), read back by each
consumer (shared.batch_consumer). Without a configured provider every span here is a no-op.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

TRACER = trace.get_tracer("rummelig")
_EXCLUDED_URLS = "/metrics,/health"  # scrapes and probes every few seconds would bury the requests that matter


def configure_tracing(service: str) -> bool:
    """Export spans over OTLP when the standard variables ask for it; whether they do."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    if not (os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        return False
    # imported here: a process that does not trace never loads the exporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", f"rummelig-{service}")})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return True


def tracing() -> bool:
    """Whether a real tracer provider is set (configured here, or by a test)."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider | trace.NoOpTracerProvider)


def instrument(app: FastAPI) -> None:
    """Trace the app's requests and its database statements, when traces are exported."""
    if not tracing():
        return
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls=_EXCLUDED_URLS)
    instrumentor = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
    if not instrumentor.is_instrumented_by_opentelemetry:  # process-wide: once for every app of the process
        instrumentor.instrument()


def inject(carrier: MutableMapping[str, Any]) -> None:
    """Write the current trace context into headers (nothing when no span is recording)."""
    propagate.inject(carrier)


@contextmanager
def span_from(headers: Mapping[str, Any], name: str, kind: SpanKind, **attributes: str | int) -> Iterator[None]:
    """A span continuing the trace whose context the headers carry (a new trace if they carry none); nothing at all
    when traces are not exported (the consumers' and relay's hot path)."""
    if not tracing():
        yield
        return
    with TRACER.start_as_current_span(name, context=propagate.extract(headers), kind=kind, attributes=attributes):
        yield


def record_headers(headers: Sequence[tuple[str, bytes]] | None) -> dict[str, str]:
    """A Kafka record's headers as text, for extracting a trace context."""
    return {key: value.decode("utf-8", "replace") for key, value in headers or ()}


def add_trace_ids(_: object, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the current span's trace_id and span_id on every log line written inside one."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = trace.format_trace_id(context.trace_id)
        event["span_id"] = trace.format_span_id(context.span_id)
    return event
