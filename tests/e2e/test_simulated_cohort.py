"""On the whole stack: the simulator drives a cohort with known outcomes through intake, and the figures report gives
exactly those figures back, every breakdown included."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from deploy.simulate import CHECKED, Mix, drive, expected, plan
from deploy.stack import Stack
from shared.clock import today_in_copenhagen
from shared.topics import FACT_TOPICS
from tests.fixtures.kafka_tools import eventually
from tests.fixtures.simulation import simulation_catalogue, until_intake_knows

pytestmark = pytest.mark.stack
PARTICIPANTS = 24


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

    want = expected(cohort)
    operator = stack.token(role="operator", programmes=[programme])
    async with httpx.AsyncClient(
        base_url=stack.url("reporting"), headers={"Authorization": f"Bearer {operator}"}, timeout=30
    ) as reporting:

        async def caught_up() -> dict[str, Any] | None:
            report = (await reporting.get("/report/figures", params={"programme_id": programme})).json()
            values = {f["id"]: f["value"] for f in report.get("figures", [])}
            done = all(values.get(f) == want[f]["value"] for f in ("left", "six-month-result-recorded", "withdrawn"))
            return report if done else None

        report = await eventually(caught_up, timeout=90)

    figures = {f["id"]: f for f in report["figures"]}
    for figure_id in CHECKED:
        got = figures[figure_id]
        assert got["value"] == want[figure_id]["value"], figure_id
        for dimension, cells in want[figure_id]["breakdowns"].items():
            shown = {k: v for k, v in got["breakdowns"][dimension]["cells"].items() if v != 0}
            assert shown == cells, f"{figure_id} by {dimension}"
    assert want["participants"]["value"] > 10 and want["employed-upon-leaving"]["value"] > 0  # a cohort worth the test
    # how fresh: the newest fact applied, and how many records of each partition are not applied yet
    assert report["last_event_at"] is not None and isinstance(report["events_behind"], int)
    assert set(FACT_TOPICS) <= set(report["consumer_lag"])
