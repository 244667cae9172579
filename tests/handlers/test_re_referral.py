"""A citizen referred again: after the case ended it is the same participant; while it is open, or elsewhere, not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.intake.cpr import parse_cpr
from services.intake.deps import find_participant
from services.intake.referrals.domain import Referral
from services.intake.referrals.service import Registered, register_referral
from services.intake.vault import Vault
from shared.auth import Principal
from shared.contracts import (
    DisadvantagesAtEntry,
    EnrolmentConfirmed,
    ParticipationCompleted,
    ParticipationStarted,
    ParticipationWithdrawn,
)
from shared.db import SessionMaker, unit_of_work
from shared.rejection import Rejection
from shared.topics import REFERRAL_EVENTS
from tests.fixtures.events import check_scheduled, leaving_outcome_recorded, six_month_result_recorded
from tests.fixtures.handlers import deliver, rows
from tests.fixtures.vaults import fresh_vault

AARHUS = Principal("caseworker-1", "caseworker@aarhus.example.dk", frozenset({"caseworker"}), "751")
ODDER = Principal("caseworker-9", "caseworker@odder.example.dk", frozenset({"caseworker"}), "727")
CPR = "150670-1233"  # synthetic
LEFT = date(2025, 6, 30)


@pytest.fixture
def db(service_sessions: Callable[[str], SessionMaker]) -> SessionMaker:
    """Sessions on intake's database."""
    return service_sessions("intake")


@pytest.fixture
def vault() -> Vault:
    """A vault with fresh keys for one test, so its CPR hash meets no other test's."""
    return fresh_vault()


def referral(programme: str, referred_on: date) -> Referral:
    return Referral(
        cpr=parse_cpr(CPR),
        name="Asta Testesen",
        programme_id=programme,
        subproject_id="sub",
        target_group="war-veterans",
        labour_market_status="inactive",
        education_level="isced-3-4",
        benefit="kontanthjaelp",
        gender=None,
        disadvantages=DisadvantagesAtEntry(),
        referred_on=referred_on,
        consent_text_version="samtykke-2024-1",
    )


async def attempt(
    db: SessionMaker,
    vault: Vault,
    programme: str,
    on: date = date(2025, 1, 6),
    by: Principal = AARHUS,
    **stated: Any,
) -> Registered | Rejection:
    async with unit_of_work(db) as session:  # committed even when refused, as the API does
        return await register_referral(
            session,
            vault=vault,
            referral=replace(referral(programme, on), **stated),
            principal=by,
            today=date(2026, 1, 5),
        )


async def refer(
    db: SessionMaker, vault: Vault, programme: str, on: date = date(2025, 1, 6), by: Principal = AARHUS, **stated: Any
) -> Registered:
    outcome = await attempt(db, vault, programme, on, by, **stated)
    assert isinstance(outcome, Registered), outcome
    return outcome


async def refused(db: SessionMaker, vault: Vault, programme: str, **kwargs: Any) -> Rejection:
    outcome = await attempt(db, vault, programme, **kwargs)
    assert isinstance(outcome, Rejection), outcome
    assert outcome.reason == "already-referred"
    return outcome


async def referrals_published(db: SessionMaker, programme: str) -> list[str]:
    found = await rows(
        db,
        "SELECT key FROM outbox_message WHERE topic = :t AND payload::jsonb ->> 'programme_id' = :p ORDER BY id",
        t=REFERRAL_EVENTS,
        p=programme,
    )
    return [str(r["key"]) for r in found]


async def ended_after_a_start(db: SessionMaker, vault: Vault, pid: UUID, programme: str) -> None:
    """Started (the fund's entry, judged by intake), completed, and both results recorded: the case has ended."""
    started = ParticipationStarted(participant_id=pid, course_id="c", started_on=date(2025, 1, 20))
    await deliver(db, "intake", started, vault=vault)
    await completed_with_checks(db, pid, programme)
    await deliver(db, "intake", leaving_outcome_recorded(pid, "job-seeking", observed_on=LEFT, left_on=LEFT))
    six_months = six_month_result_recorded(pid, "inactive", observed_on=date(2025, 12, 30), left_on=LEFT)
    await deliver(db, "intake", six_months)


async def entry_data(db: SessionMaker, pid: UUID) -> dict[str, Any]:
    found = await rows(db, "SELECT entered_on, municipality, characteristics FROM participant WHERE id = :p", p=pid)
    assert len(found) == 1
    return found[0]


async def completed_with_checks(db: SessionMaker, pid: UUID, programme: str) -> None:
    facts = [
        EnrolmentConfirmed(
            participant_id=pid,
            programme_id=programme,
            subproject_id="sub",
            course_id="c",
            enrolled_on=date(2025, 1, 13),
            re_entry=False,
        ),
        ParticipationCompleted(participant_id=pid, course_id="c", left_on=LEFT),
        check_scheduled(pid, "leaving-outcome", left_on=LEFT, due_on=date(2025, 7, 28)),
        check_scheduled(pid, "six-month", left_on=LEFT, due_on=date(2025, 12, 30)),
    ]
    for fact in facts:
        await deliver(db, "intake", fact)


