"""Follow-up's event and command handlers: where checks are scheduled, moved and closed, and results recorded.

An exit (completion or drop-out) schedules its two checks; a re-enrolment or a later exit supersedes them; a
corrected leaving date moves them. When each check is reminded and escalated is schedule.py; the reminders are
claimed, sent and recorded in reminders.py, the coordinators' digests in digests.py, the caseworkers' erasure
notices in notices.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.followup import SOURCE, catalogue, domain, notices, schedule
from services.followup.schedule import Window
from services.followup.tables import CatalogueProgramme, Deadline, FollowupCase, OverdueCase
from shared import contracts, fund_rules
from shared.consumer import AwaitingFact, Folded, Handlers
from shared.contracts import Check, CheckClosedReason
from shared.envelope import CloudEvent
from shared.outbox import publish
from shared.topics import FOLLOWUP_EVENTS

CHECKS: tuple[Check, ...] = ("leaving-outcome", "six-month")
# How long a result waits for the exit it follows up, which enrolment published on its own topic before it.
EXIT_GRACE = timedelta(seconds=30)


async def on_referral(session: AsyncSession, fact: contracts.ReferralRegistered, event: CloudEvent) -> None:
    """Remember whom to remind and where the case belongs (a re-referral's, after a move the new municipality's), and
    whether the participant was employed at entry (the first entry's: a re-referral after it changes nothing)."""
    case = await _case(session, fact.participant_id)
    case.case_reference = fact.case_reference
    if _newer(case, event.time):  # a referral read again after a later move leaves the moved case's caseworker
        case.caseworker_email, case.caseworker_since = str(fact.caseworker_email), event.time
    case.programme_id, case.subproject_id = fact.programme_id, fact.subproject_id
    case.employed_at_entry = domain.employed_at_entry(
        case.employed_at_entry,
        fact.labour_market_status in fund_rules.EMPLOYED_AT_ENTRY,
        entered=case.exits > 0,  # an exit follows a start: only one who started completes or drops out
    )


async def on_reassigned(session: AsyncSession, fact: contracts.CaseReassigned, event: CloudEvent) -> None:
    """A team lead moved the case: the next reminders go to the new caseworker. A move older than the caseworker
    known (one replayed late, say from a dead-letter topic) changes nothing, nor does one for an erased case."""
    case = await _case(session, fact.participant_id)
    if _newer(case, fact.reassigned_at):
        case.caseworker_email, case.caseworker_since = str(fact.caseworker_email), fact.reassigned_at


async def on_left(
    session: AsyncSession,
    fact: contracts.ParticipationCompleted | contracts.ParticipationDroppedOut,
    event: CloudEvent,
) -> None:
    """An exit: it supersedes an earlier exit's open checks and schedules its own two (the final exit counts)."""
    case = await _case(session, fact.participant_id)
    await _close_open(session, event, case, "left-again")
    case.exits, case.left_on, case.on_course = case.exits + 1, fact.left_on, False
    late_days = await _late_result_days(session, case)
    reason = fact.reason if isinstance(fact, contracts.ParticipationDroppedOut) else None
    for check in CHECKS:
        window = schedule.window(check, fact.left_on, late_days)
        deadline = Deadline(
            participant_id=case.participant_id,
            check_kind=check,
            exit_number=case.exits,
            left_on=fact.left_on,
            due_on=window.due_on,
            counts_until=window.counts_until,
            late_result_days=late_days,
            proposed_situation=domain.proposed_outcome(reason) if check == "leaving-outcome" else None,
            next_at=schedule.steps(check, fact.left_on, late_days)[0].at,
        )
        session.add(deadline)
        _announce(session, event, deadline)


async def on_enrolled(session: AsyncSession, fact: contracts.EnrolmentConfirmed, event: CloudEvent) -> None:
    """Enrolled again after an exit (a re-entry): that exit's open checks are superseded until the next exit."""
    case = await _case(session, fact.participant_id)
    if case.exits > 0:
        case.on_course = True
        await _close_open(session, event, case, "re-enrolled")


async def on_withdrawn(session: AsyncSession, fact: contracts.ParticipationWithdrawn, event: CloudEvent) -> None:
    """Withdrawn before starting: nothing new to follow up; a re-entry that never started leaves the exit before it
    the final one, so its checks that were superseded by the re-enrolment are open again."""
    case = await _case(session, fact.participant_id)
    if not case.on_course:
        return
    case.on_course = False
    for deadline in await _deadlines_of_exit(session, case):
        if deadline.closed_reason == "re-enrolled":
            deadline.status, deadline.closed_reason = domain.CheckStatus.OPEN, None
            deadline.next_at = _next_at(deadline)
            _announce(session, event, deadline)


async def on_erased(session: AsyncSession, fact: contracts.ParticipantErased, event: CloudEvent) -> None:
    """Erased: nothing more is asked about the participant; the caseworker gets a notice (notices.py), then the case
    reference and caseworker are forgotten, and so is any overdue case waiting for a coordinator's digest."""
    case = await _case(session, fact.participant_id)
    await _close_open(session, event, case, "erased")
    if case.case_reference is not None and case.caseworker_email is not None:
        await notices.file(
            session,
            participant_id=case.participant_id,
            case_reference=case.case_reference,
            caseworker_email=case.caseworker_email,
            fact=fact,
            due_at=event.time,
        )
    case.case_reference = case.caseworker_email = None
    case.caseworker_since = event.time  # a move from before the erasure, read late, names nobody again
    await session.exec(
        delete(OverdueCase).where(
            col(OverdueCase.deadline_id).in_(select(Deadline.id).where(Deadline.participant_id == fact.participant_id)),
            col(OverdueCase.digest_id).is_(None),
        )
    )


async def on_leaving_date_corrected(
    session: AsyncSession, fact: contracts.LeavingDateCorrected, event: CloudEvent
) -> None:
    """The latest exit's date was corrected: its open checks move with it (an earlier exit's date changes nothing)."""
    case = await _case(session, fact.participant_id)
    if case.exits == 0 or case.left_on != fact.previous_left_on:
        return
    case.left_on = fact.left_on
    for deadline in await _deadlines_of_exit(session, case):
        window = schedule.window(deadline.check_kind, fact.left_on, deadline.late_result_days)  # type: ignore[arg-type]
        deadline.left_on, deadline.due_on, deadline.counts_until = fact.left_on, window.due_on, window.counts_until
        if deadline.status == "open":
            deadline.step, deadline.attempts = 0, 0
            deadline.next_at = _next_at(deadline)
        _announce(session, event, deadline)


async def on_drop_out_reason_corrected(
    session: AsyncSession, fact: contracts.DropOutReasonCorrected, event: CloudEvent
) -> None:
    """The drop-out's reason was corrected: the outcome it proposes follows."""
    case = await _case(session, fact.participant_id)
    for deadline in await _deadlines_of_exit(session, case):
        if deadline.check_kind == "leaving-outcome" and deadline.status == "open":
            deadline.proposed_situation = domain.proposed_outcome(fact.drop_out_reason)
            _announce(session, event, deadline)


async def on_record_leaving_outcome(
    session: AsyncSession, cmd: contracts.RecordLeavingOutcome, event: CloudEvent
) -> None:
    """Record the situation upon leaving: the latest observation inside the four weeks counts."""
    found = await _recordable(session, event, cmd, "leaving-outcome")
    if found is not None:
        fields = _result_fields(cmd, found)
        data = contracts.LeavingOutcomeRecorded(**fields, qualification_gained=cmd.qualification_gained)
        _recorded(session, publish(session, data, source=SOURCE, cause=event, topic=FOLLOWUP_EVENTS), found)


async def on_record_six_month_result(
    session: AsyncSession, cmd: contracts.RecordSixMonthResult, event: CloudEvent
) -> None:
    """Record the situation six months after leaving: it counts from its due date to the limit for late results."""
    found = await _recordable(session, event, cmd, "six-month")
    if found is not None:
        fields = _result_fields(cmd, found) | {"due_on": found.deadline.due_on, "improvement": cmd.improvement}
        data = contracts.SixMonthResultRecorded(**fields)
        _recorded(session, publish(session, data, source=SOURCE, cause=event, topic=FOLLOWUP_EVENTS), found)


async def on_register_observed(
    session: AsyncSession, fact: contracts.SixMonthResultRegisterObserved, event: CloudEvent
) -> None:
    """A register's finding for a six-month check, kept beside it; where the programme lets the register decide and
    the finding tells a situation, the check is closed and its reminders stop."""
    case = await _case(session, fact.participant_id)
    programme = await session.get(CatalogueProgramme, case.programme_id) if case.programme_id else None
    use = programme.register_results if programme is not None else "verify"
    if use == "off":
        return
    deadline = (
        await session.exec(
            select(Deadline)
            .where(
                Deadline.participant_id == fact.participant_id,
                Deadline.check_kind == "six-month",
                Deadline.exit_number == fact.exit_number,
            )
            .with_for_update()
        )
    ).first()
    if deadline is None:
        return  # the check is gone with its case (an erasure); intake only reads checks follow-up scheduled
    deadline.register_finding, deadline.register_situation = fact.finding, fact.situation
    if use == "decide" and fact.situation is not None and deadline.status == domain.CheckStatus.OPEN:
        close(session, event, deadline, "register-observed")


HANDLERS: Handlers = {
    contracts.ReferralRegistered: on_referral,
    contracts.CaseReassigned: on_reassigned,
    contracts.EnrolmentConfirmed: on_enrolled,
    contracts.ParticipationWithdrawn: on_withdrawn,
    contracts.ParticipantErased: on_erased,
    contracts.ParticipationCompleted: on_left,
    contracts.ParticipationDroppedOut: on_left,
    contracts.LeavingDateCorrected: on_leaving_date_corrected,
    contracts.DropOutReasonCorrected: on_drop_out_reason_corrected,
    contracts.RecordLeavingOutcome: on_record_leaving_outcome,
    contracts.RecordSixMonthResult: on_record_six_month_result,
    contracts.SixMonthResultRegisterObserved: on_register_observed,
    **catalogue.HANDLERS,
}
# A referral and a move only get and add the participant's case: a poll of them is folded in memory
FOLDED = Folded(FollowupCase, frozenset({contracts.ReferralRegistered, contracts.CaseReassigned}))


@dataclass(frozen=True)
class Recordable:
    """A result that may be recorded: the check it answers, how it is judged, and the programme's settings."""

    deadline: Deadline
    judgement: domain.Judgement
    programme: CatalogueProgramme | None
    observed_on: date


def _announce(session: AsyncSession, cause: CloudEvent, deadline: Deadline) -> None:
    """followup.check-scheduled for a check as it now stands (set, moved or open again)."""
    publish(
        session,
        contracts.CheckScheduled(
            participant_id=deadline.participant_id,
            check=deadline.check_kind,
            exit_number=deadline.exit_number,
            left_on=deadline.left_on,
            due_on=deadline.due_on,
            counts_until=deadline.counts_until,
            proposed_situation=deadline.proposed_situation,
        ),
        source=SOURCE,
        cause=cause,
    )


def close(session: AsyncSession, cause: CloudEvent | None, deadline: Deadline, reason: CheckClosedReason) -> None:
    """Close a check: no more reminders; followup.check-closed says why."""
    status = domain.CheckStatus.CLOSED
    deadline.status, deadline.closed_reason, deadline.next_at, deadline.locked_until = status, reason, None, None
    publish(
        session,
        contracts.CheckClosed(
            participant_id=deadline.participant_id,
            check=deadline.check_kind,
            exit_number=deadline.exit_number,
            left_on=deadline.left_on,
            reason=reason,
        ),
        source=SOURCE,
        cause=cause,
    )


async def _close_open(session: AsyncSession, cause: CloudEvent, case: FollowupCase, reason: CheckClosedReason) -> None:
    for deadline in await _deadlines_of_exit(session, case):
        if deadline.status == "open":
            close(session, cause, deadline, reason)


async def _deadlines_of_exit(session: AsyncSession, case: FollowupCase) -> list[Deadline]:
    """The latest exit's checks, locked."""
    found = await session.exec(
        select(Deadline)
        .where(Deadline.participant_id == case.participant_id, Deadline.exit_number == case.exits)
        .order_by(col(Deadline.check_kind))
        .with_for_update()
    )
    return list(found.all())


def _next_at(deadline: Deadline) -> datetime:
    planned = schedule.steps(deadline.check_kind, deadline.left_on, deadline.late_result_days)  # type: ignore[arg-type]
    return planned[min(deadline.step, len(planned) - 1)].at


async def _recordable(
    session: AsyncSession,
    command: CloudEvent,
    cmd: contracts.RecordLeavingOutcome | contracts.RecordSixMonthResult,
    check: Check,
) -> Recordable | None:
    """The latest exit's check and how the new record is judged; None once a rejection is published."""
    case = await _case(session, cmd.participant_id)
    if case.exits == 0 and datetime.now(UTC) - command.time < EXIT_GRACE:
        # the caseworker records right after the exit, whose fact is on enrolment's topic: it is on its way
        raise AwaitingFact(f"no exit of participant {cmd.participant_id} yet")
    deadline = next((d for d in await _deadlines_of_exit(session, case) if d.check_kind == check), None)
    window = Window(deadline.due_on, deadline.counts_until) if deadline else None
    programme = await session.get(CatalogueProgramme, case.programme_id) if case.programme_id else None
    rejection = domain.may_record(
        check,
        left_on=deadline.left_on if deadline else None,
        on_course=case.on_course,
        window=window,
        observed_on=cmd.observed_on,
    )
    if rejection is None and isinstance(cmd, contracts.RecordSixMonthResult):
        rejection = domain.improvement_problem(
            cmd.improvement,
            situation=cmd.situation,
            employed=_employed(cmd.situation, programme),
            employed_at_entry=case.employed_at_entry,
        )
    if rejection is not None or deadline is None or window is None:
        assert rejection is not None
        publish(session, rejection.answering(command), source=SOURCE, cause=command, topic=FOLLOWUP_EVENTS)
        return None
    counted = (
        domain.Counted(deadline.counted_event_id, deadline.counted_observed_on)
        if deadline.counted_event_id and deadline.counted_observed_on
        else None
    )
    return Recordable(deadline, domain.judge(cmd.observed_on, window, counted), programme, cmd.observed_on)


def _recorded(session: AsyncSession, fact: CloudEvent, found: Recordable) -> None:
    """Keep the record that counts now, and stop the check's reminders (the fact is the cause, so that the command
    is answered by the fact alone)."""
    deadline = found.deadline
    if found.judgement.counts:
        deadline.counted_event_id, deadline.counted_observed_on = fact.id, found.observed_on
    if deadline.status == "open":
        close(session, fact, deadline, "recorded")


def _result_fields(
    cmd: contracts.RecordLeavingOutcome | contracts.RecordSixMonthResult, found: Recordable
) -> dict[str, Any]:
    """What a recorded result says in either check: the situation, employment by the programme, and the judgement."""
    return {
        "participant_id": cmd.participant_id,
        "situation": cmd.situation,
        "employed": _employed(cmd.situation, found.programme),
        "observed_on": cmd.observed_on,
        "left_on": found.deadline.left_on,
        "exit_number": found.deadline.exit_number,
        "counts": found.judgement.counts,
        "late": found.judgement.late,
        "supersedes": found.judgement.supersedes,
    }


def _employed(situation: str, programme: CatalogueProgramme | None) -> bool:
    """Employment by the programme's settings (the fund's defaults before the catalogue has told)."""
    if programme is None:
        return fund_rules.is_employed(situation)
    return fund_rules.is_employed(
        situation,
        flex_job=programme.flex_job_counts_as_employment,
        wage_subsidy=programme.wage_subsidy_counts_as_employment,
    )


async def _late_result_days(session: AsyncSession, case: FollowupCase) -> int:
    programme = await session.get(CatalogueProgramme, case.programme_id) if case.programme_id else None
    return programme.late_result_days if programme else schedule.DEFAULT_LATE_RESULT_DAYS


def _newer(case: FollowupCase, since: datetime) -> bool:
    """True if a caseworker named from `since` is newer than the one follow-up knows (the latest assignment wins)."""
    return case.caseworker_since is None or since > case.caseworker_since


async def _case(session: AsyncSession, participant_id: UUID) -> FollowupCase:
    case = await session.get(FollowupCase, participant_id, with_for_update=True)
    if case is None:  # facts from other topics may arrive before the referral
        case = FollowupCase(participant_id=participant_id)
        session.add(case)
    return case
