"""The case page's forms as they are sent (issue 19): exactly the steps the case allows, each through the API's own
use case (the same outbox row), field errors beside the fields, CSRF, one effect per Idempotency-Key, a form without
its version or key refused, a form posted after the session ended led back to after sign-in, conflicts named, another
municipality's case not found. What the page shows of a command's answer, the reminder's link and the task inbox are
in test_pages_answers.py. On a migrated PostgreSQL without Kafka: commands stay pending, as no answer is delivered.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest_asyncio
from fastapi import FastAPI

from services.intake.pages.forms import STEPS
from shared.contracts import ParticipationStarted
from shared.pages.web import SESSION_COOKIE
from tests.fixtures.case_forms import TODAY, complete, enrol, forms, hidden, pending, post_step
from tests.fixtures.database import Databases
from tests.fixtures.handlers import rows
from tests.fixtures.pages import Office, Referred, api_client, browser, open_office, running_intake, sign_in, token

MUNICIPALITIES = itertools.count(521)  # no other module's; two a test: 521-53x (test_pages_answers.py: 571 and up)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker is started."""
    async with running_intake(databases) as app:
        yield app


@pytest_asyncio.fixture(loop_scope="session")
async def office(intake: FastAPI) -> Office:
    """Two municipalities of the test's own, served by one programme (the first is the office's)."""
    return await open_office(intake, str(next(MUNICIPALITIES)), str(next(MUNICIPALITIES)))


async def _outbox(app: FastAPI, who: Referred) -> list[tuple[str, dict[str, Any]]]:
    """The commands staged about the participant: type and data, oldest first (the referral's fact left out)."""
    sql = "SELECT headers ->> 'ce_type' AS type, payload FROM outbox_message WHERE key = :k ORDER BY id"
    found = await rows(app.state.sessions, sql, k=str(who.id))
    return [(r["type"], json.loads(r["payload"])) for r in found if "record" in r["type"] or "enrol" in r["type"]]


def _without_ids(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("participant_id", "id", "time", "source")}


# --- which forms ------------------------------------------------------------------------------------------------------
async def test_the_case_page_has_a_form_for_exactly_the_steps_its_status_allows(
    intake: FastAPI, office: Office
) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        referred = forms(await client.get(f"/cases/{who.case_reference}"))
        await enrol(office, who)
        enrolled = forms(await client.get(f"/cases/{who.case_reference}"))
        await office.fact(ParticipationStarted(participant_id=who.id, course_id="course-a", started_on=TODAY))
        started = forms(await client.get(f"/cases/{who.case_reference}"))
    assert referred == {"enrolment", "consent-withdrawal"}
    assert enrolled == {"start", "withdrawal", "consent-withdrawal"}
    assert started == {"completion", "drop-out", "correct-start", "consent-withdrawal"}


# --- the same command as the API's ------------------------------------------------------------------------------------
async def test_a_form_issues_exactly_the_command_the_api_issues_for_the_same_input(
    intake: FastAPI, office: Office
) -> None:
    bearer = token(municipality=office.municipality)
    by_page, by_api = await office.refer(bearer), await office.refer(bearer)
    for who in (by_page, by_api):
        await complete(office, who)
    fields = {"dropped_out_on": "", "situation": "education", "qualification_gained": "yes", "observed_on": str(TODAY)}
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{by_page.case_reference}")
        answer = await post_step(client, page, by_page.case_reference, "leaving-outcome", **fields)
    async with api_client(intake, bearer) as api:
        body = {"situation": "education", "qualification_gained": True, "observed_on": str(TODAY)}
        assert (await api.post(f"/participants/{by_api.id}/leaving-outcome", json=body)).status_code == 202
    assert answer.status_code == 202 and 'id="answer"' in answer.text  # sent, waiting: no broker answers here
    from_page, from_api = await _outbox(intake, by_page), await _outbox(intake, by_api)
    assert len(from_page) == len(from_api) == 1
    assert from_page[0][0] == from_api[0][0]
    assert _without_ids(from_page[0][1]) == _without_ids(from_api[0][1])
    assert "Afventer svar" in answer.text  # the pending command on the case page


# --- field errors -----------------------------------------------------------------------------------------------------
async def test_a_field_error_is_shown_beside_its_field_and_in_the_summary_and_nothing_is_issued(
    intake: FastAPI, office: Office
) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    await enrol(office, who)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        future = await post_step(client, page, who.case_reference, "start", started_on=str(TODAY + timedelta(days=3)))
        missing = await post_step(client, page, who.case_reference, "withdrawal", withdrawn_on=str(TODAY), reason="")
    assert future.status_code == 422
    assert 'id="start-started_on-error"' in future.text and "fremtiden" in future.text
    assert 'href="#start-started_on"' in future.text.split('id="error-summary"')[1].split("</div>")[0]
    assert f'value="{TODAY + timedelta(days=3)}"' in future.text  # the value kept
    assert missing.status_code == 422 and 'id="withdrawal-reason-error"' in missing.text
    assert await pending(intake, who) == []


