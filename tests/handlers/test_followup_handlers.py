"""Follow-up's handlers through its consumer, on a real migrated PostgreSQL, without Kafka.

Leaving facts schedule the two deadlines by the fund's rules; outcome commands fulfil them or are rejected.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared import fund_rules
from shared.contracts import (
    EnrolParticipant,
    ParticipationCompleted,
    ParticipationDroppedOut,
    ParticipationWithdrawn,
    RecordCompletion,
    RecordDropOut,
    RecordLeavingOutcome,
    RecordSixMonthResult,
    RecordStart,
    ReferralRegistered,
    to_event,
)
from shared.db import SessionMaker
from shared.envelope import CloudEvent
from shared.topics import FOLLOWUP_EVENTS
from tests.fixtures.events import referral as fixture_referral
from tests.fixtures.handlers import add_course, answer_to, apply, deliver, outbox_rows, rejection_reason, row, rows

SERVICE = "followup"
LEFT = date(2026, 8, 31)  # six calendar months later is 28 February, not 3 March


@pytest.fixture
def db(service_sessions: Callable[[str], SessionMaker]) -> SessionMaker:
    """Sessions on follow-up's database."""
    return service_sessions(SERVICE)


def completed(pid: UUID, left_on: date = LEFT) -> ParticipationCompleted:
    return ParticipationCompleted(participant_id=pid, course_id="handler-tests", left_on=left_on)


def referral(pid: UUID, case_reference: str) -> ReferralRegistered:
    return fixture_referral(
        pid,
        case_reference=case_reference,
        programme_id="handler-tests",
        caseworker_email="caseworker@aarhus.example.dk",
    )


async def deadlines(db: SessionMaker, pid: UUID) -> list[dict[str, Any]]:
    return await rows(
        db,
        "SELECT check_kind, left_on, due_on, status, situation, observed_on FROM deadline"
        " WHERE participant_id = :p ORDER BY left_on, check_kind",
        p=pid,
    )


def open_deadlines(left_on: date) -> list[dict[str, Any]]:
    """The two open deadlines a leaving on left_on schedules, in (left_on, check_kind) order."""
    return [
        {
            "check_kind": "leaving-outcome",
            "left_on": left_on,
            "due_on": fund_rules.upon_leaving_ends(left_on),
            "status": "open",
            "situation": None,
            "observed_on": None,
        },
        {
            "check_kind": "six-month",
            "left_on": left_on,
            "due_on": fund_rules.six_months_after(left_on),
            "status": "open",
            "situation": None,
            "observed_on": None,
        },
    ]


def scheduled(left_on: date) -> list[dict[str, str]]:
    """The data of the two followup.check-scheduled facts a leaving on left_on publishes."""
    return [
        {"check": d["check_kind"], "left_on": left_on.isoformat(), "due_on": d["due_on"].isoformat()}
        for d in open_deadlines(left_on)
    ]


async def test_a_completion_schedules_the_leaving_outcome_and_the_six_month_check(db: SessionMaker) -> None:
    pid = uuid4()
    fact = await deliver(db, SERVICE, completed(pid))

    assert await deadlines(db, pid) == open_deadlines(LEFT)
    assert [d["due_on"] for d in await deadlines(db, pid)] == [date(2026, 9, 28), date(2027, 2, 28)]
    staged = await outbox_rows(db, pid)
    assert {(r.topic, r.type, r.causation) for r in staged} == {(FOLLOWUP_EVENTS, "followup.check-scheduled", fact.id)}
    assert len(staged) == 2
    assert [{k: r.data[k] for k in ("check", "left_on", "due_on")} for r in staged] == scheduled(LEFT)
    case = await row(db, "SELECT left_on, case_reference FROM followup_case WHERE participant_id = :p", p=pid)
    assert case == {"left_on": LEFT, "case_reference": None}


