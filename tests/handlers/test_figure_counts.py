"""The counts PostgreSQL keeps ahead (services.reporting.figure_cube) answer exactly as counting the participants'
rows does: for a varied cohort, after its rows change, after a programme's settings change, for every selection."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from services.reporting import figures_report
from services.reporting.figure_cube import definitions_hash, ensure_cube, half_year_of
from shared.contracts import ProgrammePublished, ProgrammeSettings, Situation
from shared.fund_rules import half_year
from tests.fixtures.cohort import LEFT, STARTED, Cohort, day
from tests.fixtures.events import leaving_outcome_recorded, six_month_result_recorded
from tests.fixtures.handlers import deliver, rows

SELECTIONS: list[dict[str, Any]] = [
    {},
    {"period_by": "leaving"},
    {"start": half_year("2026-02")[0], "end": half_year("2026-02")[1]},
    {"period_by": "leaving", "start": date(2026, 3, 1), "end": date(2026, 8, 31)},
    {"start": date(2025, 9, 1)},
    {"end": date(2026, 2, 28)},
    {"subproject_id": "sub"},
    {"municipality": "751"},
    {"municipality": "101", "period_by": "leaving"},
]


async def both_ways(cohort: Cohort, monkeypatch: pytest.MonkeyPatch, **selection: Any) -> tuple[Any, Any]:
    """The report from the kept counts, and the report counted over the participants' rows."""
    ahead = await cohort.report(**selection)
    with monkeypatch.context() as m:
        m.setattr(figures_report, "_in_whole_half_years", lambda _selection: False)
        counted = await cohort.report(**selection)
    return ahead, counted


async def a_varied_cohort(cohort: Cohort) -> None:
    rng = random.Random(7)
    for _ in range(24):
        left = rng.choice(["completed", "dropped-out", None])
        referral: dict[str, Any] = {
            "gender": rng.choice(["female", "male", "non-binary"]),
            "municipality": rng.choice(["751", "101"]),
            "labour_market_status": rng.choice(["unemployed", "employed", "inactive"]),
            "education_level": rng.choice(["isced-0-2", "isced-3-4", "unknown"]),
        }
        pid = await cohort.participant(left=left, reason=rng.choice(["illness", "job"]), **referral)
        if left is not None and rng.random() < 0.6:
            situation: Situation = rng.choice(["ordinary-employment", "job-seeking", "education", "flex-job"])
            await cohort.facts(
                leaving_outcome_recorded(pid, situation=situation, observed_on=day(rng.randrange(40)), left_on=LEFT)
            )
        if left is not None and rng.random() < 0.3:
            await cohort.facts(
                six_month_result_recorded(
                    pid, situation="ordinary-employment", observed_on=date(2026, 10, 1), left_on=LEFT
                )
            )


@pytest.mark.parametrize("selection", SELECTIONS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()) or "all")
async def test_the_kept_counts_answer_as_counting_the_rows(
    cohort: Cohort, monkeypatch: pytest.MonkeyPatch, selection: dict[str, Any]
) -> None:
    await a_varied_cohort(cohort)
    ahead, counted = await both_ways(cohort, monkeypatch, **selection)
    assert ahead["figures"] == counted["figures"]
    assert ahead["last_event_at"] == counted["last_event_at"]
    assert ahead["figures"][1]["value"] or selection  # the cohort has participants to count


