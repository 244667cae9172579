"""The administrator's catalogue pages on a migrated PostgreSQL (no Kafka): enrolment's app in-process, each form
through the catalogue's use case, errors beside their fields, refusals that change nothing, one effect per double post.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import text

from services.enrolment.main import create_app
from services.enrolment.seed import seed_catalogue, synthetic_cvr
from services.enrolment.settings import EnrolmentSettings
from shared.auth import Role
from shared.db import unit_of_work
from shared.pages.domain import SECURITY_HEADERS
from shared.topics import CATALOGUE_EVENTS
from tests.fixtures.clients import bearer_client
from tests.fixtures.database import Databases
from tests.fixtures.pages import browser, csrf_of, sign_in, token

ADMIN: Role = "administrator"
PROGRAMME_FORM = {
    "title": "Testprogram for siderne",
    "operator": "Region Test",
    "region": "Midtjylland",
    "starts_on": "2026-01-01",
    "ends_on": "2027-12-31",
    "fund": "esf-plus-2021-2027",
    "flex_job_counts_as_employment": "yes",
    "wage_subsidy_counts_as_employment": "no",
    "cr04_reading": "every-participant",
    "min_cell": "",
    "six_month_result_grace_days": "",
}
SUBPROJECT_FORM = {
    "title": "Et delprojekt",
    "provider_kind": "municipality",
    "provider": "Jobcenter Aarhus",
    "municipalities": "751, 727",
    "target_groups": "psychologically-vulnerable",
    "coordinator_email": "koordinator@example.dk",
    "starts_on": "2026-02-01",
    "ends_on": "2027-06-30",
    "scope": "local",
    "illustrative": "no",
}
_ERROR_BESIDE = re.compile(r'<p class="field-error" id="([a-z_-]+)-error">')


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def app(databases: Databases) -> AsyncIterator[FastAPI]:
    """Enrolment built by its composition root on the test database, the seed catalogue in it."""
    app = create_app(EnrolmentSettings(database_url=databases.url("enrolment"), seed_demo_catalogue=False))
    async with unit_of_work(app.state.sessions) as session:
        assert await seed_catalogue(session) == []
    yield app
    await app.state.sessions.kw["bind"].dispose()


@asynccontextmanager
async def admin(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser signed in on enrolment's pages as an administrator."""
    async with browser(app, base_url="http://enrolment.test") as client:
        signed = await sign_in(client, token(ADMIN))
        assert signed.status_code == 303, signed.text
        yield client


async def post(client: httpx.AsyncClient, page: str, action: str, fields: dict[str, str]) -> httpx.Response:
    """Send a form of the page with the page's CSRF token."""
    shown = await client.get(page)
    assert shown.status_code == 200, shown.text
    return await client.post(action, data={"csrf_token": csrf_of(shown.text), **fields})


def errors_beside(html: str) -> set[str]:
    """The ids of the fields a page shows an error beside."""
    return set(_ERROR_BESIDE.findall(html))


async def api(app: FastAPI, path: str, **params: Any) -> httpx.Response:
    """GET from the catalogue API as an administrator."""
    async with bearer_client(app, token(ADMIN)) as client:
        return await client.get(path, params=params)


async def events_of(app: FastAPI, key: str) -> list[dict[str, Any]]:
    """The catalogue events written to the outbox for one entry."""
    async with app.state.sessions() as session:
        rows = (
            await session.exec(
                text("SELECT payload FROM outbox_message WHERE topic = :t AND key = :k ORDER BY id"),
                params={"t": CATALOGUE_EVENTS, "k": key},
            )
        ).all()
    return [json.loads(row[0]) for row in rows]


async def new_programme(client: httpx.AsyncClient, **fields: str) -> tuple[str, httpx.Response]:
    """Create a programme through /admin/programmes/new: its id and the answer."""
    programme_id = f"adm-{uuid4().hex[:8]}"
    form = PROGRAMME_FORM | {"mode": "new", "entry_id": programme_id} | fields
    return programme_id, await post(client, "/admin/programmes/new", "/admin/programmes", form)


# --- who may open the pages -------------------------------------------------------------------------------------------
async def test_an_administrator_starts_at_the_programmes_and_sees_the_seed(app: FastAPI) -> None:
    client = browser(app, base_url="http://enrolment.test")
    async with client:
        signed = await sign_in(client, token(ADMIN))
        listed = await client.get("/admin/programmes")
    assert signed.headers["location"] == "/admin/programmes"
    assert listed.status_code == 200 and "<h1>Programmer</h1>" in listed.text
    assert 'href="/admin/programmes/rummelig-imidt"' in listed.text and "Socialfonden 2014" in listed.text


