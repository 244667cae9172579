"""An administrator's journey through enrolment's catalogue pages in Chromium, on the whole stack.

The administrator signs in, creates a programme (first ending before it starts: the error beside the end date and
nothing created), extends it, adds a sub-project, a target amended from a later date (the targets page shows the old
number before that date and the new one after), a course (first in a municipality the sub-project does not serve: the
error beside the municipality) and a partner company, then signs out. Enrolment's catalogue API holds each entry exactly
once, and intake learns the course and the new end from Kafka. An operator or a caseworker signed in gets 403. Every
page passes axe-core, repeats no id, labels every control, sends the security headers and causes no CSP violation;
screenshots go to test-artifacts/pages/admin-*.png.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser

from deploy.stack import Stack
from services.enrolment.pages.words import AdminWords
from services.enrolment.seed import synthetic_cvr
from tests.fixtures.browser import Person, Tab, axe_core_script, new_tab, page_problems, person, sign_in
from tests.fixtures.kafka_tools import eventually

pytestmark = pytest.mark.stack
PROGRAMME = f"admin-journey-{uuid4().hex[:6]}"
SUBPROJECT = f"{PROGRAMME}-a"
TARGET = f"{PROGRAMME}-participants"
COURSE = f"{PROGRAMME}-course"
COMPANY = f"{PROGRAMME}-partner"
STARTS, ENDS, EXTENDED = date(2026, 1, 1), date(2027, 12, 31), date(2028, 6, 30)
AMENDED_ON = date(2027, 1, 1)  # the target's 100 becomes 140 from this day
BEFORE, AFTER = date(2026, 6, 30), date(2027, 6, 30)
SAY = AdminWords("da")  # the browser's locale is da-DK and no ?lang= is asked for: the pages speak Danish


@dataclass
class Journey:
    """What the browser saw on the administrator's way, and every page's problems (axe, headers, CSP)."""

    axe: str
    admin: Person
    cvr: str
    problems: list[str] = field(default_factory=list)
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    async def look(self, tab: Tab, name: str) -> dict[str, Any]:
        """Note the page as shown now (status, heading, text) and its problems; a screenshot admin-<name>.png."""
        page = tab.page
        shown = {
            "url": page.url,
            "status": tab.documents[-1].status,
            "h1": (await page.locator("h1").first.inner_text()).strip(),
            "text": await page.locator("main").inner_text(),
        }
        self.pages[name] = shown
        self.problems += await page_problems(tab, f"admin-{name}", self.axe)
        return shown


def _api(stack: Stack, who: Person) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=stack.url("enrolment"), headers={"Authorization": f"Bearer {who.token}"})


async def _get(stack: Stack, who: Person, path: str, **params: str) -> Any:
    async with _api(stack, who) as client:
        answer = await client.get(path, params=params, timeout=30)
    assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text}"
    return answer.json()


async def _open(journey: Journey, tab: Tab, url: str, name: str) -> dict[str, Any]:
    await tab.page.goto(url)
    shown = await journey.look(tab, name)
    assert shown["status"] == 200, f"{url}: {shown['status']} {shown['text']}"
    return shown


async def _send(journey: Journey, tab: Tab, kind: str, fields: dict[str, str], name: str) -> dict[str, Any]:
    """Fill the form of a kind (each field's id is <kind>-<name>) and send it with its button."""
    page = tab.page
    for name_of_field, value in fields.items():
        control = page.locator(f"form#{kind}-form #{kind}-{name_of_field}")
        if await control.evaluate("c => c.tagName") == "SELECT":
            await control.select_option(value)
        else:
            await control.fill(value)
    async with page.expect_navigation():
        await page.locator(f"form#{kind}-form button[type=submit]").click()
    return await journey.look(tab, name)


async def _saved(journey: Journey, tab: Tab, kind: str, fields: dict[str, str], name: str) -> None:
    """Send the form: redirected to its section, which says it was saved."""
    shown = await _send(journey, tab, kind, fields, name)
    assert shown["status"] == 200 and f"done={kind}" in shown["url"], f"{kind} not saved: {shown['text']}"
    assert (await tab.page.locator("#done[role=status]").inner_text()).strip() == SAY[f"done_{kind}"]


async def _refused(journey: Journey, tab: Tab, kind: str, fields: dict[str, str], name: str, at: str, key: str) -> None:
    """Send the form: 422, the error beside the field, linked from the summary, the field marked invalid."""
    shown = await _send(journey, tab, kind, fields, name)
    assert shown["status"] == 422, f"{kind} was not refused: {shown['status']} {shown['text']}"
    page = tab.page
    beside = page.locator(f"#{kind}-{at}-error")
    assert await beside.count() == 1, f"no error beside {kind}-{at}: {shown['text']}"
    assert (await beside.inner_text()).strip() == SAY[key]
    assert await page.locator(f".error-summary a[href='#{kind}-{at}']").count() == 1, f"{kind}-{at} not in summary"
    invalid = await page.locator(f"form#{kind}-form #{kind}-{at}").get_attribute("aria-invalid")
    assert invalid == "true", f"{kind}-{at} is not marked invalid"


async def _in_force(journey: Journey, tab: Tab, base: str, on: date, name: str) -> str:
    await _open(journey, tab, f"{base}/targets?on={on.isoformat()}", name)
    return (await tab.page.locator(f"#target-{TARGET} td.count").inner_text()).strip()


@pytest.fixture(scope="module")
async def journey(stack: Stack, browser: Browser) -> Journey:
    """The administrator's whole journey through the catalogue pages, from sign-in to sign-out."""
    admin = person(stack, "admin", role="administrator")
    seen = Journey(axe_core_script(), admin, synthetic_cvr(1_000 + uuid4().int % 90_000))
    site, base = stack.url("enrolment"), f"{stack.url('enrolment')}/admin/programmes/{PROGRAMME}"
    tab = await new_tab(browser)
    page = tab.page
    await page.goto(f"{site}/admin/programmes")
    await page.wait_for_url("**/sign-in?next=*")
    await seen.look(tab, "01-sign-in")
    await sign_in(tab, admin, "**/admin/programmes")
    await seen.look(tab, "02-programmes")
    async with page.expect_navigation():
        await page.locator("#new-programme").click()
    await seen.look(tab, "03-new-programme")

    # A new programme: first ending before it starts (refused, nothing created), then right
    programme = {
        "entry_id": PROGRAMME,
        "title": "Rummelig rejse",
        "operator": "Rummelig Operatør",
        "region": "Midtjylland",
        "starts_on": STARTS.isoformat(),
        "ends_on": "2025-12-31",
        "fund": "esf-plus-2021-2027",
    }
    await _refused(seen, tab, "programme", programme, "04-programme-error", "ends_on", "reason_end-before-start")
    async with _api(stack, admin) as client:
        seen.facts["after_error"] = (await client.get(f"/catalogue/programmes/{PROGRAMME}", timeout=30)).status_code
    await _saved(seen, tab, "programme", {"ends_on": ENDS.isoformat()}, "05-programme")

    # Extended: the new end is in force
    extension = {"ends_on": EXTENDED.isoformat(), "decided_on": "2026-11-02", "reason": "Forlænget af Socialfonden"}
    await _saved(seen, tab, "extension", extension, "06-extended")
    seen.facts["ends_in_force"] = (await page.locator("#ends-in-force").inner_text()).strip()
    seen.facts["extensions_shown"] = await page.locator("#extensions tbody tr").count()

    await _open(seen, tab, f"{base}/subprojects", "07-subprojects")
    subproject = {
        "entry_id": SUBPROJECT,
        "title": "Rummelig Aarhus og Odder",
        "provider_kind": "ngo",
        "provider": "Foreningen Rummelig",
        "municipalities": "751, 727",
        "target_groups": "psychologically-vulnerable",
        "coordinator_email": "x@example.dk",
        "starts_on": "2026-02-01",
        "ends_on": ENDS.isoformat(),
        "scope": "local",
    }
    await _saved(seen, tab, "subproject", subproject, "08-subproject")

    # A target of 100 participants, amended to 140 from a later date
    await _open(seen, tab, f"{base}/targets", "09-targets")
    target = {"entry_id": TARGET, "figure": "participants", "number": "100", "set_on": STARTS.isoformat()}
    await _saved(seen, tab, "target", target, "10-target")
    async with page.expect_navigation():
        await page.locator(f"#target-{TARGET} a[href*='amend=']").click()
    await seen.look(tab, "11-amend")
    amendment = {"number": "140", "effective_on": AMENDED_ON.isoformat(), "reason": "Tilsagnet er udvidet"}
    await _saved(seen, tab, "amendment", amendment, "12-amended")
    seen.facts["before"] = await _in_force(seen, tab, base, BEFORE, "13-targets-before")
    seen.facts["after"] = await _in_force(seen, tab, base, AFTER, "14-targets-after")

    # A course: first in a municipality the sub-project does not serve (refused, nothing created), then in Aarhus
    await _open(seen, tab, f"{base}/courses", "15-courses")
    course = {
        "entry_id": COURSE,
        "subproject_id": SUBPROJECT,
        "title": "Rummelig forløb",
        "location": "Aarhus C",
        "municipality": "101",
        "starts_on": "2026-03-01",
        "ends_on": "2026-12-31",
        "capacity": "12",
    }
    await _refused(seen, tab, "course", course, "16-course-error", "municipality", "reason_municipality-not-served")
    seen.facts["courses_after_error"] = await _get(stack, admin, "/catalogue/courses", programme_id=PROGRAMME)
    await _saved(seen, tab, "course", {"municipality": "751"}, "17-course")

    await _open(seen, tab, f"{base}/companies", "18-companies")
    company = {
        "entry_id": COMPANY,
        "cvr": seen.cvr,
        "name": "Rummelig Partner ApS",
        "kind": "commercial",
        "recruited_on": "2026-04-01",
        "subproject_ids": SUBPROJECT,
    }
    await _saved(seen, tab, "company", company, "19-company")

    # Signed out: the pages ask for sign-in again
    async with page.expect_navigation():
        await page.locator("form.sign-out button[type=submit]").click()
    await page.wait_for_url("**/sign-in")
    await seen.look(tab, "20-signed-out")
    await page.goto(f"{site}/admin/programmes")
    await page.wait_for_url("**/sign-in?next=*")
    seen.facts["after_sign_out"] = page.url
    await tab.context.close()
    return seen


async def test_the_administrator_builds_a_programme_through_the_pages(journey: Journey) -> None:
    assert journey.facts["after_error"] == 404  # the refused programme was not created
    assert journey.facts["ends_in_force"] == SAY.date(EXTENDED)
    assert journey.facts["extensions_shown"] == 1
    assert (journey.facts["before"], journey.facts["after"]) == ("100", "140")
    assert journey.facts["courses_after_error"] == []  # the refused course was not created
    assert SUBPROJECT in journey.pages["08-subproject"]["text"]
    for name in ("17-course", "19-company"):  # the course's and the company's sub-project, by its title
        assert "Rummelig Aarhus og Odder" in journey.pages[name]["text"], name
    assert journey.cvr in journey.pages["19-company"]["text"]
    assert journey.pages["20-signed-out"]["h1"] == SAY["sign_in"]
    assert "/sign-in?next=" in journey.facts["after_sign_out"]


async def test_every_admin_page_passes_axe_sends_the_headers_and_violates_no_csp(journey: Journey) -> None:
    assert len(journey.pages) == 20, sorted(journey.pages)
    assert not journey.problems, "\n".join(journey.problems)


async def test_the_catalogue_api_holds_each_entry_exactly_once(journey: Journey, stack: Stack) -> None:
    admin = journey.admin
    listed = await _get(stack, admin, "/catalogue/programmes")
    assert [p["programme_id"] for p in listed].count(PROGRAMME) == 1
    programme = await _get(stack, admin, f"/catalogue/programmes/{PROGRAMME}")
    assert (programme["starts_on"], programme["ends_on"]) == (STARTS.isoformat(), ENDS.isoformat())
    assert (programme["fund"], programme["ends_in_force_on"]) == ("esf-plus-2021-2027", EXTENDED.isoformat())
    assert [e["ends_on"] for e in programme["extensions"]] == [EXTENDED.isoformat()]
    for on, number in ((BEFORE, 100), (AFTER, 140)):
        targets = await _get(stack, admin, f"/catalogue/programmes/{PROGRAMME}/targets", on=on.isoformat())
        assert [(t["target_id"], t["figure"], t["number_in_force"]) for t in targets] == [
            (TARGET, "participants", number)
        ], on
        assert [(a["number"], a["effective_on"]) for a in targets[0]["amendments"]] == [(140, AMENDED_ON.isoformat())]
    subprojects = await _get(stack, admin, "/catalogue/subprojects", programme_id=PROGRAMME)
    assert [
        (s["subproject_id"], s["municipalities"], s["target_groups"], s["coordinator_email"]) for s in subprojects
    ] == [(SUBPROJECT, ["751", "727"], ["psychologically-vulnerable"], "x@example.dk")]
    courses = await _get(stack, admin, "/catalogue/courses", programme_id=PROGRAMME)
    assert [(c["course_id"], c["subproject_id"], c["municipality"], c["capacity"]) for c in courses] == [
        (COURSE, SUBPROJECT, "751", 12)
    ]
    companies = await _get(stack, admin, "/catalogue/companies", programme_id=PROGRAMME)
    assert [(c["company_id"], c["cvr"], c["kind"], c["subproject_ids"]) for c in companies] == [
        (COMPANY, journey.cvr, "commercial", [SUBPROJECT])
    ]


async def test_intake_learns_the_course_and_the_new_end_from_kafka(journey: Journey, stack: Stack) -> None:
    async def known() -> tuple[str, str, date] | None:
        connection = await asyncpg.connect(stack.postgres.dsn("intake"))
        try:
            course = await connection.fetchrow(
                "SELECT subproject_id, municipality FROM catalogue_course WHERE id = $1 AND programme_id = $2",
                COURSE,
                PROGRAMME,
            )
            ends = await connection.fetchval("SELECT ends_on FROM catalogue_programme WHERE id = $1", PROGRAMME)
        finally:
            await connection.close()
        return (course["subproject_id"], course["municipality"], ends) if course and ends == EXTENDED else None

    assert await eventually(known, timeout=30) == (SUBPROJECT, "751", EXTENDED)


@pytest.mark.parametrize("role", ["operator", "caseworker"])
async def test_only_an_administrator_gets_the_catalogue_pages(stack: Stack, browser: Browser, role: str) -> None:
    someone = person(stack, f"not-admin-{role}", role=role, municipality="751" if role == "caseworker" else None)
    seen = Journey(axe_core_script(), someone, "")
    tab = await new_tab(browser)
    await tab.page.goto(f"{stack.url('enrolment')}/admin/programmes")
    await tab.page.wait_for_url("**/sign-in?next=*")
    await seen.look(tab, f"{role}-sign-in")
    await sign_in(tab, someone, "**/admin/programmes")
    shown = await seen.look(tab, f"{role}-forbidden")
    await tab.context.close()
    assert (shown["status"], shown["h1"]) == (403, SAY["forbidden_title"]), shown["text"]
    assert PROGRAMME not in shown["text"] and SAY["new_programme"] not in shown["text"]
    assert not seen.problems, "\n".join(seen.problems)
