"""Conflicting edits and provider staff's course page, in Chromium on the whole stack.

Two caseworkers act on one case from pages rendered before the other's change: the second gets the 409 page naming
what changed, when and by whom, and nothing is applied; the same through the API with If-Match. Provider staff record a
start and a completion on their course's page, which shows first names and case references and no CPR number. Every
page passes axe-core, sends the security headers and causes no CSP violation; screenshots go to test-artifacts/pages/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from playwright.async_api import Browser, Page

from deploy.stack import Stack
from services.intake.pages.texts import Say
from shared.clock import today_in_copenhagen
from tests.fixtures.browser import Person, Tab, axe_core_script, new_tab, person, sign_in
from tests.fixtures.page_journeys import Case, Programme, Seen, api, timeline

pytestmark = pytest.mark.stack
# A programme of the module's own (its sub-project serves Aarhus and Odder): a course page with only these
# participants, and no CPR number referred in it by another test. Its citizens are Random(SEED + n) for n of 100 and
# up (the team page's module takes those below 100); its cases are all Aarhus's, so /team in Odder holds none.
PROGRAMME = Programme(f"pages-conflict-{uuid4().hex[:8]}", seed=19_19_0000)
AARHUS = "751"
TODAY = today_in_copenhagen()


@pytest.fixture(scope="module")
def axe_core() -> str:
    """axe-core's source, from the cache deploy/bootstrap.sh fills."""
    return axe_core_script()


# --- conflicts --------------------------------------------------------------------------------------------------------
@dataclass
class Conflict:
    """One case two caseworkers acted on from pages rendered before the other's change."""

    first: Person
    second: Person
    case: Case
    seen: Seen
    timeline: list[dict[str, Any]] = field(default_factory=list)


async def _fill(page: Page, step: str, fields: dict[str, str]) -> None:
    """Fill a step's form on the case page (a select chosen, a date typed)."""
    for name, value in fields.items():
        control = page.locator(f"#{step}-{name}")
        if await control.evaluate("c => c.tagName") == "SELECT":
            await control.select_option(value)
        else:
            await control.fill(value)


@pytest.fixture(scope="module", autouse=True)
async def programme(stack: Stack) -> str:
    """The module's own programme, known to intake before any referral."""
    await PROGRAMME.known(stack)
    return PROGRAMME.id


@pytest.fixture(scope="module")
async def conflict(stack: Stack, browser: Browser, axe_core: str) -> Conflict:
    """The first records a start in one context; the second withdraws from the page rendered before it."""
    first = person(stack, "first", role="caseworker", municipality=AARHUS)
    second = person(stack, "second", role="caseworker", municipality=AARHUS)
    enrolled_on = TODAY - timedelta(days=10)
    async with api(stack, first) as client:
        case = await PROGRAMME.refer(client, 100, referred_on=(enrolled_on - timedelta(days=7)).isoformat())
        await PROGRAMME.enrol(client, case, enrolled_on.isoformat())
    conflict = Conflict(first, second, case, Seen())
    base, tabs = stack.url("intake"), dict[str, Tab]()
    for who, step in ((first, "start"), (second, "withdrawal")):  # both pages rendered before either acts
        tab = tabs[who.subject] = await new_tab(browser)
        link = f"{base}/cases/{case.reference}?step={step}"
        await tab.page.goto(link)
        await tab.page.wait_for_url("**/sign-in?next=*")
        await sign_in(tab, who, link)
    one, two = tabs[first.subject], tabs[second.subject]
    await conflict.seen.look(two, "conflict-01-second-before", axe_core)

    await _fill(one.page, "start", {"started_on": (enrolled_on + timedelta(days=3)).isoformat()})
    async with one.page.expect_navigation():
        await one.page.locator("form#start button[type=submit]").click()
    await conflict.seen.look(one, "conflict-02-first-started", axe_core)
    await one.context.close()

    await _fill(two.page, "withdrawal", {"withdrawn_on": TODAY.isoformat(), "reason": "declined"})
    async with two.page.expect_navigation():
        await two.page.locator("form#withdrawal button[type=submit]").click()
    await conflict.seen.look(two, "conflict-03-refused", axe_core)
    async with api(stack, first) as client:
        conflict.timeline = await timeline(client, case)
    async with two.page.expect_navigation():
        await two.page.locator("#reload").click()
    await conflict.seen.look(two, "conflict-04-reloaded", axe_core)
    await two.context.close()
    return conflict


async def test_the_second_caseworker_is_refused_with_what_changed_when_and_by_whom(conflict: Conflict) -> None:
    started = conflict.seen.pages["conflict-02-first-started"]
    assert started["status"] == 200 and 'id="answer"' in started["html"] and "answer-accepted" in started["html"]
    refused = conflict.seen.pages["conflict-03-refused"]
    assert (refused["status"], refused["h1"]) == (409, "Sagen er ændret, siden du åbnede den")
    say = Say("da")
    changes = refused["text"]
    # the first caseworker referred the case, so the case names them by the work email the caseload shows
    named = f"{say.kind('participation.started')}, {say.date(TODAY)}"
    by = f"{say.get('by', 'af')} {conflict.first.subject}@example.dk ({say.roles('caseworker')})"
    assert named in changes and by in changes, changes
    assert conflict.case.citizen.name not in changes and conflict.case.citizen.cpr[-4:] not in changes


