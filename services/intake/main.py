"""Intake's composition root: create_app(settings) wires database, broker, the timeline consumer and routes."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake import api, caseload_api, command_api, provider_api
from services.intake.handlers import HANDLERS
from services.intake.settings import IntakeSettings
from services.intake.vault import Vault
from shared.service import build_app, wire

SERVICE = "intake"


def create_app(settings: IntakeSettings) -> FastAPI:
    """The intake service."""
    app = build_app(name=SERVICE, settings=settings, wiring=wire(SERVICE, settings, handlers=HANDLERS))
    app.state.vault = Vault(settings.data_key.get_secret_value(), settings.lookup_key.get_secret_value())
    app.state.command_wait_seconds = settings.command_wait_seconds
    app.include_router(api.router)
    app.include_router(command_api.router)
    app.include_router(caseload_api.router)
    app.include_router(provider_api.router)
    return app