# --- CSRF, Idempotency-Key, the form's version, the session -----------------------------------------------------------
async def test_a_form_without_the_csrf_token_is_refused_and_nothing_is_issued(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    await enrol(office, who)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        fields = hidden(page, "start") | {"started_on": str(TODAY)}
        del fields["csrf_token"]
        answer = await client.post(f"/cases/{who.case_reference}/start", data=fields)
        wrong = await client.post(f"/cases/{who.case_reference}/start", data=fields | {"csrf_token": "x" * 43})
    assert answer.status_code == wrong.status_code == 403
    assert await pending(intake, who) == []


async def test_a_form_sent_twice_with_its_idempotency_key_issues_one_command(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    await enrol(office, who)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        first = await post_step(client, page, who.case_reference, "start", started_on=str(TODAY))
        again = await post_step(client, page, who.case_reference, "start", started_on=str(TODAY))
    assert first.status_code == again.status_code == 202
    assert len(await pending(intake, who)) == 1


async def test_a_form_without_its_version_or_idempotency_key_is_refused_and_nothing_is_issued(
    intake: FastAPI, office: Office
) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    await enrol(office, who)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        no_version = await post_step(client, page, who.case_reference, "start", started_on=str(TODAY), version="")
        no_key = await post_step(client, page, who.case_reference, "start", started_on=str(TODAY), idempotency_key="")
    assert no_version.status_code == no_key.status_code == 422
    assert await pending(intake, who) == []


async def test_a_form_posted_after_the_session_ended_leads_back_to_its_form_after_sign_in(
    intake: FastAPI, office: Office
) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    await enrol(office, who)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        client.cookies.delete(SESSION_COOKIE)  # the browser was closed, or the session ended
        answer = await post_step(client, page, who.case_reference, "start", started_on=str(TODAY))
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/sign-in?next=%2Fcases%2F{who.case_reference}%3Fstep%3Dstart"
    assert await pending(intake, who) == []


# --- conflicts --------------------------------------------------------------------------------------------------------
async def test_the_second_of_two_pages_rendered_at_one_version_is_refused_with_the_change_named(
    intake: FastAPI, office: Office
) -> None:
    anna = token(municipality=office.municipality, subject=f"anna-{office.municipality}")
    bo = token(municipality=office.municipality, subject=f"bo-{office.municipality}")
    who = await office.refer(anna)
    await enrol(office, who)
    async with browser(intake) as first, browser(intake) as second:
        await sign_in(first, anna)
        await sign_in(second, bo)
        anna_page = await first.get(f"/cases/{who.case_reference}")
        bo_page = await second.get(f"/cases/{who.case_reference}")
        assert hidden(anna_page, "start")["version"] == hidden(bo_page, "withdrawal")["version"]
        started = await post_step(first, anna_page, who.case_reference, "start", started_on=str(TODAY))
        refused = await post_step(
            second, bo_page, who.case_reference, "withdrawal", withdrawn_on=str(TODAY), reason="job"
        )
        reload = await second.get(f"/cases/{who.case_reference}")
    assert started.status_code == 202
    assert refused.status_code == 409
    changes = refused.text.split('id="changes"')[1].split("</ul>")[0]
    assert "Registrering af start" in changes  # what
    assert "af caseworker@example.dk (sagsbehandler)" in changes  # who: the case's email, the role read before it
    assert len(await pending(intake, who)) == 1  # Anna's start only: Bo's withdrawal was not issued
    assert f'href="/cases/{who.case_reference}"' in refused.text and reload.status_code == 200
    assert hidden(reload, "withdrawal")["version"] != hidden(bo_page, "withdrawal")["version"]


# --- another municipality ---------------------------------------------------------------------------------------------
async def test_every_form_post_on_another_municipalitys_case_is_not_found(intake: FastAPI, office: Office) -> None:
    owner = token(municipality=office.municipality)
    who = await office.refer(owner)
    await complete(office, who)
    async with browser(intake) as own, browser(intake) as stranger:
        await sign_in(own, owner)
        page = await own.get(f"/cases/{who.case_reference}")
        await sign_in(stranger, token(municipality=str(int(office.municipality) + 1)))
        theirs = await stranger.get("/cases")
        stranger_csrf = re.search(r'name="csrf_token" value="([^"]+)"', theirs.text)
        assert stranger_csrf is not None
        answers = []
        for step in STEPS:  # every step there is
            fields = {
                **hidden(page, "leaving-outcome"),
                "csrf_token": stranger_csrf.group(1),
                "observed_on": str(TODAY),
            }
            answers.append((await stranger.post(f"/cases/{who.case_reference}/{step}", data=fields)).status_code)
    assert answers == [404] * 11
    assert await pending(intake, who) == []
