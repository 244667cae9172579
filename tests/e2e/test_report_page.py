"""The operator's report page in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser

from deploy.stack import Stack
from deploy.synthetic import SyntheticCitizen, referral_body, synthetic_citizen
from tests.fixtures.kafka_tools import eventually

pytestmark = pytest.mark.stack


async def test_the_report_page_shows_each_programme_without_errors_and_a_small_count_hidden(
    browser: Browser, stack: Stack, intake: httpx.AsyncClient, operator_token: str, tmp_path: Path
) -> None:
    rng = random.Random(99)
    citizen = synthetic_citizen(rng)
    await _programme_of_its_own(stack)

    async def referred(someone: SyntheticCitizen) -> httpx.Response | None:
        body = referral_body(someone, programme_id="page-test-programme", subproject_id="page-test-aarhus")
        response = await intake.post("/referrals", json=body)  # 422 until intake has read the new catalogue entries
        return response if response.status_code != 422 else None

    assert (await eventually(lambda: referred(citizen), timeout=30)).status_code == 201
    page = await browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    url = f"{stack.url('reporting')}/?access_token={operator_token}"

    async def row_shows(referrals: str) -> list[str] | None:
        await page.goto(url)  # the referrals reach reporting through Kafka: read the page afresh until they have
        row = page.get_by_role("row").filter(has_text="page-test-programme")
        cells = await row.get_by_role("cell").all_inner_texts() if await row.count() == 1 else []
        return cells if cells[:2] == ["page-test-programme", referrals] else None

    cells = await eventually(lambda: row_shows("<5"), timeout=30)  # one person referred: a count hidden
    assert "1" not in cells[1:]
    assert await page.get_by_role("heading", name="Programme results").count() == 1
    assert citizen.name not in await page.content()
    await page.screenshot(path=str(tmp_path / "report.png"))
    for _ in range(4):
        answer = await referred(synthetic_citizen(rng))
        assert answer is not None and answer.status_code == 201, answer
    await eventually(lambda: row_shows("5"), timeout=30)  # five referred: the count shown
    assert errors == []


async def _programme_of_its_own(stack: Stack) -> None:
    """A programme and sub-project set up by the administrator, so the page's row for it counts this test only."""
    token = stack.token(role="administrator", email="admin@example.org", subject="page-test-admin")
    async with httpx.AsyncClient(
        base_url=stack.url("enrolment"), headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as admin:
        programme = {
            "title": "Page test programme",
            "operator": "Tests",
            "region": "Midtjylland",
            "starts_on": "2024-01-01",
            "ends_on": "2029-12-31",
            "fund": "esf-plus-2021-2027",
        }
        subproject = {
            "programme_id": "page-test-programme",
            "title": "Page test, Aarhus",
            "provider_kind": "municipality",
            "provider": "Aarhus Kommune",
            "municipalities": ["751"],
            "target_groups": ["war-veterans"],
            "coordinator_email": "coordinator@example.org",
            "starts_on": "2024-01-01",
            "ends_on": "2029-12-31",
            "scope": "local",
        }
        for path, entry in [
            ("/catalogue/programmes/page-test-programme", programme),
            ("/catalogue/subprojects/page-test-aarhus", subproject),
        ]:
            response = await admin.put(path, json=entry)
            assert response.status_code == 200, response.text


async def test_the_report_page_refuses_a_visitor_without_a_token(browser: Browser, stack: Stack) -> None:
    page = await browser.new_page()
    response = await page.goto(stack.url("reporting") + "/")
    assert response is not None and response.status == 401
