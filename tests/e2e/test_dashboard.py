"""The operator's dashboard in a real browser (Debian's Chromium driven by Playwright), over a simulated cohort:
targets, the path, the charts with data, filters that change what is shown, no console errors, downloads that open,
and screenshots of the Danish and English pages (and an A4 print) saved in test-artifacts/."""

from __future__ import annotations

import io
import random
from datetime import timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import openpyxl
import pytest
from playwright.async_api import Browser, Page

from deploy.simulate import Mix, drive, expected, plan
from deploy.stack import ROOT, Stack
from services.reporting.dashboard_view import FUNNEL
from shared.clock import today_in_copenhagen
from tests.fixtures.kafka_tools import eventually
from tests.fixtures.simulation import simulation_catalogue, until_intake_knows

pytestmark = pytest.mark.stack
ARTIFACTS = ROOT / "test-artifacts"
PARTICIPANTS = 30
# A report protects its small counts with a linear program audited over every table and period: seconds, not ms.
REPORT_SECONDS = 120


async def _cohort(stack: Stack) -> tuple[str, dict[str, tuple[str, float]], dict[str, Any]]:
    """A programme of its own with a target, and a simulated cohort driven through intake and counted by reporting."""
    programme = f"dash-{uuid4().hex[:8]}"
    courses = await simulation_catalogue(stack, programme, min_cell=3)
    admin = stack.token(role="administrator", email="admin@example.org", subject="dashboard-admin")
    async with httpx.AsyncClient(base_url=stack.url("enrolment"), timeout=30) as enrolment:
        target = {"programme_id": programme, "figure": "participants", "number": 40, "set_on": "2024-01-01"}
        answer = await enrolment.put(
            f"/catalogue/targets/{programme}-participants", json=target, headers={"Authorization": f"Bearer {admin}"}
        )
        assert answer.status_code == 200, answer.text
    mix = Mix(subprojects=courses, municipalities={"751": 0.6, "727": 0.4}, target_groups={"war-veterans": 1.0})
    cohort = plan(mix, PARTICIPANTS, random.Random(5), first=today_in_copenhagen() - timedelta(days=360))
    await until_intake_knows(stack, programme)

    def caseworker(municipality: str) -> str:
        return stack.token(role="caseworker", municipality=municipality, email=f"cw-{municipality}@example.dk")

    await drive(stack.url("intake"), caseworker, programme, cohort)
    return programme, courses, expected(cohort, fund="esf-plus-2021-2027")


