"""Reporting's projection through its consumer, on a real migrated PostgreSQL, without Kafka.

Each fact sets a milestone on the participant's row, in whatever order the facts arrive, and only once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.contracts import (
    DisadvantagesAtEntry,
    EnrolmentConfirmed,
    LeavingOutcomeRecorded,
    ParticipantEntered,
    ParticipationCompleted,
    ParticipationDroppedOut,
    ParticipationStarted,
    ReferralRegistered,
    to_event,
)
from shared.db import SessionMaker
from shared.envelope import CloudEvent
from tests.fixtures.events import leaving_outcome_recorded
from tests.fixtures.events import referral as fixture_referral
from tests.fixtures.handlers import apply, deliver, execute, outbox_rows, processed, row, rows
from tests.fixtures.records import recorded

SERVICE = "reporting"
PROGRAMME = "reporting-handler-tests"
LEFT = date(2026, 4, 20)


@pytest.fixture
def db(service_sessions: Callable[[str], SessionMaker]) -> SessionMaker:
    """Sessions on reporting's database."""
    return service_sessions(SERVICE)


def referral(pid: UUID) -> ReferralRegistered:
    return fixture_referral(
        pid,
        case_reference="RUM-800001",
        programme_id=PROGRAMME,
        gender="non-binary",
        age_band="under-25",
        under_25=True,
        labour_market_status="inactive",
        months_unemployed=None,
        long_term_unemployed=False,
        benefit="uddannelseshjaelp",
        disadvantages=DisadvantagesAtEntry(disability="yes"),
        age_band_esf_plus="18-29",
    )


def enrolled(pid: UUID) -> EnrolmentConfirmed:
    return EnrolmentConfirmed(
        participant_id=pid, programme_id=PROGRAMME, subproject_id="sub", course_id="c1", enrolled_on=date(2026, 1, 12)
    )


def completed(pid: UUID) -> ParticipationCompleted:
    return ParticipationCompleted(participant_id=pid, course_id="c1", left_on=LEFT)


def employed_on_day(pid: UUID, days_after_leaving: int) -> LeavingOutcomeRecorded:
    return leaving_outcome_recorded(
        pid, "ordinary-employment", observed_on=LEFT + timedelta(days=days_after_leaving), left_on=LEFT
    )


async def progress(db: SessionMaker, pid: UUID | str) -> dict[str, Any] | None:
    return await row(
        db,
        "SELECT programme_id, subproject_id, municipality, gender, age_band, referred, enrolled, completed, left_on,"
        " employed_upon_leaving, employed_six_months FROM participant_progress WHERE participant_id = :p",
        p=UUID(str(pid)),
    )


async def the_whole_path(db: SessionMaker, pid: UUID, *, outcome_on_day: int) -> None:
    for fact in (referral(pid), enrolled(pid), completed(pid), employed_on_day(pid, outcome_on_day)):
        await deliver(db, SERVICE, fact)


async def test_a_participant_employed_within_four_weeks_counts_on_every_milestone(db: SessionMaker) -> None:
    pid = uuid4()
    await the_whole_path(db, pid, outcome_on_day=28)

    assert await progress(db, pid) == {
        "programme_id": PROGRAMME,
        "subproject_id": "sub",
        "municipality": "751",
        "gender": "non-binary",
        "age_band": "under-25",
        "referred": True,
        "enrolled": True,
        "completed": True,
        "left_on": LEFT,
        "employed_upon_leaving": True,
        "employed_six_months": False,
    }
    assert await outbox_rows(db, pid) == []  # a projection publishes nothing


async def test_a_leaving_outcome_observed_on_day_29_does_not_count_as_employed_upon_leaving(db: SessionMaker) -> None:
    pid = uuid4()
    await the_whole_path(db, pid, outcome_on_day=29)

    found = await progress(db, pid)
    assert found is not None
    assert (found["completed"], found["left_on"], found["employed_upon_leaving"]) == (True, LEFT, False)


async def test_a_drop_out_sets_the_leaving_date_but_not_completed(db: SessionMaker) -> None:
    pid, left_on = uuid4(), date(2026, 3, 2)
    for fact in (referral(pid), enrolled(pid)):
        await deliver(db, SERVICE, fact)
    await deliver(
        db, SERVICE, ParticipationDroppedOut(participant_id=pid, course_id="c1", left_on=left_on, reason="moved")
    )

    found = await progress(db, pid)
    assert found is not None
    assert (found["referred"], found["enrolled"], found["completed"], found["left_on"]) == (True, True, False, left_on)


async def test_a_fact_before_the_referral_creates_the_row_and_the_referral_fills_in_the_breakdowns(
    db: SessionMaker,
) -> None:
    pid = uuid4()
    await deliver(db, SERVICE, enrolled(pid))

    early = await progress(db, pid)
    assert early is not None
    assert (early["enrolled"], early["referred"], early["programme_id"], early["gender"], early["age_band"]) == (
        True,
        False,
        None,
        None,
        None,
    )

    await deliver(db, SERVICE, referral(pid))

    late = await progress(db, pid)
    assert late is not None
    assert (late["enrolled"], late["referred"], late["programme_id"], late["gender"], late["age_band"]) == (
        True,
        True,
        PROGRAMME,
        "non-binary",
        "under-25",
    )