async def test_after_a_withdrawal_the_citizen_is_referred_again_as_the_same_participant(
    db: SessionMaker, vault: Vault
) -> None:
    programme = f"re-{uuid4().hex[:10]}"
    first = await refer(db, vault, programme)
    await deliver(
        db,
        "intake",
        ParticipationWithdrawn(
            participant_id=first.id, course_id="c", withdrawn_on=date(2025, 1, 20), reason="declined"
        ),
    )
    again = await refer(db, vault, programme, on=date(2025, 9, 1))

    assert (again.id, again.case_reference) == (first.id, first.case_reference)  # one record for the fund
    assert await referrals_published(db, programme) == [str(first.id), str(first.id)]
    stored = await rows(db, "SELECT referred_on FROM participant WHERE id = :p", p=first.id)
    assert stored == [{"referred_on": date(2025, 9, 1)}]  # one row, of the second referral


async def test_while_the_case_is_open_a_second_referral_is_refused_naming_the_case(
    db: SessionMaker, vault: Vault
) -> None:
    programme = f"re-{uuid4().hex[:10]}"
    first = await refer(db, vault, programme)
    await completed_with_checks(db, first.id, programme)

    open_case = await refused(db, vault, programme, on=date(2025, 9, 1))  # left, but the checks are still open
    assert first.case_reference in open_case.detail

    await deliver(
        db,
        "intake",
        leaving_outcome_recorded(first.id, "job-seeking", observed_on=LEFT, left_on=LEFT),
    )
    await refused(db, vault, programme, on=date(2025, 9, 1))  # the six-month check is still open
    await deliver(
        db,
        "intake",
        six_month_result_recorded(first.id, "ordinary-employment", observed_on=date(2025, 12, 30), left_on=LEFT),
    )
    again = await refer(db, vault, programme, on=date(2026, 1, 5))
    assert again.id == first.id


async def test_a_citizen_referred_in_another_municipality_gets_a_neutral_refusal_and_the_look_up_is_audited(
    db: SessionMaker, vault: Vault
) -> None:
    programme = f"re-{uuid4().hex[:10]}"
    first = await refer(db, vault, programme)

    elsewhere = await refused(db, vault, programme, by=ODDER)
    assert first.case_reference not in elsewhere.detail
    audited = await rows(db, "SELECT actor, action FROM audit_entry WHERE participant_id = :p", p=first.id)
    assert audited == [{"actor": "caseworker-9", "action": "duplicate-lookup"}]


async def test_a_re_referral_after_the_first_entry_keeps_that_entrys_characteristics(
    db: SessionMaker, vault: Vault
) -> None:
    # One record for the fund: entry data from the first entry, whatever a later referral states (issue 18, item 2).
    programme = f"re-{uuid4().hex[:10]}"
    first = await refer(db, vault, programme, months_unemployed=20)
    await ended_after_a_start(db, vault, first.id, programme)
    before = await entry_data(db, first.id)

    again = await refer(
        db,
        vault,
        programme,
        on=date(2026, 1, 5),
        labour_market_status="employed",
        education_level="isced-5-8",
        months_unemployed=None,
    )

    assert again.id == first.id
    after = await entry_data(db, first.id)
    assert after["entered_on"] == before["entered_on"] == date(2025, 1, 20)
    kept = ("labour_market_status", "months_unemployed", "long_term_unemployed", "education_level", "referred_on")
    assert {k: after["characteristics"][k] for k in kept} == {
        "labour_market_status": "inactive",
        "months_unemployed": 20,
        "long_term_unemployed": True,
        "education_level": "isced-3-4",
        "referred_on": "2025-01-06",
    }
    assert after["characteristics"] == before["characteristics"]


async def test_a_re_referral_of_someone_who_never_started_gives_the_characteristics_at_entry(
    db: SessionMaker, vault: Vault
) -> None:
    # Enrolled, withdrew before starting: not entered, so the referral that leads to the first start is the entry's.
    programme = f"re-{uuid4().hex[:10]}"
    first = await refer(db, vault, programme)
    withdrawn = ParticipationWithdrawn(
        participant_id=first.id, course_id="c", withdrawn_on=date(2025, 1, 20), reason="declined"
    )
    await deliver(db, "intake", withdrawn)
    await refer(db, vault, programme, on=date(2025, 9, 1), labour_market_status="employed")

    found = await entry_data(db, first.id)
    assert found["entered_on"] is None
    assert (found["characteristics"]["labour_market_status"], found["characteristics"]["referred_on"]) == (
        "employed",
        "2025-09-01",
    )


async def test_after_the_case_ended_another_municipality_refers_the_same_participant_and_the_first_loses_sight(
    db: SessionMaker, vault: Vault
) -> None:
    # A citizen who moved is one participant, now in the new municipality (issue 18, item 3).
    programme = f"re-{uuid4().hex[:10]}"
    first = await refer(db, vault, programme)
    await ended_after_a_start(db, vault, first.id, programme)

    again = await refer(db, vault, programme, on=date(2026, 1, 5), by=ODDER)

    assert (again.id, again.case_reference) == (first.id, first.case_reference)
    assert (await entry_data(db, first.id))["municipality"] == "727"
    async with db() as session:
        assert await find_participant(session, first.id, principal=AARHUS) is None
        assert await find_participant(session, first.id, principal=ODDER) is not None


async def test_while_the_case_is_open_after_leaving_another_municipality_is_still_refused_neutrally(
    db: SessionMaker, vault: Vault
) -> None:
    programme = f"re-{uuid4().hex[:10]}"
    first = await refer(db, vault, programme)
    await completed_with_checks(db, first.id, programme)  # left, the checks still open

    elsewhere = await refused(db, vault, programme, on=date(2025, 9, 1), by=ODDER)
    assert first.case_reference not in elsewhere.detail
    audited = await rows(db, "SELECT actor, action FROM audit_entry WHERE participant_id = :p", p=first.id)
    assert audited == [{"actor": "caseworker-9", "action": "duplicate-lookup"}]
