"""The register round trip on the whole stack: a simulated cohort walked through intake by its caseworkers, a
synthetic DREAM extract for it uploaded by an administrator, and then, with the programme letting the register
decide: the six-month figures as recorded, as the register found them and as counted each equal the plan's own
counts; the caseworkers' inboxes list exactly the results the register contradicts; the checks the register decided
are closed and remind nobody; and none of the extract's CPR numbers is found in a table, a topic, a log or an email.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser

from deploy.simulate import Mix, Simulated, drive, plan
from deploy.stack import Stack
from deploy.synthetic_register import Check, Planned, write_extract
from deploy.synthetic_register import plan as plan_findings
from services.intake.register.domain import COUNTS_AS, Week
from shared import fund_rules
from shared.clock import today_in_copenhagen
from shared.contracts import RegisterFinding
from tests.fixtures.browser import (
    SCREENSHOTS,
    Person,
    axe_core_script,
    new_tab,
    page_problems,
    serious_violations,
)
from tests.fixtures.browser import sign_in as sign_in_page
from tests.fixtures.kafka_tools import eventually
from tests.fixtures.pages import sign_in
from tests.fixtures.personal_data import found_in_logs, found_in_mail, found_in_tables, found_on_topics
from tests.fixtures.shown import rightly_shown
from tests.fixtures.simulation import simulation_catalogue, until_intake_knows

pytestmark = pytest.mark.stack
PARTICIPANTS = 30
STRANGERS = 40  # people of the extract referred to no programme: skipped, and kept nowhere
# the six-month dates fall 21 to 50 days ago: inside the extract (up to last week), and the checks still open
FIRST = 299  # days before today of the first enrolment (due about 249 days after it)


async def _fetch(stack: Stack, database: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.postgres.dsn(database))
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def employed(situation: str | None) -> bool:
    """Employment by the simulation programme's settings (a flex-job counts, a wage subsidy not: the defaults)."""
    return situation is not None and fund_rules.is_employed(situation)


def expected(cohort: Sequence[Simulated], findings: dict[str, RegisterFinding]) -> dict[str, int]:
    """The register round trip's figures in the plan's own terms, with the register deciding: the situation the
    caseworker recorded ("unreachable" included) and the register's planned finding, by CPR number."""
    recorded = {w.citizen.cpr: w.six_months for w in cohort if w.leaves and w.six_months != "none"}
    told = {cpr: COUNTS_AS[f] for cpr, f in findings.items()}  # None where the register cannot tell
    counted = [told.get(w.citizen.cpr) or recorded.get(w.citizen.cpr) for w in cohort if w.leaves]
    compared = [fund_rules.register_agrees(findings[cpr], r) for cpr, r in recorded.items() if cpr in findings]
    return {
        "employed-six-months-after-self-reported": sum(1 for r in recorded.values() if employed(r)),
        "employed-six-months-after-register-observed": sum(1 for s in told.values() if employed(s)),
        "employed-six-months-after": sum(1 for s in counted if employed(s)),
        "six-month-result-recorded": sum(1 for s in counted if s is not None),
        "register-observed": len(findings),
        "register-agrees": compared.count(True),
        "register-disagrees": compared.count(False),
    }


