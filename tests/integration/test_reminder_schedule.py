"""Reminders on a real database and SMTP server: sent when due, repeated weekly, then marked overdue; once each."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from sqlmodel import select

from deploy.mailcatcher import read_messages
from deploy.stack import ROOT, Stack
from services.followup.mailer import Mailer
from services.followup.reminders import ReminderSender
from services.followup.tables import Deadline, FollowupCase
from shared.db import create_engine, create_sessionmaker, unit_of_work
from shared.migrate import upgrade

pytestmark = pytest.mark.stack


async def test_a_due_check_is_reminded_once_then_weekly_then_as_overdue(stack: Stack) -> None:
    await stack.postgres.ensure_database("reminder_test")
    url = stack.postgres.url("reminder_test")
    await asyncio.to_thread(upgrade, url, ROOT / "services" / "followup" / "migrations")
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    case = f"RUM-9{uuid4().int % 10**6:06d}"
    pid = uuid4()
    due = date(2026, 10, 20)
    async with unit_of_work(sessions) as session:
        session.add(FollowupCase(participant_id=pid, case_reference=case, caseworker_email="cw@example.org"))
        session.add(
            Deadline(
                participant_id=pid,
                check_kind="six-month",
                left_on=date(2026, 4, 20),
                due_on=due,
                next_reminder_at=datetime(2026, 10, 20, 6, 0, tzinfo=UTC),
            )
        )
    mailer = Mailer(host="127.0.0.1", port=stack.config.smtp_port, sender="reminders@example.org")
    sender = ReminderSender(sessions=sessions, mailer=mailer, intake_url="http://intake.example", poll_seconds=1)

    def subjects() -> list[str]:
        return [str(m["Subject"]) for m in read_messages(stack.mail_dir) if case in str(m["Subject"])]

    try:
        before_due = datetime(2026, 10, 20, 5, 59, tzinfo=UTC)
        assert await sender.send_due(now=before_due) == 0
        now = datetime.now(UTC)
        assert await sender.send_due(now=now) == 1
        assert await sender.send_due(now=now) == 0  # not again until a week has passed
        assert await sender.send_due(now=now + timedelta(days=7, minutes=1)) == 1
        assert await sender.send_due(now=now + timedelta(days=14, minutes=2)) == 1
        sent = subjects()
        assert len(sent) == 3
        assert not sent[0].startswith("OVERDUE") and not sent[1].startswith("OVERDUE")
        assert sent[2].startswith("OVERDUE")
        async with sessions() as session:
            deadline = (await session.exec(select(Deadline).where(Deadline.participant_id == pid))).one()
        assert deadline.reminders_sent == 3
        assert deadline.status == "open"  # still waiting for the result
    finally:
        await engine.dispose()
