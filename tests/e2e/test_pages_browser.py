"""The caseworker pages in Chromium on the whole stack: a caseworker signs in by keyboard alone, finds their case (not a
colleague's) under "Mine sager" and in the task inbox, opens it at the form the overdue check asks for, reads it in
Danish and English, and follows the reminder email's link through sign-in to the case; another municipality gets "not
found", an operator and provider staff no personal data. Every page passes axe-core (no serious or critical
violation), sends the security headers and causes no CSP violation, and the audit log holds exactly the journey's
reads. Screenshots go to test-artifacts/pages/."""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser

from deploy.stack import Stack
from deploy.synthetic import SyntheticCitizen, referral_body, synthetic_citizen
from services.intake.pages.texts import Say
from shared.clock import today_in_copenhagen
from shared.fund_rules import add_months
from tests.fixtures.browser import (
    Person,
    Tab,
    axe_core_script,
    focus_shown,
    new_tab,
    page_problems,
    person,
    reminder_link,
    sign_in,
    signed_in,
)
from tests.fixtures.kafka_tools import eventually

pytestmark = pytest.mark.stack
COURSE = "plus-aarhus-2026"  # the seed's course in Aarhus (751)
STEPS = ("Henvist til delprojekt plus-aarhus", f"Optaget på forløb {COURSE}", f"Startede på forløb {COURSE}")


@dataclass
class Case:
    """A referred case and its synthetic citizen."""

    participant_id: UUID
    reference: str
    citizen: SyntheticCitizen


@dataclass
class Walk:
    """What the browser saw on the way; the tests below judge it."""

    caseworker: Person
    case: Case
    colleagues_case: Case
    others: list[Person]
    left_on_words: str
    problems: list[str] = field(default_factory=list)
    focus: list[dict[str, Any] | None] = field(default_factory=list)
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any], want: int = 200) -> dict[str, Any]:
    answer = await client.post(path, json=body)
    assert answer.status_code == want, f"{path}: {answer.status_code} {answer.text}"
    found: dict[str, Any] = answer.json()
    return found


def _api(stack: Stack, person: Person) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=stack.url("intake"), headers={"Authorization": f"Bearer {person.token}"}, timeout=30
    )


async def _refer(client: httpx.AsyncClient, seed: int, **overrides: object) -> Case:
    citizen = synthetic_citizen(random.Random(seed))
    created = await _post(client, "/referrals", referral_body(citizen, **overrides), 201)
    return Case(UUID(created["participant_id"]), created["case_reference"], citizen)


async def _left_seven_months_ago(stack: Stack, caseworker: Person) -> tuple[Case, str]:
    """A case referred, enrolled, started and completed through the API, so that both of its checks are due now."""
    left_on = add_months(today_in_copenhagen(), -7)
    started_on = left_on - timedelta(days=60)
    enrolled_on = started_on - timedelta(days=7)
    async with _api(stack, caseworker) as client:
        case = await _refer(client, 20261205, referred_on=(enrolled_on - timedelta(days=7)).isoformat())
        path = f"/participants/{case.participant_id}"
        await _post(client, f"{path}/enrolment", {"course_id": COURSE, "enrolled_on": enrolled_on.isoformat()})
        await _post(client, f"{path}/start", {"started_on": started_on.isoformat()})
        await _post(client, f"{path}/completion", {"completed_on": left_on.isoformat()})
    return case, Say("da").date(left_on)


async def _colleagues_case(stack: Stack, colleague: Person) -> Case:
    async with _api(stack, colleague) as client:
        return await _refer(client, 20261206)


async def _seen(tab: Tab) -> dict[str, Any]:
    page = tab.page
    return {
        "url": page.url,
        "status": tab.documents[-1].status,
        "lang": await page.locator("html").get_attribute("lang"),
        "h1": (await page.locator("h1").inner_text()).strip(),
        "text": await page.locator("body").inner_text(),
        "title": await page.title(),
    }


