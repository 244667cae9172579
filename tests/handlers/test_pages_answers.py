"""What the case page shows of a command's answer, and the ways to a form (issue 19): a refusal by the owning service
in words, a place on a waiting list, a late result recorded with the notice that it will not count, intake's own
refusal beside the field it names, consent withdrawn once through the API's use case; the reminder's link opening its
form after sign-in; the task inbox listing my due and overdue follow-ups by deadline. How the forms are sent is in
test_pages_actions.py. On a migrated PostgreSQL without Kafka: a test delivers the owning service's answer itself.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest_asyncio
from fastapi import FastAPI

from services.followup.messages import case_link
from shared.contracts import (
    Check,
    CommandRejected,
    CoursePublished,
    EnrolmentWaitlisted,
    LeavingOutcomeRecorded,
    RegisterFinding,
    SixMonthSituation,
    to_event,
)
from shared.fund_rules import six_months_after
from tests.fixtures.case_forms import TODAY, complete, enrol, forms, pending, post_step
from tests.fixtures.database import Databases
from tests.fixtures.events import check_scheduled, register_observed, six_month_result_recorded
from tests.fixtures.handlers import SOURCE, deliver, rows
from tests.fixtures.pages import Office, Referred, browser, open_office, running_intake, sign_in, token

MUNICIPALITIES = itertools.count(571)  # no other module's; two a test: 571-58x (test_pages_actions.py: 521 and up)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def intake(databases: Databases) -> AsyncIterator[FastAPI]:
    """Intake built by its composition root on the test database; no broker is started."""
    async with running_intake(databases) as app:
        yield app


@pytest_asyncio.fixture(loop_scope="session")
async def office(intake: FastAPI) -> Office:
    """Two municipalities of the test's own, served by one programme (the first is the office's)."""
    return await open_office(intake, str(next(MUNICIPALITIES)), str(next(MUNICIPALITIES)))


# --- answers: the owning service's refusal, a waiting-list place, a late result, intake's own refusal, consent --------
async def _answer(app: FastAPI, who: Referred, fact: Any) -> None:
    """Deliver the fact the owning service would publish in answer to the participant's one pending command."""
    [command] = [c for c in await pending(app, who) if c["status"] == "pending"]
    event = to_event(fact, source=SOURCE).model_copy(update={"causationid": command["id"]})
    await deliver(app.state.sessions, "intake", event, vault=app.state.vault)


async def test_a_refusal_by_the_owning_service_is_shown_in_words(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    await enrol(office, who)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        await post_step(client, page, who.case_reference, "start", started_on=str(TODAY - timedelta(days=60)))
        [command] = await pending(intake, who)
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
        answer = await post_step(client, page, who.case_reference, "start", started_on=str(TODAY - timedelta(days=60)))
    assert answer.status_code == 409
    assert "Handlingen blev afvist. Datoen ligger før optagelsen." in answer.text


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
        await post_step(client, page, who.case_reference, "enrolment", **fields)
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
        answer = await post_step(client, page, who.case_reference, "enrolment", **fields)  # a resend: its answer
    assert answer.status_code == 200
    shown = answer.text.split('id="answer"')[1].split("</div>")[0]
    assert f"På venteliste til forløb {course.course_id} som nr. 3" in shown
    assert forms(answer) == {"withdrawal", "consent-withdrawal"}  # a waiting place may be given up


async def test_a_late_result_is_recorded_with_the_notice_that_it_will_not_count(
    intake: FastAPI, office: Office
) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    await complete(office, who)
    fields = {"situation": "education", "qualification_gained": "", "observed_on": str(TODAY)}
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        await post_step(client, page, who.case_reference, "leaving-outcome", **fields)
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
        answer = await post_step(client, page, who.case_reference, "leaving-outcome", **fields)
    assert answer.status_code == 200
    assert 'id="notice"' in answer.text and "Registreret for sent" in answer.text


async def test_intakes_own_refusal_is_shown_beside_the_field_it_names(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        answer = await post_step(
            client, page, who.case_reference, "enrolment", course_id="c-1", enrolled_on="2001-01-01"
        )
    assert answer.status_code == 422
    assert 'id="enrolment-enrolled_on-error"' in answer.text and "før henvisningen" in answer.text
    assert await pending(intake, who) == []


async def test_consent_withdrawal_from_the_page_goes_through_the_apis_use_case_once(
    intake: FastAPI, office: Office
) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    async with browser(intake) as client:
        await sign_in(client, bearer)
        page = await client.get(f"/cases/{who.case_reference}")
        first = await post_step(client, page, who.case_reference, "consent-withdrawal", withdrawn_on=str(TODAY))
        again = await post_step(client, page, who.case_reference, "consent-withdrawal", withdrawn_on=str(TODAY))
    assert first.status_code == again.status_code == 200
    assert "consent-withdrawal" not in forms(first)
    sql = "SELECT headers ->> 'ce_type' AS type FROM outbox_message WHERE key = :k ORDER BY id"
    staged = [r["type"] for r in await rows(intake.state.sessions, sql, k=str(who.id))]
    assert staged.count("consent.withdrawn") == 1, staged
    found = await rows(intake.state.sessions, "SELECT consent_withdrawn_on FROM participant WHERE id = :p", p=who.id)
    assert found[0]["consent_withdrawn_on"] == TODAY


# --- the reminder's link ----------------------------------------------------------------------------------------------
async def test_the_reminders_link_opens_its_form_after_sign_in(intake: FastAPI, office: Office) -> None:
    bearer = token(municipality=office.municipality)
    who = await office.refer(bearer)
    await complete(office, who)
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


async def test_the_inbox_lists_my_six_month_results_the_register_contradicts(intake: FastAPI, office: Office) -> None:
    mine = token(municipality=office.municipality, subject=f"register-{office.municipality}")
    colleague = token(municipality=office.municipality)
    contradicted, confirmed, untold, theirs = (
        await office.refer(mine),
        await office.refer(mine),
        await office.refer(mine),
        await office.refer(colleague),
    )
    left_on = TODAY - timedelta(days=220)
    plans: tuple[tuple[Referred, SixMonthSituation, RegisterFinding], ...] = (
        (contradicted, "ordinary-employment", "job-seeking"),
        (confirmed, "ordinary-employment", "employed"),
        (untold, "job-seeking", "self-supporting"),  # the register cannot tell: nothing to check
        (theirs, "ordinary-employment", "job-seeking"),  # a colleague's case
    )
    for who, recorded, finding in plans:
        observed_on = six_months_after(left_on)
        await office.fact(six_month_result_recorded(who.id, recorded, observed_on=observed_on, left_on=left_on))
        await office.fact(register_observed(who.id, finding, left_on=left_on))
    async with browser(intake) as client:
        await sign_in(client, mine)
        inbox = await client.get("/tasks")
    assert inbox.status_code == 200
    assert re.findall(r'<tr data-case="(RUM-[0-9]+)">', inbox.text) == [contradicted.case_reference]
    row = inbox.text.split(f'<tr data-case="{contradicted.case_reference}">')[1].split("</tr>")[0]
    assert "Ordinær beskæftigelse" in row and "Jobsøgende" in row  # the record and the register's finding, in words
