"""The skeleton every service shares: lifespan (broker, relay, background tasks), health, problem details."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.consumer import Consumer, Handlers
from shared.db import SessionMaker, asyncpg_dsn, create_engine, create_sessionmaker
from shared.kafka import create_broker, subscribe_events
from shared.logging import get_logger
from shared.problems import install_problem_handlers, known_query_parameters
from shared.relay import OutboxRelay
from shared.settings import ServiceSettings

log = get_logger(__name__)
BackgroundTask = Callable[[], Coroutine[Any, Any, None]]


class Health(BaseModel):
    """Whether the service can work: its database answers and its broker is connected."""

    status: Literal["ok", "unavailable"]
    service: str
    checks: dict[str, bool]


@dataclass(frozen=True)
class Wiring:
    """One service's database and broker, with its consumer subscribed to its topics."""

    engine: AsyncEngine
    sessions: SessionMaker
    broker: KafkaBroker


def wire(name: str, settings: ServiceSettings, *, handlers: Handlers, guard: str | None = None) -> Wiring:
    """Engine, sessions and broker for a service; it consumes the topics that carry the contracts it handles."""
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    broker = create_broker(settings.kafka.bootstrap_servers, service=name)
    subscribe_events(broker, Consumer(name, handlers, guard=guard), sessions=sessions)
    return Wiring(engine, sessions, broker)


def build_app(
    *,
    name: str,
    settings: ServiceSettings,
    wiring: Wiring,
    background: Sequence[BackgroundTask] = (),
    on_start: Sequence[BackgroundTask] = (),
    **fastapi_kwargs: Any,
) -> FastAPI:
    """A FastAPI app that runs the on_start jobs, starts the broker, the relay and the background tasks, stops them."""
    engine, sessions, broker = wiring.engine, wiring.sessions, wiring.broker
    relay = OutboxRelay(
        dsn=asyncpg_dsn(settings.database_url), publisher=broker, poll_seconds=settings.outbox_poll_seconds
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for job in on_start:  # before the service answers /health: what it needs to serve is there
            await job()
        await broker.start()
        tasks = [asyncio.create_task(job(), name=f"{name}-{i}") for i, job in enumerate((relay.run, *background))]
        log.info("service started", port=settings.http_port)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await broker.stop()
            await engine.dispose()

    if settings.environment == "production":  # the API description is for developers, not the public
        fastapi_kwargs |= {"docs_url": None, "redoc_url": None, "openapi_url": None}
    app = FastAPI(
        title=f"Rummelig {name}", lifespan=lifespan, dependencies=[Depends(known_query_parameters)], **fastapi_kwargs
    )
    app.state.auth_settings = settings.auth
    app.state.sessions = sessions
    install_problem_handlers(app)

    @app.get(
        "/health",
        tags=["health"],
        response_model=Health,
        responses={503: {"description": "The database or the broker does not answer.", "model": Health}},
    )
    async def health() -> JSONResponse:
        """Ready when the database answers and the broker is connected."""
        checks = {"database": False, "kafka": False}
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = True
        except Exception as exc:  # noqa: BLE001 - health reports, it does not raise
            log.warning("database unhealthy", error=repr(exc))
        checks["kafka"] = bool(await broker.ping(timeout=2.0))
        healthy = all(checks.values())
        body = Health(status="ok" if healthy else "unavailable", service=name, checks=checks)
        return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)

    return app
