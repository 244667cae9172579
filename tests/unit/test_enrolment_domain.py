"""Participation rules: which command is allowed in which state, and which fact it produces."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from services.enrolment import domain
from services.enrolment.domain import (
    CourseSeats,
    ParticipationState,
    complete,
    drop_out,
    enrol,
    frees_a_seat,
    next_status,
    promote,
    start,
    withdraw,
)
from shared import contracts
from shared.rejection import Rejection

PARTICIPANT = UUID("00000000-0000-4000-8000-000000000002")
TODAY = date(2026, 3, 2)
STARTED_ON = date(2026, 3, 9)


REFERRAL = domain.Referral("rummelig-imidt", "war-veterans", "751", date(2026, 1, 5), "flex-odder")
SERVES: dict[str, Any] = {"target_groups": ("war-veterans",), "municipalities": ("751", "727")}


def course(*, capacity: int = 12, taken: int = 0, programme_id: str = "rummelig-imidt") -> CourseSeats:
    return CourseSeats(
        course_id="odder-flex-2026",
        programme_id=programme_id,
        subproject_id="flex-odder",
        capacity=capacity,
        taken=taken,
        **SERVES,
    )


def enrol_cmd(course_id: str = "odder-flex-2026") -> contracts.EnrolParticipant:
    return contracts.EnrolParticipant(participant_id=PARTICIPANT, programme_id="rummelig-imidt", course_id=course_id)


def state(status: str, started_on: date | None = None) -> ParticipationState:
    return ParticipationState(status=status, course_id="odder-flex-2026", started_on=started_on)


ENROLLED = state("enrolled")
STARTED = state("started", STARTED_ON)


def rejected(result: object, reason: str) -> Rejection:
    assert isinstance(result, Rejection), f"expected a rejection ({reason}), got {result!r}"
    assert result.reason == reason
    assert result.detail
    return result


# --- enrol --------------------------------------------------------------------------------------------------------


def test_a_referred_participant_is_enrolled_on_a_course_with_a_free_seat() -> None:
    result = enrol(None, enrol_cmd(), course(capacity=12, taken=11), REFERRAL, TODAY)
    assert result == contracts.EnrolmentConfirmed(
        participant_id=PARTICIPANT,
        programme_id="rummelig-imidt",
        subproject_id="flex-odder",
        course_id="odder-flex-2026",
        enrolled_on=TODAY,
        re_entry=False,
    )


@pytest.mark.parametrize("status", ["enrolled", "started"])
def test_a_participant_already_enrolled_or_started_cannot_enrol_again(status: str) -> None:
    result = enrol(state(status, STARTED_ON if status == "started" else None), enrol_cmd(), course(), REFERRAL, TODAY)
    assert status in rejected(result, "already-enrolled").detail


@pytest.mark.parametrize("status", ["completed", "dropped-out"])
def test_a_participant_who_has_left_may_enrol_again(status: str) -> None:
    result = enrol(state(status, STARTED_ON), enrol_cmd(), course(), REFERRAL, TODAY)
    assert isinstance(result, contracts.EnrolmentConfirmed)


def test_enrolment_on_an_unknown_course_is_refused() -> None:
    rejected(enrol(None, enrol_cmd("no-such-course"), None, REFERRAL, TODAY), "unknown-course")


def test_enrolment_on_a_course_of_another_programme_is_refused() -> None:
    rejected(
        enrol(None, enrol_cmd(), course(programme_id="varig-tilknytning"), REFERRAL, TODAY), "course-not-in-programme"
    )


@pytest.mark.parametrize(("capacity", "taken"), [(12, 12), (1, 1), (12, 13)])
def test_enrolment_on_a_full_course_is_refused(capacity: int, taken: int) -> None:
    rejected(enrol(None, enrol_cmd(), course(capacity=capacity, taken=taken), REFERRAL, TODAY), "course-full")


# --- start --------------------------------------------------------------------------------------------------------


def test_an_enrolled_participant_can_start() -> None:
    result = start(ENROLLED, contracts.RecordStart(participant_id=PARTICIPANT, started_on=STARTED_ON))
    assert result == contracts.ParticipationStarted(
        participant_id=PARTICIPANT, course_id="odder-flex-2026", started_on=STARTED_ON
    )


@pytest.mark.parametrize("current", [None, STARTED, state("completed", STARTED_ON), state("dropped-out")])
def test_only_an_enrolled_participant_can_start(current: ParticipationState | None) -> None:
    rejected(start(current, contracts.RecordStart(participant_id=PARTICIPANT, started_on=STARTED_ON)), "not-enrolled")


# --- complete -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("completed_on", [STARTED_ON, date(2026, 6, 30)])
def test_a_started_participant_can_complete_on_or_after_the_start_date(completed_on: date) -> None:
    result = complete(STARTED, contracts.RecordCompletion(participant_id=PARTICIPANT, completed_on=completed_on))
    assert result == contracts.ParticipationCompleted(
        participant_id=PARTICIPANT, course_id="odder-flex-2026", left_on=completed_on
    )


@pytest.mark.parametrize("current", [None, ENROLLED, state("completed", STARTED_ON), state("dropped-out", STARTED_ON)])
def test_only_a_started_participant_can_complete(current: ParticipationState | None) -> None:
    cmd = contracts.RecordCompletion(participant_id=PARTICIPANT, completed_on=date(2026, 6, 30))
    rejected(complete(current, cmd), "not-started")


def test_a_completion_before_the_start_date_is_refused() -> None:
    cmd = contracts.RecordCompletion(participant_id=PARTICIPANT, completed_on=date(2026, 3, 8))
    rejected(complete(STARTED, cmd), "before-start")


# --- drop out -----------------------------------------------------------------------------------------------------


def test_an_enrolled_participant_who_never_started_cannot_drop_out_but_is_told_to_record_a_withdrawal() -> None:
    # Never started is never entered (DOMAIN.md): a drop-out would be a leaving that gets followed up and counted.
    cmd = contracts.RecordDropOut(participant_id=PARTICIPANT, dropped_out_on=date(2026, 3, 5), reason="job")
    assert "record a withdrawal" in rejected(drop_out(ENROLLED, cmd), "not-started").detail


@pytest.mark.parametrize("dropped_out_on", [STARTED_ON, date(2026, 4, 1)])
def test_a_started_participant_can_drop_out_on_or_after_the_start_date(dropped_out_on: date) -> None:
    cmd = contracts.RecordDropOut(participant_id=PARTICIPANT, dropped_out_on=dropped_out_on, reason="illness")
    result = drop_out(STARTED, cmd)
    assert isinstance(result, contracts.ParticipationDroppedOut)
    assert result.left_on == dropped_out_on
    assert result.reason == "illness"


def test_a_drop_out_before_the_start_date_is_refused() -> None:
    cmd = contracts.RecordDropOut(participant_id=PARTICIPANT, dropped_out_on=date(2026, 3, 8), reason="moved")
    rejected(drop_out(STARTED, cmd), "before-start")


@pytest.mark.parametrize("current", [None, state("completed", STARTED_ON), state("dropped-out", STARTED_ON)])
def test_only_an_enrolled_or_started_participant_can_drop_out(current: ParticipationState | None) -> None:
    cmd = contracts.RecordDropOut(participant_id=PARTICIPANT, dropped_out_on=date(2026, 4, 1), reason="other")
    rejected(drop_out(current, cmd), "not-participating")


# --- next status --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fact", "status"),
    [
        (
            contracts.EnrolmentConfirmed(
                participant_id=PARTICIPANT, programme_id="p1", subproject_id="s1", course_id="c1", enrolled_on=TODAY
            ),
            "enrolled",
        ),
        (contracts.ParticipationStarted(participant_id=PARTICIPANT, course_id="c1", started_on=TODAY), "started"),
        (contracts.ParticipationCompleted(participant_id=PARTICIPANT, course_id="c1", left_on=TODAY), "completed"),
        (
            contracts.ParticipationDroppedOut(participant_id=PARTICIPANT, course_id="c1", left_on=TODAY, reason="job"),
            "dropped-out",
        ),
    ],
    ids=["confirmed", "started", "completed", "dropped-out"],
)
def test_each_fact_leads_to_its_participation_status(fact: domain.Fact, status: str) -> None:
    assert next_status(fact) == status


def test_a_fact_that_changes_no_participation_has_no_next_status() -> None:
    with pytest.raises(KeyError):
        next_status(contracts.RecordStart(participant_id=PARTICIPANT, started_on=TODAY))  # type: ignore[arg-type]


# --- withdrawal before start -----------------------------------------------------------------------------------------


def withdrawal(on: date = TODAY, reason: str = "declined") -> contracts.RecordWithdrawal:
    return contracts.RecordWithdrawal.model_validate(
        {"participant_id": PARTICIPANT, "withdrawn_on": on, "reason": reason}
    )


def test_an_enrolled_participant_who_has_not_started_may_withdraw() -> None:
    enrolled = ParticipationState(status="enrolled", course_id="odder-flex-2026", started_on=None, enrolled_on=TODAY)
    fact = withdraw(enrolled, withdrawal(reason="moved"))
    assert fact == contracts.ParticipationWithdrawn(
        participant_id=PARTICIPANT, course_id="odder-flex-2026", withdrawn_on=TODAY, reason="moved"
    )
    assert next_status(fact) == "withdrawn"


@pytest.mark.parametrize(
    ("current", "reason"),
    [
        (None, "not-enrolled"),
        (state("started", STARTED_ON), "already-started"),
        (state("completed", STARTED_ON), "not-enrolled"),
        (state("dropped-out"), "not-enrolled"),
        (state("withdrawn"), "not-enrolled"),
    ],
    ids=["never-enrolled", "started", "completed", "dropped-out", "withdrawn"],
)
def test_only_an_enrolled_participant_who_has_not_started_may_withdraw(
    current: ParticipationState | None, reason: str
) -> None:
    outcome = withdraw(current, withdrawal())
    assert isinstance(outcome, Rejection)
    assert outcome.reason == reason


def test_a_withdrawal_dated_before_the_enrolment_is_refused() -> None:
    enrolled = ParticipationState(status="enrolled", course_id="odder-flex-2026", started_on=None, enrolled_on=TODAY)
    outcome = withdraw(enrolled, withdrawal(on=date(2026, 3, 1)))
    assert isinstance(outcome, Rejection) and outcome.reason == "before-enrolment"


def test_a_withdrawn_participant_holds_no_seat_and_may_enrol_again() -> None:
    outcome = enrol(state("withdrawn"), enrol_cmd(), course(capacity=1, taken=0), REFERRAL, TODAY)
    assert isinstance(outcome, contracts.EnrolmentConfirmed)


# --- waiting lists ---------------------------------------------------------------------------------------------------


def test_a_full_course_with_an_open_waiting_list_puts_the_participant_at_its_end() -> None:
    full = CourseSeats(
        "odder-flex-2026", "rummelig-imidt", "flex-odder", 5, 5, waiting_list_open=True, waiting=3, **SERVES
    )
    outcome = enrol(None, enrol_cmd(), full, REFERRAL, TODAY)
    assert outcome == contracts.EnrolmentWaitlisted(
        participant_id=PARTICIPANT,
        programme_id="rummelig-imidt",
        subproject_id="flex-odder",
        course_id="odder-flex-2026",
        waitlisted_on=TODAY,
        position=4,
        re_entry=False,
    )
    assert next_status(outcome) == "waiting"


def test_a_full_course_with_a_closed_waiting_list_refuses() -> None:
    outcome = enrol(None, enrol_cmd(), course(capacity=5, taken=5), REFERRAL, TODAY)
    assert isinstance(outcome, Rejection)
    assert outcome.reason == "course-full"
    assert "waiting list is closed" in outcome.detail


def test_a_waiting_participant_cannot_enrol_again_nor_start_but_may_withdraw() -> None:
    waiting = state("waiting")
    refused = enrol(waiting, enrol_cmd(), course(), REFERRAL, TODAY)
    assert isinstance(refused, Rejection) and refused.reason == "already-enrolled"
    not_started = start(waiting, contracts.RecordStart(participant_id=PARTICIPANT, started_on=TODAY))
    assert isinstance(not_started, Rejection)
    assert isinstance(withdraw(waiting, withdrawal()), contracts.ParticipationWithdrawn)


@pytest.mark.parametrize(
    ("previous", "fact", "frees"),
    [
        (
            "enrolled",
            contracts.ParticipationWithdrawn(
                participant_id=PARTICIPANT, course_id="c", withdrawn_on=TODAY, reason="declined"
            ),
            True,
        ),
        (
            "waiting",
            contracts.ParticipationWithdrawn(
                participant_id=PARTICIPANT, course_id="c", withdrawn_on=TODAY, reason="declined"
            ),
            False,
        ),
        (
            "started",
            contracts.ParticipationDroppedOut(participant_id=PARTICIPANT, course_id="c", left_on=TODAY, reason="job"),
            False,
        ),
        ("started", contracts.ParticipationCompleted(participant_id=PARTICIPANT, course_id="c", left_on=TODAY), False),
    ],
    ids=["withdrawn-with-seat", "withdrawn-from-list", "dropped-after-start", "completed"],
)
def test_only_a_withdrawal_frees_a_seat(previous: str, fact: domain.Fact, frees: bool) -> None:
    assert frees_a_seat(fact, previous) is frees


def test_the_first_waiting_gets_a_free_seat_and_nobody_an_occupied_one() -> None:
    free = CourseSeats("c", "p", "s", capacity=5, taken=4, **SERVES)
    promoted = promote(free, PARTICIPANT, TODAY, None, re_entry=True)
    assert promoted is not None
    assert (promoted.participant_id, promoted.enrolled_on, promoted.re_entry) == (PARTICIPANT, TODAY, True)
    assert (
        promote(CourseSeats("c", "p", "s", capacity=5, taken=5, **SERVES), PARTICIPANT, TODAY, None, re_entry=False)
        is None
    )


def test_the_enrolment_date_is_the_caseworkers_and_a_v1_command_without_one_means_today() -> None:
    dated = contracts.EnrolParticipant(
        participant_id=PARTICIPANT,
        programme_id="rummelig-imidt",
        course_id="odder-flex-2026",
        enrolled_on=date(2026, 2, 27),
    )
    given = enrol(None, dated, course(), REFERRAL, TODAY)
    assert isinstance(given, contracts.EnrolmentConfirmed) and given.enrolled_on == date(2026, 2, 27)
    undated = enrol(None, enrol_cmd(), course(), REFERRAL, TODAY)
    assert isinstance(undated, contracts.EnrolmentConfirmed) and undated.enrolled_on == TODAY


def test_a_course_that_ended_before_the_enrolment_date_is_refused() -> None:
    ended = CourseSeats("odder-flex-2026", "rummelig-imidt", "flex-odder", 12, 0, ends_on=date(2026, 3, 1), **SERVES)
    outcome = enrol(None, enrol_cmd(), ended, REFERRAL, TODAY)
    assert isinstance(outcome, Rejection) and outcome.reason == "course-finished"
    on_its_last_day = CourseSeats("odder-flex-2026", "rummelig-imidt", "flex-odder", 12, 0, ends_on=TODAY, **SERVES)
    assert isinstance(enrol(None, enrol_cmd(), on_its_last_day, REFERRAL, TODAY), contracts.EnrolmentConfirmed)


@pytest.mark.parametrize(
    ("previous", "re_entry"),
    [(None, False), ("completed", True), ("dropped-out", True), ("withdrawn", False)],
    ids=["first-entry", "after-completing", "after-dropping-out", "after-withdrawing"],
)
def test_enrolling_after_leaving_an_earlier_course_is_a_re_entry(previous: str | None, re_entry: bool) -> None:
    outcome = enrol(state(previous) if previous else None, enrol_cmd(), course(), REFERRAL, TODAY)
    assert isinstance(outcome, contracts.EnrolmentConfirmed)
    assert outcome.re_entry is re_entry


@pytest.mark.parametrize(
    ("referral", "reason"),
    [
        (
            domain.Referral("rummelig-imidt", "young-neet", "751", date(2026, 1, 5), "flex-odder"),
            "target-group-not-served",
        ),
        (
            domain.Referral("rummelig-imidt", "war-veterans", "101", date(2026, 1, 5), "flex-odder"),
            "municipality-not-served",
        ),
        (
            domain.Referral("varig-tilknytning", "war-veterans", "751", date(2026, 1, 5), "flex-odder"),
            "course-not-in-programme",
        ),
        (
            domain.Referral("rummelig-imidt", "war-veterans", "751", date(2026, 3, 3), "flex-odder"),
            "enrolled-before-referral",
        ),
    ],
)
def test_the_course_must_be_one_the_referral_allows(referral: domain.Referral, reason: str) -> None:
    rejected(enrol(None, enrol_cmd(), course(), referral, TODAY), reason)


def test_a_course_of_another_sub_project_than_the_referral_is_refused_naming_both() -> None:
    elsewhere = domain.Referral("rummelig-imidt", "war-veterans", "751", date(2026, 1, 5), "veterans-aarhus")
    detail = rejected(enrol(None, enrol_cmd(), course(), elsewhere, TODAY), "course-not-in-subproject").detail
    assert "flex-odder" in detail and "veterans-aarhus" in detail and "odder-flex-2026" in detail


def test_an_enrolment_on_the_referral_date_is_allowed_and_one_in_the_future_is_not() -> None:
    on_the_day = domain.Referral("rummelig-imidt", "war-veterans", "751", TODAY, "flex-odder")
    assert isinstance(enrol(None, enrol_cmd(), course(), on_the_day, TODAY), contracts.EnrolmentConfirmed)
    tomorrow = enrol_cmd().model_copy(update={"enrolled_on": date(2026, 3, 3)})
    rejected(enrol(None, tomorrow, course(), REFERRAL, TODAY), "in-the-future")


def test_a_promotion_is_dated_the_day_the_seat_was_freed_and_never_before_the_wait_began() -> None:
    free = CourseSeats("c", "p", "s", capacity=5, taken=4, **SERVES)
    freed = date(2018, 5, 2)
    assert (p := promote(free, PARTICIPANT, freed, date(2018, 4, 1), re_entry=False)) and p.enrolled_on == freed
    late = promote(free, PARTICIPANT, freed, date(2018, 5, 9), re_entry=False)
    assert late is not None and late.enrolled_on == date(2018, 5, 9)
