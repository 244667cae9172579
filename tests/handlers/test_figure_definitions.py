"""Every figure against a hand-built history it counts and a neighbour it does not; the table must name every
figure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from services.reporting.figures import FIGURES
from shared.contracts import (
    CheckOverdue,
    CheckScheduled,
    EnrolmentWaitlisted,
    ParticipationWithdrawn,
)
from shared.db import SessionMaker
from tests.fixtures.cohort import LEFT, SERVICE, STARTED, Cohort, day
from tests.fixtures.events import leaving_outcome_recorded, register_observed, six_month_result_recorded
from tests.fixtures.events import referral as fixture_referral


@pytest.fixture
def db(service_sessions: Callable[[str], SessionMaker]) -> SessionMaker:
    return service_sessions(SERVICE)


# --- every figure: one history it counts, beside one it does not ----------------------------------------------------
Build = Callable[[Cohort], Any]


async def _outcome(c: Cohort, situation: str, *, day_no: int = 5, **participant: Any) -> None:
    pid = await c.participant(**participant)
    fact = leaving_outcome_recorded(pid, situation, observed_on=day(day_no), left_on=LEFT)  # type: ignore[arg-type]
    await c.facts(fact)


async def _qualified(c: Cohort, **participant: Any) -> None:
    pid = await c.participant(**participant)
    fact = leaving_outcome_recorded(pid, "education", observed_on=day(5), left_on=LEFT)
    await c.facts(fact.model_copy(update={"qualification_gained": True}))


async def _six(c: Cohort, situation: str, improvement: str | None = None, **participant: Any) -> None:
    pid = await c.participant(**participant)
    fact = six_month_result_recorded(pid, situation, observed_on=date(2026, 10, 2), left_on=LEFT)  # type: ignore[arg-type]
    await c.facts(fact.model_copy(update={"improvement": improvement}))


async def _register(c: Cohort, finding: str, recorded: str | None = None, **participant: Any) -> None:
    """The register's finding for the participant's six-month check, and the caseworker's record if one is given."""
    pid = await c.participant(**participant)
    await c.facts(register_observed(pid, finding, left_on=LEFT))  # type: ignore[arg-type]
    if recorded is not None:
        fact = six_month_result_recorded(pid, recorded, observed_on=date(2026, 10, 2), left_on=LEFT)  # type: ignore[arg-type]
        await c.facts(fact)


async def _withdrawn(c: Cohort) -> None:
    pid = uuid4()
    await c.facts(
        fixture_referral(pid, programme_id=c.programme),
        ParticipationWithdrawn(participant_id=pid, course_id="c", withdrawn_on=STARTED, reason="declined"),
    )


async def _waitlisted(c: Cohort) -> None:
    pid = uuid4()
    await c.facts(
        fixture_referral(pid, programme_id=c.programme),
        EnrolmentWaitlisted(
            participant_id=pid,
            programme_id=c.programme,
            subproject_id="sub",
            course_id="c",
            waitlisted_on=STARTED,
            position=1,
            re_entry=False,
        ),
    )


async def _nothing() -> None:
    """No history at all."""


async def _referred(c: Cohort) -> None:
    await c.facts(fixture_referral(uuid4(), programme_id=c.programme))


async def _check_open(c: Cohort) -> None:
    pid = await c.participant()
    scheduled = CheckScheduled(
        participant_id=pid,
        check="six-month",
        exit_number=1,
        left_on=LEFT,
        due_on=date(2026, 9, 30),
        counts_until=date(2026, 11, 25),
    )
    await c.facts(scheduled)


async def _check_overdue(c: Cohort) -> None:
    pid = await c.participant()
    await c.facts(
        CheckOverdue(
            participant_id=pid,
            check="leaving-outcome",
            exit_number=1,
            left_on=LEFT,
            due_on=day(14),
            counts_until=day(28),
        )
    )


