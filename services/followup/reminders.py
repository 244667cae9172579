"""Where reminders are sent: due deadlines are claimed with a lease, emailed, and the sending recorded.

Replicas claim with FOR UPDATE SKIP LOCKED and a lease, so each reminder has one sender; the record of a sent
reminder and its reminder.sent event are written in one transaction after the SMTP server accepted the mail.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import text

from services.followup import domain
from services.followup.handlers import SOURCE
from services.followup.mailer import Mailer
from shared import contracts
from shared.contracts import Check
from shared.db import SessionMaker, unit_of_work
from shared.logging import get_logger
from shared.outbox import publish

log = get_logger(__name__)
LEASE_SECONDS = 120
BATCH = 20

CLAIM_DUE = text(
    """
UPDATE deadline d SET locked_until = now() + make_interval(secs => :lease)
FROM followup_case c
WHERE d.participant_id = c.participant_id AND d.id IN (
    SELECT d2.id FROM deadline d2 JOIN followup_case c2 ON c2.participant_id = d2.participant_id
    WHERE d2.status = 'open' AND d2.next_reminder_at <= :now AND c2.caseworker_email IS NOT NULL
      AND (d2.locked_until IS NULL OR d2.locked_until < now())
    ORDER BY d2.next_reminder_at LIMIT :batch
    FOR UPDATE OF d2 SKIP LOCKED)
RETURNING d.id, d.participant_id, d.check_kind, d.due_on, d.reminders_sent, c.case_reference, c.caseworker_email
"""
)

RECORD_SENT = text(
    """
UPDATE deadline SET reminders_sent = reminders_sent + 1, next_reminder_at = :next, locked_until = NULL
WHERE id = :id AND reminders_sent = :sent AND status = 'open'
"""
)


class ReminderSender:
    """Sends the reminders that have fallen due."""

    def __init__(self, *, sessions: SessionMaker, mailer: Mailer, intake_url: str, poll_seconds: float) -> None:
        self._sessions, self._mailer, self._intake_url, self._poll = (
            sessions,
            mailer,
            intake_url.rstrip("/"),
            poll_seconds,
        )

    async def run(self) -> None:
        """Send due reminders until cancelled."""
        while True:
            try:
                await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the next round tries again; leases expire
                log.warning("reminder round failed", error=repr(exc))
            await asyncio.sleep(self._poll)

    async def send_due(self, now: datetime | None = None) -> int:
        """Claim, send and record every due reminder once; returns how many were sent."""
        async with unit_of_work(self._sessions) as session:
            claimed = (
                (
                    await session.exec(
                        CLAIM_DUE.bindparams(lease=LEASE_SECONDS, now=now or datetime.now(UTC), batch=BATCH)
                    )  # type: ignore[call-overload]
                )
                .mappings()
                .all()
            )
        sent = 0
        for row in claimed:
            try:
                await self._send_one(row)
                sent += 1
            except Exception as exc:  # noqa: BLE001 - one bad address must not stop the others
                log.warning("reminder not sent", deadline=row["id"], error=repr(exc))
        return sent

    async def _send_one(self, row: Any) -> None:
        number = int(row["reminders_sent"]) + 1
        check = cast(Check, row["check_kind"])
        path = "leaving-outcome" if check == "leaving-outcome" else "six-month-result"
        message = domain.reminder_text(
            check=check,
            case_reference=row["case_reference"] or "(pending)",
            due=row["due_on"],
            number=number,
            link=f"{self._intake_url}/participants/{row['participant_id']}/{path}",
        )
        await self._mailer.send(
            to=row["caseworker_email"],
            subject=message.subject,
            body=message.body,
            message_id=f"<reminder-{row['id']}-{number}@rummelig.invalid>",
        )
        async with unit_of_work(self._sessions) as session:
            await session.exec(
                RECORD_SENT.bindparams(  # type: ignore[call-overload]
                    id=row["id"], sent=number - 1, next=datetime.now(UTC) + domain.REPEAT_EVERY
                )
            )
            fact = contracts.ReminderSent(
                participant_id=UUID(str(row["participant_id"])),
                check=check,
                due_on=row["due_on"],
                reminder_number=number,
            )
            publish(session, fact, source=SOURCE)
        log.info("reminder sent", deadline=row["id"], check=check, number=number)
