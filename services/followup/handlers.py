"""Follow-up's event and command handlers: where deadlines are scheduled and outcomes recorded."""

from __future__ import annotations

from datetime import date
from typing import cast
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.followup import domain
from services.followup.tables import Deadline, FollowupCase
from shared import contracts
from shared.contracts import Check, to_event
from shared.envelope import CloudEvent, parse_data
from shared.kafka import EventHandler
from shared.outbox import add_to_outbox
from shared.topics import FOLLOWUP_EVENTS

SOURCE = "rummelig/followup"
CHECKS: tuple[Check, ...] = ("leaving-outcome", "six-month")


def _publish(session: AsyncSession, data: BaseModel, cause: CloudEvent) -> None:
    add_to_outbox(session, to_event(data, source=SOURCE, subject=cause.subject, cause=cause), topic=FOLLOWUP_EVENTS)


async def _case(session: AsyncSession, participant_id: UUID) -> FollowupCase:
    case = await session.get(FollowupCase, participant_id, with_for_update=True)
    if case is None:
        case = FollowupCase(participant_id=participant_id)
        session.add(case)
    return case


async def on_referral(session: AsyncSession, event: CloudEvent) -> None:
    """Remember who the responsible caseworker is and the case reference the reminders quote."""
    fact = parse_data(contracts.ReferralRegistered, event)
    case = await _case(session, fact.participant_id)
    case.case_reference = fact.case_reference
    case.caseworker_email = str(fact.caseworker_email)


async def on_left(session: AsyncSession, event: CloudEvent) -> None:
    """A participant completed or dropped out: schedule the outcome upon leaving and the six-month check."""
    model = (
        contracts.ParticipationCompleted
        if event.type == "participation.completed"
        else contracts.ParticipationDroppedOut
    )
    fact = cast(contracts.ParticipationCompleted, parse_data(model, event))
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


async def _record(
    session: AsyncSession, event: CloudEvent, participant_id: UUID, check: Check, situation: str, observed_on: date
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
    refusal = domain.may_record(
        check,
        left_on=deadline.left_on if deadline else None,
        due=deadline.due_on if deadline else None,
        fulfilled=deadline is not None and deadline.status == "fulfilled",
        observed_on=observed_on,
    )
    if refusal is not None or deadline is None:
        assert refusal is not None
        _publish(
            session,
            contracts.CommandRejected(
                participant_id=participant_id,
                command_id=event.id,
                command_type=event.type,
                reason=refusal.reason,
                detail=refusal.detail,
            ),
            event,
        )
        return
    deadline.status, deadline.situation, deadline.observed_on = "fulfilled", situation, observed_on
    model = contracts.LeavingOutcomeRecorded if check == "leaving-outcome" else contracts.SixMonthResultRecorded
    _publish(
        session,
        model(
            participant_id=participant_id,
            situation=situation,
            employed=domain.is_employed(situation),
            observed_on=observed_on,
            left_on=deadline.left_on,
        ),
        event,
    )


async def on_record_leaving_outcome(session: AsyncSession, event: CloudEvent) -> None:
    """Handle followup.record-leaving-outcome."""
    cmd = parse_data(contracts.RecordLeavingOutcome, event)
    await _record(session, event, cmd.participant_id, "leaving-outcome", cmd.situation, cmd.observed_on)


async def on_record_six_month_result(session: AsyncSession, event: CloudEvent) -> None:
    """Handle followup.record-six-month-result."""
    cmd = parse_data(contracts.RecordSixMonthResult, event)
    await _record(session, event, cmd.participant_id, "six-month", cmd.situation, cmd.observed_on)


HANDLERS: dict[str, tuple[int, EventHandler]] = {
    "referral.registered": (1, on_referral),
    "participation.completed": (1, on_left),
    "participation.dropped-out": (1, on_left),
    "followup.record-leaving-outcome": (1, on_record_leaving_outcome),
    "followup.record-six-month-result": (1, on_record_six_month_result),
}
