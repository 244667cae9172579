"""Enrolment's command handlers through its consumer, on a real migrated PostgreSQL, without Kafka.

Every test uses a fresh participant id and its own course, so the tests share the session's database safely.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from unittest.mock import ANY
from uuid import UUID, uuid4

import pytest

from services.enrolment.handlers import REFERRAL_GRACE
from shared.clock import today_in_copenhagen
from shared.consumer import AwaitingFact
from shared.contracts import (
    CorrectDropOutReason,
    CorrectLeavingDate,
    CorrectStart,
    EnrolParticipant,
    RecordCompletion,
    RecordDropOut,
    RecordStart,
    RecordWithdrawal,
    to_event,
)
from shared.db import SessionMaker
from shared.dead_letter import is_outage
from shared.envelope import CloudEvent, InvalidEvent
from shared.topics import ENROLMENT_COMMANDS, PARTICIPATION_EVENTS
from tests.fixtures.events import referral
from tests.fixtures.handlers import (
    add_course,
    answer_to,
    apply,
    deliver,
    outbox_rows,
    processed,
    refer_to_course,
    rejection_reason,
    row,
    rows,
)

SERVICE = "enrolment"
PROGRAMME = "handler-tests"
ENROLLED, STARTED = date(2026, 2, 1), date(2026, 2, 2)


@pytest.fixture
def db(service_sessions: Callable[[str], SessionMaker]) -> SessionMaker:
    """Sessions on enrolment's database."""
    return service_sessions(SERVICE)


async def a_course(db: SessionMaker, *, capacity: int = 10) -> str:
    return await add_course(db, programme_id=PROGRAMME, capacity=capacity)


async def enrolling(db: SessionMaker, pid: UUID, course_id: str) -> EnrolParticipant:
    """The command enrolling a participant whose referral enrolment has been told of."""
    await refer_to_course(db, pid, course_id)
    return EnrolParticipant(participant_id=pid, programme_id=PROGRAMME, course_id=course_id, enrolled_on=ENROLLED)


async def participation(db: SessionMaker, pid: UUID) -> dict[str, Any] | None:
    return await row(
        db,
        "SELECT course_id, status, enrolled_on, started_on, left_on, drop_out_reason FROM participation"
        " WHERE participant_id = :p",
        p=pid,
    )


async def started_on_a_course(db: SessionMaker, pid: UUID) -> str:
    course_id = await a_course(db)
    await deliver(db, SERVICE, await enrolling(db, pid, course_id))
    await deliver(db, SERVICE, RecordStart(participant_id=pid, started_on=STARTED))
    return course_id


async def test_enrolling_gives_a_seat_and_confirms_it_in_answer_to_the_command(db: SessionMaker) -> None:
    pid, course_id = uuid4(), await a_course(db)
    command = await deliver(db, SERVICE, await enrolling(db, pid, course_id))

    assert await participation(db, pid) == {
        "course_id": course_id,
        "status": "enrolled",
        "enrolled_on": ENROLLED,
        "started_on": None,
        "left_on": None,
        "drop_out_reason": None,
    }
    [answer] = await outbox_rows(db, pid)
    assert (answer.topic, answer.key, answer.type) == (PARTICIPATION_EVENTS, str(pid), "enrolment.confirmed")
    assert (answer.causation, answer.headers["ce_correlationid"]) == (command.id, str(command.id))
    assert answer.data == {
        "participant_id": str(pid),
        "programme_id": PROGRAMME,
        "subproject_id": f"sub-{PROGRAMME}",
        "course_id": course_id,
        "enrolled_on": ENROLLED.isoformat(),
        "re_entry": False,
    }
    assert await processed(db, SERVICE, command.id)


async def test_a_full_course_rejects_the_enrolment_and_gives_no_seat(db: SessionMaker) -> None:
    course_id = await a_course(db, capacity=1)
    await deliver(db, SERVICE, await enrolling(db, uuid4(), course_id))
    late = uuid4()
    command = await deliver(db, SERVICE, await enrolling(db, late, course_id))

    assert rejection_reason(await outbox_rows(db, late), command) == "course-full"
    assert await participation(db, late) is None
    taken = await rows(db, "SELECT participant_id FROM participation WHERE course_id = :c", c=course_id)
    assert len(taken) == 1


async def test_an_unknown_course_rejects_the_enrolment(db: SessionMaker) -> None:
    pid = uuid4()
    await deliver(db, SERVICE, referral(pid, programme_id=PROGRAMME))
    unknown = f"no-such-course-{uuid4().hex[:8]}"
    command = await deliver(
        db, SERVICE, EnrolParticipant(participant_id=pid, programme_id=PROGRAMME, course_id=unknown)
    )

    staged = await outbox_rows(db, pid)
    assert rejection_reason(staged, command) == "unknown-course"
    assert [r.topic for r in staged] == [PARTICIPATION_EVENTS]
    assert await participation(db, pid) is None


