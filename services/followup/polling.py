"""The loop that runs a round of due work every few seconds, the senders that are run by it, and their backoff."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import RowMapping, TextClause

from services.followup import SERVICE
from services.followup.mailer import Mailer
from services.followup.messages import Email
from shared.db import SessionMaker, run, unit_of_work
from shared.logging import get_logger
from shared.metrics import REMINDERS_FAILED, REMINDERS_RETRIED, REMINDERS_SENT

log = get_logger(__name__)
BATCH = 5  # a claim is sent within its lease even when each send waits for the SMTP timeout
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)


def retry_after(attempts: int) -> timedelta:
    """The pause before the next try of a failed send: one minute, doubling, at most an hour."""
    pause: timedelta = FIRST_RETRY * 2 ** max(0, min(attempts - 1, 10))
    return min(pause, LONGEST_RETRY)


async def every(seconds: float, work: Callable[[], Awaitable[object]], *, what: str) -> None:
    """Run `work` now and then every `seconds` until cancelled; a failed round is logged and the next one tries again
    (claims are leased, so nothing a failed round claimed stays stuck)."""
    while True:
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the next round tries again; leases expire
            log.warning(f"{what} round failed", error=repr(exc))
        await asyncio.sleep(seconds)


class Sender:
    """What the reminder, digest and notice senders share: database, mailer, links into intake, poll and lease."""

    what = "sending"
    kind = "email"  # the metrics' label: reminder, digest, erasure-notice

    def __init__(
        self, *, sessions: SessionMaker, mailer: Mailer, intake_url: str, poll_seconds: float, lease_seconds: float
    ) -> None:
        self._sessions, self._mailer, self._poll, self._lease = sessions, mailer, poll_seconds, lease_seconds
        self._intake_url = intake_url.rstrip("/")

    async def run(self) -> None:
        """Send what is due until cancelled."""
        await every(self._poll, self.send_due, what=self.what)

    async def send_due(self, now: datetime | None = None) -> int:
        """Send what is due now; how many were sent."""
        raise NotImplementedError

    async def _mail(self, *, to: str, email: Email, message_id: str, attempts: int) -> None:
        """Send one email, counted as sent or failed, and as retried when an earlier try failed (`attempts`)."""
        if attempts:
            REMINDERS_RETRIED.labels(SERVICE, self.kind).inc()
        try:
            await self._mailer.send(to=to, email=email, message_id=message_id)
        except Exception:
            REMINDERS_FAILED.labels(SERVICE, self.kind).inc()
            raise
        REMINDERS_SENT.labels(SERVICE, self.kind).inc()

    async def _each_claimed(
        self, claim: TextClause, now: datetime, one: Callable[[RowMapping, datetime], Awaitable[int]]
    ) -> int:
        """Claim due rows a batch at a time, each under a lease, and do each one; a row that fails is logged by its
        first column (an id) and left to its lease, so it cannot stop the others. How many were sent."""
        sent = 0
        while True:
            async with unit_of_work(self._sessions) as session:
                bound = claim.bindparams(lease=self._lease, now=now, batch=BATCH)  # typed by the values
                claimed = (await run(session, bound)).mappings().all()
            for row in claimed:
                try:
                    sent += await one(row, now)
                except Exception as exc:  # noqa: BLE001 - one bad row must not stop the others; its lease expires
                    log.warning(f"{self.what} failed", row=str(next(iter(row.values()))), error=repr(exc))
            if len(claimed) < BATCH:
                return sent