@pytest.mark.parametrize("role", ["caseworker", "operator", "provider-staff", "team-lead"])
async def test_no_other_role_gets_a_catalogue_page(app: FastAPI, role: Role) -> None:
    client = browser(app, base_url="http://enrolment.test")
    async with client:
        await sign_in(client, token(role, municipality="751", programmes=["rummelig-imidt"], subprojects=["x"]))
        answers = [await client.get(p) for p in ("/admin/programmes", "/admin/programmes/rummelig-imidt/targets")]
    assert [a.status_code for a in answers] == [403, 403]
    assert "Kun en administrator" in answers[0].text


async def test_without_a_session_the_page_asks_for_sign_in_and_comes_back(app: FastAPI) -> None:
    client = browser(app, base_url="http://enrolment.test")
    async with client:
        asked = await client.get("/admin/programmes/rummelig-imidt/courses")
        posted = await client.post("/admin/programmes/rummelig-imidt/course", data={"title": "x"})
        signed = await sign_in(client, token(ADMIN), next_path="/admin/programmes/rummelig-imidt/courses")
    assert asked.status_code == 303 and asked.headers["location"].startswith("/sign-in?next=")
    assert "courses" in asked.headers["location"]
    assert posted.headers["location"] == "/sign-in?next=%2Fadmin%2Fprogrammes%2Frummelig-imidt%2Fcourses"
    assert signed.headers["location"] == "/admin/programmes/rummelig-imidt/courses"