async def test_a_change_of_the_programmes_settings_counts_it_again(
    cohort: Cohort, monkeypatch: pytest.MonkeyPatch
) -> None:
    await a_varied_cohort(cohort)
    before, _ = await both_ways(cohort, monkeypatch)
    settings = ProgrammeSettings(
        flex_job_counts_as_employment=True,
        wage_subsidy_counts_as_employment=False,
        cr04_reading="not-employed-at-entry",  # CR04 now counts only those not employed at entry
        min_cell=5,
        six_month_result_grace_days=56,
    )
    await deliver(
        cohort.db,
        "reporting",
        ProgrammePublished(
            programme_id=cohort.programme,
            title="Figure counts",
            operator="Tests",
            region="Midtjylland",
            fund="esf-2014-2020",
            settings=settings,
            starts_on=date(2017, 9, 1),
            ends_on=date(2030, 12, 31),
        ),
    )
    ahead, counted = await both_ways(cohort, monkeypatch)
    assert ahead["figures"] == counted["figures"]
    assert ahead["figures"] != before["figures"]


async def test_each_participant_is_in_one_cell_of_each_period_kind(cohort: Cohort) -> None:
    for _ in range(3):
        await cohort.participant(left=None)
    await cohort.participant(left="completed")
    cells = await rows(
        cohort.db,
        "SELECT period_by, half_year, sum(n) AS n FROM figure_count WHERE programme_id = :p AND dimension = 'all'"
        " GROUP BY 1, 2 HAVING sum(n) > 0 ORDER BY 1, 2",
        p=cohort.programme,
    )
    assert (date(2026, 1, 12), date(2026, 3, 31)) == (STARTED, LEFT)
    assert [(c["period_by"], c["half_year"], c["n"]) for c in cells] == [
        ("entry", date(2025, 9, 1), 4),
        ("leaving", date(2026, 3, 1), 1),
        ("leaving", None, 3),
    ]


@pytest.mark.parametrize(
    ("day", "first"),
    [
        (date(2026, 3, 1), date(2026, 3, 1)),
        (date(2026, 8, 31), date(2026, 3, 1)),
        (date(2026, 9, 1), date(2026, 9, 1)),
        (date(2026, 12, 31), date(2026, 9, 1)),
        (date(2027, 1, 1), date(2026, 9, 1)),
        (date(2028, 2, 29), date(2027, 9, 1)),
    ],
)
async def test_a_date_is_in_the_danish_half_year_it_falls_in(cohort: Cohort, day: date, first: date) -> None:
    found = await rows(cohort.db, f"SELECT {half_year_of('CAST(:day AS date)')} AS first", day=day)
    assert found == [{"first": first}]
    assert half_year(f"{first.year + (first.month == 9)}-{'02' if first.month == 9 else '08'}")[0] == first


async def test_the_counts_are_made_again_only_when_the_definitions_change(cohort: Cohort) -> None:
    await cohort.participant()
    engine = cohort.db.kw["bind"]
    async with engine.begin() as conn:
        assert await ensure_cube(conn) is False  # as the fixture made them
        await conn.execute(text("UPDATE figure_count_definition SET hash = 'older'"))
    async with engine.begin() as conn:
        assert await ensure_cube(conn) is True
        assert (await conn.execute(text("SELECT hash FROM figure_count_definition"))).scalar() == definitions_hash()
    assert (await cohort.values())["participants"] == 1


@pytest.mark.parametrize(
    "selection",
    [
        {},
        {"start": date(2026, 1, 1), "end": date(2026, 3, 31)},
        {"municipality": "751"},
        {"subproject_id": "sub", "start": date(2025, 9, 1)},
    ],
    ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()) or "all",
)
async def test_the_monthly_series_kept_answer_as_counting_the_rows(
    cohort: Cohort, monkeypatch: pytest.MonkeyPatch, selection: dict[str, Any]
) -> None:
    await a_varied_cohort(cohort)

    async def series() -> dict[str, dict[str, object]]:
        async with cohort.db() as session:
            chosen = figures_report.Selection(cohort.programme, **selection)
            return await figures_report.monthly_trends(session, chosen, min_cell=1)

    ahead = await series()
    with monkeypatch.context() as m:
        m.setattr(figures_report, "_in_whole_months", lambda _selection: False)
        counted = await series()
    assert ahead == counted
    assert ahead["starts"] or selection  # the cohort started in January 2026
