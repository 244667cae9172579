"""The case page's commands waiting for an answer, asked for again by htmx (vendored, served from /static) every two
seconds while any waits: the part answers the list, then that the answers have come, and asks no more. On a migrated
PostgreSQL without Kafka: a command stays pending until the test delivers its answer.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import text

from services.intake.main import create_app as intake_app
from shared.clock import today_in_copenhagen
from shared.contracts import CommandRejected, EnrolmentConfirmed
from shared.db import unit_of_work
from shared.pages.domain import SECURITY_HEADERS, session_hash
from shared.pages.web import SESSION_COOKIE
from tests.fixtures.database import Databases
from tests.fixtures.handlers import rows
from tests.fixtures.pages import Office, Referred, browser, intake_settings, open_office, sign_in, token

MUNICIPALITIES = itertools.count(611)  # no other module's
TODAY = today_in_copenhagen()
HTMX = {"HX-Request": "true"}
SEEN = "SELECT last_seen_at FROM page_session WHERE id_hash = :h"
_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker is started."""
    app = intake_app(intake_settings(databases.url("intake")))
    yield app
    await app.state.sessions.kw["bind"].dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def office(intake: FastAPI) -> Office:
    """A municipality of the test's own."""
    return await open_office(intake, str(next(MUNICIPALITIES)))


async def _enrolled_with_a_start_waiting(office: Office, bearer: str) -> tuple[Referred, str]:
    """An enrolled case whose start was sent from its page and is waiting for enrolment's answer: the case and the
    pending command's id."""
    who = await office.refer(bearer)
    await office.fact(
        EnrolmentConfirmed(
            participant_id=who.id,
            programme_id=office.programme,
            subproject_id=office.subproject,
            course_id="course-a",
            enrolled_on=TODAY - timedelta(days=10),
        )
    )
    async with browser(office.app) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        form = page.text.split('<form id="start"', 1)[1].split("</form>", 1)[0]
        sent = await client.post(
            f"/cases/{who.case_reference}/start", data=dict(_HIDDEN.findall(form)) | {"started_on": str(TODAY)}
        )
    assert sent.status_code == 202, sent.text
    [command] = await rows(
        office.app.state.sessions, "SELECT id FROM pending_command WHERE participant_id = :p", p=who.id
    )
    return who, str(command["id"])


async def test_the_waiting_command_is_asked_for_again_until_its_answer_has_come(
    intake: FastAPI, office: Office
) -> None:
    bearer = token(municipality=office.municipality)
    who, command_id = await _enrolled_with_a_start_waiting(office, bearer)
    part = f"/cases/{who.case_reference}/pending"
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        waiting = await client.get(part, headers=HTMX)
        await office.fact(
            CommandRejected(
                participant_id=who.id,
                command_id=command_id,
                command_type="participation.record-start",
                reason="before-enrolment",
                detail="the start date is before the enrolment date",
            )
        )
        answered = await client.get(part, headers=HTMX)
    assert '<script src="/static/htmx-2.0.11.min.js" defer></script>' in page.text
    assert f'hx-get="{part}" hx-trigger="every 2s"' in page.text and "Afventer svar" in page.text
    assert waiting.status_code == 200 and f'hx-get="{part}"' in waiting.text and "<html" not in waiting.text
    assert answered.status_code == 200 and 'id="answers-came"' in answered.text
    assert "hx-get" not in answered.text  # nothing waits: htmx asks no more
    for answer in (waiting, answered):
        assert {k: answer.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS


async def test_the_part_is_the_case_page_without_htmx_and_not_found_for_another_municipality(
    intake: FastAPI, office: Office
) -> None:
    bearer = token(municipality=office.municipality)
    who, _ = await _enrolled_with_a_start_waiting(office, bearer)
    part = f"/cases/{who.case_reference}/pending"
    async with browser(intake) as client:
        signed_out = await client.get(part, headers=HTMX)
        await sign_in(client, bearer)
        plain = await client.get(part)
    async with browser(intake) as elsewhere:
        await sign_in(elsewhere, token(municipality=str(next(MUNICIPALITIES))))
        other = await elsewhere.get(part, headers=HTMX)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/sign-in?next=")
    assert plain.status_code == 303 and plain.headers["location"] == f"/cases/{who.case_reference}"
    assert other.status_code == 404 and "Afventer" not in other.text


async def test_a_part_asked_for_by_htmx_does_not_keep_an_idle_session_alive(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    who, _ = await _enrolled_with_a_start_waiting(office, bearer)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        mine = session_hash(client.cookies[SESSION_COOKIE])
        back = "UPDATE page_session SET last_seen_at = last_seen_at - interval '10 minutes' WHERE id_hash = :h"
        async with unit_of_work(intake.state.sessions) as session:  # committed: the page reads it
            connection = await session.connection()
            moved = await connection.execute(text(back + " RETURNING last_seen_at"), {"h": mine})
            before = dict(moved.mappings().one())
        polled = await client.get(f"/cases/{who.case_reference}/pending", headers=HTMX)
        [after_poll] = await rows(intake.state.sessions, SEEN, h=mine)
        await client.get(f"/cases/{who.case_reference}")
        [after_page] = await rows(intake.state.sessions, SEEN, h=mine)
    assert polled.status_code == 200
    assert after_poll["last_seen_at"] == before["last_seen_at"]
    assert after_page["last_seen_at"] > before["last_seen_at"]


async def test_the_vendored_htmx_is_served_from_the_site_and_configured_for_the_csp(
    intake: FastAPI, office: Office
) -> None:
    async with browser(intake) as client:
        script = await client.get("/static/htmx-2.0.11.min.js")
        await sign_in(client, token(municipality=office.municipality))
        page = await client.get("/cases")
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        ("text/javascript", "application/javascript")
    )
    assert script.text.startswith("var htmx=function()") and len(script.content) > 40_000
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page.text)
    assert config is not None
    assert '"includeIndicatorStyles":false' in config.group(1) and '"allowEval":false' in config.group(1)
    assert '"historyCacheSize":0' in config.group(1)
