"""The six-month figures with a register, on reporting's migrated PostgreSQL without Kafka: self-reported, register-
observed and counted by the programme's setting, the agreement between caseworkers and the register, and a finding
that a later exit replaces."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.reporting.queries import programme_counts
from shared import fund_rules
from shared.contracts import ParticipationCompleted, ParticipationStarted, RegisterUse
from shared.db import SessionMaker
from tests.fixtures.cohort import LEFT, SERVICE, Cohort
from tests.fixtures.events import SETTINGS, programme, register_observed, six_month_result_recorded
from tests.fixtures.handlers import row


@pytest.fixture
def db(service_sessions: Callable[[str], SessionMaker]) -> SessionMaker:
    return service_sessions(SERVICE)


async def cohort_with(db: SessionMaker, use: RegisterUse) -> Cohort:
    """Four participants who left on LEFT, their programme's setting `use`:
    A recorded job-seeking, the register found employment; B recorded ordinary employment, the register found
    job-seeking; C has no record, the register found employment; D recorded ordinary employment, the register found
    no benefit and no wages (it cannot tell)."""
    cohort = Cohort(db, f"rgf-{uuid4().hex[:10]}")
    settings = SETTINGS.model_copy(update={"register_results": use})
    await cohort.facts(programme(cohort.programme, fund="esf-2014-2020", settings=settings))
    for recorded, finding in (
        ("job-seeking", "employed"),
        ("ordinary-employment", "job-seeking"),
        (None, "employed"),
        ("ordinary-employment", "self-supporting"),
    ):
        pid = await cohort.participant()
        await cohort.facts(register_observed(pid, finding, left_on=LEFT))  # type: ignore[arg-type]
        if recorded is not None:
            await cohort.facts(
                six_month_result_recorded(pid, recorded, observed_on=date(2026, 10, 2), left_on=LEFT)  # type: ignore[arg-type]
            )
    return cohort


READINGS = ("employed-six-months-after", "CR06", "CR06-self-reported", "CR06-register-observed")


async def test_with_decide_the_register_counts_where_it_can_tell_and_the_caseworker_elsewhere(db: SessionMaker) -> None:
    cohort = await cohort_with(db, "decide")
    values = await cohort.values()
    # counted: A and C by the register, D by the caseworker (the register cannot tell), B not (job-seeking)
    assert {f: values[f] for f in READINGS} == {
        "employed-six-months-after": 3,
        "CR06": 3,
        "CR06-self-reported": 2,  # B and D
        "CR06-register-observed": 2,  # A and C
    }
    assert values["six-month-result-recorded"] == 4  # C's result comes from the register
    # the operator's front page counts the same way
    async with db() as session:
        front = await programme_counts(session, min_cell=1, programmes=[cohort.programme])
    assert front["programmes"][0]["counts"]["employed_six_months"] == 3  # type: ignore[index]
    assert (values["register-observed"], values["register-agrees"], values["register-disagrees"]) == (4, 0, 2)


async def test_with_verify_the_caseworkers_records_count_and_the_register_is_shown_beside(db: SessionMaker) -> None:
    values = await (await cohort_with(db, "verify")).values()
    assert (values["employed-six-months-after"], values["CR06"], values["CR06-register-observed"]) == (2, 2, 2)
    assert values["six-month-result-recorded"] == 3
    assert (values["register-observed"], values["register-agrees"], values["register-disagrees"]) == (4, 0, 2)
    # the caseworkers' reading is the counted one: not reported twice
    assert not [f for f in values if f.endswith("-self-reported")]


async def test_with_off_the_register_is_neither_counted_nor_shown(db: SessionMaker) -> None:
    values = await (await cohort_with(db, "off")).values()
    assert (values["employed-six-months-after"], values["CR06"], values["six-month-result-recorded"]) == (2, 2, 3)
    assert not [f for f in values if f.startswith("register-") or f.endswith(("-self-reported", "-register-observed"))]


async def test_a_later_exit_replaces_the_earlier_exits_finding(db: SessionMaker) -> None:
    cohort = Cohort(db, f"rgf-{uuid4().hex[:10]}")
    pid = await cohort.participant()
    await cohort.facts(register_observed(pid, "employed", left_on=LEFT))
    assert (await cohort.values())["register-observed"] == 1
    again = LEFT + timedelta(days=40)
    await cohort.facts(
        ParticipationStarted(participant_id=pid, course_id="c", started_on=again),
        ParticipationCompleted(participant_id=pid, course_id="c", left_on=again + timedelta(days=30)),
    )
    assert await _register_columns(db, pid) == {"register_exit": None, "register_finding": None}
    assert (await cohort.values())["register-observed"] == 0
    # an earlier exit's finding that arrives late changes nothing; the final exit's counts
    await cohort.facts(register_observed(pid, "education", left_on=LEFT))
    assert (await cohort.values())["register-observed"] == 0
    await cohort.facts(register_observed(pid, "education", left_on=again + timedelta(days=30), exit_number=2))
    assert await _register_columns(db, pid) == {"register_exit": 2, "register_finding": "education"}


async def _register_columns(db: SessionMaker, pid: UUID) -> dict[str, Any] | None:
    return await row(
        db, "SELECT register_exit, register_finding FROM participant_progress WHERE participant_id = :p", p=pid
    )


@pytest.mark.parametrize(
    ("finding", "recorded", "agrees"),
    [
        ("employed", "ordinary-employment", True),
        ("employed", "self-employed", True),
        ("employed", "flex-job", False),
        ("job-seeking", "wage-subsidy-job", True),
        ("other-benefit", "job-seeking", True),
        ("sickness-benefit", "education", False),
        ("self-supporting", "inactive", None),
        ("left-the-register", "ordinary-employment", None),
        ("employed", "unreachable", None),
    ],
)
def test_the_agreement_rule(finding: str, recorded: str, agrees: bool | None) -> None:
    assert fund_rules.register_agrees(finding, recorded) is agrees
