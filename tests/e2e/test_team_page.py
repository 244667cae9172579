"""The team lead's page in Chromium on the whole stack: a caseworker's whole caseload moved to a colleague.

A team lead moves a caseworker's whole caseload of 50 cases on /team: each case's result is "moved", the old
caseworker's "Mine sager" no longer lists them and the new one's does, each API timeline and the audit log hold the
move, and the reminders of checks that fell due after the move reach the new caseworker through the real SMTP server,
none the old. Every page passes axe-core, sends the security headers and causes no CSP violation; screenshots go to
test-artifacts/pages/.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from uuid import uuid4

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, Page

from deploy.mailcatcher import read_messages
from deploy.stack import Stack
from shared.clock import today_in_copenhagen
from shared.fund_rules import add_months
from tests.fixtures.browser import Person, axe_core_script, new_tab, person, reminder_link, sign_in
from tests.fixtures.kafka_tools import eventually
from tests.fixtures.page_journeys import Case, Programme, Seen, api, few_at_a_time, post, timeline

pytestmark = pytest.mark.stack
# A programme of the module's own (its sub-project serves Aarhus and Odder): a course of 500 seats nobody else fills,
# and no CPR number referred in it by another test. Its citizens are Random(SEED + n) for n below 100 (the conflicts'
# and provider staff's module takes 100 and up).
PROGRAMME = Programme(f"pages-team-{uuid4().hex[:8]}", seed=19_19_0000)
ODDER = "727"  # the move's municipality: no other browser test has cases there, so /team holds only these
CASELOAD = 50
FOLLOWED = 3  # of the caseload, the cases that leave after the move, so that a check falls due for each
TODAY = today_in_copenhagen()
LEFT_ON = add_months(TODAY, -7)  # left seven months ago: the six-month check is due as soon as it exists
STARTED_ON = LEFT_ON - timedelta(days=60)
ENROLLED_ON = STARTED_ON - timedelta(days=7)
REFERRED_ON = ENROLLED_ON - timedelta(days=7)


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


@pytest.fixture(scope="module", autouse=True)
async def programme(stack: Stack) -> str:
    """The module's own programme, known to intake before any referral."""
    await PROGRAMME.known(stack)
    return PROGRAMME.id


async def _cases_listed(page: Page) -> list[str]:
    """The case references of "Mine sager", every page of it (25 a page)."""
    listed = await page.locator("table.cases a").all_inner_texts()
    while await page.locator("nav.paging a[rel=next]").count():
        async with page.expect_navigation():
            await page.locator("nav.paging a[rel=next]").click()
        listed += await page.locator("table.cases a").all_inner_texts()
    return listed


async def _caseload(stack: Stack, old: Person) -> list[Case]:
    """Fifty cases of one caseworker; the first few enrolled and started seven months ago, none left yet."""

    async def followed(client: httpx.AsyncClient, n: int) -> Case:
        case = await PROGRAMME.refer(client, n, referred_on=REFERRED_ON.isoformat())
        await PROGRAMME.enrol(client, case, ENROLLED_ON.isoformat())
        await post(client, f"/participants/{case.participant_id}/start", {"started_on": STARTED_ON.isoformat()})
        return case

    async with api(stack, old) as client:
        jobs = [followed(client, n) if n < FOLLOWED else PROGRAMME.refer(client, n) for n in range(CASELOAD)]
        return await few_at_a_time(jobs)


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
def axe_core() -> str:
    """axe-core's source, from the cache deploy/bootstrap.sh fills."""
    return axe_core_script()


@pytest.fixture(scope="module")
async def move(stack: Stack, browser: Browser, axe_core: str) -> Move:
    """The caseload made through the API, moved on /team in Chromium, then the followed cases leave."""
    old = person(stack, "old", role="caseworker", municipality=ODDER)
    new = person(stack, "new", role="caseworker", municipality=ODDER)
    lead = person(stack, "lead", role="team-lead", municipality=ODDER)
    async with api(stack, new) as client:  # the colleague's own case: intake knows them, the team page offers them
        own, cases = await asyncio.gather(PROGRAMME.refer(client, CASELOAD), _caseload(stack, old))
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
    async with api(stack, lead) as client:
        await few_at_a_time(
            post(client, f"/participants/{case.participant_id}/completion", {"completed_on": LEFT_ON.isoformat()})
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
    async with api(stack, move.new) as client:
        timelines = await few_at_a_time(timeline(client, case) for case in move.cases)
    for case, events in zip(move.cases, timelines, strict=True):
        moves = [event["data"] for event in events if event["type"] == "case.reassigned"]
        assert len(moves) == 1, (case.reference, [event["type"] for event in events])
        assert moves[0]["previous_caseworker_email"] == f"{move.old.subject}@example.dk"
        assert moves[0]["caseworker_email"] == f"{move.new.subject}@example.dk"
        assert moves[0]["reason"] == "caseworker-left"


async def test_the_audit_log_holds_the_move_of_each_case(move: Move, stack: Stack) -> None:
    dpo = person(stack, "dpo", role="data-protection-officer")
    async with api(stack, dpo) as client:
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