async def test_a_register_extract_decides_a_simulated_cohorts_six_month_results(
    stack: Stack, tmp_path: Path, browser: Browser
) -> None:
    programme = f"reg-{uuid4().hex[:8]}"
    courses = await simulation_catalogue(stack, programme, register_results="decide")
    mix = Mix(subprojects=courses, municipalities={"751": 0.6, "727": 0.4}, target_groups={"war-veterans": 1.0})
    today = today_in_copenhagen()
    cohort = plan(mix, PARTICIPANTS, random.Random(23), first=today - timedelta(days=FIRST))
    subject = {m: f"{programme}-cw-{m}" for m in ("751", "727")}

    def caseworker(municipality: str) -> str:
        return stack.token(
            role="caseworker",
            municipality=municipality,
            email=f"cw-{municipality}@example.dk",
            subject=subject[municipality],
        )

    await until_intake_knows(stack, programme)
    ids = await drive(stack.url("intake"), caseworker, programme, cohort)
    assert len(ids) == PARTICIPANTS
    by_id = dict(zip(ids, cohort, strict=True))
    leavers = [pid for pid, w in by_id.items() if w.leaves]

    async def checks_known() -> dict[str, date] | None:  # intake's timeline holds every leaver's six-month check
        found = await _fetch(
            stack,
            "intake",
            "SELECT participant_id::text AS pid, data->>'due_on' AS due FROM timeline_entry"
            " WHERE event_type = 'followup.check-scheduled' AND data->>'check' = 'six-month'"
            " AND participant_id::text = ANY($1)",
            leavers,
        )
        due = {r["pid"]: date.fromisoformat(r["due"]) for r in found}
        return due if set(due) == set(leavers) else None

    due = await eventually(checks_known, timeout=120)
    last = Week.of(today - timedelta(weeks=1))
    assert all(Week.of(d) < last and d > today - timedelta(days=56) for d in due.values())  # read, and still open

    # the extract: each leaver's finding agreeing with the caseworker's record three times in five
    recorded = {w.citizen.cpr: w.six_months for w in cohort if w.leaves and w.six_months not in ("none", "unreachable")}
    people = [
        (by_id[pid].citizen.cpr, [Check(due[pid], recorded.get(by_id[pid].citizen.cpr))])  # type: ignore[arg-type]
        for pid in leavers
    ]
    planned: list[Planned] = plan_findings(people, agreement=0.6, rng=random.Random(24))
    findings = {p.cpr: next(iter(p.findings.values())) for p in planned}
    path = tmp_path / "extract.csv"
    rows = write_extract(
        path,
        planned,
        first=Week.of(min(due.values()) - timedelta(weeks=6)),
        last=last,
        others=STRANGERS,
        rng=random.Random(25),
    )
    content = path.read_bytes()
    extract_numbers = [line.split(",", 1)[0] for line in content.decode().splitlines()[1:]]
    assert len(extract_numbers) == rows

    async def reminded() -> bool:  # the open checks' first reminders are out: none of them is in flight any more
        found = await _fetch(
            stack,
            "followup",
            "SELECT count(*) AS n FROM deadline WHERE check_kind = 'six-month' AND status = 'open'"
            " AND reminders_sent = 0 AND participant_id::text = ANY($1)",
            leavers,
        )
        return bool(found[0]["n"] == 0)

    await eventually(reminded, timeout=120)
    reminded_before = {
        r["pid"]: r["reminders_sent"]
        for r in await _fetch(
            stack,
            "followup",
            "SELECT participant_id::text AS pid, reminders_sent FROM deadline WHERE check_kind = 'six-month'"
            " AND participant_id::text = ANY($1)",
            leavers,
        )
    }
    admin = stack.token(role="administrator", email="admin@example.org", subject=f"{programme}-admin")
    async with httpx.AsyncClient(base_url=stack.url("intake"), timeout=120) as client:
        answer = await client.post(
            "/register-extracts",
            content=content,
            headers={"Authorization": f"Bearer {admin}", "Content-Type": "text/csv"},
        )
    assert answer.status_code == 200, answer.text
    # the leavers' rows matched (the extract holds only them and the strangers), each check answered once
    assert (answer.json()["rows"], answer.json()["matched"], answer.json()["observed"]) == (
        rows,
        len(leavers),
        len(leavers),
    )

    # follow-up: a check the register can tell is closed by it and reminds nobody again; the rest stay the caseworker's
    decided = {pid for pid in leavers if COUNTS_AS[findings[by_id[pid].citizen.cpr]] is not None}

    async def closed() -> list[asyncpg.Record] | None:
        found = await _fetch(
            stack,
            "followup",
            "SELECT participant_id::text AS pid, status, closed_reason, next_at, register_finding, reminders_sent"
            " FROM deadline WHERE check_kind = 'six-month' AND participant_id::text = ANY($1)",
            leavers,
        )
        return found if all(r["register_finding"] is not None for r in found) and len(found) == len(leavers) else None

    deadlines = {r["pid"]: r for r in await eventually(closed, timeout=60)}
    for pid, d in deadlines.items():
        if pid in decided and by_id[pid].six_months == "none":  # open until the register decided it
            assert (d["status"], d["closed_reason"], d["next_at"]) == ("closed", "register-observed", None), pid
        if pid not in decided and by_id[pid].six_months == "none":
            assert d["status"] == "open" and d["next_at"] is not None, pid
        if pid in decided:
            assert d["reminders_sent"] == reminded_before[pid], pid  # no reminder since the register decided
    assert any(by_id[pid].six_months == "none" for pid in decided)  # the cohort holds a check the register closed

    # reporting: every reading equals the plan's own count (a count of 1-4 hidden)
    want = expected(cohort, findings)

    async def caught_up() -> bool:
        [row] = await _fetch(
            stack,
            "reporting",
            "SELECT count(*) FILTER (WHERE register_finding IS NOT NULL) AS observed FROM participant_progress"
            " WHERE programme_id = $1",
            programme,
        )
        return bool(row["observed"] == want["register-observed"])

    await eventually(caught_up, timeout=90)
    operator = stack.token(role="operator", programmes=[programme])
    async with httpx.AsyncClient(
        base_url=stack.url("reporting"), headers={"Authorization": f"Bearer {operator}"}, timeout=120
    ) as reporting:
        report = await reporting.get("/report/figures", params={"programme_id": programme})
    assert report.status_code == 200, report.text
    shown = {f["id"]: f["value"] for f in report.json()["figures"]}
    assert all(rightly_shown(v, shown[f], headline=False) for f, v in want.items()), {
        f: (v, shown[f]) for f, v in want.items()
    }
    assert want["register-disagrees"] > 0 and want["register-agrees"] > 0  # the extract tests both

    # the caseworkers' inboxes: exactly their cases whose recorded result the register contradicts
    references = {
        r["pid"]: r["case_reference"]
        for r in await _fetch(
            stack,
            "intake",
            "SELECT id::text AS pid, case_reference FROM participant WHERE id::text = ANY($1)",
            ids,
        )
    }
    for municipality in ("751", "727"):
        mine = {pid for pid, w in by_id.items() if w.municipality == municipality}
        contradicted = {
            references[pid]
            for pid in mine
            if by_id[pid].citizen.cpr in recorded
            and fund_rules.register_agrees(findings[by_id[pid].citizen.cpr], recorded[by_id[pid].citizen.cpr]) is False
        }
        async with httpx.AsyncClient(base_url=stack.url("intake"), timeout=60) as client:
            assert (await sign_in(client, caseworker(municipality))).status_code == 303
            inbox = await client.get("/tasks")
        assert inbox.status_code == 200
        assert set(re.findall(r'<tr data-case="(RUM-[0-9]+)">', inbox.text)) == contradicted, municipality

    # as the caseworker and the operator see them in Chromium: the inbox's list, and the dashboard's register section
    axe = axe_core_script()
    tab = await new_tab(browser)
    try:
        await tab.page.goto(f"{stack.url('intake')}/tasks")
        await tab.page.wait_for_url("**/sign-in?next=*")
        await sign_in_page(tab, Person(subject["751"], caseworker("751")), "**/tasks")
        assert await tab.page.locator("#register-disagreements tbody tr").count() >= 1
        problems = await page_problems(tab, "register-inbox", axe)
        dashboard = f"{stack.url('reporting')}/dashboard?programme_id={programme}&access_token={operator}"
        await tab.page.goto(dashboard)
        assert await tab.page.locator('dd[data-figure="register-agreement"]').inner_text() != ""
        # the dashboard keeps its own inline styles (test_dashboard.py): axe and a screenshot, not the pages' headers
        section = tab.page.locator('section[aria-labelledby="h-register"]')
        assert "(talt med)" in await section.inner_text()  # the counted reading named beside the other two
        await section.screenshot(path=SCREENSHOTS / "register-dashboard.png")
        problems += await serious_violations(tab.page, axe)
    finally:
        await tab.context.close()
    assert problems == []

    # the extract's CPR numbers: in no table (intake keeps only its keyed hash), topic, log or email
    forbidden = [n for number in extract_numbers for n in (number, f"{number[:6]}-{number[6:]}")]
    for scanned, found in (
        await found_in_tables(stack, forbidden),
        await found_on_topics(stack, forbidden),
        found_in_logs(stack, forbidden),
        found_in_mail(stack, forbidden),
    ):
        assert scanned > 0 and found == [], found[:5]
