"""Follow-up's event and command handlers: where deadlines are scheduled and outcomes recorded.

Reminders for the scheduled deadlines are claimed, sent and recorded in reminders.py.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.followup import domain
from services.followup.tables import Deadline, FollowupCase
from shared import contracts, fund_rules
from shared.consumer import Handlers
from shared.contracts import Check
from shared.envelope import CloudEvent
from shared.outbox import publish
from shared.rejection import Rejection
from shared.topics import FOLLOWUP_EVENTS

SOURCE = "rummelig/followup"
CHECKS: tuple[Check, ...] = ("leaving-outcome", "six-month")


async def on_referral(session: AsyncSession, fact: contracts.ReferralRegistered, event: CloudEvent) -> None:
    """Remember who the responsible caseworker is and the case reference the reminders quote."""
    case = await _case(session, fact.participant_id)
    case.case_reference = fact.case_reference
    case.caseworker_email = str(fact.caseworker_email)


async def on_left(
    session: AsyncSession,
    fact: contracts.ParticipationCompleted | contracts.ParticipationDroppedOut,
    event: CloudEvent,
) -> None:
    """A participant completed or dropped out: schedule the outcome upon leaving and the six-month check."""
    case = await _case(session, fact.participant_id)
    case.left_on = fact.left_on
    # A re-entry's final exit replaces earlier open deadlines (one record per participant).
    await session.exec(
        update(Deadline)
        .where(col(Deadline.participant_id) == fact.participant_id, col(Deadline.status) == "open")
        .values(status="superseded")
    )
    for check in CHECKS:
        due = domain.due_on(check, fact.left_on)
        session.add(
            Deadline(
                participant_id=fact.participant_id,
                check_kind=check,
                left_on=fact.left_on,
                due_on=due,
                next_reminder_at=domain.first_reminder_at(due),
            )
        )
        _publish(
            session,
            contracts.CheckScheduled(participant_id=fact.participant_id, check=check, left_on=fact.left_on, due_on=due),
            event,
        )


async def on_record_leaving_outcome(
    session: AsyncSession, cmd: contracts.RecordLeavingOutcome, event: CloudEvent
) -> None:
    """Handle followup.record-leaving-outcome."""
    await _record(session, event, cmd.participant_id, "leaving-outcome", cmd.situation, cmd.observed_on)


async def on_record_six_month_result(
    session: AsyncSession, cmd: contracts.RecordSixMonthResult, event: CloudEvent
) -> None:
    """Handle followup.record-six-month-result."""
    await _record(session, event, cmd.participant_id, "six-month", cmd.situation, cmd.observed_on)


HANDLERS: Handlers = {
    contracts.ReferralRegistered: on_referral,
    contracts.ParticipationCompleted: on_left,
    contracts.ParticipationDroppedOut: on_left,
    contracts.RecordLeavingOutcome: on_record_leaving_outcome,
    contracts.RecordSixMonthResult: on_record_six_month_result,
}


def _publish(session: AsyncSession, data: contracts.AboutParticipant, cause: CloudEvent) -> None:
    publish(session, data, source=SOURCE, cause=cause, topic=FOLLOWUP_EVENTS)


async def _case(session: AsyncSession, participant_id: UUID) -> FollowupCase:
    case = await session.get(FollowupCase, participant_id, with_for_update=True)
    if case is None:  # facts from other topics may arrive before the referral
        case = FollowupCase(participant_id=participant_id)
        session.add(case)
    return case


async def _record(
    session: AsyncSession, command: CloudEvent, participant_id: UUID, check: Check, situation: str, observed_on: date
) -> None:
    deadline = (
        await session.exec(
            select(Deadline)
            .where(
                Deadline.participant_id == participant_id,
                Deadline.check_kind == check,
                col(Deadline.status).in_(("open", "fulfilled")),
            )
            .order_by(col(Deadline.left_on).desc())
            .with_for_update()
        )
    ).first()
    rejection = domain.may_record(
        check,
        left_on=deadline.left_on if deadline else None,
        due=deadline.due_on if deadline else None,
        fulfilled=deadline is not None and deadline.status == "fulfilled",
        observed_on=observed_on,
    )
    if isinstance(rejection, Rejection) or deadline is None:
        assert rejection is not None
        _publish(session, rejection.answering(command), command)
        return
    deadline.status, deadline.situation, deadline.observed_on = "fulfilled", situation, observed_on
    model = contracts.LeavingOutcomeRecorded if check == "leaving-outcome" else contracts.SixMonthResultRecorded
    _publish(
        session,
        model(
            participant_id=participant_id,
            situation=situation,
            employed=fund_rules.is_employed(situation),
            observed_on=observed_on,
            left_on=deadline.left_on,
        ),
        command,
    )
