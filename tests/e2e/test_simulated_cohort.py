"""On the whole stack: the simulator drives a cohort with known outcomes through intake, and the figures report gives
exactly those figures back, every breakdown included."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from deploy.simulate import CHECKED, Mix, drive, expected, plan
from deploy.stack import Stack
from shared.clock import today_in_copenhagen
from shared.topics import FACT_TOPICS
from tests.fixtures.kafka_tools import eventually

pytestmark = pytest.mark.stack
PARTICIPANTS = 24


async def _catalogue(stack: Stack, programme: str) -> dict[str, tuple[str, float]]:
    """A programme of the test's own (every count shown: min_cell 1), two sub-projects with a course each."""
    token = stack.token(role="administrator", email="admin@example.org", subject="simulation-admin")
    courses: dict[str, tuple[str, float]] = {}
    async with httpx.AsyncClient(
        base_url=stack.url("enrolment"), headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as admin:
        entries: list[tuple[str, dict[str, Any]]] = [
            (
                f"/catalogue/programmes/{programme}",
                {
                    "title": "Simulation programme",
                    "operator": "Tests",
                    "region": "Midtjylland",
                    "starts_on": "2024-01-01",
                    "ends_on": "2029-12-31",
                    "fund": "esf-plus-2021-2027",
                    "min_cell": 1,
                },
            )
        ]
        for sub, weight, municipalities in (("a", 0.6, ["751", "727"]), ("b", 0.4, ["751", "727"])):
            subproject, course = f"{programme}-{sub}", f"{programme}-{sub}-course"
            courses[subproject] = (course, weight)
            entries.append(
                (
                    f"/catalogue/subprojects/{subproject}",
                    {
                        "programme_id": programme,
                        "title": f"Simulation {sub}",
                        "provider_kind": "municipality",
                        "provider": "Aarhus Kommune",
                        "municipalities": municipalities,
                        "target_groups": ["long-term-unemployed", "war-veterans"],
                        "coordinator_email": "coordinator@example.org",
                        "starts_on": "2024-01-01",
                        "ends_on": "2029-12-31",
                        "scope": "regional",
                    },
                )
            )
            entries.append(
                (
                    f"/catalogue/courses/{course}",
                    {
                        "subproject_id": subproject,
                        "title": f"Simulation course {sub}",
                        "location": "Jobcenter Aarhus",
                        "municipality": "751",
                        "starts_on": "2024-01-01",
                        "ends_on": "2029-06-30",
                        "capacity": 500,
                    },
                )
            )
        for path, entry in entries:
            response = await admin.put(path, json=entry)
            assert response.status_code == 200, f"{path}: {response.text}"
    return courses


async def test_the_report_gives_back_exactly_the_figures_of_a_simulated_cohort(stack: Stack) -> None:
    programme = f"sim-{uuid4().hex[:8]}"
    courses = await _catalogue(stack, programme)
    mix = Mix(
        subprojects=courses,
        municipalities={"751": 0.6, "727": 0.4},
        target_groups={"long-term-unemployed": 0.7, "war-veterans": 0.3},
    )
    cohort = plan(mix, PARTICIPANTS, random.Random(9), first=today_in_copenhagen() - timedelta(days=340))

    def caseworker(municipality: str) -> str:
        return stack.token(role="caseworker", municipality=municipality, email=f"cw-{municipality}@example.dk")

    await _until_intake_knows(stack, programme)
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


async def _until_intake_knows(stack: Stack, programme: str) -> None:
    """Wait until intake's read model of the catalogue holds the new programme's courses."""

    async def known() -> bool:
        conn = await asyncpg.connect(stack.postgres.dsn("intake"))
        try:
            found = await conn.fetch("SELECT 1 FROM catalogue_course WHERE programme_id = $1", programme)
        finally:
            await conn.close()
        return len(found) == 2

    await eventually(known, timeout=30)
