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
from shared.db import unit_of_work
from shared.service import build_app, wire
from shared.topics import ENROLMENT_COMMANDS

SERVICE = "enrolment"


def create_app(settings: EnrolmentSettings) -> FastAPI:
    """The enrolment service."""
    wiring = wire(SERVICE, settings, handlers=COMMAND_HANDLERS, strict_topics=(ENROLMENT_COMMANDS,))
    sessions = wiring.sessions

    async def seed() -> None:
        if settings.seed_demo_catalogue:
            async with unit_of_work(sessions) as session:
                await seed_catalogue(session)

    app = build_app(name=SERVICE, settings=settings, wiring=wiring, background=(seed,))

    @app.get("/courses", tags=["catalogue"])
    async def courses(_: Annotated[Principal, Depends(require_role("caseworker"))]) -> list[dict[str, object]]:
        """The course catalogue (no personal data)."""
        async with sessions() as session:
            rows = (await session.exec(select(Course).order_by(Course.id))).all()
        return [r.model_dump(mode="json") for r in rows]

    return app
