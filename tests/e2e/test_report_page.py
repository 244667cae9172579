"""The operator's front page (reporting's `/`, the link the launcher prints) in a real browser (Debian's Chromium driven
by Playwright): every programme the operator operates with its headline figures against its targets, a small count
hidden until it may be shown, and a link to the programme's dashboard that opens; axe-core, the security headers and
the CSP checked, and screenshots in test-artifacts/pages/operator-front*.png."""

from __future__ import annotations

import random
import re

import httpx
import pytest
from playwright.async_api import Browser, Page

from deploy.stack import Stack
from deploy.synthetic import SyntheticCitizen, referral_body, synthetic_citizen
from services.enrolment.seed import PROGRAMMES
from tests.fixtures.browser import axe_core_script, new_tab, page_problems
from tests.fixtures.kafka_tools import eventually

pytestmark = pytest.mark.stack
PROGRAMME = "page-test-programme"  # the operator_token fixture names it beside the seed's programmes
TITLE = "Page test programme"
# The page reports each programme with the dashboard's report, whose suppression is audited: seconds, not ms.
REPORT_SECONDS = 120


async def _referrals_row(page: Page, url: str) -> list[str]:
    """The texts of the test programme's row of referrals against its target, the page read afresh."""
    await page.goto(url)
    row = page.locator(f'section[data-programme="{PROGRAMME}"] tr[data-figure="recruited"]')
    return [t.strip() for t in await row.locator("th, td").all_inner_texts()] if await row.count() == 1 else []


async def test_the_front_page_shows_each_programme_against_its_targets_and_opens_its_dashboard(
    browser: Browser, stack: Stack, intake: httpx.AsyncClient, operator_token: str
) -> None:
    rng = random.Random(99)
    citizen = synthetic_citizen(rng)
    await _programme_of_its_own(stack)

    async def referred(someone: SyntheticCitizen) -> httpx.Response | None:
        body = referral_body(someone, programme_id=PROGRAMME, subproject_id="page-test-aarhus")
        response = await intake.post("/referrals", json=body)  # 422 until intake has read the new catalogue entries
        return response if response.status_code != 422 else None

    assert (await eventually(lambda: referred(citizen), timeout=30)).status_code == 201
    axe = axe_core_script()
    tab = await new_tab(browser)
    page = tab.page
    page.set_default_timeout(REPORT_SECONDS * 1000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    url = f"{stack.url('reporting')}/?access_token={operator_token}"

    async def shows(*counts: str) -> list[str] | None:  # the referrals reach reporting through Kafka
        cells = await _referrals_row(page, url)
        return cells if cells[1:2] in ([f"{count} / 10"] for count in counts) else None

    # one person referred: the count hidden as the dashboard's report hides it ("<5", or "x" where the audit must
    # hide more), and no share of the target worked out from it
    cells = await eventually(lambda: shows("<5", "x"), timeout=60)
    assert cells[2] == "\u2013"
    assert cells[1] == f"{await _referrals_reported(stack, operator_token)} / 10"
    assert await page.locator("html").get_attribute("lang") == "da"
    assert await page.get_by_role("heading", level=1, name="Dine programmer").count() == 1
    # every programme the operator operates, by title, each with a link to its dashboard
    sections = page.locator("section.programme")
    shown = {str(await s.get_attribute("data-programme")) for s in await sections.all()}
    assert shown == {*PROGRAMMES, PROGRAMME}
    titles = await page.locator("section.programme h2").all_inner_texts()
    assert titles == sorted(titles, key=str.casefold) and TITLE in titles
    assert await page.get_by_role("link", name=re.compile("Åbn resultater")).count() == len(shown)
    assert await page.get_by_role("table").count() == len(shown)  # one table of headline figures a programme
    assert await page.get_by_role("heading", name="Programme results").count() == 0  # the old five counts are gone
    assert citizen.name not in await page.content()

    for _ in range(4):
        answer = await referred(synthetic_citizen(rng))
        assert answer is not None and answer.status_code == 201, answer
    cells = await eventually(lambda: shows("5"), timeout=60)  # five referred: the count shown, half the target
    assert cells == ["Henviste", "5 / 10", "50 %"]
    assert await _referrals_reported(stack, operator_token) == 5
    problems = await page_problems(tab, "operator-front", axe)

    # the link opens the programme's dashboard, signed in with the same token
    link = page.get_by_role("link", name=re.compile(rf"^Åbn resultater\W+{TITLE}"))
    assert await link.count() == 1
    await link.click()
    await page.wait_for_url(re.compile(r"/dashboard\?"))
    assert "/dashboard?programme_id=page-test-programme" in page.url and "access_token=" in page.url
    assert await page.get_by_role("heading", level=1, name=TITLE).count() == 1
    assert await page.get_by_role("heading", name="Fra henvisning til job").count() == 1
    tab.seen_documents()  # the dashboard's headers are the dashboard's business (tests/e2e/test_dashboard.py)

    # in English, from the switch on the front page
    await page.goto(url)
    await page.get_by_role("link", name="English").click()
    await page.wait_for_load_state()
    assert await page.locator("html").get_attribute("lang") == "en"
    assert await page.get_by_role("heading", level=1, name="Your programmes").count() == 1
    english = page.get_by_role("link", name=re.compile(rf"^Open results\W+{TITLE}"))
    assert "lang=en" in str(await english.get_attribute("href"))
    problems += await page_problems(tab, "operator-front-en", axe)
    await tab.context.close()
    assert problems == []
    assert errors == []


async def _referrals_reported(stack: Stack, token: str) -> int | str:
    """The referrals against their target as the dashboard's report (its JSON) gives them."""
    async with httpx.AsyncClient(base_url=stack.url("reporting"), timeout=REPORT_SECONDS) as client:
        answer = await client.get(
            "/report/figures", params={"programme_id": PROGRAMME}, headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 200, answer.text
    value: int | str = next(t["value"] for t in answer.json()["targets"] if t["figure"] == "recruited")
    return value


async def _programme_of_its_own(stack: Stack) -> None:
    """A programme, a sub-project and a target on referrals set up by the administrator, so that the page's part for
    it counts this test only."""
    token = stack.token(role="administrator", email="admin@example.org", subject="page-test-admin")
    async with httpx.AsyncClient(
        base_url=stack.url("enrolment"), headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as admin:
        programme = {
            "title": TITLE,
            "operator": "Tests",
            "region": "Midtjylland",
            "starts_on": "2024-01-01",
            "ends_on": "2029-12-31",
            "fund": "esf-plus-2021-2027",
        }
        subproject = {
            "programme_id": PROGRAMME,
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
        target = {"programme_id": PROGRAMME, "figure": "recruited", "number": 10, "set_on": "2024-01-01"}
        for path, entry in [
            (f"/catalogue/programmes/{PROGRAMME}", programme),
            ("/catalogue/subprojects/page-test-aarhus", subproject),
            (f"/catalogue/targets/{PROGRAMME}-recruited", target),
        ]:
            response = await admin.put(path, json=entry)
            assert response.status_code == 200, response.text


async def test_the_front_page_refuses_a_visitor_without_a_token(browser: Browser, stack: Stack) -> None:
    page = await browser.new_page()
    response = await page.goto(stack.url("reporting") + "/")
    assert response is not None and response.status == 401
