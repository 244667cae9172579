"""One referral is one trace: intake's request, the relay's publish and the consumers of enrolment, follow-up and
reporting, seen by the OpenTelemetry SDK's in-memory exporter. The four services run in this process, built by their
composition roots, on a Kafka broker of the test's own (their consumer groups would share the stack's) and databases
of their own on the session's PostgreSQL."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once

from deploy.kafka import KafkaBroker
from deploy.ports import free_port
from deploy.postgres import ensure_database
from deploy.synthetic import referral_body, synthetic_citizen
from services.enrolment.main import create_app as enrolment_app
from services.enrolment.settings import EnrolmentSettings
from services.followup.main import create_app as followup_app
from services.followup.settings import FollowupSettings
from services.intake.main import create_app as intake_app
from services.reporting.main import create_app as reporting_app
from services.reporting.settings import ReportingSettings
from services.topology import topics_to_provision
from shared.kafka import provision_topics
from shared.migrate import upgrade
from shared.settings import KafkaSettings
from shared.topics import REFERRAL_EVENTS
from tests.fixtures.database import Databases, migrations_dir
from tests.fixtures.kafka_tools import eventually
from tests.fixtures.pages import intake_settings, token


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """A tracer provider of the test's own, exporting to memory; the process has none again afterwards."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    try:
        yield exporter
    finally:
        AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
        provider.shutdown()
        # the API sets its provider once per process; its own tests reset it the same way
        trace._TRACER_PROVIDER = None
        trace._TRACER_PROVIDER_SET_ONCE = Once()


@pytest_asyncio.fixture(loop_scope="session")
async def services(
    databases: Databases, tmp_path: Path, spans: InMemorySpanExporter
) -> AsyncIterator[dict[str, FastAPI]]:
    """The four services, started, on a broker of their own and databases of their own."""
    broker = KafkaBroker(tmp_path / "kafka", port=free_port(), controller_port=free_port())
    await asyncio.to_thread(broker.start)
    try:
        await provision_topics(broker.bootstrap_servers, topics_to_provision())
        urls = {}
        for service in ("intake", "enrolment", "followup", "reporting"):
            name = f"traced_{service}"
            await ensure_database(databases.server.dsn("postgres"), name)
            urls[service] = databases.server.url(name)
            await asyncio.to_thread(upgrade, urls[service], migrations_dir(service))
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
        apps = {
            "intake": intake_app(intake_settings(urls["intake"]).model_copy(update={"kafka": kafka})),
            "enrolment": enrolment_app(EnrolmentSettings(database_url=urls["enrolment"], kafka=kafka)),
            "followup": followup_app(FollowupSettings(database_url=urls["followup"], kafka=kafka)),
            "reporting": reporting_app(ReportingSettings(database_url=urls["reporting"], kafka=kafka)),
        }
        async with AsyncExitStack() as running:
            for app in apps.values():
                await running.enter_async_context(app.router.lifespan_context(app))
            yield apps
    finally:
        await asyncio.to_thread(broker.stop)


def _of(spans: tuple[ReadableSpan, ...], name: str, **attributes: str | int) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name and all((s.attributes or {}).get(k) == v for k, v in attributes.items())]


async def test_one_referral_is_one_trace_through_every_service(
    services: dict[str, FastAPI], spans: InMemorySpanExporter
) -> None:
    intake = services["intake"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=intake),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token(municipality='751')}"},
    ) as client:

        async def referred() -> httpx.Response | None:  # once intake has the seeded catalogue from enrolment
            answer = await client.post("/referrals", json=referral_body(synthetic_citizen(random.Random(4242))))
            return answer if answer.status_code == 201 else None

        await eventually(referred, timeout=60, interval=0.5)
    processed = f"{REFERRAL_EVENTS} process"

    async def through_every_reader() -> tuple[ReadableSpan, ...] | None:
        found = tuple(spans.get_finished_spans())
        post = [s for s in _of(found, "POST /referrals", **{"http.status_code": 201}) if s.kind == SERVER]
        if not post or not all(_of(found, processed, **{"messaging.consumer.group.name": g}) for g in READERS):
            return None
        return found

    finished: tuple[ReadableSpan, ...] = await eventually(through_every_reader, timeout=60)
    # the request that was answered 201 (those before it came while intake did not know the catalogue yet)
    request = next(s for s in _of(finished, "POST /referrals", **{"http.status_code": 201}) if s.kind == SERVER)
    assert request.context is not None
    trace_id = request.context.trace_id
    in_trace = [s for s in finished if s.context is not None and s.context.trace_id == trace_id]
    publish = _of(tuple(in_trace), f"{REFERRAL_EVENTS} publish", **{"rummelig.service": "intake"})
    assert publish, "the relay's publish is not in the request's trace"
    for group in READERS:
        consumed = _of(tuple(in_trace), processed, **{"messaging.consumer.group.name": group})
        assert consumed, f"{group}'s consumer is not in the request's trace"
        # each consumer's span is a child of the relay's publish, carried in the Kafka record's headers
        assert {s.parent.span_id for s in consumed if s.parent} & {s.context.span_id for s in publish if s.context}
    # the database statements of the request are in the trace too (asyncpg's instrumentation)
    assert any(s.attributes and s.attributes.get("db.system") == "postgresql" for s in in_trace)


READERS = ("enrolment", "followup", "reporting")
SERVER = trace.SpanKind.SERVER
