"""Corrections of a start date, a leaving date and a drop-out reason: each a fact of its own, within the rules."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from services.enrolment.domain import (
    ParticipationState,
    correct_drop_out_reason,
    correct_leaving_date,
    correct_start,
    start,
)
from shared import contracts
from shared.rejection import Rejection

PID = UUID("00000000-0000-4000-8000-000000000003")
TODAY = date(2018, 11, 23)
ENROLLED_ON, STARTED_ON, LEFT_ON = date(2018, 1, 15), date(2018, 2, 1), date(2018, 6, 29)


def state(status: str, *, started: bool = True, left: bool = False, reason: str | None = None) -> ParticipationState:
    return ParticipationState(
        status=status,
        course_id="vet-aarhus-2018",
        enrolled_on=ENROLLED_ON,
        started_on=STARTED_ON if started else None,
        left_on=LEFT_ON if left else None,
        drop_out_reason=reason,
    )


STARTED = state("started")
COMPLETED = state("completed", left=True)
DROPPED_OUT = state("dropped-out", left=True, reason="illness")
DROPPED_OUT_BEFORE_START = state("dropped-out", started=False, left=True, reason="no-show")


def reason_of(result: object) -> str:
    assert isinstance(result, Rejection), result
    assert result.detail
    return result.reason


def start_to(on: date) -> contracts.CorrectStart:
    return contracts.CorrectStart(participant_id=PID, started_on=on, correction_reason="entered-wrong")


def leaving_to(on: date) -> contracts.CorrectLeavingDate:
    return contracts.CorrectLeavingDate(participant_id=PID, left_on=on, correction_reason="new-information")


def reason_to(reason: contracts.DropOutReason) -> contracts.CorrectDropOutReason:
    return contracts.CorrectDropOutReason(participant_id=PID, drop_out_reason=reason, correction_reason="other")


@pytest.mark.parametrize("current", [STARTED, COMPLETED, DROPPED_OUT])
def test_a_start_date_is_corrected_with_the_date_it_replaces_and_the_reason(current: ParticipationState) -> None:
    assert correct_start(current, start_to(date(2018, 2, 5)), TODAY) == contracts.StartCorrected(
        participant_id=PID,
        course_id="vet-aarhus-2018",
        started_on=date(2018, 2, 5),
        previous_started_on=STARTED_ON,
        correction_reason="entered-wrong",
    )


@pytest.mark.parametrize(
    ("current", "on", "reason"),
    [
        (None, date(2018, 2, 5), "not-started"),
        (state("enrolled", started=False), date(2018, 2, 5), "not-started"),
        (state("withdrawn", started=False), date(2018, 2, 5), "not-started"),
        (DROPPED_OUT_BEFORE_START, date(2018, 2, 5), "not-started"),
        (STARTED, date(2018, 11, 24), "in-the-future"),
        (STARTED, date(2018, 1, 14), "before-enrolment"),
        (COMPLETED, date(2018, 6, 30), "after-leaving"),
        (STARTED, STARTED_ON, "no-change"),
    ],
)
def test_a_start_correction_that_breaks_a_rule_is_refused(
    current: ParticipationState | None, on: date, reason: str
) -> None:
    assert reason_of(correct_start(current, start_to(on), TODAY)) == reason


def test_a_start_may_be_corrected_to_the_enrolment_day_or_the_leaving_day() -> None:
    assert isinstance(correct_start(COMPLETED, start_to(ENROLLED_ON), TODAY), contracts.StartCorrected)
    assert isinstance(correct_start(COMPLETED, start_to(LEFT_ON), TODAY), contracts.StartCorrected)


@pytest.mark.parametrize("current", [COMPLETED, DROPPED_OUT, DROPPED_OUT_BEFORE_START])
def test_a_leaving_date_is_corrected_with_the_date_it_replaces(current: ParticipationState) -> None:
    assert correct_leaving_date(current, leaving_to(date(2018, 7, 6)), TODAY) == contracts.LeavingDateCorrected(
        participant_id=PID,
        course_id="vet-aarhus-2018",
        left_on=date(2018, 7, 6),
        previous_left_on=LEFT_ON,
        correction_reason="new-information",
    )


@pytest.mark.parametrize(
    ("current", "on", "reason"),
    [
        (None, date(2018, 7, 6), "not-left"),
        (STARTED, date(2018, 7, 6), "not-left"),
        (state("withdrawn", started=False), date(2018, 7, 6), "not-left"),
        (COMPLETED, date(2018, 11, 24), "in-the-future"),
        (COMPLETED, date(2018, 1, 31), "before-start"),
        (DROPPED_OUT_BEFORE_START, date(2018, 1, 14), "before-enrolment"),
        (COMPLETED, LEFT_ON, "no-change"),
    ],
)
def test_a_leaving_date_correction_that_breaks_a_rule_is_refused(
    current: ParticipationState | None, on: date, reason: str
) -> None:
    assert reason_of(correct_leaving_date(current, leaving_to(on), TODAY)) == reason


def test_a_drop_out_reason_is_corrected_with_the_reason_it_replaces() -> None:
    assert correct_drop_out_reason(DROPPED_OUT, reason_to("job")) == contracts.DropOutReasonCorrected(
        participant_id=PID,
        course_id="vet-aarhus-2018",
        drop_out_reason="job",
        previous_drop_out_reason="illness",
        correction_reason="other",
    )


@pytest.mark.parametrize(
    ("current", "to", "reason"),
    [
        (None, "job", "not-dropped-out"),
        (COMPLETED, "job", "not-dropped-out"),
        (STARTED, "job", "not-dropped-out"),
        (DROPPED_OUT, "illness", "no-change"),
    ],
)
def test_a_drop_out_reason_correction_that_breaks_a_rule_is_refused(
    current: ParticipationState | None, to: contracts.DropOutReason, reason: str
) -> None:
    assert reason_of(correct_drop_out_reason(current, reason_to(to))) == reason


def test_a_start_before_the_enrolment_is_refused() -> None:
    enrolled = state("enrolled", started=False)
    assert reason_of(start(enrolled, contracts.RecordStart(participant_id=PID, started_on=date(2018, 1, 14)))) == (
        "before-enrolment"
    )
    assert isinstance(
        start(enrolled, contracts.RecordStart(participant_id=PID, started_on=ENROLLED_ON)),
        contracts.ParticipationStarted,
    )
