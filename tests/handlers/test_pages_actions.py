"""The case page's forms (issue 19): exactly the steps the case allows, each through the API's own use case (the
same outbox row), field errors beside the fields, CSRF, one effect per Idempotency-Key, conflicts named, another
municipality's case not found; the reminder's link opening its form; the task inbox. On a migrated PostgreSQL
without Kafka: commands stay pending unless a test delivers their answer.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest_asyncio
from fastapi import FastAPI

from services.followup.messages import case_link
from services.intake.main import create_app as intake_app
from shared.clock import today_in_copenhagen
from shared.contracts import (
    Check,
    CommandRejected,
    CoursePublished,
    EnrolmentConfirmed,
    EnrolmentWaitlisted,
    LeavingOutcomeRecorded,
    ParticipationCompleted,
    ParticipationStarted,
    to_event,
)
from shared.pages.web import SESSION_COOKIE
from tests.fixtures.database import Databases
from tests.fixtures.events import check_scheduled
from tests.fixtures.handlers import SOURCE, deliver, rows
from tests.fixtures.pages import Office, Referred, api_client, browser, intake_settings, open_office, sign_in, token

MUNICIPALITIES = itertools.count(521)  # no other module's; two a test
TODAY = today_in_copenhagen()
_FORM_ID = re.compile(r'<form id="([a-z-]+)" method="post" action="/cases/')


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker is started."""
    app = intake_app(intake_settings(databases.url("intake")))
    yield app
    await app.state.sessions.kw["bind"].dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def office(intake: FastAPI) -> Office:
    """Two municipalities of the test's own, served by one programme (the first is the office's)."""
    return await open_office(intake, str(next(MUNICIPALITIES)), str(next(MUNICIPALITIES)))


def _forms(page: httpx.Response) -> set[str]:
    return set(_FORM_ID.findall(page.text))


def _hidden(page: httpx.Response, step: str) -> dict[str, str]:
    """The hidden fields of the step's form on the page."""
    form = page.text.split(f'<form id="{step}"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', form))


async def _post(client: httpx.AsyncClient, page: httpx.Response, ref: str, step: str, **fields: str) -> httpx.Response:
    return await client.post(f"/cases/{ref}/{step}", data=_hidden(page, step) | fields)


async def _enrolled(office: Office, who: Referred) -> None:
    await office.fact(
        EnrolmentConfirmed(
            participant_id=who.id,
            programme_id=office.programme,
            subproject_id=office.subproject,
            course_id="course-a",
            enrolled_on=TODAY - timedelta(days=40),
        )
    )


async def _completed(office: Office, who: Referred) -> None:
    await _enrolled(office, who)
    await office.fact(
        ParticipationStarted(participant_id=who.id, course_id="course-a", started_on=TODAY - timedelta(30))
    )
    await office.fact(ParticipationCompleted(participant_id=who.id, course_id="course-a", left_on=TODAY - timedelta(9)))


async def _outbox(app: FastAPI, who: Referred) -> list[tuple[str, dict[str, Any]]]:
    """The commands staged about the participant: type and data, oldest first (the referral's fact left out)."""
    sql = "SELECT headers ->> 'ce_type' AS type, payload FROM outbox_message WHERE key = :k ORDER BY id"
    found = await rows(app.state.sessions, sql, k=str(who.id))
    return [(r["type"], json.loads(r["payload"])) for r in found if "record" in r["type"] or "enrol" in r["type"]]


async def _pending(app: FastAPI, who: Referred) -> list[dict[str, Any]]:
    sql = "SELECT id, command_type, status FROM pending_command WHERE participant_id = :p ORDER BY created_at"
    return await rows(app.state.sessions, sql, p=who.id)


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
        referred = _forms(await client.get(f"/cases/{who.case_reference}"))
        await _enrolled(office, who)
        enrolled = _forms(await client.get(f"/cases/{who.case_reference}"))
        await office.fact(ParticipationStarted(participant_id=who.id, course_id="course-a", started_on=TODAY))
        started = _forms(await client.get(f"/cases/{who.case_reference}"))
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
        await _completed(office, who)
    fields = {"dropped_out_on": "", "situation": "education", "qualification_gained": "yes", "observed_on": str(TODAY)}
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{by_page.case_reference}")
        answer = await _post(client, page, by_page.case_reference, "leaving-outcome", **fields)
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
    await _enrolled(office, who)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        future = await _post(client, page, who.case_reference, "start", started_on=str(TODAY + timedelta(days=3)))
        missing = await _post(client, page, who.case_reference, "withdrawal", withdrawn_on=str(TODAY), reason="")
    assert future.status_code == 422
    assert 'id="start-started_on-error"' in future.text and "fremtiden" in future.text
    assert 'href="#start-started_on"' in future.text.split('id="error-summary"')[1].split("</div>")[0]
    assert f'value="{TODAY + timedelta(days=3)}"' in future.text  # the value kept
    assert missing.status_code == 422 and 'id="withdrawal-reason-error"' in missing.text
    assert await _pending(intake, who) == []


