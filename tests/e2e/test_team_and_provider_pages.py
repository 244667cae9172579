"""The team lead's and provider staff's pages, and conflicting edits, in Chromium on the whole stack.

A team lead moves a caseworker's whole caseload of 50 cases on /team: each case's result is "moved", the old
caseworker's "Mine sager" no longer lists them and the new one's does, each API timeline and the audit log hold the
move, and the reminders of checks that fell due after the move reach the new caseworker through the real SMTP server,
none the old. Two caseworkers act on one case from pages rendered before the other's change: the second gets the 409
page naming what changed, when and by whom, and nothing is applied; the same through the API with If-Match. Provider
staff record a start and a completion on their course's page, which shows first names and case references and no CPR
number. Every page passes axe-core, sends the security headers and causes no CSP violation; screenshots go to
test-artifacts/pages/.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, Page

from deploy.mailcatcher import read_messages
from deploy.stack import Stack
from deploy.synthetic import SyntheticCitizen, referral_body, synthetic_citizen
from services.intake.pages.texts import Say
from shared.clock import today_in_copenhagen
from shared.fund_rules import add_months
from tests.fixtures.browser import Person, Tab, axe_core_script, new_tab, page_problems, person, reminder_link, sign_in
from tests.fixtures.kafka_tools import eventually
from tests.fixtures.simulation import simulation_catalogue, until_intake_knows

pytestmark = pytest.mark.stack
# A programme of the module's own (its sub-project serves Aarhus and Odder): a course of 500 seats nobody else fills,
# a course page with only these participants, and no CPR number referred in it by another test.
PROGRAMME = f"pages-team-{uuid4().hex[:8]}"
SUBPROJECT = f"{PROGRAMME}-a"
COURSE = f"{SUBPROJECT}-course"
ODDER = "727"  # the move's municipality: no other browser test has cases there, so /team holds only these
AARHUS = "751"
CASELOAD = 50
FOLLOWED = 3  # of the caseload, the cases that leave after the move, so that a check falls due for each
TODAY = today_in_copenhagen()
LEFT_ON = add_months(TODAY, -7)  # left seven months ago: the six-month check is due as soon as it exists
STARTED_ON = LEFT_ON - timedelta(days=60)
ENROLLED_ON = STARTED_ON - timedelta(days=7)
REFERRED_ON = ENROLLED_ON - timedelta(days=7)
SEED = 19_19_0000  # Random(SEED + n): no other test uses these seeds
T = TypeVar("T")


@dataclass
class Case:
    """A referred case and its synthetic citizen."""

    participant_id: UUID
    reference: str
    citizen: SyntheticCitizen


@dataclass
class Seen:
    """What the browser saw on the way, and every page's problems (axe, headers, CSP)."""

    problems: list[str] = field(default_factory=list)
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def look(self, tab: Tab, name: str, axe: str) -> dict[str, Any]:
        """Note the page as shown now (status, heading, text) and its problems; a screenshot is saved."""
        page = tab.page
        shown = {
            "url": page.url,
            "status": tab.documents[-1].status,
            "h1": (await page.locator("h1").first.inner_text()).strip(),
            "text": await page.locator("body").inner_text(),
            "html": await page.content(),
        }
        self.pages[name] = shown
        self.problems += await page_problems(tab, name, axe)
        return shown


def _api(stack: Stack, who: Person) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=stack.url("intake"), headers={"Authorization": f"Bearer {who.token}"}, timeout=60)


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any], want: int = 200) -> dict[str, Any]:
    answer = await client.post(path, json=body)
    assert answer.status_code == want, f"{path}: {answer.status_code} {answer.text}"
    found: dict[str, Any] = answer.json()
    return found


async def _refer(client: httpx.AsyncClient, seed: int, **overrides: object) -> Case:
    citizen = synthetic_citizen(random.Random(SEED + seed))
    body = referral_body(citizen, programme_id=PROGRAMME, subproject_id=SUBPROJECT, **overrides)
    created = await _post(client, "/referrals", body, 201)
    return Case(UUID(created["participant_id"]), created["case_reference"], citizen)


async def _enrol(client: httpx.AsyncClient, case: Case, enrolled_on: str) -> None:
    answer = await _post(
        client, f"/participants/{case.participant_id}/enrolment", {"course_id": COURSE, "enrolled_on": enrolled_on}
    )
    assert (answer["fact"] or {}).get("type") == "enrolment.confirmed", answer  # a seat, not the waiting list


