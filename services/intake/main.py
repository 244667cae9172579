"""Intake's composition root: create_app(settings) wires database, broker, consumer and routes."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake import api
from services.intake.handlers import record_fact
from services.intake.settings import IntakeSettings
from services.intake.vault import Vault
from shared.service import build_app, wire

SERVICE = "intake"
# Every fact on the timeline; intake tolerates (skips) fact types it does not know yet.
TIMELINE_FACTS = (
    "referral.registered",
    "enrolment.confirmed",
    "participation.started",
    "participation.completed",
    "participation.dropped-out",
    "command.rejected",
    "followup.check-scheduled",
    "leaving-outcome.recorded",
    "six-month-result.recorded",
    "reminder.sent",
)


def create_app(settings: IntakeSettings) -> FastAPI:
    """The intake service."""
    wiring = wire(SERVICE, settings, handlers=dict.fromkeys(TIMELINE_FACTS, (1, record_fact)))
    app = build_app(name=SERVICE, settings=settings, wiring=wiring)
    app.state.vault = Vault(settings.data_key.get_secret_value(), settings.lookup_key.get_secret_value())
    app.state.command_wait_seconds = settings.command_wait_seconds
    app.include_router(api.router)
    return app
