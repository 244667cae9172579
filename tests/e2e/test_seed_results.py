"""On the whole stack: a cohort built from Rummelig imidt's final results table (913 participated, 580 completed, 79
stopped early for a job or education, 233 in ordinary jobs and 19 in social-economy enterprises upon leaving, so 252
self-supporting) is driven through the caseworker API into the seed programme, and the operator gets those numbers
back, every target of the grant against its figure, and a dashboard in Chromium with no headline figure or target
hidden. The numbers are far from small, so this holds at the fund's real threshold as at any other."""

from __future__ import annotations

import random
import re
import time
from typing import Any

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, Page

from deploy.seed_cohort import RESULTS, in_force, seed_cohort
from deploy.simulate import CHECKED, EMPLOYED_KINDS, drive, expected
from deploy.stack import Stack
from services.enrolment.seed import COURSES, RIM, SUBPROJECTS, TARGETS
from services.reporting.dashboard_view import FUNNEL, KEY_FIGURES
from shared.clock import today_in_copenhagen
from tests.fixtures.kafka_tools import eventually

pytestmark = pytest.mark.stack

CONCURRENCY = 16  # more gains nothing on two cores: intake's waiting requests poll the database
PER_COURSE = 12  # participants walked at once on one course: below the smallest course's 15 seats, so none waitlists


async def _report(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    began = time.monotonic()
    answer = await client.get("/report/figures", params={"programme_id": RIM, **params})
    print(f"report {params or ''} answered in {time.monotonic() - began:.1f} s")
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


async def _intake_knows_the_courses(stack: Stack) -> bool:
    conn = await asyncpg.connect(stack.postgres.dsn("intake"))
    try:
        found = await conn.fetchval("SELECT count(*) FROM catalogue_course WHERE programme_id = $1", RIM)
    finally:
        await conn.close()
    return bool(found == sum(1 for c in COURSES.values() if SUBPROJECTS[c.subproject_id].programme_id == RIM))


async def _reporting_has_every_fact(stack: Stack, want: dict[str, dict[str, Any]]) -> bool:
    """Every exit, withdrawal, outcome and six-month result of the cohort counted in reporting's own rows (the report
    may hide these figures: they are not handed in)."""
    conn = await asyncpg.connect(stack.postgres.dsn("reporting"))
    try:
        found = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE left_on IS NOT NULL) AS left,"
            " count(*) FILTER (WHERE withdrawn) AS withdrawn,"
            " count(*) FILTER (WHERE upon_leaving_situation IS NOT NULL) AS outcome,"
            " count(*) FILTER (WHERE six_months_situation IS NOT NULL) AS six_months"
            " FROM participant_progress WHERE programme_id = $1",
            RIM,
        )
    finally:
        await conn.close()
    return tuple(found) == tuple(
        want[f]["value"] for f in ("left", "withdrawn", "outcome-recorded", "six-month-result-recorded")
    )


