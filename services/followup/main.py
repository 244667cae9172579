"""Follow-up's composition root: create_app(settings) wires database, broker, handlers and the reminder sender."""

from __future__ import annotations

from fastapi import FastAPI

from services.followup.handlers import HANDLERS
from services.followup.mailer import Mailer
from services.followup.reminders import ReminderSender
from services.followup.settings import FollowupSettings
from shared.service import build_app, wire

SERVICE = "followup"


def create_app(settings: FollowupSettings) -> FastAPI:
    """The follow-up service."""
    wiring = wire(SERVICE, settings, handlers=HANDLERS)
    mailer = Mailer(host=settings.smtp_host, port=settings.smtp_port, sender=str(settings.mail_from))
    reminders = ReminderSender(
        sessions=wiring.sessions,
        mailer=mailer,
        intake_url=settings.intake_public_url,
        poll_seconds=settings.reminder_poll_seconds,
    )
    return build_app(name=SERVICE, settings=settings, wiring=wiring, background=(reminders.run,))