async def _few_at_a_time(jobs: Iterable[Awaitable[T]], at_once: int = 8) -> list[T]:
    """Await the jobs with at most a few in flight (two cores serve the whole stack)."""
    gate = asyncio.Semaphore(at_once)

    async def one(job: Awaitable[T]) -> T:
        async with gate:
            return await job

    return list(await asyncio.gather(*(one(job) for job in jobs)))


async def _timeline(client: httpx.AsyncClient, case: Case) -> list[dict[str, Any]]:
    answer = await client.get(f"/participants/{case.participant_id}/timeline")
    assert answer.status_code == 200, answer.text
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


async def _cases_listed(page: Page) -> list[str]:
    """The case references of "Mine sager", every page of it (25 a page)."""
    listed = await page.locator("table.cases a").all_inner_texts()
    while await page.locator("nav.paging a[rel=next]").count():
        async with page.expect_navigation():
            await page.locator("nav.paging a[rel=next]").click()
        listed += await page.locator("table.cases a").all_inner_texts()
    return listed


@pytest.fixture(scope="module", autouse=True)
async def programme(stack: Stack) -> str:
    """The module's own programme, known to intake before any referral."""
    await simulation_catalogue(stack, PROGRAMME)
    await until_intake_knows(stack, PROGRAMME)
    return PROGRAMME


@pytest.fixture(scope="module")
def axe_core() -> str:
    """axe-core's source, from the cache deploy/bootstrap.sh fills."""
    return axe_core_script()


# --- reassignment -----------------------------------------------------------------------------------------------------
@dataclass
class Move:
    """The caseload moved on /team, who was who, and what the browser saw."""

    old: Person
    new: Person
    lead: Person
    cases: list[Case]
    seen: Seen
    own: Case  # the new caseworker's case from before the move
    results: list[tuple[str, str]] = field(default_factory=list)
    before: list[str] = field(default_factory=list)
    old_after: list[str] = field(default_factory=list)
    new_after: list[str] = field(default_factory=list)

    @property
    def followed(self) -> list[Case]:
        """The cases whose check falls due after the move."""
        return self.cases[:FOLLOWED]


async def _caseload(stack: Stack, old: Person) -> list[Case]:
    """Fifty cases of one caseworker; the first few enrolled and started seven months ago, none left yet."""

    async def followed(client: httpx.AsyncClient, n: int) -> Case:
        case = await _refer(client, n, referred_on=REFERRED_ON.isoformat())
        await _enrol(client, case, ENROLLED_ON.isoformat())
        await _post(client, f"/participants/{case.participant_id}/start", {"started_on": STARTED_ON.isoformat()})
        return case

    async with _api(stack, old) as client:
        jobs = [followed(client, n) if n < FOLLOWED else _refer(client, n) for n in range(CASELOAD)]
        return await _few_at_a_time(jobs)


async def _followup_knows_the_move(stack: Stack, cases: list[Case], new: Person) -> bool:
    """Follow-up reminds the new caseworker about each case (its read of case.reassigned is in)."""
    connection = await asyncpg.connect(stack.postgres.dsn("followup"))
    try:
        known = await connection.fetchval(
            "SELECT count(*) FROM followup_case WHERE participant_id = ANY($1::uuid[]) AND caseworker_email = $2",
            [case.participant_id for case in cases],
            f"{new.subject}@example.dk",
        )
    finally:
        await connection.close()
    return bool(known == len(cases))