async def _look(walk: Walk, tab: Tab, name: str, axe: str) -> None:
    walk.pages[name] = await _seen(tab)
    walk.problems += await page_problems(tab, name, axe)


@pytest.fixture(scope="module")
def axe_core() -> str:
    """axe-core's source, from the cache deploy/bootstrap.sh fills."""
    return axe_core_script()


@pytest.fixture(scope="module")
async def walk(stack: Stack, browser: Browser, axe_core: str) -> Walk:
    """The whole walk, once: the cases made through the API, then every page opened in Chromium."""
    caseworker = person(stack, "caseworker", role="caseworker", municipality="751")
    colleague = person(stack, "colleague", role="caseworker", municipality="751")
    (case, left_on_words), colleagues_case = await asyncio.gather(
        _left_seven_months_ago(stack, caseworker), _colleagues_case(stack, colleague)
    )
    others = [
        person(stack, "elsewhere", role="caseworker", municipality="101"),
        person(stack, "operator", role="operator"),
        person(stack, "provider", role="provider-staff", subprojects=["plus-aarhus"]),
    ]
    walk = Walk(caseworker, case, colleagues_case, others, left_on_words)

    # Signed in by keyboard alone: Tab to the token field (each stop's focus must show), type, Enter.
    tab = await new_tab(browser)
    await tab.page.goto(f"{stack.url('intake')}/sign-in")
    await _look(walk, tab, "01-sign-in", axe_core)
    for _ in range(10):
        await tab.page.keyboard.press("Tab")
        walk.focus.append(await focus_shown(tab.page))
        if walk.focus[-1] and walk.focus[-1]["id"] == "token":
            break
    await tab.page.keyboard.type(caseworker.token)
    await signed_in(tab, partial(tab.page.keyboard.press, "Enter"), "**/cases")
    await _look(walk, tab, "02-mine-sager", axe_core)
    walk.pages["02-mine-sager"]["links"] = await tab.page.locator("table.cases a").all_inner_texts()

    # The task inbox, and from it one click to the case at the form the overdue check asks for.
    await tab.page.get_by_role("link", name="Opgaver").click()
    await tab.page.wait_for_url("**/tasks")
    await _look(walk, tab, "03-opgaver", axe_core)
    await tab.page.locator("table.tasks a.task").click()
    await tab.page.wait_for_url(re.compile(rf"/cases/{case.reference}\?step="))
    await _look(walk, tab, "04-case-da", axe_core)
    await tab.page.get_by_role("link", name="English").click()
    await tab.page.wait_for_url(re.compile(rf"/cases/{case.reference}\?.*lang=en"))
    await _look(walk, tab, "05-case-en", axe_core)
    await tab.context.close()

    # The reminder's link, opened where no session is (as from webmail): sign-in first, then the case.
    link = await eventually(lambda: reminder_link(stack, caseworker, case.reference), timeout=60)
    walk.pages["reminder"] = {"link": link}
    tab = await new_tab(browser)
    await tab.page.goto(link)
    await tab.page.wait_for_url("**/sign-in?next=*")
    await _look(walk, tab, "06-reminder-sign-in", axe_core)
    await sign_in(tab, caseworker, link)
    await _look(walk, tab, "07-reminder-case", axe_core)
    await tab.context.close()

    # Everyone else who follows the same link: another municipality's caseworker, the operator, provider staff.
    for n, other in enumerate(others, start=8):
        tab = await new_tab(browser)
        await tab.page.goto(link)
        await tab.page.wait_for_url("**/sign-in?next=*")
        await sign_in(tab, other, link)
        await _look(walk, tab, f"{n:02d}-{other.subject.split('-')[1]}", axe_core)
        await tab.context.close()
    return walk


async def test_every_page_passes_axe_sends_the_headers_and_breaks_no_csp(walk: Walk) -> None:
    assert len(walk.pages) == 11  # ten pages and the reminder's link
    assert walk.problems == []