@pytest.mark.parametrize(
    ("referred", "reason"),
    [
        ({"target_group": "young-neet"}, "target-group-not-served"),
        ({"municipality": "727"}, "municipality-not-served"),
        ({"programme_id": "another-programme"}, "course-not-in-programme"),
        ({"referred_on": today_in_copenhagen() + timedelta(days=1)}, "enrolled-before-referral"),
    ],
)
async def test_an_enrolment_the_referral_does_not_allow_is_rejected_and_gives_no_seat(
    db: SessionMaker, referred: dict[str, Any], reason: str
) -> None:
    pid, course_id = uuid4(), await a_course(db)
    await refer_to_course(db, pid, course_id, **referred)
    command = await deliver(
        db, SERVICE, EnrolParticipant(participant_id=pid, programme_id=PROGRAMME, course_id=course_id)
    )

    assert rejection_reason(await outbox_rows(db, pid), command) == reason
    assert await participation(db, pid) is None


async def test_an_enrolment_on_a_course_of_another_sub_project_than_the_referral_is_rejected_naming_both(
    db: SessionMaker,
) -> None:
    pid, course_id = uuid4(), await a_course(db)
    await refer_to_course(db, pid, course_id, subproject_id="another-subproject")
    command = await deliver(
        db, SERVICE, EnrolParticipant(participant_id=pid, programme_id=PROGRAMME, course_id=course_id)
    )

    staged = await outbox_rows(db, pid)
    assert rejection_reason(staged, command) == "course-not-in-subproject"
    detail = answer_to(staged, command).data["detail"]
    assert f"sub-{PROGRAMME}" in detail and "another-subproject" in detail and course_id in detail
    assert await participation(db, pid) is None


async def test_an_enrolment_dated_in_the_future_is_rejected(db: SessionMaker) -> None:
    pid, course_id = uuid4(), await a_course(db)
    command = await deliver(
        db,
        SERVICE,
        (await enrolling(db, pid, course_id)).model_copy(
            update={"enrolled_on": today_in_copenhagen() + timedelta(days=1)}
        ),
    )
    assert rejection_reason(await outbox_rows(db, pid), command) == "in-the-future"


async def test_an_enrolment_that_overtook_its_referral_waits_for_it_and_writes_nothing(db: SessionMaker) -> None:
    pid, course_id = uuid4(), await a_course(db)
    early = to_event(EnrolParticipant(participant_id=pid, programme_id=PROGRAMME, course_id=course_id), source="tests")

    with pytest.raises(AwaitingFact):
        await apply(db, SERVICE, early)
    assert await outbox_rows(db, pid) == [] and not await processed(db, SERVICE, early.id)
    assert is_outage(AwaitingFact("late"))  # retried like an outage: never parked on the dead-letter topic

    await refer_to_course(db, pid, course_id)
    assert await apply(db, SERVICE, early)  # the redelivery, once the referral is there
    assert answer_to(await outbox_rows(db, pid), early).type == "enrolment.confirmed"


async def test_a_drop_out_after_the_start_ends_the_participation_with_date_and_reason(db: SessionMaker) -> None:
    pid = uuid4()
    course_id = await started_on_a_course(db, pid)
    command = await deliver(
        db, SERVICE, RecordDropOut(participant_id=pid, dropped_out_on=date(2026, 3, 16), reason="illness")
    )

    assert await participation(db, pid) == {
        "course_id": course_id,
        "status": "dropped-out",
        "enrolled_on": ENROLLED,
        "started_on": STARTED,
        "left_on": date(2026, 3, 16),
        "drop_out_reason": "illness",
    }
    staged = await outbox_rows(db, pid)
    assert [r.type for r in staged] == ["enrolment.confirmed", "participation.started", "participation.dropped-out"]
    answer = answer_to(staged, command)
    assert answer.type == "participation.dropped-out"
    assert answer.data == {
        "participant_id": str(pid),
        "course_id": course_id,
        "left_on": "2026-03-16",
        "reason": "illness",
    }


async def test_a_drop_out_dated_before_the_start_is_rejected_and_changes_nothing(db: SessionMaker) -> None:
    pid = uuid4()
    await started_on_a_course(db, pid)
    command = await deliver(
        db, SERVICE, RecordDropOut(participant_id=pid, dropped_out_on=date(2026, 2, 1), reason="job")
    )

    assert rejection_reason(await outbox_rows(db, pid), command) == "before-start"
    found = await participation(db, pid)
    assert found is not None
    assert (found["status"], found["left_on"], found["drop_out_reason"]) == ("started", None, None)