@pytest.fixture(scope="module")
async def move(stack: Stack, browser: Browser, axe_core: str) -> Move:
    """The caseload made through the API, moved on /team in Chromium, then the followed cases leave."""
    old = person(stack, "old", role="caseworker", municipality=ODDER)
    new = person(stack, "new", role="caseworker", municipality=ODDER)
    lead = person(stack, "lead", role="team-lead", municipality=ODDER)
    async with _api(stack, new) as client:  # the colleague's own case: intake knows them, the team page offers them
        own, cases = await asyncio.gather(_refer(client, CASELOAD), _caseload(stack, old))
    move = Move(old, new, lead, cases, Seen(), own=own)
    base = stack.url("intake")

    # The old caseworker's "Mine sager", open in a tab of its own before the move
    old_tab = await new_tab(browser)
    await old_tab.page.goto(f"{base}/cases")
    await old_tab.page.wait_for_url("**/sign-in?next=*")
    await sign_in(old_tab, old, "**/cases")
    await move.seen.look(old_tab, "team-01-old-mine-sager-before", axe_core)
    move.before = await _cases_listed(old_tab.page)

    # The team lead moves the whole caseload to a colleague intake does not know yet (subject and work email typed)
    tab = await new_tab(browser)
    await tab.page.goto(f"{base}/team")
    await tab.page.wait_for_url("**/sign-in?next=*")
    await sign_in(tab, lead, "**/team")
    await move.seen.look(tab, "team-02-team", axe_core)
    form = tab.page.locator("form", has=tab.page.locator(f"input[name=from_caseworker][value='{old.subject}']"))
    # the colleague is chosen from the caseworkers intake knows (the "another colleague" option is broken: base.html's
    # language switch sets `other`, so the option posts to=en and the move is refused as no colleague chosen)
    await form.locator("select[name=to]").select_option(new.subject)
    await form.locator("select[name=reason]").select_option("caseworker-left")
    async with tab.page.expect_navigation():
        await form.locator("button[name=move][value=all]").click()
    await move.seen.look(tab, "team-03-moved", axe_core)
    rows = tab.page.locator("table#results tbody tr")
    move.results = [
        ((await row.locator("th").inner_text()).strip(), (await row.locator("td").inner_text()).strip())
        for row in await rows.all()
    ]
    await tab.context.close()

    # The old caseworker's list again, and the new one's
    await old_tab.page.reload()
    await move.seen.look(old_tab, "team-04-old-mine-sager-after", axe_core)
    move.old_after = await _cases_listed(old_tab.page)
    await old_tab.context.close()
    new_tab_ = await new_tab(browser)
    await new_tab_.page.goto(f"{base}/cases")
    await new_tab_.page.wait_for_url("**/sign-in?next=*")
    await sign_in(new_tab_, new, "**/cases")
    await move.seen.look(new_tab_, "team-05-new-mine-sager", axe_core)
    move.new_after = await _cases_listed(new_tab_.page)
    await new_tab_.context.close()

    # Only once follow-up knows the move do the followed cases leave (recorded by the team lead, neither caseworker):
    # their checks, and so their reminders, come into being after the move.
    await eventually(lambda: _followup_knows_the_move(stack, move.followed, new), timeout=60)
    async with _api(stack, lead) as client:
        await _few_at_a_time(
            _post(client, f"/participants/{case.participant_id}/completion", {"completed_on": LEFT_ON.isoformat()})
            for case in move.followed
        )
    return move


async def test_the_team_lead_moves_the_whole_caseload_each_case_with_its_result(move: Move) -> None:
    assert move.seen.pages["team-02-team"]["h1"] == "Team"
    assert move.seen.pages["team-03-moved"]["status"] == 200
    answer = move.seen.pages["team-03-moved"]["text"]
    assert f"{CASELOAD} sager flyttet til {move.new.subject}@example.dk" in answer, answer
    assert sorted(move.results) == sorted((case.reference, "Flyttet") for case in move.cases)


async def test_mine_sager_loses_the_cases_for_the_old_caseworker_and_gains_them_for_the_new(move: Move) -> None:
    references = sorted(case.reference for case in move.cases)
    assert sorted(move.before) == references
    assert move.old_after == []
    assert "Sager i alt: 0" in move.seen.pages["team-04-old-mine-sager-after"]["text"]
    assert sorted(move.new_after) == sorted([*references, move.own.reference])


async def test_reminders_after_the_move_go_to_the_new_caseworker_and_none_to_the_old(move: Move, stack: Stack) -> None:
    # No case had left before the move, so no check existed and no reminder about these cases was due then: every
    # reminder about them, ever, must reach the new caseworker. Each followed case's reminder to the new caseworker is
    # the marker that its check's reminder went out (one email per reminder step).
    for case in move.followed:
        link = await eventually(partial(reminder_link, stack, move.new, case.reference), timeout=90)
        assert f"/cases/{case.reference}" in link
    references = {case.reference for case in move.cases}
    to_old = [
        str(message["Subject"])
        for message in read_messages(stack.mail_dir)
        if move.old.subject in str(message["To"]) and references & set(re.findall(r"RUM-\d+", str(message["Subject"])))
    ]
    assert to_old == []


