"""The operator's report page in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, async_playwright

from deploy.stack import Stack
from deploy.synthetic import referral_body, synthetic_citizen

pytestmark = pytest.mark.stack
CHROMIUM = "/usr/bin/chromium"
QUIET = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Headless Chromium from the machine's packages (installed by deploy/bootstrap.sh)."""
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=QUIET)
        try:
            yield chromium
        finally:
            await chromium.close()


async def test_the_report_page_shows_each_programme_without_errors(
    browser: Browser, stack: Stack, intake: httpx.AsyncClient, operator_token: str, tmp_path: Path
) -> None:
    citizen = synthetic_citizen(random.Random(99))
    body = referral_body(citizen, programme_id="page-test-programme")
    assert (await intake.post("/referrals", json=body)).status_code == 201
    page = await browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    url = f"{stack.url('reporting')}/?access_token={operator_token}"
    for _ in range(50):  # the referral reaches reporting through Kafka
        await page.goto(url)
        if await page.get_by_role("cell", name="page-test-programme").count():
            break
        await page.wait_for_timeout(200)
    row = page.get_by_role("row").filter(has_text="page-test-programme")
    assert await row.count() == 1
    cells = await row.get_by_role("cell").all_inner_texts()
    assert cells[:2] == ["page-test-programme", "1"]  # referred: one person
    assert await page.get_by_role("heading", name="Programme results").count() == 1
    assert citizen.name not in await page.content()
    await page.screenshot(path=str(tmp_path / "report.png"))
    assert errors == []


async def test_the_report_page_refuses_a_visitor_without_a_token(browser: Browser, stack: Stack) -> None:
    page = await browser.new_page()
    response = await page.goto(stack.url("reporting") + "/")
    assert response is not None and response.status == 401