async def test_a_drop_out_before_the_start_is_refused_asking_for_a_withdrawal_and_nobody_has_left(
    db: SessionMaker,
) -> None:
    # A person who never started has not entered the operation: ending the enrolment is a withdrawal, not a leaving,
    # so no exit is published that follow-up would follow up or reporting count (issue 18, item 1).
    pid, course_id = uuid4(), await a_course(db)
    await deliver(db, SERVICE, await enrolling(db, pid, course_id))
    command = await deliver(
        db, SERVICE, RecordDropOut(participant_id=pid, dropped_out_on=date(2026, 2, 3), reason="job")
    )

    staged = await outbox_rows(db, pid)
    assert rejection_reason(staged, command) == "not-started"
    assert "record a withdrawal" in answer_to(staged, command).data["detail"]
    assert [r.type for r in staged] == ["enrolment.confirmed", "command.rejected"]  # no participation.dropped-out
    found = await participation(db, pid)
    assert found is not None
    assert (found["status"], found["left_on"], found["drop_out_reason"]) == ("enrolled", None, None)


async def test_re_enrolment_after_completion_replaces_the_finished_participation(db: SessionMaker) -> None:
    pid = uuid4()
    await started_on_a_course(db, pid)
    await deliver(db, SERVICE, RecordCompletion(participant_id=pid, completed_on=date(2026, 4, 20)))
    second_course = await a_course(db)
    command = await deliver(db, SERVICE, await enrolling(db, pid, second_course))

    assert await participation(db, pid) == {
        "course_id": second_course,
        "status": "enrolled",
        "enrolled_on": ENROLLED,
        "started_on": None,
        "left_on": None,
        "drop_out_reason": None,
    }
    staged = await outbox_rows(db, pid)
    assert [r.type for r in staged] == [
        "enrolment.confirmed",
        "participation.started",
        "participation.completed",
        "enrolment.confirmed",
    ]
    assert answer_to(staged, command).data["course_id"] == second_course
    assert [r.data["re_entry"] for r in staged if r.type == "enrolment.confirmed"] == [False, True]


async def test_enrolling_while_already_enrolled_is_rejected_and_keeps_the_seat(db: SessionMaker) -> None:
    pid, first_course = uuid4(), await a_course(db)
    await deliver(db, SERVICE, await enrolling(db, pid, first_course))
    command = await deliver(db, SERVICE, await enrolling(db, pid, await a_course(db)))

    assert rejection_reason(await outbox_rows(db, pid), command) == "already-enrolled"
    found = await participation(db, pid)
    assert found is not None
    assert (found["course_id"], found["status"]) == (first_course, "enrolled")


async def test_the_same_command_delivered_twice_is_answered_once(db: SessionMaker) -> None:
    pid = uuid4()
    command = to_event(await enrolling(db, pid, await a_course(db)), source="tests")

    assert await apply(db, SERVICE, command) is True
    assert await apply(db, SERVICE, command) is False

    assert [r.type for r in await outbox_rows(db, pid)] == ["enrolment.confirmed"]
    marks = await rows(db, "SELECT consumer FROM processed_event WHERE event_id = :e", e=command.id)
    assert marks == [{"consumer": SERVICE}]


async def test_a_command_whose_subject_is_not_its_participant_is_invalid_and_writes_nothing(db: SessionMaker) -> None:
    pid, other = uuid4(), uuid4()
    honest = to_event(await enrolling(db, pid, await a_course(db)), source="tests")
    forged = honest.model_copy(update={"subject": str(other)})

    with pytest.raises(InvalidEvent, match="subject"):
        await apply(db, SERVICE, forged)

    assert not await processed(db, SERVICE, forged.id)
    assert await outbox_rows(db, pid) == []
    assert await outbox_rows(db, other) == []
    assert await participation(db, pid) is None
    assert await participation(db, other) is None


async def test_an_unknown_command_type_on_the_command_topic_is_invalid(db: SessionMaker) -> None:
    pid = uuid4()
    stray = CloudEvent(
        type="enrolment.teleport-participant",
        version=1,
        source="tests",
        subject=str(pid),
        data={"participant_id": str(pid)},
    )

    with pytest.raises(InvalidEvent, match="unknown command type"):
        await apply(db, SERVICE, stray, topic=ENROLMENT_COMMANDS)

    assert not await processed(db, SERVICE, stray.id)
    assert await outbox_rows(db, pid) == []


