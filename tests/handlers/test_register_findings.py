"""A register's six-month finding in follow-up, on a migrated PostgreSQL without Kafka: kept beside the check; by the
programme's setting it closes the check and its reminders (decide), or changes nothing (verify), or is ignored (off)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.contracts import (
    ParticipationCompleted,
    RecordSixMonthResult,
    RegisterUse,
    to_event,
)
from shared.db import SessionMaker
from shared.fund_rules import six_months_after
from tests.fixtures.events import SETTINGS, programme, register_observed
from tests.fixtures.events import referral as fixture_referral
from tests.fixtures.handlers import apply, deliver, outbox_rows, row

SERVICE = "followup"
LEFT = date(2026, 3, 31)
DUE = six_months_after(LEFT)


@pytest.fixture
def db(service_sessions: Callable[[str], SessionMaker]) -> SessionMaker:
    """Sessions on follow-up's database."""
    return service_sessions(SERVICE)


async def left(db: SessionMaker, use: RegisterUse) -> UUID:
    """A participant of a programme of the test's own with the setting given, who completed on LEFT."""
    programme_id, pid = f"rf-{uuid4().hex[:10]}", uuid4()
    settings = SETTINGS.model_copy(update={"register_results": use})
    await deliver(db, SERVICE, programme(programme_id, settings=settings))
    await deliver(
        db, SERVICE, fixture_referral(pid, case_reference=f"RUM-{pid.int % 10**9:09d}", programme_id=programme_id)
    )
    await deliver(db, SERVICE, ParticipationCompleted(participant_id=pid, course_id="rf", left_on=LEFT))
    return pid


async def six_month_check(db: SessionMaker, pid: UUID) -> dict[str, Any]:
    found = await row(
        db,
        "SELECT status, closed_reason, next_at, register_finding, register_situation FROM deadline"
        " WHERE participant_id = :p AND check_kind = 'six-month'",
        p=pid,
    )
    assert found is not None
    return found


async def closings(db: SessionMaker, pid: UUID) -> list[dict[str, Any]]:
    return [r.data for r in await outbox_rows(db, pid) if r.type == "followup.check-closed"]


async def test_decide_closes_the_check_and_its_reminders_with_the_register_as_the_reason(db: SessionMaker) -> None:
    pid = await left(db, "decide")
    assert (await six_month_check(db, pid))["next_at"] is not None  # reminders were planned
    fact = await deliver(db, SERVICE, register_observed(pid, "job-seeking", left_on=LEFT))
    assert await six_month_check(db, pid) == {
        "status": "closed",
        "closed_reason": "register-observed",
        "next_at": None,
        "register_finding": "job-seeking",
        "register_situation": "job-seeking",
    }
    [closing] = [r for r in await outbox_rows(db, pid) if r.type == "followup.check-closed"]
    assert closing.causation == fact.id
    assert closing.data == {
        "participant_id": str(pid),
        "check": "six-month",
        "exit_number": 1,
        "left_on": LEFT.isoformat(),
        "reason": "register-observed",
    }
    # the same fact again changes nothing, and publishes nothing
    assert not await apply(db, SERVICE, fact)
    assert len(await closings(db, pid)) == 1


async def test_decide_leaves_the_check_to_the_caseworker_where_the_register_cannot_tell(db: SessionMaker) -> None:
    pid = await left(db, "decide")
    await deliver(db, SERVICE, register_observed(pid, "self-supporting", left_on=LEFT))
    check = await six_month_check(db, pid)
    assert (check["status"], check["register_finding"], check["register_situation"]) == (
        "open",
        "self-supporting",
        None,
    )
    assert check["next_at"] is not None and await closings(db, pid) == []


async def test_verify_keeps_the_finding_beside_an_open_check_and_its_reminders(db: SessionMaker) -> None:
    pid = await left(db, "verify")
    await deliver(db, SERVICE, register_observed(pid, "employed", left_on=LEFT))
    check = await six_month_check(db, pid)
    assert (check["status"], check["register_finding"], check["register_situation"]) == (
        "open",
        "employed",
        "ordinary-employment",
    )
    assert check["next_at"] is not None and await closings(db, pid) == []


async def test_off_ignores_the_register(db: SessionMaker) -> None:
    pid = await left(db, "off")
    await deliver(db, SERVICE, register_observed(pid, "employed", left_on=LEFT))
    check = await six_month_check(db, pid)
    assert (check["status"], check["register_finding"]) == ("open", None)


async def test_a_check_the_caseworker_answered_stays_answered_and_gets_the_finding_beside(db: SessionMaker) -> None:
    pid = await left(db, "decide")
    record = RecordSixMonthResult(participant_id=pid, situation="education", observed_on=DUE, improvement=None)
    await apply(db, SERVICE, to_event(record, source="tests"))
    await deliver(db, SERVICE, register_observed(pid, "job-seeking", left_on=LEFT))
    check = await six_month_check(db, pid)
    assert (check["status"], check["closed_reason"], check["register_finding"]) == ("closed", "recorded", "job-seeking")
    assert [c["reason"] for c in await closings(db, pid)] == ["recorded"]