async def test_the_same_fact_twice_changes_nothing_the_second_time(db: SessionMaker) -> None:
    pid = uuid4()
    await deliver(db, SERVICE, referral(pid))
    outcome = to_event(employed_on_day(pid, 3), source="tests")
    assert await apply(db, SERVICE, outcome) is True
    once = await row(db, "SELECT * FROM participant_progress WHERE participant_id = :p", p=pid)

    assert await apply(db, SERVICE, outcome) is False

    assert await row(db, "SELECT * FROM participant_progress WHERE participant_id = :p", p=pid) == once
    assert await rows(db, "SELECT consumer FROM processed_event WHERE event_id = :e", e=outcome.id) == [
        {"consumer": SERVICE}
    ]


async def test_a_kept_v1_referral_record_is_upcast_and_projected(db: SessionMaker) -> None:
    record = recorded("referral.registered.v1")
    event = CloudEvent.from_kafka(record["headers"], record["value"].encode())
    assert (event.type, event.version) == ("referral.registered", 1)
    # The record's ids are fixed: start from nothing, so the test also holds when the session's database is reused.
    await execute(db, "DELETE FROM processed_event WHERE event_id = :e", e=event.id)
    await execute(db, "DELETE FROM participant_progress WHERE participant_id = :p", p=UUID(event.subject))

    await deliver(db, SERVICE, event)

    assert await processed(db, SERVICE, event.id)
    assert await progress(db, event.subject) == {
        "programme_id": "upcast-tests",
        "subproject_id": "war-veterans-aarhus",
        "municipality": "751",
        "gender": "male",
        "age_band": "over-54",
        "referred": True,
        "enrolled": False,
        "completed": False,
        "left_on": None,
        "employed_upon_leaving": False,
        "employed_six_months": False,
    }


async def test_after_a_re_entry_only_the_final_exit_counts(db: SessionMaker) -> None:
    pid, final_exit = uuid4(), LEFT + timedelta(days=90)
    await the_whole_path(db, pid, outcome_on_day=5)  # completed, employed upon leaving
    dropped_out = ParticipationDroppedOut(participant_id=pid, course_id="c1", left_on=final_exit, reason="illness")
    await deliver(db, SERVICE, dropped_out)

    found = await progress(db, pid)
    assert found is not None
    assert (found["completed"], found["left_on"], found["employed_upon_leaving"]) == (False, final_exit, False)


async def test_a_result_of_the_final_exit_that_arrives_before_its_exit_fact_is_kept(db: SessionMaker) -> None:
    pid, final_exit = uuid4(), LEFT + timedelta(days=90)
    await the_whole_path(db, pid, outcome_on_day=5)
    early = leaving_outcome_recorded(
        pid, "ordinary-employment", observed_on=final_exit + timedelta(days=3), left_on=final_exit, exit_number=2
    )
    await deliver(db, SERVICE, early)  # on follow-up's topic, ahead of the exit on enrolment's
    await deliver(db, SERVICE, completed(pid).model_copy(update={"left_on": final_exit}))

    found = await progress(db, pid)
    assert found is not None
    assert (found["completed"], found["left_on"], found["employed_upon_leaving"]) == (True, final_exit, True)


async def test_a_result_follow_up_says_does_not_count_changes_nothing(db: SessionMaker) -> None:
    pid = uuid4()
    await the_whole_path(db, pid, outcome_on_day=5)
    older = leaving_outcome_recorded(pid, "job-seeking", observed_on=LEFT + timedelta(days=2), left_on=LEFT)
    await deliver(db, SERVICE, older.model_copy(update={"counts": False}))  # an earlier observation, kept as history

    found = await progress(db, pid)
    assert found is not None and found["employed_upon_leaving"] is True


async def test_the_row_does_not_depend_on_the_order_facts_arrive_in_from_different_topics(db: SessionMaker) -> None:
    """One participant's facts come from three topics read apart: live and a rebuild may apply them in other orders."""
    late = leaving_outcome_recorded(uuid4(), "job-seeking", observed_on=LEFT + timedelta(days=40), left_on=LEFT)
    in_time = leaving_outcome_recorded(
        uuid4(), "ordinary-employment", observed_on=LEFT + timedelta(days=3), left_on=LEFT
    )
    entered = ParticipantEntered(
        participant_id=uuid4(),
        programme_id=PROGRAMME,
        entered_on=date(2026, 1, 19),
        age_band="25-54",
        age_band_esf_plus="18-29",
        under_25=False,
        over_54=False,
        long_term_unemployed=True,
    )
    started = ParticipationStarted(participant_id=uuid4(), course_id="c1", started_on=date(2026, 1, 19))

    def history(pid: UUID) -> list[Any]:
        return [
            referral(pid),
            enrolled(pid),
            started.model_copy(update={"participant_id": pid}),
            entered.model_copy(update={"participant_id": pid}),
            completed(pid),
            late.model_copy(update={"participant_id": pid}),
            in_time.model_copy(update={"participant_id": pid}),
        ]

    rows = []
    for order in ([0, 1, 2, 3, 4, 5, 6], [5, 6, 4, 3, 2, 1, 0], [2, 4, 0, 6, 3, 5, 1]):
        pid = uuid4()
        facts = history(pid)
        for i in order:
            await deliver(db, SERVICE, facts[i])
        found = await row(db, "SELECT * FROM participant_progress WHERE participant_id = :p", p=pid)
        assert found is not None
        rows.append({k: v for k, v in found.items() if k not in ("participant_id", "last_event_at")})
    assert rows[0] == rows[1] == rows[2]
    assert (rows[0]["upon_leaving_late"], rows[0]["labour_market_status"], rows[0]["age_band"]) == (
        True,
        "inactive",
        "25-54",
    )
