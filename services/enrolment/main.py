"""Enrolment's composition root: create_app(settings) wires database, broker, command handlers, routes and pages."""

from __future__ import annotations

from fastapi import FastAPI

from services.enrolment import api
from services.enrolment.catalogue import api as catalogue_api
from services.enrolment.handlers import FOLDED, HANDLERS
from services.enrolment.pages.site import serve_pages
from services.enrolment.seed import seed_catalogue
from services.enrolment.settings import EnrolmentSettings
from shared.db import unit_of_work
from shared.logging import get_logger
from shared.service import build_app, wire

SERVICE = "enrolment"
log = get_logger(__name__)


def create_app(settings: EnrolmentSettings) -> FastAPI:
    """The enrolment service."""
    wiring = wire(SERVICE, settings, handlers=HANDLERS, folded=FOLDED)

    async def seed() -> None:
        if settings.seed_demo_catalogue:
            async with unit_of_work(wiring.sessions) as session:
                for refused in await seed_catalogue(session):
                    log.error("seed catalogue entry refused", reason=refused.reason, detail=refused.detail)

    app = build_app(name=SERVICE, settings=settings, wiring=wiring, on_start=(seed,))
    app.include_router(api.router)
    app.include_router(catalogue_api.router)
    app.add_exception_handler(catalogue_api.RefusedChange, catalogue_api.refused_change)
    serve_pages(app, idle_minutes=settings.page_idle_minutes)  # the administrator's pages and /static/rummelig.css
    return app
