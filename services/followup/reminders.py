"""Where reminders are sent: due steps of open checks are claimed with a lease, carried out, and recorded.

A step is a reminder to the caseworker, an escalation (the check goes to the coordinator's next digest), or giving
the check up once nothing recorded can count. Replicas claim with FOR UPDATE SKIP LOCKED and a lease, so each step
has one sender; a reminder is recorded, with its reminder.sent event, in one transaction after the SMTP server
accepted it. A failed send is tried again with a growing pause. The one possible duplicate: a crash between the
server's acceptance and that commit sends the reminder again once the lease expires, with the same Message-ID.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import RowMapping, text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.followup import SERVICE, SOURCE, messages, schedule
from services.followup.handlers import close
from services.followup.polling import Sender, retry_after
from services.followup.tables import CatalogueSubproject, Deadline, FollowupCase, OverdueCase
from shared import contracts
from shared.contracts import Check
from shared.db import run, unit_of_work
from shared.logging import get_logger
from shared.metrics import REMINDERS_DUE
from shared.outbox import publish

log = get_logger(__name__)
NO_CASEWORKER_YET = timedelta(minutes=10)  # the referral has not reached follow-up yet: look again later

CLAIM_DUE = text(
    """
UPDATE deadline SET locked_until = now() + make_interval(secs => :lease)
WHERE id IN (
    SELECT id FROM deadline
    WHERE status = 'open' AND next_at <= :now AND (locked_until IS NULL OR locked_until < now())
    ORDER BY next_at LIMIT :batch
    FOR UPDATE SKIP LOCKED)
