"""Follow-up's composition root: create_app(settings)."""

from __future__ import annotations

from fastapi import FastAPI

from services.followup.handlers import HANDLERS
from services.followup.mailer import Mailer
from services.followup.reminders import ReminderSender
from services.followup.settings import FollowupSettings
from shared.db import create_engine, create_sessionmaker
from shared.kafka import create_broker, subscribe_events
from shared.service import build_app
from shared.topics import FOLLOWUP_COMMANDS, SUBSCRIPTIONS

SERVICE = "followup"


def create_app(settings: FollowupSettings) -> FastAPI:
    """The follow-up service."""
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    broker = create_broker(settings.kafka.bootstrap_servers, service=SERVICE)
    subscribe_events(
        broker,
        service=SERVICE,
        topics=SUBSCRIPTIONS[SERVICE],
        sessions=sessions,
        handlers=HANDLERS,
        strict_topics=(FOLLOWUP_COMMANDS,),
    )
    mailer = Mailer(host=settings.smtp_host, port=settings.smtp_port, sender=str(settings.mail_from))
    reminders = ReminderSender(
        sessions=sessions,
        mailer=mailer,
        intake_url=settings.intake_public_url,
        poll_seconds=settings.reminder_poll_seconds,
    )
    return build_app(
        name=SERVICE, settings=settings, engine=engine, sessions=sessions, broker=broker, background=(reminders.run,)
    )
