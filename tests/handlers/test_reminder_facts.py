"""Every email follow-up sends about a case is a fact on the participant's timeline, and so in the access request:
reminder.sent for a reminder to the caseworker, followup.check-overdue for an escalation to the coordinator.

Follow-up's reminder sender runs on a database of its own (it claims every due check) against a real SMTP server
(the mail catcher, in-process); its outbox is then delivered to intake's consumer as the relay would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest_asyncio

from deploy.mailcatcher import read_messages, serve
from deploy.ports import free_port
from services.followup.mailer import Mailer
from services.followup.reminders import ReminderSender
from shared.clock import today_in_copenhagen
from shared.contracts import ParticipationCompleted
from shared.db import SessionMaker, create_engine, create_sessionmaker
from shared.envelope import CloudEvent
from shared.fund_rules import add_months
from shared.migrate import upgrade
from tests.fixtures.database import Databases, migrations_dir
from tests.fixtures.events import programme, referral, subproject
from tests.fixtures.handlers import apply, deliver, rows

CASEWORKER = "sagsbehandler@aarhus.example.dk"


@pytest_asyncio.fixture(loop_scope="session")
async def followup(databases: Databases) -> AsyncIterator[SessionMaker]:
    """Follow-up's sessions on a migrated database of the test's own, with a programme and sub-project."""
    name = f"reminder_facts_{uuid4().hex[:8]}"
    await databases.server.ensure_database(name)
    url = databases.server.url(name)
    await asyncio.to_thread(upgrade, url, migrations_dir("followup"))
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    await deliver(sessions, "followup", programme("plus-facts"))
    await deliver(sessions, "followup", subproject("sub-facts", "plus-facts", coordinator_email="k@example.dk"))
    try:
        yield sessions
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def smtp(tmp_path: Path) -> AsyncIterator[tuple[int, Path]]:
    """A real SMTP server catching mail into a folder: its port and the folder."""
    port = free_port()
    server = asyncio.create_task(serve(tmp_path, smtp_port=port, http_port=free_port()))
    await asyncio.sleep(0.2)
    try:
        yield port, tmp_path
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server


async def _staged(sessions: SessionMaker, participant_id: UUID) -> list[CloudEvent]:
    """The events follow-up staged in its outbox about the participant, in order."""
    found = await rows(
        sessions,
        "SELECT headers::text AS headers, payload FROM outbox_message WHERE key = :key ORDER BY id",
        key=str(participant_id),
    )
    return [
        CloudEvent.from_kafka([(k, v.encode()) for k, v in json.loads(r["headers"]).items()], r["payload"].encode())
        for r in found
    ]


async def test_a_reminder_and_an_escalation_are_facts_that_reach_intakes_timeline(
    followup: SessionMaker, smtp: tuple[int, Path], service_sessions: Callable[[str], SessionMaker]
) -> None:
    pid, case = uuid4(), f"RUM-8{uuid4().int % 10**5:05d}"
    referred = referral(
        pid, programme_id="plus-facts", subproject_id="sub-facts", case_reference=case, caseworker_email=CASEWORKER
    )
    await deliver(followup, "followup", referred)
    left_on = add_months(today_in_copenhagen(), -7)
    await deliver(followup, "followup", ParticipationCompleted(participant_id=pid, course_id="c", left_on=left_on))
    port, mail_dir = smtp
    mailer = Mailer(host="127.0.0.1", port=port, sender="reminders@example.org", timeout=3)
    sender = ReminderSender(
        sessions=followup, mailer=mailer, intake_url="https://intake.example", poll_seconds=1, lease_seconds=60
    )
    now = datetime.now(UTC)

    assert await sender.send_due(now=now) == 1  # the six-month result asked for; the leaving outcome lapsed
    [mail] = [m for m in read_messages(mail_dir) if case in str(m["Subject"])]
    assert str(mail["To"]) == CASEWORKER
    sent = [e for e in await _staged(followup, pid) if e.type == "reminder.sent"]
    assert [e.data["check"] for e in sent] == ["six-month"]  # one email, one fact (the latest reminder due)
    # the schedule's first reminder was missed: the one sent is the first, and the last before the coordinator hears
    plain = mail.get_body(preferencelist=("plain",))
    assert sent[0].data["reminder_number"] == 1 and plain is not None and "Påmindelse 1 af 1." in plain.get_content()
    steps = await rows(followup, "SELECT step FROM deadline WHERE participant_id = :p AND status = 'open'", p=pid)
    assert len(steps) == 1 and steps[0]["step"] > 0  # moved past the reminder sent, its fact staged with it

    assert await sender.send_due(now=now + timedelta(days=2, minutes=1)) == 0  # nobody answered: escalated
    staged = await _staged(followup, pid)
    assert [e.type for e in staged].count("followup.check-overdue") == 1
    assert len(read_messages(mail_dir)) == 1  # the escalation goes to the coordinator's digest, not a second email

    intake = service_sessions("intake")
    for event in staged:
        await apply(intake, "intake", event)
    timeline = await rows(intake, "SELECT event_type FROM timeline_entry WHERE participant_id = :p ORDER BY id", p=pid)
    types = [t["event_type"] for t in timeline]
    assert "reminder.sent" in types and "followup.check-overdue" in types
    assert types.index("reminder.sent") < types.index("followup.check-overdue")


async def test_without_an_escalation_grace_a_check_found_overdue_reaches_the_coordinator_at_once(
    followup: SessionMaker, smtp: tuple[int, Path]
) -> None:
    # the local launcher's demo: a newcomer sees the coordinator's digest without waiting two days
    pid, case = uuid4(), f"RUM-7{uuid4().int % 10**5:05d}"
    referred = referral(
        pid, programme_id="plus-facts", subproject_id="sub-facts", case_reference=case, caseworker_email=CASEWORKER
    )
    await deliver(followup, "followup", referred)
    left_on = add_months(today_in_copenhagen(), -7)
    await deliver(followup, "followup", ParticipationCompleted(participant_id=pid, course_id="c", left_on=left_on))
    mailer = Mailer(host="127.0.0.1", port=smtp[0], sender="reminders@example.org", timeout=3)
    sender = ReminderSender(
        sessions=followup,
        mailer=mailer,
        intake_url="https://intake.example",
        poll_seconds=1,
        lease_seconds=60,
        escalation_grace=timedelta(0),
    )
    now = datetime.now(UTC)

    assert await sender.send_due(now=now) == 1  # the caseworker is reminded first, as ever
    assert await sender.send_due(now=now) == 0  # and the same round on, the coordinator hears
    assert [e.type for e in await _staged(followup, pid)].count("followup.check-overdue") == 1
    waiting = await rows(followup, "SELECT coordinator_email FROM overdue_case WHERE case_reference = :c", c=case)
    assert waiting == [{"coordinator_email": "k@example.dk"}]