RETURNING id
"""
)

COUNT_DUE = text("SELECT count(*) FROM deadline WHERE status = 'open' AND next_at <= now()")


def message_id(deadline: Deadline, step: int) -> str:
    """The same Message-ID for every try of one reminder, so a receiver can drop a resend."""
    return (
        f"<reminder-{deadline.participant_id}-{deadline.check_kind}-{deadline.exit_number}"
        f"-{deadline.left_on.isoformat()}-{step}@rummelig.invalid>"
    )


class ReminderSender(Sender):
    """Carries out the due steps of open checks: remind, escalate, give up."""

    what = kind = "reminder"

    def __init__(self, *, escalation_grace: timedelta = schedule.ESCALATION_GRACE, **common: Any) -> None:
        """The sender; `escalation_grace` is the caseworker's time after a late reminder before the coordinator
        hears (FOLLOWUP_ESCALATION_GRACE_HOURS)."""
        super().__init__(**common)
        self._escalation_grace = escalation_grace

    async def send_due(self, now: datetime | None = None) -> int:
        """Claim and carry out every due step once; returns how many reminders were sent."""
        return await self._each_claimed(CLAIM_DUE, now or datetime.now(UTC), self._claimed)

    async def count_due(self) -> None:
        """Set the gauge of steps due and not yet carried out (it grows while reminders fail)."""
        async with self._sessions() as session:
            REMINDERS_DUE.labels(SERVICE).set((await run(session, COUNT_DUE)).scalar_one())

    async def _claimed(self, claimed: RowMapping, now: datetime) -> int:
        return await self._carry_out(int(claimed["id"]), now)

    async def _carry_out(self, deadline_id: int, now: datetime) -> int:
        async with self._sessions() as session:
            deadline = await session.get(Deadline, deadline_id)
            case = await session.get(FollowupCase, deadline.participant_id) if deadline else None
        if deadline is None or case is None or deadline.status != "open":
            return 0
        check = cast(Check, deadline.check_kind)
        planned = schedule.steps(check, deadline.left_on, deadline.late_result_days)
        index = schedule.step_due(planned, deadline.step, now)
        if index is None:  # moved since it was claimed (a corrected leaving date): wait for its next step
            await self._postpone(deadline, planned[min(deadline.step, len(planned) - 1)].at)
            return 0
        step = planned[index]
        if step.kind == "lapse":
            await self._lapse(deadline)
            return 0
        if step.kind == "overdue":
            await self._escalate(deadline, case, index, planned, now)
            return 0
        if case.caseworker_email is None:
            await self._postpone(deadline, now + NO_CASEWORKER_YET)
            return 0
        return await self._remind(deadline, case, index, planned, now)

    async def _remind(
        self, deadline: Deadline, case: FollowupCase, index: int, planned: tuple[schedule.Step, ...], now: datetime
    ) -> int:
        number = deadline.reminders_sent + 1  # as sent: a check found long overdue gets one, and it is the first
        reference = case.case_reference or "(pending)"
        email = messages.reminder(
            check=cast(Check, deadline.check_kind),
            case_reference=reference,
            left_on=deadline.left_on,
            record_by=deadline.counts_until,
            number=number,
            of=number + schedule.reminders_after(planned, index),
            link=messages.case_link(self._intake_url, reference, cast(Check, deadline.check_kind)),
            proposed_situation=deadline.proposed_situation,
        )
        try:
            await self._mail(
                to=str(case.caseworker_email),
                email=email,
                message_id=message_id(deadline, index),
                attempts=deadline.attempts,
            )
        except Exception as exc:  # noqa: BLE001 - any SMTP or network failure: try again later, nothing is lost
            attempts = deadline.attempts + 1
            log.warning("reminder not sent, will retry", deadline=deadline.id, attempts=attempts, error=repr(exc))
            await self._postpone(deadline, now + retry_after(attempts), attempts=attempts)
            return 0
        async with unit_of_work(self._sessions) as session:
            if not await self._advanced(session, deadline, index, planned, now, reminded=True):
                return 0  # closed meanwhile (a result was recorded): the email went out, nothing more to record
            publish(
                session,
                contracts.ReminderSent(
                    participant_id=deadline.participant_id,
                    check=cast(Check, deadline.check_kind),
                    due_on=deadline.due_on,
                    reminder_number=number,
                ),
                source=SOURCE,
            )
        log.info("reminder sent", deadline=deadline.id, check=deadline.check_kind, number=number)
        return 1

    async def _escalate(
        self, deadline: Deadline, case: FollowupCase, index: int, planned: tuple[schedule.Step, ...], now: datetime
    ) -> None:
        """Overdue: a followup.check-overdue event, and the case on its coordinator's next digest."""
        async with unit_of_work(self._sessions) as session:
            if not await self._advanced(session, deadline, index, planned, now):
                return
            publish(
                session,
                contracts.CheckOverdue(
                    participant_id=deadline.participant_id,
                    check=cast(Check, deadline.check_kind),
                    exit_number=deadline.exit_number,
                    left_on=deadline.left_on,
                    due_on=deadline.due_on,
                    counts_until=deadline.counts_until,
                ),
                source=SOURCE,
            )
            coordinator = await session.get(CatalogueSubproject, case.subproject_id) if case.subproject_id else None
            if coordinator is None:
                log.warning("overdue check has no coordinator to tell", deadline=deadline.id)
                return
            session.add(
                OverdueCase(
                    deadline_id=current_id(deadline),
                    coordinator_email=coordinator.coordinator_email,
                    case_reference=case.case_reference or "(pending)",
                    check_kind=deadline.check_kind,
                    left_on=deadline.left_on,
                    due_on=deadline.due_on,
                    counts_until=deadline.counts_until,
                )
            )

    async def _lapse(self, deadline: Deadline) -> None:
        """Past the last counting day: no more reminders (a result recorded later is kept and flagged late)."""
        async with unit_of_work(self._sessions) as session:
            current = await session.get(Deadline, deadline.id, with_for_update=True)
            if current is not None and current.status == "open" and current.step == deadline.step:
                close(session, None, current, "lapsed")

    async def _advanced(
        self,
        session: AsyncSession,
        deadline: Deadline,
        index: int,
        planned: tuple[schedule.Step, ...],
        now: datetime,
        *,
        reminded: bool = False,
    ) -> bool:
        """Move the check past step `index` (a reminder sent for it counted) if it is still open where it was claimed;
        False if it moved meanwhile."""
        current = await session.get(Deadline, deadline.id, with_for_update=True)
        if current is None or current.status != "open" or current.step != deadline.step:
            return False
        current.step, current.attempts, current.locked_until = index + 1, 0, None
        current.reminders_sent += 1 if reminded else 0
        current.next_at = schedule.next_moment(planned, index, now, self._escalation_grace)
        return True

    async def _postpone(self, deadline: Deadline, until: datetime, *, attempts: int | None = None) -> None:
        async with unit_of_work(self._sessions) as session:
            current = await session.get(Deadline, deadline.id, with_for_update=True)
            if current is not None and current.status == "open" and current.step == deadline.step:
                current.next_at, current.locked_until = until, None
                if attempts is not None:
                    current.attempts = attempts


def current_id(deadline: Deadline) -> int:
    """A stored deadline's id."""
    assert deadline.id is not None
    return deadline.id
