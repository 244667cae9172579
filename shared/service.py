"""The skeleton every service shares: lifespan (broker, relay, background tasks), health, problem details."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.consumer import Consumer, Folded, Handlers
from shared.db import SessionMaker, asyncpg_dsn, create_engine, create_sessionmaker
from shared.gauges import Sample, Sampler, database_answers, kafka_answers
from shared.kafka import client_options, create_broker, subscribe_events
from shared.lag import LagProbe
from shared.logging import get_logger
from shared.metrics import DEPENDENCY_UP, RequestMetrics, metrics_endpoint
from shared.problems import install_problem_handlers, known_query_parameters
from shared.relay import OutboxRelay, RecordProducer
from shared.settings import ServiceSettings
from shared.tracing import instrument

log = get_logger(__name__)
BackgroundTask = Callable[[], Coroutine[Any, Any, None]]


class Health(BaseModel):
    """Whether the service can work: its database answers and its broker is connected; `missing` names what is not."""

    status: Literal["ok", "unavailable"]
    service: str
    checks: dict[str, bool]
    missing: list[str]


class Alive(BaseModel):
    """The process answers: nothing else is asked."""

    status: Literal["ok"]
    service: str


@dataclass(frozen=True)
class Wiring:
    """One service's database and broker, with its consumer subscribed to its topics."""

    engine: AsyncEngine
    sessions: SessionMaker
    broker: KafkaBroker
    topics: tuple[str, ...]


def wire(
    name: str,
    settings: ServiceSettings,
    *,
    handlers: Handlers,
    guard: str | None = None,
    folded: Folded | None = None,
) -> Wiring:
    """Engine, sessions and broker for a service; it consumes the topics that carry the contracts it handles (those of
    `folded` a poll at a time in memory: shared/row_fold.py)."""
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    broker = create_broker(settings.kafka.bootstrap_servers, service=name, settings=settings.kafka)
    consumer = Consumer(name, handlers, guard=guard, folded=folded)
    subscribe_events(broker, consumer, sessions=sessions)
    return Wiring(engine, sessions, broker, consumer.topics)


def build_app(
    *,
    name: str,
    settings: ServiceSettings,
    wiring: Wiring,
    background: Sequence[BackgroundTask] = (),
    on_start: Sequence[BackgroundTask] = (),
    gauges: Sequence[Sample] = (),
    **fastapi_kwargs: Any,
) -> FastAPI:
    """A FastAPI app that runs the on_start jobs, starts the broker, the relay and the background tasks, stops them;
    with health, metrics (`gauges`: the service's own, sampled with the common ones) and problem details."""
    engine, sessions, broker = wiring.engine, wiring.sessions, wiring.broker
    producer = RecordProducer(client_options(settings.kafka))
    relay = OutboxRelay(
        dsn=asyncpg_dsn(settings.database_url),
        publisher=producer,
        poll_seconds=settings.outbox_poll_seconds,
        service=name,
    )
    lag = LagProbe(settings.kafka.bootstrap_servers, name, wiring.topics, options=client_options(settings.kafka))
    sampler = Sampler(name, engine, broker, lag, extra=gauges)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for job in on_start:  # before the service answers /health: what it needs to serve is there
            await job()
        await broker.start()
        await producer.start()
        jobs = (relay.run, sampler.run, *background)
        tasks = [asyncio.create_task(job(), name=f"{name}-{i}") for i, job in enumerate(jobs)]
        log.info("service started", port=settings.http_port)
        try:
            yield
        finally:
            # A stop wins over any wait for an outage to end: each step gets a moment, then is abandoned (the outbox
            # keeps what was not published; offsets not committed are read again).
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks, timeout=STOP_STEP_SECONDS)
            await asyncio.gather(
                _within(STOP_STEP_SECONDS, broker.stop(), "broker"),
                _within(STOP_STEP_SECONDS, producer.stop(), "the relay's producer"),
                _within(STOP_STEP_SECONDS, engine.dispose(), "database"),
            )

    if settings.environment == "production":  # the API description is for developers, not the public
        fastapi_kwargs |= {"docs_url": None, "redoc_url": None, "openapi_url": None}
    app = FastAPI(
        title=f"Rummelig {name}", lifespan=lifespan, dependencies=[Depends(known_query_parameters)], **fastapi_kwargs
    )
    app.state.auth_settings = settings.auth
    app.state.sessions = sessions
    app.state.lag = lag
    install_problem_handlers(app)
    app.add_middleware(RequestMetrics, service=name)
    instrument(app)
    # a route of its own, not a mounted app: a mount answers /metrics with a redirect to /metrics/
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)

    @app.get("/health/live", tags=["health"], response_model=Alive)
    async def live() -> Alive:
        """The process answers; no dependency is asked (a restart would not bring one back)."""
        return Alive(status="ok", service=name)

    ready_responses: dict[int | str, dict[str, Any]] = {
        503: {"description": "The database or the broker does not answer: `missing` names which.", "model": Health}
    }

    @app.get("/health/ready", tags=["health"], response_model=Health, responses=ready_responses)
    @app.get("/health", tags=["health"], response_model=Health, responses=ready_responses)
    async def ready() -> JSONResponse:
        """Ready when the database answers and the broker is connected."""
        checks = {"database": await database_answers(engine), "kafka": await kafka_answers(broker)}
        for dependency, up in checks.items():
            DEPENDENCY_UP.labels(name, dependency).set(1 if up else 0)
        missing = [dependency for dependency, up in checks.items() if not up]
        body = Health(status="unavailable" if missing else "ok", service=name, checks=checks, missing=missing)
        return JSONResponse(body.model_dump(), status_code=503 if missing else 200)

    return app


STOP_STEP_SECONDS = 2.0  # twice: background tasks, then broker and database together


async def _within(seconds: float, step: Awaitable[object], what: str) -> None:
    """Await a step of stopping for a few seconds at most."""
    try:
        await asyncio.wait_for(step, timeout=seconds)
    except Exception as exc:  # noqa: BLE001 - stopping goes on whatever one step did
        log.warning("stopping went on without waiting", step=what, error=repr(exc))