# --- CSRF, Idempotency-Key --------------------------------------------------------------------------------------------
async def test_a_form_without_the_csrf_token_is_refused_and_nothing_is_issued(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    await _enrolled(office, who)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        fields = _hidden(page, "start") | {"started_on": str(TODAY)}
        del fields["csrf_token"]
        answer = await client.post(f"/cases/{who.case_reference}/start", data=fields)
        wrong = await client.post(f"/cases/{who.case_reference}/start", data=fields | {"csrf_token": "x" * 43})
    assert answer.status_code == wrong.status_code == 403
    assert await _pending(intake, who) == []


async def test_a_form_sent_twice_with_its_idempotency_key_issues_one_command(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    await _enrolled(office, who)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        first = await _post(client, page, who.case_reference, "start", started_on=str(TODAY))
        again = await _post(client, page, who.case_reference, "start", started_on=str(TODAY))
    assert first.status_code == again.status_code == 202
    assert len(await _pending(intake, who)) == 1


async def test_a_refusal_by_the_owning_service_is_shown_in_words(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    await _enrolled(office, who)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        await _post(client, page, who.case_reference, "start", started_on=str(TODAY - timedelta(days=60)))
        [command] = await _pending(intake, who)
        rejected = CommandRejected(
            participant_id=who.id,
            command_id=command["id"],
            command_type=command["command_type"],
            reason="before-enrolment",
            detail="the start date is before the enrolment date",
        )
        event = to_event(rejected, source=SOURCE).model_copy(update={"causationid": command["id"]})
        await deliver(intake.state.sessions, "intake", event, vault=intake.state.vault)
        # the browser sends the form again (a resend): the same command, now answered
        answer = await _post(client, page, who.case_reference, "start", started_on=str(TODAY - timedelta(days=60)))
    assert answer.status_code == 409
    assert "Handlingen blev afvist. Datoen ligger før optagelsen." in answer.text


# --- conflicts --------------------------------------------------------------------------------------------------------
async def test_the_second_of_two_pages_rendered_at_one_version_is_refused_with_the_change_named(
    intake: FastAPI, office: Office
) -> None:
    anna = token(municipality=office.municipality, subject=f"anna-{office.municipality}")
    bo = token(municipality=office.municipality, subject=f"bo-{office.municipality}")
    who = await office.refer(anna)
    await _enrolled(office, who)
    async with browser(intake) as first, browser(intake) as second:
        await sign_in(first, anna)
        await sign_in(second, bo)
        anna_page = await first.get(f"/cases/{who.case_reference}")
        bo_page = await second.get(f"/cases/{who.case_reference}")
        assert _hidden(anna_page, "start")["version"] == _hidden(bo_page, "withdrawal")["version"]
        started = await _post(first, anna_page, who.case_reference, "start", started_on=str(TODAY))
        refused = await _post(second, bo_page, who.case_reference, "withdrawal", withdrawn_on=str(TODAY), reason="job")
        reload = await second.get(f"/cases/{who.case_reference}")
    assert started.status_code == 202
    assert refused.status_code == 409
    changes = refused.text.split('id="changes"')[1].split("</ul>")[0]
    assert "Registrering af start" in changes  # what
    assert "af caseworker@example.dk (sagsbehandler)" in changes  # who: the case's email, the role read before it
    assert len(await _pending(intake, who)) == 1  # Anna's start only: Bo's withdrawal was not issued
    assert f'href="/cases/{who.case_reference}"' in refused.text and reload.status_code == 200
    assert _hidden(reload, "withdrawal")["version"] != _hidden(bo_page, "withdrawal")["version"]


# --- another municipality ---------------------------------------------------------------------------------------------
async def test_every_form_post_on_another_municipalitys_case_is_not_found(intake: FastAPI, office: Office) -> None:
    owner = token(municipality=office.municipality)
    who = await office.refer(owner)
    await _completed(office, who)
    async with browser(intake) as own, browser(intake) as stranger:
        await sign_in(own, owner)
        page = await own.get(f"/cases/{who.case_reference}")
        await sign_in(stranger, token(municipality=str(int(office.municipality) + 1)))
        theirs = await stranger.get("/cases")
        stranger_csrf = re.search(r'name="csrf_token" value="([^"]+)"', theirs.text)
        assert stranger_csrf is not None
        answers = []
        for step in (
            "enrolment",
            "withdrawal",
            "start",
            "completion",
            "drop-out",
            "leaving-outcome",
            "six-month-result",
            "correct-start",
            "correct-leaving-date",
            "correct-drop-out-reason",
            "consent-withdrawal",
        ):
            fields = {
                **_hidden(page, "leaving-outcome"),
                "csrf_token": stranger_csrf.group(1),
                "observed_on": str(TODAY),
            }
            answers.append((await stranger.post(f"/cases/{who.case_reference}/{step}", data=fields)).status_code)
    assert answers == [404] * 11
    assert await _pending(intake, who) == []


# --- the reminder's link ----------------------------------------------------------------------------------------------
async def test_the_reminders_link_opens_its_form_after_sign_in(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    await _completed(office, who)
    link = case_link("http://intake.test", who.case_reference, "six-month")
    assert link == f"http://intake.test/cases/{who.case_reference}?step=six-month-result"
    path = link.removeprefix("http://intake.test")
    async with browser(intake) as client:
        away = await client.get(path)
        assert away.status_code == 303 and away.headers["location"].startswith("/sign-in?next=")
        signed = await sign_in(client, bearer, next_path=path)
        assert signed.headers["location"] == path
        page = await client.get(path)
        plain = await client.get(f"/cases/{who.case_reference}")
    assert page.status_code == 200
    assert re.search(r'<details class="step" open>\s*<summary>[^<]*</summary>\s*<form id="six-month-result"', page.text)
    assert '<details class="step" open>' not in plain.text


# --- the task inbox ---------------------------------------------------------------------------------------------------
async def test_the_inbox_lists_my_due_and_overdue_follow_ups_by_deadline(intake: FastAPI, office: Office) -> None:
    mine = token(municipality=office.municipality, subject=f"inbox-{office.municipality}")
    colleague = token(municipality=office.municipality)
    soon, overdue, later, theirs = (
        await office.refer(mine),
        await office.refer(mine),
        await office.refer(mine),
        await office.refer(colleague),
    )
    left_on = TODAY - timedelta(days=20)
    plans: tuple[tuple[Referred, Check, int], ...] = (
        (soon, "leaving-outcome", 5),
        (overdue, "six-month", -3),
        (later, "six-month", 60),
        (theirs, "six-month", 1),
    )
    for who, check, days in plans:
        await office.fact(check_scheduled(who.id, check, left_on=left_on, due_on=TODAY + timedelta(days=days)))
    async with browser(intake) as client:
        await sign_in(client, mine)
        inbox = await client.get("/tasks")
    assert inbox.status_code == 200
    listed = re.findall(r'class="task" href="/cases/(RUM-[0-9]+)\?step=([a-z-]+)#', inbox.text)
    assert listed == [(overdue.case_reference, "six-month-result"), (soon.case_reference, "leaving-outcome")]


# --- answers: a waiting-list place, a late result, intake's own refusal, consent -------------------------------------
async def _answer(app: FastAPI, who: Referred, fact: Any) -> None:
    """Deliver the fact the owning service would publish in answer to the participant's one pending command."""
    [command] = [c for c in await _pending(app, who) if c["status"] == "pending"]
    event = to_event(fact, source=SOURCE).model_copy(update={"causationid": command["id"]})
    await deliver(app.state.sessions, "intake", event, vault=app.state.vault)


async def test_enrolment_offers_the_sub_projects_courses_and_shows_a_waiting_list_place(
    intake: FastAPI, office: Office
) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    course = CoursePublished(
        course_id=f"c-{office.municipality}",
        programme_id=office.programme,
        subproject_id=office.subproject,
        municipality=office.municipality,
        starts_on=TODAY,
        ends_on=TODAY + timedelta(days=90),
        capacity=1,
    )
    await deliver(intake.state.sessions, "intake", course)
    fields = {"course_id": course.course_id, "enrolled_on": str(TODAY)}
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        assert f'<option value="{course.course_id}">' in page.text
        await _post(client, page, who.case_reference, "enrolment", **fields)
        waitlisted = EnrolmentWaitlisted(
            participant_id=who.id,
            programme_id=office.programme,
            subproject_id=office.subproject,
            course_id=course.course_id,
            waitlisted_on=TODAY,
            position=3,
            re_entry=False,
        )
        await _answer(intake, who, waitlisted)
        answer = await _post(client, page, who.case_reference, "enrolment", **fields)  # a resend: its answer
    assert answer.status_code == 200
    shown = answer.text.split('id="answer"')[1].split("</div>")[0]
    assert f"På venteliste til forløb {course.course_id} som nr. 3" in shown
    assert _forms(answer) == {"withdrawal", "consent-withdrawal"}  # a waiting place may be given up


async def test_a_late_result_is_recorded_with_the_notice_that_it_will_not_count(
    intake: FastAPI, office: Office
) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    await _completed(office, who)
    fields = {"situation": "education", "qualification_gained": "", "observed_on": str(TODAY)}
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        await _post(client, page, who.case_reference, "leaving-outcome", **fields)
        recorded = LeavingOutcomeRecorded(
            participant_id=who.id,
            situation="education",
            employed=False,
            qualification_gained=None,
            observed_on=TODAY,
            left_on=TODAY - timedelta(days=9),
            exit_number=1,
            counts=False,
            late=True,
            supersedes=None,
        )
        await _answer(intake, who, recorded)
        answer = await _post(client, page, who.case_reference, "leaving-outcome", **fields)
    assert answer.status_code == 200
    assert 'id="notice"' in answer.text and "Registreret for sent" in answer.text


async def test_intakes_own_refusal_is_shown_beside_the_field_it_names(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        answer = await _post(client, page, who.case_reference, "enrolment", course_id="c-1", enrolled_on="2001-01-01")
    assert answer.status_code == 422
    assert 'id="enrolment-enrolled_on-error"' in answer.text and "før henvisningen" in answer.text
    assert await _pending(intake, who) == []


async def test_consent_withdrawal_from_the_page_goes_through_the_apis_use_case_once(
    intake: FastAPI, office: Office
) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        first = await _post(client, page, who.case_reference, "consent-withdrawal", withdrawn_on=str(TODAY))
        again = await _post(client, page, who.case_reference, "consent-withdrawal", withdrawn_on=str(TODAY))
    assert first.status_code == again.status_code == 200
    assert "consent-withdrawal" not in _forms(first)
    sql = "SELECT headers ->> 'ce_type' AS type FROM outbox_message WHERE key = :k ORDER BY id"
    staged = [r["type"] for r in await rows(intake.state.sessions, sql, k=str(who.id))]
    assert staged.count("consent.withdrawn") == 1, staged
    found = await rows(intake.state.sessions, "SELECT consent_withdrawn_on FROM participant WHERE id = :p", p=who.id)
    assert found[0]["consent_withdrawn_on"] == TODAY


async def test_a_form_posted_after_the_session_ended_leads_back_to_its_form_after_sign_in(
    intake: FastAPI, office: Office
) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    await _enrolled(office, who)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        client.cookies.delete(SESSION_COOKIE)  # the browser was closed, or the session ended
        answer = await _post(client, page, who.case_reference, "start", started_on=str(TODAY))
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/sign-in?next=%2Fcases%2F{who.case_reference}%3Fstep%3Dstart"
    assert await _pending(intake, who) == []


async def test_a_form_without_its_version_or_idempotency_key_is_refused_and_nothing_is_issued(
    intake: FastAPI, office: Office
) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    await _enrolled(office, who)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        no_version = await _post(client, page, who.case_reference, "start", started_on=str(TODAY), version="")
        no_key = await _post(client, page, who.case_reference, "start", started_on=str(TODAY), idempotency_key="")
    assert no_version.status_code == no_key.status_code == 422
    assert await _pending(intake, who) == []