async def _json(stack: Stack, token: str, **params: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=stack.url("reporting"), timeout=REPORT_SECONDS) as client:
        answer = await client.get("/report/figures", params=params, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        report: dict[str, Any] = answer.json()
        return report


async def _funnel(page: Page) -> dict[str, str]:
    items = page.locator("ul.funnel li")
    return {
        str(await item.get_attribute("data-figure")): (await item.locator(".num").inner_text()).strip()
        for item in await items.all()
    }


async def test_the_dashboard_in_chromium(browser: Browser, stack: Stack) -> None:
    programme, courses, want = await _cohort(stack)
    token = stack.token(role="operator", programmes=[programme])

    async def counted() -> bool:  # read raw, as the report's numbers may be hidden
        conn = await asyncpg.connect(stack.postgres.dsn("reporting"))
        try:
            left, withdrawn = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE left_on IS NOT NULL), count(*) FILTER (WHERE withdrawn)"
                " FROM participant_progress WHERE programme_id = $1",
                programme,
            )
        finally:
            await conn.close()
        return bool(left == want["left"]["value"] and withdrawn == want["withdrawn"]["value"])

    await eventually(counted, timeout=90)
    report = await _json(stack, token, programme_id=programme)
    figures = {f["id"]: f for f in report["figures"]}
    ARTIFACTS.mkdir(exist_ok=True)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(REPORT_SECONDS * 1000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    opened = await page.goto(f"{stack.url('reporting')}/dashboard?programme_id={programme}&access_token={token}")
    assert opened is not None and opened.status == 200
    assert await page.locator("html").get_attribute("lang") == "da"
    assert await page.get_by_role("heading", name="Fra henvisning til job").count() == 1
    # the target, against its figure, with the number in force: a target's figure is never hidden (it is 5 or more)
    assert isinstance(figures["participants"]["value"], int) and figures["participants"]["value"] >= 5
    target = page.locator('ul.bars li[data-figure="participants"]').first
    assert (await target.locator(".num").inner_text()).strip() == f"{figures['participants']['value']} / 40"
    # the path, exactly as the JSON says, hidden cells included
    assert await _funnel(page) == {f: str(figures[f]["value"]) for f in FUNNEL}
    # the charts have data
    for series in ("referrals", "starts", "exits", "employed-upon-leaving"):
        assert await page.locator(f'figure[data-series="{series}"] svg rect').count() >= 1, series
    assert await page.locator("svg.chart rect").count() >= 6  # a month a bar: the cohort spans several
    # a breakdown's cells as in the exports
    rows = page.locator('table[data-dimension="municipality"] tbody tr')
    shown = {
        (await row.locator("th").inner_text()).split(" (")[-1].rstrip(")"): (await row.locator("td").first.inner_text())
        for row in await rows.all()
    }
    cells = figures["participants"]["breakdowns"]["municipality"]["cells"]
    assert shown == {k: str(v) for k, v in cells.items()}
    await page.screenshot(path=str(ARTIFACTS / "dashboard-da.png"), full_page=True)

    # a filter changes what is shown: one sub-project's participants
    second = sorted(courses)[1]
    await page.select_option("#subproject_id", second)
    await page.get_by_role("button", name="Vis").click()
    await page.wait_for_load_state()
    only = await _json(stack, token, programme_id=programme, subproject_id=second)
    assert await _funnel(page) == {
        f: str(v) for f, v in ((f["id"], f["value"]) for f in only["figures"]) if f in FUNNEL
    }
    assert (await _funnel(page))["recruited"] != str(figures["recruited"]["value"])

    # the downloads open, with the numbers on screen
    csv_href = await page.get_by_role("link", name="CSV").get_attribute("href")
    xlsx_href = await page.get_by_role("link", name="XLSX").get_attribute("href")
    assert csv_href and xlsx_href
    async with httpx.AsyncClient(base_url=stack.url("reporting"), timeout=REPORT_SECONDS) as client:
        csv_answer = await client.get(csv_href)
        xlsx_answer = await client.get(xlsx_href)
    assert csv_answer.status_code == 200 and "participants" in csv_answer.text
    book = openpyxl.load_workbook(io.BytesIO(xlsx_answer.content))
    recruited = next(r for r in book["Tal"].iter_rows(values_only=True) if r[0] == "recruited" and r[2] == "i alt")
    assert str(recruited[4]) == str(next(f["value"] for f in only["figures"] if f["id"] == "recruited"))

    # English, and an A4 print for the steering committee
    await page.get_by_role("link", name="English").click()
    await page.wait_for_load_state()
    assert await page.locator("html").get_attribute("lang") == "en"
    assert await page.get_by_role("heading", name="From referral to employment").count() == 1
    await page.screenshot(path=str(ARTIFACTS / "dashboard-en.png"), full_page=True)
    await page.emulate_media(media="print")
    pdf = await page.pdf(format="A4", print_background=True)
    (ARTIFACTS / "dashboard-en-a4.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    assert errors == []


async def test_the_dashboard_refuses_a_visitor_without_a_token(browser: Browser, stack: Stack) -> None:
    page = await browser.new_page()
    response = await page.goto(f"{stack.url('reporting')}/dashboard?programme_id=rummelig-plus")
    assert response is not None and response.status == 401