async def test_every_page_and_problem_page_carries_the_security_headers(app: FastAPI) -> None:
    paths = [
        "/admin/programmes",
        "/admin/programmes/new",
        "/admin/programmes/rummelig-imidt",
        "/admin/programmes/rummelig-imidt/targets?on=2018-06-01&amend=rim-completed",
        "/admin/programmes/rummelig-imidt/subprojects?edit=deaf-hedensted",
        "/admin/programmes/rummelig-imidt/courses",
        "/admin/programmes/rummelig-imidt/companies",
        "/admin/programmes/no-such-programme",
        "/admin/programmes/rummelig-imidt/nonsense",
        "/admin/programmes/rummelig-imidt/targets?on=not-a-date",
        "/admin/programmes/rummelig-imidt?lang=en",
    ]
    async with admin(app) as client:
        answers = [await client.get(p) for p in paths]
    assert [a.status_code for a in answers] == [200] * 7 + [404, 404, 422, 200]
    for answer in answers:
        assert {k: answer.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS, answer.url
    assert '<html lang="en">' in answers[-1].text and "Extensions" in answers[-1].text


async def test_the_targets_page_shows_the_number_in_force_on_the_date_asked_for(app: FastAPI) -> None:
    async with admin(app) as client:
        before = await client.get("/admin/programmes/rummelig-imidt/targets", params={"on": "2018-06-01"})
        after = await client.get("/admin/programmes/rummelig-imidt/targets", params={"on": "2020-06-01"})
    row = re.compile(r'<tr id="target-rim-completed">.*?<td class="count">(\d+)</td>', re.S)
    assert [row.search(page.text).group(1) for page in (before, after)] == ["550", "810"]  # type: ignore[union-attr]


# --- forms ------------------------------------------------------------------------------------------------------------
async def test_a_programme_created_through_the_form_is_the_catalogue_apis_and_published_once(app: FastAPI) -> None:
    async with admin(app) as client:
        programme_id, created = await new_programme(client)
        again = await client.post(
            "/admin/programmes",
            data={"csrf_token": csrf_of((await client.get("/admin/programmes/new")).text)}
            | PROGRAMME_FORM
            | {"mode": "new", "entry_id": programme_id},
        )  # the same form sent twice (a double click)
        shown = await client.get(created.headers["location"])
    assert (
        created.status_code == 303 and created.headers["location"] == f"/admin/programmes/{programme_id}?done=programme"
    )
    assert again.status_code == 303 and again.headers["location"] == created.headers["location"]
    assert 'id="done"' in shown.text and "Programmet er gemt." in shown.text
    held = (await api(app, f"/catalogue/programmes/{programme_id}")).json()
    assert (held["title"], held["ends_in_force_on"], held["min_cell"]) == (PROGRAMME_FORM["title"], "2027-12-31", 5)
    assert held["flex_job_counts_as_employment"] is True and held["wage_subsidy_counts_as_employment"] is False
    assert len(await events_of(app, f"programme/{programme_id}")) == 1


@pytest.mark.parametrize(
    ("fields", "beside"),
    [
        ({"title": ""}, {"programme-title"}),
        ({"title": "<script>alert(1)</script>"}, {"programme-title"}),
        ({"starts_on": "2026-13-01", "fund": "esf-1990"}, {"programme-starts_on", "programme-fund"}),
        ({"ends_on": "2025-12-31"}, {"programme-ends_on"}),  # the catalogue's rule: ends before it starts
        ({"min_cell": "2"}, {"programme-min_cell"}),
        ({"min_cell": "fem"}, {"programme-min_cell"}),
        ({"entry_id": "Not An Id"}, {"programme-entry_id"}),
        ({"entry_id": "new"}, {"programme-entry_id"}),
        ({"entry_id": "rummelig-imidt"}, {"programme-entry_id"}),  # taken: a new programme never replaces one
    ],
)
async def test_a_wrong_programme_form_is_answered_beside_its_fields_and_changes_nothing(
    app: FastAPI, fields: dict[str, str], beside: set[str]
) -> None:
    async with admin(app) as client:
        programme_id, answer = await new_programme(client, **fields)
    assert answer.status_code == 422
    assert errors_beside(answer.text) == beside
    assert 'class="error-summary"' in answer.text and "<script>alert" not in answer.text
    asked = fields.get("entry_id", programme_id)
    if asked != "rummelig-imidt":
        assert (await api(app, f"/catalogue/programmes/{asked}")).status_code in (404, 422)
    else:
        assert (await api(app, "/catalogue/programmes/rummelig-imidt")).json()["title"] != PROGRAMME_FORM["title"]


async def test_an_extension_twice_is_kept_once_and_a_shorter_one_is_refused_beside_its_date(app: FastAPI) -> None:
    # typed the Danish way, as in a browser without a date picker: the same decision as its ISO form
    extension = {"mode": "new", "ends_on": "30.6.2028", "decided_on": "1.10.2027", "reason": "seks måneder mere"}
    async with admin(app) as client:
        programme_id, _ = await new_programme(client)
        page = f"/admin/programmes/{programme_id}"
        first = await post(client, page, f"{page}/extension", extension)
        second = await post(client, page, f"{page}/extension", extension | {"ends_on": "2028-06-30"})
        shorter = await post(client, page, f"{page}/extension", extension | {"ends_on": "2027-06-30", "reason": "kort"})
        shown = await client.get(page)
    assert [first.status_code, second.status_code, shorter.status_code] == [303, 303, 422]
    assert errors_beside(shorter.text) == {"extension-ends_on"}
    assert "En forlængelse skal flytte slutdatoen til senere." in shorter.text
    assert '<dd id="ends-in-force">30. juni 2028</dd>' in shown.text
    assert len((await api(app, f"/catalogue/programmes/{programme_id}")).json()["extensions"]) == 1


async def test_a_target_and_its_amendment_through_the_forms(app: FastAPI) -> None:
    async with admin(app) as client:
        programme_id, _ = await new_programme(client)
        page = f"/admin/programmes/{programme_id}/targets"
        target = {"mode": "new", "entry_id": f"{programme_id}-p", "figure": "participants", "number": "100"}
        set_target = await post(
            client, page, f"/admin/programmes/{programme_id}/target", target | {"set_on": "2026-01-01"}
        )
        amend_page = f"{page}?amend={programme_id}-p"
        amendment = {"mode": "change", "entry_id": f"{programme_id}-p", "number": "140", "reason": "flere pladser"}
        earlier = await post(
            client,
            amend_page,
            f"/admin/programmes/{programme_id}/amendment",
            amendment | {"effective_on": "2025-06-01"},
        )
        amended = await post(
            client,
            amend_page,
            f"/admin/programmes/{programme_id}/amendment",
            amendment | {"effective_on": "2027-01-01"},
        )
    assert [set_target.status_code, earlier.status_code, amended.status_code] == [303, 422, 303]
    assert errors_beside(earlier.text) == {"amendment-effective_on"}
    numbers = [
        (await api(app, f"/catalogue/targets/{programme_id}-p", on=day)).json()["number_in_force"]
        for day in ("2026-06-01", "2027-06-01")
    ]
    assert numbers == [100, 140]


async def test_sub_project_course_and_company_through_the_forms_with_the_catalogues_refusals(app: FastAPI) -> None:
    async with admin(app) as client:
        programme_id, _ = await new_programme(client)
        base = f"/admin/programmes/{programme_id}"
        subproject = SUBPROJECT_FORM | {"mode": "new", "entry_id": f"{programme_id}-a"}
        made = await post(client, f"{base}/subprojects", f"{base}/subproject", subproject)
        course = {
            "mode": "new",
            "entry_id": f"{programme_id}-c",
            "subproject_id": f"{programme_id}-a",
            "title": "Et forløb",
            "location": "Jobcenter Aarhus",
            "starts_on": "2026-03-02",
            "ends_on": "2026-06-30",
            "capacity": "12",
            "waiting_list_open": "yes",
        }
        not_served = await post(client, f"{base}/courses", f"{base}/course", course | {"municipality": "101"})
        outside = await post(
            client, f"{base}/courses", f"{base}/course", course | {"municipality": "751", "ends_on": "2028-01-01"}
        )
        course_made = await post(client, f"{base}/courses", f"{base}/course", course | {"municipality": "751"})
        company = {"mode": "new", "entry_id": f"{programme_id}-v", "name": "Virksomhed ApS", "kind": "social-economy"}
        company |= {"recruited_on": "2026-04-01", "subproject_ids": f"{programme_id}-a"}
        bad_cvr = await post(client, f"{base}/companies", f"{base}/company", company | {"cvr": "12345678"})
        cvr = synthetic_cvr(1_000 + uuid4().int % 90_000)  # the seed's numbers are below 1,000
        company_made = await post(client, f"{base}/companies", f"{base}/company", company | {"cvr": cvr})
        courses_page = await client.get(f"{base}/courses")
    assert [made.status_code, course_made.status_code, company_made.status_code] == [303, 303, 303]
    assert errors_beside(not_served.text) == {"course-municipality"} and not_served.status_code == 422
    assert errors_beside(outside.text) == {"course-ends_on"}
    assert errors_beside(bad_cvr.text) == {"company-cvr"}
    held = (await api(app, "/catalogue/subprojects", programme_id=programme_id)).json()
    assert [(s["municipalities"], s["target_groups"]) for s in held] == [
        (["751", "727"], ["psychologically-vulnerable"])
    ]
    courses = (await api(app, "/catalogue/courses", programme_id=programme_id)).json()
    assert [(c["capacity"], c["waiting_list_open"], c["municipality"]) for c in courses] == [(12, True, "751")]
    assert [c["cvr"] for c in (await api(app, "/catalogue/companies", programme_id=programme_id)).json()] == [cvr]
    row = courses_page.text.split(f'<tr id="course-{programme_id}-c">', 1)[1].split("</tr>", 1)[0]
    assert "<td>Et delprojekt</td>" in row and "Aarhus (751)" in row  # names, not codes


async def test_a_form_cannot_change_or_take_over_another_programmes_entry(app: FastAPI) -> None:
    async with admin(app) as client:
        programme_id, _ = await new_programme(client)
        base = f"/admin/programmes/{programme_id}"
        take_over = SUBPROJECT_FORM | {"mode": "new", "entry_id": "deaf-hedensted"}
        taken = await post(client, f"{base}/subprojects", f"{base}/subproject", take_over)
        change = SUBPROJECT_FORM | {"mode": "change", "entry_id": "deaf-hedensted"}
        changed = await post(client, f"{base}/subprojects", f"{base}/subproject", change)
    assert taken.status_code == 422 and errors_beside(taken.text) == {"subproject-entry_id"}
    assert changed.status_code == 404
    seeded = (await api(app, "/catalogue/subprojects", programme_id="rummelig-imidt")).json()
    assert next(s for s in seeded if s["subproject_id"] == "deaf-hedensted")["title"] != SUBPROJECT_FORM["title"]


async def test_without_the_csrf_token_or_with_an_oversized_form_nothing_changes(app: FastAPI) -> None:
    async with admin(app) as client:
        programme_id, _ = await new_programme(client)
        base = f"/admin/programmes/{programme_id}"
        extension = {"mode": "new", "ends_on": "2029-01-01", "decided_on": "2027-10-01", "reason": "forlænget"}
        no_token = await client.post(f"{base}/extension", data=extension)
        wrong_token = await client.post(f"{base}/extension", data=extension | {"csrf_token": "x" * 43})
        token_of_page = csrf_of((await client.get(base)).text)
        oversized = await client.post(
            f"{base}/extension", data=extension | {"csrf_token": token_of_page, "reason": "x" * 20_000}
        )
        too_many = await client.post(
            f"{base}/extension",
            content="&".join(f"f{i}=1" for i in range(300)),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        unknown_kind = await client.post(f"{base}/nonsense", data=extension | {"csrf_token": token_of_page})
    assert [no_token.status_code, wrong_token.status_code] == [403, 403]
    assert [oversized.status_code, too_many.status_code, unknown_kind.status_code] == [413, 413, 404]
    assert (await api(app, f"/catalogue/programmes/{programme_id}")).json()["extensions"] == []
