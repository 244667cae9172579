"""Follow-up's composition root: create_app(settings) wires database, broker, handlers, reminders, digests and
erasure notices."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.followup import SERVICE
from services.followup.digests import DigestSender
from services.followup.handlers import FOLDED, HANDLERS
from services.followup.mailer import mailer_from
from services.followup.notices import NoticeSender
from services.followup.reminders import ReminderSender
from services.followup.settings import FollowupSettings
from shared.service import build_app, wire


def create_app(settings: FollowupSettings) -> FastAPI:
    """The follow-up service."""
    wiring = wire(SERVICE, settings, handlers=HANDLERS, folded=FOLDED)
    mailer = mailer_from(settings)
    timing = {"poll_seconds": settings.reminder_poll_seconds, "lease_seconds": settings.reminder_lease_seconds}
    grace = timedelta(hours=settings.escalation_grace_hours)
    reminders = ReminderSender(
        sessions=wiring.sessions,
        mailer=mailer,
        intake_url=settings.intake_public_url,
        escalation_grace=grace,
        **timing,
    )
    digests = DigestSender(sessions=wiring.sessions, mailer=mailer, intake_url=settings.intake_public_url, **timing)
    notices = NoticeSender(sessions=wiring.sessions, mailer=mailer, intake_url=settings.intake_public_url, **timing)
    background = (reminders.run, digests.run, notices.run)
    return build_app(
        name=SERVICE, settings=settings, wiring=wiring, background=background, gauges=(reminders.count_due,)
    )
