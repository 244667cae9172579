"""Reminders and coordinator digests on a real PostgreSQL and real SMTP servers, moved through time by `now=`.

Each test gets a migrated database of its own; checks are scheduled by follow-up's own handlers from an exit
fact, and rounds of the reminder and digest senders are run at chosen moments instead of waiting for them.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from deploy.mailcatcher import read_messages
from deploy.ports import free_port
from deploy.stack import ROOT, Stack
from services.followup.digests import DigestSender
from services.followup.mailer import Mailer
from services.followup.reminders import ReminderSender
from shared.clock import today_in_copenhagen
from shared.contracts import ParticipationCompleted, RecordSixMonthResult
from shared.db import SessionMaker, create_engine, create_sessionmaker
from shared.fund_rules import add_months
from shared.migrate import upgrade
from tests.fixtures.events import programme, referral, subproject
from tests.fixtures.handlers import deliver, rows
from tests.fixtures.kafka_tools import eventually

pytestmark = pytest.mark.stack
COORDINATOR = "koordinator@plus.example.dk"
CASEWORKER = "sagsbehandler@aarhus.example.dk"


@dataclass
class Followup:
    """Follow-up's senders on a database of their own, mailing to an SMTP server of the test's choice."""

    sessions: SessionMaker
    programme_id: str
    mail_dir: Path

    def senders(self, smtp_port: int) -> tuple[ReminderSender, DigestSender]:
        mailer = Mailer(host="127.0.0.1", port=smtp_port, sender="reminders@example.org", timeout=3)
        common: dict[str, Any] = {
            "sessions": self.sessions,
            "mailer": mailer,
            "intake_url": "https://intake.example",
            "poll_seconds": 1,
            "lease_seconds": 60,
        }
        return ReminderSender(**common), DigestSender(**common)

    async def left(self, case: str, left_on: date, *, employed_at_entry: bool = False) -> UUID:
        """A referred participant who completed on left_on (follow-up's own handlers schedule the checks)."""
        pid = uuid4()
        status = "employed" if employed_at_entry else "unemployed"
        await deliver(
            self.sessions,
            "followup",
            referral(
                pid,
                programme_id=self.programme_id,
                subproject_id=f"sub-{self.programme_id}",
                case_reference=case,
                caseworker_email=CASEWORKER,
                labour_market_status=status,
            ),
        )
        await deliver(
            self.sessions, "followup", ParticipationCompleted(participant_id=pid, course_id="c", left_on=left_on)
        )
        return pid

    def mail_about(self, case: str) -> list[EmailMessage]:
        """Every caught message naming the case, to its caseworker or in a digest."""
        return [m for m in read_messages(self.mail_dir) if case in str(m["Subject"]) or case in part(m, "plain")]


def part(message: EmailMessage, kind: str) -> str:
    """The text of a message's plain or HTML part."""
    body = message.get_body((kind,))
    assert body is not None, f"no {kind} part"
    return str(body.get_content())


@pytest.fixture
async def followup(stack: Stack) -> AsyncIterator[Followup]:
    name = f"reminders_{uuid4().hex[:8]}"
    await stack.postgres.ensure_database(name)
    url = stack.postgres.url(name)
    await asyncio.to_thread(upgrade, url, ROOT / "services" / "followup" / "migrations")
    engine = create_engine(url)
    found = Followup(create_sessionmaker(engine), f"plus-{uuid4().hex[:6]}", stack.mail_dir)
    await deliver(found.sessions, "followup", programme(found.programme_id))
    await deliver(
        found.sessions,
        "followup",
        subproject(f"sub-{found.programme_id}", found.programme_id, coordinator_email=COORDINATOR),
    )
    try:
        yield found
    finally:
        await engine.dispose()


def case_reference() -> str:
    return f"RUM-9{uuid4().int % 10**5:05d}"


async def test_a_participant_who_left_seven_months_ago_gets_one_reminder_then_the_coordinator_is_told(
    stack: Stack, followup: Followup
) -> None:
    case = case_reference()
    await followup.left(case, add_months(today_in_copenhagen(), -7))
    reminders, digests = followup.senders(stack.config.smtp_port)
    now = datetime.now(UTC)

    # the leaving outcome can no longer count: it is given up without a word; the six-month result is asked for once
    assert await reminders.send_due(now=now) == 1
    assert await reminders.send_due(now=now) == 0
    assert await digests.send_due(now=now) == 0
    [mail] = followup.mail_about(case)
    assert "seks måneder" in str(mail["Subject"]) and "six-month result" in part(mail, "plain")
    assert f"https://intake.example/cases/{case}" in part(mail, "html")
    assert str(mail["To"]) == CASEWORKER

    # two days later nobody has answered: the coordinator's digest names the case, once that day
    later = now + timedelta(days=2, minutes=1)
    assert await reminders.send_due(now=later) == 0
    assert await digests.send_due(now=later) == 1
    assert await digests.send_due(now=later + timedelta(hours=1)) == 0
    digest = [m for m in followup.mail_about(case) if str(m["To"]) == COORDINATOR]
    assert len(digest) == 1 and case in part(digest[0], "plain")
    assert str(digest[0]["Message-ID"]).startswith("<digest-")
    checks = await rows(followup.sessions, "SELECT check_kind, status, closed_reason FROM deadline ORDER BY check_kind")
    assert checks == [
        {"check_kind": "leaving-outcome", "status": "closed", "closed_reason": "lapsed"},
        {"check_kind": "six-month", "status": "open", "closed_reason": None},
    ]


async def test_the_repeat_comes_a_week_later_and_recording_the_result_stops_the_reminders(
    stack: Stack, followup: Followup
) -> None:
    case = case_reference()
    left_on = add_months(today_in_copenhagen(), -6) - timedelta(days=1)  # the six-month result fell due yesterday
    pid = await followup.left(case, left_on)
    reminders, digests = followup.senders(stack.config.smtp_port)
    now = datetime.now(UTC)

    assert await reminders.send_due(now=now) == 1
    assert await reminders.send_due(now=now + timedelta(days=5)) == 0
    assert await reminders.send_due(now=now + timedelta(days=7)) == 1  # the due date's morning + 7 days has passed
    subjects = [str(m["Subject"]) for m in followup.mail_about(case)]
    assert len(subjects) == 2 and len(set(subjects)) == 1
    ids = {str(m["Message-ID"]) for m in followup.mail_about(case)}
    assert len(ids) == 2  # one Message-ID per reminder

    await deliver(
        followup.sessions,
        "followup",
        RecordSixMonthResult(participant_id=pid, situation="education", observed_on=today_in_copenhagen()),
    )
    for days in (8, 15, 30, 60):
        assert await reminders.send_due(now=now + timedelta(days=days)) == 0
        assert await digests.send_due(now=now + timedelta(days=days)) == 0
    assert len(followup.mail_about(case)) == 2


async def test_with_the_smtp_server_down_no_reminder_is_lost_they_go_out_when_it_returns(
    stack: Stack, followup: Followup, tmp_path: Path
) -> None:
    cases = [case_reference() for _ in range(5)]
    left_on = add_months(today_in_copenhagen(), -6) - timedelta(days=1)
    for case in cases:
        await followup.left(case, left_on)
    port = free_port()  # nothing listens here yet
    reminders, _ = followup.senders(port)
    now = datetime.now(UTC)

    assert await reminders.send_due(now=now) == 0
    waiting = await rows(followup.sessions, "SELECT attempts, next_at FROM deadline WHERE status = 'open' AND step = 0")
    assert len(waiting) == 5 and {r["attempts"] for r in waiting} == {1}
    assert all(r["next_at"] > now for r in waiting)  # tried again after a pause, not in a tight loop
    assert await reminders.send_due(now=now) == 0  # the pause holds

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "deploy.mailcatcher",
        "--dir",
        str(mail_dir),
        "--smtp-port",
        str(port),
        "--http-port",
        str(free_port()),
    )
    try:

        async def listening() -> bool:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                return False
            writer.close()
            return True

        await eventually(listening, timeout=20)
        assert await reminders.send_due(now=now + timedelta(minutes=2)) == 5
        assert sorted(c for m in read_messages(mail_dir) for c in cases if c in str(m["Subject"])) == sorted(cases)
    finally:
        server.terminate()
        await server.wait()
