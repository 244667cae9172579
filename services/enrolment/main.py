"""Enrolment's composition root: create_app(settings) wires database, broker, command handlers and routes."""

from __future__ import annotations

from fastapi import FastAPI

from services.enrolment import api
from services.enrolment.catalogue import seed_catalogue
from services.enrolment.handlers import HANDLERS
from services.enrolment.settings import EnrolmentSettings
from shared.db import unit_of_work
from shared.service import build_app, wire

SERVICE = "enrolment"


def create_app(settings: EnrolmentSettings) -> FastAPI:
    """The enrolment service."""
    wiring = wire(SERVICE, settings, handlers=HANDLERS)

    async def seed() -> None:
        if settings.seed_demo_catalogue:
            async with unit_of_work(wiring.sessions) as session:
                await seed_catalogue(session)

    app = build_app(name=SERVICE, settings=settings, wiring=wiring, background=(seed,))
    app.include_router(api.router)
    return app
