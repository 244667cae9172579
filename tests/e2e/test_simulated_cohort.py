"""On the whole stack: the simulator drives a cohort with known outcomes through intake, and the figures report gives
exactly those figures back, every breakdown included, each count of 1-4 hidden and every other number exact."""

from __future__ import annotations

import random
from datetime import timedelta
from uuid import uuid4

import asyncpg
import httpx
import pytest

from deploy.simulate import CHECKED, Mix, drive, expected, plan
from deploy.stack import Stack
from services.reporting.figure_relations import HEADLINE
from shared.clock import today_in_copenhagen
from shared.topics import FACT_TOPICS
from tests.fixtures.kafka_tools import eventually
from tests.fixtures.shown import rightly_shown, wrongly_shown
from tests.fixtures.simulation import simulation_catalogue, until_intake_knows

pytestmark = pytest.mark.stack
# the programme reports ESF+'s indicators: 2014-20's CR02 (in education upon leaving) is there by its name
ESF_PLUS = {"CR02": "in-education-upon-leaving"}
PARTICIPANTS = 40  # enough that most cells hold 5 or more people: shown, and checked exactly


async def test_the_report_gives_back_exactly_the_figures_of_a_simulated_cohort(stack: Stack) -> None:
    programme = f"sim-{uuid4().hex[:8]}"
    courses = await simulation_catalogue(stack, programme)
    mix = Mix(
        subprojects=courses,
        municipalities={"751": 0.6, "727": 0.4},
        target_groups={"long-term-unemployed": 0.7, "war-veterans": 0.3},
    )
    cohort = plan(mix, PARTICIPANTS, random.Random(9), first=today_in_copenhagen() - timedelta(days=340))

    def caseworker(municipality: str) -> str:
        return stack.token(role="caseworker", municipality=municipality, email=f"cw-{municipality}@example.dk")

    await until_intake_knows(stack, programme)
    await drive(stack.url("intake"), caseworker, programme, cohort)

    want = expected(cohort, fund="esf-plus-2021-2027")  # simulation_catalogue publishes an ESF+ programme

    async def caught_up() -> bool:  # read raw: the report's own numbers may be hidden
        conn = await asyncpg.connect(stack.postgres.dsn("reporting"))
        try:
            counted = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE left_on IS NOT NULL) AS left, count(*) FILTER (WHERE withdrawn)"
                " AS withdrawn, count(*) FILTER (WHERE six_months_situation IS NOT NULL) AS six"
                " FROM participant_progress WHERE programme_id = $1",
                programme,
            )
        finally:
            await conn.close()
        return bool(
            (counted["left"], counted["withdrawn"], counted["six"])
            == tuple(want[f]["value"] for f in ("left", "withdrawn", "six-month-result-recorded"))
        )

    await eventually(caught_up, timeout=90)
    operator = stack.token(role="operator", programmes=[programme])
    async with httpx.AsyncClient(
        base_url=stack.url("reporting"), headers={"Authorization": f"Bearer {operator}"}, timeout=120
    ) as reporting:
        answer = await reporting.get("/report/figures", params={"programme_id": programme})
    assert answer.status_code == 200, answer.text
    report = answer.json()

    # every number shown is the cohort's own, every count of 1-4 hidden, every headline figure of 5 or more shown
    figures = {f["id"]: f for f in report["figures"]}
    exact = 0
    for figure_id in CHECKED:
        got, value = figures[ESF_PLUS.get(figure_id, figure_id)], want[figure_id]["value"]
        assert rightly_shown(value, got["value"], headline=figure_id in HEADLINE), (figure_id, value, got["value"])
        for dimension, cells in want[figure_id]["breakdowns"].items():
            shown = got["breakdowns"][dimension]["cells"]
            assert wrongly_shown(cells, shown) == {}, f"{figure_id} by {dimension}"
            exact += sum(1 for v in shown.values() if isinstance(v, int) and v >= 5)
    # a cohort worth it: the headline figures it holds are 5 or more, so each is shown as its exact number
    headline = {f: want[f]["value"] for f in CHECKED if f in HEADLINE}
    assert min(headline.values()) >= 5, headline
    assert {f: figures[f]["value"] for f in headline} == headline
    assert exact >= 10, exact  # and breakdown cells shown as numbers, each checked exactly
    # how fresh: the newest fact applied, and how many records of each partition are not applied yet
    assert report["last_event_at"] is not None and isinstance(report["events_behind"], int)
    assert set(FACT_TOPICS) <= set(report["consumer_lag"])
