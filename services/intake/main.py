"""Intake's composition root: create_app(settings) wires database, broker, the timeline consumer and routes."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.audit import api as audit_api
from services.intake.audit.check import watch_chain
from services.intake.caseload import api as caseload_api
from services.intake.catalogue.queries import ReachCache
from services.intake.commands import api as commands_api
from services.intake.extract import api as extract_api
from services.intake.handlers import handlers
from services.intake.pages.site import serve_pages
from services.intake.personal_data import api as personal_data_api
from services.intake.personal_data.service import ConsentErasure
from services.intake.reassignment import api as reassignment_api
from services.intake.referrals import api as referrals_api
from services.intake.register import api as register_api
from services.intake.settings import IntakeSettings
from services.intake.timeline import api as timeline_api
from shared.db import asyncpg_dsn
from shared.service import build_app, wire

SERVICE = "intake"


def create_app(settings: IntakeSettings) -> FastAPI:
    """The intake service."""
    vault = settings.vault()
    reach = ReachCache()
    wiring = wire(SERVICE, settings, handlers=handlers(vault))
    consent_erasure = ConsentErasure(
        wiring.sessions, days=settings.consent_erasure_days, poll_seconds=settings.consent_erasure_poll_seconds
    )
    app = build_app(
        name=SERVICE,
        settings=settings,
        wiring=wiring,
        background=(
            consent_erasure.run,
            lambda: reach.listen(asyncpg_dsn(settings.database_url)),
            lambda: watch_chain(settings.database_url, every_seconds=settings.audit_check_seconds),
        ),
    )
    app.state.vault = vault
    app.state.reach = reach
    app.state.command_wait_seconds = settings.command_wait_seconds
    app.state.consent_erasure_days = settings.consent_erasure_days
    app.state.register_max_bytes = settings.register_max_bytes
    app.state.upload_paths = frozenset({register_api.UPLOAD_PATH})  # bodies they stream and bound themselves
    for routes in (referrals_api, timeline_api, commands_api, caseload_api, audit_api, personal_data_api, extract_api):
        app.include_router(routes.router)
    app.include_router(reassignment_api.router)
    app.include_router(register_api.router)
    serve_pages(app, idle_minutes=settings.page_idle_minutes)  # the caseworker pages and /static/rummelig.css
    return app
