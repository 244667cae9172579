"""The caseworker is told when a case's personal data are erased: participant.erased files one notice in follow-up,
the notice sender mails it once over real SMTP (the mail catcher, in-process), retries while the server is down, and
then forgets the caseworker's address and the case reference.

Each test runs on a migrated follow-up database of its own, as the sender claims every due notice in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, get_args
from uuid import UUID, uuid4

import pytest
import pytest_asyncio

from deploy.mailcatcher import read_messages, serve
from deploy.ports import free_port
from services.followup.mailer import Mailer
from services.followup.messages import erasure_notice
from services.followup.notices import NoticeSender, notice_message_id
from shared.contracts import ErasureBasis, ParticipantErased, ParticipationCompleted, to_event
from shared.db import SessionMaker, create_engine, create_sessionmaker
from shared.migrate import upgrade
from tests.fixtures.database import Databases, migrations_dir
from tests.fixtures.events import referral
from tests.fixtures.handlers import SOURCE, apply, deliver, row, rows

CASEWORKER = "sagsbehandler@aarhus.example.dk"
ERASED_ON = date(2026, 11, 3)
INTAKE = "https://intake.example"
CPR_LIKE = re.compile(rb"(?<!\d)\d{6}-?\d{4}(?!\d)")
NOTICE = "SELECT case_reference, caseworker_email, erased_on, basis, attempts, sent_at FROM erasure_notice"


@pytest_asyncio.fixture(loop_scope="session")
async def followup(databases: Databases) -> AsyncIterator[SessionMaker]:
    """Follow-up's sessions on a migrated database of the test's own."""
    name = f"erasure_notices_{uuid4().hex[:8]}"
    await databases.server.ensure_database(name)
    url = databases.server.url(name)
    await asyncio.to_thread(upgrade, url, migrations_dir("followup"))
    engine = create_engine(url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def mail_catcher(mail_dir: Path, port: int) -> AsyncIterator[None]:
    """A real SMTP server on `port`, catching mail into mail_dir, until the block ends."""
    server = asyncio.create_task(serve(mail_dir, smtp_port=port, http_port=free_port()))
    await asyncio.sleep(0.2)
    try:
        yield
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server


def sender(followup: SessionMaker, smtp_port: int) -> NoticeSender:
    mailer = Mailer(host="127.0.0.1", port=smtp_port, sender="reminders@example.org", timeout=3)
    return NoticeSender(sessions=followup, mailer=mailer, intake_url=INTAKE, poll_seconds=1, lease_seconds=60)


def case_reference() -> str:
    return f"RUM-7{uuid4().int % 10**5:05d}"


async def referred(followup: SessionMaker, case: str) -> UUID:
    """A participant referred by the caseworker, who has left the course (so there are open checks too)."""
    pid = uuid4()
    await deliver(followup, "followup", referral(pid, case_reference=case, caseworker_email=CASEWORKER))
    await deliver(followup, "followup", ParticipationCompleted(participant_id=pid, course_id="c", left_on=ERASED_ON))
    return pid


def erased(pid: UUID, basis: ErasureBasis = "consent-withdrawn") -> ParticipantErased:
    return ParticipantErased(participant_id=pid, erased_on=ERASED_ON, basis=basis)


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None, f"no {kind} part"
    return str(part.get_content())


async def held_anywhere(followup: SessionMaker, *needles: str) -> list[str]:
    """The follow-up tables whose rows still hold any of the needles."""
    tables = await rows(followup, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    found = []
    for table in (t["tablename"] for t in tables):
        hits = await rows(followup, f'SELECT t::text AS r FROM "{table}" t')  # table names from pg_tables
        if any(n in h["r"] for h in hits for n in needles):
            found.append(table)
    return found


# --- filing -------------------------------------------------------------------------------------------------------


async def test_a_consent_withdrawn_erasure_files_one_notice_and_the_case_is_forgotten(followup: SessionMaker) -> None:
    case = case_reference()
    pid = await referred(followup, case)

    await deliver(followup, "followup", erased(pid))

    notices = await rows(followup, NOTICE + " WHERE participant_id = :p", p=pid)
    assert notices == [
        {
            "case_reference": case,
            "caseworker_email": CASEWORKER,
            "erased_on": ERASED_ON,
            "basis": "consent-withdrawn",
            "attempts": 0,
            "sent_at": None,
        }
    ]
    forgotten = await row(
        followup, "SELECT case_reference, caseworker_email FROM followup_case WHERE participant_id = :p", p=pid
    )
    assert forgotten == {"case_reference": None, "caseworker_email": None}
    assert await held_anywhere(followup, case, CASEWORKER) == ["erasure_notice"]  # the notice alone, until sent


@pytest.mark.parametrize("basis", get_args(ErasureBasis))
async def test_every_basis_of_erasure_is_told_to_the_caseworker(followup: SessionMaker, basis: ErasureBasis) -> None:
    pid = await referred(followup, case_reference())
    await deliver(followup, "followup", erased(pid, basis))
    assert await rows(followup, "SELECT basis FROM erasure_notice WHERE participant_id = :p", p=pid) == [
        {"basis": basis}
    ]


async def test_a_duplicate_delivery_or_a_second_erasure_fact_files_nothing_more(followup: SessionMaker) -> None:
    pid = await referred(followup, case_reference())
    event = to_event(erased(pid), source=SOURCE)
    assert await apply(followup, "followup", event)

    assert not await apply(followup, "followup", event)  # the same event again: skipped
    await deliver(followup, "followup", erased(pid, "retention"))  # another fact about it: the case is forgotten

    assert await rows(followup, "SELECT basis FROM erasure_notice WHERE participant_id = :p", p=pid) == [
        {"basis": "consent-withdrawn"}
    ]


async def test_a_participant_without_a_caseworker_files_no_notice(followup: SessionMaker) -> None:
    pid = uuid4()  # the referral never reached follow-up
    await deliver(followup, "followup", erased(pid))
    assert await rows(followup, "SELECT 1 FROM erasure_notice WHERE participant_id = :p", p=pid) == []


# --- sending ------------------------------------------------------------------------------------------------------


async def test_the_caseworker_is_mailed_once_and_then_the_address_and_case_are_forgotten(
    followup: SessionMaker, tmp_path: Path
) -> None:
    case = case_reference()
    pid = await referred(followup, case)
    await deliver(followup, "followup", erased(pid))
    port = free_port()
    notices = sender(followup, port)

    async with mail_catcher(tmp_path, port):
        assert await notices.send_due() == 1
        assert await notices.send_due(now=datetime.now(UTC) + timedelta(days=1)) == 0

    [mail] = read_messages(tmp_path)
    expected = erasure_notice(
        case_reference=case, erased_on=ERASED_ON, basis="consent-withdrawn", link=f"{INTAKE}/cases/{case}"
    )
    assert str(mail["To"]) == CASEWORKER
    assert str(mail["Subject"]) == expected.subject
    assert str(mail["Message-ID"]) == notice_message_id(pid)
    assert str(mail["Auto-Submitted"]) == "auto-generated"
    assert body(mail, "plain").replace("\r\n", "\n") == expected.text
    assert "trak sit samtykke tilbage" in body(mail, "html")
    assert not CPR_LIKE.search(mail.as_bytes())
    sent: dict[str, Any] | None = await row(followup, NOTICE + " WHERE participant_id = :p", p=pid)
    assert sent is not None and sent["sent_at"] is not None
    assert (sent["case_reference"], sent["caseworker_email"]) == (None, None)
    assert await held_anywhere(followup, case, CASEWORKER) == []


async def test_with_the_smtp_server_down_no_notice_is_lost_it_goes_out_when_it_returns(
    followup: SessionMaker, tmp_path: Path
) -> None:
    cases = [case_reference() for _ in range(7)]  # more than one claim's batch
    for case in cases:
        await deliver(followup, "followup", erased(await referred(followup, case)))
    port = free_port()  # nothing listens here yet
    notices = sender(followup, port)
    now = datetime.now(UTC)

    assert await notices.send_due(now=now) == 0
    waiting = await rows(followup, "SELECT attempts, next_at, caseworker_email FROM erasure_notice")
    assert len(waiting) == len(cases) and {r["attempts"] for r in waiting} == {1}
    assert all(r["next_at"] > now and r["caseworker_email"] == CASEWORKER for r in waiting)
    assert await notices.send_due(now=now) == 0  # the pause holds: no tight loop
    assert {r["attempts"] for r in await rows(followup, "SELECT attempts FROM erasure_notice")} == {1}

    async with mail_catcher(tmp_path, port):
        assert await notices.send_due(now=now + timedelta(minutes=2)) == len(cases)
        assert await notices.send_due(now=now + timedelta(hours=2)) == 0

    subjects = sorted(c for m in read_messages(tmp_path) for c in cases if c in str(m["Subject"]))
    assert subjects == sorted(cases)
    assert await rows(followup, "SELECT 1 FROM erasure_notice WHERE sent_at IS NULL") == []