async def test_nothing_of_the_refused_step_was_applied_and_the_reload_shows_the_case(conflict: Conflict) -> None:
    kinds = [event["type"] for event in conflict.timeline]
    assert kinds.count("participation.started") == 1, kinds
    assert "participation.withdrawn" not in kinds, kinds
    reloaded = conflict.seen.pages["conflict-04-reloaded"]
    assert (reloaded["status"], reloaded["h1"]) == (200, f"Sag {conflict.case.reference}")
    assert f"Startede på forløb {PROGRAMME.course}" in reloaded["text"]


async def test_every_conflict_page_passes_axe_sends_the_headers_and_breaks_no_csp(conflict: Conflict) -> None:
    assert len(conflict.seen.pages) == 4
    assert conflict.seen.problems == []


async def test_a_command_with_a_stale_if_match_is_refused_and_nothing_applied(stack: Stack) -> None:
    first = person(stack, "etag-first", role="caseworker", municipality=AARHUS)
    second = person(stack, "etag-second", role="caseworker", municipality=AARHUS)
    enrolled_on = TODAY - timedelta(days=10)
    async with api(stack, first) as one, api(stack, second) as two:
        case = await PROGRAMME.refer(one, 101, referred_on=(enrolled_on - timedelta(days=7)).isoformat())
        await PROGRAMME.enrol(one, case, enrolled_on.isoformat())
        path = f"/participants/{case.participant_id}"
        # both read the case (an audited read: the conflict names the first by the role it recorded) and its ETag
        reads = [await client.get(path) for client in (one, two)]
        assert [r.status_code for r in reads] == [200, 200], [r.text for r in reads]
        stale = reads[1].headers["ETag"]
        assert reads[0].headers["ETag"] == stale
        started = await one.post(
            f"{path}/start",
            json={"started_on": (enrolled_on + timedelta(days=1)).isoformat()},
            headers={"If-Match": reads[0].headers["ETag"]},
        )
        assert started.status_code == 200 and started.json()["status"] == "accepted", started.text
        refused = await two.post(
            f"{path}/withdrawal",
            json={"withdrawn_on": TODAY.isoformat(), "reason": "declined"},
            headers={"If-Match": stale},
        )
        after = (await one.get(f"{path}/timeline")).json()
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"] == "urn:rummelig:problem:case-changed"
    assert refused.headers["ETag"] != stale
    assert [c["kind"] for c in problem["changes"]] == ["participation.started"], problem
    assert problem["changes"][0]["by"] == {"name": f"{first.subject}@example.dk", "role": "caseworker"}
    kinds = [event["type"] for event in after["events"]]
    assert kinds.count("participation.started") == 1 and "participation.withdrawn" not in kinds, kinds
    assert after["pending_commands"] == []  # the refused command was not issued either


# --- provider staff ---------------------------------------------------------------------------------------------------
async def test_provider_staff_record_a_start_and_a_completion_on_their_course_page(
    stack: Stack, browser: Browser, axe_core: str
) -> None:
    caseworker = person(stack, "referrer", role="caseworker", municipality=AARHUS)
    provider = person(stack, "provider", role="provider-staff", subprojects=[PROGRAMME.subproject])
    enrolled_on = TODAY - timedelta(days=10)
    async with api(stack, caseworker) as client:
        case = await PROGRAMME.refer(client, 200, referred_on=(enrolled_on - timedelta(days=7)).isoformat())
        await PROGRAMME.enrol(client, case, enrolled_on.isoformat())
    seen, base = Seen(), stack.url("intake")
    tab = await new_tab(browser)
    page = tab.page
    await page.goto(f"{base}/sign-in")
    await sign_in(tab, provider, "**/provider/courses")  # where provider staff start
    await seen.look(tab, "provider-01-courses", axe_core)
    async with page.expect_navigation():
        await page.locator(f"#courses a[href='/provider/courses/{PROGRAMME.course}']").click()
    await seen.look(tab, "provider-02-course", axe_core)

    first_name = case.citizen.name.split()[0]
    for step, field_name, on in (
        ("start", "started_on", enrolled_on + timedelta(days=3)),
        ("completion", "completed_on", TODAY),
    ):
        mine = page.locator("section.participant", has=page.locator("h3", has_text=f"{case.reference}:"))
        assert (await mine.locator("h3").inner_text()).strip() == f"{case.reference}: {first_name}"
        form = mine.locator(f"form[id$='-{step}']")
        await mine.locator(f"details:has(form[id$='-{step}']) summary").click()
        await form.locator(f"input[name={field_name}]").fill(on.isoformat())
        async with page.expect_navigation():
            await form.locator("button[type=submit]").click()
        shown = await seen.look(tab, f"provider-03-{step}", axe_core)
        assert shown["status"] == 200, shown["text"]
        answer = page.locator("#answer")
        assert "answer-accepted" in (await answer.get_attribute("class") or ""), await answer.inner_text()
    await tab.context.close()

    for name, shown in seen.pages.items():  # no CPR number, nor the full name, on any page, in any form
        cpr = case.citizen.cpr.replace("-", "")
        for secret in (cpr, f"{cpr[:6]}-{cpr[6:]}", case.citizen.name):
            assert secret not in shown["html"], (name, secret)
    async with api(stack, caseworker) as client:
        kinds = [event["type"] for event in await timeline(client, case)]
    assert kinds.count("participation.started") == 1 and kinds.count("participation.completed") == 1, kinds
    assert seen.problems == []
