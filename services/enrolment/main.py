"""Enrolment's composition root: create_app(settings)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI
from sqlmodel import select

from services.enrolment.catalogue import seed_catalogue
from services.enrolment.handlers import COMMAND_HANDLERS
from services.enrolment.settings import EnrolmentSettings
from services.enrolment.tables import Course
from shared.auth import Principal, require_role
from shared.db import create_engine, create_sessionmaker, unit_of_work
from shared.kafka import create_broker, subscribe_events
from shared.service import build_app
from shared.topics import ENROLMENT_COMMANDS, SUBSCRIPTIONS

SERVICE = "enrolment"


def create_app(settings: EnrolmentSettings) -> FastAPI:
    """The enrolment service."""
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    broker = create_broker(settings.kafka.bootstrap_servers, service=SERVICE)
    subscribe_events(
        broker,
        service=SERVICE,
        topics=SUBSCRIPTIONS[SERVICE],
        sessions=sessions,
        handlers=COMMAND_HANDLERS,
        strict_topics=(ENROLMENT_COMMANDS,),
    )

    async def seed() -> None:
        if settings.seed_demo_catalogue:
            async with unit_of_work(sessions) as session:
                await seed_catalogue(session)

    app = build_app(
        name=SERVICE, settings=settings, engine=engine, sessions=sessions, broker=broker, background=(seed,)
    )

    @app.get("/courses", tags=["catalogue"])
    async def courses(_: Annotated[Principal, Depends(require_role("caseworker"))]) -> list[dict[str, object]]:
        """The course catalogue (no personal data)."""
        async with sessions() as session:
            rows = (await session.exec(select(Course).order_by(Course.id))).all()
        return [r.model_dump(mode="json") for r in rows]

    return app
