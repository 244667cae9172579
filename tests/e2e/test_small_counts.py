"""A small count on the real stack, at the real threshold (5): of seven who completed, the one of Randers is hidden as
"<5" in the JSON, the CSV and the dashboard in Chromium, Aarhus's six as "x" beside it (else 7 - 6 would give the one
away), the headline figures stay shown as 7, and no count from 1 to 4 is shown as a number anywhere."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from dataclasses import replace
from uuid import uuid4

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser

from deploy.simulate import Mix, drive, plan
from deploy.stack import Stack
from services.reporting.dashboard_view import KEY_FIGURES
from tests.fixtures.kafka_tools import eventually
from tests.fixtures.simulation import simulation_catalogue, until_intake_knows

pytestmark = pytest.mark.stack
SHOWN_AS = {"751": "x", "727": "<5"}  # who completed: six of Aarhus, one of Randers


@pytest.fixture(scope="module")
async def programme(stack: Stack) -> str:
    """A programme of its own: seven participants who all complete, six referred by Aarhus and one by Randers."""
    programme = f"small-{uuid4().hex[:8]}"
    courses = await simulation_catalogue(stack, programme)  # the smallest count shown: 5, the default
    mix = Mix(
        subprojects=courses, municipalities={"751": 1.0}, target_groups={"war-veterans": 1.0}, paths={"completed": 1.0}
    )
    six = plan(mix, 7, random.Random(17))
    cohort = [*six[:6], replace(six[6], municipality="727")]
    await until_intake_knows(stack, programme)

    def caseworker(municipality: str) -> str:
        return stack.token(role="caseworker", municipality=municipality, email=f"cw-{municipality}@example.dk")

    await drive(stack.url("intake"), caseworker, programme, cohort)

    async def counted() -> bool:  # read raw: the report's own numbers are what the test is about
        conn = await asyncpg.connect(stack.postgres.dsn("reporting"))
        try:
            left = await conn.fetchval(
                "SELECT count(*) FROM participant_progress WHERE programme_id = $1 AND left_on IS NOT NULL", programme
            )
        finally:
            await conn.close()
        return bool(left == 7)

    await eventually(counted, timeout=90)
    return programme


async def _get(stack: Stack, token: str, path: str, programme: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=stack.url("reporting"), headers=headers, timeout=60) as client:
        answer = await client.get(path, params={"programme_id": programme})
    assert answer.status_code == 200, answer.text
    return answer


def _no_small_number(values: Sequence[object]) -> bool:
    """No count from 1 to 4 shown as a number (text from a page or a CSV included)."""
    return not any(str(v).strip() in {"1", "2", "3", "4"} for v in values)


async def test_the_json_hides_the_one_as_lt5_and_the_six_as_x_and_shows_the_seven(stack: Stack, programme: str) -> None:
    token = stack.token(role="operator", programmes=[programme])
    report = (await _get(stack, token, "/report/figures", programme)).json()
    figures = {f["id"]: f for f in report["figures"]}
    assert report["min_cell"] == 5
    assert figures["participants"]["value"] == 7 and figures["completed"]["value"] == 7  # headline figures
    assert figures["completed"]["breakdowns"]["municipality"]["cells"] == SHOWN_AS
    for figure in report["figures"]:
        cells = [c for b in figure["breakdowns"].values() for c in (*b["cells"].values(), b["total"])]
        assert _no_small_number([figure["value"], *cells]), figure["id"]


async def test_the_csv_hides_them_as_the_json_does(stack: Stack, programme: str) -> None:
    token = stack.token(role="operator", programmes=[programme])
    answer = await _get(stack, token, "/report/figures.csv", programme)
    read = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    completed = {(r[2], r[3]): r[4] for r in read[1:] if r[0] == "completed"}
    assert completed[("i alt", "")] == "7"
    assert {m: completed[("kommune", m)] for m in SHOWN_AS} == SHOWN_AS
    assert _no_small_number([r[4] for r in read[1:]])


async def test_the_dashboard_in_chromium_hides_them_as_the_json_does(
    browser: Browser, stack: Stack, programme: str
) -> None:
    token = stack.token(role="operator", programmes=[programme])
    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    url = f"{stack.url('reporting')}/dashboard?programme_id={programme}&access_token={token}"
    opened = await page.goto(url, timeout=120_000)
    assert opened is not None and opened.status == 200
    funnel = page.locator('ul.funnel li[data-figure="participants"] .num')
    assert (await funnel.inner_text()).strip() == "7"
    table = page.locator('table[data-dimension="municipality"]')
    column = KEY_FIGURES.index("completed")  # a row per municipality, a column per key figure
    shown = {
        (await row.locator("th").inner_text()).split(" (")[-1].rstrip(")"): (
            await row.locator("td").nth(column).inner_text()
        )
        for row in await table.locator("tbody tr").all()
    }
    assert shown == SHOWN_AS
    assert _no_small_number(await table.locator("td").all_inner_texts())
    assert _no_small_number(await page.locator("ul.funnel .num").all_inner_texts())
    assert errors == []
