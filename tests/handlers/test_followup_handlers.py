"""Follow-up's handlers through its consumer, on a real migrated PostgreSQL, without Kafka: hand-built histories.

An exit schedules its two checks; a re-enrolment, a later exit or a recorded result closes them; within the four
weeks the last observation counts; a result after its limit is kept and flagged late.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.followup.handlers import EXIT_GRACE
from shared import fund_rules
from shared.consumer import AwaitingFact
from shared.contracts import (
    EnrolmentConfirmed,
    EnrolParticipant,
    LeavingDateCorrected,
    ParticipantErased,
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
from tests.fixtures.events import programme, subproject
from tests.fixtures.events import referral as fixture_referral
from tests.fixtures.handlers import (
    add_course,
    answer_to,
    apply,
    deliver,
    outbox_rows,
    refer_to_course,
    rejection_reason,
    row,
    rows,
)

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
        "SELECT check_kind, exit_number, left_on, due_on, counts_until, status, closed_reason, proposed_situation"
        " FROM deadline WHERE participant_id = :p ORDER BY exit_number, check_kind",
        p=pid,
    )


def open_deadlines(left_on: date, exit_number: int = 1, proposed: str | None = None) -> list[dict[str, Any]]:
    """The two open checks an exit on left_on schedules, in (exit, check) order."""
    six_months = fund_rules.six_months_after(left_on)
    common = {"exit_number": exit_number, "left_on": left_on, "status": "open", "closed_reason": None}
    return [
        {
            **common,
            "check_kind": "leaving-outcome",
            "due_on": left_on + timedelta(days=14),
            "counts_until": left_on + timedelta(days=28),
            "proposed_situation": proposed,
        },
        {
            **common,
            "check_kind": "six-month",
            "due_on": six_months,
            "counts_until": six_months + timedelta(weeks=8),
            "proposed_situation": None,
        },
    ]


def closed(deadlines: list[dict[str, Any]], reason: str) -> list[dict[str, Any]]:
    return [{**d, "status": "closed", "closed_reason": reason} for d in deadlines]


def day(n: int, left_on: date = LEFT) -> date:
    return left_on + timedelta(days=n)


def leaving_outcome(pid: UUID, situation: str, observed_on: date, **more: Any) -> RecordLeavingOutcome:
    return RecordLeavingOutcome(participant_id=pid, situation=situation, observed_on=observed_on, **more)


def re_enrolled(pid: UUID, on: date) -> EnrolmentConfirmed:
    return EnrolmentConfirmed(
        participant_id=pid,
        programme_id="handler-tests",
        subproject_id="sub-handler-tests",
        course_id="handler-tests",
        enrolled_on=on,
        re_entry=True,
    )


def facts_of(staged: list[Any], cause_id: UUID) -> list[tuple[str, dict[str, Any]]]:
    return [(r.type, r.data) for r in staged if r.causation == cause_id]


async def test_a_completion_schedules_the_leaving_outcome_and_the_six_month_check(db: SessionMaker) -> None:
    pid = uuid4()
    fact = await deliver(db, SERVICE, completed(pid))

    assert await deadlines(db, pid) == open_deadlines(LEFT)
    assert [(d["due_on"], d["counts_until"]) for d in await deadlines(db, pid)] == [
        (date(2026, 9, 14), date(2026, 9, 28)),
        (date(2027, 2, 28), date(2027, 4, 25)),  # 31 August + 6 months is 28 February
    ]
    staged = await outbox_rows(db, pid)
    assert {(r.topic, r.type, r.causation) for r in staged} == {(FOLLOWUP_EVENTS, "followup.check-scheduled", fact.id)}
    assert [r.data for r in staged] == [
        {
            "participant_id": str(pid),
            "check": d["check_kind"],
            "exit_number": 1,
            "left_on": LEFT.isoformat(),
            "due_on": d["due_on"].isoformat(),
            "counts_until": d["counts_until"].isoformat(),
            "proposed_situation": None,
        }
        for d in open_deadlines(LEFT)
    ]


@pytest.mark.parametrize(("reason", "proposed"), [("job", "ordinary-employment"), ("education", "education")])
async def test_a_drop_out_for_a_job_or_education_proposes_the_matching_outcome(
    db: SessionMaker, reason: str, proposed: str
) -> None:
    pid, left_on = uuid4(), date(2026, 3, 16)
    await deliver(
        db,
        SERVICE,
        ParticipationDroppedOut(participant_id=pid, course_id="handler-tests", left_on=left_on, reason=reason),
    )

    assert await deadlines(db, pid) == open_deadlines(left_on, proposed=proposed)
    staged = await outbox_rows(db, pid)
    assert [r.data["proposed_situation"] for r in staged] == [proposed, None]


async def test_job_seeking_on_day_3_then_employed_on_day_20_counts_as_employed(db: SessionMaker) -> None:
    pid = uuid4()
    await deliver(db, SERVICE, completed(pid))
    first = await deliver(db, SERVICE, leaving_outcome(pid, "job-seeking", day(3)))
    second = await deliver(db, SERVICE, leaving_outcome(pid, "ordinary-employment", day(20), qualification_gained=True))

    staged = await outbox_rows(db, pid)
    first_fact = answer_to(staged, first)
    assert first_fact.type == "leaving-outcome.recorded"
    assert (first_fact.data["counts"], first_fact.data["employed"], first_fact.data["supersedes"]) == (
        True,
        False,
        None,
    )
    assert facts_of(staged, first_fact.event_id)[0] == (
        "followup.check-closed",
        {
            "participant_id": str(pid),
            "check": "leaving-outcome",
            "exit_number": 1,
            "left_on": LEFT.isoformat(),
            "reason": "recorded",
        },
    )
    assert facts_of(staged, second.id) == [
        (
            "leaving-outcome.recorded",
            {
                "participant_id": str(pid),
                "situation": "ordinary-employment",
                "employed": True,
                "qualification_gained": True,
                "observed_on": day(20).isoformat(),
                "left_on": LEFT.isoformat(),
                "exit_number": 1,
                "counts": True,
                "late": False,
                "supersedes": str(first_fact.event_id),
            },
        )
    ]
    leaving, six_month = await deadlines(db, pid)
    assert leaving == closed(open_deadlines(LEFT), "recorded")[0]
    assert six_month == open_deadlines(LEFT)[1]


async def test_an_observation_older_than_the_one_counting_is_kept_without_counting(db: SessionMaker) -> None:
    pid = uuid4()
    await deliver(db, SERVICE, completed(pid))
    await deliver(db, SERVICE, leaving_outcome(pid, "ordinary-employment", day(20)))
    older = await deliver(db, SERVICE, leaving_outcome(pid, "job-seeking", day(3)))

    data = answer_to(await outbox_rows(db, pid), older).data
    assert (data["counts"], data["late"], data["supersedes"]) == (False, False, None)


async def test_a_leaving_outcome_observed_on_day_29_is_kept_flagged_late_and_stops_the_reminders(
    db: SessionMaker,
) -> None:
    pid = uuid4()
    await deliver(db, SERVICE, completed(pid))
    late = await deliver(db, SERVICE, leaving_outcome(pid, "ordinary-employment", day(29)))

    answer = answer_to(await outbox_rows(db, pid), late)
    assert answer.type == "leaving-outcome.recorded"
    assert (answer.data["counts"], answer.data["late"], answer.data["employed"]) == (False, True, True)
    assert (await deadlines(db, pid))[0] == closed(open_deadlines(LEFT), "recorded")[0]


async def test_a_six_month_result_nine_weeks_late_does_not_count_with_the_default_limit(db: SessionMaker) -> None:
    pid = uuid4()
    await deliver(db, SERVICE, completed(pid))
    due = fund_rules.six_months_after(LEFT)
    command = await deliver(
        db,
        SERVICE,
        RecordSixMonthResult(participant_id=pid, situation="flex-job", observed_on=due + timedelta(weeks=9)),
    )

    data = answer_to(await outbox_rows(db, pid), command).data
    assert (data["counts"], data["late"], data["due_on"]) == (False, True, due.isoformat())


async def test_the_programmes_limit_for_late_results_decides_what_counts(db: SessionMaker) -> None:
    pid, programme_id = uuid4(), f"late-{uuid4().hex[:8]}"
    lenient = programme(programme_id).settings.model_copy(update={"six_month_result_grace_days": 90})
    await deliver(db, SERVICE, programme(programme_id, settings=lenient))
    await deliver(db, SERVICE, fixture_referral(pid, programme_id=programme_id, case_reference="RUM-700009"))
    await deliver(db, SERVICE, completed(pid))
    due = fund_rules.six_months_after(LEFT)
    command = await deliver(
        db,
        SERVICE,
        RecordSixMonthResult(participant_id=pid, situation="ordinary-employment", observed_on=due + timedelta(weeks=9)),
    )

    data = answer_to(await outbox_rows(db, pid), command).data
    assert (data["counts"], data["late"]) == (True, False)
    assert (await deadlines(db, pid))[1]["counts_until"] == due + timedelta(days=90)


async def test_a_re_entry_then_a_drop_out_for_illness_follows_up_the_final_exit_only(db: SessionMaker) -> None:
    pid, first_exit, final_exit = uuid4(), date(2026, 3, 16), date(2026, 8, 31)
    await deliver(db, SERVICE, completed(pid, first_exit))
    await deliver(db, SERVICE, leaving_outcome(pid, "ordinary-employment", day(5, first_exit)))
    again = await deliver(db, SERVICE, re_enrolled(pid, date(2026, 5, 1)))
    while_on_course = await deliver(db, SERVICE, leaving_outcome(pid, "job-seeking", day(6, first_exit)))
    await deliver(
        db,
        SERVICE,
        ParticipationDroppedOut(participant_id=pid, course_id="handler-tests", left_on=final_exit, reason="illness"),
    )

    first_checks = open_deadlines(first_exit)
    assert await deadlines(db, pid) == [
        closed(first_checks, "recorded")[0],
        closed(first_checks, "re-enrolled")[1],
        *open_deadlines(final_exit, exit_number=2),
    ]
    staged = await outbox_rows(db, pid)
    assert [t for t, _ in facts_of(staged, again.id)] == ["followup.check-closed"]
    assert rejection_reason(staged, while_on_course) == "not-left"
    case = await row(db, "SELECT exits, left_on, on_course FROM followup_case WHERE participant_id = :p", p=pid)
    assert case == {"exits": 2, "left_on": final_exit, "on_course": False}


async def test_a_second_exit_supersedes_the_first_exits_open_checks(db: SessionMaker) -> None:
    pid, first_exit, final_exit = uuid4(), date(2026, 3, 16), date(2026, 8, 31)
    await deliver(db, SERVICE, completed(pid, first_exit))
    second = await deliver(db, SERVICE, completed(pid, final_exit))

    assert await deadlines(db, pid) == closed(open_deadlines(first_exit), "left-again") + open_deadlines(
        final_exit, exit_number=2
    )
    assert [t for t, _ in facts_of(await outbox_rows(db, pid), second.id)] == ["followup.check-closed"] * 2 + [
        "followup.check-scheduled"
    ] * 2


async def test_a_re_entrys_exit_on_the_same_day_as_the_first_exit_is_followed_up_all_the_same(
    db: SessionMaker, service_sessions: Callable[[str], SessionMaker]
) -> None:
    """Enrolment accepts a re-entry that ends on the day the first participation ended; follow-up schedules it."""
    enrolment, pid, on = service_sessions("enrolment"), uuid4(), date(2026, 3, 16)
    course_id = await add_course(enrolment, programme_id="handler-tests")
    await refer_to_course(enrolment, pid, course_id, referred_on=on - timedelta(days=30))
    for command in (
        EnrolParticipant(participant_id=pid, programme_id="handler-tests", course_id=course_id, enrolled_on=on),
        RecordStart(participant_id=pid, started_on=on),  # only one who started can drop out (issue 18)
        RecordDropOut(participant_id=pid, dropped_out_on=on, reason="illness"),
        EnrolParticipant(participant_id=pid, programme_id="handler-tests", course_id=course_id, enrolled_on=on),
        RecordStart(participant_id=pid, started_on=on),
        RecordCompletion(participant_id=pid, completed_on=on),
    ):
        await deliver(enrolment, "enrolment", command)
    facts = [
        r
        for r in await outbox_rows(enrolment, pid)
        if r.type in ("participation.dropped-out", "participation.completed", "enrolment.confirmed")
    ]
    assert [r.type for r in facts] == [
        "enrolment.confirmed",
        "participation.dropped-out",
        "enrolment.confirmed",
        "participation.completed",
    ]

    for fact in facts:  # as the follow-up subscriber receives them from enrolment's relay
        await deliver(db, SERVICE, CloudEvent.from_kafka(fact.headers, fact.payload.encode()))

    assert [d for d in await deadlines(db, pid) if d["status"] == "open"] == open_deadlines(on, exit_number=2)


async def test_a_withdrawal_before_start_schedules_nothing(db: SessionMaker) -> None:
    pid = uuid4()
    withdrawn = ParticipationWithdrawn(
        participant_id=pid, course_id="handler-tests", withdrawn_on=date(2026, 3, 16), reason="declined"
    )
    await deliver(db, SERVICE, withdrawn)
    assert await deadlines(db, pid) == []
    assert await outbox_rows(db, pid) == []


async def test_a_re_entry_withdrawn_before_its_start_opens_the_earlier_exits_checks_again(db: SessionMaker) -> None:
    pid, first_exit = uuid4(), date(2026, 3, 16)
    await deliver(db, SERVICE, completed(pid, first_exit))
    await deliver(db, SERVICE, re_enrolled(pid, date(2026, 4, 1)))
    withdrawn = await deliver(
        db,
        SERVICE,
        ParticipationWithdrawn(
            participant_id=pid, course_id="handler-tests", withdrawn_on=date(2026, 4, 2), reason="declined"
        ),
    )

    assert await deadlines(db, pid) == open_deadlines(first_exit)
    assert [t for t, _ in facts_of(await outbox_rows(db, pid), withdrawn.id)] == ["followup.check-scheduled"] * 2


async def test_a_corrected_leaving_date_moves_the_open_checks(db: SessionMaker) -> None:
    pid, corrected_to = uuid4(), date(2026, 9, 4)
    await deliver(db, SERVICE, completed(pid))
    correction = await deliver(
        db,
        SERVICE,
        LeavingDateCorrected(
            participant_id=pid,
            course_id="handler-tests",
            left_on=corrected_to,
            previous_left_on=LEFT,
            correction_reason="entered-wrong",
        ),
    )

    assert await deadlines(db, pid) == open_deadlines(corrected_to)
    moved = [d for t, d in facts_of(await outbox_rows(db, pid), correction.id)]
    assert [(d["check"], d["left_on"]) for d in moved] == [
        ("leaving-outcome", corrected_to.isoformat()),
        ("six-month", corrected_to.isoformat()),
    ]


async def test_recording_the_leaving_outcome_counts_employment_by_the_programmes_settings(db: SessionMaker) -> None:
    pid, programme_id = uuid4(), f"wage-{uuid4().hex[:8]}"
    counts_wage_subsidy = programme(programme_id).settings.model_copy(
        update={"wage_subsidy_counts_as_employment": True, "flex_job_counts_as_employment": False}
    )
    await deliver(db, SERVICE, programme(programme_id, settings=counts_wage_subsidy))
    await deliver(db, SERVICE, fixture_referral(pid, programme_id=programme_id, case_reference="RUM-700010"))
    await deliver(db, SERVICE, completed(pid))
    wage = await deliver(db, SERVICE, leaving_outcome(pid, "wage-subsidy-job", day(7)))
    flex = await deliver(db, SERVICE, leaving_outcome(pid, "flex-job", day(8)))

    staged = await outbox_rows(db, pid)
    assert [answer_to(staged, c).data["employed"] for c in (wage, flex)] == [True, False]


async def test_a_six_month_result_observed_before_it_is_due_is_rejected_as_too_early(db: SessionMaker) -> None:
    pid = uuid4()
    await deliver(db, SERVICE, completed(pid))
    day_before_due = fund_rules.six_months_after(LEFT) - timedelta(days=1)
    command = await deliver(
        db, SERVICE, RecordSixMonthResult(participant_id=pid, situation="flex-job", observed_on=day_before_due)
    )

    assert rejection_reason(await outbox_rows(db, pid), command) == "too-early"
    assert await deadlines(db, pid) == open_deadlines(LEFT)


async def test_an_improvement_is_refused_for_a_participant_not_employed_at_entry(db: SessionMaker) -> None:
    pid = uuid4()
    await deliver(db, SERVICE, referral(pid, "RUM-700011"))  # unemployed at entry
    await deliver(db, SERVICE, completed(pid))
    command = await deliver(
        db,
        SERVICE,
        RecordSixMonthResult(
            participant_id=pid,
            situation="ordinary-employment",
            improvement="promotion",
            observed_on=fund_rules.six_months_after(LEFT),
        ),
    )

    assert rejection_reason(await outbox_rows(db, pid), command) == "improvement-not-asked"
    assert await deadlines(db, pid) == open_deadlines(LEFT)


async def test_an_improvement_is_refused_with_a_six_month_situation_that_is_not_employment(db: SessionMaker) -> None:
    # CR07 counts an improved labour-market situation: a promotion while inactive is not one (issue 18, item 6).
    pid, due = uuid4(), fund_rules.six_months_after(LEFT)
    await deliver(db, SERVICE, fixture_referral(pid, programme_id="handler-tests", labour_market_status="employed"))
    await deliver(db, SERVICE, completed(pid))
    inactive = await deliver(
        db,
        SERVICE,
        RecordSixMonthResult(participant_id=pid, situation="inactive", improvement="promotion", observed_on=due),
    )

    staged = await outbox_rows(db, pid)
    assert rejection_reason(staged, inactive) == "improvement-without-employment"
    assert "inactive" in answer_to(staged, inactive).data["detail"]
    assert await deadlines(db, pid) == open_deadlines(LEFT)

    none = await deliver(  # no improvement is a fine answer whatever the situation
        db,
        SERVICE,
        RecordSixMonthResult(participant_id=pid, situation="inactive", improvement="none", observed_on=due),
    )
    assert answer_to(await outbox_rows(db, pid), none).type == "six-month-result.recorded"
    employed = await deliver(
        db,
        SERVICE,
        RecordSixMonthResult(
            participant_id=pid, situation="self-employed", improvement="promotion", observed_on=due + timedelta(1)
        ),
    )
    answer = answer_to(await outbox_rows(db, pid), employed)
    assert (answer.type, answer.data["improvement"]) == ("six-month-result.recorded", "promotion")


async def test_a_re_referral_after_an_exit_keeps_the_first_entrys_employment_at_entry(db: SessionMaker) -> None:
    # Entry data come from the first entry (issue 18, item 2): a later referral saying "employed" changes nothing.
    pid = uuid4()
    await deliver(db, SERVICE, fixture_referral(pid, programme_id="handler-tests", labour_market_status="unemployed"))
    await deliver(db, SERVICE, completed(pid))
    again = fixture_referral(pid, programme_id="handler-tests", labour_market_status="employed", municipality="727")
    await deliver(db, SERVICE, again)

    case = await row(db, "SELECT employed_at_entry FROM followup_case WHERE participant_id = :p", p=pid)
    assert case == {"employed_at_entry": False}


async def test_a_re_referral_before_any_entry_states_the_employment_at_entry(db: SessionMaker) -> None:
    # Referred, withdrew before starting, referred again: the referral that leads to the first start is the entry's.
    pid = uuid4()
    await deliver(db, SERVICE, fixture_referral(pid, programme_id="handler-tests", labour_market_status="unemployed"))
    await deliver(db, SERVICE, fixture_referral(pid, programme_id="handler-tests", labour_market_status="employed"))

    case = await row(db, "SELECT employed_at_entry FROM followup_case WHERE participant_id = :p", p=pid)
    assert case == {"employed_at_entry": True}


async def test_a_result_that_overtakes_its_exit_waits_for_it(db: SessionMaker) -> None:
    pid = uuid4()
    command = to_event(leaving_outcome(pid, "job-seeking", day(3)), source="tests")
    with pytest.raises(AwaitingFact):  # retried like an outage: the exit is on enrolment's topic already
        await apply(db, SERVICE, command)
    await deliver(db, SERVICE, completed(pid))
    assert await apply(db, SERVICE, command)
    assert answer_to(await outbox_rows(db, pid), command).type == "leaving-outcome.recorded"


async def test_a_result_for_someone_who_never_left_is_rejected_as_not_left_once_no_exit_can_be_on_its_way(
    db: SessionMaker,
) -> None:
    pid = uuid4()
    fresh = to_event(leaving_outcome(pid, "job-seeking", date(2026, 5, 1)), source="tests")
    command = fresh.model_copy(update={"time": fresh.time - EXIT_GRACE - timedelta(seconds=1)})
    assert await apply(db, SERVICE, command)

    staged = await outbox_rows(db, pid)
    assert [r.type for r in staged] == ["command.rejected"]
    assert rejection_reason(staged, command) == "not-left"
    assert await deadlines(db, pid) == []


async def test_a_referral_names_the_case_its_caseworker_sub_project_and_status_at_entry(db: SessionMaker) -> None:
    pid = uuid4()
    await deliver(db, SERVICE, referral(pid, "RUM-700001"))

    case = await row(
        db,
        "SELECT case_reference, caseworker_email, programme_id, employed_at_entry, left_on FROM followup_case"
        " WHERE participant_id = :p",
        p=pid,
    )
    assert case == {
        "case_reference": "RUM-700001",
        "caseworker_email": "caseworker@aarhus.example.dk",
        "programme_id": "handler-tests",
        "employed_at_entry": False,
        "left_on": None,
    }
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


async def test_the_catalogue_tells_follow_up_each_sub_projects_coordinator(db: SessionMaker) -> None:
    programme_id = f"coord-{uuid4().hex[:8]}"
    await deliver(db, SERVICE, subproject(f"sub-{programme_id}", programme_id, coordinator_email="k@example.dk"))
    found = await row(db, "SELECT coordinator_email FROM subproject_coordinator WHERE id = :s", s=f"sub-{programme_id}")
    assert found == {"coordinator_email": "k@example.dk"}


async def test_an_erased_participant_is_asked_about_no_more_and_the_case_is_forgotten(db: SessionMaker) -> None:
    pid = uuid4()
    await deliver(db, SERVICE, referral(pid, "RUM-700012"))
    await deliver(db, SERVICE, completed(pid))
    erased = await deliver(
        db, SERVICE, ParticipantErased(participant_id=pid, erased_on=date(2026, 9, 1), basis="request")
    )

    assert await deadlines(db, pid) == closed(open_deadlines(LEFT), "erased")
    case = await row(db, "SELECT case_reference, caseworker_email FROM followup_case WHERE participant_id = :p", p=pid)
    assert case == {"case_reference": None, "caseworker_email": None}
    assert [d["reason"] for t, d in facts_of(await outbox_rows(db, pid), erased.id)] == ["erased", "erased"]
