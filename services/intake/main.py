"""Intake's composition root: create_app(settings) wires database, broker, the timeline consumer and routes."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake import (
    access_api,
    api,
    audit_api,
    caseload_api,
    command_api,
    erasure_api,
    extract_api,
    provider_api,
)
from services.intake.catalogue import ReachCache
from services.intake.entry import entry_handlers
from services.intake.erasure import ConsentErasure
from services.intake.handlers import HANDLERS
from services.intake.settings import IntakeSettings
from shared.db import asyncpg_dsn
from shared.service import build_app, wire

SERVICE = "intake"


def create_app(settings: IntakeSettings) -> FastAPI:
    """The intake service."""
    vault = settings.vault()
    reach = ReachCache()
    handlers = {**HANDLERS, **entry_handlers(vault)}  # the entry needs the birth date: the vault is bound here
    wiring = wire(SERVICE, settings, handlers=handlers)
    consent_erasure = ConsentErasure(
        wiring.sessions, days=settings.consent_erasure_days, poll_seconds=settings.consent_erasure_poll_seconds
    )
    app = build_app(
        name=SERVICE,
        settings=settings,
        wiring=wiring,
        background=(consent_erasure.run, lambda: reach.listen(asyncpg_dsn(settings.database_url))),
    )
    app.state.vault = vault
    app.state.reach = reach
    app.state.command_wait_seconds = settings.command_wait_seconds
    app.state.consent_erasure_days = settings.consent_erasure_days
    app.include_router(api.router)
    app.include_router(command_api.router)
    app.include_router(caseload_api.router)
    app.include_router(provider_api.router)
    app.include_router(audit_api.router)
    app.include_router(access_api.router)
    app.include_router(extract_api.router)
    app.include_router(erasure_api.router)
    return app