async def test_each_timeline_shows_the_move(move: Move, stack: Stack) -> None:
    async with _api(stack, move.new) as client:
        timelines = await _few_at_a_time(_timeline(client, case) for case in move.cases)
    for case, events in zip(move.cases, timelines, strict=True):
        moves = [event["data"] for event in events if event["type"] == "case.reassigned"]
        assert len(moves) == 1, (case.reference, [event["type"] for event in events])
        assert moves[0]["previous_caseworker_email"] == f"{move.old.subject}@example.dk"
        assert moves[0]["caseworker_email"] == f"{move.new.subject}@example.dk"
        assert moves[0]["reason"] == "caseworker-left"


async def test_the_audit_log_holds_the_move_of_each_case(move: Move, stack: Stack) -> None:
    dpo = person(stack, "dpo", role="data-protection-officer")
    async with _api(stack, dpo) as client:
        answer = await client.get("/audit", params={"actor": move.lead.subject, "action": "reassign", "limit": 1000})
    assert answer.status_code == 200, answer.text
    entries = answer.json()["items"]
    assert sorted(e["participant_id"] for e in entries) == sorted(str(c.participant_id) for c in move.cases)
    for entry in entries:
        assert entry["roles"] == ["team-lead"]
        assert f"from {move.old.subject} to {move.new.subject} (caseworker-left)" in entry["detail"], entry


async def test_every_team_page_passes_axe_sends_the_headers_and_breaks_no_csp(move: Move) -> None:
    assert len(move.seen.pages) == 5
    assert move.seen.problems == []


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


@pytest.fixture(scope="module")
async def conflict(stack: Stack, browser: Browser, axe_core: str) -> Conflict:
    """The first records a start in one context; the second withdraws from the page rendered before it."""
    first = person(stack, "first", role="caseworker", municipality=AARHUS)
    second = person(stack, "second", role="caseworker", municipality=AARHUS)
    enrolled_on = TODAY - timedelta(days=10)
    async with _api(stack, first) as client:
        case = await _refer(client, 100, referred_on=(enrolled_on - timedelta(days=7)).isoformat())
        await _enrol(client, case, enrolled_on.isoformat())
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
    async with _api(stack, first) as client:
        conflict.timeline = await _timeline(client, case)
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
    assert f"Startede på forløb {COURSE}" in reloaded["text"]


async def test_every_conflict_page_passes_axe_sends_the_headers_and_breaks_no_csp(conflict: Conflict) -> None:
    assert len(conflict.seen.pages) == 4
    assert conflict.seen.problems == []


async def test_a_command_with_a_stale_if_match_is_refused_and_nothing_applied(stack: Stack) -> None:
    first = person(stack, "etag-first", role="caseworker", municipality=AARHUS)
    second = person(stack, "etag-second", role="caseworker", municipality=AARHUS)
    enrolled_on = TODAY - timedelta(days=10)
    async with _api(stack, first) as one, _api(stack, second) as two:
        case = await _refer(one, 101, referred_on=(enrolled_on - timedelta(days=7)).isoformat())
        await _enrol(one, case, enrolled_on.isoformat())
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
    provider = person(stack, "provider", role="provider-staff", subprojects=[SUBPROJECT])
    enrolled_on = TODAY - timedelta(days=10)
    async with _api(stack, caseworker) as client:
        case = await _refer(client, 200, referred_on=(enrolled_on - timedelta(days=7)).isoformat())
        await _enrol(client, case, enrolled_on.isoformat())
    seen, base = Seen(), stack.url("intake")
    tab = await new_tab(browser)
    page = tab.page
    await page.goto(f"{base}/sign-in")
    await sign_in(tab, provider, "**/provider/courses")  # where provider staff start
    await seen.look(tab, "provider-01-courses", axe_core)
    async with page.expect_navigation():
        await page.locator(f"#courses a[href='/provider/courses/{COURSE}']").click()
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
    async with _api(stack, caseworker) as client:
        kinds = [event["type"] for event in await _timeline(client, case)]
    assert kinds.count("participation.started") == 1 and kinds.count("participation.completed") == 1, kinds
    assert seen.problems == []