async def test_a_withdrawal_before_start_frees_the_seat_for_the_next_participant(db: SessionMaker) -> None:
    course_id = await a_course(db, capacity=1)
    first, second = uuid4(), uuid4()
    await deliver(db, SERVICE, await enrolling(db, first, course_id))
    full = await deliver(db, SERVICE, await enrolling(db, second, course_id))
    assert rejection_reason(await outbox_rows(db, second), full) == "course-full"

    command = await deliver(
        db, SERVICE, RecordWithdrawal(participant_id=first, withdrawn_on=today_in_copenhagen(), reason="declined")
    )
    answer = answer_to(await outbox_rows(db, first), command)
    assert (answer.type, answer.data["reason"], answer.data["course_id"]) == (
        "participation.withdrawn",
        "declined",
        course_id,
    )
    withdrawn = await row(
        db, "SELECT status, withdrawal_reason, left_on FROM participation WHERE participant_id = :p", p=first
    )
    assert withdrawn == {"status": "withdrawn", "withdrawal_reason": "declined", "left_on": None}  # not a leaving

    retried = await deliver(db, SERVICE, await enrolling(db, second, course_id))
    assert answer_to(await outbox_rows(db, second), retried).type == "enrolment.confirmed"


async def test_a_participant_who_started_cannot_withdraw(db: SessionMaker) -> None:
    pid = uuid4()
    await started_on_a_course(db, pid)
    command = await deliver(
        db, SERVICE, RecordWithdrawal(participant_id=pid, withdrawn_on=today_in_copenhagen(), reason="moved")
    )
    assert rejection_reason(await outbox_rows(db, pid), command) == "already-started"
    assert (await participation(db, pid) or {})["status"] == "started"


async def test_corrections_change_the_record_and_are_facts_of_their_own_beside_the_originals(db: SessionMaker) -> None:
    pid = uuid4()
    await started_on_a_course(db, pid)
    await deliver(db, SERVICE, RecordDropOut(participant_id=pid, dropped_out_on=date(2026, 3, 16), reason="illness"))
    corrections = [
        CorrectStart(participant_id=pid, started_on=date(2026, 2, 9), correction_reason="entered-wrong"),
        CorrectLeavingDate(participant_id=pid, left_on=date(2026, 3, 20), correction_reason="new-information"),
        CorrectDropOutReason(participant_id=pid, drop_out_reason="job", correction_reason="entered-wrong"),
    ]
    for correction in corrections:
        await deliver(db, SERVICE, correction)

    assert await participation(db, pid) == {
        "course_id": ANY,
        "status": "dropped-out",
        "enrolled_on": ENROLLED,
        "started_on": date(2026, 2, 9),
        "left_on": date(2026, 3, 20),
        "drop_out_reason": "job",
    }
    staged = await outbox_rows(db, pid)
    assert [r.type for r in staged] == [
        "enrolment.confirmed",
        "participation.started",
        "participation.dropped-out",
        "participation.start-corrected",
        "participation.leaving-date-corrected",
        "participation.drop-out-reason-corrected",
    ]
    assert staged[2].data["left_on"] == "2026-03-16"  # the original stays as it was
    assert staged[4].data | {"participant_id": None} == {
        "participant_id": None,
        "course_id": staged[2].data["course_id"],
        "left_on": "2026-03-20",
        "previous_left_on": "2026-03-16",
        "correction_reason": "new-information",
    }
    assert staged[5].data["previous_drop_out_reason"] == "illness"


async def test_a_correction_that_breaks_a_rule_is_rejected_and_changes_nothing(db: SessionMaker) -> None:
    pid = uuid4()
    await started_on_a_course(db, pid)
    await deliver(db, SERVICE, RecordCompletion(participant_id=pid, completed_on=date(2026, 6, 30)))
    before = await participation(db, pid)

    late_start = await deliver(
        db, SERVICE, CorrectStart(participant_id=pid, started_on=date(2026, 7, 1), correction_reason="other")
    )
    early_leaving = await deliver(
        db, SERVICE, CorrectLeavingDate(participant_id=pid, left_on=date(2026, 2, 1), correction_reason="other")
    )
    not_a_drop_out = await deliver(
        db, SERVICE, CorrectDropOutReason(participant_id=pid, drop_out_reason="job", correction_reason="other")
    )

    staged = await outbox_rows(db, pid)
    assert rejection_reason(staged, late_start) == "after-leaving"
    assert rejection_reason(staged, early_leaving) == "before-start"
    assert rejection_reason(staged, not_a_drop_out) == "not-dropped-out"
    assert await participation(db, pid) == before


async def test_an_enrolment_whose_participant_nobody_referred_is_rejected_once_the_wait_is_long_past(
    db: SessionMaker,
) -> None:
    pid, course_id = uuid4(), await a_course(db)
    command = to_event(EnrolParticipant(participant_id=pid, programme_id=PROGRAMME, course_id=course_id), source="t")
    stale = command.model_copy(update={"time": command.time - REFERRAL_GRACE - timedelta(seconds=1)})

    assert await apply(db, SERVICE, stale)  # not waited for for ever: the partition goes on
    assert rejection_reason(await outbox_rows(db, pid), stale) == "unknown-participant"
    assert await participation(db, pid) is None