async def test_a_drop_out_schedules_the_same_two_checks(db: SessionMaker) -> None:
    pid, left_on = uuid4(), date(2026, 3, 16)
    dropped_out = ParticipationDroppedOut(participant_id=pid, course_id="handler-tests", left_on=left_on, reason="job")
    await deliver(db, SERVICE, dropped_out)

    assert await deadlines(db, pid) == open_deadlines(left_on)
    staged = await outbox_rows(db, pid)
    assert [r.type for r in staged] == ["followup.check-scheduled"] * 2
    assert [{k: r.data[k] for k in ("check", "left_on", "due_on")} for r in staged] == scheduled(left_on)


async def test_a_re_entrys_second_exit_supersedes_the_first_exits_open_deadlines(db: SessionMaker) -> None:
    pid, first_exit, final_exit = uuid4(), date(2026, 3, 16), date(2026, 8, 31)
    await deliver(
        db,
        SERVICE,
        ParticipationDroppedOut(participant_id=pid, course_id="handler-tests", left_on=first_exit, reason="illness"),
    )
    second = await deliver(db, SERVICE, completed(pid, final_exit))

    superseded = [{**d, "status": "superseded"} for d in open_deadlines(first_exit)]
    assert await deadlines(db, pid) == superseded + open_deadlines(final_exit)
    staged = await outbox_rows(db, pid)
    assert [r.type for r in staged] == ["followup.check-scheduled"] * 4
    assert [r.data["left_on"] for r in staged if r.causation == second.id] == [final_exit.isoformat()] * 2
    case = await row(db, "SELECT left_on FROM followup_case WHERE participant_id = :p", p=pid)
    assert case == {"left_on": final_exit}


@pytest.mark.xfail(
    strict=True,
    reason="issue 8: a second exit on the date of the first violates uq_deadline_dedup and is never followed up",
)
async def test_a_re_entrys_exit_on_the_same_day_as_the_first_exit_is_followed_up_all_the_same(
    db: SessionMaker, service_sessions: Callable[[str], SessionMaker]
) -> None:
    """Enrolment accepts a re-entry that ends on the day the first participation ended; follow-up must schedule it.

    Today the second exit fact fails with a unique violation on uq_deadline_dedup (participant, check, left_on), so
    the consumer retries it until it goes to the dead-letter topic and the final exit is never followed up.
    """
    enrolment, pid, day = service_sessions("enrolment"), uuid4(), date(2026, 3, 16)
    course_id = await add_course(enrolment, programme_id="handler-tests")
    for command in (
        EnrolParticipant(participant_id=pid, programme_id="handler-tests", course_id=course_id),
        RecordDropOut(participant_id=pid, dropped_out_on=day, reason="illness"),
        EnrolParticipant(participant_id=pid, programme_id="handler-tests", course_id=course_id),
        RecordStart(participant_id=pid, started_on=day),
        RecordCompletion(participant_id=pid, completed_on=day),
    ):
        await deliver(enrolment, "enrolment", command)
    exits = [
        r
        for r in await outbox_rows(enrolment, pid)
        if r.type in ("participation.dropped-out", "participation.completed")
    ]
    assert [(r.type, r.data["left_on"]) for r in exits] == [
        ("participation.dropped-out", day.isoformat()),
        ("participation.completed", day.isoformat()),
    ]

    for fact in exits:  # as the follow-up subscriber receives them from enrolment's relay
        await deliver(db, SERVICE, CloudEvent.from_kafka(fact.headers, fact.payload.encode()))

    assert [d for d in await deadlines(db, pid) if d["status"] == "open"] == open_deadlines(day)


async def test_recording_the_leaving_outcome_fulfils_its_deadline_and_counts_employment(db: SessionMaker) -> None:
    pid, observed = uuid4(), LEFT + timedelta(days=7)
    await deliver(db, SERVICE, completed(pid))
    command = await deliver(
        db, SERVICE, RecordLeavingOutcome(participant_id=pid, situation="ordinary-employment", observed_on=observed)
    )

    leaving, six_month = await deadlines(db, pid)
    assert leaving == {
        **open_deadlines(LEFT)[0],
        "status": "fulfilled",
        "situation": "ordinary-employment",
        "observed_on": observed,
    }
    assert six_month == open_deadlines(LEFT)[1]
    answer = answer_to(await outbox_rows(db, pid), command)
    assert (answer.topic, answer.type) == (FOLLOWUP_EVENTS, "leaving-outcome.recorded")
    assert answer.data == {
        "participant_id": str(pid),
        "situation": "ordinary-employment",
        "employed": True,
        "observed_on": observed.isoformat(),
        "left_on": LEFT.isoformat(),
    }


