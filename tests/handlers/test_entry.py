"""The entry: on the first start intake publishes the characteristics at entry, judged on the start date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import uuid4

import pytest

from services.intake.cpr import parse_cpr
from services.intake.handlers import handlers
from services.intake.personal_data.service import erase
from services.intake.referrals.domain import Referral
from services.intake.referrals.service import Registered, register_referral
from services.intake.tables import Participant
from services.intake.vault import Vault
from shared.auth import Principal
from shared.consumer import Consumer
from shared.contracts import (
    DisadvantagesAtEntry,
    ParticipationCompleted,
    ParticipationStarted,
    StartCorrected,
    to_event,
)
from shared.db import SessionMaker, unit_of_work
from shared.registry import Contract
from tests.fixtures.handlers import outbox_rows, topic_for
from tests.fixtures.vaults import fresh_vault

CASEWORKER = Principal("caseworker-1", "caseworker@aarhus.example.dk", frozenset({"caseworker"}), "751")
CPR = "160601-4237"  # synthetic: born 16 June 2001, so 24 until 15 June 2026 and 25 from 16 June 2026


@pytest.fixture
def db(service_sessions: Callable[[str], SessionMaker]) -> SessionMaker:
    """Sessions on intake's database."""
    return service_sessions("intake")


@pytest.fixture
def vault() -> Vault:
    """A vault with fresh keys for one test."""
    return fresh_vault()


async def referred(db: SessionMaker, vault: Vault, *, months_unemployed: int) -> Registered:
    referral = Referral(
        cpr=parse_cpr(CPR),
        name="Asta Testesen",
        programme_id=f"entry-{uuid4().hex[:10]}",
        subproject_id="sub",
        target_group="war-veterans",
        labour_market_status="unemployed",
        months_unemployed=months_unemployed,
        education_level="isced-3-4",
        benefit="kontanthjaelp",
        gender=None,
        disadvantages=DisadvantagesAtEntry(),
        referred_on=date(2026, 3, 2),  # 24 then
        consent_text_version="samtykke-2024-1",
    )
    async with unit_of_work(db) as session:
        outcome = await register_referral(
            session, vault=vault, referral=referral, principal=CASEWORKER, today=date(2026, 3, 2)
        )
    assert isinstance(outcome, Registered)
    return outcome


async def consume(db: SessionMaker, vault: Vault, fact: Contract) -> None:
    """Apply a fact through intake's consumer as its composition root wires it (the vault bound to the entry)."""
    event = to_event(fact, source="tests")
    consumer = Consumer("intake", handlers(vault))
    assert await consumer.apply(db, event, topic=topic_for("intake", event))


async def entries(db: SessionMaker, participant: Registered) -> list[dict[str, object]]:
    return [r.data for r in await outbox_rows(db, participant.id) if r.type == "participant.entered"]


async def test_the_age_and_long_term_unemployment_at_entry_are_judged_on_the_start_date(
    db: SessionMaker, vault: Vault
) -> None:
    participant = await referred(db, vault, months_unemployed=9)  # 9 months at 24: long-term on the referral date
    await consume(
        db, vault, ParticipationStarted(participant_id=participant.id, course_id="c", started_on=date(2026, 6, 16))
    )

    [entered] = await entries(db, participant)
    # 25 on the start date, and 12 months unemployed by then (9 + 3): not long-term for a 25-year-old
    assert entered == {
        "participant_id": str(participant.id),
        "programme_id": participant.programme_id,
        "entered_on": "2026-06-16",
        "age_band": "25-54",
        "age_band_esf_plus": "18-29",
        "under_25": False,
        "over_54": False,
        "long_term_unemployed": False,
    }
    assert "160601" not in str(entered) and "2001" not in str(entered)  # no birth date leaves intake


async def test_a_re_entry_keeps_the_first_entry_and_a_corrected_first_start_judges_it_again(
    db: SessionMaker, vault: Vault
) -> None:
    participant = await referred(db, vault, months_unemployed=9)
    first = ParticipationStarted(participant_id=participant.id, course_id="c", started_on=date(2026, 6, 16))
    await consume(db, vault, first)
    await consume(
        db, vault, ParticipationCompleted(participant_id=participant.id, course_id="c", left_on=date(2026, 8, 1))
    )
    await consume(
        db, vault, ParticipationStarted(participant_id=participant.id, course_id="d", started_on=date(2026, 9, 1))
    )
    assert [e["entered_on"] for e in await entries(db, participant)] == ["2026-06-16"]  # the re-entry adds none

    corrected = StartCorrected(
        participant_id=participant.id,
        course_id="c",
        started_on=date(2026, 6, 15),
        previous_started_on=date(2026, 6, 16),
        correction_reason="entered-wrong",
    )
    await consume(db, vault, corrected)
    latest = (await entries(db, participant))[-1]
    assert (latest["entered_on"], latest["age_band"], latest["long_term_unemployed"]) == (
        "2026-06-15",
        "under-25",
        True,
    )


async def test_a_start_after_the_personal_data_were_erased_goes_on_the_timeline_and_judges_no_entry(
    db: SessionMaker, vault: Vault
) -> None:
    participant = await referred(db, vault, months_unemployed=9)
    async with unit_of_work(db) as session:
        stored = await session.get(Participant, participant.id)
        assert stored is not None
        assert await erase(session, stored, basis="request", principal=CASEWORKER, today=date(2026, 6, 1))
    await consume(
        db, vault, ParticipationStarted(participant_id=participant.id, course_id="c", started_on=date(2026, 6, 16))
    )
    assert await entries(db, participant) == []  # the birth date went with the CPR number
