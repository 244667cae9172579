"""A caseworker's whole journey through the pages in Chromium, on the whole stack: they refer a citizen through the
referral form (first with a wrong CPR number, a future date and a sub-project that does not serve their municipality,
each error shown beside its field), then on the case page enrol, record the start, the completion and the outcome upon
leaving; the six-month reminder reaches the real SMTP server, its link opens the six-month form after sign-in, and the
result is recorded; the case page's timeline shows every fact the API's timeline holds, in words. Another test fills
and sends the referral form by keyboard alone. Screenshots go to test-artifacts/pages/."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from playwright.async_api import Browser, Page

from deploy.stack import Stack
from deploy.synthetic import synthetic_citizen
from services.intake.pages.texts import Say, timeline_line
from shared.clock import today_in_copenhagen
from shared.fund_rules import add_months
from tests.fixtures.browser import SCREENSHOTS, Person, new_tab, person, reminder_link, sign_in
from tests.fixtures.kafka_tools import eventually
from tests.fixtures.simulation import simulation_catalogue, until_intake_knows

pytestmark = pytest.mark.stack
COURSE = "plus-aarhus-2026"  # the seed's course of plus-aarhus, which serves Hedensted (766) too
MUNICIPALITY = "766"  # served by plus-aarhus; the test's own programme's sub-projects serve 751 and 727 only
TODAY = today_in_copenhagen()
LEFT_ON = add_months(TODAY, -7)  # left seven months ago: the six-month check is due
STARTED_ON = LEFT_ON - timedelta(days=60)
ENROLLED_ON = STARTED_ON - timedelta(days=7)
REFERRED_ON = ENROLLED_ON - timedelta(days=7)


async def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"journey-{name}.png"), full_page=True)


async def _choose(page: Page, select: str, value: str, *, text: str | None = None) -> None:
    """Pick an option; one the page does not offer is added first, as a forged form would send it."""
    if not await page.locator(f"#{select} option[value='{value}']").count():
        await page.locator(f"#{select}").evaluate(
            "(s, [v, t]) => s.add(new Option(t, v))", [value, text or value]
        )  # a tool's evaluation, not the page's script: the CSP stays enforced for the page
    await page.locator(f"#{select}").select_option(value)


async def _error_beside(page: Page, field: str) -> str:
    """The error shown beside a field (and linked from the summary at the top)."""
    beside = page.locator(f"#referral-{field}-error")
    assert await beside.count() == 1, f"no error beside {field}"
    assert await page.locator(f"#error-summary a[href='#referral-{field}']").count() == 1, field
    assert await page.locator(f"#referral-{field}").get_attribute("aria-invalid") == "true", field
    return (await beside.inner_text()).strip()


async def _step(page: Page, reference: str, step: str, fields: dict[str, str], base: str) -> None:
    """Open the case page afresh (its version), open the step's form, fill it, send it: recorded."""
    await page.goto(f"{base}/cases/{reference}?step={step}")
    form = page.locator(f"form#{step}")
    assert await form.is_visible(), f"{step} is not offered: {await page.locator('main').inner_text()}"
    for name, value in fields.items():
        control = page.locator(f"#{step}-{name}")
        if await control.evaluate("c => c.tagName") == "SELECT":
            await control.select_option(value)
        else:
            await control.fill(value)
    async with page.expect_navigation():
        await form.locator("button[type=submit]").click()
    answer = page.locator("#answer")
    assert await answer.count() == 1, await page.locator("main").inner_text()
    assert "answer-accepted" in (await answer.get_attribute("class") or ""), await answer.inner_text()
    await _shot(page, step)