async def test_recording_the_leaving_outcome_again_is_rejected_as_already_recorded(db: SessionMaker) -> None:
    pid = uuid4()
    await deliver(db, SERVICE, completed(pid))
    await deliver(
        db, SERVICE, RecordLeavingOutcome(participant_id=pid, situation="education", observed_on=LEFT + timedelta(1))
    )
    again = await deliver(
        db,
        SERVICE,
        RecordLeavingOutcome(participant_id=pid, situation="ordinary-employment", observed_on=LEFT + timedelta(2)),
    )

    staged = await outbox_rows(db, pid)
    assert rejection_reason(staged, again) == "already-recorded"
    assert answer_to(staged, again).topic == FOLLOWUP_EVENTS
    leaving = (await deadlines(db, pid))[0]
    assert (leaving["status"], leaving["situation"]) == ("fulfilled", "education")


async def test_a_six_month_result_observed_before_it_is_due_is_rejected_as_too_early(db: SessionMaker) -> None:
    pid = uuid4()
    await deliver(db, SERVICE, completed(pid))
    day_before_due = fund_rules.six_months_after(LEFT) - timedelta(days=1)
    command = await deliver(
        db, SERVICE, RecordSixMonthResult(participant_id=pid, situation="flex-job", observed_on=day_before_due)
    )

    assert rejection_reason(await outbox_rows(db, pid), command) == "too-early"
    assert await deadlines(db, pid) == open_deadlines(LEFT)


async def test_an_outcome_for_someone_who_never_left_is_rejected_as_not_left(db: SessionMaker) -> None:
    pid = uuid4()
    command = await deliver(
        db, SERVICE, RecordLeavingOutcome(participant_id=pid, situation="job-seeking", observed_on=date(2026, 5, 1))
    )

    staged = await outbox_rows(db, pid)
    assert [r.type for r in staged] == ["command.rejected"]
    assert rejection_reason(staged, command) == "not-left"
    assert await deadlines(db, pid) == []


async def test_a_referral_names_the_case_reference_and_the_caseworker_of_the_case(db: SessionMaker) -> None:
    pid = uuid4()
    await deliver(db, SERVICE, referral(pid, "RUM-700001"))

    case = await row(
        db, "SELECT case_reference, caseworker_email, left_on FROM followup_case WHERE participant_id = :p", p=pid
    )
    assert case == {"case_reference": "RUM-700001", "caseworker_email": "caseworker@aarhus.example.dk", "left_on": None}
    assert await outbox_rows(db, pid) == []


async def test_a_referral_arriving_after_the_exit_keeps_the_leaving_date(db: SessionMaker) -> None:
    pid = uuid4()
    await deliver(db, SERVICE, completed(pid))
    await deliver(db, SERVICE, referral(pid, "RUM-700002"))

    case = await row(
        db, "SELECT case_reference, caseworker_email, left_on FROM followup_case WHERE participant_id = :p", p=pid
    )
    assert case == {"case_reference": "RUM-700002", "caseworker_email": "caseworker@aarhus.example.dk", "left_on": LEFT}
    assert await deadlines(db, pid) == open_deadlines(LEFT)


async def test_a_withdrawal_before_start_is_not_a_leaving_and_schedules_nothing(db: SessionMaker) -> None:
    pid = uuid4()
    withdrawn = ParticipationWithdrawn(
        participant_id=pid, course_id="handler-tests", withdrawn_on=date(2026, 3, 16), reason="declined"
    )
    assert await apply(db, SERVICE, to_event(withdrawn, source="tests")) is False  # not follow-up's business
    assert await deadlines(db, pid) == []
    assert await outbox_rows(db, pid) == []
