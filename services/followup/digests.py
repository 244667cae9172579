"""Where coordinators are told: overdue checks gathered into at most one email a day per coordinator.

Each round files the overdue cases not yet mailed under their coordinator's digest of the day (one row per
coordinator and day, unique), then claims unsent digests with a lease, mails them and marks them sent. A case filed
under a digest after its email was written goes back to wait for the next one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import cast

from sqlalchemy import text
from sqlmodel import col, select

from services.followup import messages
from services.followup.polling import Sender, retry_after
from services.followup.tables import CoordinatorDigest, OverdueCase
from shared.clock import COPENHAGEN
from shared.contracts import Check
from shared.db import run, unit_of_work
from shared.logging import get_logger

log = get_logger(__name__)

OPEN_TODAYS_DIGESTS = text(
    """
INSERT INTO coordinator_digest (coordinator_email, day, next_at, attempts)
SELECT DISTINCT coordinator_email, :day, :now, 0 FROM overdue_case WHERE digest_id IS NULL
ON CONFLICT ON CONSTRAINT uq_digest_a_day DO NOTHING
"""
)
FILE_UNDER_TODAYS = text(
    """
UPDATE overdue_case o SET digest_id = d.id FROM coordinator_digest d
WHERE o.digest_id IS NULL AND d.coordinator_email = o.coordinator_email AND d.day = :day AND d.sent_at IS NULL
"""
)
CLAIM_DUE = text(
    """
UPDATE coordinator_digest SET locked_until = now() + make_interval(secs => :lease)
WHERE id IN (
    SELECT id FROM coordinator_digest
    WHERE sent_at IS NULL AND next_at <= :now AND (locked_until IS NULL OR locked_until < now())
    ORDER BY next_at FOR UPDATE SKIP LOCKED)
RETURNING id, coordinator_email, day, attempts
"""
)
RETURN_UNMAILED = text("UPDATE overdue_case SET digest_id = NULL WHERE digest_id = :d AND NOT (id = ANY(:mailed))")


class DigestSender(Sender):
    """Mails each coordinator the day's overdue cases, once."""

    what = kind = "digest"

    async def send_due(self, now: datetime | None = None) -> int:
        """File waiting overdue cases under today's digests and send those due; returns how many were sent."""
        now = now or datetime.now(UTC)
        day = now.astimezone(COPENHAGEN).date()
        async with unit_of_work(self._sessions) as session:
            await run(session, OPEN_TODAYS_DIGESTS.bindparams(day=day, now=now))
            await run(session, FILE_UNDER_TODAYS.bindparams(day=day))
            claimed = (await run(session, CLAIM_DUE.bindparams(lease=self._lease, now=now))).mappings().all()
        sent = 0
        for digest in claimed:
            sent += await self._send(
                int(digest["id"]), str(digest["coordinator_email"]), digest["day"], now, attempts=digest["attempts"]
            )
        return sent

    async def _send(self, digest_id: int, coordinator: str, day: date, now: datetime, *, attempts: int = 0) -> int:
        async with self._sessions() as session:
            cases = list((await session.exec(select(OverdueCase).where(col(OverdueCase.digest_id) == digest_id))).all())
        email = messages.digest(
            cases=[
                messages.OverdueCase(
                    case_reference=c.case_reference,
                    check=cast(Check, c.check_kind),
                    left_on=c.left_on,
                    due_on=c.due_on,
                    counts_until=c.counts_until,
                )
                for c in cases
            ],
            day=day,
            link_base=self._intake_url,
        )
        try:
            if cases:
                await self._mail(
                    to=coordinator, email=email, message_id=digest_message_id(digest_id), attempts=attempts
                )
        except Exception as exc:  # noqa: BLE001 - any SMTP or network failure: try again later, nothing is lost
            async with unit_of_work(self._sessions) as session:
                digest = await session.get(CoordinatorDigest, digest_id, with_for_update=True)
                if digest is not None:
                    digest.attempts += 1
                    digest.next_at, digest.locked_until = now + retry_after(digest.attempts), None
            log.warning("digest not sent, will retry", digest=digest_id, error=repr(exc))
            return 0
        async with unit_of_work(self._sessions) as session:
            digest = await session.get(CoordinatorDigest, digest_id, with_for_update=True)
            if digest is None:
                return 0
            digest.sent_at, digest.next_at, digest.locked_until = datetime.now(UTC), None, None
            mailed = [c.id for c in cases]
            # filed after the email was written: wait for the next digest
            await run(session, RETURN_UNMAILED.bindparams(d=digest_id, mailed=mailed))
        log.info("coordinator digest sent", digest=digest_id, cases=len(cases))
        return 1 if cases else 0


def digest_message_id(digest_id: int) -> str:
    """One Message-ID per coordinator and day, for every try."""
    return f"<digest-{digest_id}@rummelig.invalid>"