async def _timeline_of(stack: Stack, caseworker: Person, participant_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(
        base_url=stack.url("intake"), headers={"Authorization": f"Bearer {caseworker.token}"}, timeout=30
    ) as client:
        answer = await client.get(f"/participants/{participant_id}/timeline")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["events"] if "events" in answer.json() else answer.json()
    return found


@pytest.fixture(scope="module")
async def elsewhere(stack: Stack) -> str:
    """A programme of the test's own whose sub-projects do not serve the caseworker's municipality."""
    programme = f"pages-{uuid4().hex[:8]}"
    await simulation_catalogue(stack, programme)
    await until_intake_knows(stack, programme)
    return programme


async def test_a_caseworker_refers_follows_and_records_the_six_month_result_through_the_pages(
    stack: Stack, browser: Browser, elsewhere: str
) -> None:
    caseworker = person(stack, "journey", role="caseworker", municipality=MUNICIPALITY)
    citizen = synthetic_citizen(random.Random(19050001))
    base = stack.url("intake")
    tab = await new_tab(browser)
    page = tab.page
    await page.goto(f"{base}/referrals/new")
    await page.wait_for_url("**/sign-in?next=*")
    await sign_in(tab, caseworker, "**/referrals/new")

    # First wrong: a CPR number with no such date, a referral date tomorrow, a sub-project serving other municipalities
    await page.locator("#referral-cpr").fill("320190-1234")
    await page.locator("#referral-name").fill(citizen.name)
    await page.locator("#referral-referred_on").fill((TODAY + timedelta(days=1)).isoformat())
    await _choose(page, "referral-legal_basis", "consent")
    await page.locator("#referral-consent").check()
    await _choose(page, "referral-programme_id", elsewhere)
    await _choose(page, "referral-subproject_id", f"{elsewhere}-a")
    await _choose(page, "referral-target_group", "war-veterans")
    await _choose(page, "referral-labour_market_status", "unemployed")
    await page.locator("#referral-months_unemployed").fill("14")
    await _choose(page, "referral-education_level", "isced-3-4")
    await _choose(page, "referral-benefit", "kontanthjaelp")
    async with page.expect_navigation():
        await page.locator("form#referral button[type=submit]").click()
    await _shot(page, "referral-errors")
    assert tab.documents[-1].status == 422
    said = {f: await _error_beside(page, f) for f in ("cpr", "referred_on", "subproject_id")}
    assert all(said.values()), said
    assert "766" in said["subproject_id"] or "kommune" in said["subproject_id"].lower(), said

    # Then right: the referral is made and the browser lands on the new case
    await page.locator("#referral-cpr").fill(citizen.cpr)
    await page.locator("#referral-referred_on").fill(REFERRED_ON.isoformat())
    await _choose(page, "referral-programme_id", "rummelig-plus")
    await _choose(page, "referral-subproject_id", "plus-aarhus")
    async with page.expect_navigation():
        await page.locator("form#referral button[type=submit]").click()
    await page.wait_for_url("**/cases/RUM-*")
    reference = page.url.rsplit("/", 1)[1].split("?")[0]
    await _shot(page, "case-referred")

    await _step(page, reference, "enrolment", {"course_id": COURSE, "enrolled_on": ENROLLED_ON.isoformat()}, base)
    await _step(page, reference, "start", {"started_on": STARTED_ON.isoformat()}, base)
    await _step(page, reference, "completion", {"completed_on": LEFT_ON.isoformat()}, base)
    outcome = {"situation": "job-seeking", "observed_on": (LEFT_ON + timedelta(days=7)).isoformat()}
    await _step(page, reference, "leaving-outcome", outcome, base)
    await tab.context.close()

    # The six-month reminder in the real SMTP server; its link opens the six-month form after sign-in
    link = await eventually(lambda: reminder_link(stack, caseworker, reference), timeout=90)
    assert link.endswith(f"/cases/{reference}?step=six-month-result"), link
    tab = await new_tab(browser)
    page = tab.page
    await page.goto(link)
    await page.wait_for_url("**/sign-in?next=*")
    await sign_in(tab, caseworker, link)
    assert await page.locator("details:has(form#six-month-result)").get_attribute("open") is not None
    six_months = {"situation": "ordinary-employment", "observed_on": min(TODAY, add_months(LEFT_ON, 6)).isoformat()}
    await _step(page, reference, "six-month-result", six_months, base)

    # Every fact on the API's timeline is on the case page, in words
    timeline = await _timeline_of(stack, caseworker, await _participant_of(stack, caseworker, reference))
    wanted = {"referral.registered", "enrolment.confirmed", "participation.started", "participation.completed"}
    wanted |= {"leaving-outcome.recorded", "six-month-result.recorded"}
    assert wanted <= {e["type"] for e in timeline}, [e["type"] for e in timeline]
    await page.goto(f"{base}/cases/{reference}")
    shown = " ".join(await page.locator("ol.timeline li").all_inner_texts())
    say = Say("da")
    for event in timeline:
        assert timeline_line(event["type"], event["data"], say) in shown, event["type"]
    await _shot(page, "case-every-step")
    assert not tab.csp_violations, tab.csp_violations
    await tab.context.close()


async def _participant_of(stack: Stack, caseworker: Person, reference: str) -> str:
    async with httpx.AsyncClient(
        base_url=stack.url("intake"), headers={"Authorization": f"Bearer {caseworker.token}"}, timeout=30
    ) as client:
        answer = await client.get("/participants", params={"case_reference": reference})
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert len(items) == 1, items
    return str(items[0]["participant_id"])


async def test_the_referral_form_is_filled_and_sent_by_keyboard_alone(stack: Stack, browser: Browser) -> None:
    caseworker = person(stack, "keyboard", role="caseworker", municipality=MUNICIPALITY)
    citizen = synthetic_citizen(random.Random(19050002))
    typed = {  # the referral date is left empty (today); a date field takes its digits in the browser's own order
        "referral-cpr": citizen.cpr,
        "referral-name": citizen.name,
        "referral-months_unemployed": "14",
    }
    chosen = {  # a select is chosen by typing its option's first letters, as a keyboard user does
        "referral-legal_basis": "consent",
        "referral-programme_id": "rummelig-plus",
        "referral-subproject_id": "plus-aarhus",
        "referral-target_group": "war-veterans",
        "referral-labour_market_status": "unemployed",
        "referral-education_level": "isced-3-4",
        "referral-benefit": "kontanthjaelp",
    }
    tab = await new_tab(browser)
    page = tab.page
    await page.goto(f"{stack.url('intake')}/referrals/new")
    await page.wait_for_url("**/sign-in?next=*")
    await sign_in(tab, caseworker, "**/referrals/new")
    visited: list[str] = []
    for _ in range(200):  # Tab through the page until the form's button has the focus
        await page.keyboard.press("Tab")
        focused: dict[str, str] = await page.evaluate(
            "() => ({id: document.activeElement.id, tag: document.activeElement.tagName,"
            " type: document.activeElement.type || '', form: document.activeElement.form?.id || ''})"
        )
        visited.append(focused["id"] or focused["tag"])
        if focused["form"] != "referral":
            continue
        if focused["tag"] == "BUTTON":
            break
        if focused["id"] in typed:
            await page.keyboard.type(typed[focused["id"]])
        elif focused["id"] in chosen:
            await _choose_by_keyboard(page, focused["id"], chosen[focused["id"]])
        elif focused["id"] == "referral-consent":
            await page.keyboard.press("Space")
    else:
        pytest.fail(f"the form's button was never reached by Tab: {visited}")
    assert {*typed, *chosen, "referral-consent"} <= set(visited), visited
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await _shot(page, "keyboard-referred")
    assert "/cases/RUM-" in page.url, await page.locator("main").inner_text()
    await tab.context.close()


async def _choose_by_keyboard(page: Page, select: str, value: str) -> None:
    """Move through a closed select with the arrow keys until the wanted option is selected."""
    for _ in range(60):
        if await page.locator(f"#{select}").input_value() == value:
            return
        await page.keyboard.press("ArrowDown")
    pytest.fail(f"{value} not reached in {select} by the arrow keys")