async def test_a_caseworker_signs_in_by_keyboard_alone_with_the_focus_always_visible(walk: Walk) -> None:
    assert walk.focus and walk.focus[-1] is not None and walk.focus[-1]["id"] == "token", walk.focus
    assert all(stop is not None and stop["shown"] for stop in walk.focus), walk.focus
    assert walk.pages["02-mine-sager"]["url"].endswith("/cases")


async def test_mine_sager_and_the_inbox_hold_the_caseworkers_case_and_not_a_colleagues(walk: Walk) -> None:
    seen, inbox = walk.pages["02-mine-sager"], walk.pages["03-opgaver"]
    assert (seen["lang"], seen["h1"]) == ("da", "Mine sager")
    assert seen["links"] == [walk.case.reference]
    assert walk.case.reference in inbox["text"]
    for page in (seen, inbox):
        assert walk.colleagues_case.reference not in page["text"]


async def test_the_case_page_shows_the_personal_data_and_the_timeline_in_danish_then_english(walk: Walk) -> None:
    danish, english = walk.pages["04-case-da"], walk.pages["05-case-en"]
    citizen = walk.case.citizen
    assert (danish["lang"], danish["h1"]) == ("da", f"Sag {walk.case.reference}")
    assert citizen.name in danish["text"] and f"{citizen.cpr[:6]}-{citizen.cpr[-4:]}" in danish["text"]
    for step in (*STEPS, f"Gennemførte forløb {COURSE} {walk.left_on_words}"):
        assert step in danish["text"], step
    assert (english["lang"], english["h1"]) == ("en", f"Case {walk.case.reference}")
    assert f"Completed course {COURSE}" in english["text"] and "Personal data" in english["text"]
    # a page title names no case and no person: titles land in the history and on shared screens
    for seen in (danish, english):
        assert walk.case.reference not in seen["title"] and citizen.name not in seen["title"]


async def test_the_reminders_link_leads_through_sign_in_to_the_case(walk: Walk, stack: Stack) -> None:
    assert walk.pages["reminder"]["link"].startswith(f"{stack.url('intake')}/cases/{walk.case.reference}")
    assert walk.pages["06-reminder-sign-in"]["h1"] == "Log ind"
    arrived = walk.pages["07-reminder-case"]
    assert arrived["status"] == 200 and arrived["h1"] == f"Sag {walk.case.reference}"
    assert walk.case.citizen.name in arrived["text"]


async def test_no_one_else_gets_a_page_with_the_personal_data(walk: Walk) -> None:
    elsewhere, operator, provider = (
        walk.pages[f"{n:02d}-{p.subject.split('-')[1]}"] for n, p in enumerate(walk.others, 8)
    )
    assert (elsewhere["status"], elsewhere["h1"]) == (404, "Siden findes ikke")
    assert (operator["status"], operator["h1"]) == (403, "Ingen adgang")
    assert (provider["status"], provider["h1"]) == (403, "Ingen adgang")
    citizen = walk.case.citizen
    for seen in (elsewhere, operator, provider):
        assert citizen.name not in seen["text"] and citizen.cpr[-4:] not in seen["text"]


async def test_the_audit_log_holds_one_entry_per_read_of_the_journey(walk: Walk, stack: Stack) -> None:
    connection = await asyncpg.connect(stack.postgres.dsn("intake"))
    try:
        rows = await connection.fetch(
            "SELECT participant_id, actor, role, action FROM audit_entry"
            " WHERE participant_id = ANY($1::uuid[]) OR actor = ANY($2::text[]) ORDER BY id",
            [walk.case.participant_id, walk.colleagues_case.participant_id],
            [walk.caseworker.subject, *(p.subject for p in walk.others)],
        )
    finally:
        await connection.close()
    # three case pages opened (Danish, English, from the reminder), each one read of the personal data and one of the
    # timeline; nothing for the colleague's case, the "not found" or the refused pages
    page = [
        (walk.case.participant_id, walk.caseworker.subject, "caseworker", "read-personal-data"),
        (walk.case.participant_id, walk.caseworker.subject, "caseworker", "read-timeline"),
    ]
    assert [tuple(r) for r in rows] == page * 3