@pytest.mark.timeout(900)  # 980 referrals, about 5,500 calls that each wait for their fact
async def test_the_seed_results_table_end_to_end(stack: Stack, browser: Browser) -> None:
    cohort = seed_cohort(random.Random(18))
    want = expected(cohort)
    await eventually(lambda: _intake_knows_the_courses(stack), timeout=30)

    def caseworker(municipality: str) -> str:
        return stack.token(role="caseworker", municipality=municipality, email=f"cw-{municipality}@example.dk")

    began = time.monotonic()
    ids = await drive(stack.url("intake"), caseworker, RIM, cohort, concurrency=CONCURRENCY, per_course=PER_COURSE)
    print(f"drove {len(cohort)} referrals in {time.monotonic() - began:.1f} s")
    assert len(ids) == len(cohort)  # every citizen new, none waitlisted

    operator = stack.token(role="operator", programmes=[RIM])
    async with httpx.AsyncClient(
        base_url=stack.url("reporting"), headers={"Authorization": f"Bearer {operator}"}, timeout=300
    ) as reporting:
        await eventually(lambda: _reporting_has_every_fact(stack, want), timeout=120, interval=1.0)
        report = await _report(reporting)
        print(f"the report caught up {time.monotonic() - began:.1f} s after the first referral")
        subproject_report = await _report(reporting, subproject_id="psych-vulnerable-odder")

    # the results table, each a number
    values = {f["id"]: f["value"] for f in report["figures"]}
    assert {f: values[f] for f in RESULTS} == RESULTS
    # every other figure checked is its number where shown; over a thousand people in 22 sub-projects the audit may
    # run out of time and hide all but the figures handed in (services.reporting.suppression.coarse)
    assert {f: values[f] for f in CHECKED if values[f] != "x"} == {
        f: want[f]["value"] for f in CHECKED if values[f] != "x"
    }

    # every target of the grant, with its number in force and its value
    today = today_in_copenhagen()
    ordinary_or_supported = sum(who.outcome in (*EMPLOYED_KINDS, "wage-subsidy-job") for who in cohort)
    counted = {f: want[f]["value"] for f in CHECKED} | {
        "employed-ordinary-or-supported-upon-leaving": ordinary_or_supported
    }
    grant = {t: x for t, x in TARGETS.items() if x.programme_id == RIM and x.subproject_id is None}
    targets = {t["target_id"]: t for t in report["targets"]}
    assert set(targets) == set(grant)
    for target_id, target in grant.items():
        shown = targets[target_id]
        assert shown["figure"] == target.figure
        assert shown["number"] == in_force(target_id, today), target_id
        assert type(shown["value"]) is int and shown["value"] == counted[target.figure], target_id
    assert targets["rim-completed"]["number"] == 810  # amended at the extension
    # the sub-project's own target, where that sub-project is asked for
    psych = {t["target_id"]: t for t in subproject_report["targets"]}["rim-psych-odder-participants"]
    in_psych = sum(w.subproject_id == "psych-vulnerable-odder" and w.path != "withdrawn" for w in cohort)
    assert (psych["number"], psych["value"]) == (40, in_psych)

    # the operator's dashboard: no headline figure and no target hidden
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        opened = await page.goto(
            f"{stack.url('reporting')}/dashboard?programme_id={RIM}&access_token={operator}", timeout=300_000
        )
        assert opened is not None and opened.status == 200
        bars = await _numbers(page, 'section[aria-labelledby="h-targets"] ul.bars li')
        assert sorted(bars) == sorted((t["figure"], f"{t['value']} / {t['number']}") for t in report["targets"])
        assert all(re.fullmatch(r"\d+ / \d+", shown) for _, shown in bars), bars
        assert await _numbers(page, "ul.funnel li") == [(f, str(values[f])) for f in FUNNEL]  # as in the JSON
        assert all(type(values[f]) is int for f in FUNNEL if f in RESULTS or f == "participants")
        for dimension in ("subproject_id", "municipality", "target_group", "gender", "age_band"):
            totals = page.locator(f'table[data-dimension="{dimension}"] tfoot td')
            shown = [t.strip() for t in await totals.all_inner_texts()]
            figures = {f["id"]: f for f in report["figures"]}  # each table's totals as the JSON has them
            assert shown == [str(figures[f]["breakdowns"][dimension]["total"]) for f in KEY_FIGURES], dimension

        opened = await page.goto(
            f"{stack.url('reporting')}/dashboard?programme_id={RIM}&subproject_id=psych-vulnerable-odder"
            f"&access_token={operator}",
            timeout=300_000,
        )
        assert opened is not None and opened.status == 200
        bars = await _numbers(page, 'section[aria-labelledby="h-targets"] ul.bars li')
        assert all(re.fullmatch(r"\d+ / \d+", shown) for _, shown in bars), bars
        assert ("participants", f"{in_psych} / 40") in bars
    finally:
        await page.close()


async def _numbers(page: Page, items: str) -> list[tuple[str, str]]:
    """Each bar's figure and the number it shows, in the page's order."""
    return [
        (str(await item.get_attribute("data-figure")), (await item.locator(".num").inner_text()).strip())
        for item in await page.locator(items).all()
    ]