YES: dict[str, Any] = {"disability": "yes"}
INACTIVE: dict[str, Any] = {"labour_market_status": "inactive"}
EMPLOYED: dict[str, Any] = {"labour_market_status": "employed"}
DISADVANTAGED: dict[str, Any] = {"disadvantages": {"migrant_or_foreign_background": "yes"}}
# figure -> (a history it counts, a history it does not count)
CASES: dict[str, tuple[Build, Build]] = {
    "recruited": (_referred, lambda c: _nothing()),
    "participants": (lambda c: c.participant(), _referred),
    "completed": (lambda c: c.participant(), lambda c: c.participant(left="dropped-out")),
    "dropped-out": (lambda c: c.participant(left="dropped-out"), lambda c: c.participant()),
    "stopped-early-for-job-or-education": (
        lambda c: c.participant(left="dropped-out", reason="education"),
        lambda c: c.participant(left="dropped-out", reason="moved"),
    ),
    "employed-upon-leaving": (lambda c: _outcome(c, "self-employed"), lambda c: _outcome(c, "job-seeking")),
    "employed-ordinary-upon-leaving": (
        lambda c: _outcome(c, "ordinary-employment"),
        lambda c: _outcome(c, "social-economy-employment"),
    ),
    "employed-self-employed-upon-leaving": (lambda c: _outcome(c, "self-employed"), lambda c: _outcome(c, "flex-job")),
    "employed-social-economy-upon-leaving": (
        lambda c: _outcome(c, "social-economy-employment"),
        lambda c: _outcome(c, "ordinary-employment"),
    ),
    "employed-flex-job-upon-leaving": (lambda c: _outcome(c, "flex-job"), lambda c: _outcome(c, "wage-subsidy-job")),
    "employed-wage-subsidy-upon-leaving": (
        lambda c: _outcome(c, "wage-subsidy-job"),
        lambda c: _outcome(c, "flex-job"),
    ),
    "employed-ordinary-or-supported-upon-leaving": (
        lambda c: _outcome(c, "wage-subsidy-job"),
        lambda c: _outcome(c, "education"),
    ),
    "job-seeking-upon-leaving": (lambda c: _outcome(c, "job-seeking"), lambda c: _outcome(c, "inactive")),
    "inactive-at-entry-job-seeking-upon-leaving": (
        lambda c: _outcome(c, "job-seeking", **INACTIVE),
        lambda c: _outcome(c, "job-seeking"),
    ),
    "employed-six-months-after": (lambda c: _six(c, "flex-job"), lambda c: _six(c, "unreachable")),
    "employed-ordinary-six-months-after": (
        lambda c: _six(c, "ordinary-employment"),
        lambda c: _six(c, "social-economy-employment"),
    ),
    "self-supporting": (
        lambda c: _outcome(c, "social-economy-employment"),
        lambda c: _outcome(c, "flex-job"),
    ),
    "enrolled": (lambda c: c.participant(left=None), _referred),
    "waitlisted": (_waitlisted, lambda c: c.participant()),
    "withdrawn": (_withdrawn, lambda c: c.participant()),
    "left": (lambda c: c.participant(left="dropped-out"), lambda c: c.participant(left=None)),
    "outcome-recorded": (lambda c: _outcome(c, "unknown"), lambda c: _outcome(c, "job-seeking", day_no=29)),
    "six-month-result-recorded": (lambda c: _six(c, "unreachable"), lambda c: c.participant()),
    "CR01": (lambda c: _outcome(c, "job-seeking", **INACTIVE), lambda c: _outcome(c, "job-seeking", **EMPLOYED)),
    "CR02": (lambda c: _outcome(c, "education"), lambda c: _outcome(c, "job-seeking")),
    "CR03": (_qualified, lambda c: _outcome(c, "education")),
    "CR04": (lambda c: _outcome(c, "ordinary-employment"), lambda c: _outcome(c, "education")),
    "CR05": (
        lambda c: _outcome(c, "education", **DISADVANTAGED),
        lambda c: _outcome(c, "inactive", **DISADVANTAGED),
    ),
    "CR06": (lambda c: _six(c, "ordinary-employment"), lambda c: _six(c, "job-seeking")),
    "CR07": (
        lambda c: _six(c, "ordinary-employment", "precarious-to-stable", **EMPLOYED),
        lambda c: _six(c, "ordinary-employment", "none", **EMPLOYED),
    ),
    "CR08": (
        lambda c: _six(c, "ordinary-employment", entered={"age_band": "over-54", "over_54": True}),
        lambda c: _six(c, "ordinary-employment"),
    ),
    "CR09": (
        lambda c: _six(c, "ordinary-employment", **DISADVANTAGED),
        lambda c: _six(c, "job-seeking", **DISADVANTAGED),
    ),
    "unemployed": (lambda c: c.participant(), lambda c: c.participant(**INACTIVE)),
    "long-term-unemployed": (
        lambda c: c.participant(entered={"long_term_unemployed": True}),
        lambda c: c.participant(),
    ),
    "inactive": (lambda c: c.participant(**INACTIVE), lambda c: c.participant(**EMPLOYED)),
    "inactive-not-in-education": (
        lambda c: c.participant(labour_market_status="inactive-not-in-education"),
        lambda c: c.participant(**INACTIVE),
    ),
    "employed": (
        lambda c: c.participant(labour_market_status="self-employed"),
        lambda c: c.participant(),
    ),
    "under-25": (
        lambda c: c.participant(entered={"age_band": "under-25", "under_25": True, "age_band_esf_plus": "18-29"}),
        lambda c: c.participant(),
    ),
    "over-54": (lambda c: c.participant(entered={"age_band": "over-54", "over_54": True}), lambda c: c.participant()),
    "isced-0-2": (
        lambda c: c.participant(education_level="isced-0-2"),
        lambda c: c.participant(education_level="isced-3-4"),
    ),
    "isced-3-4": (
        lambda c: c.participant(education_level="isced-3-4"),
        lambda c: c.participant(education_level="isced-5-8"),
    ),
    "isced-5-8": (lambda c: c.participant(education_level="isced-5-8"), lambda c: c.participant()),
    "disadvantaged": (
        lambda c: c.participant(disadvantages={"homeless_or_housing_exclusion": "yes"}),
        lambda c: c.participant(disadvantages={"disability": "refused"}),
    ),
    "with-disabilities": (
        lambda c: c.participant(disadvantages=YES),
        lambda c: c.participant(disadvantages={"disability": "not-asked"}),
    ),
    "migrants-and-minorities": (
        lambda c: c.participant(disadvantages={"minority": "yes"}),
        lambda c: c.participant(disadvantages={"other_disadvantage": "yes"}),
    ),
    "homeless": (
        lambda c: c.participant(disadvantages={"homeless_or_housing_exclusion": "yes"}),
        lambda c: c.participant(disadvantages=YES),
    ),
    "EECO01": (lambda c: c.participant(), _withdrawn),
    "EECO14": (
        lambda c: c.participant(**DISADVANTAGED),
        lambda c: c.participant(disadvantages={"minority": "yes"}),
    ),
    "EECO15": (
        lambda c: c.participant(disadvantages={"minority": "yes"}),
        lambda c: c.participant(**DISADVANTAGED),
    ),
    "EECO13": (
        lambda c: c.participant(disadvantages={"third_country_national": "yes"}),
        lambda c: c.participant(disadvantages={"migrant_or_foreign_background": "yes", "third_country_national": "no"}),
    ),
    "rural-areas": (
        lambda c: c.participant(disadvantages={"rural_area": "yes"}),
        lambda c: c.participant(disadvantages={"rural_area": "refused"}),
    ),
    "EECR01": (lambda c: _outcome(c, "job-seeking"), lambda c: _outcome(c, "education")),
    "EECR04": (lambda c: _outcome(c, "ordinary-employment"), lambda c: _outcome(c, "pension")),
    "in-education-upon-leaving": (lambda c: _outcome(c, "education"), lambda c: _outcome(c, "job-seeking")),
    "qualification-upon-leaving": (_qualified, lambda c: _outcome(c, "education")),
    "improved-situation-six-months-after": (
        lambda c: _six(c, "ordinary-employment", "promotion", **EMPLOYED),
        lambda c: _six(c, "ordinary-employment", "none", **EMPLOYED),
    ),
    "under-18": (
        lambda c: c.participant(entered={"age_band": "under-25", "age_band_esf_plus": "under-18"}),
        lambda c: c.participant(),
    ),
    "18-29": (lambda c: c.participant(entered={"age_band_esf_plus": "18-29"}), lambda c: c.participant()),
    "55-and-over": (
        lambda c: c.participant(entered={"age_band": "over-54", "age_band_esf_plus": "55-and-over"}),
        lambda c: c.participant(),
    ),
    "register-observed": (lambda c: _register(c, "self-supporting"), lambda c: _six(c, "ordinary-employment")),
    "register-agrees": (
        lambda c: _register(c, "other-benefit", "job-seeking"),
        lambda c: _register(c, "employed", "job-seeking"),
    ),
    "register-disagrees": (
        lambda c: _register(c, "employed", "job-seeking"),
        lambda c: _register(c, "employed", "unreachable"),  # nobody reached: nothing to compare
    ),
    "employed-six-months-after-self-reported": (
        lambda c: _register(c, "job-seeking", "ordinary-employment"),
        lambda c: _register(c, "employed", "job-seeking"),
    ),
    "employed-six-months-after-register-observed": (
        lambda c: _register(c, "employed", "job-seeking"),
        lambda c: _register(c, "job-seeking", "ordinary-employment"),
    ),
    "CR06-self-reported": (lambda c: _six(c, "self-employed"), lambda c: _register(c, "employed")),
    "CR06-register-observed": (lambda c: _register(c, "flex-job"), lambda c: _register(c, "education")),
    "CR08-self-reported": (
        lambda c: _six(c, "ordinary-employment", entered={"age_band": "over-54", "over_54": True}),
        lambda c: _register(c, "employed", entered={"age_band": "over-54", "over_54": True}),
    ),
    "CR08-register-observed": (
        lambda c: _register(c, "employed", entered={"age_band": "over-54", "over_54": True}),
        lambda c: _register(c, "employed"),
    ),
    "CR09-self-reported": (
        lambda c: _six(c, "ordinary-employment", **DISADVANTAGED),
        lambda c: _six(c, "ordinary-employment"),
    ),
    "CR09-register-observed": (
        lambda c: _register(c, "employed", **DISADVANTAGED),
        lambda c: _register(c, "job-seeking", "ordinary-employment", **DISADVANTAGED),
    ),
    "follow-ups-due": (_check_open, lambda c: c.participant()),
    "follow-ups-overdue": (_check_overdue, _check_open),
    "recorded-late": (lambda c: _outcome(c, "job-seeking", day_no=30), lambda c: _outcome(c, "job-seeking")),
    "incomplete-records": (
        lambda c: c.participant(education_level="unknown"),
        lambda c: c.participant(),
    ),
}


def test_every_figure_has_a_history_it_counts_and_one_it_does_not() -> None:
    assert set(CASES) == {f.id for f in FIGURES}


@pytest.mark.parametrize("figure_id", [f.id for f in FIGURES])
async def test_a_figure_counts_the_history_it_defines_and_not_its_neighbour(db: SessionMaker, figure_id: str) -> None:
    counted, not_counted = CASES[figure_id]
    yes, no = Cohort(db, f"fig-{uuid4().hex[:10]}"), Cohort(db, f"fig-{uuid4().hex[:10]}")
    await counted(yes)
    await not_counted(no)
    assert (await yes.values())[figure_id] == 1
    assert (await no.values())[figure_id] == 0
