"""Waiting lists on a real PostgreSQL: concurrent enrolments never overbook; a freed seat goes to the first waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from shared.clock import today_in_copenhagen
from shared.contracts import EnrolParticipant, RecordDropOut, RecordStart, RecordWithdrawal, to_event
from shared.db import SessionMaker
from tests.fixtures.handlers import (
    add_course,
    answer_to,
    apply,
    deliver,
    execute,
    outbox_rows,
    refer_to_course,
    rejection_reason,
    rows,
)

SERVICE = "enrolment"
PROGRAMME = "waiting-list-tests"


@pytest.fixture
def db(service_sessions: Callable[[str], SessionMaker]) -> SessionMaker:
    """Sessions on enrolment's database."""
    return service_sessions(SERVICE)


async def a_course_with_a_waiting_list(db: SessionMaker, capacity: int) -> str:
    course_id = await add_course(db, programme_id=PROGRAMME, capacity=capacity)
    await execute(db, "UPDATE course SET waiting_list_open = true WHERE id = :c", c=course_id)
    return course_id


async def enrolling(db: SessionMaker, pid: UUID, course_id: str) -> EnrolParticipant:
    """The command enrolling a participant whose referral enrolment has been told of."""
    await refer_to_course(db, pid, course_id)
    return EnrolParticipant(participant_id=pid, programme_id=PROGRAMME, course_id=course_id)


async def places(db: SessionMaker, course_id: str) -> list[dict[str, object]]:
    return await rows(
        db,
        "SELECT participant_id, status, waiting_number FROM participation WHERE course_id = :c"
        " ORDER BY waiting_number NULLS FIRST, participant_id",
        c=course_id,
    )


async def test_fifty_simultaneous_enrolments_on_five_seats_give_five_seats_and_45_waiting_in_arrival_order(
    db: SessionMaker,
) -> None:
    course_id = await a_course_with_a_waiting_list(db, capacity=5)
    commands = [to_event(await enrolling(db, uuid4(), course_id), source="tests") for _ in range(50)]
    applied = await asyncio.gather(*(apply(db, SERVICE, command) for command in commands))
    assert all(applied)

    held = await places(db, course_id)
    assert sorted(str(p["status"]) for p in held).count("enrolled") == 5  # never an overbooking
    waiting = [p for p in held if p["status"] == "waiting"]
    assert [p["waiting_number"] for p in waiting] == list(range(1, 46))
    # Each was told its place when it arrived; the places are the order of arrival, without gaps or twins.
    told = {}
    for command in commands:
        answer = answer_to(await outbox_rows(db, command.subject), command)
        if answer.type == "enrolment.waitlisted":
            told[command.subject] = answer.data["position"]
    assert {str(p["participant_id"]): p["waiting_number"] for p in waiting} == told


async def test_a_withdrawal_gives_the_seat_to_the_first_waiting_who_is_told_by_an_event(db: SessionMaker) -> None:
    course_id = await a_course_with_a_waiting_list(db, capacity=1)
    seated, first, second = uuid4(), uuid4(), uuid4()
    for pid in (seated, first, second):
        await deliver(db, SERVICE, await enrolling(db, pid, course_id))

    withdrawal = await deliver(
        db, SERVICE, RecordWithdrawal(participant_id=seated, withdrawn_on=today_in_copenhagen(), reason="declined")
    )
    promoted = [r for r in await outbox_rows(db, first) if r.causation == withdrawal.id]
    assert [(r.type, r.data["course_id"]) for r in promoted] == [("enrolment.confirmed", course_id)]
    statuses = {str(p["participant_id"]): p["status"] for p in await places(db, course_id)}
    assert statuses == {str(seated): "withdrawn", str(first): "enrolled", str(second): "waiting"}


async def test_a_drop_out_frees_no_seat_and_one_before_the_start_is_refused_freeing_none(db: SessionMaker) -> None:
    course_id = await a_course_with_a_waiting_list(db, capacity=1)
    seated, waiting = uuid4(), uuid4()
    await deliver(db, SERVICE, await enrolling(db, seated, course_id))
    await deliver(db, SERVICE, await enrolling(db, waiting, course_id))
    await deliver(db, SERVICE, RecordStart(participant_id=seated, started_on=today_in_copenhagen()))
    await deliver(db, SERVICE, RecordDropOut(participant_id=seated, dropped_out_on=today_in_copenhagen(), reason="job"))
    assert {str(p["participant_id"]): p["status"] for p in await places(db, course_id)}[str(waiting)] == "waiting"

    other_course = await a_course_with_a_waiting_list(db, capacity=1)
    seated2, waiting2 = uuid4(), uuid4()
    await deliver(db, SERVICE, await enrolling(db, seated2, other_course))
    await deliver(db, SERVICE, await enrolling(db, waiting2, other_course))
    # never started: a withdrawal, not a drop-out (issue 18), so the seat stays taken until one is recorded
    refused = await deliver(
        db, SERVICE, RecordDropOut(participant_id=seated2, dropped_out_on=today_in_copenhagen(), reason="illness")
    )
    assert rejection_reason(await outbox_rows(db, seated2), refused) == "not-started"
    assert {str(p["participant_id"]): p["status"] for p in await places(db, other_course)}[str(waiting2)] == "waiting"


async def test_a_participant_leaving_the_waiting_list_frees_no_seat_and_keeps_the_order(db: SessionMaker) -> None:
    course_id = await a_course_with_a_waiting_list(db, capacity=1)
    seated, first, second = uuid4(), uuid4(), uuid4()
    for pid in (seated, first, second):
        await deliver(db, SERVICE, await enrolling(db, pid, course_id))
    await deliver(
        db, SERVICE, RecordWithdrawal(participant_id=first, withdrawn_on=today_in_copenhagen(), reason="moved")
    )
    statuses = {str(p["participant_id"]): p["status"] for p in await places(db, course_id)}
    assert statuses == {str(seated): "enrolled", str(first): "withdrawn", str(second): "waiting"}
    await deliver(
        db, SERVICE, RecordWithdrawal(participant_id=seated, withdrawn_on=today_in_copenhagen(), reason="moved")
    )
    statuses = {str(p["participant_id"]): p["status"] for p in await places(db, course_id)}
    assert statuses[str(second)] == "enrolled"


async def test_a_finished_course_takes_nobody(db: SessionMaker) -> None:
    course_id = await a_course_with_a_waiting_list(db, capacity=5)
    await execute(
        db, "UPDATE course SET ends_on = :d WHERE id = :c", d=today_in_copenhagen() - timedelta(days=1), c=course_id
    )
    pid = uuid4()
    command = await deliver(db, SERVICE, await enrolling(db, pid, course_id))
    assert rejection_reason(await outbox_rows(db, pid), command) == "course-finished"
    assert await places(db, course_id) == []
